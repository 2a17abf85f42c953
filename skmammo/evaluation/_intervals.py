"""Intervals of scores: t quantiles, per-run summaries, and clipping to the range a score can take."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["clip_interval", "score_summary", "t_quantile"]


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


def score_summary(values: pd.DataFrame, *, grouped_ratio: float | None = None,
                  bounds: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Mean, standard deviation and 95% interval of per-run scores, one row per score.

    Parameters
    ----------
    values : DataFrame
        One row per training, one column per score (NaN where undefined).
    grouped_ratio : float, optional
        Mean test-to-training size ratio of k-fold runs: the interval is then
        the Nadeau-Bengio corrected resampled t (variance times
        ``1 / n + ratio``), as the trainings share training rows.  None: the
        plain t interval of independent runs.
    bounds : mapping of score to (low, high), optional
        The range of scores not in [0, 1]; every interval is clipped to its
        score's range (:func:`clip_interval`).

    Returns
    -------
    DataFrame
        Index ``metric``; columns ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
    """
    mean = values.mean()
    std = values.std(ddof=1) if len(values) > 1 else values.std(ddof=0)
    count = values.count()
    factor = (lambda c: math.sqrt(1.0 / c + grouped_ratio)) if grouped_ratio is not None \
        else (lambda c: 1 / math.sqrt(c))
    half = np.array([t_quantile(int(c) - 1) * s * factor(c) if c > 1 else np.nan
                     for s, c in zip(std, count)])
    limits = np.array([(bounds or {}).get(c, (0.0, 1.0)) for c in values.columns]).reshape(-1, 2).T
    low, high = clip_interval((mean - half).to_numpy(float), (mean + half).to_numpy(float),
                              (limits[0], limits[1]))
    summary = pd.DataFrame({"mean": mean, "std": std, "ci_low": low, "ci_high": high,
                            "n": count})
    summary.index.name = "metric"
    return summary
