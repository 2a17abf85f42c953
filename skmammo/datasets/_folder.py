"""``load_films``: films without annotations, from a folder or a list of files."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from skmammo.datasets._dicom import DICOM_SUFFIXES, is_dicom, read_dicom_header
from skmammo.datasets._films import PENDING, read_film
from skmammo.datasets._resample import place_film
from skmammo.utils import check_positive

__all__ = ["FILM_SUFFIXES", "load_films"]

logger = logging.getLogger(__name__)

#: The file types :func:`load_films` reads (lower case; ``.TIF`` counts as ``.tif``);
#: any other file is read when it carries the DICOM ``DICM`` marker (see ``is_dicom``).
FILM_SUFFIXES = (".pgm", ".png", ".tif", ".tiff") + DICOM_SUFFIXES

#: How error messages and the description name the formats.
_FORMATS = "PGM, PNG, TIFF or DICOM"

#: The pixel size assumed when ``pixel_mm`` is not given: mini-MIAS's 0.2 mm.
DEFAULT_PIXEL_MM = 0.2

FILMS_DESCR = """\
Films without annotations (skmammo.datasets.load_films)
-------------------------------------------------------

{n} film(s) read from {source}: PGM, PNG, TIFF or DICOM files, grey
(PGM/PNG/TIFF of 16 bits rescaled to 0-255 by their maximum; DICOM films
to 8 bits by their modality and VOI look-up tables, see read_dicom).  No
lesion location and no label: ``x``, ``y``, ``radius`` and ``target`` are
absent, so these films can be scanned (``MammoPipeline.scan``) or
predicted, not evaluated.  ``film`` is the file name without its suffix
({naming}).  {pixel_note}
"""


def _is_film(path: Path) -> bool:
    return path.suffix.lower() in FILM_SUFFIXES or is_dicom(path)


def _without_suffix(path: Path) -> Path:
    """The name without a film suffix (a DICOM file named by its UID keeps its dots)."""
    return path.with_suffix("") if path.suffix.lower() in FILM_SUFFIXES else path


def _folder_files(folder: Path, recursive: bool) -> list[Path]:
    """The film files of ``folder`` (sorted), warning about the other files skipped."""
    found = sorted(p for p in (folder.rglob("*") if recursive else folder.iterdir())
                   if p.is_file())
    visible = [p for p in found
               if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    films = [p for p in visible if _is_film(p)]
    others = [p for p in visible if not _is_film(p)]
    if others:
        shown = ", ".join(str(p.relative_to(folder)) for p in others[:5])
        logger.warning("%s: skipped %d file(s) that are not %s films: %s%s",
                       folder, len(others), _FORMATS, shown, " ..." if len(others) > 5 else "")
    if not films:
        sub = "" if recursive else " (sub-folders are not searched: recursive=True does)"
        raise ValueError(f"{folder}: no {_FORMATS} films in this folder{sub}; films "
                         f"must end in {', '.join(FILM_SUFFIXES)} (or be DICOM files without "
                         "a suffix)")
    return films


def _listed_files(paths: Sequence) -> list[Path]:
    files = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; pass a folder alone or a list of film files")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such film file or folder")
        if not _is_film(path):
            raise ValueError(f"{path}: not a {_FORMATS} film (expected a name ending in "
                             f"{', '.join(FILM_SUFFIXES)}, or a DICOM file without a suffix)")
        files.append(path)
    if not files:
        raise ValueError("load_films: no films given (an empty list)")
    return files


def _names(files: list[Path], root: Path | None) -> list[str]:
    """Film ids: the file name without suffix (inside a folder: its relative path)."""
    if root is not None:
        names = [_without_suffix(p.relative_to(root)).as_posix() for p in files]
    else:
        names = [_without_suffix(p).name for p in files]
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
        8 or 16 bits, read by :func:`read_film`, or DICOM files (``.dcm``,
        ``.dicom``, or any other name with the ``DICM`` marker, as archives
        name them by UID), read by :func:`read_dicom`.  In a folder, other
        files are skipped with a logged warning naming them, and hidden
        files (names starting with ``.``) silently; in a list, any other
        file is an error.
    pixel_mm : float, optional
        The pixel edge of the frame's films, in millimetres (it sets how
        many pixels a window of ``window_mm`` is).  Files that know their
        pixel size (DICOM with ``PixelSpacing`` or ``ImagerPixelSpacing``)
        are resampled to it when read (:class:`Resample`; area
        interpolation when shrinking); files that do not (PGM, PNG, TIFF,
        DICOM without spacing) are taken to be at it.  Default: DICOM films
        keep their own pixel size, the others are assumed at 0.2 mm
        (mini-MIAS's; logged).  Give the training films' pixel size to scan
        films of another scanner at the model's physical scale.
    recursive : bool, default=False
        Also read the films in the folder's sub-folders (their ids then
        include the sub-folder: ``"left/f001"``).  By default only the films
        directly in the folder are read.
    images : {"path", "array"}, default="path"
        ``"path"``: the frame's ``path`` column holds the files, read when
        the pixels are needed (films by reference; the resampling waits in
        the ``pending`` column).  ``"array"``: an ``image`` column holds the
        films in memory, resampled.  PGM, PNG and TIFF films are read once
        here either way, one at a time, to check they are readable images;
        by ``"path"``, DICOM films only have their header read (size,
        spacing, laterality, view, patient): their pixels are decoded when
        needed, and an undecodable file is reported then, naming the film.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    Bunch
        ``frame`` and ``data`` (the same frame: there is no target): one row
        per film, sorted by file name, with columns ``path`` (or ``image``),
        ``film`` (id), ``patient`` (the film id: nothing tells which films
        share a patient), ``rows`` and ``columns`` (after resampling) and
        ``pixel_mm``; no ``x``, ``y``, ``radius`` or ``target``.  When any
        film is DICOM, also ``side`` and ``view`` (from the DICOM header,
        None for the others), ``native_pixel_mm`` (the file's own pixel
        size) and ``pixel_source`` (``"PixelSpacing"``,
        ``"ImagerPixelSpacing"``, ``"given"`` or ``"default"``), and
        ``patient`` is the DICOM ``PatientID`` where the file has one.
        Also ``groups`` (the patient ids), ``feature_names`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If ``path`` or a listed file does not exist.
    ValueError
        A folder without films, a file that is not a readable grey image
        (naming it; a compressed DICOM whose decoder is missing names the
        ``skmammo[dicom]`` extra), two films with one id, or a ``pixel_mm``
        that is not positive.

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
    if pixel_mm is not None:
        check_positive(pixel_mm, "pixel_mm")
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
    dicom = [is_dicom(file) for file in files]
    rows = []
    for name, file, is_dcm in tqdm(list(zip(names, files, dicom)), desc="Reading films",
                                   unit="film", disable=not verbose):
        rows.append(_film_row(file, name, is_dcm, pixel_mm, images))
    assumed = [row["film"] for row in rows if row["pixel_source"] == "default"]
    if not any(dicom):  # the frame of PGM/PNG/TIFF films keeps its columns
        for row in rows:
            del row["side"], row["view"], row["native_pixel_mm"], row["pixel_source"]
    if assumed:  # a warning: a detector film at 0.07 mm taken for 0.2 sees a window 3x too small
        logger.warning("load_films: pixel_mm not given, assuming %g mm (mini-MIAS's) for %d "
                    "film(s) without a known pixel size (%s%s); pass pixel_mm=... for films of "
                    "another scanner", DEFAULT_PIXEL_MM, len(assumed), ", ".join(assumed[:3]),
                    " ..." if len(assumed) > 3 else "")
    if any(PENDING in row for row in rows):  # films resampled when read wait in 'pending'
        for row in rows:
            row.setdefault(PENDING, ())
    frame = pd.DataFrame.from_records(rows)
    for column in ("side", "view"):  # None (not NaN) where unknown, as in the other loaders
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    naming = "relative to the folder" if root is not None else "as listed"
    return Bunch(
        frame=frame, data=frame, groups=frame["patient"].to_numpy(),
        feature_names=list(frame.columns),
        DESCR=FILMS_DESCR.format(n=len(frame), source=source, naming=naming,
                                 pixel_note=_pixel_note(frame, pixel_mm, assumed)),
    )


def _film_row(file: Path, name: str, is_dcm: bool, pixel_mm: float | None,
              images: str) -> dict:
    """One film's row at the frame's pixel size (DICOM: side, view, patient from its header)."""
    where = f"film {name}"
    header = read_dicom_header(file, where) if is_dcm else None
    if header is not None and images == "path":  # the header knows the size: pixels stay put
        film = None
        shape = (header.rows, header.columns)
    else:
        film = read_film(file, where)
        film.setflags(write=False)
        shape = film.shape
    native, source = (header.pixel_mm, header.pixel_source) if header else (None, "none")
    if native is None:  # the file does not know: it is at pixel_mm (given) or at the default
        native, source = ((float(pixel_mm), "given") if pixel_mm is not None
                          else (DEFAULT_PIXEL_MM, "default"))
    row = {("image" if images == "array" else "path"): film if images == "array" else str(file),
           "film": name, "patient": (header.patient if header else None) or name,
           "rows": shape[0], "columns": shape[1],
           "side": header.laterality if header else None,
           "view": header.view if header else None}
    return place_film(row, native_mm=native, pixel_mm=pixel_mm, source=source)


def _pixel_note(frame: pd.DataFrame, pixel_mm: float | None, assumed: list[str]) -> str:
    if pixel_mm is not None:
        note = f"``pixel_mm`` is {float(pixel_mm):g} mm, as given"
        if "native_pixel_mm" in frame.columns:
            moved = int((frame["native_pixel_mm"] != frame["pixel_mm"]).sum())
            note += (f"; {moved} DICOM film(s) of another pixel size were resampled to it when "
                     "read (``native_pixel_mm`` holds their own)")
        return note + "."
    if "pixel_source" in frame.columns:
        sizes = ", ".join(f"{v:g}" for v in sorted(frame["pixel_mm"].unique()))
        note = f"``pixel_mm`` is each DICOM film's own pixel size ({sizes} mm)"
        if assumed:
            note += f"; {len(assumed)} film(s) without one are assumed at {DEFAULT_PIXEL_MM:g} mm"
        return note + "."
    return f"``pixel_mm`` is {DEFAULT_PIXEL_MM:g} mm (not given: mini-MIAS's, assumed)."
