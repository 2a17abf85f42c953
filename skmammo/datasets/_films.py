"""Films by value or by reference: the one place that gets "the film of a row".

A mammogram frame carries each film either in memory (column ``image``, a
2-D array) or on disk (column ``path``).  With ``path`` (and no ``image``)
the films are read only where pixels are needed:

- ``Denoiser`` and ``CLAHE`` read nothing; they append their (parameter-frozen)
  film operation to the row's ``pending`` column and return the frame;
- ``ROICropper`` reads each film once (:func:`read_film`), applies the
  pending operations in order, cuts the crops of the film's rows and drops
  the film.

So only the crops are ever held in memory: a data set larger than memory
flows through ``Denoiser -> CLAHE -> ROICropper``, ``fit``, ``predict`` and
``explain`` unchanged.  The frame stays a plain DataFrame (``iloc``,
``GridSearchCV``, pickling to Dask workers all work); the workers must see
the same paths (a shared or copied file system).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Hashable

import cv2
import numpy as np
import pandas as pd

from skmammo.datasets._dicom import is_dicom, read_dicom
from skmammo.datasets._pgm import read_pgm
from skmammo.utils import check_image, film_label

__all__ = ["PENDING", "film_getter", "is_by_reference", "read_film"]

#: Column holding, per row, the tuple of film operations still to apply.
PENDING = "pending"


def read_film(path: str | os.PathLike, where: str = "") -> np.ndarray:
    """Read one film from disk as a 2-D ``uint8`` array.

    ``.pgm`` files are decoded by skmammo's own PGM reader (8-bit and 16-bit,
    binary and ASCII, ``maxval > 255`` rescaled to 0-255, as ``load_mias``
    does); DICOM files (``.dcm``, ``.dicom``, or no suffix and the ``DICM``
    marker) by :func:`~skmammo.datasets.read_dicom`, which applies their
    modality and VOI look-up tables; every other format (PNG, TIFF, JPEG, ...) by
    ``cv2.imread(path, cv2.IMREAD_UNCHANGED)``, so 16-bit PNGs keep their
    depth and are rescaled by :func:`~skmammo.utils.as_uint8`.  Colour
    files are refused (convert them to grey first).

    Parameters
    ----------
    path : str or path-like
        The film's file.
    where : str, optional
        How error messages name the sample (e.g. ``"film mdb001 (row 0)"``).

    Returns
    -------
    film : ndarray of shape (rows, columns), uint8

    Examples
    --------
    >>> import tempfile, pathlib, cv2
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "f.png"
    >>> _ = cv2.imwrite(str(file), np.full((16, 20), 7, np.uint8))
    >>> read_film(file).shape
    (16, 20)
    """
    path = Path(path)
    label = f"{where}: " if where else ""
    if not path.is_file():
        raise FileNotFoundError(
            f"{label}film file {path} does not exist; fix the frame's 'path' column or make "
            "the file reachable from this machine (Dask workers need the same paths)"
        )
    if path.suffix.lower() == ".pgm":
        image = read_pgm(path.read_bytes(), str(path))
    elif is_dicom(path):
        image = read_dicom(path, where)
    else:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise ValueError(
                f"{label}OpenCV cannot decode {path}; store films as .pgm or .png "
                "(grey, 8 or 16 bits)"
            )
    return check_image(image, f"{where or 'film'} ({path})")


def is_by_reference(X: Any) -> bool:
    """True when ``X`` is a frame carrying films as paths (``path``, no ``image``)."""
    return isinstance(X, pd.DataFrame) and "path" in X.columns and "image" not in X.columns


def _pending(X: pd.DataFrame) -> list[tuple]:
    if PENDING in X.columns:
        return [tuple(p) if isinstance(p, (tuple, list)) else () for p in X[PENDING]]
    return [()] * len(X)


def film_getter(X: Any, who: str) -> tuple[list[Hashable], Callable[[int], np.ndarray]]:
    """Keys naming the distinct film of every row, and a function giving row ``i``'s film.

    ``X`` is a mammogram frame with ``image`` (arrays in memory; rows sharing
    one array share a key) or ``path`` (files; rows with the same path and
    the same pending operations share a key).  ``get(i)`` returns the checked
    2-D ``uint8`` film of row ``i``; for a path frame it reads the file and
    applies the row's pending operations, every call anew (nothing cached).
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{who} expects a mammogram frame, got {type(X).__name__}")
    if "image" in X.columns:
        images = list(X["image"])
        return [id(im) for im in images], lambda i: check_image(images[i], film_label(X, i))
    if "path" not in X.columns:
        raise ValueError(
            f"{who}: the frame has neither an 'image' column (films in memory) nor a 'path' "
            "column (films on disk); see skmammo.datasets.load_mias(images=...)"
        )
    paths = [os.fspath(p) if isinstance(p, (str, os.PathLike)) else p for p in X["path"]]
    pending = _pending(X)
    for i, p in enumerate(paths):
        if not isinstance(p, str):
            raise TypeError(f"{who}: {film_label(X, i)} has path {p!r}; expected a file name")

    def get(i: int) -> np.ndarray:
        where = film_label(X, i)
        film = read_film(paths[i], where)
        for operation in pending[i]:
            film = check_image(operation(film), where)
        return film

    return [(p, id(ops)) for p, ops in zip(paths, pending)], get


def defer(X: pd.DataFrame, operation: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
    """A copy of the path frame ``X`` with ``operation`` appended to every row's pending list.

    Rows that shared a pending tuple share the new one (so they still count
    as one film).  The files are not opened; a missing file is reported
    here already, naming the row.
    """
    paths = list(X["path"])
    for i, p in enumerate(paths):
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"{film_label(X, i)} has path {p!r}; expected a file name")
        if not os.path.isfile(p):
            raise FileNotFoundError(
                f"{film_label(X, i)}: film file {p} does not exist; fix the frame's 'path' "
                "column"
            )
    new: dict[int, tuple] = {}
    out = []
    for ops in _pending(X):
        key = id(ops)
        if key not in new:
            new[key] = ops + (operation,)
        out.append(new[key])
    result = X.copy()
    result[PENDING] = pd.Series(out, index=X.index, dtype=object)
    return result
