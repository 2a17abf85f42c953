"""DICOM films: the reader behind :func:`read_film` for ``.dcm`` files, and their header.

A mammography DICOM stores 10 to 16 bits per pixel and says how to display
them; skmammo works on 8-bit grey films.  :func:`read_dicom` turns one into
the other by the rule written in its docstring (and in ``docs/data.md``);
:func:`read_dicom_header` gives what the loaders need without decoding the
pixels (size, pixel spacing, laterality, view, patient and UIDs).

Compressed transfer syntaxes need decoder plugins: ``pip install
"skmammo[dicom]"`` installs those of JPEG 2000 and JPEG-LS (RLE needs none);
lossless JPEG (process 14, 1.2.840.10008.1.2.4.57 / .70) needs GDCM or
pylibjpeg-libjpeg (GPL), which the extra does not install.  Without a
decoder the error names the file, the extra and what the syntax needs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DICOM_EXTRA", "DICOM_SUFFIXES", "DicomHeader", "is_dicom", "read_dicom",
           "read_dicom_header"]

logger = logging.getLogger(__name__)

#: File suffixes read as DICOM (CBIS-DDSM uses ``.dcm``, VinDr-Mammo ``.dicom``);
#: a file without a suffix is DICOM when it carries the ``DICM`` marker.
DICOM_SUFFIXES = (".dcm", ".dicom")

#: Suffixes of the other image formats: never DICOM, never opened by :func:`is_dicom`.
_IMAGE_SUFFIXES = (".pgm", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp")

#: How to install the decoders of compressed transfer syntaxes.
DICOM_EXTRA = 'pip install "skmammo[dicom]"'

#: View Code Sequence meanings (SNOMED, as CBIS-DDSM and VinDr-Mammo write them) to views.
_VIEW_MEANINGS = {
    "cranio-caudal": "CC",
    "medio-lateral oblique": "MLO",
    "medio-lateral": "ML",
    "latero-medial": "LM",
    "exaggerated cranio-caudal": "XCCL",
}


@dataclass(frozen=True)
class DicomHeader:
    """What one DICOM film says about itself, read without its pixels.

    Attributes
    ----------
    path : str
    rows, columns : int
        The film's size in pixels.
    pixel_mm : float or None
        Millimetres per pixel: ``PixelSpacing``, else ``ImagerPixelSpacing``
        (the mean of row and column spacing); ``None`` when the file has
        neither (digitised film often has none).
    pixel_source : str
        ``"PixelSpacing"``, ``"ImagerPixelSpacing"`` or ``"none"``.
    laterality : str or None
        ``"L"`` or ``"R"`` from ``ImageLaterality``, else ``Laterality``.
    view : str or None
        ``ViewPosition`` (``"CC"``, ``"MLO"``, ...), else the View Code
        Sequence's meaning mapped to those abbreviations.
    patient : str or None
        ``PatientID``.
    study_uid, series_uid, sop_uid : str or None
    photometric : str
        ``"MONOCHROME1"`` (high values dark) or ``"MONOCHROME2"``.
    bits_stored : int
    transfer_syntax : str
        The transfer syntax's name (``"JPEG 2000 Image Compression (Lossless Only)"``, ...).
    """

    path: str
    rows: int
    columns: int
    pixel_mm: float | None
    pixel_source: str
    laterality: str | None
    view: str | None
    patient: str | None
    study_uid: str | None
    series_uid: str | None
    sop_uid: str | None
    photometric: str
    bits_stored: int
    transfer_syntax: str


def is_dicom(path: str | os.PathLike) -> bool:
    """True for a ``.dcm`` / ``.dicom`` file, or another file with the ``DICM`` marker.

    Archives often name DICOM files without a suffix (``IM000001``) or by
    their UID (``1.2.840.113619.2.55.3``, whose "suffix" is a number): those
    are recognised by the marker at byte 128.  Files named as PGM, PNG,
    TIFF or JPEG are not opened.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in DICOM_SUFFIXES:
        return True
    if suffix in _IMAGE_SUFFIXES or not path.is_file():
        return False
    with open(path, "rb") as handle:
        handle.seek(128)
        return handle.read(4) == b"DICM"


def _label(where: str, path) -> str:
    return f"{where} ({path})" if where else str(path)


