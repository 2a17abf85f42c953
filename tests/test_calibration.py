"""Calibration scores against hand computations, bad input, and their intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skmammo.evaluation import (
    calibration_scores,
    check_probabilities,
    evaluate_predictions,
    reliability_table,
    repeated_evaluation,
)

# Four samples worked out on paper (10 equal-width bins).
Y = np.array([0, 1, 2, 0])
P = np.array([[0.72, 0.18, 0.10],   # predicted 0 (right), confidence 0.72 -> bin 0.7-0.8
              [0.33, 0.55, 0.12],   # predicted 1 (right), 0.55 -> bin 0.5-0.6
              [0.15, 0.61, 0.24],   # predicted 1 (wrong), 0.61 -> bin 0.6-0.7
              [0.48, 0.44, 0.08]])  # predicted 0 (right), 0.48 -> bin 0.4-0.5


def test_scores_match_hand_computations():
    s = calibration_scores(Y, P)
    # top-label: one sample per bin, |right - confidence| / 4
    assert s["ece"] == pytest.approx((0.28 + 0.45 + 0.61 + 0.52) / 4)
    # class 0's own probability: bins 0.7-0.8 (0.72, true), 0.3-0.4 (0.33, false),
    # 0.1-0.2 (0.15, false), 0.4-0.5 (0.48, true)
    assert s["ece_normal"] == pytest.approx((0.28 + 0.33 + 0.15 + 0.52) / 4)
    # class 2: 0.10 -> bin 0.0-0.1, 0.12 and 0.24 -> own bins, 0.08 -> bin 0.0-0.1 (two false)
    assert s["ece_malignant"] == pytest.approx((2 * 0.09 + 0.12 + 0.76) / 4)
    brier = np.mean(((P - np.eye(3)[Y]) ** 2).sum(axis=1))
    assert s["brier"] == pytest.approx(brier)
    assert s["log_loss"] == pytest.approx(-np.mean(np.log(P[np.arange(4), Y])))


def test_perfect_and_overconfident_models():
    y = np.repeat([0, 1, 2], 10)
    assert calibration_scores(y, np.eye(3)[y])["ece"] == pytest.approx(0.0)
    assert calibration_scores(y, np.eye(3)[y])["brier"] == pytest.approx(0.0)
    wrong = np.eye(3)[(y + 1) % 3]  # certain and always wrong
    s = calibration_scores(y, wrong)
    assert s["ece"] == pytest.approx(1.0) and s["brier"] == pytest.approx(2.0)


def test_reliability_table_bins():
    table = reliability_table(Y, P)
    assert list(table.columns) == ["low", "high", "confidence", "accuracy", "n"]
    assert table["n"].sum() == 4 and list(table["low"]) == pytest.approx([0.4, 0.5, 0.6, 0.7])
    assert list(table["accuracy"]) == [1.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize("proba, match", [
    ([[0.7, 0.5, -0.2]], r"row 0 holds -0.2, outside \[0, 1\]"),
    ([[0.5, 0.3, 0.1]], "row 0 sums to 0.9, not 1"),
    ([[0.5, 0.5]], r"shape \(n_samples, 3\)"),
    ([[np.nan, 0.5, 0.5]], "NaN"),
])
def test_bad_probabilities_are_clear_errors(proba, match):
    with pytest.raises(ValueError, match=match):
        check_probabilities(proba, 3)
    with pytest.raises(ValueError, match=match):
        calibration_scores([0], proba)


def test_evaluations_carry_calibration_with_intervals_in_range(toy_frame, toy_pipe):
    ev = evaluate_predictions(Y, P)
    assert ev.calibration == calibration_scores(Y, P)
    assert ev.to_dict()["calibration"]["brier"] == pytest.approx(ev.calibration["brier"])
    assert evaluate_predictions(Y, y_pred=Y).calibration == {}

    X, y, groups = toy_frame(30)
    res = repeated_evaluation(toy_pipe(), X, y, groups=groups, protocol="grouped", n_runs=1,
                              n_splits=3, random_state=0)
    for metric in ("ece", "ece_benign", "brier", "log_loss"):
        assert metric in res.runs and res.summary.loc[metric, "n"] == 3
    summary = res.summary
    assert summary.loc["log_loss", "ci_high"] > 0 and math.isfinite(summary.loc["log_loss", "ci_high"])
    assert (summary["ci_low"] >= 0).all()
    assert summary.loc["brier", "ci_high"] <= 2
    bounded = summary.drop(index=["brier", "log_loss"])
    assert (bounded["ci_high"] <= 1).all()
