"""``load_mias``: the mini-MIAS database as a mammogram frame."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from skmammo.datasets._frame import make_bunch
from skmammo.datasets._info import Annotation, parse_info
from skmammo.datasets._pgm import (
    MAX_PIXELS,
    check_max_pixels,
    check_pgm_prefix,
    read_pgm,
)
from skmammo.datasets._source import ARCHIVE_SUFFIXES, open_source
from skmammo.utils import atomic_write

__all__ = ["MIAS_DESCR", "MIAS_PIXEL_MM", "centre_in_background", "load_mias"]

#: Pixel edge of the mini-MIAS films in millimetres (200 micron).
MIAS_PIXEL_MM = 0.2

logger = logging.getLogger(__name__)

MIAS_DESCR = """\
mini-MIAS (Mammographic Image Analysis Society MiniMammographic Database)
------------------------------------------------------------------------

322 medio-lateral oblique mammograms of 161 women (left/right pairs
mdb001+mdb002, mdb003+mdb004, ...), 1024 x 1024 pixels, 8-bit grey, 200 micron
pixel edge.  Annotations: background tissue (F fatty, G fatty-glandular,
D dense-glandular), abnormality class (CALC, CIRC, SPIC, MISC, ARCH, ASYM,
NORM), severity (B benign, M malignant) and, for most abnormalities, the
centre and radius of a circle enclosing it.  Coordinates in the frame are
image pixels with the origin top-left (MIAS counts y from the bottom);
``pixel_mm`` is 0.2; ``lesion`` numbers a film's abnormalities in the order
of their ``Info.txt`` lines (1, 2, ...; 0 for a normal film).

Targets: 0 normal, 1 benign, 2 malignant.

