"""Denoiser, CLAHE and ROICropper on the real mini-MIAS films."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest
from joblib import Parallel, delayed
from scipy import ndimage

from skmammo.preprocessing import CLAHE, Denoiser, ROICropper, study_mask

pytestmark = pytest.mark.mias
logger = logging.getLogger(__name__)

#: The issue's artifact measure: a blob of at least 50 pixels above grey level
#: 150 whose nearest pixel lies more than 15 pixels from the breast (the
#: study's own filled Otsu region, before dilation).
BLOB_LEVEL, BLOB_PIXELS, BLOB_DISTANCE = 150, 50, 15
#: mdb006's "LML" label: x 627-724, y 0-115 (9,234 pixels above 150).
LABEL = (slice(0, 116), slice(627, 725))
STUDY_BLOB_FILMS = ("mdb111", "mdb112", "mdb157", "mdb181", "mdb257", "mdb266")


def far_blobs(cleaned: np.ndarray, breast: np.ndarray) -> list[tuple[int, float]]:
    """(pixels, distance) of every far bright blob left in ``cleaned``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        (cleaned > BLOB_LEVEL).astype(np.uint8), connectivity=8)
    big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= BLOB_PIXELS]
    if not big:
        return []
    distance = cv2.distanceTransform((breast == 0).astype(np.uint8), cv2.DIST_L2,
                                     cv2.DIST_MASK_PRECISE)
    near = np.bincount(labels[distance <= BLOB_DISTANCE], minlength=n) > 0
    return [(int(stats[i, cv2.CC_STAT_AREA]), float(distance[labels == i].min()))
            for i in big if not near[i]]


@pytest.fixture(scope="module")
def films(mias_all_films):
    frame = mias_all_films.data
    assert len(frame) == 322
    return dict(zip(frame["film"], frame["image"]))


def test_denoiser_meets_the_artifact_and_breast_targets_on_all_322_films(films):
    names = list(films)
    cleaned = Denoiser(n_jobs=2).fit_transform([films[f] for f in names])

    def measure(film, out):
        breast = study_mask(film, dilate=False)
        return bool(far_blobs(out, breast)), float(np.mean(out[breast > 0] == film[breast > 0]))

    measured = Parallel(n_jobs=2, prefer="threads")(
        delayed(measure)(films[f], out) for f, out in zip(names, cleaned))
    with_blob = [f for f, (blob, _) in zip(names, measured) if blob]
    kept = {f: k for f, (_, k) in zip(names, measured)}
    label = int(np.sum(cleaned[names.index("mdb006")][LABEL] > BLOB_LEVEL))
    worst = min(kept, key=kept.get)
    logger.warning(
        "Denoiser(mode='native') on 322 films: %d with a far bright blob %s, mdb006 label "
        "pixels kept %d of %d, study breast region kept >= %.4f (worst %s)",
        len(with_blob), with_blob, label, int(np.sum(films["mdb006"][LABEL] > BLOB_LEVEL)),
        kept[worst], worst)
    assert with_blob == []
    assert label == 0
    assert kept[worst] >= 0.99


def test_the_study_method_reproduces_the_study_and_its_artifacts(films):
    # The full 322-film count for the study's method (one 251-pixel dilation per
    # film, ~0.3 s each) is printed by benchmarks/bench_preprocessing.py.
    names = ["mdb006", *STUDY_BLOB_FILMS]
    cleaned = Denoiser(mode="study", n_jobs=2).fit_transform([films[f] for f in names])
    label = int(np.sum(cleaned[0][LABEL] > BLOB_LEVEL))
    blobs = {f: far_blobs(out, study_mask(films[f], dilate=False))
             for f, out in zip(names[1:], cleaned[1:])}
    logger.warning("Denoiser(mode='study'): mdb006 label pixels kept %d; far blobs %s",
                   label, blobs)
    assert int(np.sum(films["mdb006"][LABEL] > BLOB_LEVEL)) == 9234
    assert label == 6320                     # the number: the study keeps the label
    assert all(blobs.values())               # and the far blobs in these six films
    # Outside its mask the study's output is black, inside it is the film.
    mask = study_mask(films["mdb006"]).astype(bool)
    np.testing.assert_array_equal(cleaned[0][mask], films["mdb006"][mask])
    assert cleaned[0][~mask].max() == 0


def test_clahe_equals_opencv_on_a_real_film(films):
    film = films["mdb001"]
    clean = Denoiser().fit_transform([film])[0]
    for image in (film, clean):
        expected = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(image)
        np.testing.assert_array_equal(CLAHE().fit_transform([image])[0], expected)


@pytest.fixture(scope="module")
def enhanced(mias_lesions):
    """117 located lesions and 207 normal films through Denoiser and CLAHE."""
    frame = mias_lesions.data
    return CLAHE(n_jobs=2).fit_transform(Denoiser(n_jobs=2).fit_transform(frame))


