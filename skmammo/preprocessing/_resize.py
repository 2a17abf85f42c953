"""``FilmResizer``: shrink every film to one square side first, as the study did."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from skmammo.datasets._films import PENDING, film_getter
from skmammo.preprocessing._base import STUDY_SIDE, StatelessTransformer
from skmammo.utils import check_image, check_int

__all__ = ["SCALE_COLUMNS", "FilmResizer"]

#: Columns a resized frame carries: per row, the factors from the original
#: film's pixels to this frame's pixels (``x`` and ``y``).
SCALE_COLUMNS = ("scale_x", "scale_y")


class FilmResizer(StatelessTransformer):
    """Resize every whole film to ``side x side`` and scale its annotations with it.

    The study's first step: each film was shrunk to 224 x 224 (OpenCV's
    bilinear ``cv2.resize``) before it was denoised, enhanced and cropped, so
    its ``Denoiser``, ``CLAHE`` and crops all worked at that scale.
    ``make_pipeline(mode="study")`` puts this step first to reproduce that;
    skmammo's own pipeline keeps the full resolution.

    Parameters
    ----------
    side : int, default=224
        Side of the resized (square) films in pixels.
    n_jobs : int or None, default=None
        Films resized in parallel (threads).
    verbose : int, default=0
        ``> 0`` shows a progress bar.

    Notes
    -----
    ``transform`` takes a mammogram frame and returns a new frame whose
    ``image`` holds the resized films (rows of one film share one read-only
    array), with ``x`` and ``y`` scaled by ``sx`` and ``sy`` and ``radius``
    by their geometric mean ``sqrt(sx * sy)`` (one factor on square films
    such as MIAS's, as in the study).  The frame records the factors in the
    columns ``scale_x`` and ``scale_y`` (multiplied into any already there),
    so a box ``x0, y0, x1, y1`` found on the resized film is
    ``box / (sx, sy, sx, sy)`` on the original one (``MammoPipeline.explain``
    does this); the transformer itself keeps no state.  Films on disk (a ``path`` column) are
    read once each and come back in memory: at 224 pixels a film is 50 kB.
    An ``(n, H, W)`` array is resized to ``(n, side, side)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skmammo.preprocessing import FilmResizer
    >>> film = np.zeros((1024, 1024), np.uint8)
    >>> frame = pd.DataFrame({"image": [film], "x": [512.0], "y": [256.0], "radius": [64.0]})
    >>> out = FilmResizer().fit_transform(frame)
    >>> out["image"].iloc[0].shape, out[["x", "y", "radius"]].iloc[0].tolist()
    ((224, 224), [112.0, 56.0, 14.0])
    """

    def __init__(self, side: int = STUDY_SIDE, n_jobs: int | None = None, verbose: int = 0):
        self.side = side
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> int:
        return check_int(self.side, "side", minimum=8)

    def _resize(self, film: np.ndarray) -> np.ndarray:
        side = int(self.side)
        out = cv2.resize(film, (side, side), interpolation=cv2.INTER_LINEAR)
        out.setflags(write=False)
        return out

    def transform(self, X: Any) -> Any:
        """Resize the films of ``X`` and scale their ``x``, ``y`` and ``radius``.

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n, H, W)
            A mammogram frame (``image`` or ``path``; ``x``, ``y``, ``radius``
            are scaled where present) or a stack of films.

        Returns
        -------
        DataFrame or ndarray of shape (n, side, side)
            A frame also gets the columns ``scale_x`` and ``scale_y``.
        """
        side = self._check_params()
        if isinstance(X, np.ndarray):
            if X.ndim != 3:
                raise ValueError(f"FilmResizer expects a mammogram frame or an (n, rows, "
                                 f"columns) stack, got an array of shape {X.shape}")
            films = [check_image(f, f"image {i}") for i, f in enumerate(X)]
            return np.stack([self._resize(f) for f in films]) if films else np.empty(
                (0, side, side), np.uint8)

        keys, get = film_getter(X, "FilmResizer")
        first: dict[Any, int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)

        def work(i: int) -> tuple[np.ndarray, tuple[int, int]]:
            film = get(i)
            return self._resize(film), film.shape

        rows = list(first.values())
        progress = tqdm(rows, desc="FilmResizer", unit="film", disable=not self.verbose,
                        leave=False)
        if self.n_jobs in (None, 1) or len(rows) < 2:
            done = [work(i) for i in progress]
        else:
            done = Parallel(n_jobs=self.n_jobs, backend="threading")(
                delayed(work)(i) for i in progress)
        by_key = {keys[i]: result for i, result in zip(rows, done)}

        shapes = np.array([by_key[key][1] for key in keys], dtype=np.float64).reshape(-1, 2)
        sx, sy = side / shapes[:, 1], side / shapes[:, 0]
        out = X.drop(columns=[c for c in ("path", PENDING) if c in X.columns])
        for column, factor in zip(SCALE_COLUMNS, (sx, sy)):
            before = out[column].to_numpy(np.float64) if column in out.columns else 1.0
            out[column] = before * factor
        out["image"] = pd.Series([by_key[key][0] for key in keys], index=X.index, dtype=object)
        # Coordinates scale about the film's corner (x * s), not pixel centre to pixel
        # centre as place_film moves them ((x + 0.5) * s - 0.5): under half a resized pixel
        # apart (0.39 px at 1024 -> 224).  Kept so that the study protocol's published
        # numbers (docs/results/study.md) stay what this code reproduces.
        for column, factor in (("x", sx), ("y", sy), ("radius", np.sqrt(sx * sy))):
            if column in out.columns:
                out[column] = out[column].to_numpy(dtype=np.float64) * factor
        return out