def _dcmread(path, where: str, header_only: bool):
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not Path(path).is_file():
        raise FileNotFoundError(f"{_label(where, path)}: DICOM file does not exist")
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=header_only)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{_label(where, path)}: not a readable DICOM file ({exc})") from exc
    missing = [k for k in ("Rows", "Columns") if k not in ds]
    if missing or (not header_only and "PixelData" not in ds):
        raise ValueError(f"{_label(where, path)}: the DICOM file holds no image "
                         f"(missing {', '.join(missing) or 'PixelData'})")
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        raise ValueError(f"{_label(where, path)}: {ds.SamplesPerPixel} samples per pixel "
                         f"({ds.get('PhotometricInterpretation')}); mammograms are grey "
                         "(MONOCHROME1 or MONOCHROME2)")
    if int(ds.get("NumberOfFrames", 1) or 1) != 1:
        raise ValueError(f"{_label(where, path)}: {ds.NumberOfFrames} frames (tomosynthesis?); "
                         "skmammo reads 2-D films of one frame")
    return ds


def _spacing(ds, where: str) -> tuple[float | None, str]:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if value is None or len(value) != 2:
            continue
        row_mm, col_mm = float(value[0]), float(value[1])
        if not (row_mm > 0 and col_mm > 0):
            continue
        if abs(row_mm - col_mm) > 0.01 * max(row_mm, col_mm):
            logger.warning("%s: %s is %g x %g mm (not square); using the mean", where,
                           keyword, row_mm, col_mm)
        return (row_mm + col_mm) / 2, keyword
    return None, "none"


def _view(ds) -> str | None:
    position = str(ds.get("ViewPosition", "") or "").strip().upper()
    if position:
        return position
    for item in ds.get("ViewCodeSequence", []) or []:
        meaning = str(item.get("CodeMeaning", "")).strip().lower()
        if meaning in _VIEW_MEANINGS:
            return _VIEW_MEANINGS[meaning]
    return None


def _text(ds, keyword: str) -> str | None:
    value = ds.get(keyword)
    return str(value).strip() or None if value is not None else None


def _header(ds, path) -> DicomHeader:
    pixel_mm, source = _spacing(ds, str(path))
    laterality = (_text(ds, "ImageLaterality") or _text(ds, "Laterality") or "").upper()
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    return DicomHeader(
        path=str(path), rows=int(ds.Rows), columns=int(ds.Columns), pixel_mm=pixel_mm,
        pixel_source=source, laterality=laterality if laterality in ("L", "R") else None,
        view=_view(ds), patient=_text(ds, "PatientID"), study_uid=_text(ds, "StudyInstanceUID"),
        series_uid=_text(ds, "SeriesInstanceUID"), sop_uid=_text(ds, "SOPInstanceUID"),
        photometric=str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip(),
        bits_stored=int(ds.get("BitsStored", ds.get("BitsAllocated", 8))),
        transfer_syntax=syntax.name if syntax is not None else "unknown",
    )


def read_dicom_header(path: str | os.PathLike, where: str = "") -> DicomHeader:
    """The header of one DICOM film (no pixel data is read or decoded).

    Parameters
    ----------
    path : str or path-like
    where : str, optional
        How error messages name the film (e.g. ``"row 3"``).

    Returns
    -------
    DicomHeader
    """
    return _header(_dcmread(path, where, header_only=True), path)


