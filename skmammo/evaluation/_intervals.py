"""Intervals of scores: t quantiles, and clipping to the range a score can take."""

from __future__ import annotations

import numpy as np

__all__ = ["clip_interval", "t_quantile"]


def clip_interval(low, high, bounds: tuple[float, float] = (0.0, 1.0)):
    """An interval clipped to the range its score can take (NaN stays NaN).

    Every score skmammo reports (accuracy, balanced accuracy, precision,
    recall, F1, ROC AUC) lies in [0, 1], and a difference of two in [-1, 1];
    a t interval can reach past the bound, which no score can.  Clipping
    keeps the interval's coverage and says only what is possible.

    Examples
    --------
    >>> clip_interval(0.62, 1.08)
    (0.62, 1.0)
    """
    lo, hi = bounds
    low, high = np.clip(low, lo, hi), np.clip(high, lo, hi)
    if np.ndim(low) == 0 and np.ndim(high) == 0:
        return float(low), float(high)
    return low, high


def t_quantile(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))
