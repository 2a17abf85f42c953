"""``load_cbis_ddsm``: the Curated Breast Imaging Subset of DDSM as a mammogram frame."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tqdm.auto import tqdm

from skmammo.datasets._cbis_tree import CbisTree, read_case_csvs
from skmammo.datasets._dicom import DicomHeader, read_dicom, read_dicom_header
from skmammo.datasets._lesions import (
    binary_mask,
    finish_bunch,
    fit_mask,
    mask_geometry,
    optional_mm,
)
from skmammo.datasets._resample import place_film

__all__ = ["CBIS_DESCR", "CBIS_PIXEL_MM", "load_cbis_ddsm"]

logger = logging.getLogger(__name__)

#: Pixel edge assumed for CBIS-DDSM films, whose DICOM files carry no spacing (mm).
#: DDSM's films were digitised at 42 um (DBA), 43.5 um (Howtek) and 50 um
#: (Lumisys); 0.046 mm (the geometric middle of 42 and 50 um) is within 9% of
#: each scanner's pixel, the smallest worst-case error one value can have.
CBIS_PIXEL_MM = 0.046

#: The CSVs' pathology -> the frame's severity code (B benign, M malignant).
PATHOLOGY = {"MALIGNANT": "M", "BENIGN": "B", "BENIGN_WITHOUT_CALLBACK": "B"}

#: Columns after the frame's own, in order.
EXTRAS = ("split", "pathology", "assessment", "subtlety", "mask_path", "xmin", "ymin",
          "xmax", "ymax", "film_rows", "film_columns", "native_pixel_mm", "pixel_source")

CBIS_DESCR = """\
CBIS-DDSM (Curated Breast Imaging Subset of the Digital Database for Screening Mammography)
----------------------------------------------------------------------------------------

Scanned film mammograms (CC and MLO views) of 1,566 women with 891 mass and
753 calcification cases, each abnormality outlined by an ROI mask and given
its verified pathology.  One row per abnormality: rows of one film share
that film.  No normal films: every film holds at least one lesion (see
docs/data.md for normal windows taken from the same films away from every
lesion).

