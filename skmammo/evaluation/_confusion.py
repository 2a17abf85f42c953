"""The scores of a confusion matrix, the way Balve & Hendrix (2024) computed their tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from skmammo.utils import TARGET_NAMES

__all__ = ["confusion_scores"]


def confusion_scores(confusion: Any, *, target_names: Sequence[str] = TARGET_NAMES) -> dict[str, float]:
    """Scores of one confusion matrix, as Balve & Hendrix (2024) computed their Tables 1-3.

    The study scored the mean confusion matrix of its 10 runs, not each run:
    accuracy is its trace over its sum, recall a diagonal entry over its row,
    precision over its column; balanced accuracy is the mean recall over the
    classes present (rows with a positive sum) and macro F1 the mean of the
    per-class F1 (0 where precision and recall are both 0).  The matrix may
    hold counts or mean counts (floats).

    Parameters
    ----------
    confusion : array-like of shape (n_classes, n_classes)
        Rows true classes, columns predicted classes.
    target_names : sequence of str
        Class names, for the per-class keys.

    Returns
    -------
    dict of str to float
        ``accuracy``, ``balanced_accuracy``, ``macro_f1`` and, per class,
        ``precision_<class>``, ``recall_<class>``, ``f1_<class>`` (recall is
        NaN for a class with no true sample, precision 0 for a class never
        predicted).

    Examples
    --------
    >>> from skmammo.evaluation import confusion_scores
    >>> s = confusion_scores([[28, 1.2, 1.8], [0, 5.4, 3.6], [1.2, 3, 3.8]])
    >>> round(s["accuracy"], 3), round(s["balanced_accuracy"], 3), round(s["macro_f1"], 3)
    (0.775, 0.659, 0.651)
    """
    cm = np.asarray(confusion, dtype=float)
    k = len(target_names)
    if cm.shape != (k, k):
        raise ValueError(f"confusion must be a square matrix of shape {(k, k)} (one row and "
                         f"column per class of target_names), got shape {cm.shape}")
    if not np.isfinite(cm).all() or (cm < 0).any() or cm.sum() <= 0:
        raise ValueError("confusion must hold finite, non-negative counts with a positive sum")
    diag = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(cm.sum(1) > 0, diag / cm.sum(1), np.nan)
        precision = np.where(cm.sum(0) > 0, diag / cm.sum(0), 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    scores = {
        "accuracy": float(diag.sum() / cm.sum()),
        "balanced_accuracy": float(np.nanmean(recall)),
        "macro_f1": float(np.mean(f1)),
    }
    for i, name in enumerate(target_names):
        scores[f"precision_{name}"] = float(precision[i])
        scores[f"recall_{name}"] = float(recall[i])
        scores[f"f1_{name}"] = float(f1[i])
    return scores
