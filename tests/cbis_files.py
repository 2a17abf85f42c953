"""Small CBIS-DDSM trees for the tests and the memory benchmark, laid out as TCIA delivers them.

``write_cbis_tree`` writes the four case-description CSVs with their
published columns (the calc CSVs spell ``breast density`` with a space) and
the DICOM files of each case in one of three layouts:

- ``"uid"``: folders named by the UIDs, as the CSVs' paths say;
- ``"nbia"``: the NBIA Data Retriever's descriptive folders
  (``CBIS-DDSM/<case>/<date>-DDSM-<n>/1.000000-full mammogram images-<n>/1-1.dcm``)
  with its ``metadata.csv`` (``Series UID`` -> ``File Location``);
- ``"nbia-no-metadata"``: the same folders without ``metadata.csv``.

An abnormality's ROI series holds its mask alone and the crop in another
series, or (``combined=True``) both in one series, where the CSV's mask path
names the crop's file (000000.dcm) -- the mix-up the real collection has.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from dicom_files import write_dicom
from pydicom.uid import generate_uid

__all__ = ["Abnormality", "Case", "write_cbis_tree"]

MASS_COLUMNS = ["patient_id", "breast_density", "left or right breast", "image view",
                "abnormality id", "abnormality type", "mass shape", "mass margins", "assessment",
                "pathology", "subtlety", "image file path", "cropped image file path",
                "ROI mask file path"]
CALC_COLUMNS = ["patient_id", "breast density", "left or right breast", "image view",
                "abnormality id", "abnormality type", "calc type", "calc distribution",
                "assessment", "pathology", "subtlety", "image file path",
                "cropped image file path", "ROI mask file path"]


@dataclass
class Abnormality:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (inclusive) of the mask's rectangle
    pathology: str = "MALIGNANT"
    mask_shape: tuple[int, int] | None = None  # another size than the film's (rows, columns)
    combined: bool = False  # mask and crop in one series, the CSV naming the crop as the mask
    disk: bool = False  # a disk inscribed in the box instead of the rectangle


@dataclass
class Case:
    patient: str
    side: str = "LEFT"
    view: str = "CC"
    kind: str = "mass"  # or "calc"
    split: str = "train"
    shape: tuple[int, int] = (64, 48)
    abnormalities: list[Abnormality] = field(default_factory=list)
    photometric: str = "MONOCHROME2"
    bits: int = 16

    @property
    def name(self) -> str:
        prefix = {"mass": "Mass", "calc": "Calc"}[self.kind]
        return f"{prefix}-{'Training' if self.split == 'train' else 'Test'}_{self.patient}_" \
               f"{self.side}_{self.view}"


def film_pixels(case: Case, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if case.bits == 8:
        return rng.integers(20, 240, case.shape, dtype=np.uint8)
    return rng.integers(200, 4000, case.shape, dtype=np.uint16)


def mask_pixels(case: Case, abn: Abnormality) -> np.ndarray:
    rows, cols = case.shape
    mask = np.zeros((rows, cols), np.uint8)
    x0, y0, x1, y1 = abn.box
    if abn.disk:
        yy, xx = np.mgrid[:rows, :cols]
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
        mask[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = 255
    else:
        mask[y0:y1 + 1, x0:x1 + 1] = 255
    if abn.mask_shape is not None:
        import cv2
        mask = cv2.resize(mask, abn.mask_shape[::-1], interpolation=cv2.INTER_NEAREST)
    return mask


class _Writer:
    def __init__(self, root: Path, layout: str):
        self.root, self.layout = root, layout
        self.metadata: list[dict] = []
        self.count = 0

    def series(self, case_folder: str, study: str, description: str, files: list[np.ndarray],
               photometric: str = "MONOCHROME2") -> tuple[str, list[Path]]:
        """Write one series; return its UID and the files (UID-named paths' file names)."""
        uid = generate_uid()
        self.count += 1
        if self.layout == "uid":
            folder = self.root / case_folder / study / uid
            names = [f"{i:06d}.dcm" for i in range(len(files))]
        else:
            location = Path("CBIS-DDSM") / case_folder / f"07-20-2016-DDSM-{self.count:05d}" / \
                f"1.000000-{description}-{self.count:05d}"
            folder = self.root / location
            names = [f"1-{i + 1}.dcm" for i in range(len(files))]
            # the NBIA Data Retriever's columns, in its order
            self.metadata.append({
                "Series UID": uid, "Collection": "CBIS-DDSM", "3rd Party Analysis": "NO",
                "Data Description URI": "https://doi.org/10.7937/K9/TCIA.2016.7O02S9CY",
                "Subject ID": case_folder, "Study UID": study,
                "Study Description": "DDSM", "Study Date": "07-20-2016",
                "Series Description": description, "Manufacturer": "", "Modality": "MG",
                "SOP Class Name": "Secondary Capture Image Storage",
                "SOP Class UID": "1.2.840.10008.5.1.4.1.1.7", "Number of Images": len(files),
                "File Size": "1 KB", "File Location": ".\\" + str(location).replace("/", "\\"),
                "Download Timestamp": "2026-11-29T07:00:00"})
        paths = [write_dicom(folder / name, pixels, series_uid=uid, study_uid=study,
                             photometric=photometric if i == 0 else "MONOCHROME2",
                             patient=case_folder)
                 for i, (name, pixels) in enumerate(zip(names, files))]
        return uid, paths


def write_cbis_tree(root, cases: list[Case], *, layout: str = "nbia",
                    newline_in_paths: bool = False) -> Path:
    """Write ``cases`` as a CBIS-DDSM download under ``root`` and return ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    writer = _Writer(root, layout)
    tables: dict[tuple[str, str], list[dict]] = {}
    for seed, case in enumerate(cases):
        study = generate_uid()
        pixels = film_pixels(case, seed)
        if case.photometric == "MONOCHROME1":
            pixels = (pixels.max() - pixels + pixels.min()).astype(pixels.dtype)
        film_uid, _ = writer.series(case.name, study, "full mammogram images", [pixels],
                                    case.photometric)
        film_path = f"{case.name}/{study}/{film_uid}/000000.dcm"
        for number, abn in enumerate(case.abnormalities, start=1):
            roi_case = f"{case.name}_{number}"
            roi_study = generate_uid()
            mask = mask_pixels(case, abn)
            x0, y0, x1, y1 = abn.box
            crop = np.ascontiguousarray(film_pixels(case, seed)[y0:y1 + 1, x0:x1 + 1])
            if abn.combined:
                uid, _ = writer.series(roi_case, roi_study, "ROI mask images", [crop, mask])
                crop_path = f"{roi_case}/{roi_study}/{uid}/000000.dcm"
                mask_path = crop_path  # the CSV names the crop's file as the mask
            else:
                mask_uid, _ = writer.series(roi_case, roi_study, "ROI mask images", [mask])
                crop_uid, _ = writer.series(roi_case, roi_study, "cropped images", [crop])
                mask_path = f"{roi_case}/{roi_study}/{mask_uid}/000000.dcm"
                crop_path = f"{roi_case}/{roi_study}/{crop_uid}/000000.dcm"
            tail = "\n" if newline_in_paths else ""
            density = "breast_density" if case.kind == "mass" else "breast density"
            record = {"patient_id": case.patient, density: "3",
                      "left or right breast": case.side, "image view": case.view,
                      "abnormality id": str(number),
                      "abnormality type": "mass" if case.kind == "mass" else "calcification",
                      "assessment": "4", "pathology": abn.pathology, "subtlety": "3",
                      "image file path": film_path + tail,
                      "cropped image file path": crop_path + tail,
                      "ROI mask file path": mask_path + tail}
            tables.setdefault((case.kind, case.split), []).append(record)
    for (kind, split), records in tables.items():
        columns = MASS_COLUMNS if kind == "mass" else CALC_COLUMNS
        with open(root / f"{kind}_case_description_{split}_set.csv", "w", newline="") as handle:
            out = csv.DictWriter(handle, columns, restval="")
            out.writeheader()
            out.writerows(records)
    if layout == "nbia":
        with open(root / "metadata.csv", "w", newline="") as handle:
            out = csv.DictWriter(handle, list(writer.metadata[0]))
            out.writeheader()
            out.writerows(writer.metadata)
    return root
