"""``load_vindr_mammo``: VinDr-Mammo (PhysioNet) as a mammogram frame, BI-RADS mapped to targets."""

from __future__ import annotations

import ast
import logging
import os
import re
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from skmammo.datasets._dicom import read_dicom, read_dicom_header
from skmammo.datasets._lesions import (
    box_geometry,
    finish_bunch,
    optional_mm,
    read_text_csv,
)
from skmammo.datasets._resample import place_film

__all__ = ["VINDR_BIRADS_MAP", "VINDR_DESCR", "VINDR_TARGET_NAMES", "load_vindr_mammo"]

logger = logging.getLogger(__name__)

#: Default BI-RADS category -> class.  1 (negative) is normal; 2 (benign) and
#: 3 (probably benign, <= 2% malignancy) benign; 4 (suspicious) and 5 (highly
#: suggestive of malignancy) suspicious -- the recall threshold of screening.
VINDR_BIRADS_MAP = {"1": "normal", "2": "benign", "3": "benign", "4": "suspicious",
                    "5": "suspicious"}

#: The classes of VinDr-Mammo's targets: a radiologist's assessment, not pathology.
VINDR_TARGET_NAMES = ["normal", "benign", "suspicious"]

_SEVERITY = {"normal": None, "benign": "B", "suspicious": "M"}
_CSVS = ("finding_annotations.csv", "breast-level_annotations.csv")
_FINDING_COLUMNS = ("study_id", "image_id", "laterality", "view_position", "height", "width",
                    "breast_birads", "breast_density", "finding_categories", "finding_birads",
                    "xmin", "ymin", "xmax", "ymax", "split")
_BREAST_COLUMNS = ("study_id", "image_id", "laterality", "view_position", "height", "width",
                   "breast_birads", "breast_density", "split")
EXTRAS = ("split", "birads", "breast_birads", "finding_birads", "xmin", "ymin", "xmax", "ymax",
          "film_rows", "film_columns", "native_pixel_mm", "pixel_source")

VINDR_DESCR = """\
VinDr-Mammo (a full-field digital mammography data set from Vietnam)
--------------------------------------------------------------------

5,000 four-view screening exams (20,000 DICOM films), double read with
arbitration.  BI-RADS is not pathology: the targets are the radiologists'
BI-RADS assessments mapped to normal / benign / suspicious (default: 1
normal, 2-3 benign, 4-5 suspicious), not biopsy results; target 2 means
"suspicious", not malignant.

Each breast has a BI-RADS assessment and a density; the findings that are
not benign have a box, a category and their own BI-RADS.  One row per boxed
finding (x, y = the box centre, radius = half its diagonal; the box in
xmin/ymin/xmax/ymax) plus one normal row per film without a finding whose
breast assessment maps to normal.  Most BI-RADS 4 findings are benign at
biopsy: compare results with pathology-verified sets (mini-MIAS, CBIS-DDSM)
with care.  ``target_names`` is normal, benign, suspicious; the
``severity`` column codes the classes B (benign) and M (suspicious) so that
the pipeline's targets line up.

Groups: VinDr-Mammo gives no patient id; ``patient`` holds the study id (one
exam of one woman), so rows of one exam never straddle training and test.
``split`` is the official split (train/test).  ``tissue`` holds the breast
density (A-D).  Pixel size from the DICOM headers (``pixel_source``).

Licence: PhysioNet restricted access (signed data use agreement); cite
Nguyen et al., Sci Data 10, 277 (2023) and the PhysioNet record
(doi:10.13026/br2v-7517).
"""


def _category(value, where: str, name: str) -> str | None:
    """``"BI-RADS 4"`` / ``"4"`` / ``4`` -> ``"4"``; empty -> None."""
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none"):
        return None
    match = re.fullmatch(r"(?:bi-?rads)?\s*([0-6][abc]?)", text, flags=re.IGNORECASE)
    if match is None:
        raise ValueError(f"{where}: {name} {value!r} is not a BI-RADS category")
    return match.group(1).upper()


def _check_map(birads_map) -> dict[str, str]:
    if birads_map is None:
        return dict(VINDR_BIRADS_MAP)
    if not isinstance(birads_map, dict):
        raise TypeError(f"birads_map must be a dict (BI-RADS category -> class), got "
                        f"{type(birads_map).__name__}")
    out = {}
    for key, value in birads_map.items():
        if value not in _SEVERITY:
            raise ValueError(f"birads_map[{key!r}] = {value!r}; the classes are "
                             f"{', '.join(VINDR_TARGET_NAMES)}")
        out[_category(key, "birads_map", "key")] = value
    return out


