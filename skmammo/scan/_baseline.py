"""A non-learned scanner: bright blobs at a lesion's scale, read on the scan's own grid.

:func:`baseline_scan` is what a learned scan (:func:`~skmammo.scan.scan_films`)
is compared with: the same windows, the same breast mask, the same film
score and candidate rules (:func:`~skmammo.scan.film_scores`,
:func:`~skmammo.scan.find_candidates`), the same :class:`~skmammo.scan.FilmScan`
result, but the window's abnormality is a Laplacian-of-Gaussian blob
response instead of a trained network.  Nothing in it is fitted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from skmammo.datasets._films import film_getter
from skmammo.preprocessing._geometry import window_sides
from skmammo.scan._result import (
    FilmScan,
)
from skmammo.scan._run import _grid, _prepare, scanned_films, window_starts
from skmammo.utils import check_int, check_positive, film_label

__all__ = ["BASELINE_CLASSES", "baseline_scan", "blob_response"]

#: Classes of a baseline scan: its "probabilities" are ``1 - s`` and ``s``.
BASELINE_CLASSES = np.array(["normal", "abnormal"], dtype=object)


def blob_response(film: np.ndarray, sigmas: Sequence[float]) -> np.ndarray:
    """Bright-blob strength at every pixel: the scale-normalised negative LoG, maximised over scales.

    ``max over s of -s^2 * (d2/dx2 + d2/dy2)(G_s * film)``, in grey levels.  A
    bright disc of radius ``r`` and contrast ``C`` on a flat background gives
    its largest value, about ``0.74 C`` (``2 C / e``), at its centre at
    ``s = r / sqrt(2)``; flat tissue gives about 0, dark blobs negative values.

    Parameters
    ----------
    film : ndarray of shape (rows, cols)
    sigmas : sequence of float
        Gaussian scales in pixels of ``film``.

    Returns
    -------
    ndarray of shape (rows, cols), float32

    Examples
    --------
    >>> film = np.zeros((64, 64), np.uint8); film[28:36, 28:36] = 100
    >>> response = blob_response(film, [4 / 2 ** 0.5])
    >>> np.unravel_index(int(np.argmax(response)), response.shape) in [(31, 31), (31, 32), (32, 31), (32, 32)]
    True
    """
    image = np.asarray(film, np.float32)
    best = np.full(image.shape, -np.inf, np.float32)
    for sigma in sigmas:
        smooth = cv2.GaussianBlur(image, (0, 0), float(sigma), borderType=cv2.BORDER_REPLICATE)
        log = cv2.Laplacian(smooth, cv2.CV_32F, ksize=1, borderType=cv2.BORDER_REPLICATE)
        np.maximum(best, -float(sigma) ** 2 * log, out=best)
    return best


def _cell_maxima(response: np.ndarray, size: int, stride: int) -> np.ndarray:
    """``(ny, nx)``: the largest response within half a stride of each window's centre."""
    rows, cols = response.shape
    ys, xs = window_starts(rows, size, stride), window_starts(cols, size, stride)
    out = np.empty((len(ys), len(xs)), np.float32)
    half = stride / 2
    for i, top in enumerate(ys):
        cy = top + size / 2
        r0, r1 = max(0, math.floor(cy - half)), min(rows, math.ceil(cy + half))
        band = response[r0:r1]
        for j, left in enumerate(xs):
            cx = left + size / 2
            c0, c1 = max(0, math.floor(cx - half)), min(cols, math.ceil(cx + half))
            out[i, j] = band[:, c0:c1].max()
    return out


