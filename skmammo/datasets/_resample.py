"""Films at a common pixel size: resampling at read time, and placing a loader row on it.

A model trained on films of 0.2 mm pixels sees a 51.2 mm window as 256
pixels; a film of 0.07 mm pixels must be shrunk by 0.07 / 0.2 before that
window means the same tissue.  The loaders do this when they are given
``pixel_mm=``: :func:`place_film` takes one row in the film's native pixels
and returns it at the frame's pixel size (film resized, or a
:class:`Resample` appended to its pending operations when the film stays
on disk; coordinates scaled to match).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import cv2
import numpy as np

from skmammo.datasets._films import PENDING

__all__ = ["BOX_COLUMNS", "PIXEL_SOURCES", "Resample", "place_film"]

#: Where a row's native pixel size came from (the ``pixel_source`` column).
PIXEL_SOURCES = ("PixelSpacing", "ImagerPixelSpacing", "default", "given")

#: Box columns scaled with the film when a row has them (VinDr-Mammo's boxes).
BOX_COLUMNS = ("xmin", "ymin", "xmax", "ymax")

#: A factor this close to 1 leaves the film as it is.
_UNIT_TOLERANCE = 1e-9


class Resample:
    """Film operation: resize a 2-D ``uint8`` film by ``factor`` (output pixels per input pixel).

    The output has ``round(rows * factor)`` rows and ``round(columns *
    factor)`` columns (at least one); OpenCV's area interpolation
    (``INTER_AREA``) shrinks, bilinear (``INTER_LINEAR``) enlarges.  Instances
    are picklable and compare equal when their factors are equal, so they
    can sit in a frame's ``pending`` column (see
    :func:`skmammo.datasets.read_film`).

    Parameters
    ----------
    factor : float
        Output pixels per input pixel: ``native_mm / pixel_mm``.

    Examples
    --------
    >>> import numpy as np
    >>> Resample(0.5)(np.zeros((10, 7), np.uint8)).shape
    (5, 4)
    """

    __slots__ = ("factor",)

    def __init__(self, factor: float):
        factor = float(factor)
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"Resample: factor must be a positive number, got {factor!r}")
        self.factor = factor

    def shape(self, rows: int, columns: int) -> tuple[int, int]:
        """The output ``(rows, columns)`` of a film of ``rows x columns`` pixels."""
        return max(1, round(rows * self.factor)), max(1, round(columns * self.factor))

    def __call__(self, film: np.ndarray) -> np.ndarray:
        rows, columns = self.shape(*film.shape[:2])
        if (rows, columns) == film.shape[:2]:
            return film
        method = cv2.INTER_AREA if self.factor < 1 else cv2.INTER_LINEAR
        return cv2.resize(film, (columns, rows), interpolation=method)

    def __eq__(self, other: object) -> bool:
        return type(other) is Resample and other.factor == self.factor

    def __hash__(self) -> int:
        return hash(("Resample", self.factor))

    def __repr__(self) -> str:
        return f"Resample({self.factor!r})"

    def __getstate__(self):
        return self.factor

    def __setstate__(self, factor):
        self.factor = factor


# Rows of one film must keep sharing one film object after placing (the
# crop stage keys films on ``id(image)``, or on ``(path, id(pending))``):
# resized arrays are remembered while their source array lives, pending
# tuples are interned per (previous pending, factor).
_RESIZED: dict[tuple[int, float], tuple[weakref.ref, np.ndarray]] = {}
_PENDINGS: dict[tuple[Any, float], tuple] = {}


def _resized(image: np.ndarray, operation: Resample) -> np.ndarray:
    key = (id(image), operation.factor)
    known = _RESIZED.get(key)
    if known is not None and known[0]() is image:
        return known[1]
    out = operation(np.asarray(image))
    if out is image:
        return image
    out.setflags(write=False)
    try:
        source = weakref.ref(image, lambda _, key=key: _RESIZED.pop(key, None))
    except TypeError:  # not weak-referenceable: no sharing, still correct per row
        return out
    _RESIZED[key] = (source, out)
    return out


def _pending_with(previous: Any, operation: Resample) -> tuple:
    previous = tuple(previous) if isinstance(previous, (tuple, list)) else ()
    try:
        key: tuple = (previous, operation.factor)
        hash(key)
        by_identity = False
    except TypeError:  # unhashable operations: by identity (the tuple is kept alive below)
        key, by_identity = (("id", id(previous)), operation.factor), True
    known = _PENDINGS.get(key)
    if known is None or (by_identity and known[0] is not previous):
        if len(_PENDINGS) > 4096:
            _PENDINGS.clear()
        known = (previous, previous + (operation,))
        _PENDINGS[key] = known
    return known[1]


def _moved(value: Any, scale: float) -> Any:
    """A pixel-centre coordinate after resizing by ``scale`` (centres map to centres)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    return (float(value) + 0.5) * scale - 0.5


