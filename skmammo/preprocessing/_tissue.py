"""Where a point sits in the breast: the relative depth map of a film.

The window cropper places normal windows at the depths and heights on the
film lesion windows have, and the shortcut probes (:mod:`skmammo.evaluation`)
measure a window's depth and height as non-tissue features; both read them
from :func:`tissue_depth` (:meth:`TissueDepth.place`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["TISSUE_LEVEL", "TissueDepth", "tissue_depth"]

#: Grey level above which a pixel counts as tissue (also the probes' "dark" level).
TISSUE_LEVEL = 20
#: Films are reduced to at most this side to measure depth.
_GRID = 256


@dataclass(frozen=True)
class TissueDepth:
    """The relative depth of every point of a film, on a reduced grid.

    Attributes
    ----------
    distance : ndarray of shape (ceil(rows / step), ceil(cols / step)), float32
        Distance in grid cells to the skin line (the edge of the largest
        tissue region); 0 outside the breast.  All zeros when the film holds
        no pixel above :data:`TISSUE_LEVEL`.
    outside : ndarray of the same shape, float32
        Distance in grid cells to the breast for the cells outside it; 0 inside.
    step : int
        Film pixels per grid cell.
    shape : tuple of int
        ``(rows, cols)`` of the film.
    """

    distance: np.ndarray
    outside: np.ndarray
    step: int
    shape: tuple[int, int]

    @property
    def has_tissue(self) -> bool:
        """Whether the film holds any tissue at all."""
        return bool(self.distance.max() > 0)

    @property
    def depth(self) -> np.ndarray:
        """``distance`` divided by its maximum: 0 on the skin line, 1 at the deepest point."""
        top = float(self.distance.max())
        return self.distance / top if top > 0 else self.distance

    def at(self, x: float, y: float) -> float:
        """Signed relative depth at film pixel ``(x, y)`` (column, row; clipped to the film).

        :attr:`depth` inside the breast; outside it, minus the distance to the
        breast in the same unit (the deepest point's distance to the skin line).
        """
        rows, cols = self.distance.shape
        c = min(max(int(x // self.step), 0), cols - 1)
        r = min(max(int(y // self.step), 0), rows - 1)
        top = float(self.distance.max())
        if top <= 0:
            return 0.0
        return (float(self.distance[r, c]) - float(self.outside[r, c])) / top

    def signed_depth(self) -> np.ndarray:
        """:meth:`at` for every grid cell, as an array of the grid's shape."""
        top = float(self.distance.max())
        if top <= 0:
            return np.zeros_like(self.distance)
        return (self.distance - self.outside) / top

    def place(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float]:
        """Where a box sits: ``(depth, vertical)`` of its centre.

        ``depth`` is :meth:`at` the box centre; ``vertical`` the distance of
        the centre from the film's middle row in half film heights,
        ``abs((y0 + y1) / rows - 1)`` (0 in the middle, 1 on the top or
        bottom edge; ``y1`` exclusive).  What the window cropper matches
        normal windows on and what the shortcut probes measure.

        Parameters
        ----------
        x0, y0, x1, y1 : float
            The box in film pixels (origin top-left, ``x1``/``y1`` exclusive).

        Returns
        -------
        depth, vertical : float
        """
        return self.at((x0 + x1) / 2, (y0 + y1) / 2), abs((y0 + y1) / self.shape[0] - 1.0)

    def centre(self) -> tuple[float, float]:
        """The deepest point ``(x, y)`` in film pixels (the film's centre without tissue)."""
        rows, cols = self.shape
        if not self.has_tissue:
            return (cols - 1) / 2, (rows - 1) / 2
        r, c = np.unravel_index(int(np.argmax(self.distance)), self.distance.shape)
        return self.to_film(c, r)

    def to_film(self, col: int, row: int) -> tuple[float, float]:
        """Film pixel ``(x, y)`` at the middle of grid cell ``(col, row)``."""
        rows, cols = self.shape
        step = self.step
        return (float(min(col * step + step / 2, cols - 1)),
                float(min(row * step + step / 2, rows - 1)))


def tissue_depth(film: np.ndarray, *, edge_is_skin: bool = False) -> TissueDepth:
    """Relative depth map of the largest tissue region of a grey film.

    The film is reduced to at most 256 pixels a side (every ``step``-th
    pixel), pixels above :data:`TISSUE_LEVEL` are tissue, and the largest
    8-connected tissue region is the breast; its Euclidean distance
    transform, divided by its maximum, is the depth.

    Parameters
    ----------
    film : ndarray of shape (rows, cols), uint8
    edge_is_skin : bool, default=False
        Whether the film's edge counts as skin line.  False: a breast cut by
        the film edge (the chest wall) stays deep there.  ``ROICropper``'s
        native mode centres normal crops with True, as it always has.

    Returns
    -------
    TissueDepth

    Examples
    --------
    >>> film = np.zeros((100, 100), np.uint8); film[:, :60] = 90
    >>> depth = tissue_depth(film)
    >>> depth.at(30, 50) > depth.at(58, 50) > 0 > depth.at(80, 50)
    True
    """
    rows, cols = film.shape
    step = max(1, int(math.ceil(max(rows, cols) / _GRID)))
    small = film[::step, ::step]
    mask = (small > TISSUE_LEVEL).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        zeros = np.zeros(small.shape, np.float32)
        return TissueDepth(zeros, zeros, step, (rows, cols))
    mask = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    border = cv2.BORDER_CONSTANT if edge_is_skin else cv2.BORDER_REPLICATE
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, border, value=0)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 5)
    return TissueDepth(distance, outside, step, (rows, cols))