Columns beyond the mammogram frame: ``split`` (the official train/test
split, from the CSV the row comes from), ``pathology`` (MALIGNANT, BENIGN or
BENIGN_WITHOUT_CALLBACK, the last meaning benign without a recall; all
benign ones are severity B), ``assessment`` (BI-RADS 0-5), ``subtlety``
(1-5), ``mask_path`` (the ROI mask's DICOM file), ``xmin``/``ymin``/``xmax``/
``ymax`` (the mask's extent), ``film_rows``/``film_columns`` (the film's size
in the frame), ``native_pixel_mm`` and ``pixel_source``.  ``tissue`` holds
the BI-RADS breast density (1-4), ``abnormality`` MASS or CALC, ``patient``
the case id (P_00001; the groups), ``lesion`` the abnormality id.  The
lesion centre is the ROI mask's centroid, the radius that of the smallest
circle around it enclosing the whole lesion.

Pixel size: the files carry none; the digitisers had 42-50 micron pixels,
and 0.046 mm is assumed (``pixel_source="default"``) unless
``native_pixel_mm`` is given.

Targets: 1 benign, 2 malignant (0 normal does not occur).

Licence: Creative Commons Attribution 3.0 Unported (TCIA); cite the data
set (doi:10.7937/K9/TCIA.2016.7O02S9CY), its paper (Lee et al., Sci Data 4,
170177, 2017) and TCIA (Clark et al., J Digit Imaging 26, 2013).
"""


def _native(header: DicomHeader, native_pixel_mm: float | None) -> tuple[float, str]:
    if native_pixel_mm is not None:
        return native_pixel_mm, "given"
    if header.pixel_mm is not None:
        return header.pixel_mm, header.pixel_source
    return CBIS_PIXEL_MM, "default"


def _find_mask(tree: CbisTree, record, header: DicomHeader, where: str):
    """The ROI mask of a CSV row: the binary image among its mask and crop series' files.

    TCIA's ROI series often hold both the cropped lesion and the mask, and
    the CSV's file names do not reliably tell which is which: the mask
    series' files, then the crop series', are tried in order of how close
    their size is to the film's (a mask covers the film, a crop a small
    part), and the first with at most two grey levels is the mask.
    """
    tried: list = []
    for column in ("ROI mask file path", "cropped image file path"):
        if not record.get(column):
            continue
        try:
            files = [p for p in tree.series_files(record[column], where) if p not in tried]
        except FileNotFoundError:
            if column == "ROI mask file path":
                raise
            continue  # the crop series is not needed when the mask series holds the mask
        if len(files) > 1:
            sizes = {p: read_dicom_header(p, where) for p in files}
            files.sort(key=lambda p: abs(sizes[p].rows - header.rows)
                       + abs(sizes[p].columns - header.columns))
        for path in files:
            mask = binary_mask(path, where)
            if mask is not None:
                return str(path), mask
        tried += files
    raise ValueError(f"{where}: none of the ROI series' files ({', '.join(map(str, tried))}) "
                     "is a mask (an image of at most two grey levels)")


def load_cbis_ddsm(
    path: str | os.PathLike,
    *,
    pixel_mm: float | None = None,
    images: str = "path",
    native_pixel_mm: float | None = None,
    return_X_y: bool = False,
    verbose: int = 0,
):
    """Load CBIS-DDSM (TCIA) as a mammogram frame, one row per abnormality.

    CBIS-DDSM has **no normal films**: every row is a lesion (benign or
    malignant); ``docs/data.md`` shows how to add normal windows from the
    same films away from every lesion.

    Parameters
    ----------
    path : str or path-like
        The download folder: the four case-description CSVs
        (``mass_case_description_train_set.csv``,
        ``mass_case_description_test_set.csv``,
        ``calc_case_description_train_set.csv``,
        ``calc_case_description_test_set.csv``; those found are loaded, the
        others named in a logged warning) and the DICOM files, in the folder
        or up to two levels below.  The CSVs name files by DICOM UIDs; the
        files are found where the CSV path says, else through the NBIA Data
        Retriever's ``metadata.csv`` (``Series UID`` -> ``File Location``),
        else by the ``SeriesInstanceUID`` of the files themselves (their
        headers are read once).
    pixel_mm : float, optional
        The frame's pixel edge in millimetres: films are resampled to it
        when read (``images="path"``: a pending ``Resample``), coordinates
        now.  ``None`` keeps each film's native pixels.
    images : {"path", "array"}, default="path"
        ``"path"``: the ``path`` column names each film's DICOM file (only
        its header is read here; CBIS-DDSM films are ~30 MB each).
        ``"array"``: the ``image`` column holds the films as 8-bit arrays
        (see :func:`read_dicom`); rows of one film share one array.
    native_pixel_mm : float, optional
        The films' own pixel edge.  By default a file's ``PixelSpacing`` /
        ``ImagerPixelSpacing`` if it has one, else :data:`CBIS_PIXEL_MM`
        (0.046 mm; ``pixel_source="default"``).  A number here applies to
        every film (``pixel_source="given"``).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    data : Bunch
        ``frame``, ``data`` (see ``DESCR`` for the columns beyond the
        mammogram frame: ``split``, ``pathology``, ``mask_path``, ...),
        ``target`` (1 benign -- ``BENIGN`` and ``BENIGN_WITHOUT_CALLBACK`` --,
        2 malignant), ``target_names``, ``groups`` (patient ids such as
        ``P_00001``) and ``DESCR``.  The lesion centre is the ROI mask's
        centroid and ``radius`` the radius of the smallest circle around
        the centroid enclosing it; :func:`read_lesion_mask` gives the mask itself.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        No CSV under ``path``, or a film or mask series a CSV row names is
        not found (the message names the CSV file and line).
    ValueError
        Naming the CSV file and line: an unknown pathology, an unreadable
        DICOM file, a mask series without a binary image, an empty mask.
        A mask of another size than its film is resized to it (nearest
        neighbour) with a logged warning naming the row.

    Examples
    --------
    >>> cbis = load_cbis_ddsm("CBIS-DDSM", pixel_mm=0.2)  # doctest: +SKIP
    >>> cbis.frame.groupby("split").size()  # doctest: +SKIP
    """
    if images not in ("array", "path"):
        raise ValueError(f"images must be 'array' or 'path', got {images!r}")
    pixel_mm = optional_mm(pixel_mm, "pixel_mm")
    native_pixel_mm = optional_mm(native_pixel_mm, "native_pixel_mm")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder; pass the folder holding the CBIS-DDSM "
                                "case-description CSVs and the downloaded DICOM files")
    tables = read_case_csvs(root)
    tree = CbisTree(root)
    films: dict[str, DicomHeader] = {}
    rows = []
    progress = tqdm(total=sum(len(t) for _, t, _, _ in tables), desc="Reading CBIS-DDSM",
                    unit="lesion", disable=not verbose)
    with progress:
        for file, table, abnormality, split in tables:
            for index, record in enumerate(table.to_dict("records")):
                where = f"{file} line {index + 2} (patient {record['patient_id']})"
                rows.append(_row(tree, record, where, films, abnormality, split, pixel_mm,
                                 native_pixel_mm))
                progress.update()
    if images == "array":
        _read_films(rows, verbose)
    logger.info("CBIS-DDSM: %d abnormalities on %d films of %d patients", len(rows),
                len(films), len({r["patient"] for r in rows}))
    return finish_bunch(rows, EXTRAS, descr=CBIS_DESCR, return_X_y=return_X_y)


def _read_films(rows: list[dict], verbose: int) -> None:
    """Each row's film by path replaced by the film as an array at the frame's pixel size.

    One film at a time: read, its pending operations (the read-time
    ``Resample``) applied, shared by its rows; the native film (~30 MB) is
    dropped before the next is read, so the loader holds only resampled films.
    """
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(row["path"], []).append(row)
    for path, film_rows in tqdm(by_path.items(), desc="Reading CBIS-DDSM films", unit="film",
                                disable=not verbose):
        image = read_dicom(path, f"film {film_rows[0]['film']} ({path})")
        for operation in film_rows[0].get("pending", ()):
            image = operation(image)
        image.setflags(write=False)
        for row in film_rows:
            del row["path"]
            row.pop("pending", None)
            row["image"] = image


def _row(tree, record, where, films, abnormality, split, pixel_mm, native_pixel_mm):
    pathology = record["pathology"].upper()
    if pathology not in PATHOLOGY:
        raise ValueError(f"{where}: pathology {record['pathology']!r} is none of "
                         f"{', '.join(PATHOLOGY)}")
    film_file = tree.series_files(record["image file path"], where)[0]
    key = str(film_file)
    if key not in films:
        films[key] = read_dicom_header(film_file, where)
    header = films[key]
    mask_path, mask = _find_mask(tree, record, header, where)
    geometry = mask_geometry(fit_mask(mask, (header.rows, header.columns), where), where)
    case = [p for p in record["image file path"].replace("\\", "/").split("/") if p.strip()]
    side = record["left or right breast"].upper()[:1]
    try:
        lesion = int(float(record["abnormality id"]))
    except ValueError:
        raise ValueError(f"{where}: abnormality id {record['abnormality id']!r} is not a "
                         "number") from None
    row = {
        "path": key,  # read after every row is placed when images="array" (_read_films)
        **geometry,
        "film": case[0].strip() if case else Path(key).stem,
        "patient": record["patient_id"],
        "side": side if side in ("L", "R") else header.laterality,
        "view": record["image view"].upper() or header.view,
        "tissue": record.get("breast_density") or None,
        "abnormality": abnormality,
        "severity": PATHOLOGY[pathology],
        "lesion": lesion,
        "split": split,
        "pathology": pathology,
        "assessment": record.get("assessment") or None,
        "subtlety": record.get("subtlety") or None,
        "mask_path": mask_path,
        "rows": header.rows,
        "columns": header.columns,
    }
    native, source = _native(header, native_pixel_mm)
    return place_film(row, native_mm=native, pixel_mm=pixel_mm, source=source)
