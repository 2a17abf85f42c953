"""What split-conformal prediction sets can do with a given number of calibration rows.

The rank arithmetic behind :class:`~skmammo.evaluation.HeldOutCalibration`'s
Mondrian sets (crepes, unsmoothed p-values): how many rows a class needs
before its label can be left out (:func:`rows_needed`), how often valid sets
cover (:func:`covered_ranks`), and the band their empirical coverage falls in
(:func:`conformal_coverage_band`; :func:`coverage_band` is the binomial band
of sets whose coverage is exactly the level).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["conformal_coverage_band", "covered_ranks", "coverage_band", "rows_needed"]


def rows_needed(confidence: float) -> int:
    """Calibration rows a class needs before its prediction sets can leave it out.

    A split-conformal p-value (unsmoothed) is at least ``1 / (n + 1)`` with
    ``n`` calibration rows, and a label stays in the set while its p-value
    is at least ``1 - confidence``; it can be left out only when
    ``1 / (n + 1) < 1 - confidence``, the comparison done in floating point
    as crepes does it (10 rows at 90%: with 9 the smallest p-value is 0.1,
    which is not below ``1 - 0.9``; 19 at 95%, where ``1 - 0.95`` rounds up).

    Examples
    --------
    >>> rows_needed(0.9), rows_needed(0.95), rows_needed(0.8)
    (10, 19, 5)
    """
    n = max(0, math.floor(1 / (1 - confidence)) - 2)  # just below the answer
    while covered_ranks(n, confidence) > n:  # every rank covered: the fallback
        n += 1
    return n


def coverage_band(level: float, n: int) -> tuple[float, float]:
    """The central 95% band of the empirical coverage of ``n`` rows at ``level``.

    Normal approximation to the binomial, clipped to [0, 1]: an empirical
    coverage outside it is unlikely for sets that hold the true class of
    each row independently with probability exactly ``level``.  Conformal
    prediction sets do not (they are conservative, and the rows of a class
    share one calibration draw): judge them with
    :func:`conformal_coverage_band`.

    Examples
    --------
    >>> [round(v, 3) for v in coverage_band(0.9, 200)]
    [0.858, 0.942]
    """
    half = 1.96 * math.sqrt(level * (1 - level) / n) if n else float("nan")
    return max(0.0, level - half), min(1.0, level + half)


def covered_ranks(calibration_rows: int, level: float) -> int:
    """Of the ``n + 1`` ranks a test score can take among ``n`` calibration scores, how many
    keep the true label in its (unsmoothed) split-conformal set at ``level``.

    crepes keeps a label while its p-value ``(r + 1) / (n + 1)`` (``r``
    calibration scores at least the test score) is at least ``1 - level``,
    compared in floating point; ``n + 1`` means every rank: the full-set
    fallback (:func:`~skmammo.evaluation.rows_needed`).

    Examples
    --------
    >>> covered_ranks(10, 0.9), covered_ranks(9, 0.9)
    (10, 10)
    """
    n = int(calibration_rows)
    first = next(r for r in range(n + 1) if (r + 1) / (n + 1) >= 1 - level)
    return n + 1 - first


def conformal_coverage_band(level: float,
                            counts: Sequence[tuple[int, int]]) -> tuple[float, float, float]:
    """The 95% band of the pooled coverage of Mondrian split-conformal sets, and its centre.

    A class with ``n`` calibration rows covers a test row with probability
    ``k / (n + 1)`` (``k`` = :func:`covered_ranks`, at least ``level``:
    conformal sets are conservative), and its test rows share one calibration
    draw, so their covered count is beta-binomial, ``BetaBinomial(m, k,
    n + 1 - k)`` (Vovk 2012), not binomial; a fallback class covers every row.
    The band adds these counts over the classes and folds (independent
    calibration parts) and takes the normal approximation: mean +- 1.96
    standard deviations, as a share of the test rows, clipped to [0, 1].

    Parameters
    ----------
    level : float
        The sets' confidence, e.g. 0.9.
    counts : sequence of (calibration rows, test rows)
        One pair per class and fold: that class's calibration rows in the
        fold's calibration part, and its rows in the fold's test part.

    Returns
    -------
    low, expected, high : float
        The band and the expected pooled coverage.

    Examples
    --------
    >>> [round(v, 3) for v in conformal_coverage_band(0.9, [(40, 60), (20, 30), (10, 10)])]
    [0.816, 0.904, 0.992]
    """
    counts = [(int(n), int(m)) for n, m in counts]
    total = sum(m for _, m in counts)
    if not total:
        raise ValueError("conformal_coverage_band needs at least one test row")
    mean = variance = 0.0
    for n, m in counts:
        k = covered_ranks(n, level)
        if k > n:  # the full-set fallback: every row covered
            mean += m
            continue
        a, b = k, n + 1 - k
        mean += m * a / (a + b)
        variance += m * a * b * (a + b + m) / ((a + b) ** 2 * (a + b + 1))
    half = 1.96 * math.sqrt(variance)
    return (max(0.0, (mean - half) / total), mean / total, min(1.0, (mean + half) / total))
