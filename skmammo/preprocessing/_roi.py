"""``ROICropper``: one square region of interest per sample, resized to ``size``."""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from tqdm.auto import tqdm

from skmammo.preprocessing._base import STUDY_SIDE as _STUDY_SIDE
from skmammo.preprocessing._geometry import (
    annotated_rows,
    check_inside,
    cut_box,
    native_box,
    resize_square,
    row_keys,
    study_box,
    study_film,
    window_box,
    window_sides,
)
from skmammo.preprocessing._tissue import tissue_depth
from skmammo.utils import check_int, check_interval, check_positive, film_label

__all__ = ["MODES", "Crops", "ROICropper"]

logger = logging.getLogger(__name__)

#: The crop modes: label-free windows (default), native and the study's crops.
MODES = ("window", "native", "study")



@dataclass(frozen=True)
class Crops:
    """Crops and where they came from: what :meth:`ROICropper.crop` returns.

    Attributes
    ----------
    images : ndarray of shape (n_samples, size, size), uint8
    boxes : ndarray of shape (n_samples, 4), float64
        ``x0, y0, x1, y1`` in the pixels of the films the cropper was given
        (origin top-left, ``x1``/``y1`` exclusive, possibly past the film
        edge where the crop was padded).
    """

    images: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    def to_frame(self) -> pd.DataFrame:
        """The boxes as a table with columns ``x0, y0, x1, y1``."""
        return pd.DataFrame(self.boxes, columns=["x0", "y0", "x1", "y1"])


