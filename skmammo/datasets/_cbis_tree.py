"""CBIS-DDSM on disk: the four case-description CSVs and the DICOM tree TCIA delivers.

The CSVs name each file by its DICOM UIDs
(``Mass-Training_P_00001_LEFT_CC/<study uid>/<series uid>/000000.dcm``); the
NBIA Data Retriever writes descriptive folder names instead
(``CBIS-DDSM/Mass-Training_P_00001_LEFT_CC/07-20-2016-DDSM-74994/1.000000-full
mammogram images-24515/1-1.dcm``).  :class:`CbisTree` finds a CSV path's
files: as written (older downloads and mirrors keep the UID folders), else
through the downloader's ``metadata.csv`` (``Series UID`` -> ``File
Location``), else through the files' own ``SeriesInstanceUID`` (headers only,
read once for the whole tree).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from skmammo.datasets._dicom import read_dicom_header
from skmammo.datasets._lesions import read_text_csv

__all__ = ["CBIS_CSVS", "CbisTree", "read_case_csvs"]

logger = logging.getLogger(__name__)

#: The case-description CSVs as TCIA publishes them: name -> (abnormality, split).
CBIS_CSVS = {
    "mass_case_description_train_set.csv": ("MASS", "train"),
    "mass_case_description_test_set.csv": ("MASS", "test"),
    "calc_case_description_train_set.csv": ("CALC", "train"),
    "calc_case_description_test_set.csv": ("CALC", "test"),
}

#: Columns every case-description CSV must have (after the spelling fixes below).
REQUIRED = ("patient_id", "left or right breast", "image view", "abnormality id",
            "abnormality type", "pathology", "image file path", "ROI mask file path")

#: Spellings of one column across the four CSVs (the calc CSVs write ``breast density``).
_RENAMES = {"breast density": "breast_density"}


def _find(root: Path, names) -> dict[str, Path]:
    """Files of these names in ``root`` or up to two folders below it (first found wins)."""
    wanted = {n.lower(): n for n in names}
    found: dict[str, Path] = {}
    for depth in range(3):
        pattern = "/".join(["*"] * (depth + 1))
        for path in sorted(root.glob(pattern)):
            name = wanted.get(path.name.lower())
            if name is not None and name not in found and path.is_file():
                found[name] = path
    return found


def read_case_csvs(root: Path) -> list[tuple[Path, pd.DataFrame, str, str]]:
    """The case-description CSVs under ``root``: ``(file, table, abnormality, split)`` each.

    Every cell is text with surrounding whitespace (and the newlines some
    path cells carry) removed; column names are stripped and ``breast
    density`` is renamed ``breast_density``.
    """
    found = _find(root, CBIS_CSVS)
    if not found:
        raise FileNotFoundError(
            f"{root}: no CBIS-DDSM case-description CSV found (expected "
            f"{', '.join(CBIS_CSVS)} in the folder or up to two levels below); download them "
            "from the collection's TCIA page beside the images")
    absent = [n for n in CBIS_CSVS if n not in found]
    if absent:
        logger.warning("CBIS-DDSM: %s not found under %s; loading the other %d",
                       ", ".join(absent), root, len(found))
    tables = []
    for name, (abnormality, split) in CBIS_CSVS.items():
        if name not in found:
            continue
        file = found[name]
        table = read_text_csv(file, REQUIRED, _RENAMES)
        tables.append((file, table, abnormality, split))
    return tables


def _parts(csv_path: str) -> list[str]:
    """A CSV file path's parts, whatever its separators and stray whitespace."""
    text = "".join(csv_path.split("\n")).strip().strip('"').replace("\\", "/")
    return [p.strip() for p in text.split("/") if p.strip() and p.strip() != "."]


def _dicoms(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".dcm", ".dicom")
                  and p.is_file())


class CbisTree:
    """Finds the DICOM files a case-description CSV names, in any of the layouts above."""

    def __init__(self, root: Path):
        self.root = root
        self._series: dict[str, Path] | None = None  # from metadata.csv
        self._scanned: dict[str, Path] | None = None  # from the files' headers
        meta = _find(root, ["metadata.csv"]).get("metadata.csv")
        if meta is not None:
            self._series = self._read_metadata(meta)

    @staticmethod
    def _read_metadata(meta: Path) -> dict[str, Path] | None:
        table = read_text_csv(meta)
        if not {"Series UID", "File Location"} <= set(table.columns):
            logger.warning("%s has no 'Series UID' / 'File Location' columns (not the NBIA "
                           "Data Retriever's); finding series by their headers instead", meta)
            return None
        series = {}
        for uid, location in zip(table["Series UID"], table["File Location"]):
            parts = _parts(location)
            if uid and parts:
                series[uid] = meta.parent.joinpath(*parts)
        logger.info("CBIS-DDSM: %d series located through %s", len(series), meta)
        return series

    def _scan(self) -> dict[str, Path]:
        """Series UID -> folder, from one file header per folder (read once, on first need)."""
        if self._scanned is None:
            logger.info("CBIS-DDSM: no metadata.csv entry; reading the series UIDs of the "
                        "DICOM files under %s (headers only)", self.root)
            self._scanned = {}
            for folder, _, files in os.walk(self.root):
                names = sorted(f for f in files if f.lower().endswith((".dcm", ".dicom")))
                for name in names:  # the first readable file names the folder's series
                    try:
                        uid = read_dicom_header(Path(folder) / name).series_uid
                    except ValueError as exc:
                        logger.warning("CBIS-DDSM: skipping %s", exc)
                        continue
                    if uid:
                        self._scanned.setdefault(uid, Path(folder))
                    break
        return self._scanned

    def series_files(self, csv_path: str, where: str) -> list[Path]:
        """The DICOM files of the series a CSV path names (the named file first if it exists).

        Raises FileNotFoundError naming ``where`` (the CSV file and row) when
        neither the path as written, ``metadata.csv`` nor the files' headers
        know the series.
        """
        parts = _parts(csv_path)
        if len(parts) < 2:
            raise ValueError(f"{where}: file path {csv_path!r} is not of the form "
                             "<case>/<study uid>/<series uid>/<file>.dcm")
        for base in (self.root, self.root / "CBIS-DDSM"):
            direct = base.joinpath(*parts)
            if direct.is_file():
                others = [p for p in _dicoms(direct.parent) if p != direct]
                return [direct, *others]
        uid = parts[-2]
        folder = (self._series or {}).get(uid)
        if folder is None or not folder.is_dir():
            folder = self._scan().get(uid)
        if folder is None or not folder.is_dir():
            raise FileNotFoundError(
                f"{where}: no DICOM series {uid} ({'/'.join(parts)}) under {self.root}: "
                "neither the path as written, the NBIA Data Retriever's metadata.csv nor the "
                "files' SeriesInstanceUID know it; is that part of the collection downloaded?")
        files = _dicoms(folder)
        if not files:
            raise FileNotFoundError(f"{where}: series folder {folder} holds no .dcm file")
        return files
