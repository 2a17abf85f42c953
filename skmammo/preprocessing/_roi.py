"""``ROICropper``: one square region of interest per sample, resized to ``size``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from skmammo.datasets._films import film_getter, is_by_reference
from skmammo.preprocessing._base import STUDY_SIDE as _STUDY_SIDE
from skmammo.preprocessing._base import StatelessTransformer
from skmammo.preprocessing._tissue import tissue_depth
from skmammo.utils import check_frame, check_int, check_positive, film_label

__all__ = ["Crops", "ROICropper"]

_COLUMNS = ("image", "x", "y", "radius")
#: The study's normal-film crop: 56 pixels at 224 scale.
_STUDY_NORMAL = 56


def _cut(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """``image[y0:y1, x0:x1]``, padded with black where the box leaves the film."""
    rows, cols = image.shape
    inner = image[max(y0, 0):min(y1, rows), max(x0, 0):min(x1, cols)]
    pads = (max(-y0, 0), max(y1 - rows, 0), max(-x0, 0), max(x1 - cols, 0))
    if any(pads):
        top, bottom, left, right = (min(p, y1 - y0) for p in pads)
        if inner.size == 0:
            return np.zeros((y1 - y0, x1 - x0), np.uint8)
        inner = cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    return inner


def _resize(crop: np.ndarray, size: int) -> np.ndarray:
    if crop.shape == (size, size):
        return np.ascontiguousarray(crop)
    shrink = crop.shape[0] > size or crop.shape[1] > size
    return cv2.resize(crop, (size, size),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


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


class ROICropper(StatelessTransformer):
    """Cut one square region of interest per sample and resize it to ``size``.

    ``mode="native"`` (the default, skmammo's): the square is cut from the
    film at its full resolution, centred on the lesion pixel, with side
    ``max(min_side, 2 * context * radius)`` pixels rounded up to an odd
    number (the lesion pixel is the crop's middle), so small calcifications
    keep their detail and large masses their surroundings; where it leaves
    the film it is padded with black.  A normal film (``x``, ``y`` NaN) gets a
    square of ``normal_side`` pixels centred on the point deepest inside the
    breast (grey level above 20).  The square is then resized to ``size``
    (area interpolation when shrinking, bilinear when enlarging).

    ``mode="study"`` reproduces the study: the film is resized to 224 x 224
    (bilinear) first, the box ``x +- r, y +- r`` is cut at that scale
    (whole pixels by ``int()`` truncation, at least one pixel, clipped to
    the film) and resized back up to
    ``size``.  A normal film gets a 56-pixel (224 scale) crop at the centre,
    moved step by step along a diagonal (towards the halves holding more
    tissue) to the first non-black pixel when the centre is black.  A
    calcification of radius 3 becomes a box of about two pixels, blown up.

    Parameters
    ----------
    size : int, default=224
        Side of the output crops in pixels.
    mode : {"native", "study"}, default="native"
    context : float, default=1.5
        ``"native"``: side of the square as a multiple of the lesion's
        diameter (1.5 leaves a quarter-diameter of surrounding tissue).
    min_side : int, default=96
        ``"native"``: smallest side in film pixels (96 = 19 mm on MIAS).
    normal_side : int, default=256
        ``"native"``: side of the square cut from a normal film, in film
        pixels (256 = 51 mm on MIAS, the study's 56 pixels at 224 scale).
        Native sides are rounded up to an odd number (97, 257, ...).
    n_jobs : int or None, default=None
        Samples processed in parallel (threads).
    verbose : int, default=0
        ``> 0`` shows a progress bar.

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
    boxes alone; ``transform`` keeps no state.

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
    >>> cropper = ROICropper(size=64)
    >>> cropper.fit_transform(frame).shape
    (2, 64, 64)
    >>> cropper.crop(frame).boxes[0].tolist()
    [90.0, 140.0, 211.0, 261.0]
    """

    def __init__(self, size: int = 224, mode: str = "native", context: float = 1.5,
                 min_side: int = 96, normal_side: int = 256, n_jobs: int | None = None,
                 verbose: int = 0):
        self.size = size
        self.mode = mode
        self.context = context
        self.min_side = min_side
        self.normal_side = normal_side
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> None:
        check_int(self.size, "size", minimum=1)
        if self.mode not in ("native", "study"):
            raise ValueError(f"mode must be 'native' or 'study', got {self.mode!r}")
        check_positive(self.context, "context")
        check_int(self.min_side, "min_side", minimum=1)
        check_int(self.normal_side, "normal_side", minimum=1)

    # -- geometry ---------------------------------------------------------
    def _rows(self, X: Any) -> tuple[list, Any, list[tuple[float, float, float]]]:
        """Film keys, the film getter and checked ``(x, y, radius)`` per row.

        Films are not read here (a frame may carry them as paths); the check
        that a lesion lies inside its film happens when the film is read.
        """
        columns = (("path",) if is_by_reference(X) else ("image",)) + _COLUMNS[1:]
        check_frame(X, columns, "ROICropper")
        keys, get = film_getter(X, "ROICropper")
        coords = []
        for i, (x, y, r) in enumerate(zip(X["x"], X["y"], X["radius"])):
            where = film_label(X, i)
            try:
                x, y, r = float(x), float(y), float(r)
            except (TypeError, ValueError):
                raise TypeError(f"{where}: x, y and radius must be numbers, got "
                                f"{x!r}, {y!r}, {r!r}") from None
            if np.isnan(x) != np.isnan(y):
                raise ValueError(f"{where}: only one of x={x} and y={y} is NaN; give both "
                                 "(a lesion) or neither (a normal film)")
            if not np.isnan(x) and (np.isnan(r) or r <= 0 or np.isinf(r)):
                raise ValueError(
                    f"{where}: a lesion needs a positive radius, got {r}; fix the "
                    "annotation or set x and y to NaN to crop it like a normal film"
                )
            coords.append((x, y, r))
        return keys, get, coords

    @staticmethod
    def _check_inside(film: np.ndarray, x: float, y: float, where: str) -> None:
        rows_, cols = film.shape
        if not np.isnan(x) and not (0 <= x < cols and 0 <= y < rows_):
            raise ValueError(
                f"{where}: the lesion centre x={x:g}, y={y:g} lies outside the "
                f"{cols}x{rows_} film (coordinates are pixels, origin top-left); "
                "fix the annotation or drop the row"
            )

    def _native_box(self, film: np.ndarray, x: float, y: float, r: float) -> np.ndarray:
        if np.isnan(x):
            side = int(self.normal_side)
            x, y = tissue_depth(film, edge_is_skin=True).centre()
        else:
            side = max(int(self.min_side), int(math.ceil(2 * self.context * r)))
        # An odd side puts the centre pixel exactly in the middle of the crop.
        half = side // 2
        col, row = int(math.floor(x + 0.5)), int(math.floor(y + 0.5))
        return np.array([col - half, row - half, col + half + 1, row + half + 1], np.int64)

    def _study_box(self, small: np.ndarray, film_shape: tuple[int, int],
                   x: float, y: float, r: float) -> np.ndarray:
        """The study's box at 224 scale (whole pixels, inside the 224 film)."""
        rows, cols = film_shape
        sx, sy = _STUDY_SIDE / cols, _STUDY_SIDE / rows
        if np.isnan(x):
            half = _STUDY_NORMAL // 2
            c = _STUDY_SIDE // 2
            cx = cy = c
            if small[cy, cx] == 0 and small.any():
                left, top = small[:, :c].sum(dtype=np.int64), small[:c].sum(dtype=np.int64)
                dx = -1 if left >= small[:, c:].sum(dtype=np.int64) else 1
                dy = -1 if top >= small[c:].sum(dtype=np.int64) else 1
                while 0 <= cx < _STUDY_SIDE and 0 <= cy < _STUDY_SIDE and small[cy, cx] == 0:
                    cx, cy = cx + dx, cy + dy
                cx = min(max(cx, 0), _STUDY_SIDE - 1)
                cy = min(max(cy, 0), _STUDY_SIDE - 1)
            x0 = min(max(cx - half, 0), _STUDY_SIDE - _STUDY_NORMAL)
            y0 = min(max(cy - half, 0), _STUDY_SIDE - _STUDY_NORMAL)
            return np.array([x0, y0, x0 + _STUDY_NORMAL, y0 + _STUDY_NORMAL], np.int64)
        rx, ry = r * sx, r * sy
        # Python's int() truncation, as in ``small[int(y - r):int(y + r), ...]``.
        x0 = min(max(int(x * sx - rx), 0), _STUDY_SIDE - 1)
        y0 = min(max(int(y * sy - ry), 0), _STUDY_SIDE - 1)
        x1 = min(max(int(x * sx + rx), x0 + 1), _STUDY_SIDE)
        y1 = min(max(int(y * sy + ry), y0 + 1), _STUDY_SIDE)
        return np.array([x0, y0, x1, y1], np.int64)

    @staticmethod
    def _study_film(film: np.ndarray) -> np.ndarray:
        return cv2.resize(film, (_STUDY_SIDE, _STUDY_SIDE), interpolation=cv2.INTER_LINEAR)

    def _one(self, film: np.ndarray, x: float, y: float, r: float,
             small: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        size = int(self.size)
        if self.mode == "native":
            box = self._native_box(film, x, y, r)
            return _resize(_cut(film, *box), size), box.astype(np.float64)
        box = self._study_box(small, film.shape, x, y, r)
        x0, y0, x1, y1 = box
        crop = small[y0:y1, x0:x1]
        out = cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR)
        rows, cols = film.shape
        scale = np.array([cols, rows, cols, rows], np.float64) / _STUDY_SIDE
        return out, box * scale

    def _run(self, X: Any, *, crops: bool) -> tuple[np.ndarray | None, np.ndarray]:
        self._check_params()
        keys, get, coords = self._rows(X)
        groups: dict[Any, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)

        def work(rows: list[int]) -> tuple[list[int], list]:
            # One film in memory at a time per thread: read (or check), crop
            # all its rows, drop it.
            film = get(rows[0])
            small = self._study_film(film) if self.mode == "study" else None
            out = []
            for i in rows:
                x, y, r = coords[i]
                self._check_inside(film, x, y, film_label(X, i))
                if crops:
                    out.append(self._one(film, x, y, r, small))
                elif self.mode == "native":
                    out.append((None, self._native_box(film, x, y, r).astype(np.float64)))
                else:
                    rows_, cols = film.shape
                    scale = np.array([cols, rows_, cols, rows_], np.float64) / _STUDY_SIDE
                    out.append((None, self._study_box(small, film.shape, x, y, r) * scale))
            return rows, out

        progress = tqdm(list(groups.values()), desc="ROICropper", unit="film",
                        disable=not self.verbose, leave=False)
        if self.n_jobs in (None, 1) or len(groups) < 2:
            done = (work(rows) for rows in progress)
        else:
            # Threads, whatever joblib backend is active: films stay in this process.
            done = Parallel(n_jobs=self.n_jobs, backend="threading", return_as="generator")(
                delayed(work)(rows) for rows in progress)
        results: list = [None] * len(keys)
        for rows, out in done:
            for i, item in zip(rows, out):
                results[i] = item
        boxes = np.array([b for _, b in results], np.float64).reshape(len(keys), 4)
        if not crops:
            return None, boxes
        size = int(self.size)
        out = (np.stack([c for c, _ in results]) if results
               else np.empty((0, size, size), np.uint8))
        return out, boxes

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
        >>> frame = pd.DataFrame({"image": [film], "x": [100.0], "y": [120.0],
        ...                       "radius": [10.0]})
        >>> ROICropper(min_side=32).crop_boxes(frame).tolist()
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
        images, boxes = self._run(X, crops=True)
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
            (:meth:`crop` also returns where they came from).
        """
        return self._run(X, crops=True)[0]
