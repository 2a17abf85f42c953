"""Class labels and predicted probabilities, checked and aligned for the evaluation modules."""

from __future__ import annotations

from typing import Any

import numpy as np


def _check_labels(y: Any, n_classes: int, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D int array of class indices ``0..n_classes-1``, or a clear error."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty; evaluation needs at least one sample")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(int)
        else:
            raise TypeError(
                f"{name} must hold integer class indices 0..{n_classes - 1} "
                f"(0 normal, 1 benign, 2 malignant), got dtype {y.dtype}"
            )
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        raise ValueError(
            f"{name} holds class {y[bad][0]} at position {int(np.flatnonzero(bad)[0])}; "
            f"expected 0..{n_classes - 1} for target_names of length {n_classes}"
        )
    return y.astype(int)


def _check_proba(y_proba: Any, n: int, k: int) -> np.ndarray:
    """``y_proba`` as a finite float array of shape ``(n, k)``, or a clear error."""
    proba = np.asarray(y_proba, dtype=float)
    if proba.shape != (n, k):
        raise ValueError(
            f"y_proba must have shape (n_samples, n_classes) = {(n, k)}, got {proba.shape}"
        )
    if not np.isfinite(proba).all():
        raise ValueError("y_proba holds NaN or infinite values")
    return proba


def _predict_proba(estimator, X, k: int) -> np.ndarray:
    """``predict_proba`` with its columns placed at the class indices ``0..k-1``."""
    classes = np.asarray(getattr(estimator, "classes_", np.arange(k)))
    if hasattr(estimator, "predict_proba"):
        raw = np.asarray(estimator.predict_proba(X), dtype=float)
    else:
        pred = np.asarray(estimator.predict(X))
        raw = (pred[:, None] == classes[None, :]).astype(float)
    out = np.zeros((raw.shape[0], k))
    out[:, classes.astype(int)] = raw
    return out
