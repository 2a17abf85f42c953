"""Agreement of heatmaps with the annotated lesion circles."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from skmammo.explain._explanation import Explanation
from skmammo.explain.metrics._common import maps_of

__all__ = ["circles_in_crop", "localization"]


def circles_in_crop(
    boxes: np.ndarray, x: np.ndarray, y: np.ndarray, radius: np.ndarray, crop_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lesion circles from film coordinates to crop coordinates.

    ``boxes`` are the crop boxes ``x0, y0, x1, y1`` (film pixels) of
    ``Explanation.boxes``; the crop of ``crop_shape`` (rows, cols) shows the
    box resized.  Returns ``x, y, radius`` in crop pixels (NaN stays NaN).
    """
    boxes = np.asarray(boxes, dtype=float)
    sx = crop_shape[1] / (boxes[:, 2] - boxes[:, 0])
    sy = crop_shape[0] / (boxes[:, 3] - boxes[:, 1])
    cx = (np.asarray(x, dtype=float) - boxes[:, 0]) * sx
    cy = (np.asarray(y, dtype=float) - boxes[:, 1]) * sy
    return cx, cy, np.asarray(radius, dtype=float) * np.sqrt(sx * sy)


def localization(
    explanation: Explanation,
    x: np.ndarray,
    y: np.ndarray,
    radius: np.ndarray,
    *,
    tolerance: float = 0.0,
) -> Bunch:
    """Agreement of the heatmaps with annotated lesion circles (crop coordinates).

    - pointing game: is the map's maximum inside the circle (radius plus
      ``tolerance`` pixels)?  On a plateau (LIME / SHAP superpixels) any
      maximal pixel inside counts; a map that is constant (e.g. an all-zero
      Grad-CAM) never scores;
    - positive share: the share of the positive attribution that falls inside
      the circle (0 when there is none).

    Images without a lesion (NaN centre or radius) are left out of the means.

    Parameters
    ----------
    explanation : Explanation
    x, y, radius : array of shape (n,)
        Circle centre (x = column, y = row) and radius in crop pixels; see
        :func:`circles_in_crop` for circles given on the film.
    tolerance : float, default=0.0
        Extra pixels allowed around the circle for the pointing game.

    Returns
    -------
    Bunch
        ``pointing_game`` and ``positive_share`` (means over lesions),
        ``n_lesions``, and the per-image arrays ``hit`` and ``share`` (NaN
        without a lesion).

    Examples
    --------
    >>> localization(e, x, y, r)["pointing_game"]  # doctest: +SKIP
    """
    maps = maps_of(explanation)
    n, height, width = maps.shape
    x, y, radius = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (x, y, radius))
    yy, xx = np.mgrid[:height, :width]
    hit = np.full(n, np.nan)
    share = np.full(n, np.nan)
    for i in range(n):
        if not (np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(radius[i])):
            continue
        d = np.hypot(xx - x[i], yy - y[i])
        h = maps[i]
        top = h.max()
        if top > h.min():
            hit[i] = float(np.any(d[h == top] <= radius[i] + tolerance))
        else:
            hit[i] = 0.0
        pos = np.clip(h, 0, None)
        total = pos.sum()
        share[i] = float(pos[d <= radius[i]].sum() / total) if total > 0 else 0.0
    have = np.isfinite(hit)
    return Bunch(
        pointing_game=float(np.mean(hit[have])) if have.any() else float("nan"),
        positive_share=float(np.mean(share[have])) if have.any() else float("nan"),
        n_lesions=int(have.sum()),
        hit=hit,
        share=share,
    )
