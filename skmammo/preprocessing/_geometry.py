"""Geometry of ``ROICropper``'s three modes: where each crop box lies, and cutting it.

``mode="window"``: one physical window per sample.

Every sample is a square of the same size in millimetres.  A lesion's window
holds the lesion centre at a seeded random offset; a normal film's window is
placed where a lesion window seen in ``fit`` sat (its depth in the breast and
its height on the film); windows that would leave the film are shifted back
inside.
These functions are pure: the window of a row depends only on the film, the
row's annotation, the parameters and the seed.
"""

from __future__ import annotations

import logging
import math
import zlib
from typing import Any

import cv2
import numpy as np

from skmammo.datasets._films import film_getter, is_by_reference
from skmammo.preprocessing._base import STUDY_SIDE
from skmammo.preprocessing._tissue import TISSUE_LEVEL, TissueDepth, tissue_depth
from skmammo.utils import check_frame, film_label

__all__ = ["PIXEL_COLUMN", "annotated_rows", "check_inside", "cut_box", "lesion_window", "native_box", "normal_window",
           "resize_square", "row_keys", "row_rng", "study_box", "study_film", "window_box", "window_sides"]

logger = logging.getLogger(__name__)

#: Frame column with the pixel size in millimetres (MIAS: 0.2).
PIXEL_COLUMN = "pixel_mm"
#: The study's normal-film crop: 56 pixels at 224 scale.
_STUDY_NORMAL = 56
#: How far from the nearest place a normal window's cell may be (depth and vertical units).
_TOLERANCE = 0.02


def window_sides(X: Any, window_mm: float, window_px: int) -> np.ndarray:
    """Side of every row's window in film pixels (``int64``).

    ``round(window_mm / pixel_mm)`` where the frame has a finite ``pixel_mm``
    (divided by a ``FilmResizer``'s ``scale_x`` when the films were resized),
    ``window_px`` for a frame without pixel sizes (logged once per call).  A
    ``pixel_mm`` of zero, below zero or infinite is an error naming the rows.  A
    frame with the size of some rows only is an error: their windows would
    differ in physical size by row, a label shortcut wherever the rows
    without it differ in class (another source, another scanner).
    """
    n = len(X)
    pixel = (np.asarray(X[PIXEL_COLUMN], dtype=np.float64) if PIXEL_COLUMN in X.columns
             else np.full(n, np.nan))
    if "scale_x" in X.columns:
        pixel = pixel / np.asarray(X["scale_x"], dtype=np.float64)
    known = np.isfinite(pixel) & (pixel > 0)
    bad = np.flatnonzero(~np.isnan(pixel) & ~known)  # NaN: not known; 0, negative, inf: wrong
    if len(bad):
        films = X["film"].iloc[bad[:3]].tolist() if "film" in X.columns else bad[:3].tolist()
        raise ValueError(f"ROICropper: {PIXEL_COLUMN} must be a positive number of millimetres "
                         f"(NaN where unknown); {len(bad)} row(s) have {pixel[bad[0]]:g} (e.g. "
                         f"{', '.join(map(str, films))})")
    if known.any() and not known.all():
        missing = np.flatnonzero(~known)
        films = X["film"].iloc[missing[:3]].tolist() if "film" in X.columns else missing[:3]
        raise ValueError(
            f"ROICropper: {len(missing)} of {n} rows have no {PIXEL_COLUMN} (e.g. "
            f"{', '.join(map(str, films))}) while the others have one; their windows would "
            f"not be {window_mm:g} mm. Give those rows their pixel size (load_films(pixel_mm="
            "...)), or drop the column to use window_px for every row")
    sides = np.full(n, int(window_px), np.int64)
    sides[known] = np.maximum(1, np.rint(window_mm / pixel[known])).astype(np.int64)
    if n and not known.any():
        logger.info("ROICropper: no row has a %s; every window is window_px=%d pixels",
                    PIXEL_COLUMN, int(window_px))
    return sides


def row_rng(random_state: int, key: str) -> np.random.Generator:
    """The generator of one row: a pure function of the seed and the row's key."""
    return np.random.default_rng([int(random_state) & 0xFFFFFFFF, zlib.crc32(key.encode())])


def _inside(start: float, side: int, length: int) -> int:
    """``start`` rounded and shifted so that ``[start, start + side)`` lies in ``[0, length)``."""
    return int(min(max(int(math.floor(start + 0.5)), 0), length - side))


def window_box(shape: tuple[int, int], depth: TissueDepth, key: str, x: float, y: float,
               side: int, *, where: str, window_mm: float, offset: float, random_state: int,
               places: np.ndarray | None) -> np.ndarray:
    """The window of one row: :func:`lesion_window` or :func:`normal_window`, seeded by its key."""
    rows, cols = shape
    if side > min(rows, cols):
        raise ValueError(
            f"{where}: the {side}-pixel window (window_mm={window_mm:g}) is larger than the "
            f"{cols}x{rows} film; lower window_mm or check the {PIXEL_COLUMN} column")
    if not np.isnan(x):
        return lesion_window(shape, x, y, side, offset,
                             row_rng(random_state, f"{key}|{x:.1f}|{y:.1f}"))
    if not depth.has_tissue:
        logger.warning("ROICropper: %s has no tissue above grey level %d; its window is the "
                       "film's centre", where, TISSUE_LEVEL)
        x0, y0 = (cols - side) // 2, (rows - side) // 2
        return np.array([x0, y0, x0 + side, y0 + side], np.int64)
    return normal_window(depth, side, places, row_rng(random_state, key))


