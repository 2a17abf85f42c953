"""The DICOM reader against an independent computation of DICOM's look-up tables.

The expected films are computed here from the formulas of DICOM PS3.3
C.11.1 (Modality LUT) and C.11.2.1.2 (VOI LUT functions), one stored value
at a time in plain Python, not through the reader's table or pydicom's
``apply_voi_lut``.
"""

from __future__ import annotations

import math

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import JPEG2000Lossless, JPEGLosslessSV1, JPEGLSLossless, RLELossless

from dicom_files import write_dicom
from skmammo.datasets import read_dicom, read_dicom_header, read_film

RNG = np.random.default_rng(18)


def _linear(x, c, w):  # C.11.2.1.2.1, output range 0-1
    if x <= c - 0.5 - (w - 1) / 2:
        return 0.0
    if x > c - 0.5 + (w - 1) / 2:
        return 1.0
    return (x - (c - 0.5)) / (w - 1) + 0.5


def _linear_exact(x, c, w):  # C.11.2.1.3.2
    if x <= c - w / 2:
        return 0.0
    if x > c + w / 2:
        return 1.0
    return (x - c) / w + 0.5


def _sigmoid(x, c, w):  # C.11.2.1.3.1
    return 1.0 / (1.0 + math.exp(-4.0 * (x - c) / w))


def _expected(stored, unit, monochrome1=False):
    """Apply ``unit`` (stored value -> 0..1) to every pixel, invert for MONOCHROME1, 8 bits."""
    table = {}
    for s in np.unique(stored).tolist():
        u = unit(s)
        table[s] = (1.0 - u if monochrome1 else u) * 255.0
    out = np.vectorize(table.__getitem__, otypes=[float])(stored)
    return out


def _check(film, expected):
    """Equal to the independent film up to rounding exact halves (the reader rounds half to even)."""
    assert film.dtype == np.uint8 and film.shape == expected.shape
    difference = np.abs(film.astype(float) - expected)
    assert difference.max() <= 0.5 + 1e-6, difference.max()


def _ramp(rows=24, columns=32, low=0, high=4095, dtype=np.uint16):
    values = RNG.integers(low, high + 1, size=(rows, columns))
    values.flat[:2] = low, high  # the whole range appears
    return values.astype(dtype)


@pytest.mark.parametrize("function, formula", [(None, _linear), ("LINEAR", _linear),
                                               ("LINEAR_EXACT", _linear_exact),
                                               ("SIGMOID", _sigmoid)])
def test_window_functions_on_12_bits_in_16(tmp_path, function, formula):
    stored = _ramp()
    path = write_dicom(tmp_path / "w.dcm", stored, bits_stored=12, window=(1800.0, 1200.0),
                       voi_function=function)
    _check(read_dicom(path), _expected(stored, lambda s: formula(s, 1800.0, 1200.0)))


def test_rescale_then_window_and_monochrome1(tmp_path):
    stored = _ramp(high=1023)
    slope, intercept, c, w = 2.5, -300.0, 900.0, 1500.0
    path = write_dicom(tmp_path / "r.dcm", stored, bits_stored=10, rescale=(slope, intercept),
                       window=(c, w), photometric="MONOCHROME1")
    expected = _expected(stored, lambda s: _linear(s * slope + intercept, c, w), monochrome1=True)
    _check(read_dicom(path), expected)
    plain = write_dicom(tmp_path / "p.dcm", stored, bits_stored=10, rescale=(slope, intercept),
                        window=(c, w))
    assert np.array_equal(read_dicom(path).astype(int), 255 - read_dicom(plain).astype(int))


def test_signed_16_bit_with_a_window(tmp_path):
    stored = _ramp(low=-2000, high=3000, dtype=np.int16)
    path = write_dicom(tmp_path / "s.dcm", stored, bits_stored=16, window=(250.0, 4000.0),
                       voi_function="LINEAR_EXACT")
    _check(read_dicom(path), _expected(stored, lambda s: _linear_exact(s, 250.0, 4000.0)))


def test_voi_lut_sequence_after_rescale(tmp_path):
    stored = _ramp(high=600)
    first, bits = 100, 10
    lut = [int(round(1023 * (i / 299) ** 0.5)) for i in range(300)]  # a gamma-like table
    path = write_dicom(tmp_path / "l.dcm", stored, bits_stored=12, rescale=(1.0, 20.0),
                       voi_lut=(lut, first, bits), window=(50.0, 10.0))  # the LUT wins

    def unit(s):
        x = s + 20
        index = min(max(x - first, 0), len(lut) - 1)
        return lut[index] / (2 ** bits - 1)

    _check(read_dicom(path), _expected(stored, unit))


def test_no_window_uses_the_films_own_range(tmp_path):
    stored = _ramp(low=300, high=900)
    path = write_dicom(tmp_path / "n.dcm", stored, bits_stored=12)
    _check(read_dicom(path), _expected(stored, lambda s: (s - 300) / 600))
    assert np.array_equal(read_film(path), read_dicom(path))


def test_an_empty_window_is_no_window(tmp_path):
    stored = _ramp(low=300, high=900)
    path = write_dicom(tmp_path / "e.dcm", stored, bits_stored=12,
                       extra={"WindowCenter": None, "WindowWidth": None})
    assert "WindowCenter" in pydicom.dcmread(path)  # present, but empty
    _check(read_dicom(path), _expected(stored, lambda s: (s - 300) / 600))


