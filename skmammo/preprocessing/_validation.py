"""Input checks shared by the preprocessing transformers.

Films are 2-D ``uint8`` arrays.  ``uint16`` films (10-, 12- or 16-bit scans)
are accepted and rescaled by one documented rule, :func:`as_uint8`; any other
dtype is refused with a message naming the film.
"""

from __future__ import annotations

import copy
import logging
import numbers
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from tqdm.auto import tqdm

__all__ = [
    "as_uint8",
    "check_frame",
    "check_image",
    "check_int",
    "film_label",
    "map_films",
]

logger = logging.getLogger("skmammo.preprocessing")


def film_label(X: Any, i: int) -> str:
    """How error messages name sample ``i``: its ``film`` id (and row label) if known."""
    if isinstance(X, pd.DataFrame):
        label = X.index[i]
        if "film" in X.columns:
            return f"film {X['film'].iloc[i]!s} (row {label!r})"
        return f"row {label!r}"
    return f"image {i}"


def as_uint8(image: np.ndarray) -> np.ndarray:
    """Rescale a ``uint16`` film to ``uint8`` by its own maximum.

    The rule: ``round(image * 255 / image.max())``, so that black stays 0 and
    the brightest pixel becomes 255, whatever the scanner's bit depth (10, 12
    or 16 bits stored in 16).  An all-black film stays all black.  ``uint8``
    films are returned unchanged (not copied).

    Examples
    --------
    >>> as_uint8(np.array([[0, 2048, 4095]], np.uint16)).tolist()
    [[0, 128, 255]]
    """
    if image.dtype == np.uint8:
        return image
    top = int(image.max())
    if top == 0:
        return np.zeros(image.shape, np.uint8)
    return np.rint(image.astype(np.float32) * (255.0 / top)).astype(np.uint8)


def check_image(image: Any, where: str) -> np.ndarray:
    """Return ``image`` as a 2-D ``uint8`` array, or raise naming ``where``."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{where}: the image is a {type(image).__name__}, expected a 2-D numpy array "
            "(uint8 grey levels); load films with skmammo.datasets.load_mias or np.asarray them"
        )
    if image.ndim != 2:
        raise ValueError(
            f"{where}: the image has shape {image.shape}, expected a 2-D grey film "
            "(rows, columns); convert colour images to grey first, e.g. "
            "cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)"
        )
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise ValueError(f"{where}: the image is only {image.shape[1]}x{image.shape[0]} pixels; "
                         "films must be at least 8x8")
    if image.dtype == np.uint16:
        logger.debug("%s: uint16 film rescaled to uint8 by its maximum (%d)", where,
                     int(image.max()))
        return as_uint8(image)
    if image.dtype != np.uint8:
        raise TypeError(
            f"{where}: the image has dtype {image.dtype}, expected uint8 (or uint16, which is "
            "rescaled by its maximum); convert it, e.g. "
            "skimage.util.img_as_ubyte(image) for floats in [0, 1]"
        )
    return image


def check_frame(X: Any, columns: Sequence[str], who: str) -> pd.DataFrame:
    """Check that ``X`` is a mammogram frame holding ``columns``."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{who} expects a mammogram frame (a pandas DataFrame with columns "
            f"{', '.join(columns)}), got {type(X).__name__}; see skmammo.datasets.load_mias"
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"{who}: the frame lacks the column(s) {', '.join(missing)}; a mammogram frame "
            f"needs {', '.join(columns)} (see skmammo.datasets.load_mias)"
        )
    return X


class StatelessTransformer(TransformerMixin, BaseEstimator):
    """Base of the preprocessing transformers: they learn nothing from the data.

    ``fit`` only checks the parameters (each subclass's ``_check_params``) and
    returns ``self``; the tags tell scikit-learn that ``transform`` needs no fit.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def _check_params(self) -> Any:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None):
        """Check the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray of shape (n, H, W) or list of 2-D arrays
            Ignored.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        return self


def check_positive(value: Any, name: str) -> float:
    """Check a positive real parameter (``bool`` refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_int(value: Any, name: str, *, minimum: int, odd: bool = False) -> int:
    """Check an integer parameter (``bool`` refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if odd and value % 2 == 0:
        raise ValueError(f"{name} must be odd, got {value!r}")
    return int(value)


def _distinct(images: Sequence[Any]) -> tuple[list[int], list[int]]:
    """Positions of the distinct image objects and, for every sample, its distinct index."""
    first: dict[int, int] = {}
    owners: list[int] = []
    index: list[int] = []
    for i, image in enumerate(images):
        key = id(image)
        if key not in first:
            first[key] = len(owners)
            owners.append(i)
        index.append(first[key])
    return owners, index


def map_films(
    func: Callable[[np.ndarray], np.ndarray],
    X: Any,
    *,
    who: str,
    n_jobs: int | None,
    verbose: int,
) -> Any:
    """Apply ``func`` to every distinct film of ``X``, never in place.

    ``X`` is a mammogram frame (a new frame is returned whose rows of one film
    share one new read-only array), an ``(n, H, W)`` array (an array of the
    same shape is returned) or a list of 2-D arrays (a list is returned).
    Work runs in threads (OpenCV releases the GIL), so films are not copied
    to worker processes; the threading backend is fixed, so a surrounding
    ``joblib.parallel_backend("dask")`` never ships films to a cluster.

    A frame holding films by reference (``path``, no ``image``; see
    :mod:`skmammo.preprocessing._films`) is not read: a copy of ``func``
    (parameters frozen) is appended to its rows' pending operations.
    """
    from skmammo.preprocessing._films import defer, is_by_reference

    if is_by_reference(X):
        return defer(X, copy.deepcopy(func))
    if isinstance(X, pd.DataFrame):
        check_frame(X, ("image",), who)
        images = list(X["image"])
    elif isinstance(X, np.ndarray):
        if X.ndim != 3:
            raise ValueError(
                f"{who} expects a mammogram frame, an (n, rows, columns) stack or a list of 2-D "
                f"images; got an array of shape {X.shape}"
            )
        images = list(X)
    elif isinstance(X, (list, tuple)):
        images = list(X)
    else:
        raise TypeError(
            f"{who} expects a mammogram frame (pandas DataFrame), an (n, rows, columns) uint8 "
            f"array or a list of 2-D arrays, got {type(X).__name__}"
        )
    if isinstance(X, np.ndarray):
        owners, index = list(range(len(images))), list(range(len(images)))
    else:
        owners, index = _distinct(images)
    films = [check_image(images[i], film_label(X, i)) for i in owners]
    progress = tqdm(films, desc=who, unit="film", disable=not verbose, leave=False)
    if n_jobs in (None, 1) or len(films) < 2:
        done = [func(film) for film in progress]
    else:
        done = Parallel(n_jobs=n_jobs, backend="threading")(delayed(func)(f) for f in progress)
    if isinstance(X, pd.DataFrame):
        for out in done:
            out.setflags(write=False)
        result = X.copy()
        result["image"] = pd.Series([done[k] for k in index], index=X.index, dtype=object)
        return result
    if isinstance(X, np.ndarray):
        return np.stack(done) if done else np.empty_like(X, dtype=np.uint8)
    return [done[k] for k in index]
