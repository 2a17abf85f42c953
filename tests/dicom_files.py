"""Small DICOM films for the tests, written with pydicom as scanners and archives write them.

``write_dicom`` covers the cases the readers must handle: 8/12/16 bits,
signed pixels, MONOCHROME1, rescale, window centre/width with each VOI LUT
function, a VOI LUT Sequence, pixel spacing from either tag or none,
laterality and view, and compressed transfer syntaxes (when their encoder
plugins are installed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRLittleEndian,
    DigitalMammographyXRayImageStorageForPresentation,
    generate_uid,
)

__all__ = ["write_dicom"]


def write_dicom(path, pixels: np.ndarray, *, photometric: str = "MONOCHROME2",
                bits_stored: int | None = None, pixel_spacing=None, imager_spacing=None,
                rescale: tuple[float, float] | None = None,
                window: tuple[float, float] | None = None, voi_function: str | None = None,
                voi_lut: tuple[list[int], int, int] | None = None,
                laterality: str | None = None, view: str | None = None,
                view_meaning: str | None = None, patient: str = "P0001",
                study_uid: str | None = None, series_uid: str | None = None,
                sop_uid: str | None = None, transfer_syntax=ExplicitVRLittleEndian,
                extra: dict | None = None) -> Path:
    """Write ``pixels`` (2-D uint8/uint16/int16) as a DICOM mammogram and return its path.

    ``voi_lut`` is ``(lut_data, first_mapped, bits)``; ``window`` is
    ``(centre, width)``; ``rescale`` is ``(slope, intercept)``; spacings
    are ``(row_mm, column_mm)``.  ``extra`` sets further keywords.
    """
    pixels = np.ascontiguousarray(pixels)
    if pixels.dtype not in (np.uint8, np.uint16, np.int16):
        raise TypeError(f"write_dicom: pixels of dtype {pixels.dtype}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DigitalMammographyXRayImageStorageForPresentation
    meta.MediaStorageSOPInstanceUID = sop_uid or generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.PatientID = patient
    ds.Modality = "MG"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    allocated = 8 * pixels.dtype.itemsize
    ds.BitsAllocated = allocated
    ds.BitsStored = bits_stored or allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(pixels.dtype == np.int16)
    if pixel_spacing is not None:
        ds.PixelSpacing = [float(v) for v in pixel_spacing]
    if imager_spacing is not None:
        ds.ImagerPixelSpacing = [float(v) for v in imager_spacing]
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept = (float(v) for v in rescale)
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = (float(v) for v in window)
    if voi_function is not None:
        ds.VOILUTFunction = voi_function
    if voi_lut is not None:
        data, first, bits = voi_lut
        item = Dataset()
        item.LUTDescriptor = [len(data), int(first), int(bits)]
        item.LUTData = np.asarray(data, np.uint16).tobytes()
        ds.VOILUTSequence = Sequence([item])
    if laterality is not None:
        ds.ImageLaterality = laterality
    if view is not None:
        ds.ViewPosition = view
    if view_meaning is not None:
        code = Dataset()
        code.CodeMeaning = view_meaning
        ds.ViewCodeSequence = Sequence([code])
    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)
    ds.PixelData = pixels.tobytes()
    if transfer_syntax != ExplicitVRLittleEndian:
        ds.compress(transfer_syntax, pixels)
    ds.save_as(path, enforce_file_format=True)
    return path
