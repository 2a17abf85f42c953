"""What every preprocessing transformer shares: a stateless base and the film mapper."""

from __future__ import annotations

import copy
from typing import Any, Callable, Hashable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from tqdm.auto import tqdm

from skmammo.datasets._films import defer, is_by_reference
from skmammo.preprocessing._cache import FILM_CACHE
from skmammo.utils import check_frame, check_image, film_label

__all__ = ["STUDY_SIDE", "StatelessTransformer", "map_films"]

#: The study's working scale (Balve & Hendrix 2024): every film resized to
#: ``STUDY_SIDE x STUDY_SIDE`` pixels before denoising and cropping (``mode="study"``).
STUDY_SIDE = 224


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
    cache_key: Hashable | None = None,
) -> Any:
    """Apply ``func`` to every distinct film of ``X``, never in place.

    ``X`` is a mammogram frame (a new frame is returned whose rows of one film
    share one new read-only array), an ``(n, H, W)`` array (an array of the
    same shape is returned) or a list of 2-D arrays (a list is returned).
    Work runs in threads (OpenCV releases the GIL), so films are not copied
    to worker processes; the threading backend is fixed, so a surrounding
    ``joblib.parallel_backend("dask")`` never ships films to a cluster.

    A frame holding films by reference (``path``, no ``image``; see
    :mod:`skmammo.datasets._films`) is not read: a copy of ``func``
    (parameters frozen) is appended to its rows' pending operations.

    With ``cache_key`` (the operation and its parameters,
    :func:`~skmammo.preprocessing._cache.operation_key`), a frame's
    read-only films that went through the same operation before get the
    earlier result (:data:`~skmammo.preprocessing._cache.FILM_CACHE`).
    """
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
    # Frames' films are remembered per operation (see _cache): only the new ones are computed.
    key = cache_key if isinstance(X, pd.DataFrame) else None
    done = [None if key is None else FILM_CACHE.get(film, key) for film in films]
    todo = [k for k, out in enumerate(done) if out is None]
    progress = tqdm([films[k] for k in todo], desc=who, unit="film", disable=not verbose,
                    leave=False)
    if n_jobs in (None, 1) or len(todo) < 2:
        computed = [func(film) for film in progress]
    else:
        computed = Parallel(n_jobs=n_jobs, backend="threading")(
            delayed(func)(f) for f in progress)
    for k, out in zip(todo, computed):
        done[k] = out
        if key is not None:
            FILM_CACHE.put(films[k], key, out)
    if isinstance(X, pd.DataFrame):
        for out in done:
            out.setflags(write=False)
        result = X.copy()
        result["image"] = pd.Series([done[k] for k in index], index=X.index, dtype=object)
        return result
    if isinstance(X, np.ndarray):
        return np.stack(done) if done else np.empty_like(X, dtype=np.uint8)
    return [done[k] for k in index]
