"""Paired comparisons of explanation methods on the same images.

Two methods explaining the same crops are paired image by image: a pointing
game hit is a yes/no per image, compared with the exact McNemar test (a
two-sided binomial test on the images where exactly one of the two hits);
the continuous per-image scores (relevance mass and rank accuracy,
deletion and insertion AUC) with the Wilcoxon signed-rank test.  The input
is :attr:`~skmammo.explain.metrics.ExplainerComparison.per_image`, or the
concatenation of several of them (every fold of a cross-validation: give
each fold's images distinct ``image`` labels, e.g. ``fold:position``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["paired_methods"]

#: The per-image scores and the test that pairs them.
_TESTS = {"pointing_game": "exact McNemar", "positive_share": "Wilcoxon signed-rank",
          "rank_accuracy": "Wilcoxon signed-rank", "deletion_auc": "Wilcoxon signed-rank",
          "insertion_auc": "Wilcoxon signed-rank"}


def _mcnemar(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact McNemar: the discordant pairs ``(a hits, b misses)`` against ``(a misses, b hits)``."""
    from scipy.stats import binomtest

    only_a, only_b = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    if only_a + only_b == 0:
        return 0.0, 1.0
    return float(only_a - only_b), float(binomtest(only_a, only_a + only_b, 0.5).pvalue)


def _wilcoxon(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from scipy.stats import wilcoxon

    d = a - b
    if not np.any(d != 0):
        return 0.0, 1.0
    result = wilcoxon(a, b, zero_method="wilcox")
    return float(result.statistic), float(result.pvalue)


def paired_methods(per_image: pd.DataFrame, metric: str = "pointing_game", *,
                   pairs: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Every pair of methods on the images both scored, with the paired test.

    Parameters
    ----------
    per_image : DataFrame
        Columns ``method``, ``image`` and ``metric``
        (:attr:`ExplainerComparison.per_image`); images with NaN (no lesion)
        are left out of that pair.
    metric : str, default="pointing_game"
        ``pointing_game`` (exact McNemar), or ``positive_share``,
        ``rank_accuracy``, ``deletion_auc``, ``insertion_auc`` (Wilcoxon
        signed-rank).
    pairs : sequence of (str, str), optional
        The pairs to compare; default every pair, in the order the methods
        first appear.

    Returns
    -------
    DataFrame
        One row per pair: ``a``, ``b``, ``metric``, ``mean_a``, ``mean_b``,
        ``difference`` (mean of a minus b), ``n`` (images paired), ``test``,
        ``statistic`` (McNemar: hits only a minus hits only b; Wilcoxon: the
        signed-rank statistic), ``p_value`` (two-sided; 1.0 when the two
        never differ).  No correction for the number of pairs is made: read
        many pairs with that in mind.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["a"] * 4 + ["b"] * 4, "image": [0, 1, 2, 3] * 2,
    ...                   "pointing_game": [1, 1, 1, 0, 0, 0, 1, 0]})
    >>> row = paired_methods(t).iloc[0]
    >>> row["a"], row["b"], float(row["difference"]), round(float(row["p_value"]), 3)
    ('a', 'b', 0.5, 0.5)
    """
    if metric not in _TESTS:
        raise ValueError(f"metric must be one of {sorted(_TESTS)}, got {metric!r}")
    missing = {"method", "image", metric} - set(per_image.columns)
    if missing:
        raise ValueError(f"per_image lacks the column(s) {sorted(missing)}; pass "
                         "ExplainerComparison.per_image")
    wide = per_image.pivot_table(index="image", columns="method", values=metric,
                                 aggfunc="first", dropna=False)
    methods = list(dict.fromkeys(per_image["method"]))
    if pairs is None:
        pairs = list(combinations(methods, 2))
    rows = []
    for a, b in pairs:
        for name in (a, b):
            if name not in wide.columns:
                raise ValueError(f"no per-image {metric} of method {name!r}; methods: {methods}")
        both = wide[[a, b]].dropna()
        x, y = both[a].to_numpy(float), both[b].to_numpy(float)
        test = _TESTS[metric]
        statistic, p = (_mcnemar if test == "exact McNemar" else _wilcoxon)(x, y)
        rows.append({"a": a, "b": b, "metric": metric, "mean_a": float(np.mean(x)) if len(x) else np.nan,
                     "mean_b": float(np.mean(y)) if len(y) else np.nan,
                     "difference": float(np.mean(x - y)) if len(x) else np.nan, "n": len(x),
                     "test": test, "statistic": statistic, "p_value": p})
    return pd.DataFrame(rows)
