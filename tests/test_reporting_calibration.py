"""Reports on trust: a recalibrated model (calibration, coverage, model card, the case's set) and the sanity check."""

from __future__ import annotations

import re
from html import unescape
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skmammo.evaluation import HeldOutCalibration, evaluate_calibrated
from skmammo.explain import Explanation
from skmammo.reporting import ReportBuilder

CROP = 24


@pytest.fixture(scope="module")
def calibrated():
    """A recalibrated logistic regression, its test-set CalibratedEvaluation and two cases."""
    rng = np.random.RandomState(0)
    y = np.repeat(rng.choice(3, 300, p=[0.5, 0.3, 0.2]), 2)
    X = np.eye(3)[y] * 1.5 + rng.normal(0, 1.2, (600, 3))
    groups = np.repeat(np.arange(300), 2)
    train, test = np.arange(400), np.arange(400, 600)
    model = HeldOutCalibration(LogisticRegression(), random_state=0).fit(
        X[train], y[train], groups[train])
    checked = evaluate_calibrated(model, X[test], y[test], y_train=y[train])
    rows = np.array([np.flatnonzero(y[test] == 0)[0], np.flatnonzero(y[test] == 2)[0]])
    films = [rng.randint(0, 200, (64, 64)).astype(np.uint8) for _ in rows]
    cases = pd.DataFrame({"image": films, "film": ["f1", "f2"], "x": [30.0, np.nan],
                          "y": [30.0, np.nan], "radius": [6.0, np.nan]})
    crops = np.stack([f[18:18 + CROP, 18:18 + CROP] for f in films])
    raw = checked.raw.y_proba[rows]
    e = Explanation(method="gradcam", heatmaps=np.ones((2, CROP, CROP)) / 2,
                    targets=raw.argmax(axis=1), probabilities=raw, images=crops,
                    boxes=np.array([[18, 18, 18 + CROP, 18 + CROP]] * 2, dtype=float))
    return checked, cases, rows, e


def _builder(calibrated, **kw):
    checked, cases, rows, e = calibrated
    return ReportBuilder(checked.calibrated, explanations={"gradcam": e}, cases=cases,
                         case_target=checked.calibrated.y_true[rows], calibration=checked,
                         case_rows=rows, **kw)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_case_report_shows_both_probabilities_and_its_prediction_set(calibrated):
    checked, _, rows, _ = calibrated
    text = _text(_builder(calibrated).case_html(1))
    own, recal = checked.raw.y_proba[rows[1]], checked.calibrated.y_proba[rows[1]]
    assert "class own recalibrated" in text
    for name, p, q in zip(["normal", "benign", "malignant"], own, recal):
        assert re.search(rf"{name}( \([a-z, ]+\))? {p:.3f} {q:.3f}", text), name
    expected = "{" + ", ".join(checked.set_labels(rows[1])) + "}"
    assert f"Prediction set at 90%: {expected}" in text
    assert ("holds the true class" in text) == ("malignant" in expected)
    d = checked.calibration
    assert f"fitted on {d['rows']} rows of {d['patients']} patients held out from training" in text
    assert "temperature scaling, temperature" in text


def test_the_case_reports_the_recalibrated_class_when_recalibration_changes_it():
    # Isotonic scaling can change the top class (temperature scaling cannot): the case
    # report's prediction and verdict are then the recalibrated ones, as in the summary.
    rng = np.random.RandomState(1)
    y = np.repeat(rng.choice(3, 300, p=[0.5, 0.3, 0.2]), 2)
    X = np.eye(3)[y] * 1.0 + rng.normal(0, 1.2, (600, 3))
    groups = np.repeat(np.arange(300), 2)
    model = HeldOutCalibration(LogisticRegression(), method="isotonic", random_state=0).fit(
        X[:400], y[:400], groups[:400])
    checked = evaluate_calibrated(model, X[400:], y[400:], y_train=y[:400])
    own, recal = checked.raw.y_proba, checked.calibrated.y_proba
    changed = np.flatnonzero(own.argmax(axis=1) != recal.argmax(axis=1))
    assert len(changed) > 0
    row = changed[:1]
    film = rng.randint(0, 200, (64, 64)).astype(np.uint8)
    cases = pd.DataFrame({"image": [film], "film": ["f1"], "x": [np.nan], "y": [np.nan],
                          "radius": [np.nan]})
    e = Explanation(method="gradcam", heatmaps=np.ones((1, CROP, CROP)) / 2,
                    targets=own[row].argmax(axis=1), probabilities=own[row],
                    images=film[None, :CROP, :CROP],
                    boxes=np.array([[0, 0, CROP, CROP]], dtype=float))
    text = _text(ReportBuilder(checked.calibrated, explanations={"gradcam": e}, cases=cases,
                               case_target=y[400:][row], calibration=checked,
                               case_rows=row).case_html(0))
    names = ["normal", "benign", "malignant"]
    reported, network = names[recal[row[0]].argmax()], names[own[row[0]].argmax()]
    assert f"Predicted class: {reported} (recalibrated; the network's own top class was " \
        f"{network})" in text
    correct = recal[row[0]].argmax() == y[400:][row[0]]
    assert ("Correct" if correct else "Misclassified") in text


