"""Calibration: does a predicted 0.97 mean 97%?

- :func:`check_probabilities`: predicted probabilities in [0, 1] whose rows
  sum to 1, or a clear error naming the row;
- :func:`calibration_scores`: expected calibration error (top-label and per
  class, equal-width bins), Brier score and log loss of one test set;
- :func:`reliability_table`: the top-label reliability diagram's bins
  (confidence, accuracy and count per bin).

:func:`~skmammo.evaluation.evaluate_predictions` adds the scores to every
evaluation (``Evaluation.calibration``), and the repeated evaluation gives
them intervals like every other score.

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

from skmammo.utils import TARGET_NAMES

__all__ = ["CALIBRATION_BINS", "SCORE_BOUNDS", "calibration_scores", "check_probabilities",
           "reliability_table"]

#: Equal-width bins of the expected calibration error and the reliability diagram.
CALIBRATION_BINS = 10

#: The range of every score that is not in [0, 1] (the multi-class Brier score sums the
#: squared errors over the classes; the log loss has no upper bound).
SCORE_BOUNDS: dict[str, tuple[float, float]] = {"brier": (0.0, 2.0),
                                                "log_loss": (0.0, math.inf)}


def check_probabilities(proba: Any, n_classes: int | None = None, *,
                        name: str = "probabilities", atol: float = 1e-4) -> np.ndarray:
    """``proba`` as a float array of shape ``(n, k)`` of probabilities, or a clear error.

    Every value must be finite and in [0, 1] and every row must sum to 1
    (within ``atol``: a float32 softmax is off by about 1e-7).

    Examples
    --------
    >>> check_probabilities([[0.5, 0.6]])
    Traceback (most recent call last):
    ...
    ValueError: probabilities: row 0 sums to 1.1, not 1; pass class probabilities \
(predict_proba), not scores
    """
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or (n_classes is not None and p.shape[1] != n_classes):
        want = "(n_samples, n_classes)" if n_classes is None else f"(n_samples, {n_classes})"
        raise ValueError(f"{name} must have shape {want}, got {p.shape}")
    if not np.isfinite(p).all():
        row = int(np.flatnonzero(~np.isfinite(p).all(axis=1))[0])
        raise ValueError(f"{name}: row {row} holds NaN or infinite values")
    outside = (p < -atol) | (p > 1 + atol)
    if outside.any():
        row, col = (int(i[0]) for i in np.nonzero(outside))
        raise ValueError(f"{name}: row {row} holds {p[row, col]:.4g}, outside [0, 1]; pass "
                         "class probabilities (predict_proba), not scores")
    sums = p.sum(axis=1)
    off = np.abs(sums - 1) > atol
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(f"{name}: row {row} sums to {sums[row]:.4g}, not 1; pass class "
                         "probabilities (predict_proba), not scores")
    return np.clip(p, 0.0, 1.0)


def _bin_index(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bins on [0, 1]: bin b holds (b/n, (b+1)/n], the first also 0."""
    return np.clip(np.ceil(values * n_bins).astype(int) - 1, 0, n_bins - 1)


def _ece(correct: np.ndarray, confidence: np.ndarray, n_bins: int) -> float:
    """Sum over bins of (bin share) x |mean outcome - mean confidence|."""
    bins = _bin_index(confidence, n_bins)
    n = len(confidence)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() / n * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def calibration_scores(y_true: Any, proba: Any, *, n_bins: int = CALIBRATION_BINS,
                       target_names: Sequence[str] = TARGET_NAMES) -> dict[str, float]:
    """Expected calibration errors, Brier score and log loss of one test set.

    - ``ece``: top-label expected calibration error, the predicted class's
      probability against how often the predicted class is right, in
      ``n_bins`` equal-width bins of that probability (Guo et al. 2017);
    - ``ece_<class>``: the same for each class's own probability against
      how often that class is true (class-wise, one-vs-rest);
    - ``brier``: mean over samples of the squared error summed over the
      classes, in [0, 2] (0 is perfect; one-hot wrong predictions score 2);
    - ``log_loss``: mean negative log probability of the true class.

    Parameters
    ----------
    y_true : array-like of int
        True classes ``0..k-1``.
    proba : array-like of shape (n, k)
        Predicted probabilities (checked by :func:`check_probabilities`).
    n_bins : int, default=10
        Equal-width bins on [0, 1].
    target_names : sequence of str
        Class names (``ece_<name>``).

    Examples
    --------
    >>> scores = calibration_scores([0, 1], [[0.9, 0.1, 0.0], [0.6, 0.4, 0.0]])
    >>> round(scores["ece"], 3), round(scores["brier"], 3)
    (0.35, 0.37)
    """
    names = list(target_names)
    k = len(names)
    y = np.asarray(y_true).astype(int)
    p = check_probabilities(proba, k)
    # a float32 softmax sums to 1 only to ~1e-7, which scikit-learn's log loss and Brier
    # score warn about: renormalised in float64 (check_probabilities allowed the drift)
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    if len(y) != len(p):
        raise ValueError(f"y_true has {len(y)} samples but the probabilities {len(p)} rows")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    predicted = p.argmax(axis=1)
    out = {"ece": _ece((predicted == y).astype(float), p.max(axis=1), n_bins)}
    for c, name in enumerate(names):
        out[f"ece_{name}"] = _ece((y == c).astype(float), p[:, c], n_bins)
    labels = np.arange(k)
    out["brier"] = float(brier_score_loss(y, p, labels=labels, scale_by_half=False))
    out["log_loss"] = float(log_loss(y, p, labels=labels))
    return out


def reliability_table(y_true: Any, proba: Any, *, n_bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """The top-label reliability diagram: one row per non-empty equal-width bin.

    Columns ``low``, ``high`` (the bin), ``confidence`` (mean probability of
    the predicted class), ``accuracy`` (how often it was right) and ``n``.
    A calibrated model has ``accuracy`` close to ``confidence`` in every bin.

    Examples
    --------
    >>> reliability_table([0, 1, 1], [[0.92, 0.08], [0.96, 0.04], [0.35, 0.65]])[["n", "accuracy"]]
       n  accuracy
    0  1       1.0
    1  2       0.5
    """
    y = np.asarray(y_true).astype(int)
    p = check_probabilities(proba)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    bins = _bin_index(confidence, n_bins)
    rows = [{"low": b / n_bins, "high": (b + 1) / n_bins,
             "confidence": float(confidence[bins == b].mean()),
             "accuracy": float(correct[bins == b].mean()), "n": int((bins == b).sum())}
            for b in np.unique(bins)]
    return pd.DataFrame(rows, columns=["low", "high", "confidence", "accuracy", "n"])