def test_header_fields(tmp_path):
    pixels = _ramp(8, 6)
    both = read_dicom_header(write_dicom(tmp_path / "a.dcm", pixels, pixel_spacing=(0.1, 0.1),
                                         imager_spacing=(0.085, 0.085), laterality="L",
                                         view="CC", patient="P7"))
    assert (both.rows, both.columns, both.pixel_mm, both.pixel_source) == \
        (8, 6, 0.1, "PixelSpacing")
    assert (both.laterality, both.view, both.patient, both.photometric, both.bits_stored) == \
        ("L", "CC", "P7", "MONOCHROME2", 16)
    imager = read_dicom_header(write_dicom(tmp_path / "b.dcm", pixels,
                                           imager_spacing=(0.07, 0.07),
                                           view_meaning="medio-lateral oblique",
                                           extra={"Laterality": "R"}))
    assert (imager.pixel_mm, imager.pixel_source, imager.laterality, imager.view) == \
        (0.07, "ImagerPixelSpacing", "R", "MLO")
    bare = read_dicom_header(write_dicom(tmp_path / "c.dcm", pixels, sop_uid="1.2.3.4"))
    assert (bare.pixel_mm, bare.pixel_source, bare.laterality, bare.view) == \
        (None, "none", None, None)
    assert bare.sop_uid == "1.2.3.4" and bare.transfer_syntax == "Explicit VR Little Endian"


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, JPEGLSLossless, RLELossless],
                         ids=["jpeg2000", "jpegls", "rle"])
def test_compressed_syntaxes_read_as_the_uncompressed_file(tmp_path, syntax):
    stored = _ramp(64, 48)  # JPEG 2000's default resolutions need at least 32 pixels
    kwargs = dict(bits_stored=12, window=(2000.0, 3000.0), photometric="MONOCHROME1")
    plain = read_dicom(write_dicom(tmp_path / "plain.dcm", stored, **kwargs))
    path = write_dicom(tmp_path / "packed.dcm", stored, transfer_syntax=syntax, **kwargs)
    assert read_dicom_header(path).transfer_syntax == syntax.name
    assert np.array_equal(read_dicom(path), plain)


def test_a_syntax_without_installed_decoder_names_the_extra(tmp_path):
    if get_decoder(JPEGLosslessSV1).is_available:
        pytest.skip("a JPEG Lossless decoder (GDCM or pylibjpeg-libjpeg) is installed here")
    path = write_dicom(tmp_path / "plain.dcm", _ramp(8, 8), bits_stored=12)
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xc3" + bytes(60) + b"\xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds.save_as(tmp_path / "lossless.dcm", enforce_file_format=True)
    assert read_dicom_header(tmp_path / "lossless.dcm").pixel_source == "none"  # header reads
    with pytest.raises(ValueError, match=r"lossless\.dcm.*JPEG Lossless.*skmammo\[dicom\]") \
            as raised:
        read_dicom(tmp_path / "lossless.dcm", "film x")
    assert "pylibjpeg-libjpeg" in str(raised.value)  # what this syntax needs beyond the extra
    # load_films by path reads headers only: the film is listed, and reading it names it
    from skmammo.datasets import load_films
    from skmammo.datasets._films import film_getter

    frame = load_films([tmp_path / "lossless.dcm"], pixel_mm=0.2).frame
    assert frame[["film", "rows", "columns"]].values.tolist() == [["lossless", 8, 8]]
    with pytest.raises(ValueError, match=r"film lossless.*skmammo\[dicom\]"):
        film_getter(frame, "test")[1](0)
    with pytest.raises(ValueError, match=r"skmammo\[dicom\]"):
        load_films([tmp_path / "lossless.dcm"], images="array")


def test_clear_errors_for_what_is_not_one_grey_frame(tmp_path):
    (tmp_path / "text.dcm").write_text("not a DICOM file at all")
    with pytest.raises(ValueError, match=r"film t \(.*text\.dcm\): not a readable DICOM"):
        read_dicom(tmp_path / "text.dcm", "film t")
    rgb = RNG.integers(0, 256, size=(6, 5 * 3), dtype=np.uint8)  # 6 x 5 pixels, 3 samples
    path = write_dicom(tmp_path / "rgb.dcm", rgb, extra={
        "Columns": 5, "SamplesPerPixel": 3, "PhotometricInterpretation": "RGB",
        "PlanarConfiguration": 0})
    assert pydicom.dcmread(path).pixel_array.shape == (6, 5, 3)  # a real colour file
    with pytest.raises(ValueError, match="3 samples per pixel.*grey"):
        read_dicom(path)
    frames = _ramp(2 * 7, 4)
    path = write_dicom(tmp_path / "tomo.dcm", frames, bits_stored=12,
                       extra={"Rows": 7, "NumberOfFrames": 2})
    assert pydicom.dcmread(path).pixel_array.shape == (2, 7, 4)  # a real two-frame file
    with pytest.raises(ValueError, match="2 frames"):
        read_dicom(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_dicom(tmp_path / "gone.dcm")