def _categories(text: str) -> str:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return ";".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def _number(value: str, where: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{where}: {name} {value!r} is not a number") from None
    return number


def load_vindr_mammo(
    path: str | os.PathLike,
    *,
    pixel_mm: float | None = None,
    images: str = "path",
    birads_map: dict | None = None,
    keep_unlocated: bool = False,
    native_pixel_mm: float | None = None,
    return_X_y: bool = False,
    verbose: int = 0,
):
    """Load VinDr-Mammo (PhysioNet) as a mammogram frame: boxed findings and normal films.

    **BI-RADS is not pathology**: the targets are the radiologists'
    BI-RADS assessment mapped to normal / benign / suspicious by
    ``birads_map``, not biopsy results (``target_names`` is ``["normal",
    "benign", "suspicious"]``).

    Parameters
    ----------
    path : str or path-like
        The data set's folder: ``finding_annotations.csv``,
        ``breast-level_annotations.csv`` and ``images/<study_id>/<image_id>.dicom``.
    pixel_mm : float, optional
        The frame's pixel edge in millimetres (films resampled when read,
        coordinates and boxes now); ``None`` keeps the native pixels.
    images : {"path", "array"}, default="path"
        Films by file (only headers are read here) or as 8-bit arrays.
    birads_map : dict, optional
        BI-RADS category (``1``..``5``, ``"4"`` or ``"BI-RADS 4"``) -> ``"normal"``,
        ``"benign"`` or ``"suspicious"``.  Default :data:`VINDR_BIRADS_MAP`:
        1 normal; 2 and 3 benign (3 is "probably benign", <= 2% malignancy);
        4 and 5 suspicious (the categories that call for a biopsy).  A
        finding takes its own BI-RADS (``finding_birads``), else its breast's.
    keep_unlocated : bool, default=False
        Films without a boxed finding whose breast BI-RADS maps to benign or
        suspicious (VinDr-Mammo boxes only findings that are not benign) have
        no location; they are left out (logged) unless this is True, when they
        are kept with NaN coordinates.
    native_pixel_mm : float, optional
        Pixel edge for films whose header has no ``PixelSpacing`` /
        ``ImagerPixelSpacing`` (``pixel_source="given"``); without it such a
        film is an error.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    data : Bunch
        ``frame``, ``data``, ``target`` (0 normal, 1 benign, 2 suspicious),
        ``target_names``, ``groups`` (the study ids: VinDr-Mammo has no
        patient id, a study is one exam of one woman) and ``DESCR``.
        Columns beyond the mammogram frame: ``split``, ``birads`` (the
        category behind the target), ``breast_birads``, ``finding_birads``,
        the box ``xmin``/``ymin``/``xmax``/``ymax``, ``film_rows``/``film_columns``,
        ``native_pixel_mm`` and ``pixel_source``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        A CSV or a film file is missing (naming the CSV line).
    ValueError
        Naming the file and line: a BI-RADS category the map does not
        cover, a box outside its film or inverted, a film whose size differs
        from the CSV's ``height`` / ``width``, a film without pixel spacing.

    Examples
    --------
    >>> vindr = load_vindr_mammo("vindr-mammo", pixel_mm=0.2)  # doctest: +SKIP
    >>> vindr.target_names  # doctest: +SKIP
    ['normal', 'benign', 'suspicious']
    """
    if images not in ("array", "path"):
        raise ValueError(f"images must be 'array' or 'path', got {images!r}")
    pixel_mm = optional_mm(pixel_mm, "pixel_mm")
    native_pixel_mm = optional_mm(native_pixel_mm, "native_pixel_mm")
    mapping = _check_map(birads_map)
    root = Path(path).expanduser()
    files = {name: root / name for name in _CSVS}
    for file in files.values():
        if not file.is_file():
            raise FileNotFoundError(f"{file}: missing; VinDr-Mammo's folder holds {_CSVS[0]}, "
                                    f"{_CSVS[1]} and images/<study_id>/<image_id>.dicom")
    breasts = read_text_csv(files[_CSVS[1]], _BREAST_COLUMNS)
    findings = read_text_csv(files[_CSVS[0]], _FINDING_COLUMNS)
    by_image: dict[str, list[tuple[int, dict]]] = {}
    for line, record in enumerate(findings.to_dict("records"), start=2):
        if record["xmin"] and record["xmin"].lower() != "nan":
            by_image.setdefault(record["image_id"], []).append((line, record))

    rows, unlocated = [], []
    for line, film in tqdm(list(enumerate(breasts.to_dict("records"), start=2)),
                           desc="Reading VinDr-Mammo", unit="film", disable=not verbose):
        where = f"{files[_CSVS[1]]} line {line} (image {film['image_id']})"
        boxed = by_image.get(film["image_id"], [])
        breast_class = _classify(mapping, film["breast_birads"], where, "breast_birads")
        if not boxed and breast_class != "normal" and not keep_unlocated:
            unlocated.append(film["image_id"])
            continue
        common = _film(root, film, where, images, native_pixel_mm)
        if not boxed:
            rows.append(_place({**common, "severity": _SEVERITY[breast_class],
                                "abnormality": "NORM" if breast_class == "normal" else "UNLOCATED",
                                "lesion": 0, "birads": _category(film["breast_birads"], where, ""),
                                "finding_birads": None}, pixel_mm))
            continue
        before = len(rows)
        for number, (fline, record) in enumerate(boxed, start=1):
            fwhere = f"{files[_CSVS[0]]} line {fline} (image {film['image_id']})"
            birads = (_category(record["finding_birads"], fwhere, "finding_birads")
                      or _category(record["breast_birads"], fwhere, "breast_birads"))
            label = _classify(mapping, birads, fwhere, "BI-RADS")
            box = [_number(record[c], fwhere, c) for c in ("xmin", "ymin", "xmax", "ymax")]
            if not (0 <= box[0] < box[2] <= common["columns"]
                    and 0 <= box[1] < box[3] <= common["rows"]):
                raise ValueError(f"{fwhere}: box {box} is inverted or leaves the "
                                 f"{common['columns']}x{common['rows']} film")
            if label == "normal":
                logger.warning("%s: a boxed finding of BI-RADS %s, which birads_map calls "
                               "normal; left out", fwhere, birads)
                continue
            rows.append(_place({**common, **box_geometry(*box), "severity": _SEVERITY[label],
                                "abnormality": _categories(record["finding_categories"]),
                                "lesion": number, "birads": birads,
                                "finding_birads": _category(record["finding_birads"], fwhere,
                                                            "finding_birads")}, pixel_mm))
        if len(rows) == before:  # every finding was left out: say the film is gone too
            logger.warning("VinDr-Mammo: image %s left out: birads_map calls every boxed finding "
                           "on it normal, and a boxed film is not a normal film",
                           film["image_id"])
    if unlocated:
        logger.warning("VinDr-Mammo: left out %d films without a boxed finding whose breast "
                       "BI-RADS is not normal (%s%s); keep_unlocated=True keeps them with NaN "
                       "coordinates", len(unlocated), ", ".join(unlocated[:5]),
                       " ..." if len(unlocated) > 5 else "")
    return finish_bunch(rows, EXTRAS, descr=VINDR_DESCR, return_X_y=return_X_y,
                        target_names=VINDR_TARGET_NAMES)


def _classify(mapping: dict[str, str], value, where: str, name: str) -> str:
    category = _category(value, where, name)
    if category is None:
        raise ValueError(f"{where}: no {name}")
    if category not in mapping:
        raise ValueError(f"{where}: BI-RADS {category} is not in birads_map "
                         f"({', '.join(sorted(mapping))}); add it to the map")
    return mapping[category]


def _film(root: Path, film: dict, where: str, images: str, native_pixel_mm) -> dict:
    """The keys every row of one film shares (film read once; rows share its array)."""
    file = root / "images" / film["study_id"] / f"{film['image_id']}.dicom"
    if not file.is_file() and file.with_suffix(".dcm").is_file():
        file = file.with_suffix(".dcm")
    if not file.is_file():
        raise FileNotFoundError(f"{where}: film file {file} does not exist")
    header = read_dicom_header(file, where)
    height = _number(film["height"], where, "height") if film["height"] else header.rows
    width = _number(film["width"], where, "width") if film["width"] else header.columns
    if (int(height), int(width)) != (header.rows, header.columns):
        raise ValueError(f"{where}: the CSV gives {int(width)}x{int(height)} pixels, the film "
                         f"{file} has {header.columns}x{header.rows}; its boxes would be off")
    if native_pixel_mm is not None and header.pixel_mm is None:
        native, source = native_pixel_mm, "given"
    elif header.pixel_mm is not None:
        native, source = header.pixel_mm, header.pixel_source
    else:
        raise ValueError(f"{where}: {file} has neither PixelSpacing nor ImagerPixelSpacing; "
                         "pass native_pixel_mm= (its pixel edge in mm)")
    if images == "array":
        image = read_dicom(file, where)
        image.setflags(write=False)
        film_data = {"image": image}
    else:
        film_data = {"path": str(file)}
    side = film["laterality"].upper()[:1]
    density = film["breast_density"].upper().replace("DENSITY", "").strip()
    return {**film_data, "x": np.nan, "y": np.nan, "radius": np.nan,
            "xmin": np.nan, "ymin": np.nan, "xmax": np.nan, "ymax": np.nan,
            "film": film["image_id"], "patient": film["study_id"],
            "side": side if side in ("L", "R") else header.laterality,
            "view": film["view_position"].upper() or header.view, "tissue": density or None,
            "split": "train" if film["split"].lower().startswith("train") else film["split"].lower(),
            "breast_birads": _category(film["breast_birads"], where, "breast_birads"),
            "rows": header.rows, "columns": header.columns,
            "_native": (native, source)}


def _place(row: dict, pixel_mm) -> dict:
    native, source = row.pop("_native")
    return place_film(row, native_mm=native, pixel_mm=pixel_mm, source=source)
