"""Shortcut probes, the paired test and bounded intervals, on small synthetic data (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline as sk_pipeline

from skmammo.datasets import make_synthetic_mammograms
from skmammo.evaluation import (
    BASELINE,
    PROBES,
    RepeatedEvaluation,
    ShortcutProbe,
    clip_interval,
    paired_comparison,
    paired_table,
    repeated_evaluation,
    shortcut_features,
    shortcut_probes,
    shortcut_scores,
)
from skmammo.preprocessing import CLAHE, Denoiser, ROICropper


@pytest.fixture(scope="module")
def films():
    # Without pixel_mm: native sides in film pixels.
    b = make_synthetic_mammograms(90, image_size=128, random_state=0)
    return b.frame.drop(columns="pixel_mm"), np.asarray(b.target), np.asarray(b.groups)


NATIVE = ROICropper(mode="native")


class SeededCropper(BaseEstimator):
    """A stand-in for a seeded cropper: a fixed 40-px window at a seeded offset from the lesion."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        self.offset_ = np.random.RandomState(self.random_state).randint(-10, 11)
        return self

    def crop_boxes(self, X):
        x = X["x"].fillna(64).to_numpy(float) + self.offset_
        y = X["y"].fillna(64).to_numpy(float)
        return np.stack([x - 20, y - 20, x + 20, y + 20], axis=1)


def test_features_native_side_depth_background(films):
    X, y, _ = films
    F = shortcut_features(NATIVE, X)
    assert list(F.columns) == ["log_side", "depth", "vertical", "background"]
    assert F.index.equals(X.index)
    side = np.exp(F["log_side"])
    # native mode: every normal crop is 257 px, lesions max(97, 3r) -- the side tells the class
    assert np.allclose(side[y == 0], 257) and (side[y > 0] < 257).all()
    assert F["depth"].between(-1, 1).all() and F["background"].between(0, 1).all()
    # a 257-px crop of a 128-px film is mostly padding
    assert (F["background"][y == 0] > 0.7).all()
    # millimetres where the frame knows its pixel size
    F_mm = shortcut_features(NATIVE, X.assign(pixel_mm=0.2))
    np.testing.assert_allclose(F_mm["log_side"], F["log_side"] + np.log(0.2))
    np.testing.assert_allclose(F_mm[["depth", "background"]], F[["depth", "background"]])


