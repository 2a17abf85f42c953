"""What the DICOM data-set loaders share: lesion geometry from masks and boxes, the frame's
extra columns, and the lesion mask of a row at the frame's pixel size.

Rows are built in the film's native pixels and pass through
:func:`~skmammo.datasets._resample.place_film`, which puts them at the
frame's pixel size (``pixel_mm=``) and records where the native size came from.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import cv2
import numpy as np
import pandas as pd

from skmammo.datasets._dicom import is_dicom, read_dicom_stored
from skmammo.datasets._films import read_film
from skmammo.datasets._frame import make_bunch
from skmammo.utils import check_positive

__all__ = ["box_geometry", "finish_bunch", "mask_geometry", "read_lesion_mask",
           "read_text_csv"]

logger = logging.getLogger(__name__)


def optional_mm(value: Any, name: str) -> float | None:
    """``None``, or ``value`` checked as a positive length in millimetres."""
    return None if value is None else check_positive(value, name)


def read_text_csv(file, required=(), renames=None) -> pd.DataFrame:
    """A CSV as text: column names and cells stripped of surrounding whitespace (newlines too).

    ``renames`` maps column spellings to one name (after collapsing inner
    whitespace); a ``required`` column missing is a ValueError naming the file.
    """
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: not a readable CSV ({exc})") from exc
    renames = renames or {}
    table.columns = [renames.get(" ".join(c.split()), " ".join(c.split())) for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"{file}: missing column(s) {', '.join(map(repr, missing))}; "
                         f"found {', '.join(map(repr, table.columns))}")
    return table.apply(lambda column: column.str.strip())


def mask_geometry(mask: np.ndarray, where: str) -> dict:
    """Centre, radius and box of a lesion mask (native pixels).

    The centre is the mask's centroid, the radius that of the smallest circle
    around the centroid enclosing every mask pixel (the farthest pixel
    centre's distance, plus half a pixel so a one-pixel lesion has radius
    0.5): the frame's circle always holds the whole lesion.  The box is the
    first and last rows and columns the mask covers.
    """
    ys, xs = np.nonzero(mask)
    if not len(xs):
        raise ValueError(f"{where}: the ROI mask is empty (no lesion pixel); check the "
                         "mask file or leave the row out")
    cx, cy = float(xs.mean()), float(ys.mean())
    # The outer contours hold every pixel farthest from any point inside them.
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    points = np.concatenate(contours).reshape(-1, 2).astype(float)
    radius = float(np.hypot(points[:, 0] - cx, points[:, 1] - cy).max())
    return {"x": cx, "y": cy, "radius": radius + 0.5,
            "xmin": float(xs.min()), "ymin": float(ys.min()),
            "xmax": float(xs.max()), "ymax": float(ys.max())}


def box_geometry(xmin: float, ymin: float, xmax: float, ymax: float) -> dict:
    """Centre (the box's centre) and radius (half its diagonal) of a box (native pixels)."""
    return {"x": (xmin + xmax) / 2, "y": (ymin + ymax) / 2,
            "radius": math.hypot(xmax - xmin, ymax - ymin) / 2,
            "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}


def binary_mask(path: str, where: str) -> np.ndarray | None:
    """The file's stored values as a boolean mask (the higher value is the lesion) if it
    holds at most two values, else None (a grey image, not a mask)."""
    stored = read_dicom_stored(path, where)
    low, high = stored.min(), stored.max()
    if high == low:
        return stored > 0
    if not np.all((stored == low) | (stored == high)):
        return None
    return stored == high


def fit_mask(mask: np.ndarray, shape: tuple[int, int], where: str) -> np.ndarray:
    """``mask`` on a film of ``shape``: resized (nearest neighbour) and warned about if needed."""
    if mask.shape == tuple(shape):
        return mask
    logger.warning("%s: ROI mask of %dx%d pixels on a film of %dx%d; resized to the film "
                   "(nearest neighbour)", where, mask.shape[1], mask.shape[0], shape[1], shape[0])
    return cv2.resize(mask.astype(np.uint8), (int(shape[1]), int(shape[0])),
                      interpolation=cv2.INTER_NEAREST) > 0


def finish_bunch(rows: list[dict], extras: tuple[str, ...], *, descr: str, return_X_y: bool,
                 target_names: list[str] | None = None):
    """``make_bunch`` of ``rows`` plus the ``extras`` columns (in that order) after the frame's own.

    ``rows`` and ``columns`` of each row (the film's size at the frame's pixel
    size) are kept as ``film_rows`` / ``film_columns``.
    """
    bunch = make_bunch(rows, descr=descr, return_X_y=False)
    data, target = bunch.data, bunch.target
    for column in extras:
        source = {"film_rows": "rows", "film_columns": "columns"}.get(column, column)
        data[column] = pd.Series([r.get(source) for r in rows], index=data.index, dtype=object)
    for column in ("film_rows", "film_columns"):
        if column in data:
            data[column] = data[column].astype(np.int64)
    for column in ("xmin", "ymin", "xmax", "ymax", "native_pixel_mm"):
        if column in data:
            data[column] = data[column].astype(np.float64)
    if any("pending" in r for r in rows):  # Resample operations of films kept on disk (rows of a film share one)
        data["pending"] = pd.Series([r.get("pending", ()) for r in rows], index=data.index,
                                    dtype=object)
    if return_X_y:
        return data, target
    bunch.data, bunch.frame = data, data.assign(target=target)
    bunch.feature_names = list(data.columns)
    if target_names is not None:
        bunch.target_names = list(target_names)
    return bunch


def _centres_in(low: float, high: float, size: int) -> tuple[int, int]:
    """First and last pixel (inclusive, inside ``0 .. size - 1``) whose centre lies in
    ``[low, high]``; the pixel nearest the middle when none does."""
    first, last = math.ceil(low - 1e-6), math.floor(high + 1e-6)
    if last < first:
        first = last = round((low + high) / 2)
    return max(first, 0), min(last, size - 1)


def read_lesion_mask(frame: pd.DataFrame, i: int) -> np.ndarray:
    """The boolean lesion mask of row ``i`` on its film, at the frame's pixel size.

    For localization metrics (a heat map against the annotated lesion):
    ``frame`` is the ``data`` or ``frame`` of :func:`load_cbis_ddsm` (the mask
    file of each lesion in ``mask_path``; a DICOM mask's stored values, its
    higher value the lesion) or :func:`load_vindr_mammo` (the finding's
    box, ``xmin`` ... ``ymax``: the pixels whose centres lie in it, its
    coordinates being the centres of its first and last pixels).  The mask has the film's
    shape as the frame holds it (``film_rows`` x ``film_columns``; resampled
    with ``pixel_mm=``): the mask file resized as its film is (area
    averaging to shrink, bilinear to enlarge), a pixel belonging to the
    lesion where at least half of it does.

    Parameters
    ----------
    frame : DataFrame
        A frame of one of those loaders (rows may be selected, e.g. with ``iloc``).
    i : int
        The row's position (``iloc``).

    Returns
    -------
    mask : ndarray of shape (film_rows, film_columns), bool
        All False for a normal row (no lesion).

    Raises
    ------
    ValueError
        The frame has neither ``mask_path`` nor box columns, or lacks
        ``film_rows`` / ``film_columns``.

    Examples
    --------
    >>> cbis = load_cbis_ddsm("CBIS-DDSM", pixel_mm=0.2)  # doctest: +SKIP
    >>> read_lesion_mask(cbis.data, 0).sum()  # lesion pixels at 0.2 mm  # doctest: +SKIP
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"read_lesion_mask expects a loader's frame, got {type(frame).__name__}")
    missing = [c for c in ("film_rows", "film_columns") if c not in frame.columns]
    if missing:
        raise ValueError(f"read_lesion_mask: the frame has no {' and '.join(missing)} column; "
                         "use the frame of load_cbis_ddsm or load_vindr_mammo")
    row = frame.iloc[i]
    shape = (int(row["film_rows"]), int(row["film_columns"]))
    where = f"film {row.get('film', '?')} (row {frame.index[i]!r})"
    path = row.get("mask_path") if "mask_path" in frame.columns else None
    if isinstance(path, (str, os.PathLike)) and str(path):
        # a DICOM mask's stored values are labels: no window, no MONOCHROME1 inversion
        pixels = read_dicom_stored(path, where) if is_dicom(path) else read_film(path, where)
        low = pixels.min()
        mask = pixels > low if pixels.max() > low else pixels > 0
        if mask.shape == shape:
            return mask
        # resampled as its film is (area averaging to shrink, bilinear to enlarge), then
        # a pixel is lesion where at least half of it is
        shrink = shape[0] * shape[1] < mask.shape[0] * mask.shape[1]
        return cv2.resize(mask.astype(np.float32), (shape[1], shape[0]),
                          interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR) >= 0.5
    if all(c in frame.columns for c in ("xmin", "ymin", "xmax", "ymax")):
        mask = np.zeros(shape, bool)
        box = [row[c] for c in ("xmin", "ymin", "xmax", "ymax")]
        if not all(np.isfinite(v) for v in box):
            return mask
        # box columns are the centres of the first and last lesion pixels (moved as points
        # by place_film): the pixels whose centres lie in the box; a box thinner than a
        # pixel keeps the pixel nearest its middle
        (x0, x1), (y0, y1) = (_centres_in(box[0], box[2], shape[1]),
                              _centres_in(box[1], box[3], shape[0]))
        mask[y0:y1 + 1, x0:x1 + 1] = True
        return mask
    if "mask_path" in frame.columns:  # a normal row of a mask frame
        return np.zeros(shape, bool)
    raise ValueError("read_lesion_mask: the frame has neither a mask_path column nor box "
                     "columns (xmin, ymin, xmax, ymax)")