def baseline_scan(X: pd.DataFrame, *, window_mm: float = 51.2, window_px: int = 256,
                  size: int = 224, stride: int = 16,
                  radii_mm: Sequence[float] = (4.0, 8.0, 16.0), contrast: float = 10.0,
                  top_k: int = 5, max_candidates: int = 10, min_distance: float | None = None,
                  min_score: float = 0.0) -> FilmScan:
    """Scan whole films with a Laplacian-of-Gaussian blob detector: the non-learned baseline.

    Each film is resized as :func:`~skmammo.scan.scan_films` resizes it (one
    ``window_mm`` window becomes ``size`` pixels) and its breast found the
    same way.  The bright-blob response (:func:`blob_response`) is computed
    at the scales of lesions of radius ``radii_mm`` (``sigma = r /
    sqrt(2)``), and each window of the scan's grid (top-left corners every
    ``stride`` resized pixels, and one flush with the far edges) takes the
    largest response within half a stride of its centre.  So a pixel
    belongs to the cell of the nearest window centre, except in a band of
    about half a window along the film's edges, outside every cell: the
    baseline does not see blobs there.  Kept so on purpose: cells stretched
    to the edges read the chest wall, cut by the film's edge, as a bright
    blob (on 40 synthetic films the film AUC fell from 0.77 to 0.65).  That response ``R`` (grey levels)
    becomes the window's abnormality ``s = 1 / (1 + exp(-R / contrast))``,
    stored as the "probabilities" ``(1 - s, s)`` of classes ``normal`` and
    ``abnormal``; the film scores and candidates then follow the learned
    scan's rules.

    ``s`` is **not a probability**: it is a monotone function of the blob
    response, enough to rank films (ROC AUC) and candidates (FROC), and
    nothing more.  The film is read as given (no ``Denoiser`` or ``CLAHE``):
    contrast equalisation would flatten the brightness the detector measures.

    Parameters
    ----------
    X : DataFrame
        A mammogram frame (``image`` or ``path``; ``pixel_mm`` sets the
        window's side, annotations are ignored).  Rows of one film are
        scanned once.
    window_mm, window_px, size : float, int, int
        The window as :class:`~skmammo.preprocessing.ROICropper` has it (the
        defaults are :func:`~skmammo.pipeline.make_pipeline`'s).
    stride : int, default=16
        Resized pixels between windows (the network's stride, as the learned scan).
    radii_mm : sequence of float, default=(4, 8, 16)
        Lesion radii looked for, in millimetres (a mini-MIAS lesion's
        annotated radius is 8 mm at the median, 1.2-39 mm in all).
    contrast : float, default=10
        Grey levels of response that move ``s`` from 0.5 to 0.73; only the
        spread of ``s``, not the ranking, depends on it.
    top_k, max_candidates, min_distance, min_score
        As in :meth:`skmammo.pipeline.MammoPipeline.scan`.

    Returns
    -------
    FilmScan
        ``classes`` ``["normal", "abnormal"]``, ``exact=False``.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> films = make_synthetic_mammograms(4, image_size=128, random_state=0)
    >>> result = baseline_scan(films.frame, size=32)
    >>> result.scores.shape, list(result.classes)
    ((4, 2), ['normal', 'abnormal'])
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"baseline_scan expects a mammogram frame (columns image or path), "
                        f"got {type(X).__name__}")
    check_positive(window_mm, "window_mm")
    check_int(window_px, "window_px", minimum=1)
    check_int(size, "size", minimum=1)
    check_int(stride, "stride", minimum=1)
    check_int(top_k, "top_k", minimum=1)
    check_int(max_candidates, "max_candidates", minimum=0)
    check_positive(contrast, "contrast")
    radii = np.asarray(radii_mm, np.float64)
    if radii.ndim != 1 or len(radii) == 0 or not np.all(radii > 0):
        raise ValueError(f"radii_mm must be positive millimetres, got {list(radii_mm)!r}")

    rows, ids = scanned_films(X, "baseline_scan")
    films = X.iloc[rows]
    sides = window_sides(films, float(window_mm), int(window_px))
    _, get = film_getter(films, "baseline_scan")
    grids = []
    for i in range(len(films)):
        prepared = _prepare(get, i, film_label(films, i), int(sides[i]), int(size))
        mm_per_pixel = float(window_mm) / int(size)      # of the resized film
        response = blob_response(prepared["resized"], radii / mm_per_pixel / math.sqrt(2))
        cells = _cell_maxima(response, int(size), int(stride)).astype(np.float64)
        abnormal = 1.0 / (1.0 + np.exp(-cells / float(contrast)))
        probs = np.stack([1.0 - abnormal, abnormal], axis=-1).astype(np.float32)
        grids.append(_grid(prepared, probs, int(size), int(stride)))

    classes = BASELINE_CLASSES.copy()
    return FilmScan.from_grids(ids, classes, grids, top_k=top_k, max_candidates=max_candidates,
                               min_distance=min_distance, min_score=min_score, exact=False)
