"""``Denoiser``: keep the breast, black out labels, markers and scanner noise."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from skmammo.preprocessing._base import STUDY_SIDE as _STUDY_SIDE
from skmammo.preprocessing._base import StatelessTransformer, map_films
from skmammo.preprocessing._cache import operation_key
from skmammo.utils import check_int, renamed

__all__ = ["Denoiser", "breast_mask", "study_mask"]

#: Sizes below are in pixels of a 1024-pixel MIAS film (200 micron pixels) and
#: scale with the film's longer side.
_REFERENCE_SIDE = 1024
#: The study's kernels, at its 224 x 224 working scale.
_STUDY_MORPH = 5
_STUDY_DILATION = 55
#: ``breast_mask`` works on films reduced to about this side (x4 faster at
#: 1024) and enlarges the mask back; the boundary is exact to ~2 film pixels.
_WORK_SIDE = 512


def _odd(size: float) -> int:
    return max(1, int(round(size)) | 1)


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    return (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)


def _fill(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, cv2.FILLED)
    return filled


def _otsu_core(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The study's breast region: largest external Otsu contour, filled (no dilation)."""
    level, binary = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = _ellipse(_STUDY_MORPH)
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    core = np.zeros_like(binary)
    if contours:
        cv2.drawContours(core, [max(contours, key=cv2.contourArea)], -1, 1, cv2.FILLED)
    return core, float(level)


def _drop_far(body: np.ndarray, bright: np.ndarray, near: np.ndarray, halo: int) -> None:
    """Black out (in place) components of ``bright & body`` that do not reach ``near``."""
    bright = (bright & (body > 0)).astype(np.uint8)
    n, labels = cv2.connectedComponents(bright, connectivity=8)
    if n <= 1:
        return
    touching = np.bincount(labels[(near > 0) & (bright > 0)], minlength=n) > 0
    touching[0] = True
    far = ~touching[labels]
    if far.any():
        body[cv2.dilate(far.astype(np.uint8), _ellipse(halo)) > 0] = 0


def study_mask(image: np.ndarray, *, dilate: bool = True) -> np.ndarray:
    """The study's noise-and-artifact mask of one film (``uint8``, 1 = keep).

    Otsu threshold, morphological close then open (5 x 5 ellipse), the largest
    external contour filled, then dilated with an ellipse of 55 pixels at the
    study's 224-pixel scale (251 pixels on a 1024-pixel film).  With
    ``dilate=False``: the filled contour alone, "the study's breast region".

    Examples
    --------
    >>> film = np.zeros((64, 64), np.uint8); film[10:50, :30] = 120
    >>> int(study_mask(film, dilate=False).sum())
    1196
    """
    core, _ = _otsu_core(image)
    if not dilate:
        return core
    size = _odd(_STUDY_DILATION * max(image.shape) / _STUDY_SIDE)
    return cv2.dilate(core, _ellipse(size))


