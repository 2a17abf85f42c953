"""``load_films``: films without annotations, from a folder or a list of files."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from skmammo.datasets._films import read_film
from skmammo.utils import check_positive

__all__ = ["FILM_SUFFIXES", "load_films"]

logger = logging.getLogger(__name__)

#: The file types :func:`load_films` reads (lower case; ``.TIF`` counts as ``.tif``).
FILM_SUFFIXES = (".pgm", ".png", ".tif", ".tiff")

#: The pixel size assumed when ``pixel_mm`` is not given: mini-MIAS's 0.2 mm.
DEFAULT_PIXEL_MM = 0.2

FILMS_DESCR = """\
Films without annotations (skmammo.datasets.load_films)
-------------------------------------------------------

{n} film(s) read from {source}: PGM, PNG or TIFF files, grey, 8 or 16 bits
(16-bit films rescaled to 0-255 by their maximum).  No lesion location and
no label: ``x``, ``y``, ``radius`` and ``target`` are absent, so these
films can be scanned (``MammoPipeline.scan``) or predicted, not evaluated.
``film`` is the file name without its suffix ({naming}); ``pixel_mm`` is
{pixel_mm:g} mm ({pixel_note}).
"""


def _folder_files(folder: Path, recursive: bool) -> list[Path]:
    """The film files of ``folder`` (sorted), warning about the other files skipped."""
    found = sorted(p for p in (folder.rglob("*") if recursive else folder.iterdir())
                   if p.is_file())
    visible = [p for p in found
               if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    films = [p for p in visible if p.suffix.lower() in FILM_SUFFIXES]
    others = [p for p in visible if p.suffix.lower() not in FILM_SUFFIXES]
    if others:
        shown = ", ".join(str(p.relative_to(folder)) for p in others[:5])
        logger.warning("%s: skipped %d file(s) that are not PGM, PNG or TIFF films: %s%s",
                       folder, len(others), shown, " ..." if len(others) > 5 else "")
    if not films:
        sub = "" if recursive else " (sub-folders are not searched: recursive=True does)"
        raise ValueError(f"{folder}: no PGM, PNG or TIFF films in this folder{sub}; films "
                         f"must end in {', '.join(FILM_SUFFIXES)}")
    return films


def _listed_files(paths: Sequence) -> list[Path]:
    files = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; pass a folder alone or a list of film files")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such film file or folder")
        if path.suffix.lower() not in FILM_SUFFIXES:
            raise ValueError(f"{path}: not a PGM, PNG or TIFF film (expected a name ending in "
                             f"{', '.join(FILM_SUFFIXES)})")
        files.append(path)
    if not files:
        raise ValueError("load_films: no films given (an empty list)")
    return files


def _names(files: list[Path], root: Path | None) -> list[str]:
    """Film ids: the file name without suffix (inside a folder: its relative path)."""
    if root is not None:
        names = [p.relative_to(root).with_suffix("").as_posix() for p in files]
    else:
        names = [p.stem for p in files]
    seen: dict[str, Path] = {}
    for name, path in zip(names, files):
        if name in seen:
            raise ValueError(f"two films would both be called {name!r}: {seen[name]} and "
                             f"{path}; rename one (film ids come from the file names)")
        seen[name] = path
    return names


def load_films(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    pixel_mm: float | None = None,
    recursive: bool = False,
    images: str = "path",
    verbose: int = 0,
) -> Bunch:
    """Load films that carry no annotation, to scan or predict them.

    Parameters
    ----------
    path : str, path-like or list of them
        A folder of films, or a list of film files.  Films are PGM, PNG or
        TIFF files (``.pgm``, ``.png``, ``.tif``, ``.tiff``, any case), grey,
        8 or 16 bits, read by :func:`read_film`.  In a folder, other files
        are skipped with a logged warning naming them, and hidden files
        (names starting with ``.``) silently; in a list, any other file is an
        error.
    pixel_mm : float, optional
        The films' pixel edge in millimetres, which sets how many pixels a
        window of ``window_mm`` is.  Default: 0.2 (mini-MIAS's), with a
        logged note; give it for any other scanner.
    recursive : bool, default=False
        Also read the films in the folder's sub-folders (their ids then
        include the sub-folder: ``"left/f001"``).  By default only the films
        directly in the folder are read.
    images : {"path", "array"}, default="path"
        ``"path"``: the frame's ``path`` column holds the files, read when
        the pixels are needed (films by reference).  ``"array"``: an
        ``image`` column holds the films in memory.  Either way every film
        is read once here, one at a time, to check it is a readable image.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    Bunch
        ``frame`` and ``data`` (the same frame: there is no target): one row
        per film, sorted by file name, with columns ``path`` (or ``image``),
        ``film`` (id), ``patient`` (the film id: nothing tells which films
        share a patient), ``rows``, ``columns`` and ``pixel_mm``; no ``x``,
        ``y``, ``radius`` or ``target``.  Also ``groups`` (the patient ids),
        ``feature_names`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If ``path`` or a listed file does not exist.
    ValueError
        A folder without films, a file that is not a readable grey image
        (naming it), two films with one id, or a ``pixel_mm`` that is not
        positive.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "f001.png"), np.full((64, 48), 90, np.uint8))
    >>> films = load_films(folder, pixel_mm=0.1)
    >>> films.frame[["film", "rows", "columns", "pixel_mm"]].values.tolist()
    [['f001', 64, 48, 0.1]]
    """
    if images not in ("path", "array"):
        raise ValueError(f"images must be 'path' or 'array', got {images!r}")
    if pixel_mm is None:
        pixel_mm = DEFAULT_PIXEL_MM
        pixel_note = "not given: mini-MIAS's, assumed"
        logger.info("load_films: pixel_mm not given, assuming %g mm (mini-MIAS); pass "
                    "pixel_mm=... for films of another scanner", DEFAULT_PIXEL_MM)
    else:
        check_positive(pixel_mm, "pixel_mm")
        pixel_note = "as given"
    if isinstance(path, (str, os.PathLike)):
        root = Path(path).expanduser()
        if root.is_dir():
            files, source = _folder_files(root, recursive), str(root)
        else:
            files, source, root = _listed_files([root]), str(root), None
    else:
        files, root = _listed_files(list(path)), None
        source = f"{len(files)} listed file(s)"
    names = _names(files, root)
    rows = []
    for name, file in tqdm(list(zip(names, files)), desc="Reading films", unit="film",
                           disable=not verbose):
        film = read_film(file, f"film {name}")
        film.setflags(write=False)
        rows.append({("image" if images == "array" else "path"):
                     film if images == "array" else str(file),
                     "film": name, "patient": name, "rows": film.shape[0],
                     "columns": film.shape[1], "pixel_mm": float(pixel_mm)})
    frame = pd.DataFrame.from_records(rows)
    naming = "relative to the folder" if root is not None else "as listed"
    return Bunch(
        frame=frame, data=frame, groups=frame["patient"].to_numpy(),
        feature_names=list(frame.columns),
        DESCR=FILMS_DESCR.format(n=len(frame), source=source, naming=naming,
                                 pixel_mm=float(pixel_mm), pixel_note=pixel_note),
    )