def test_background_counts_padding_and_dark_pixels():
    film = np.zeros((100, 100), np.uint8)
    film[:, 50:] = 120  # right half tissue
    X = pd.DataFrame({"image": [film, film], "x": [75.0, 25.0], "y": [50.0, 50.0],
                      "radius": [5.0, 5.0]})

    class Box(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def crop_boxes(self, X):
            return np.array([[50, 0, 100, 50], [-50, 0, 50, 100]], float)

    F = shortcut_features(Box(), X)
    assert F["background"].tolist() == pytest.approx([0.0, 1.0])
    assert F["depth"][0] > 0 > F["depth"][1]
    # rows 0..49 of 100: centre 25 rows above the middle, half of half the height; rows 0..99: 0
    assert F["vertical"].tolist() == pytest.approx([0.5, 0.0])


def test_features_through_a_pipeline_of_film_steps(films):
    X, _, _ = films
    steps = sk_pipeline(Denoiser(), CLAHE(), ROICropper(mode="study")).fit(X)
    F = shortcut_features(steps, X)
    direct = ROICropper(mode="study").crop_boxes(CLAHE().transform(Denoiser().transform(X)))
    side = np.sqrt((direct[:, 2] - direct[:, 0]) * (direct[:, 3] - direct[:, 1]))
    np.testing.assert_allclose(F["log_side"], np.log(side))
    with pytest.raises(TypeError, match="crop_boxes"):
        shortcut_features(LogisticRegression(), X)


def test_probe_is_a_classifier_and_gets_the_run_seed(films):
    X, y, groups = films
    probe = ShortcutProbe(NATIVE, features=["log_side"], model="tree", random_state=0).fit(X, y)
    assert probe.classes_.tolist() == [0, 1, 2]
    assert probe.predict_proba(X).shape == (len(X), 3) and probe.score(X, y) > 0.6
    with pytest.raises(ValueError, match="features must be"):
        ShortcutProbe(features=["colour"]).fit(X, y)
    with pytest.raises(ValueError, match="model must be"):
        ShortcutProbe(model="forest").fit(X, y)
    res = repeated_evaluation(ShortcutProbe(cropper=SeededCropper(), model="tree"), X, y,
                              groups=groups, protocol="grouped", n_runs=2, n_splits=3,
                              random_state=0, return_estimators=True)
    for est, seed in zip(res.estimators, res.runs["seed"]):
        assert est.random_state == seed and est.cropper_.random_state == seed
        assert est.cropper_.offset_ == SeededCropper(seed).fit(X).offset_


def test_probes_share_the_networks_folds_and_match_a_single_probe(films):
    X, y, groups = films
    kw = {"groups": groups, "n_runs": 2, "n_splits": 3, "random_state": 7}
    probes = shortcut_probes(X, y, cropper=NATIVE, **kw)
    assert list(probes) == list(PROBES)
    other = repeated_evaluation(DummyClassifier(), X, y, protocol="grouped", **kw)
    for res in probes.values():
        assert len(res.splits) == len(other.splits) == 6 and not res.variants
        for (tr, te), (tr2, te2) in zip(res.splits, other.splits):
            np.testing.assert_array_equal(tr, tr2)
            np.testing.assert_array_equal(te, te2)
    # the shared fit predicts exactly what one probe fitted alone predicts
    alone = repeated_evaluation(ShortcutProbe(NATIVE, features=("depth",), model="tree"), X, y,
                                protocol="grouped", **kw)
    cols = ["balanced_accuracy", "macro_f1", "macro_roc_auc"]
    pd.testing.assert_frame_equal(probes["depth / tree"].runs[cols], alone.runs[cols])
    # native crops: the side alone finds normal vs lesion
    assert probes["side / tree"].summary.loc["balanced_accuracy", "mean"] > 0.6
    # one split
    scores = shortcut_scores(X.iloc[:60], y[:60], X.iloc[60:], y[60:], cropper=NATIVE,
                             random_state=0)
    assert list(scores.index) == list(PROBES)
    assert scores["balanced_accuracy"].between(0, 1).all()


def _made_up(a_scores, b_scores, n_test=20, n_train=80, protocol="grouped"):
    """Two RepeatedEvaluations from made-up per-fold scores on the same splits."""
    out = []
    for scores in (a_scores, b_scores):
        J = len(scores)
        runs = pd.DataFrame({"run": np.arange(J) // 5, "fold": np.arange(J) % 5,
                             "n_train": n_train, "n_test": n_test,
                             "balanced_accuracy": scores,
                             "baseline_balanced_accuracy": np.full(J, 1 / 3)})
        splits = [(np.arange(j, j + 80), np.arange(j + 80, j + 100)) for j in range(J)]
        out.append(RepeatedEvaluation(protocol, runs, pd.DataFrame(), np.zeros((3, 3)),
                                      np.zeros((3, 3)), splits))
    return out


def test_paired_test_matches_a_hand_computation():
    a = np.array([0.60, 0.55, 0.70, 0.65, 0.58, 0.62, 0.66, 0.59, 0.61, 0.64])
    b = np.array([0.50, 0.52, 0.55, 0.60, 0.49, 0.51, 0.58, 0.57, 0.50, 0.53])
    ra, rb = _made_up(a, b)
    c = paired_comparison(ra, rb)
    d = a - b
    J = len(d)
    se = np.sqrt((1 / J + 20 / 80) * d.var(ddof=1))
    t = d.mean() / se
    assert c.n == J and c.difference == pytest.approx(d.mean())
    assert c.t == pytest.approx(t)
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(t), J - 1))
    half = stats.t.ppf(0.975, J - 1) * se
    assert (c.ci_low, c.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert (c.mean_a, c.mean_b) == pytest.approx((a.mean(), b.mean()))
    # the majority baseline pairs with the model on the same fold
    base = paired_comparison(ra, BASELINE)
    assert base.difference == pytest.approx(a.mean() - 1 / 3)
    table = paired_table(ra, {"b": rb})
    assert table.index.tolist() == ["b", BASELINE]
    assert table.loc["b", "p_value"] == pytest.approx(c.p_value)


def test_paired_test_refuses_other_splits_and_the_study_protocol():
    a, b = _made_up(np.full(10, 0.6), np.full(10, 0.5))
    b.splits = [(tr + 1, te) for tr, te in b.splits]
    with pytest.raises(ValueError, match="same splits"):
        paired_comparison(a, b)
    a, b = _made_up(np.full(10, 0.6), np.full(10, 0.5), protocol="study")
    with pytest.raises(ValueError, match="protocol='grouped'"):
        paired_comparison(a, b)
    with pytest.raises(ValueError, match="RepeatedEvaluation or"):
        paired_comparison(a, "chance")


def test_difference_interval_is_clipped_to_minus_one_one():
    a, b = _made_up(np.array([1.0, 1.0, 1.0, 0.0, 1.0] * 2), np.zeros(10))
    c = paired_comparison(a, b)
    assert -1 <= c.ci_low <= c.ci_high == 1.0


def test_differences_of_wider_scores_are_clipped_to_their_own_range():
    """Brier scores lie in [0, 2], log losses in [0, inf): their differences are not in [-1, 1]."""
    a = np.array([1.9, 1.7, 1.8, 1.6, 1.9, 1.8, 1.7, 1.9, 1.8, 1.6])
    b = np.array([0.2, 0.1, 0.3, 0.2, 0.1, 0.2, 0.3, 0.1, 0.2, 0.2])
    for metric in ("brier", "log_loss"):
        ra, rb = _made_up(a, b)
        for r, scores in ((ra, a), (rb, b)):
            r.runs[metric] = scores
        c = paired_comparison(ra, rb, metric=metric)
        d = a - b
        half = stats.t.ppf(0.975, 9) * np.sqrt((1 / 10 + 20 / 80) * d.var(ddof=1))
        assert (c.ci_low, c.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
        assert c.ci_low < c.difference < c.ci_high


def test_intervals_never_leave_zero_one():
    assert clip_interval(-0.2, 1.3) == (0.0, 1.0)
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 12)
    X = y[:, None] + rng.normal(0, 0.45, (36, 1))
    res = repeated_evaluation(LogisticRegression(), X, y, groups=np.arange(36) // 2,
                              protocol="grouped", n_runs=2, n_splits=3, random_state=0)
    s = res.summary.dropna()
    assert (s["ci_low"] >= 0).all() and (s["ci_high"] <= 1).all()
    assert (s["ci_low"] <= s["mean"]).all() and (s["mean"] <= s["ci_high"]).all()
    # some interval did reach past 1 before clipping
    assert ((s["ci_high"] == 1.0) & (s["std"] > 0)).any()


def test_report_shows_the_probes_beside_the_model(films):
    from skmammo.evaluation import evaluate
    from skmammo.reporting import ReportBuilder

    X, y, groups = films
    X = X.assign(pixel_mm=1.6)  # the default window: 32 of the 128 pixels
    kw = {"groups": groups, "n_runs": 1, "n_splits": 3, "random_state": 0}
    model = ShortcutProbe(features=("depth",), model="tree")
    reference = repeated_evaluation(model, X, y, protocol="grouped", **kw)
    probes = shortcut_probes(X, y, probes={k: PROBES[k] for k in ("side / tree", "depth / tree")},
                             **kw)
    table = paired_table(reference, probes)
    assert table.loc["depth / tree", "difference"] == pytest.approx(0.0)
    ev = evaluate(model.fit(X.iloc[:60], y[:60]), X.iloc[60:], y[60:], y_train=y[:60])
    shortcuts = {"test": shortcut_scores(X.iloc[:60], y[:60], X.iloc[60:], y[60:]),
                 "repeated": probes, "paired": table}
    html = ReportBuilder(ev, repeated=reference, shortcuts=shortcuts).summary_html()
    assert '<section id="shortcuts"' in html and "Shortcut probes" in html
    assert "side / tree" in html and "all four / logistic" in html and "majority baseline" in html
    assert html.count("clipped to [0, 1]") >= 2 and "Nadeau" in html
    assert '<section id="shortcuts"' not in ReportBuilder(ev).summary_html()


@pytest.mark.parametrize("module", ["_shortcuts", "_probes", "_paired"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"skmammo.evaluation.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_probe_on_film_steps_sees_the_films_as_the_network_does(films):
    X, y, _ = films
    X = X.assign(pixel_mm=1.6)
    steps = sk_pipeline(Denoiser(), CLAHE(), ROICropper())
    probe = ShortcutProbe(cropper=steps, model="tree", random_state=0).fit(X, y)
    direct = ShortcutProbe(cropper=ROICropper(), model="tree", random_state=0).fit(
        CLAHE().transform(Denoiser().transform(X)), y)
    np.testing.assert_array_equal(probe.predict_proba(X), direct.predict_proba(
        CLAHE().transform(Denoiser().transform(X))))


def _flat(crops):
    return np.asarray(crops, dtype=float).reshape(len(crops), -1)


def test_hold_out_fits_the_cropper_on_the_rows_a_recalibrated_network_trained_on(films):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from skmammo.evaluation import HeldOutCalibration

    X, y, groups = films
    X = X.assign(pixel_mm=1.6)  # 32-px windows whose normal placement is learned in fit
    network = HeldOutCalibration(Pipeline([
        ("crop", ROICropper(size=8)), ("flat", FunctionTransformer(_flat)),
        ("model", LogisticRegression(max_iter=200))]))
    kw = {"groups": groups, "protocol": "grouped", "n_runs": 1, "n_splits": 3,
          "random_state": 3, "return_estimators": True, "fit_groups": True}
    fitted = repeated_evaluation(network, X, y, **kw).estimators
    held = repeated_evaluation(ShortcutProbe(ROICropper(), hold_out=0.2), X, y, **kw).estimators
    every = repeated_evaluation(ShortcutProbe(ROICropper()), X, y, **kw).estimators
    differs = 0
    for net, probe, plain in zip(fitted, held, every):
        boxes = net.estimator_["crop"].crop_boxes(X)
        np.testing.assert_array_equal(probe.cropper_.crop_boxes(X), boxes)
        differs += not np.array_equal(plain.cropper_.crop_boxes(X), boxes)
    assert differs  # fitted on every training row, the normal windows move
    # one split, as skmammo run's test part: the same rows as HeldOutCalibration.fit's
    net = HeldOutCalibration(network.estimator.set_params(crop__random_state=5), random_state=5)
    net.fit(X[:60], y[:60], groups[:60])
    one = ShortcutProbe(ROICropper(random_state=5), hold_out=0.2, random_state=5)
    one.fit(X[:60], y[:60], groups=groups[:60])
    np.testing.assert_array_equal(one.cropper_.crop_boxes(X), net.estimator_["crop"].crop_boxes(X))
    scores = shortcut_scores(X[:60], y[:60], X[60:], y[60:], cropper=ROICropper(),
                             hold_out=0.2, groups=groups[:60], random_state=5)
    assert scores["balanced_accuracy"].between(0, 1).all()
