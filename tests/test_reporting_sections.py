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
    assert ids == ["data", "metrics", "training", "gallery", "model_card", "provenance"]  # no repeated
    shown = [s["name"] for s in b.summary_context()["sections"]]
    assert shown == ids
    # the parts of the metrics section: its tables, then the confusion matrix and the ROC curves
    metrics = next(s for s in b.summary_context()["sections"] if s["name"] == "metrics")
    assert [p["macro"] for p in metrics["parts"]] == ["metrics", "confusion", "roc", "calibration"]
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


# ------------------------------------------------------------------ what the summary says, exactly


def _repeated(n_runs: int, *, n_tests=(60, 66, 64, 62, 61), low=-0.16, high=1.02):
    """A grouped repeated evaluation as a report sees it, its intervals reaching past [0, 1]
    (as older results or hand-made ones may): the report must still show possible values."""
    from types import SimpleNamespace

    from skmammo.evaluation import SUMMARY_METRICS

    keys = [*SUMMARY_METRICS, "recall_malignant", "f1_benign"]
    summary = pd.DataFrame({"mean": 0.5, "std": 0.3, "ci_low": low, "ci_high": high, "n": 5},
                           index=pd.Index(keys, name="metric"))
    runs = pd.DataFrame([{"run": r, "fold": f, "n_test": t, "n_train": 240}
                         for r in range(n_runs) for f, t in enumerate(n_tests)])
    confusion = np.array([[100, 5, 3], [10, 30, 8], [4, 6, 147]], dtype=float)
    return SimpleNamespace(protocol="grouped", summary=summary, runs=runs,
                           confusion_mean=confusion if n_runs == 1 else confusion + 0.4)


def _shortcuts(p_values=(1.0, 0.0004)):
    from types import SimpleNamespace

    names = ["side / tree", "depth / logistic"]
    folds = {n: SimpleNamespace(summary=pd.DataFrame({"mean": [0.4], "ci_low": [-0.05], "ci_high": [1.1]},
                                                     index=["balanced_accuracy"]),
                                runs=pd.DataFrame({"run": [0] * 5, "fold": range(5)}))
             for n in names}
    paired = pd.DataFrame({"reference": 0.6, "other": [0.4, 0.3, 0.33], "difference": [0.2, 0.3, 0.27],
                           "ci_low": [-1.3, 0.1, 0.05], "ci_high": [1.2, 0.5, 0.49],
                           "p_value": [*p_values, 0.03]}, index=[*names, "majority baseline"])
    return {"repeated": folds, "paired": paired}


