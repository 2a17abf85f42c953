"""The non-tissue features of a crop: its size, its place in the breast and on the film, its background.

What :class:`~skmammo.evaluation.ShortcutProbe` learns from: a crop carries
the label when these differ by class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from skmammo.datasets._films import film_getter
from skmammo.preprocessing import TISSUE_LEVEL, tissue_depth

__all__ = ["SHORTCUT_FEATURES", "shortcut_features"]

#: The non-tissue features of :func:`shortcut_features`, in column order.
SHORTCUT_FEATURES: tuple[str, ...] = ("log_side", "depth", "vertical", "background")


def _boxes_and_frame(cropper: Any, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The crop boxes and the frame whose films they refer to."""
    if hasattr(cropper, "crop_boxes"):
        return np.asarray(cropper.crop_boxes(X), dtype=float), X
    if isinstance(cropper, Pipeline) and hasattr(cropper[-1], "crop_boxes"):
        Xt = cropper[:-1].transform(X) if len(cropper) > 1 else X
        return np.asarray(cropper[-1].crop_boxes(Xt), dtype=float), Xt
    raise TypeError(
        "cropper must have a crop_boxes method (an ROICropper) or be a Pipeline ending in one "
        f"(e.g. pipeline[:-1] of make_pipeline), got {type(cropper).__name__}"
    )


def _background(film: np.ndarray, box: np.ndarray) -> float:
    """Share of the box's area that lies outside the film or is grey <= TISSUE_LEVEL."""
    x0, y0, x1, y1 = (int(v) for v in np.rint(box))
    area = max(x1 - x0, 1) * max(y1 - y0, 1)
    rows, cols = film.shape
    inside = film[max(y0, 0):max(min(y1, rows), 0), max(x0, 0):max(min(x1, cols), 0)]
    dark = int(np.count_nonzero(inside <= TISSUE_LEVEL))
    return float(min((dark + area - inside.size) / area, 1.0))


def shortcut_features(cropper: Any, X: pd.DataFrame) -> pd.DataFrame:
    """The non-tissue features of every sample's crop: size, place and background.

    Parameters
    ----------
    cropper : ROICropper or Pipeline
        A fitted (or stateless) cropper: anything with ``crop_boxes(X)``,
        or a fitted pipeline of film steps ending in one (e.g.
        ``pipeline[:-1]`` of :func:`~skmammo.pipeline.make_pipeline`: the
        films are then measured after ``Denoiser`` and ``CLAHE``, as the
        network sees them).
    X : DataFrame
        A mammogram frame (films in ``image`` or, on disk, in ``path``).

    Returns
    -------
    DataFrame
        One row per sample, index of ``X``, columns:

        - ``log_side``: natural log of the crop box side (the geometric mean
          of its width and height) in millimetres where the row has a finite
          ``pixel_mm`` (film pixel size; boxes on films a ``FilmResizer``
          shrank are scaled back with ``scale_x`` / ``scale_y``), else in
          film pixels;
        - ``depth``: signed relative depth of the box centre in the breast,
          :meth:`TissueDepth.at <skmammo.preprocessing.TissueDepth.at>` (0 on
          the skin line, 1 at the deepest point, negative outside);
        - ``vertical``: distance of the box centre from the film's middle
          row, in half film heights (0 in the middle, 1 on the top or bottom
          edge): where along the breast the crop sits, which depth does not
          say (a window at the right depth can still lie near the film's
          edge, where lesions are rare);
        - ``background``: share of the box's area that is padding (outside
          the film) or grey <= :data:`~skmammo.preprocessing.TISSUE_LEVEL`
          on the film given to the cropper, in [0, 1].

        Each film is read and measured once, whatever its number of rows.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.evaluation import shortcut_features
    >>> from skmammo.preprocessing import ROICropper
    >>> X = make_synthetic_mammograms(6, image_size=128, random_state=0).frame
    >>> shortcut_features(ROICropper().fit(X), X).columns.tolist()
    ['log_side', 'depth', 'vertical', 'background']
    """
    boxes, Xf = _boxes_and_frame(cropper, X)
    n = len(boxes)
    width = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-9)
    height = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-9)
    side = np.sqrt(width * height)
    if "pixel_mm" in Xf.columns:
        pixel_mm = pd.to_numeric(Xf["pixel_mm"], errors="coerce").to_numpy(dtype=float)
        scale = np.ones(n)
        if {"scale_x", "scale_y"} <= set(Xf.columns):
            scale = np.sqrt(Xf["scale_x"].to_numpy(float) * Xf["scale_y"].to_numpy(float))
        in_mm = np.isfinite(pixel_mm) & (pixel_mm > 0)
        side = np.where(in_mm, side / scale * np.where(in_mm, pixel_mm, 1.0), side)
    keys, get = film_getter(Xf, "shortcut_features")
    films: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        films.setdefault(key, []).append(i)
    depth = np.empty(n)
    vertical = np.empty(n)
    background = np.empty(n)
    for rows in films.values():
        film = get(rows[0])
        depth_map = tissue_depth(film)
        for i in rows:
            depth[i], vertical[i] = depth_map.place(*boxes[i])  # what ROICropper matches
            background[i] = _background(film, boxes[i])
    return pd.DataFrame({"log_side": np.log(side), "depth": depth, "vertical": vertical,
                         "background": background}, index=X.index)
