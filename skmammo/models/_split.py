"""Held-out parts split off by patient (or by row): early stopping's validation, recalibration's."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit

__all__ = ["validation_split"]

logger = logging.getLogger("skmammo.models._classifier")


def validation_split(y: np.ndarray, fraction: float, seed, groups=None, *,
                     purpose: str = "early stopping validates"
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """Sorted row positions ``(train, validation)``; validation is None when ``fraction`` is 0.

    ``purpose`` starts the logged line that says how the part was split off
    (also used for the calibration part of
    :class:`~skmammo.evaluation.HeldOutCalibration`).

    With ``groups`` (patients): one fold of a shuffled
    :class:`~sklearn.model_selection.StratifiedGroupKFold` with
    ``k = round(1 / fraction)`` folds (so ``fraction`` at most 0.5), the
    first whose training side holds every class; no patient is on both sides.
    Without: a stratified split of ``fraction`` of the rows (logged, since
    rows of one patient may then land on both sides).
    """
    if not fraction:
        return np.arange(len(y)), None
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (len(y),):
            raise ValueError(f"groups must hold one patient id per crop: {len(y)} crops, "
                             f"groups of shape {groups.shape}")
        return _by_patient(y, groups, fraction, seed, purpose)
    logger.info("%s on a stratified split by row (no groups given; rows of one patient can "
                "fall on both sides)", purpose)
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    try:
        train, val = next(splitter.split(np.zeros((len(y), 1)), y))
    except ValueError as exc:
        raise ValueError(
            f"cannot split off a stratified validation_fraction={fraction} of {len(y)} samples "
            f"with class counts {dict(zip(*np.unique(y, return_counts=True)))}: {exc} Give "
            "fit more samples per class, raise validation_fraction, or set "
            "validation_fraction=0 (no early stopping)."
        ) from None
    return np.sort(train), np.sort(val)


def _by_patient(y: np.ndarray, groups: np.ndarray, fraction: float,
                seed, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """One fold of a shuffled stratified group k-fold with ``k = round(1 / fraction)``."""
    n_groups = len(np.unique(groups))
    if fraction > 0.5:
        raise ValueError(f"a part split off by patient is one of round(1 / fraction) folds, at "
                         f"most half the patients; got fraction={fraction!r}")
    k = min(max(2, int(round(1 / fraction))), n_groups)
    advice = ("give fit more patients, a smaller fraction, validation_fraction=0 (no early "
              "stopping) or validation_groups=False (split by row)")
    if k < 2:
        raise ValueError(f"cannot split off a validation part by patient: the {len(y)} crops "
                         f"come from {n_groups} patient(s); {advice}")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    try:
        # the first fold whose other side holds every class: training must see them all
        train, val = next((tr, va) for tr, va in splitter.split(np.zeros((len(y), 1)), y, groups)
                          if len(np.unique(y[tr])) == len(np.unique(y)))
    except ValueError as exc:
        raise ValueError(f"cannot split off {fraction:g} of {len(y)} crops by patient: {exc} "
                         f"({advice})") from None
    except StopIteration:
        raise ValueError(f"no split by patient keeps every class in the training part (class "
                         f"counts {dict(zip(*np.unique(y, return_counts=True)))}, {n_groups} "
                         f"patients); {advice}") from None
    logger.info("%s on %d rows of %d patients, split off by patient", purpose,
                len(val), len(np.unique(groups[val])))
    return np.sort(train), np.sort(val)


def _patient_ids(X: Any, groups: Any) -> Any:
    """``groups``, else the frame's ``patient`` column if it has one, else None."""
    if groups is None and hasattr(X, "columns") and "patient" in X.columns:
        return np.asarray(X["patient"])
    return groups


def calibration_split(X: Any, y: Any, groups: Any, fraction: float,
                      seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Row positions ``(train, calibration)``, split as ``HeldOutCalibration`` splits them.

    ``fraction`` of the patients (``groups``; default the frame's ``patient``
    column, else a stratified split by row, logged) are held out.  The same
    ``X``, ``y``, ``groups``, ``fraction`` and ``seed`` give the same rows,
    so other models can be fitted on exactly the rows a recalibrated
    network trained on (the shortcut probes' ``hold_out``).
    """
    groups = _patient_ids(X, groups)
    if groups is not None and len(np.unique(groups)) < 2:
        raise ValueError("HeldOutCalibration needs rows of at least two patients: one "
                         "part to train on, one to calibrate on")
    y_index = np.unique(np.asarray(y), return_inverse=True)[1]
    return validation_split(y_index, fraction, seed, groups, purpose="calibration")
