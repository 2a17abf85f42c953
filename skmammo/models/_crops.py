"""What the network takes: a batch of grey crops, checked once for every consumer."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_crops"]


def check_crops(X: Any, who: str) -> np.ndarray:
    """Return ``X`` as an ``(n, height, width)`` array of grey crops, or raise a clear error.

    ``uint8`` crops come back as they are, other numbers as ``float32`` (grey
    levels 0..255); a trailing channel axis of 1 is dropped.  The classifier,
    the augmentation and the explainers all check their crops here.

    Parameters
    ----------
    X : array-like
        Crops, e.g. the output of ``ROICropper``.
    who : str
        The caller, named in error messages.

    Returns
    -------
    ndarray of shape (n, height, width), uint8 or float32

    Raises
    ------
    TypeError
        For a mammogram frame (it needs ``ROICropper`` first) or non-numeric data.
    ValueError
        For another shape, no crops at all, or NaN / infinite values.

    Examples
    --------
    >>> check_crops(np.zeros((2, 32, 32, 1), np.uint8), "demo").shape
    (2, 32, 32)
    """
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        raise TypeError(
            f"{who} takes crops of shape (n, height, width), not a mammogram frame; pass the "
            "frame through ROICropper first (make_pipeline does, and MammoPipeline.explain "
            "explains frames)"
        )
    X = np.asarray(X)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim != 3:
        raise ValueError(
            f"{who}: expected grey crops of shape (n, height, width), got an array of shape "
            f"{X.shape}; ROICropper(size=...) produces them (for one crop use X[None])"
        )
    if len(X) == 0:
        raise ValueError(f"{who}: no crops given (shape {X.shape})")
    if X.dtype == np.uint8:
        return X
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{who}: crops must hold grey levels 0..255 (uint8 or float), got dtype "
                        f"{X.dtype}")
    X = X.astype(np.float32, copy=False)
    finite = np.isfinite(X).reshape(len(X), -1).all(axis=1)
    if not finite.all():
        raise ValueError(f"{who}: crops contain NaN or infinite values (crops "
                         f"{np.flatnonzero(~finite)[:5].tolist()})")
    return X
