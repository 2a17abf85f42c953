"""The explainer registry: a method added with one function and one register_explainer
call works everywhere (explain, MammoPipeline.explain, compare_explainers, figures, the
case report), and every part of skmammo.explain reads names, colours and flags from it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils import check_random_state

from skmammo.explain import (
    EXPLAINERS,
    ExplainerSpec,
    Explanation,
    explain,
    get_explainer,
    metrics,
    register_explainer,
    unregister_explainer,
)

SIZE = 64

# shap on 30 coalitions of 12 superpixels: a least-squares fit, and shap says so
pytestmark = pytest.mark.filterwarnings("ignore:Linear regression equation is singular")


def brightness(estimator, X, *, target=None, batch_size=64, random_state=None, gain=1.0):
    """A toy explainer: signed brightness around mid-grey, plus a seeded jitter."""
    from skmammo.explain._model import predict_fn, resolve_model

    X = np.asarray(X)
    proba = predict_fn(resolve_model(estimator), batch_size)(X)
    rng = check_random_state(random_state)
    heat = gain * (X / 255.0 - 0.5) + rng.normal(0, 0.01, X.shape)
    targets = proba.argmax(axis=1) if target is None else np.broadcast_to(target, len(X))
    return Explanation("brightness", heat.astype(np.float32), np.asarray(targets, int),
                       proba, params={"gain": gain}, images=X, seconds_per_image=1e-3)


@pytest.fixture
def toy():
    spec = register_explainer(ExplainerSpec(
        "brightness", brightness, label="Brightness", signed=True, stochastic=True,
        cmap="PiYG", aliases=("bright",)))
    yield spec
    unregister_explainer("brightness")
    assert "brightness" not in EXPLAINERS


@pytest.fixture(scope="module")
def model():
    from skmammo.models import paper_cnn

    return paper_cnn(input_shape=(SIZE, SIZE, 3), seed=0)


@pytest.fixture(scope="module")
def crops():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (3, SIZE, SIZE)).astype(np.uint8)


@pytest.fixture(scope="module")
def fitted():
    pytest.importorskip("skmammo.preprocessing")
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    data = make_synthetic_mammograms(18, random_state=0)
    pipe = make_pipeline(size=SIZE, epochs=1, random_state=0).fit(data.frame, data.target)
    return pipe, data.frame.iloc[:3], data.target[:3]


# ----------------------------------------------------------------- the registry
def test_registry_entries_and_read_only_names(toy):
    import skmammo.explain as ex
    from skmammo.explain import _dispatch

    assert get_explainer("BRIGHT") is toy
    builtin = ("gradcam", "lime", "shap", "hirescam", "layercam", "occlusion")
    assert ex.METHODS == _dispatch.METHODS == (*builtin, "brightness")
    assert [get_explainer(m).label for m in ("gradcam", "lime", "kernel_shap")] == \
        ["Grad-CAM", "LIME", "Kernel SHAP"]
    with pytest.raises(ValueError, match="already registered"):
        register_explainer(ExplainerSpec("bright", brightness, label="B", signed=False,
                                         stochastic=False, cmap="jet"))
    with pytest.raises(ValueError, match="unknown explanation method 'nope'; choose one of "
                                         f"{', '.join(builtin)}, brightness"):
        explain(None, np.zeros((1, 4, 4)), "nope")
    # replacing keeps the method's place and drops its old aliases
    import dataclasses

    lime = get_explainer("lime")
    try:
        register_explainer(dataclasses.replace(lime, label="L", aliases=("lime2",)), replace=True)
        assert ex.METHODS[:3] == ("gradcam", "lime", "shap") and get_explainer("LIME2").label == "L"
    finally:
        register_explainer(lime, replace=True)
    assert get_explainer("lime") is lime
    with pytest.raises(ValueError, match="unknown explanation method 'lime2'"):
        get_explainer("lime2")
    # the lazy method attributes come from the registry's paths
    assert ex.gradcam is get_explainer("gradcam").load()
    assert ex.kernel_shap is get_explainer("shap").load()


def test_toy_explainer_works_in_explain_and_its_parameters_are_checked(toy, model, crops):
    e = explain(model, crops, "bright", random_state=3, gain=2.0)
    assert e.heatmaps.shape == crops.shape and e.params == {"gain": 2.0}
    again = explain(model, crops, "brightness", random_state=3, gain=2.0)
    np.testing.assert_array_equal(e.heatmaps, again.heatmaps)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['n_samples'\] for method "
                                         r"'brightness'; valid parameters: \['gain'\]"):
        explain(model, crops, "brightness", n_samples=3)


def test_toy_explainer_in_metrics_figures_and_overlays(toy, model, crops):
    from matplotlib import colormaps

    from skmammo.reporting import figures

    result = metrics.compare_explainers(model, crops, ("gradcam", "bright"), seeds=(4, 5),
                                        steps=3)
    assert list(result.table.index) == ["gradcam", "brightness", "centre_prior", "random_map"]
    assert result.to_frame() is result.table
    row = result.table.loc["brightness"]
    assert 0.9 < row["stability_spearman"] < 1.0  # stochastic: run once per seed
    assert result.table.loc["gradcam", "stability_spearman"] == 1.0
    assert np.isfinite(row[["deletion_auc", "insertion_auc"]].astype(float)).all()
    first = result.explanations["brightness"]
    np.testing.assert_array_equal(
        first.heatmaps, explain(model, crops, "brightness", random_state=4).heatmaps)
    assert [r.params for r in result.runs["brightness"]] == [{"gain": 1.0}] * 2
    st = metrics.stability(model, crops, "bright", seeds=(4, 5))
    assert st.spearman == pytest.approx(row["stability_spearman"])

    # one overlay: the registered colour map, signed scaling, drawn alike everywhere
    rgb = first.overlay(0)
    np.testing.assert_array_equal(rgb, figures.overlay(crops[0], first.heatmaps[0], "bright"))
    h = first.heatmaps[0].astype(float)
    colour = colormaps["PiYG"](0.5 + 0.5 * h / np.abs(h).max())[..., :3] * 255
    expected = np.rint(0.6 * crops[0][..., None] + 0.4 * colour).astype(np.uint8)
    np.testing.assert_array_equal(rgb, expected)
    uri = figures.explanation_figure(crops[0], h, "brightness", label=toy.label)
    assert uri.startswith("data:image/png;base64,")


def test_toy_explainer_through_the_pipeline_and_the_case_report(toy, fitted):
    from skmammo.evaluation import evaluate_predictions
    from skmammo.reporting import ReportBuilder

    pipe, part, y = fitted
    e = pipe.explain(part, method="brightness", random_state=0)
    assert e.heatmaps.shape == (3, SIZE, SIZE) and e.boxes.shape == (3, 4)
    assert list(e.films) == list(part["film"])
    result = metrics.compare_explainers(pipe, part, ("brightness",), seeds=(0, 1), steps=3)
    assert list(result.table.index) == ["brightness", "centre_prior", "random_map"]
    ev = evaluate_predictions(y, e.probabilities)
    builder = ReportBuilder(ev, explanations=result.explanations, cases=part, case_target=y,
                            verbose=0)
    html = builder.case_html(0)
    assert "data:image/png;base64," in html


# ---------------------------------------------------------------- vocabulary
@pytest.mark.parametrize("method, old, new, value", [
    ("lime", "num_samples", "n_samples", 30),
    ("lime", "hide_color", "baseline", 0.0),
    ("shap", "nsamples", "n_samples", 30),
    ("shap", "background", "baseline", "zero"),
])
def test_old_parameter_names_warn_and_give_the_same_maps(model, crops, method, old, new, value):
    base = {"n_samples": 30} if new != "n_samples" else {}
    with pytest.warns(FutureWarning, match=rf"{old}= was renamed {new}=; {old}= will be "
                                           r"removed in skmammo 0\.3"):
        before = explain(model, crops[:1], method, random_state=0, **base, **{old: value})
    after = explain(model, crops[:1], method, random_state=0, **base, **{new: value})
    np.testing.assert_array_equal(before.heatmaps, after.heatmaps)
    assert after.params[new] == value
    with pytest.raises(TypeError, match=f"got both {new}= and its old name {old}="):
        explain(model, crops[:1], method, **base,
                **{old: value, new: 7 if new == "n_samples" else 3.0})


def test_methods_are_silent_by_default():
    import inspect

    for spec in EXPLAINERS.values():
        params = inspect.signature(spec.load()).parameters
        if "verbose" in params:
            assert params["verbose"].default == 0, spec.name
    from skmammo.explain import explain_to_disk

    assert inspect.signature(explain_to_disk).parameters["verbose"].default == 0
    for f in (metrics.compare_explainers, metrics.stability, metrics.deletion_auc,
              metrics.insertion_auc, metrics.faithfulness_curves, explain_to_disk):
        assert next(iter(inspect.signature(f).parameters)) == "estimator", f.__name__


def test_one_baseline_fill_for_shap_and_the_metrics(model, crops):
    from skmammo.explain._baseline import baseline_image

    image = crops[0].astype(np.float32)
    assert baseline_image(image, 7).dtype == np.float32 and (baseline_image(image, 7) == 7).all()
    np.testing.assert_array_equal(baseline_image(image, image), image)
    with pytest.raises(ValueError, match="baseline must be 'mean', 'zero', 'blur'"):
        baseline_image(image, "grey")
    with pytest.raises(ValueError, match="baseline image has shape"):
        baseline_image(image, np.zeros((2, 2)))
    # an (H, W) image as the metrics' baseline, as Kernel SHAP takes it
    e = explain(model, crops, "gradcam")
    own = metrics.deletion_auc(model, e, steps=3, baseline=np.full(image.shape, 9.0))
    np.testing.assert_array_equal(own, metrics.deletion_auc(model, e, steps=3, baseline=9.0))


# ------------------------------------------------------------- result types
def test_result_types_and_deprecated_flags(model, crops):
    from sklearn.utils import Bunch

    e = explain(model, crops, "gradcam")
    curves = metrics.faithfulness_curves(model, e, mode="insertion", steps=4)
    assert curves.curves.shape == (3, 5) and curves.fractions.tolist() == [0, .25, .5, .75, 1]
    np.testing.assert_array_equal(curves.auc, metrics.insertion_auc(model, e, steps=4))
    with pytest.warns(FutureWarning, match="faithfulness_curves"):
        _, old = metrics.deletion_auc(model, e, steps=4, return_curves=True)
    np.testing.assert_array_equal(old, metrics.faithfulness_curves(model, e, steps=4).curves)
    with pytest.raises(ValueError, match="mode must be"):
        metrics.faithfulness_curves(model, e, mode="both")
    assert isinstance(metrics.localization(e, [1], [1], [2]), Bunch)
    assert isinstance(metrics.stability(model, crops, "gradcam", seeds=(0, 1)), Bunch)

    result = metrics.compare_explainers(model, crops, ("gradcam",), seeds=(0,), steps=2)
    assert isinstance(result, metrics.ExplainerComparison)
    assert np.isnan(result.table.loc["gradcam", "stability_spearman"])  # one seed
    with pytest.warns(FutureWarning, match="return_explanations"):
        table, firsts = metrics.compare_explainers(model, crops, ("gradcam",), seeds=(0,),
                                                   steps=2, return_explanations=True)
    assert table.equals(result.table.assign(seconds_per_image=table["seconds_per_image"]))
    np.testing.assert_array_equal(firsts["gradcam"].heatmaps, e.heatmaps)


# --------------------------------------------------------- seeds and n_jobs
def test_absolute_seeds_and_n_jobs_give_the_serial_numbers(model, crops):
    params = {"lime": {"n_samples": 30, "segmentation": "slic",
                       "segmentation_params": {"n_segments": 12}},
              "shap": {"n_samples": 30, "segmentation_params": {"n_segments": 12}}}
    kw = {"seeds": (7, 11), "steps": 3, "method_params": params,
          "lesions": ([30] * 3, [30] * 3, [9] * 3)}
    one = metrics.compare_explainers(model, crops, n_jobs=1, **kw)
    two = metrics.compare_explainers(model, crops, n_jobs=2, **kw)
    cols = [c for c in one.table.columns if c != "seconds_per_image"]
    assert one.table[cols].equals(two.table[cols])
    for method in ("lime", "shap"):
        for seed, a, b in zip((7, 11), one.runs[method], two.runs[method]):
            np.testing.assert_array_equal(a.heatmaps, b.heatmaps)
            direct = explain(model, crops, method, random_state=seed, **params[method])
            np.testing.assert_array_equal(a.heatmaps, direct.heatmaps)  # absolute seeds
    st1 = metrics.stability(model, crops, "shap", seeds=(7, 11), n_jobs=1, **params["shap"])
    st2 = metrics.stability(model, crops, "shap", seeds=(7, 11), n_jobs=2, **params["shap"])
    np.testing.assert_array_equal(st1.spearman_per_image, st2.spearman_per_image)
    assert st1.spearman == one.table.loc["shap", "stability_spearman"]


def test_docstring_examples_run():
    import doctest
    import importlib

    for module in ("_registry", "_overlay", "_baseline",
                   "metrics._compare"):
        result = doctest.testmod(importlib.import_module(f"skmammo.explain.{module}"))
        assert result.failed == 0, module
