"""Augmentation and balancing: the study's recipe, uint8, seeded, no duplicates."""

from __future__ import annotations

import numpy as np
import pytest

from skmammo.models import augment, balance, remove_duplicates


def _crops(n=6, size=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size), dtype=np.uint8)


def test_sixteen_variants_per_crop_originals_first():
    X = _crops(5)
    y = np.array([0, 1, 2, 1, 0])
    X_aug, y_aug = augment(X, y, random_state=0)
    assert X_aug.dtype == np.uint8
    assert X_aug.shape == (80, 16, 16)
    np.testing.assert_array_equal(X_aug[:5], X)
    np.testing.assert_array_equal(np.bincount(y_aug), [32, 32, 16])
    # The 8 geometric variants of crop 0 are all there: rotations and their vertical flips.
    stored = {x.tobytes() for x in X_aug[y_aug == 0]}
    for k in range(4):
        assert np.rot90(X[0], k).tobytes() in stored
        assert np.rot90(X[0], k)[::-1].tobytes() in stored


def test_photometric_copies_stay_in_the_study_ranges():
    flat = np.full((1, 8, 8), 128, np.uint8)
    X_aug, _ = augment(flat, [0], rotations=(0,), flip=False, contrast=None, random_state=0,
                       deduplicate=False)
    assert X_aug.shape == (2, 8, 8)
    assert 128 - 15 <= int(X_aug[1, 0, 0]) <= 128 + 15 and int(X_aug[1, 0, 0]) != 128
    ramp = np.tile(np.arange(0, 256, 32, dtype=np.uint8), (8, 1))[None]
    many, _ = augment(np.repeat(ramp, 50, axis=0), np.zeros(50, int), rotations=(0,), flip=False,
                      brightness=None, random_state=1, deduplicate=False)
    # Columns 96 and 160 map to 128 + f * (-32) and 128 + f * 32: the contrast factor f.
    factor = (many[50:, 0, 5].astype(float) - many[50:, 0, 3].astype(float)) / 64
    assert factor.min() >= 0.5 - 0.02 and factor.max() <= 1.5 + 0.02
    assert factor.min() < 0.7 and factor.max() > 1.3


def test_exact_duplicates_are_removed():
    blank = np.zeros((2, 16, 16), np.uint8)
    X_aug, y_aug = augment(blank, [0, 0], brightness=None, contrast=None, random_state=0)
    assert len(X_aug) == 1  # every rotation and flip of a blank crop is the same crop
    symmetric = np.zeros((1, 16, 16), np.uint8)
    symmetric[0, :4] = 200  # the vertical flip of rotation 0 equals rotation 180
    assert len(augment(symmetric, [1], brightness=None, contrast=None)[0]) == 4
    X = np.stack([blank[0], blank[0], blank[0] + 1])
    X_u, y_u = remove_duplicates(X, [0, 1, 0])
    assert len(X_u) == 3  # the same pixels with another label are kept
    X_u, y_u = remove_duplicates(X, [0, 0, 0])
    assert len(X_u) == 2


def test_same_seed_same_augmentation():
    X, y = _crops(4), [0, 1, 2, 0]
    a, _ = augment(X, y, random_state=7)
    b, _ = augment(X, y, random_state=7)
    c, _ = augment(X, y, random_state=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_undersample_and_oversample():
    X = np.arange(10).reshape(10, 1)
    y = np.array([0] * 6 + [1] * 3 + [2])
    Xu, yu = balance(X, y, random_state=0)
    np.testing.assert_array_equal(np.bincount(yu), [1, 1, 1])
    assert len(np.unique(Xu)) == 3
    Xo, yo = balance(X, y, strategy="oversample", random_state=0)
    np.testing.assert_array_equal(np.bincount(yo), [6, 6, 6])
    assert set(Xo.ravel()) == set(X.ravel())
    np.testing.assert_array_equal(balance(X, y, random_state=3)[0], balance(X, y, random_state=3)[0])


def test_clear_errors():
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        augment(np.zeros((2, 4, 4, 3), np.uint8), [0, 1])
    with pytest.raises(TypeError, match="uint8"):
        augment(np.zeros((2, 4, 4)), [0, 1])
    with pytest.raises(ValueError, match="square"):
        augment(np.zeros((2, 4, 6), np.uint8), [0, 1])
    with pytest.raises(ValueError, match="one label per crop"):
        augment(np.zeros((2, 4, 4), np.uint8), [0])
    with pytest.raises(ValueError, match="strategy"):
        balance(np.zeros((2, 1)), [0, 1], strategy="smote")


def test_geometric_views_are_augments_variants_in_its_order():
    from skmammo.models import geometric_views

    X = np.random.default_rng(1).integers(0, 256, (3, 8, 8), dtype=np.uint8)
    views = geometric_views(X)
    assert len(views) == 8 and np.array_equal(views[0], X)
    X_aug, _ = augment(X, [0, 1, 2], brightness=None, contrast=None, deduplicate=False)
    # augment: the originals, then per crop its 7 other geometric variants
    for i in range(3):
        expected = np.stack([v[i] for v in views[1:]])
        np.testing.assert_array_equal(X_aug[3 + 7 * i: 3 + 7 * (i + 1)], expected)
    # one crop works the same as a batch; all 8 views differ for a generic crop
    np.testing.assert_array_equal(geometric_views(X[0])[5], views[5][0])
    assert len({v[0].tobytes() for v in views}) == 8
