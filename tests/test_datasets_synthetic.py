"""make_synthetic_mammograms: format, determinism and the features it promises."""

from __future__ import annotations

import numpy as np
import pytest

from skmammo.datasets import FRAME_COLUMNS, make_synthetic_mammograms


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(60, image_size=128, random_state=0)


def test_frame_format(films):
    assert list(films.data.columns) == list(FRAME_COLUMNS)
    assert films.frame.shape == (60, len(FRAME_COLUMNS) + 1)
    assert np.bincount(films.target).tolist() == [24, 18, 18]
    image = films.frame["image"].iloc[0]
    assert image.dtype == np.uint8 and image.shape == (128, 128)
    assert films.frame["patient"].iloc[:4].tolist() == ["s0001", "s0001", "s0002", "s0002"]
    normal = films.frame[films.target == 0]
    assert normal[["x", "y", "radius"]].isna().all().all()
    lesions = films.frame[films.target > 0]
    assert lesions[["x", "y", "radius"]].notna().all().all()
    assert set(lesions["abnormality"]) == {"CIRC", "SPIC"}


def test_same_seed_same_films_other_seed_other_films():
    a = make_synthetic_mammograms(8, image_size=96, random_state=3)
    b = make_synthetic_mammograms(8, image_size=96, random_state=3)
    c = make_synthetic_mammograms(8, image_size=96, random_state=4)
    assert all(np.array_equal(x, y) for x, y in zip(a.frame["image"], b.frame["image"]))
    assert a.frame[["x", "y", "radius"]].equals(b.frame[["x", "y", "radius"]])
    assert not all(np.array_equal(x, y) for x, y in zip(a.frame["image"], c.frame["image"]))


def test_films_look_like_mammograms_to_the_preprocessing(films):
    for row in films.frame.itertuples():
        image = row.image
        # dark background in the corners at the chest-wall side...
        wall = 0 if row.side == "L" else image.shape[1] - 1
        assert image[-1, wall] < 20
        # ...a bright label artifact somewhere in the top rows, away from the breast
        assert image[: image.shape[0] // 6].max() >= 200
        # a breast region of plausible size
        assert 0.15 < np.mean(image > 30) < 0.7
        if not np.isnan(row.x):
            # the lesion is brighter than the tissue around it
            cx, cy, r = int(row.x), int(row.y), int(row.radius)
            centre = image[cy - 1 : cy + 2, cx - 1 : cx + 2].mean()
            ring = image[max(cy - 3 * r, 0) : cy + 3 * r, max(cx - 3 * r, 0) : cx + 3 * r]
            assert centre > np.median(ring) + 15


def test_malignant_lesions_are_spiculated_benign_ones_smooth(films):
    """Spicules reach farther than the core: the enclosing radius is larger than the mass."""
    frame = films.frame
    bright_share = {}
    for label in (1, 2):
        shares = []
        for row in frame[films.target == label].itertuples():
            cx, cy, r = row.x, row.y, row.radius
            rows, cols = np.mgrid[0 : row.image.shape[0], 0 : row.image.shape[1]]
            disc = np.hypot(cols - cx, rows - cy) <= r
            centre_level = row.image[int(cy), int(cx)]
            shares.append(np.mean(row.image[disc] > centre_level - 25))
        bright_share[label] = np.mean(shares)
    # a smooth mass fills its circle; a spiculated one fills little of it
    assert bright_share[1] > bright_share[2] + 0.15


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": 4, "image_size": 32}, "image_size must be an integer of at least 64"),
        ({"n_samples": 4, "weights": (1, -1, 1)}, "weights must be 3 non-negative"),
        ({"n_samples": 4, "weights": (1, 1)}, "weights must be 3 non-negative"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_synthetic_mammograms(**kwargs)
