"""``CLAHE``: contrast-limited adaptive histogram equalisation with OpenCV."""

from __future__ import annotations

import numbers
from typing import Any

import cv2
import numpy as np

from skmammo.preprocessing._base import StatelessTransformer, map_films
from skmammo.preprocessing._cache import operation_key
from skmammo.utils import check_positive

__all__ = ["CLAHE"]


class CLAHE(StatelessTransformer):
    """Enhance contrast with OpenCV's CLAHE, film by film.

    The study's setting: ``cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))``
    applied to every grey film.  The result is exactly OpenCV's own.

    Parameters
    ----------
    clip_limit : float, default=2.0
        Contrast limit (OpenCV's ``clipLimit``).
    tile_grid_size : tuple of 2 int, default=(8, 8)
        Number of tiles across and down (OpenCV's ``tileGridSize``).
    n_jobs : int or None, default=None
        Films processed in parallel (threads; ``-1`` all cores).
    verbose : int, default=0
        ``> 0`` shows a progress bar.

    See Also
    --------
    Denoiser : run before CLAHE, so the background stays black.
    ROICropper : cuts the region of interest afterwards.

    Notes
    -----
    Stateless: ``fit`` only checks the parameters, and ``transform`` works
    without it.  A frame comes back as a new frame (rows of one film share one
    new read-only array), an ``(n, H, W)`` array as an array, a list as a list;
    the input is never modified.  ``uint16`` films are rescaled to ``uint8``
    first (``round(image * 255 / image.max())``).

    A frame with films on disk (a ``path`` column, no ``image``) is not
    read: a copy of this step, parameters frozen, is added to its
    ``pending`` column and runs when ``ROICropper`` reads the film (see
    ``docs/scaling.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.preprocessing import CLAHE
    >>> films = np.random.default_rng(0).integers(0, 80, (2, 64, 64), dtype=np.uint8)
    >>> out = CLAHE().fit_transform(films)
    >>> out.shape, out.dtype, int(out.max()) > int(films.max())
    ((2, 64, 64), dtype('uint8'), True)
    """

    def __init__(self, clip_limit: float = 2.0, tile_grid_size: tuple[int, int] = (8, 8),
                 n_jobs: int | None = None, verbose: int = 0):
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> tuple[float, tuple[int, int]]:
        clip = check_positive(self.clip_limit, "clip_limit")
        grid = self.tile_grid_size
        if (not isinstance(grid, (tuple, list)) or len(grid) != 2
                or not all(isinstance(g, numbers.Integral) and not isinstance(g, bool) and g >= 1
                           for g in grid)):
            raise ValueError(
                f"tile_grid_size must be two positive integers (columns, rows), got {grid!r}"
            )
        return clip, (int(grid[0]), int(grid[1]))

    def _equalise(self, film: np.ndarray) -> np.ndarray:
        # A bound method (not a closure) so a deferred step pickles to Dask
        # workers; a CLAHE object per call: OpenCV's objects are not thread-safe.
        clip, grid = self._check_params()
        return cv2.createCLAHE(clipLimit=clip, tileGridSize=grid).apply(film)

    def transform(self, X: Any) -> Any:
        """Equalise every film.

        Parameters
        ----------
        X : DataFrame, ndarray of shape (n, H, W) or list of 2-D arrays
            A mammogram frame or grey films (uint8, or uint16 rescaled).

        Returns
        -------
        Xt : same kind as ``X``
            The equalised films (uint8).
        """
        self._check_params()
        return map_films(self._equalise, X, who="CLAHE", n_jobs=self.n_jobs, verbose=self.verbose,
                         cache_key=operation_key(self))