def _cells(html: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", html)


def test_no_interval_outside_its_metrics_range(small):
    html = ReportBuilder(small[0], repeated=_repeated(1), shortcuts=_shortcuts()).summary_html()
    intervals = re.findall(r"^\[(-?[\d.]+), (-?[\d.]+)\]$", "\n".join(_cells(html)), flags=re.M)
    assert len(intervals) >= len(_repeated(1).summary) + 3
    for low, high in intervals:
        assert -1.0 <= float(low) <= float(high) <= 1.0, (low, high)
    # a score's interval in [0, 1]: the repeated table and the probes' column
    section = html[html.index('<section id="repeated"'):html.index('<section id="shortcuts"')]
    for low, high in re.findall(r"<td>\[(-?[\d.]+), (-?[\d.]+)\]</td>", section):
        assert 0.0 <= float(low) and float(high) <= 1.0
    assert "<td>[0.000, 1.000]</td>" in section  # -0.16 and 1.02 clipped
    assert "<td>[-1.000, 1.000]</td>" in html  # a difference is clipped to [-1, 1]
    assert "clipped to [0, 1]" in section and "clipped to [0, 1] (scores) and [-1, 1]" in html


def test_counts_are_said_in_words_that_agree_with_them(small):
    one = ReportBuilder(small[0], repeated=_repeated(1), shortcuts=_shortcuts()).summary_html()
    three = ReportBuilder(small[0], repeated=_repeated(3, n_tests=(64, 64))).summary_html()
    for html in (one, three):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        assert not re.search(r"\b1 (runs|repeats|trainings|folds|crops|samples)\b", text), text
        assert not re.search(r"about [\d.]+", text)  # counts said exactly
    assert "1 repeat of patient-grouped stratified 5-fold cross-validation (5 trainings, "
    "60 to 66 test samples each" in re.sub(r"\s+", " ", one)
    assert "3 repeats of patient-grouped stratified 2-fold" in re.sub(r"\s+", " ", three)
    assert "64 test samples each" in re.sub(r"\s+", " ", three)
    # one repeat: its confusion matrix, not a "mean" one; three: the mean, said so
    assert "Confusion matrix, 5 folds, each of the 313 samples tested once" in one
    assert "Mean confusion matrix" not in one
    assert "Mean confusion matrix over 3 repeats" in three
    assert "(1 repeat of 5 folds; model: 0.600)" in re.sub(r"\s+", " ", one)


def test_p_values_follow_one_rule_an_exact_one_included(small):
    from skmammo.reporting._templates import _prob

    html = ReportBuilder(small[0], repeated=_repeated(1), shortcuts=_shortcuts((1.0, 0.0004))).summary_html()
    section = html[html.index('<section id="shortcuts"'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r'<th scope="row">([^<]+)</th>((?:<td>[^<]*</td>)+)', section)
    p = {name: _cells(cells)[-1] for name, cells in rows}
    assert p == {"side / tree": "&gt; 0.999", "depth / logistic": "&lt; 0.001", "majority baseline": "0.030"}
    assert [_prob(v) for v in (1.0, 0.99951, 0.0, 0.5)] == ["> 0.999", "> 0.999", "< 0.001", "0.500"]


def test_parameters_show_what_differs_from_the_defaults(small):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(with_mean=False), LogisticRegression(C=0.5, max_iter=100))
    html = ReportBuilder(small[0], model=model).summary_html()
    changed = html[html.index("differ from the defaults"):html.index('<details class="screen-only">')]
    assert re.findall(r'<th scope="row">([^<]+)</th>', changed)[:2] == [
        "logisticregression__C", "standardscaler__with_mean"]
    assert "max_iter" not in changed and "penalty" not in changed  # at their defaults
    full = html[html.index('<details class="screen-only">'):html.index("</details>")]
    n = len(re.findall(r'<th scope="row">', full))
    assert n > 10 and "logisticregression__max_iter" in full  # the full list: HTML only
    assert f"The {n - 2} other parameters" in html and "print-only" in html
    assert "Every model parameter has its default value" in ReportBuilder(
        small[0], model=make_pipeline(StandardScaler(), LogisticRegression())).summary_html()


def test_case_list_links_every_case_report(small, tmp_path):
    from skmammo.reporting._case import case_stem

    ev, cases, crops, boxes, proba = small
    e = _explanation("gradcam", np.ones((2, CROP, CROP)) / 2, crops, boxes, proba)
    b = ReportBuilder(ev, explanations={"gradcam": e}, cases=cases, case_target=[0, 2])
    stems = [case_stem(cases.iloc[i]) for i in range(2)]
    assert len(set(stems)) == 2
    assert re.findall(r'<a href="([^"]+)">', b.summary_html()) == [
        f"cases/{s}.pdf" for s in stems]
    assert re.findall(r'<a href="([^"]+)">', b.summary_html(links="html")) == [
        f"cases/{s}.html" for s in stems]
    written = b.write(tmp_path, pdf=False)["html"].read_text()
    assert re.findall(r'<a href="([^"]+)">', written) == [f"cases/{s}.html" for s in stems]


def test_training_caption_names_what_is_plotted(small):
    def caption(history):
        html = ReportBuilder(small[0], history=history).summary_html()
        return re.sub(r"\s+", " ", re.search(r'<section id="training".*?<figcaption>(.*?)</figcaption>',
                                             html, flags=re.S).group(1))

    loss = caption({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    assert loss.startswith("Loss per epoch, training against validation.") and "metric" in loss
    assert "and" not in loss.split(".")[0]
    assert caption({"loss": [1.0], "val_loss": [1.0], "accuracy": [0.5], "val_accuracy": [0.4]}) == (
        "Loss and accuracy per epoch, training against validation.")


def test_class_curves_differ_in_colour_and_line_style():
    from matplotlib.colors import to_rgb

    from skmammo.reporting import figures

    colours = [np.array(to_rgb(c)) * 255 for c in figures.CLASS_COLOURS[:3]]
    for i in range(3):
        for j in range(i):
            assert np.linalg.norm(colours[i] - colours[j]) > 120, (i, j)
    assert len(set(figures.CLASS_LINESTYLES[:3])) == 3


def test_pointing_game_states_its_subset(small):
    ev, cases, crops, boxes, proba = small
    e = _explanation("gradcam", np.ones((2, CROP, CROP)) / 2, crops, boxes, proba)
    table = pd.DataFrame({"pointing_game": [0.5], "n_images": [2]}, index=["gradcam"])
    html = ReportBuilder(ev, explanations={"gradcam": e}, cases=cases, case_target=[0, 2],
                         explainer_table=table).summary_html()
    assert ("Pointing game and positive share: over the 1 explained crop with an annotated lesion "
            "(of 2 explained") in re.sub(r"\s+", " ", html)
    # compare_explainers' own count of the crops with a lesion wins over the cases
    table["n_lesions"] = [2]
    html = ReportBuilder(ev, explanations={"gradcam": e}, cases=cases, case_target=[0, 2],
                         explainer_table=table).summary_html()
    assert "over the 2 explained crops with an annotated lesion (of 2 explained" in re.sub(
        r"\s+", " ", html)


def test_summary_sections_flow_without_forced_page_breaks(small):
    html = ReportBuilder(small[0], repeated=_repeated(1), history={"loss": [1.0]}).summary_html()
    assert re.findall(r'<section id="[a-z_]+"', html) and 'class="page"' not in html
    assert all(s.css_class != "page" for s in SUMMARY_SECTIONS)


@pytest.mark.parametrize("module", ["_common", "_templates", "figures"])
def test_formatting_helpers_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"skmammo.reporting.{module}"))
    assert result.attempted > 0 and result.failed == 0
