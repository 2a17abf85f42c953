"""Input checks shared by every layer: films, frames, crops and parameters.

Films are 2-D ``uint8`` arrays.  ``uint16`` films (10-, 12- or 16-bit scans)
are accepted and rescaled by one documented rule, :func:`as_uint8`; any other
dtype is refused with a message naming the film.  Crops (what the network
takes) are checked once, by :func:`check_crops`, for the classifier, the
augmentation and the explainers.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "TARGET_NAMES",
    "as_uint8",
    "check_crops",
    "check_frame",
    "check_image",
    "check_int",
    "check_interval",
    "check_positive",
    "film_label",
]

logger = logging.getLogger("skmammo")

#: The classes, in the order of the targets ``0, 1, 2``.
TARGET_NAMES: tuple[str, ...] = ("normal", "benign", "malignant")


def film_label(X: Any, i: int) -> str:
    """How error messages name sample ``i``: its ``film`` id (and row label) if known."""
    if isinstance(X, pd.DataFrame):
        label = X.index[i]
        if "film" in X.columns:
            return f"film {X['film'].iloc[i]!s} (row {label!r})"
        return f"row {label!r}"
    return f"image {i}"


def as_uint8(image: np.ndarray) -> np.ndarray:
    """Rescale a ``uint16`` film to ``uint8`` by its own maximum.

    The rule: ``round(image * 255 / image.max())``, so that black stays 0 and
    the brightest pixel becomes 255, whatever the scanner's bit depth (10, 12
    or 16 bits stored in 16).  An all-black film stays all black.  ``uint8``
    films are returned unchanged (not copied).

    Examples
    --------
    >>> as_uint8(np.array([[0, 2048, 4095]], np.uint16)).tolist()
    [[0, 128, 255]]
    """
    if image.dtype == np.uint8:
        return image
    top = int(image.max())
    if top == 0:
        return np.zeros(image.shape, np.uint8)
    return np.rint(image.astype(np.float32) * (255.0 / top)).astype(np.uint8)


def check_image(image: Any, where: str) -> np.ndarray:
    """Return ``image`` as a 2-D ``uint8`` array, or raise naming ``where``."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{where}: the image is a {type(image).__name__}, expected a 2-D numpy array "
            "(uint8 grey levels); load films with skmammo.datasets.load_mias or np.asarray them"
        )
    if image.ndim != 2:
        raise ValueError(
            f"{where}: the image has shape {image.shape}, expected a 2-D grey film "
            "(rows, columns); convert colour images to grey first, e.g. "
            "cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)"
        )
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise ValueError(f"{where}: the image is only {image.shape[1]}x{image.shape[0]} pixels; "
                         "films must be at least 8x8")
    if image.dtype == np.uint16:
        logger.debug("%s: uint16 film rescaled to uint8 by its maximum (%d)", where,
                     int(image.max()))
        return as_uint8(image)
    if image.dtype != np.uint8:
        raise TypeError(
            f"{where}: the image has dtype {image.dtype}, expected uint8 (or uint16, which is "
            "rescaled by its maximum); convert it, e.g. "
            "skimage.util.img_as_ubyte(image) for floats in [0, 1]"
        )
    return image


def check_frame(X: Any, columns: Sequence[str], who: str) -> pd.DataFrame:
    """Check that ``X`` is a mammogram frame holding ``columns``."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{who} expects a mammogram frame (a pandas DataFrame with columns "
            f"{', '.join(columns)}), got {type(X).__name__}; see skmammo.datasets.load_mias"
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"{who}: the frame lacks the column(s) {', '.join(missing)}; a mammogram frame "
            f"needs {', '.join(columns)} (see skmammo.datasets.load_mias)"
        )
    return X


def check_positive(value: Any, name: str) -> float:
    """Check a positive real parameter (``bool`` refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_interval(value: Any, name: str, low: float, high: float = np.inf, *,
                   closed: str = "both", none: str | None = None) -> float | None:
    """Check a real parameter between ``low`` and ``high`` (NaN and ``bool`` refused).

    ``closed`` says which ends belong to the interval: ``"both"``, ``"left"``,
    ``"right"`` or ``"neither"``.  None passes (and is returned) only where
    ``none`` says what it means, for the message.
    """
    if value is None and none is not None:
        return None
    left, right = closed in ("both", "left"), closed in ("both", "right")
    inside = (not isinstance(value, bool) and isinstance(value, numbers.Real)
              and (value >= low if left else value > low)
              and (value <= high if right else value < high))
    if not inside:
        span = (f"{'>=' if left else '>'} {low:g}" if high == np.inf else
                f"in {'[' if left else '('}{low:g}, {high:g}{']' if right else ')'}")
        alternative = "" if none is None else f" or None ({none})"
        raise ValueError(f"{name} must be a number {span}{alternative}, got {value!r}")
    return float(value)


def check_int(value: Any, name: str, *, minimum: int, odd: bool = False) -> int:
    """Check an integer parameter (``bool`` refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if odd and value % 2 == 0:
        raise ValueError(f"{name} must be odd, got {value!r}")
    return int(value)


def check_weights(sample_weight: Any, n: int) -> np.ndarray:
    """``sample_weight`` as a float array of one finite, non-negative weight per sample."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"sample_weight must hold one finite, non-negative weight per crop: "
                         f"{n} crops, sample_weight of shape {weights.shape}")
    return weights


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
        For another shape, no crops at all, NaN / infinite values, or float
        crops scaled to 0..1 (all values within [0, 1], some fractional:
        crops are grey levels 0..255, so such crops are refused rather than
        silently seen as black; float crops of integer values 0 and 1 are
        accepted).

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
    if X.dtype.kind == "f" and X.size and 0 <= X.min() and X.max() <= 1 and (X % 1).any():
        raise ValueError(
            f"{who}: the crops hold floats between 0 and 1 (maximum {float(X.max()):.3g}), "
            "but crops are grey levels 0..255 (uint8, or floats on the same scale); a network "
            "fed 0..1 crops sees black images.  Rescale them, e.g. "
            "np.rint(crops * 255).astype(np.uint8)"
        )
    return X