def lesion_window(shape: tuple[int, int], x: float, y: float, side: int, offset: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Box of a window holding the lesion centre ``(x, y)`` at a random offset.

    The window's centre is the lesion centre plus an offset drawn uniformly
    from ``[-offset, offset] * side`` on each axis, then the window is
    shifted inside the film (which keeps the lesion centre inside it) and,
    where rounding left the lesion's pixel just outside (``offset`` near
    0.5), by the one pixel that brings it in.
    """
    rows, cols = shape
    dx, dy = rng.uniform(-offset, offset, 2) * side
    x0 = _holding(_inside(x + dx - side / 2, side, cols), x, side, cols)
    y0 = _holding(_inside(y + dy - side / 2, side, rows), y, side, rows)
    return np.array([x0, y0, x0 + side, y0 + side], np.int64)


def _holding(start: int, centre: float, side: int, length: int) -> int:
    """``start``, moved as little as needed for ``[start, start + side)`` to hold the pixel
    of ``centre`` (still inside ``[0, length)``)."""
    pixel = min(max(int(math.floor(centre + 0.5)), 0), length - 1)
    start = min(max(start, pixel - side + 1), pixel)
    return min(max(start, 0), length - side)


def normal_window(depth: TissueDepth, side: int, places: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Box of a normal film's window, placed where a drawn lesion window sat.

    A place ``(depth, vertical)`` is drawn from ``places`` (the lesion
    windows' places learned in ``fit``, :meth:`TissueDepth.place`; depth
    uniform on [0, 1] and vertical uniform on [0, 1] when there are none).
    Every grid cell of the film is a candidate window: centred on the cell
    and shifted inside the film, its own place measured as the probes
    measure it.  One of the candidates within 0.02 (both coordinates are
    shares of a unit: the deepest point's depth, half the film's height) of
    the nearest to the drawn place is drawn, and the window is centred at a
    random point of that cell and shifted inside the film.
    """
    rows, cols = depth.shape
    if len(places):
        target = np.asarray(places[int(rng.integers(len(places)))], np.float64)
    else:
        target = rng.uniform(0, 1, 2)
    signed = depth.signed_depth()
    step = depth.step
    grid_rows, grid_cols = signed.shape
    # Where each cell's window starts once shifted inside the film, and its place.
    x0 = _starts(np.arange(grid_cols) * step + step / 2, side, cols)
    y0 = _starts(np.arange(grid_rows) * step + step / 2, side, rows)
    centre_col = np.minimum((x0 + side / 2) // step, grid_cols - 1).astype(np.int64)
    centre_row = np.minimum((y0 + side / 2) // step, grid_rows - 1).astype(np.int64)
    at_depth = signed[np.ix_(centre_row, centre_col)]
    vertical = np.abs((2 * y0 + side) / rows - 1.0)[:, None]
    gap = np.hypot(at_depth - target[0], vertical - target[1])
    cells = np.flatnonzero(gap <= gap.min() + _TOLERANCE)
    r, c = np.unravel_index(int(rng.choice(cells)), signed.shape)
    jitter = rng.uniform(0, step, 2)
    x = min(c * step + jitter[0], cols - 1)
    y = min(r * step + jitter[1], rows - 1)
    x0 = _inside(x - side / 2, side, cols)
    y0 = _inside(y - side / 2, side, rows)
    return np.array([x0, y0, x0 + side, y0 + side], np.int64)


def _starts(centres: np.ndarray, side: int, length: int) -> np.ndarray:
    """:func:`_inside` of ``centres - side / 2``, for an array of centres."""
    return np.clip(np.floor(centres - side / 2 + 0.5), 0, length - side)


# -- rows and their films -----------------------------------------------
def annotated_rows(X: Any, who: str) -> tuple[list, Any, list[tuple[float, float, float]]]:
    """Film keys, the film getter and checked ``(x, y, radius)`` per row.

    Films are not read here (a frame may carry them as paths); the check
    that a lesion lies inside its film happens when the film is read.
    """
    columns = (("path",) if is_by_reference(X) else ("image",)) + ("x", "y", "radius")
    check_frame(X, columns, who)
    keys, get = film_getter(X, who)
    coords = []
    for i, (x, y, r) in enumerate(zip(X["x"], X["y"], X["radius"])):
        where = film_label(X, i)
        try:
            x, y, r = float(x), float(y), float(r)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: x, y and radius must be numbers, got "
                            f"{x!r}, {y!r}, {r!r}") from None
        if np.isnan(x) != np.isnan(y):
            raise ValueError(f"{where}: only one of x={x} and y={y} is NaN; give both "
                             "(a lesion) or neither (a normal film)")
        if not np.isnan(x) and (np.isnan(r) or r <= 0 or np.isinf(r)):
            raise ValueError(
                f"{where}: a lesion needs a positive radius, got {r}; fix the "
                "annotation or set x and y to NaN to crop it like a normal film"
            )
        coords.append((x, y, r))
    return keys, get, coords

def check_inside(film: np.ndarray, x: float, y: float, where: str) -> None:
    rows_, cols = film.shape
    if not np.isnan(x) and not (0 <= x < cols and 0 <= y < rows_):
        raise ValueError(
            f"{where}: the lesion centre x={x:g}, y={y:g} lies outside the "
            f"{cols}x{rows_} film (coordinates are pixels, origin top-left); "
            "fix the annotation or drop the row"
        )


def row_keys(X: Any) -> list[str] | None:
    """What names each row's film in the window seed: ``film``, else ``path`` (None: the pixels)."""
    for column in ("film", "path"):
        if column in X.columns:
            return [str(v) for v in X[column]]
    return None


# -- native and study modes ---------------------------------------------
def native_box(film: np.ndarray, x: float, y: float, r: float, *, normal_side: int,
               min_side: int, context: float) -> np.ndarray:
    """``mode="native"``: centred on the lesion (or the deepest tissue point), odd side."""
    if np.isnan(x):
        side = normal_side
        x, y = tissue_depth(film, edge_is_skin=True).centre()
    else:
        side = max(min_side, int(math.ceil(2 * context * r)))
    # An odd side puts the centre pixel exactly in the middle of the crop.
    half = side // 2
    col, row = int(math.floor(x + 0.5)), int(math.floor(y + 0.5))
    return np.array([col - half, row - half, col + half + 1, row + half + 1], np.int64)


def study_box(small: np.ndarray, film_shape: tuple[int, int],
              x: float, y: float, r: float) -> np.ndarray:
    """The study's box at 224 scale (whole pixels, inside the 224 film)."""
    rows, cols = film_shape
    sx, sy = STUDY_SIDE / cols, STUDY_SIDE / rows
    if np.isnan(x):
        half = _STUDY_NORMAL // 2
        c = STUDY_SIDE // 2
        cx = cy = c
        if small[cy, cx] == 0 and small.any():
            left, top = small[:, :c].sum(dtype=np.int64), small[:c].sum(dtype=np.int64)
            dx = -1 if left >= small[:, c:].sum(dtype=np.int64) else 1
            dy = -1 if top >= small[c:].sum(dtype=np.int64) else 1
            while 0 <= cx < STUDY_SIDE and 0 <= cy < STUDY_SIDE and small[cy, cx] == 0:
                cx, cy = cx + dx, cy + dy
            cx = min(max(cx, 0), STUDY_SIDE - 1)
            cy = min(max(cy, 0), STUDY_SIDE - 1)
        x0 = min(max(cx - half, 0), STUDY_SIDE - _STUDY_NORMAL)
        y0 = min(max(cy - half, 0), STUDY_SIDE - _STUDY_NORMAL)
        return np.array([x0, y0, x0 + _STUDY_NORMAL, y0 + _STUDY_NORMAL], np.int64)
    rx, ry = r * sx, r * sy
    # Python's int() truncation, as in ``small[int(y - r):int(y + r), ...]``.
    x0 = min(max(int(x * sx - rx), 0), STUDY_SIDE - 1)
    y0 = min(max(int(y * sy - ry), 0), STUDY_SIDE - 1)
    x1 = min(max(int(x * sx + rx), x0 + 1), STUDY_SIDE)
    y1 = min(max(int(y * sy + ry), y0 + 1), STUDY_SIDE)
    return np.array([x0, y0, x1, y1], np.int64)

def study_film(film: np.ndarray) -> np.ndarray:
    """The film resized to the study's 224 x 224 (bilinear)."""
    return cv2.resize(film, (STUDY_SIDE, STUDY_SIDE), interpolation=cv2.INTER_LINEAR)



# -- cutting --------------------------------------------------------------
def cut_box(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """``image[y0:y1, x0:x1]``, padded with black where the box leaves the film."""
    rows, cols = image.shape
    inner = image[max(y0, 0):min(y1, rows), max(x0, 0):min(x1, cols)]
    pads = (max(-y0, 0), max(y1 - rows, 0), max(-x0, 0), max(x1 - cols, 0))
    if any(pads):
        top, bottom, left, right = (min(p, y1 - y0) for p in pads)
        if inner.size == 0:
            return np.zeros((y1 - y0, x1 - x0), np.uint8)
        inner = cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    return inner


def resize_square(crop: np.ndarray, size: int) -> np.ndarray:
    """``crop`` resized to ``size x size`` (area when shrinking, bilinear when enlarging)."""
    if crop.shape == (size, size):
        return np.ascontiguousarray(crop)
    shrink = crop.shape[0] > size or crop.shape[1] > size
    return cv2.resize(crop, (size, size),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
