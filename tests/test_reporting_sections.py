"""skmammo.reporting sections: the ordered section lists, their macros, and a toy explainer.

A report is an ordered list of sections, each one object plus one template
macro; the case report shows whatever explanations it is given, named by the
explainer registry, so a newly registered method needs no change in
reporting.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

import skmammo.explain._registry as registry
from skmammo.evaluation import evaluate_predictions
from skmammo.explain import EXPLAINERS, ExplainerSpec, Explanation, register_explainer
from skmammo.reporting import CASE_SECTIONS, SUMMARY_SECTIONS, ReportBuilder, Section
from skmammo.reporting._section import lay_out
from skmammo.reporting._templates import environment

CROP = 24


def _toy(estimator, X, *, target=None, batch_size=64):
    """A toy explainer: a map rising from left to right, the same for every crop."""
    X = np.asarray(X)
    ramp = np.tile(np.linspace(0, 1, X.shape[-1]), (X.shape[-2], 1))
    return Explanation(method="toy", heatmaps=np.repeat(ramp[None], len(X), axis=0),
                       targets=np.zeros(len(X), int), probabilities=None)


@pytest.fixture
def toy_explainer():
    spec = register_explainer(ExplainerSpec("toy", _toy, label="Toy ramp", signed=False,
                                            stochastic=False, cmap="viridis", aliases=("toy-ramp",)))
    yield spec
    EXPLAINERS.pop("toy")
    for name in ("toy", "toy-ramp"):
        registry._ALIASES.pop(name)


@pytest.fixture(scope="module")
def small():
    """An evaluation, two cases (films in the frame) and their crops and probabilities."""
    rng = np.random.RandomState(0)
    y_test = np.array([0, 0, 1, 1, 2, 2])
    proba = np.eye(3)[[0, 0, 1, 2, 2, 1]] * 0.7 + 0.1
    ev = evaluate_predictions(y_test, proba, y_train=np.array([0, 0, 0, 1, 2]))
    films = [rng.randint(0, 200, (64, 64)).astype(np.uint8) for _ in range(2)]
    cases = pd.DataFrame({"image": films, "film": ["mdb001", "mdb002"], "x": [30.0, np.nan],
                          "y": [30.0, np.nan], "radius": [6.0, np.nan]})
    crops = np.stack([f[18:18 + CROP, 18:18 + CROP] for f in films])
    boxes = np.array([[18, 18, 18 + CROP, 18 + CROP]] * 2, dtype=float)
    case_proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]])
    return ev, cases, crops, boxes, case_proba


def _explanation(method, heatmaps, crops, boxes, proba, **kw) -> Explanation:
    return Explanation(method=method, heatmaps=heatmaps, targets=proba.argmax(axis=1), probabilities=proba,
                       images=crops, boxes=boxes, **kw)


def test_a_registered_toy_explainer_appears_in_the_reports(small, toy_explainer):
    ev, cases, crops, boxes, proba = small
    toy = _toy(None, crops)
    explanations = {
        "gradcam": _explanation("gradcam", np.ones((2, CROP, CROP)) / 2, crops, boxes, proba,
                                seconds_per_image=0.3),
        "toy": _explanation("toy", toy.heatmaps, crops, boxes, proba, params={"slope": 1},
                            seconds_per_image=0.01),
    }
    table = pd.DataFrame({"seconds_per_image": [0.3, 0.01]}, index=pd.Index(["gradcam", "toy"], name="method"))
    b = ReportBuilder(ev, explanations=explanations, cases=cases, case_target=[0, 2],
                      explainer_table=table, gallery_method="toy")
    case = b.case_html(1)
    assert "<strong>Grad-CAM</strong>: explained class benign (predicted), 0.30 s per image." in case
    assert "<strong>Toy ramp</strong>: explained class benign (predicted), 0.01 s per image." in case
    assert case.index("<strong>Grad-CAM</strong>") < case.index("<strong>Toy ramp</strong>")  # as given
    assert case.count("<img") == 1 + 2  # film + crop, and one figure per explainer
    # described by the registry: Grad-CAM by its own words, the toy by its sign
    assert re.search(r"Grad-CAM shows where the network\S+ last convolutional layer found evidence",
                     case)
    assert re.search(r"Toy ramp shows where the model found evidence for the explained class", case)
    assert "<th scope=\"row\">Toy ramp</th><td>slope=1</td>" in case
    summary = b.summary_html()
    assert '<th scope="row">Toy ramp</th><td>0.010</td>' in summary  # explainer table, by label
    assert "<h2>Toy ramp gallery by predicted class</h2>" in summary


def test_an_unregistered_method_is_refused_with_a_clear_error(small):
    ev, cases, crops, boxes, proba = small
    heat = np.random.RandomState(1).normal(size=(2, CROP, CROP))
    # the registry says how to colour and describe a map: without an entry, nothing to draw
    with pytest.raises(ValueError, match=r"explanations\['my map'\].*register_explainer"):
        ReportBuilder(ev, cases=cases, case_target=[0, 2],
                      explanations={"my map": _explanation("my map", heat, crops, boxes, proba)})


def test_every_section_has_its_macro_and_a_unique_name():
    for sections, template in ((SUMMARY_SECTIONS, "_summary_sections.html"),
                               (CASE_SECTIONS, "_case_sections.html")):
        module = environment().get_template(template).module
        names = [s.name for s in sections]
        assert len(set(names)) == len(names)
        for s in sections:
            assert callable(getattr(module, s.macro, None)), f"no macro {s.macro!r} in {template}"
            assert s.parent is None or s.parent in names[: names.index(s.name)], s.name


def test_summary_sections_render_in_their_order(small):
    ev, cases, crops, boxes, proba = small
    e = _explanation("gradcam", np.ones((2, CROP, CROP)) / 2, crops, boxes, proba)
    b = ReportBuilder(ev, explanations={"gradcam": e}, cases=cases, case_target=[0, 2],
                      history={"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
                      created=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    html = b.summary_html()
    ids = re.findall(r'<section id="([a-z_]+)"', html)
    assert ids == ["data", "metrics", "training", "gallery", "provenance"]  # no repeated, no explainers
    shown = [s["name"] for s in b.summary_context()["sections"]]
    assert shown == ids
    # the parts of the metrics section: its tables, then the confusion matrix and the ROC curves
    metrics = next(s for s in b.summary_context()["sections"] if s["name"] == "metrics")
    assert [p["macro"] for p in metrics["parts"]] == ["metrics", "confusion", "roc"]
    assert re.findall(r'<section id="([a-z_]+)"', b.case_html(0)) == ["result", "provenance", "explanations"]


def test_lay_out_groups_parts_and_drops_hidden_sections():
    sections = [
        Section("a", lambda x: {"v": x}),
        Section("a_part", lambda x: {"w": 2 * x}, parent="a", template="part"),
        Section("b", lambda x: None, css_class="page"),
        Section("b_part", lambda x: {"never": "shown"}, parent="b"),
        Section("c", lambda x: {}, css_class="page"),
    ]
    assert lay_out(sections, 3) == [
        {"name": "a", "css_class": "", "parts": [{"macro": "a", "context": {"v": 3}},
                                                 {"macro": "part", "context": {"w": 6}}]},
        {"name": "c", "css_class": "page", "parts": [{"macro": "c", "context": {}}]},
    ]


def test_report_builder_is_silent_by_default(small):
    assert ReportBuilder(small[0]).verbose == 0
