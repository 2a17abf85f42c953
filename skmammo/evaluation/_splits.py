"""Train/test splits of a mammogram data set: by patient, or stratified by sample.

- :func:`grouped_split`: one patient-grouped, class-stratified hold-out (what
  ``skmammo demo`` and ``skmammo run`` report on);
- :func:`train_validation_test_split`: a stratified three-way split by sample
  (the study's protocol, :func:`skmammo.study.study_split`, is this split
  with the study's seed).

The repeated protocols of :func:`~skmammo.evaluation.repeated_evaluation`
build on the same two ideas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

__all__ = ["grouped_split", "train_validation_test_split"]


def grouped_split(
    y: Any, groups: Any, *, test_size: float = 0.25, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices into train and test by patient, stratified by class.

    One fold of :class:`~sklearn.model_selection.StratifiedGroupKFold` with
    ``round(1 / test_size)`` folds: no patient is on both sides.

    Parameters
    ----------
    y : array-like of int
        Classes.
    groups : array-like
        Patient ids.
    test_size : float, default=0.25
        Share of the samples (approximately, whole patients) held out.
    random_state : int or None, default=0
        Seed of the fold shuffling.

    Returns
    -------
    train, test : ndarray of int
        Row positions.

    Examples
    --------
    >>> from skmammo.evaluation import grouped_split
    >>> train, test = grouped_split([0, 1, 0, 1, 0, 1, 0, 1], [1, 1, 2, 2, 3, 3, 4, 4], test_size=0.5)
    >>> len(train), len(test)
    (4, 4)
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size!r}")
    n_splits = max(2, int(round(1 / test_size)))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    train, test = next(cv.split(np.zeros(len(y)), y, groups))
    return train, test


def train_validation_test_split(
    y: Any, *, test_size: float = 0.30, random_state: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stratified three-way split by sample into train, validation and test indices.

    ``train_test_split(test_size=test_size, stratify=y)``, then the held-out
    part halved the same way (first half validation, second test), both with
    ``random_state``.  Samples of one patient may land on both sides; use
    :func:`grouped_split` to keep patients apart.

    Parameters
    ----------
    y : array-like of shape (n,)
        Class labels (stratification).
    test_size : float, default=0.30
        Fraction held out for validation + test.
    random_state : int or None
        Seed of both splits.

    Returns
    -------
    train, validation, test : ndarray of int
        Row positions.

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.evaluation import train_validation_test_split
    >>> tr, va, te = train_validation_test_split(np.repeat([0, 1, 2], [60, 20, 20]), random_state=0)
    >>> len(tr), len(va), len(te)
    (70, 15, 15)
    """
    y = np.asarray(y)
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=test_size, stratify=y, random_state=random_state)
    val, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=random_state)
    return train, val, test