def breast_mask(
    image: np.ndarray,
    *,
    threshold: int = 20,
    opening: int = 15,
    margin: int = 15,
    dilation: int = 5,
    bright: int = 150,
) -> np.ndarray:
    """skmammo's breast mask of one film (``uint8``, 1 = keep); see :class:`Denoiser`.

    Examples
    --------
    >>> film = np.zeros((128, 128), np.uint8)
    >>> film[20:110, :60] = 120           # the breast
    >>> film[5:15, 100:120] = 250         # a label
    >>> mask = breast_mask(film)
    >>> int(mask[60, 30]), int(mask[10, 110])
    (1, 0)
    """
    rows, cols = image.shape
    step = max(1, int(round(max(rows, cols) / _WORK_SIDE)))
    if step == 1:
        return _breast_mask(image, threshold, opening, margin, dilation, bright)
    small = cv2.resize(image, (max(cols // step, 1), max(rows // step, 1)),
                       interpolation=cv2.INTER_AREA)
    mask = _breast_mask(small, threshold, opening, margin, dilation, bright)
    return cv2.resize(mask, (cols, rows), interpolation=cv2.INTER_NEAREST)


def _breast_mask(image, threshold, opening, margin, dilation, bright):
    scale = max(image.shape) / _REFERENCE_SIDE
    body = (image > threshold).astype(np.uint8)
    if opening > 1:
        body = cv2.morphologyEx(body, cv2.MORPH_OPEN, _ellipse(_odd(opening * scale)))
    body = _fill(_largest_component(body))
    if dilation > 1:
        body = cv2.dilate(body, _ellipse(_odd(dilation * scale)))
    # Bright structures (above the film's Otsu level) that do not reach within
    # ``margin`` of the breast body (the study's filled Otsu region) are
    # artifacts: labels, markers, film edges glued on through the dim skin line.
    core, level = _otsu_core(image)
    if core.any():
        near = cv2.dilate(core, _ellipse(2 * int(round(margin * scale)) + 1))
        for cut in sorted({level, max(level, bright)}):
            _drop_far(body, image > cut, near, _odd(dilation * scale))
        body[core > 0] = 1
    return body


class Denoiser(StatelessTransformer):
    """Keep the breast; black out labels, markers, film edges and scanner noise.

    ``mode="native"`` (the default, skmammo's): pixels brighter than
    ``threshold`` form the candidate tissue; a morphological opening with an
    ellipse of ``opening`` pixels detaches labels glued to the breast; the
    largest component, with its holes filled and dilated by ``dilation``
    pixels, is the breast.  Bright structures inside it (above the film's Otsu
    level) that come no closer than ``margin`` pixels to the breast body (the
    study's filled Otsu region) are artifacts and are blacked out too.
    Everything outside the mask becomes 0.  Sizes are pixels of a 1024-pixel
    MIAS film (200 micron) and scale with the film's longer side.

    ``mode="study"`` reproduces the study: Otsu threshold, close then open
    with a 5 x 5 ellipse, the largest external contour filled, dilated with a
    55-pixel ellipse at the study's 224 scale (251 pixels at 1024), everything
    outside blacked out.  It leaves labels and markers near the breast (on
    MIAS: most of mdb006's "LML" label) and is slow on full films (one large
    dilation, ~0.1-0.3 s per 1024-pixel film).

    Parameters
    ----------
    mode : {"native", "study"}, default="native"
        The pipeline choice, as in ``make_pipeline`` and ``ROICropper``.
    threshold : int, default=20
        Grey level above which a pixel may be tissue (``"native"`` only).
    opening : int, default=15
        Diameter in pixels of the opening that detaches labels (``"native"``).
    margin : int, default=15
        Distance in pixels from the breast body beyond which bright
        structures count as artifacts (``"native"``).
    dilation : int, default=5
        Diameter in pixels of the final dilation of the mask (``"native"``).
    median : int, default=0
        Aperture of a median filter applied first (odd, ``>= 3``); 0 or 1
        applies none.  Removes salt-and-pepper scanner noise.
    n_jobs : int or None, default=None
        Films processed in parallel (threads; ``-1`` all cores).
    verbose : int, default=0
        ``> 0`` shows a progress bar.
    method : {"breast", "study"}, optional
        Deprecated name of ``mode`` (``"breast"`` is ``"native"``); it
        stops working in skmammo 0.3.

    See Also
    --------
    breast_mask, study_mask : the masks themselves, for one film.
    CLAHE : the next step.

    Notes
    -----
    On all 322 MIAS films the default leaves no bright blob (at least 50
    pixels above grey level 150) more than 15 pixels from the study's breast
    region, removes mdb006's label and keeps at least 99% of the study's
    breast region in every film (``tests/test_preprocessing_denoise.py``).

    Stateless: ``fit`` only checks the parameters.  A frame comes back as a
    new frame (each film processed once; rows of one film share one new
    read-only array), an ``(n, H, W)`` array as an array, a list as a list;
    the input is never modified.  ``uint16`` films are rescaled to ``uint8``
    first (``round(image * 255 / image.max())``).

    A frame with films on disk (a ``path`` column, no ``image``) is not
    read: a copy of this step, parameters frozen, is added to its
    ``pending`` column and runs when ``ROICropper`` reads the film (see
    ``docs/scaling.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.preprocessing import Denoiser
    >>> film = np.zeros((128, 128), np.uint8)
    >>> film[20:110, :60] = 120; film[5:15, 100:120] = 250   # breast and label
    >>> clean = Denoiser().fit_transform([film])[0]
    >>> int(clean[60, 30]), int(clean[10, 110])
    (120, 0)
    """

    def __init__(self, mode: str = "native", threshold: int = 20, opening: int = 15,
                 margin: int = 15, dilation: int = 5, median: int = 0,
                 n_jobs: int | None = None, verbose: int = 0, method: str = "deprecated"):
        self.mode = mode
        self.threshold = threshold
        self.opening = opening
        self.margin = margin
        self.dilation = dilation
        self.median = median
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.method = method

    def _mode(self) -> str:
        """``mode``, or the deprecated ``method`` when it is given."""
        if self.method == "deprecated":  # scikit-learn's way: a string default
            return self.mode
        return {"breast": "native"}.get(self.method, self.method)

    def _check_params(self) -> None:
        mode = renamed("Denoiser", "mode", self.mode, "native", "method", self._mode(),
                       stacklevel=4) if self.method != "deprecated" else self.mode
        if mode not in ("native", "study"):
            raise ValueError(f"mode must be 'native' or 'study', got {mode!r}")
        check_int(self.threshold, "threshold", minimum=0)
        if self.threshold > 254:
            raise ValueError(f"threshold must be at most 254, got {self.threshold!r}")
        check_int(self.opening, "opening", minimum=0)
        check_int(self.margin, "margin", minimum=0)
        check_int(self.dilation, "dilation", minimum=0)
        median = check_int(self.median, "median", minimum=0)
        if median > 1:
            check_int(median, "median", minimum=3, odd=True)

    def _denoise(self, film: np.ndarray) -> np.ndarray:
        if self.median > 1:
            film = cv2.medianBlur(film, self.median)
        if self._mode() == "study":
            mask = study_mask(film)
        else:
            mask = breast_mask(film, threshold=self.threshold, opening=self.opening,
                               margin=self.margin, dilation=self.dilation)
        out = np.zeros_like(film)
        np.copyto(out, film, where=mask.astype(bool))
        return out

    def transform(self, X: Any) -> Any:
        """Black out everything but the breast in every film.

        Parameters
        ----------
        X : DataFrame, ndarray of shape (n, H, W) or list of 2-D arrays
            A mammogram frame or grey films (uint8, or uint16 rescaled).

        Returns
        -------
        Xt : same kind as ``X``
            The cleaned films (uint8).
        """
        self._check_params()
        return map_films(self._denoise, X, who="Denoiser", n_jobs=self.n_jobs,
                         verbose=self.verbose, cache_key=operation_key(self))