def place_film(row: dict, *, native_mm: float, pixel_mm: float | None, source: str) -> dict:
    """One loader row, in the film's native pixels, returned at the frame's pixel size.

    Parameters
    ----------
    row : dict
        Keys of the mammogram frame (``FRAME_COLUMNS``) and extras; the film
        as ``image`` (a 2-D ``uint8`` array) or ``path`` (a file, with an
        optional ``pending`` tuple of film operations).  ``x``, ``y``,
        ``radius``, box columns (``xmin``, ``ymin``, ``xmax``, ``ymax``) and
        ``rows`` / ``columns`` are in native pixels.
    native_mm : float
        The film's own pixel edge in millimetres.
    pixel_mm : float or None
        The frame's pixel edge; ``None`` keeps the native one.
    source : {"PixelSpacing", "ImagerPixelSpacing", "default", "given"}
        Where ``native_mm`` came from (the DICOM tag, a per-data-set default,
        or the caller).

    Returns
    -------
    dict
        A new row: ``image`` resized now (rows of one array share one
        resized array), or ``Resample(native_mm / pixel_mm)`` appended to
        ``pending`` (rows of one film with one pending tuple keep sharing
        one); coordinates, radius, boxes, ``rows`` and ``columns`` scaled
        (a pixel centre maps to the resized pixel centre of the same
        tissue); ``pixel_mm``, ``native_pixel_mm`` and ``pixel_source`` set.
    """
    if source not in PIXEL_SOURCES:
        raise ValueError(f"place_film: source must be one of {PIXEL_SOURCES}, got {source!r}")
    if not (isinstance(native_mm, (int, float)) and math.isfinite(native_mm) and native_mm > 0):
        raise ValueError(f"place_film: native_mm must be a positive number, got {native_mm!r}")
    target = float(native_mm) if pixel_mm is None else float(pixel_mm)
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"place_film: pixel_mm must be a positive number, got {pixel_mm!r}")
    out = dict(row)
    out.update(pixel_mm=target, native_pixel_mm=float(native_mm), pixel_source=source)
    factor = float(native_mm) / target
    if abs(factor - 1.0) <= _UNIT_TOLERANCE:
        return out
    operation = Resample(factor)
    if "image" in row and row["image"] is not None:
        image = row["image"]
        rows, columns = image.shape[:2]
        out["image"] = _resized(image, operation)
    elif "path" in row:
        if "rows" not in row or "columns" not in row:
            raise ValueError("place_film: a row holding its film by path needs 'rows' and "
                             "'columns' (the native size) to know the resampled size")
        rows, columns = int(row["rows"]), int(row["columns"])
        out[PENDING] = _pending_with(row.get(PENDING), operation)
    else:
        raise ValueError("place_film: the row has neither 'image' nor 'path'")
    new_rows, new_columns = operation.shape(rows, columns)
    scale_y, scale_x = new_rows / rows, new_columns / columns
    for key in ("x", "xmin", "xmax"):
        if key in out:
            out[key] = _moved(out[key], scale_x)
    for key in ("y", "ymin", "ymax"):
        if key in out:
            out[key] = _moved(out[key], scale_y)
    if "radius" in out and out["radius"] is not None:
        out["radius"] = float(out["radius"]) * (scale_x + scale_y) / 2
    if "rows" in out:
        out["rows"], out["columns"] = new_rows, new_columns
    return out
