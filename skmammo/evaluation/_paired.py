"""Paired comparisons of two repeated evaluations on the same patient-grouped folds.

:func:`paired_comparison` tests the per-fold differences of one score with
the corrected resampled t-test of Nadeau & Bengio (2003);
:func:`paired_table` compares one model with several others and with its own
majority baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from skmammo.evaluation._calibration import SCORE_BOUNDS
from skmammo.evaluation._intervals import clip_interval, t_quantile
from skmammo.evaluation._repeated import RepeatedEvaluation

__all__ = ["BASELINE", "PairedComparison", "paired_comparison", "paired_table"]

#: Pass as ``b`` to compare a model with its own majority baseline, fold by fold.
BASELINE = "majority baseline"


@dataclass(frozen=True)
class PairedComparison:
    """The result of :func:`paired_comparison`.

    Attributes
    ----------
    metric : str
    mean_a, mean_b : float
        Mean score of each side over the folds.
    difference : float
        Mean of the per-fold differences ``a - b``.
    ci_low, ci_high : float
        95% interval of the difference (corrected resampled t, Nadeau &
        Bengio 2003), clipped to the range a difference can take ([-1, 1]
        for scores in [0, 1]).
    t : float
        The corrected t statistic.
    p_value : float
        Two-sided p-value, ``J - 1`` degrees of freedom.
    n : int
        ``J``, the number of paired folds (folds x repeats).
    """

    metric: str
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    t: float
    p_value: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        """The comparison as a one-row table."""
        return pd.DataFrame([asdict(self)])


def _check_pair(a: RepeatedEvaluation, b: RepeatedEvaluation) -> None:
    for name, res in (("a", a), ("b", b)):
        if getattr(res, "protocol", None) != "grouped":
            raise ValueError(
                f"{name} was run with protocol={getattr(res, 'protocol', None)!r}; a paired test "
                "needs protocol='grouped' (the study's protocol tests every run on one split, "
                "so its runs are not independent folds)"
            )
    same = len(a.splits) == len(b.splits) and all(
        np.array_equal(ta, tb) and np.array_equal(ea, eb)
        for (ta, ea), (tb, eb) in zip(a.splits, b.splits)
    )
    if not same:
        raise ValueError(
            "a and b were not run on the same splits; call both repeated evaluations with the same "
            "X, y, groups, n_runs, n_splits and random_state (shortcut_probes does)"
        )


def paired_comparison(a: RepeatedEvaluation, b: RepeatedEvaluation | str,
                      metric: str = "balanced_accuracy") -> PairedComparison:
    """Compare two models fold by fold: the corrected resampled paired t-test.

    With ``d_j`` the difference ``a - b`` of ``metric`` on fold ``j``
    (``J`` folds x repeats), ``s^2`` their sample variance and ``r`` the mean
    ratio of test to training size, the statistic is
    ``t = mean(d) / sqrt((1/J + r) * s^2)`` with ``J - 1`` degrees of
    freedom (Nadeau & Bengio, 2003): the ``r`` term corrects for the overlap
    of the training sets.  The 95% interval ``mean(d) +- t_{0.975} *
    sqrt((1/J + r) * s^2)`` is clipped to the range a difference can take:
    [-1, 1] for scores in [0, 1], [-2, 2] for the Brier score, none for the
    log loss (``SCORE_BOUNDS``).

    Parameters
    ----------
    a : RepeatedEvaluation
        From :func:`~skmammo.evaluation.repeated_evaluation` with
        ``protocol="grouped"``.
    b : RepeatedEvaluation or "majority baseline"
        Another grouped evaluation on the same splits, or :data:`BASELINE`:
        ``a``'s own majority baseline on every fold (``baseline_<metric>``
        of ``a.runs``: accuracy, balanced accuracy, macro F1).
    metric : str, default="balanced_accuracy"
        A column of ``runs``.

    Returns
    -------
    PairedComparison

    Raises
    ------
    ValueError
        If ``a`` and ``b`` were not run on the same splits, not with
        ``protocol="grouped"``, or lack ``metric``.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmammo.evaluation import paired_comparison, repeated_evaluation
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1, 2], 30); X = y[:, None] + rng.normal(0, 1, (90, 1))
    >>> groups = np.arange(90) // 2
    >>> runs = [repeated_evaluation(m, X, y, groups=groups, protocol="grouped", n_runs=2,
    ...                             random_state=0) for m in (LogisticRegression(), DummyClassifier())]
    >>> result = paired_comparison(*runs)
    >>> result.n, round(result.difference, 3), bool(result.p_value < 0.01)
    (10, 0.189, True)
    """
    if isinstance(b, str):
        if b != BASELINE:
            raise ValueError(f"b must be a RepeatedEvaluation or {BASELINE!r}, got {b!r}")
        _check_pair(a, a)
        column = f"baseline_{metric}"
        if column not in a.runs.columns:
            raise ValueError(f"a.runs has no {column!r}: the majority baseline is kept for "
                             "accuracy, balanced_accuracy and macro_f1")
        other = a.runs[column].to_numpy(float)
    else:
        _check_pair(a, b)
        if metric not in b.runs.columns:
            raise ValueError(f"b.runs has no column {metric!r}")
        other = b.runs[metric].to_numpy(float)
    if metric not in a.runs.columns:
        raise ValueError(f"a.runs has no column {metric!r}")
    mine = a.runs[metric].to_numpy(float)
    d = mine - other
    keep = np.isfinite(d)
    d = d[keep]
    J = len(d)
    ratio = float((a.runs["n_test"] / a.runs["n_train"]).to_numpy(float)[keep].mean()) if J else np.nan
    mean = float(d.mean()) if J else np.nan
    from scipy.stats import t as student

    if J < 2:
        t_stat = p = low = high = np.nan
    else:
        se = math.sqrt((1.0 / J + ratio) * float(d.var(ddof=1)))
        if se > 0:
            t_stat = mean / se
            p = float(2 * student.sf(abs(t_stat), J - 1))
        else:  # every fold gave the same difference
            t_stat = 0.0 if mean == 0 else math.copysign(math.inf, mean)
            p = 1.0 if mean == 0 else 0.0
        half = t_quantile(J - 1) * se
        # a difference of two scores in [lo, hi] lies in [lo - hi, hi - lo]
        lo, hi = SCORE_BOUNDS.get(metric, (0.0, 1.0))
        low, high = clip_interval(mean - half, mean + half, (lo - hi, hi - lo))
    return PairedComparison(metric=metric, mean_a=float(mine[keep].mean()) if J else np.nan,
                            mean_b=float(other[keep].mean()) if J else np.nan, difference=mean,
                            ci_low=float(low), ci_high=float(high), t=float(t_stat),
                            p_value=float(p), n=J)


def paired_table(reference: RepeatedEvaluation, others: Mapping[str, RepeatedEvaluation],
                 metrics: Sequence[str] = ("balanced_accuracy",), *,
                 baseline: bool = True) -> pd.DataFrame:
    """One model against several others and its majority baseline, fold by fold.

    Parameters
    ----------
    reference : RepeatedEvaluation
        The model compared (``a`` of every :func:`paired_comparison`).
    others : mapping of str to RepeatedEvaluation
        The models it is compared with, on the same splits (e.g.
        :func:`~skmammo.evaluation.shortcut_probes`).
    metrics : sequence of str, default=("balanced_accuracy",)
    baseline : bool, default=True
        Add the majority baseline (row ``"majority baseline"``), paired with
        the reference on the same folds, for the metrics it is kept for
        (accuracy, balanced accuracy, macro F1; the others are left out).

    Returns
    -------
    DataFrame
        One row per other model and metric (index ``compared with``):
        ``metric``, ``reference``, ``other`` (mean scores), ``difference``
        (mean of reference minus other), ``ci_low``, ``ci_high`` (95%,
        corrected resampled t, clipped as in :func:`paired_comparison`), ``t``,
        ``p_value``, ``n``.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmammo.evaluation import paired_table, repeated_evaluation
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1, 2], 30); X = y[:, None] + rng.normal(0, 1, (90, 1))
    >>> kw = dict(groups=np.arange(90) // 2, protocol="grouped", n_runs=2, random_state=0)
    >>> ref = repeated_evaluation(LogisticRegression(), X, y, **kw)
    >>> table = paired_table(ref, {"uniform": repeated_evaluation(
    ...     DummyClassifier(strategy="uniform"), X, y, **kw)})
    >>> table.index.tolist()
    ['uniform', 'majority baseline']
    """
    rows, names = [], []
    targets = list(others.items()) + ([(BASELINE, BASELINE)] if baseline else [])
    for name, other in targets:
        for metric in metrics:
            if other is BASELINE and f"baseline_{metric}" not in reference.runs.columns:
                continue  # the majority baseline has no ROC AUC, for example
            c = paired_comparison(reference, other, metric)
            rows.append({"metric": metric, "reference": c.mean_a, "other": c.mean_b,
                         "difference": c.difference, "ci_low": c.ci_low, "ci_high": c.ci_high,
                         "t": c.t, "p_value": c.p_value, "n": c.n})
            names.append(str(name))
    return pd.DataFrame(rows, index=pd.Index(names, name="compared with"))