def lesion_rows(frame):
    return frame["x"].notna().to_numpy()


def test_every_located_film_goes_through_both_modes(enhanced):
    lesion = lesion_rows(enhanced)
    assert lesion.sum() == 117 and (~lesion).sum() == 207
    for mode in ("native", "study"):
        crops = ROICropper(mode=mode, n_jobs=2).fit_transform(enhanced)
        assert crops.shape == (324, 224, 224) and crops.dtype == np.uint8
        # normal crops lie inside the breast, not in the black background
        assert np.mean(crops[~lesion] == 0) < 0.01, mode


def test_window_mode_cuts_one_size_and_matches_normal_windows_to_lesion_windows(enhanced):
    lesion = lesion_rows(enhanced)
    cropper = ROICropper(n_jobs=2).fit(enhanced)
    crops = cropper.crop(enhanced)
    boxes = crops.boxes
    # 51.2 mm at 0.2 mm: 256 pixels for all 324 rows, inside the 1024-pixel films.
    assert set(boxes[:, 2] - boxes[:, 0]) == {256.0} and set(boxes[:, 3] - boxes[:, 1]) == {256.0}
    assert boxes.min() >= 0 and boxes.max() <= 1024
    x, y = enhanced["x"].to_numpy()[lesion], enhanced["y"].to_numpy()[lesion]
    b = boxes[lesion]
    assert ((b[:, 0] <= x) & (x < b[:, 2]) & (b[:, 1] <= y) & (y < b[:, 3])).all()
    # Normal and lesion windows hold alike shares of black background.
    black = (crops.images == 0).mean(axis=(1, 2))
    assert abs(np.median(black[~lesion]) - np.median(black[lesion])) < 0.05
    assert abs(black[~lesion].mean() - black[lesion].mean()) < 0.05


def test_native_mode_puts_the_lesion_centre_at_the_crop_centre(enhanced):
    lesion = lesion_rows(enhanced)
    rows = enhanced[lesion].copy()
    cropper = ROICropper(size=225, mode="native")
    boxes = cropper.crop_boxes(rows)
    x, y = rows["x"].to_numpy(), rows["y"].to_numpy()
    np.testing.assert_array_equal((boxes[:, 0] + boxes[:, 2] - 1) / 2, np.floor(x + 0.5))
    np.testing.assert_array_equal((boxes[:, 1] + boxes[:, 3] - 1) / 2, np.floor(y + 0.5))
    # Mark every lesion centre with a bright square on a dark copy of its film:
    # the mark comes out in the middle of the crop.
    marked = []
    for image, cx, cy in zip(rows["image"], x, y):
        film = image // 2
        col, row = int(np.floor(cx + 0.5)), int(np.floor(cy + 0.5))
        film[max(row - 3, 0):row + 4, max(col - 3, 0):col + 4] = 255
        marked.append(film)
    rows["image"] = marked
    crops = cropper.transform(rows)
    for crop in crops:
        r, c = ndimage.center_of_mass(crop >= 200)
        assert abs(r - 112) <= 1 and abs(c - 112) <= 1


def test_study_mode_blows_up_tiny_boxes_native_mode_keeps_detail(enhanced):
    lesion = lesion_rows(enhanced)
    rows = enhanced[lesion]
    native, study = ROICropper(mode="native"), ROICropper(mode="study")
    native_crops, study_crops = native.fit_transform(rows), study.fit_transform(rows)
    # study boxes: x +- r at 224 scale (lesion centre within a pixel of the box centre)
    box224 = study.crop_boxes(rows) * 224 / 1024
    side224 = box224[:, 2] - box224[:, 0]
    r224 = rows["radius"].to_numpy() * 224 / 1024
    assert np.all(np.abs(side224 - 2 * r224) <= 1.0)
    assert np.all(np.abs((box224[:, 0] + box224[:, 2]) / 2 - rows["x"] * 224 / 1024) <= 1.0)
    smallest = int(np.argmin(r224))
    assert side224[smallest] <= 3        # radius 6 at 1024: a 2-3 pixel box blown up to 224
    # native boxes come from at least 97 x 97 film pixels, and every crop holds
    # more fine structure (Laplacian variance) than the study's blow-up
    native_boxes = native.crop_boxes(rows)
    assert np.all(native_boxes[:, 2] - native_boxes[:, 0] >= 97)

    def detail(crop):
        return float(cv2.Laplacian(crop.astype(np.float32), cv2.CV_32F).var())

    ratio = np.array([detail(a) / detail(b) for a, b in zip(native_crops, study_crops)])
    logger.warning("Laplacian variance native / study crop: min %.2f, median %.2f",
                   ratio.min(), np.median(ratio))
    assert ratio.min() > 1.5
    assert detail(study_crops[smallest]) < 2.0