Licence: research use only, may not be sold.
Reference: J Suckling et al (1994) "The Mammographic Image Analysis Society
Digital Mammogram Database", Exerpta Medica, International Congress Series
1069, pp 375-378.
"""

#: Films whose background is darker than this grey level count as "no tissue".
_BACKGROUND_LEVEL = 20
_INFO_NAMES = ("info.txt",)
_FILM_NUMBER = re.compile(r"(\d+)$")


def centre_in_background(image: np.ndarray, x: float, y: float, radius: float) -> bool:
    """Tell whether an annotated lesion centre lies in the background, not in tissue.

    The neighbourhood of the centre (a square of half-side ``max(radius, 8)``
    pixels, capped at 32) is background when fewer than a quarter of its
    pixels are brighter than grey level 20.  A real lesion, however small,
    sits inside the breast and passes easily; the two wrong MIAS annotations
    (mdb212, mdb214) lie in the black area beside it.

    Parameters
    ----------
    image : ndarray of shape (height, width), uint8
    x, y : float
        Centre in image pixel coordinates, origin top-left.
    radius : float
        Lesion radius in pixels.

    Returns
    -------
    bool

    Examples
    --------
    >>> film = np.zeros((64, 64), np.uint8); film[:, :32] = 120
    >>> centre_in_background(film, 10, 30, 3), centre_in_background(film, 50, 30, 3)
    (False, True)
    """
    half = int(min(max(radius, 8), 32))
    col, row = int(round(x)), int(round(y))
    window = image[max(row - half, 0) : row + half + 1, max(col - half, 0) : col + half + 1]
    if window.size == 0:
        return True
    return float(np.mean(window > _BACKGROUND_LEVEL)) < 0.25


def _extract(file: Path, raw: bytes) -> str:
    """Write one film of an archive to ``file``, unless a file with exactly these bytes is there.

    A stale file (other bytes, even of the same size) is replaced atomically.
    """
    try:
        current = file.read_bytes() if file.stat().st_size == len(raw) else None
    except OSError:
        current = None
    if current != raw:
        atomic_write(file, raw)
    return str(file)


def _film_check(label: str, max_pixels: int):
    """The check of a film file from its first bytes (size cap, exact length), before reading it."""
    return lambda prefix, size: check_pgm_prefix(prefix, size, label, max_pixels)


def _image_row(ann: Annotation, shape: tuple[int, int], info_label: str) -> float:
    """The image row of a MIAS centre, refusing centres off the film and oversized radii.

    MIAS counts Y from the bottom-left corner and the frame's row is
    ``height - Y`` (mdb001's ``Y = 425`` is row 599), so the centre must satisfy
    ``0 <= X <= width - 1`` and ``1 <= Y <= height`` to be a pixel of the film.
    A radius larger than the film's longer side is refused too: it cannot be
    a lesion's and would make the crops allocate absurd amounts of memory.
    """
    height, width = shape
    where = f"{info_label}, line {ann.line}"
    row = height - ann.y_mias
    if not (0 <= ann.x <= width - 1 and 0 <= row <= height - 1):
        raise ValueError(
            f"{where}: centre X={ann.x:g} Y={ann.y_mias:g} of {ann.film} lies outside its "
            f"{width}x{height} film (MIAS counts Y from the bottom, row = {height} - Y: "
            f"X must be in 0..{width - 1} and Y in 1..{height})"
        )
    if ann.radius > max(height, width):
        raise ValueError(
            f"{where}: radius {ann.radius:g} of {ann.film} exceeds its {width}x{height} film's "
            f"longer side ({max(height, width)} pixels); fix the annotation"
        )
    return row


def _patient_and_side(film: str) -> tuple[str, str]:
    """MIAS films come in pairs: odd numbers are right breasts, the next even one the left."""
    number = int(_FILM_NUMBER.search(film).group(1))
    return f"p{(number + 1) // 2:03d}", "R" if number % 2 else "L"


def _find_info(source) -> str:
    found = sorted(name for name in source.names() if name.lower() in _INFO_NAMES)
    if len(found) > 1:
        raise ValueError(
            f"{source.label}: ambiguous: {' and '.join(source.path_of(n) for n in found)} are "
            "both annotation lists; keep the one you mean"
        )
    if found:
        return found[0]
    archives = sorted(n for n in source.names() if n.lower().endswith(ARCHIVE_SUFFIXES))
    if archives and getattr(source, "root", None) is not None:  # a folder holding the archive
        raise FileNotFoundError(
            f"{source.label}: no Info.txt found, but the folder holds the archive "
            f"{source.path_of(archives[0])}: pass the archive itself, not its folder"
        )
    raise FileNotFoundError(
        f"{source.label}: no Info.txt found; the MIAS annotation list must sit beside the "
        ".pgm films (in the folder or the archive)"
    )


def load_mias(
    path: str | os.PathLike,
    *,
    unit: str = "lesion",
    return_X_y: bool = False,
    keep_unlocated: bool = False,
    keep_mislocated: bool = False,
    verbose: int = 0,
    images: str = "array",
    extract_to: str | os.PathLike | None = None,
    max_pixels: int = MAX_PIXELS,
):
    """Load the mini-MIAS database as a mammogram frame.

    Parameters
    ----------
    path : str or path-like
        A folder holding ``Info.txt`` and the ``mdbNNN.pgm`` films, or the
        ``.tar.gz`` / ``.zip`` archive itself (files may sit at its root or in
        one sub-folder).  Both the original ``Info.txt`` (prose, then data
        lines) and the data-only copy with a ``REFNUM BG CLASS SEVERITY X Y
        RADIUS`` header are understood.
    unit : {"lesion", "film"}, default="lesion"
        ``"lesion"``: one row per annotated abnormality plus one row per
        normal film.  ``"film"``: one row per film, labelled and located by its
        first annotation line, as the study did.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    keep_unlocated : bool, default=False
        Keep abnormalities without a centre and radius (mdb059, and the
        ``*NOTE 3*`` calcifications mdb216, mdb233, mdb245).  Their ``x``,
        ``y`` and ``radius`` are NaN.  Left out by default, with a logged note.
    keep_mislocated : bool, default=False
        Keep lesions whose annotated centre lies in the background outside the
        breast (see :func:`centre_in_background`; in MIAS: mdb212, mdb214).
        Left out by default, with a logged note naming them.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.
    images : {"array", "path"}, default="array"
        ``"array"``: the frame's ``image`` column holds the films in memory.
        ``"path"``: a ``path`` column holds the film files instead, read by the
        preprocessing transformers when they need the pixels (films by
        reference, for data sets larger than memory or for Dask workers
        reading a shared folder).  Every film is still read once here to
        check the annotations against it, one at a time.
    extract_to : str or path-like, optional
        With ``images="path"`` and an archive: the folder the films are
        extracted to (created if needed; a film already there with the same
        content is kept, any other file -- even of the same size -- is
        replaced: written under a temporary name and renamed).  Not needed for
        a folder, whose own files are referenced.
    max_pixels : int, default=100_000_000
        Largest film accepted (width x height), checked from each film's
        header before its pixels are read or decompressed.  MIAS films have
        about 1 million pixels; the default leaves room for full-field
        digital mammograms.

    Returns
    -------
    data : Bunch
        ``frame`` (the samples with a ``target`` column), ``data`` (the same
        without it), ``target`` (0 normal, 1 benign, 2 malignant),
        ``target_names``, ``groups`` (patient ids: mdb001 and mdb002 are
        ``"p001"``) and ``DESCR``.  Rows of one film share one read-only
        ``uint8`` image array (with ``images="path"``: one file name).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``path``, ``Info.txt`` or a film named in it is missing.
    ValueError
        Naming the file (and line) for an unparsable data line (including a
        mistyped film reference such as ``mdb0O3``), a truncated, oversized or
        corrupt film, a centre outside its film (``0 <= X <= width - 1``,
        ``1 <= Y <= height``), a radius that is not positive or exceeds the
        film's longer side, or an ambiguous source (two annotation lists, two
        archive members of one film name).

    Examples
    --------
    >>> mias = load_mias("all-mias.tar.gz", unit="film")  # doctest: +SKIP
    >>> mias.frame.shape[0], np.bincount(mias.target).tolist()  # doctest: +SKIP
    (316, [207, 61, 48])
    """
    if unit not in ("lesion", "film"):
        raise ValueError(f"unit must be 'lesion' or 'film', got {unit!r}")
    if images not in ("array", "path"):
        raise ValueError(f"images must be 'array' or 'path', got {images!r}")
    max_pixels = check_max_pixels(max_pixels)
    source = open_source(path)
    archive = not os.path.isdir(os.path.expanduser(os.fspath(path)))
    if images == "path" and archive:
        if extract_to is None:
            source.close()
            raise ValueError(
                f"{source.label} is an archive: images='path' needs extract_to=<a folder> to "
                "extract the films to (or extract the archive yourself and pass the folder)"
            )
        extract_to = Path(extract_to).expanduser()
        extract_to.mkdir(parents=True, exist_ok=True)
    try:
        info_name = _find_info(source)
        info_label = source.path_of(info_name)
        text = source.read(info_name).decode("latin-1")
        annotations = parse_info(text, info_label)

        films = sorted({a.film for a in annotations})
        available = source.names()
        missing = [f for f in films if f + ".pgm" not in available]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise FileNotFoundError(
                f"{source.label}: {len(missing)} film(s) named in {info_name} are missing: "
                f"{shown} (expected files such as {missing[0]}.pgm)"
            )
        by_film: dict[str, list[Annotation]] = {}
        for ann in annotations:
            by_film.setdefault(ann.film, []).append(ann)

        # Convert and check every location as its film is read (one film in
        # memory at a time with images="path"), so a bad line is reported
        # whatever ``unit`` is.
        located: dict[int, tuple[float, float]] = {}
        mislocated: set[int] = set()
        arrays: dict[str, np.ndarray] = {}
        files: dict[str, str] = {}
        wanted = [f + ".pgm" for f in films]
        reader = source.iter_read(
            wanted, lambda name: _film_check(source.path_of(name), max_pixels)
        )
        for name, raw in tqdm(reader, total=len(wanted), desc="Reading MIAS films",
                              unit="film", disable=not verbose):
            image = read_pgm(raw, source.path_of(name), max_pixels)
            image.setflags(write=False)
            film = name[:-4]
            for ann in by_film[film]:
                if not ann.located:
                    continue
                row = _image_row(ann, image.shape, info_label)
                located[ann.line] = (ann.x, row)
                if centre_in_background(image, ann.x, row, ann.radius):
                    mislocated.add(ann.line)
            if images == "array":
                arrays[film] = image
            elif archive:
                files[film] = _extract(extract_to / name, raw)
            else:
                files[film] = source.path_of(name)
    finally:
        source.close()

    if unit == "film":
        candidates = [lines[0] for lines in by_film.values()]
    else:
        candidates = [a for a in annotations if a.abnormality != "NORM"]
        candidates += [lines[0] for lines in by_film.values() if lines[0].abnormality == "NORM"]
        candidates.sort(key=lambda a: a.line)

    unlocated_out = [a for a in candidates if a.abnormality != "NORM" and not a.located]
    mislocated_out = [a for a in candidates if a.line in mislocated]
    if unlocated_out and not keep_unlocated:
        logger.warning(
            "Left out %d abnormalities without a centre/radius (%s); pass keep_unlocated=True "
            "to keep them with NaN coordinates.",
            len(unlocated_out), ", ".join(a.film for a in unlocated_out),
        )
    if mislocated_out and not keep_mislocated:
        logger.warning(
            "Left out %d lesions whose annotated centre lies in the background outside the "
            "breast (%s); pass keep_mislocated=True to keep them.",
            len(mislocated_out),
            "; ".join(
                f"{a.film} at column {a.x:g}, row {located[a.line][1]:g}" for a in mislocated_out
            ),
        )

    rows = []
    for ann in candidates:
        if ann.abnormality != "NORM" and not ann.located and not keep_unlocated:
            continue
        if ann.line in mislocated and not keep_mislocated:
            continue
        x, y = located.get(ann.line, (np.nan, np.nan))
        patient, side = _patient_and_side(ann.film)
        rows.append(
            {
                **({"image": arrays[ann.film]} if images == "array"
                   else {"path": files[ann.film]}),
                "x": x,
                "y": y,
                "radius": ann.radius,
                "film": ann.film,
                "patient": patient,
                "side": side,
                "view": "MLO",  # mini-MIAS holds medio-lateral oblique views only
                "tissue": ann.tissue,
                "abnormality": ann.abnormality,
                "severity": ann.severity,
                "pixel_mm": MIAS_PIXEL_MM,
                # the abnormality's number on its film, in Info.txt's order (0: normal film)
                "lesion": 0 if ann.abnormality == "NORM" else 1 + [
                    a.line for a in by_film[ann.film] if a.abnormality != "NORM"].index(ann.line),
            }
        )
    return make_bunch(rows, descr=MIAS_DESCR, return_X_y=return_X_y)