@pytest.mark.parametrize("confidence, level", [(0.9, "90%"), (0.975, "97.5%"), (0.999, "99.9%")])
def test_the_set_level_is_printed_as_given_not_rounded_up(calibrated, confidence, level):
    from skmammo.reporting._common import calibration_text

    described = dict(calibrated[0].calibration, confidence=confidence)
    assert calibration_text(described, ["normal", "benign", "malignant"])["level"] == level


def test_the_summary_compares_own_and_recalibrated_and_shows_coverage_and_the_card(calibrated):
    checked = calibrated[0]
    b = _builder(calibrated, dataset="toy blobs", splits={"train": np.zeros(400, int),
                                                          "test": checked.calibrated.y_true},
                 data_description="Toy blobs\n---------\n\nThree overlapping classes.\n\nMore.")
    text = _text(b.summary_html())
    raw, cal = checked.raw.calibration["ece"], checked.calibrated.calibration["ece"]
    assert f"expected calibration error (top label) {raw:.3f} {cal:.3f}" in text
    assert ("recalibration lowered the expected" in text) == (cal < raw)
    coverage = checked.set_table.loc["all", "coverage"]
    assert re.search(rf"all 200 {coverage:.3f} ", text)
    from skmammo.evaluation import conformal_coverage_band

    t = checked.set_table
    low, expected, high = conformal_coverage_band(0.9, [
        (n, int(t.loc[name, "n"])) for n, name in zip(checked.calibration["counts"].values(),
                                                       ["normal", "benign", "malignant"])])
    assert f"between {low:.3f} and {high:.3f} in 95% of draws" in text
    assert f"cover {expected:.3f} of the 200 test samples in expectation" in text
    assert "Model card" in text and "About the data: Three overlapping classes." in text
    assert "Diagnosis, screening or any decision about a patient" in text
    ids = re.findall(r'<section id="([a-z_]+)"', b.summary_html())
    assert ids.index("model_card") == len(ids) - 2  # just before the provenance


def test_case_rows_must_match_the_cases(calibrated):
    checked, cases, rows, e = calibrated
    with pytest.raises(ValueError, match="case_rows"):
        ReportBuilder(checked.calibrated, explanations={"gradcam": e}, cases=cases,
                      case_target=checked.calibrated.y_true[rows], calibration=checked)
    with pytest.raises(ValueError, match="class differs"):
        ReportBuilder(checked.calibrated, explanations={"gradcam": e}, cases=cases,
                      case_target=checked.calibrated.y_true[rows], calibration=checked,
                      case_rows=rows[::-1])


def test_evaluate_calibrated_sets_are_the_models_and_their_table_agrees():
    rng = np.random.RandomState(1)
    y = np.repeat([0, 1, 2], 120)
    X = y[:, None] + rng.normal(0, 1.0, (360, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 72 calibration rows: no fallback warning
        model = HeldOutCalibration(LogisticRegression(), random_state=0).fit(X, y)
    checked = evaluate_calibrated(model, X, y)
    np.testing.assert_array_equal(checked.sets, model.predict_set(X))
    hit = checked.sets[np.arange(len(y)), y]
    assert checked.set_table.loc["all", "coverage"] == pytest.approx(hit.mean())
    assert checked.set_table.loc["benign", "mean_size"] == pytest.approx(
        checked.sets[y == 1].sum(axis=1).mean())
    with pytest.raises(TypeError, match="HeldOutCalibration"):
        evaluate_calibrated(LogisticRegression().fit(X, y), X, y)


def test_the_summary_shows_each_methods_randomisation_test(calibrated):
    from skmammo.explain import SanityCheck

    layers = ["dense_1", "dense", "conv3", "conv2", "conv1"]
    falling = pd.DataFrame({"layer": layers, "spearman": [0.8, 0.6, 0.3, 0.1, 0.05],
                            "ssim": [0.7, 0.5, 0.2, 0.1, 0.0], "n_images": 2})
    flat = falling.assign(spearman=0.99, ssim=0.98)
    b = _builder(calibrated, explainer_table=pd.DataFrame({"seconds_per_image": [0.1]},
                                                          index=["gradcam"]),
                 sanity={"hirescam": SanityCheck("model_randomization", "hirescam", falling,
                                                  0.5, True),
                         "gradcam": SanityCheck("model_randomization", "gradcam", flat,
                                                0.5, False)})
    text = _text(b.summary_html())
    assert "HiResCAM 0.050 0.000 passes" in text and "Grad-CAM 0.990 0.980 fails" in text
    assert "Failed here: Grad-CAM." in text and "the 2 explained crops" in text