class ROICropper(TransformerMixin, BaseEstimator):
    """Cut one square region of interest per sample and resize it to ``size``.

    ``mode="window"`` (the default): **one physical window for every
    sample**, so the crop carries no label.  Its side is ``window_mm``
    millimetres, ``round(window_mm / pixel_mm)`` film pixels from the
    frame's ``pixel_mm`` column (``window_px`` pixels for rows without one;
    logged).  A lesion's window holds the lesion centre at a seeded random
    offset (uniform, up to ``offset`` times the side on each axis from the
    window's centre).  A normal film's window is placed where a lesion
    window seen in :meth:`fit` sat (``window_places_``, one drawn per row):
    at the grid cell of the film nearest to its depth in the breast
    (:func:`~skmammo.preprocessing.tissue_depth`: 0 on the skin line, 1 at
    the deepest point, negative outside) and its height on the film
    (``vertical``: distance of the centre from the film's middle row in half
    film heights), so normal and lesion windows sit alike in the breast and
    along it.  Windows that would leave the
    film are shifted inside it (never padded).  A row's window is a pure
    function of ``random_state``, its film (``film`` column, else ``path``,
    else the pixels) and its annotation: the same on every call.

    ``mode="native"``: centred on the lesion pixel, side
    ``max(min_side, 2 * context * radius)`` pixels rounded up to an odd
    number, padded with black where it leaves the film; a normal film gets
    ``normal_side`` pixels centred on the deepest tissue point.  Its size
    follows the annotation, so the crop's scale tells the class: kept for
    comparison (see the shortcut probes, :mod:`skmammo.evaluation`).

    ``mode="study"`` reproduces the study: the film is resized to 224 x 224
    (bilinear) first, the box ``x +- r, y +- r`` is cut at that scale
    (whole pixels by ``int()`` truncation, at least one pixel, clipped to
    the film) and resized back up to ``size``.  A normal film gets a
    56-pixel (224 scale) crop at the centre, moved along a diagonal to the
    first non-black pixel when the centre is black.

    Every square is then resized to ``size`` (area interpolation when
    shrinking, bilinear when enlarging).

    Parameters
    ----------
    size : int, default=224
        Side of the output crops in pixels.
    mode : {"window", "native", "study"}, default="window"
    window_mm : float, default=51.2
        ``"window"``: side of the window in millimetres (256 pixels on MIAS,
        64 on the 256-pixel synthetic films).
    window_px : int, default=256
        ``"window"``: side in film pixels for rows without ``pixel_mm``.
    offset : float, default=0.35
        ``"window"``: largest offset of the lesion centre from the window's
        centre, as a share of the side (in [0, 0.5); 0 centres every lesion).
    random_state : int, default=0
        ``"window"``: seed of the offsets and of the normal windows' places.
    context : float, default=1.5
        ``"native"``: side as a multiple of the lesion's diameter.
    min_side : int, default=96
        ``"native"``: smallest side in film pixels (96 = 19 mm on MIAS).
    normal_side : int, default=256
        ``"native"``: side of a normal film's square (rounded up to odd).
    n_jobs : int or None, default=None
        Films processed in parallel (threads).
    verbose : int, default=0
        ``> 0`` shows a progress bar.

    Attributes
    ----------
    window_places_ : ndarray of shape (n_lesion_windows, 2)
        ``"window"`` only: ``(depth, vertical)`` of the centre of every
        lesion window seen in ``fit``
        (:meth:`TissueDepth.place <skmammo.preprocessing.TissueDepth.place>`,
        sorted; the other modes learn nothing and need no ``fit``).

    Raises
    ------
    ValueError
        A window larger than its film, or a lesion centre outside its film
        (naming the film).  A normal film without tissue gets a window at the
        film's centre, with a logged warning.

    Notes
    -----
    ``transform`` takes a mammogram frame (columns ``image``, ``x``, ``y``,
    ``radius``; ``film`` names the sample in error messages) and returns an
    ``(n_samples, size, size)`` ``uint8`` array.  A row with ``x``/``y`` NaN
    is cropped like a normal film (also an abnormality without a location,
    e.g. MIAS's spread calcifications).  ``uint16`` films are rescaled to
    ``uint8`` first (``round(image * 255 / image.max())``).

    Where each crop came from: :meth:`crop` returns the crops together with
    their boxes (``x0, y0, x1, y1`` in film pixels), :meth:`crop_boxes` the
    boxes alone.

    Films by reference: a frame with a ``path`` column instead of ``image``
    (``make_synthetic_mammograms(directory=...)``, ``load_mias(...,
    images="path")``) is read one film at a time (``.pgm`` by skmammo's
    reader, other formats by ``cv2.imread``), the ``Denoiser`` / ``CLAHE``
    steps deferred in its ``pending`` column are applied, the film's crops
    are cut and the film is dropped: only the crops stay in memory.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skmammo.preprocessing import ROICropper
    >>> film = np.zeros((512, 512), np.uint8); film[:, :300] = 100
    >>> frame = pd.DataFrame({"image": [film, film], "x": [150.0, np.nan],
    ...                       "y": [200.0, np.nan], "radius": [40.0, np.nan]})
    >>> frame["pixel_mm"] = 0.4  # the window: 51.2 mm = 128 pixels
    >>> cropper = ROICropper(size=64).fit(frame)
    >>> cropper.transform(frame).shape
    (2, 64, 64)
    >>> boxes = cropper.crop_boxes(frame)
    >>> (boxes[:, 2] - boxes[:, 0]).tolist()
    [128.0, 128.0]
    >>> ROICropper(size=64, mode="native").crop_boxes(frame)[0].tolist()
    [90.0, 140.0, 211.0, 261.0]
    """

    def __init__(self, size: int = 224, mode: str = "window", window_mm: float = 51.2,
                 window_px: int = 256, offset: float = 0.35, random_state: int = 0,
                 context: float = 1.5, min_side: int = 96, normal_side: int = 256,
                 n_jobs: int | None = None, verbose: int = 0):
        self.size = size
        self.mode = mode
        self.window_mm = window_mm
        self.window_px = window_px
        self.offset = offset
        self.random_state = random_state
        self.context = context
        self.min_side = min_side
        self.normal_side = normal_side
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = self.mode == "window"
        return tags

    def _check_params(self) -> None:
        check_int(self.size, "size", minimum=1)
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        check_positive(self.window_mm, "window_mm")
        check_int(self.window_px, "window_px", minimum=1)
        check_interval(self.offset, "offset", 0, 0.5, closed="left")
        if isinstance(self.random_state, (bool, np.bool_)) or not isinstance(
                self.random_state, (int, np.integer)):
            raise TypeError(f"random_state must be an int (the windows are a pure function of "
                            f"it), got {self.random_state!r}")
        check_positive(self.context, "context")
        check_int(self.min_side, "min_side", minimum=1)
        check_int(self.normal_side, "normal_side", minimum=1)

    def fit(self, X: Any, y: Any = None) -> ROICropper:
        """Check the parameters; in window mode, learn where lesion windows sit.

        ``mode="window"``: ``window_places_`` holds the place of every
        lesion window of ``X``: the signed depth in the breast
        (:func:`~skmammo.preprocessing.tissue_depth`) of its centre and the
        centre's distance from the film's middle row in half film heights;
        normal windows are later placed where a drawn one sat.  The labels
        ``y`` are not used (a row is a lesion when its ``x``/``y`` are
        given).  Without any lesion, a normal window's place is drawn
        uniformly (depth and vertical in [0, 1]; logged).  Other modes learn
        nothing.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame.
        y : ignored

        Returns
        -------
        self : ROICropper
        """
        self._check_params()
        if self.mode == "window":
            places = self._run(X, crops=False, lesions_only=True)[2]
            places = places[np.isfinite(places).all(axis=1)]
            self.window_places_ = places[np.lexsort(places.T[::-1])]
            if not len(self.window_places_):
                logger.info("ROICropper: no lesion in fit; normal windows are placed at depths "
                            "and verticals drawn uniformly from [0, 1]")
        return self

    def _box(self, film, small, depth, key, x, y, r, side, where) -> np.ndarray:
        """The row's box in film pixels (float64)."""
        if self.mode == "window":
            return window_box(film.shape, depth, key, x, y, side, where=where,
                              window_mm=float(self.window_mm), offset=float(self.offset),
                              random_state=int(self.random_state),
                              places=self.window_places_ if np.isnan(x) else None
                              ).astype(np.float64)
        if self.mode == "native":
            return native_box(film, x, y, r, normal_side=int(self.normal_side),
                              min_side=int(self.min_side), context=float(self.context)
                              ).astype(np.float64)
        rows_, cols = film.shape
        scale = np.array([cols, rows_, cols, rows_], np.float64) / _STUDY_SIDE
        return study_box(small, film.shape, x, y, r) * scale

    def _cut_box(self, film: np.ndarray, small, box: np.ndarray) -> np.ndarray:
        size = int(self.size)
        if self.mode != "study":
            return resize_square(cut_box(film, *box.astype(np.int64)), size)
        rows_, cols = film.shape
        x0, y0, x1, y1 = np.rint(box / (np.array([cols, rows_, cols, rows_]) / _STUDY_SIDE)
                                 ).astype(np.int64)
        return cv2.resize(small[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_LINEAR)

    def _run(self, X: Any, *, crops: bool, lesions_only: bool = False):
        """Crops (or None), boxes and window places, (n, 2) (NaN outside window mode)."""
        self._check_params()
        if self.mode == "window" and not lesions_only and not hasattr(self, "window_places_"):
            raise NotFittedError(
                "ROICropper(mode='window') places normal windows where the lesion windows it "
                "saw in fit sat: call fit (or fit_transform) first")
        keys, get, coords = annotated_rows(X, "ROICropper")
        sides = (window_sides(X, float(self.window_mm), int(self.window_px))
                 if self.mode == "window" else None)
        names = row_keys(X)
        groups: dict[Any, list[int]] = {}
        for i, key in enumerate(keys):
            if lesions_only and np.isnan(coords[i][0]):
                continue
            groups.setdefault(key, []).append(i)

        def work(rows: list[int]) -> tuple[list[int], list]:
            # One film in memory at a time per thread: read (or check), crop
            # all its rows, drop it.
            film = get(rows[0])
            small = study_film(film) if self.mode == "study" else None
            depth = tissue_depth(film) if self.mode == "window" else None
            out = []
            for i in rows:
                x, y, r = coords[i]
                where = film_label(X, i)
                check_inside(film, x, y, where)
                key = names[i] if names is not None else f"{zlib.crc32(film.tobytes()):08x}"
                box = self._box(film, small, depth, key, x, y, r,
                                None if sides is None else int(sides[i]), where)
                place = depth.place(*box) if depth is not None else (np.nan, np.nan)
                out.append((self._cut_box(film, small, box) if crops else None, box, place))
            return rows, out

        progress = tqdm(list(groups.values()), desc="ROICropper", unit="film",
                        disable=not self.verbose, leave=False)
        if self.n_jobs in (None, 1) or len(groups) < 2:
            done = (work(rows) for rows in progress)
        else:
            # Threads, whatever joblib backend is active: films stay in this process.
            done = Parallel(n_jobs=self.n_jobs, backend="threading", return_as="generator")(
                delayed(work)(rows) for rows in progress)
        n = len(keys)
        results: list = [(None, np.full(4, np.nan), (np.nan, np.nan))] * n
        for rows, out in done:
            for i, item in zip(rows, out):
                results[i] = item
        boxes = np.array([b for _, b, _ in results], np.float64).reshape(n, 4)
        places = np.array([p for _, _, p in results], np.float64).reshape(n, 2)
        if not crops:
            return None, boxes, places
        size = int(self.size)
        out = (np.stack([c for c, _, _ in results]) if results
               else np.empty((0, size, size), np.uint8))
        return out, boxes, places

    def crop_boxes(self, X: Any) -> np.ndarray:
        """The crop box of every row, without cutting anything.

        A pure function of ``X`` and the parameters: the boxes
        :meth:`transform` uses for the same rows.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame.

        Returns
        -------
        boxes : ndarray of shape (n_samples, 4), float64
            ``x0, y0, x1, y1`` in film pixels (origin top-left, ``x1``/``y1``
            exclusive; may reach past the film edge where the crop is padded).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> film = np.full((256, 256), 90, np.uint8)
        >>> frame = pd.DataFrame({"image": [film], "x": [100.0], "y": [120.0], "radius": [10.0]})
        >>> ROICropper(mode="native", min_side=32).crop_boxes(frame).tolist()
        [[84.0, 104.0, 117.0, 137.0]]
        """
        return self._run(X, crops=False)[1]

    def crop(self, X: Any) -> Crops:
        """Cut the crops and say where they came from, reading each film once.

        What :meth:`transform` does, plus the boxes of :meth:`crop_boxes`
        (``MammoPipeline.explain`` calls this to put heatmaps back on the films).

        Parameters
        ----------
        X : DataFrame
            A mammogram frame (columns ``image`` or ``path``, ``x``, ``y``, ``radius``).

        Returns
        -------
        Crops
            ``images`` of shape (n_samples, size, size), uint8, and ``boxes``
            of shape (n_samples, 4), float64, ``x0, y0, x1, y1`` in film pixels.
        """
        images, boxes, _ = self._run(X, crops=True)
        return Crops(images=images, boxes=boxes)

    def transform(self, X: Any) -> np.ndarray:
        """Cut and resize the region of interest of every row.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame (columns ``image``, ``x``, ``y``, ``radius``).

        Returns
        -------
        crops : ndarray of shape (n_samples, size, size), uint8
        """
        return self._run(X, crops=True)[0]

