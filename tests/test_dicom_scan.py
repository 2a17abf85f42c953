"""End to end: a model trained at one pixel size scans a DICOM film of another at its own scale.

The quick tests train on synthetic films (``make_synthetic_mammograms``)
at 0.8 mm per pixel, the 256-pixel films' scale; the last test (``mias``)
trains a tiny model on mini-MIAS at 0.2 mm and scans a DICOM made from a
MIAS film at 0.1 mm, read from the archive at test time.  A synthetic
film at the training scale is enlarged to 0.4 mm pixels, as a finer
detector would record it, and written as a 12-bit DICOM with its
``PixelSpacing``.  Read by ``load_films(..., pixel_mm=0.8)`` (what
``skmammo scan`` does with the model file's training pixel size), it is
resampled back to 0.8 mm and its scan equals the scan of the film given
directly at 0.8 mm: the same windows at the same places in millimetres, the
same candidates, probabilities within interpolation's error.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dicom_files import write_dicom
from skmammo.datasets import load_films, make_synthetic_mammograms
from skmammo.pipeline import make_pipeline

TRAINING_MM = 0.8  # make_synthetic_mammograms(image_size=256): 204.8 mm / 256
FINE_MM = 0.4


@pytest.fixture(scope="module")
def model():
    train = make_synthetic_mammograms(24, image_size=256, random_state=0)
    assert (train.frame["pixel_mm"] == TRAINING_MM).all()
    return make_pipeline(size=32, epochs=1, validation_fraction=0,
                         random_state=0).fit(train.frame, train.target)


@pytest.fixture(scope="module")
def film_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("films")
    film = make_synthetic_mammograms(1, image_size=256, weights=(0, 0, 1),
                                     random_state=5).frame["image"].iloc[0]
    cv2.imwrite(str(folder / "direct.png"), film)
    fine = cv2.resize(film, (512, 512), interpolation=cv2.INTER_LINEAR)
    # 12 bits stored, a LINEAR_EXACT window that maps them onto the 8-bit film again
    write_dicom(folder / "fine.dcm", fine.astype(np.uint16) * 16, bits_stored=12,
                window=(2040.0, 4080.0), voi_function="LINEAR_EXACT",
                pixel_spacing=(FINE_MM, FINE_MM), laterality="R", view="CC")
    cv2.imwrite(str(folder / "fine.png"), fine)
    return folder


def _in_mm(scan, pixel_mm):
    """The candidates' places and windows in millimetres, with their probabilities,
    ordered by place (near-tied scores may swap their rank)."""
    candidates = scan.candidates.sort_values(["y", "x"])
    places = candidates[["x", "y", "x0", "y0", "x1", "y1"]].to_numpy() * pixel_mm
    return places, candidates.filter(like="p_").to_numpy()


def test_a_dicom_film_is_scanned_at_the_training_scale(model, film_files):
    direct = load_films(film_files / "direct.png", pixel_mm=TRAINING_MM).frame
    dicom = load_films(film_files / "fine.dcm", pixel_mm=TRAINING_MM).frame
    assert dicom[["rows", "columns", "native_pixel_mm", "side", "view"]].values.tolist() == \
        [[256, 256, FINE_MM, "R", "CC"]]
    reference, scanned = model.scan(direct), model.scan(dicom)
    p_ref, p_dcm = reference.grids[0].probabilities, scanned.grids[0].probabilities
    assert p_dcm.shape == p_ref.shape
    assert np.abs(p_dcm - p_ref).max() < 0.02, np.abs(p_dcm - p_ref).max()
    assert len(scanned.candidates) == len(reference.candidates) > 0
    (places, probabilities), (places_ref, probabilities_ref) = (
        _in_mm(scanned, TRAINING_MM), _in_mm(reference, TRAINING_MM))
    np.testing.assert_allclose(places, places_ref)
    np.testing.assert_allclose(probabilities, probabilities_ref, atol=0.02)
    np.testing.assert_allclose(scanned.scores, reference.scores, atol=0.02)


def test_the_header_spacing_is_what_sets_the_scale(model, film_files):
    reference = model.scan(load_films(film_files / "direct.png", pixel_mm=TRAINING_MM).frame)
    # at its own 0.4 mm (pixel_mm=None) the film keeps its pixels and the window its
    # millimetres (twice the pixels, resized to the network's input): the same windows
    native = model.scan(load_films(film_files / "fine.dcm").frame)
    p_native, p_ref = native.grids[0].probabilities, reference.grids[0].probabilities
    assert p_native.shape == p_ref.shape
    assert np.abs(p_native - p_ref).max() < 0.05, np.abs(p_native - p_ref).max()
    # the same pixels in a PNG, declared at the training scale: windows of half the tissue
    wrong = model.scan(load_films(film_files / "fine.png", pixel_mm=TRAINING_MM).frame)
    assert wrong.grids[0].probabilities.shape[0] > 1.8 * reference.grids[0].probabilities.shape[0]


@pytest.mark.mias
def test_a_model_trained_on_mias_scans_a_dicom_film_at_mias_scale(mias_lesions, tmp_path):
    # a tiny model trained on mini-MIAS windows (0.2 mm); one MIAS film, read from the
    # archive at test time (never stored), enlarged to 0.1 mm and written as a 16-bit
    # MONOCHROME1 DICOM with ImagerPixelSpacing: read at the model's 0.2 mm it is scanned
    # as the film itself is
    frame, target = mias_lesions.frame, mias_lesions.target
    model = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    model.fit(frame, target)
    row = frame[frame["target"] == 2].iloc[0]
    film = np.asarray(row["image"])
    cv2.imwrite(str(tmp_path / "film.png"), film)
    fine = cv2.resize(film, (2 * film.shape[1], 2 * film.shape[0]),
                      interpolation=cv2.INTER_LINEAR)
    write_dicom(tmp_path / "film.dcm", (255 - fine).astype(np.uint16) * 257,
                photometric="MONOCHROME1", imager_spacing=(0.1, 0.1))
    direct = load_films(tmp_path / "film.png", pixel_mm=0.2).frame
    dicom = load_films(tmp_path / "film.dcm", pixel_mm=0.2).frame
    assert dicom[["rows", "columns", "native_pixel_mm", "pixel_source"]].values.tolist() == \
        [[film.shape[0], film.shape[1], 0.1, "ImagerPixelSpacing"]]
    reference, scanned = model.scan(direct), model.scan(dicom)
    p_ref, p_dcm = reference.grids[0].probabilities, scanned.grids[0].probabilities
    assert p_dcm.shape == p_ref.shape
    assert np.abs(p_dcm - p_ref).max() < 0.05, np.abs(p_dcm - p_ref).max()
    np.testing.assert_allclose(scanned.scores, reference.scores, atol=0.02)
