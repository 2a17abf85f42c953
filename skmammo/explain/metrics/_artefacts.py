"""Signs that a heatmap shows an artefact rather than tissue: weight on the crop's edge or padding,
and weights too small to mean anything.

- :func:`border_share`: the share of a map's positive mass in the outer frame
  of the crop (by default the outer 10% on every side: 36% of the area, so a
  flat map has 0.36 there);
- :func:`padding_share`: the share of a map's positive mass on the crop's
  padding, the part of the crop box that lies outside the film;
- :func:`near_zero`: whether a signed map's weights are too small to show
  (the model's output hardly changes when regions are hidden).

The reports flag a map whose ``border_share`` (of all its positive mass, or of
its hottest 5% of pixels, ``top=0.05``) or ``padding_share`` exceeds
:data:`EDGE_FLAG` (0.5), and draw a :func:`near_zero` map flat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skmammo.utils import check_interval

__all__ = ["EDGE_FLAG", "NEAR_ZERO", "border_share", "near_zero", "padding_share"]

#: Share of the positive mass on the border frame or on padding above which reports flag a map.
EDGE_FLAG = 0.5
#: Largest absolute weight (in class-probability units) below which a signed map counts as zero.
NEAR_ZERO = 1e-3


def _positive(heatmap: np.ndarray) -> np.ndarray:
    h = np.asarray(heatmap, dtype=float)
    if h.ndim != 2:
        raise ValueError(f"expected one 2-D heatmap, got shape {h.shape}")
    return np.clip(np.nan_to_num(h), 0.0, None)


def border_share(heatmap: np.ndarray, frame: float = 0.1, *, top: float | None = None) -> float:
    """Share of a map's positive mass in the outer ``frame`` of the crop.

    The frame is ``round(frame * side)`` pixels wide on each of the four
    sides.  NaN for a map with no positive mass (nothing to place).  With
    ``top``, only the hottest ``top`` share of the pixels counts (the map's
    peak: a hot band on the edge of an otherwise lukewarm map).

    Parameters
    ----------
    heatmap : ndarray of shape (H, W)
    frame : float, default=0.1
        Width of the border frame as a share of the crop side (0 < frame < 0.5).
    top : float, optional
        Count only the pixels at or above the ``1 - top`` quantile (0 < top <= 1).

    Returns
    -------
    float
        In [0, 1]; a map spread evenly over the crop gives ``1 - (1 - 2 frame)^2``
        (0.36 for the default).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.zeros((10, 10)); h[0, :] = 1.0  # all on the top row
    >>> border_share(h), round(border_share(np.ones((10, 10))), 2)
    (1.0, 0.36)
    >>> h = np.full((10, 10), 0.3); h[-1, :] = 1.0  # lukewarm, hottest on the bottom edge
    >>> round(border_share(h), 2), border_share(h, top=0.05)
    (0.48, 1.0)
    """
    check_interval(frame, "frame", 0, 0.5, closed="neither")
    p = _positive(heatmap)
    if top is not None:
        check_interval(top, "top", 0, 1, closed="right")
        p = np.where(p >= np.quantile(p, 1 - top), p, 0.0)
    total = p.sum()
    if total <= 0:
        return float("nan")
    rows, cols = p.shape
    dr, dc = max(round(frame * rows), 1), max(round(frame * cols), 1)
    inner = p[dr:rows - dr, dc:cols - dc].sum()
    return float((total - inner) / total)


def padding_mask(box: Sequence[float], film_shape: tuple[int, int], crop_shape: tuple[int, int]) -> np.ndarray:
    """Pixels of a crop that show padding: where its box ``x0, y0, x1, y1`` leaves the film.

    Examples
    --------
    >>> padding_mask((-5, 0, 5, 10), (20, 20), (10, 10))[0].astype(int).tolist()
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    rows, cols = crop_shape
    # centre of every crop pixel, in film pixels
    fx = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    fy = y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows
    outside_x = (fx < 0) | (fx > film_shape[1])
    outside_y = (fy < 0) | (fy > film_shape[0])
    return outside_y[:, None] | outside_x[None, :]


def padding_share(heatmap: np.ndarray, box: Sequence[float], film_shape: tuple[int, int]) -> float:
    """Share of a map's positive mass on the crop's padding (outside the film).

    0 when the box lies inside the film; NaN for a map with no positive mass.

    Examples
    --------
    >>> import numpy as np
    >>> padding_share(np.ones((10, 10)), (-5, 0, 5, 10), (20, 20))
    0.5
    """
    p = _positive(heatmap)
    total = p.sum()
    if total <= 0:
        return float("nan")
    return float(p[padding_mask(box, film_shape, p.shape)].sum() / total)


def near_zero(heatmap: np.ndarray, tol: float = NEAR_ZERO) -> bool:
    """Whether every weight of a (signed) map is below ``tol`` in absolute value.

    LIME and Kernel SHAP weights are changes of the class probability: below
    ``1e-3`` (a tenth of a percentage point) hiding any region leaves the
    output as it is, the model is saturated, and a colour scale stretched to
    such weights shows noise.

    Examples
    --------
    >>> import numpy as np
    >>> near_zero(np.full((4, 4), 2e-5)), near_zero(np.full((4, 4), 0.02))
    (True, False)
    """
    h = np.nan_to_num(np.asarray(heatmap, dtype=float))
    return bool(np.abs(h).max(initial=0.0) < tol)