def _window(values: np.ndarray, ds) -> np.ndarray | None:
    """Window Center/Width (the first pair) applied to ``values``, as 0-1; ``None`` if absent."""
    from pydicom.multival import MultiValue

    if "WindowCenter" not in ds or "WindowWidth" not in ds:
        return None
    centre, width = ds.WindowCenter, ds.WindowWidth
    try:
        centre = float(centre[0] if isinstance(centre, MultiValue) else centre)
        width = float(width[0] if isinstance(width, MultiValue) else width)
    except (TypeError, ValueError, IndexError):  # present but empty: as if absent
        return None
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    if function == "SIGMOID":
        if width <= 0:
            return None
        return 1.0 / (1.0 + np.exp(-4.0 * (values - centre) / width))
    if function == "LINEAR_EXACT":
        if width <= 0:
            return None
        return np.clip((values - centre) / width + 0.5, 0.0, 1.0)
    if width < 1:
        return None
    if width == 1:
        return (values > centre - 0.5).astype(np.float64)
    return np.clip((values - (centre - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def _to_unit(values: np.ndarray, ds) -> np.ndarray:
    """Modality LUT then VOI of the stored ``values``, as floats in [0, 1]."""
    from pydicom.pixels import apply_modality_lut, apply_voi

    if "ModalityLUTSequence" in ds:
        values = apply_modality_lut(values, ds).astype(np.float64)
    else:
        values = values.astype(np.float64) * float(ds.get("RescaleSlope", 1) or 1) \
            + float(ds.get("RescaleIntercept", 0) or 0)
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        looked_up = apply_voi(np.rint(values).astype(np.int64), ds, index=0)  # a LUT's input is integer
        return np.clip(looked_up / float(2 ** bits - 1), 0.0, 1.0)
    windowed = _window(values, ds)
    if windowed is not None:
        return windowed
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _needs(syntax) -> str:
    """What pydicom says would decode ``syntax`` (JPEG Lossless needs more than the extra)."""
    try:
        from pydicom.pixels import get_decoder

        missing = get_decoder(syntax).missing_dependencies
    except Exception:  # an unknown syntax: pydicom has no decoder to ask
        return ""
    return f"; this syntax needs one of: {'; '.join(missing)}" if missing else ""


def _decode(ds, path, where: str) -> np.ndarray:
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    try:
        return ds.pixel_array
    except Exception as exc:  # pydicom raises RuntimeError, NotImplementedError, ValueError
        if syntax is not None and syntax.is_compressed:
            raise ValueError(
                f"{_label(where, path)}: its pixels are compressed ({syntax.name}) and no "
                f"installed decoder reads them; {DICOM_EXTRA} installs the decoders of JPEG "
                f"2000 and JPEG-LS{_needs(syntax)} (pydicom said: "
                f"{str(exc).splitlines()[0]})") from exc
        raise ValueError(f"{_label(where, path)}: cannot decode the pixel data ({exc})") from exc


def _stored(ds, path, where: str) -> np.ndarray:
    stored = np.asarray(_decode(ds, path, where))
    if stored.ndim != 2:
        raise ValueError(f"{_label(where, path)}: pixel data of shape {stored.shape}; "
                         "expected one grey frame")
    return stored


def read_dicom_stored(path: str | os.PathLike, where: str = "") -> np.ndarray:
    """The stored values of a one-frame DICOM file, no look-up table applied.

    For label images (lesion masks): their values are classes, not grey
    levels, and must not pass through the film's window or MONOCHROME1
    inversion (:func:`read_dicom`).
    """
    return _stored(_dcmread(path, where, header_only=False), path, where)


def read_dicom(path: str | os.PathLike, where: str = "") -> np.ndarray:
    """Read one DICOM film as a 2-D ``uint8`` array, bright = dense.

    The rule, applied to every possible stored value once (a look-up table,
    then one gather over the film):

    1. **Modality LUT**: ``Rescale Slope`` / ``Rescale Intercept``, or the
       Modality LUT Sequence.
    2. **VOI**: the first VOI LUT of the VOI LUT Sequence (its input rounded
       to integers, its output scaled by its ``2**bits - 1``), else the first ``Window Center`` / ``Window Width``
       with the ``VOI LUT Function`` (``LINEAR``, ``LINEAR_EXACT``,
       ``SIGMOID``, DICOM PS3.3 C.11.2.1.2) mapped straight onto 0-255;
       a file with neither uses its own range (minimum 0, maximum 255).
    3. **MONOCHROME1** (high values dark) is inverted, ``255 - v``, so that
       dense tissue is bright as in MONOCHROME2 and mini-MIAS.
    4. Rounded to the nearest integer.

    Parameters
    ----------
    path : str or path-like
    where : str, optional
        How error messages name the film.

    Returns
    -------
    film : ndarray of shape (rows, columns), uint8

    Raises
    ------
    ValueError
        The file is not DICOM, holds no single grey frame, or its compressed
        pixels need decoders that are not installed (the message says how
        to install them).
    """
    ds = _dcmread(path, where, header_only=False)
    stored = _stored(ds, path, where)
    if stored.dtype.kind in "iu" and stored.dtype.itemsize <= 2:
        low, high = int(stored.min()), int(stored.max())
        levels = np.arange(low, high + 1)
        table = _to_unit(levels, ds)
        invert = str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1"
        table = np.rint((1.0 - table if invert else table) * 255.0).astype(np.uint8)
        if stored.dtype.kind == "u":
            return table[stored - stored.dtype.type(low) if low else stored]
        return table[stored.astype(np.int32) - low]
    unit = _to_unit(stored, ds)  # float or 32-bit pixels: computed per pixel
    if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
        unit = 1.0 - unit
    return np.rint(unit * 255.0).astype(np.uint8)
