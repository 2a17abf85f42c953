"""ROICropper(mode="window"): one physical window per sample, seeded offsets, matched normals."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skmammo.datasets import make_synthetic_mammograms
from skmammo.models._split import validation_split
from skmammo.preprocessing import TISSUE_LEVEL, ROICropper, tissue_depth


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(60, image_size=128, random_state=3)


def _sides(boxes):
    return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]


def test_every_window_has_one_physical_size_whatever_the_class(films):
    X = films.data
    cropper = ROICropper(size=32).fit(X)
    boxes = cropper.crop_boxes(X)
    width, height = _sides(boxes)
    # 51.2 mm at 204.8 / 128 = 1.6 mm per pixel: 32 pixels, for every class.
    assert set(width) == {32.0} and set(height) == {32.0}
    assert cropper.transform(X).shape == (len(X), 32, 32)
    # Inside the film, never padded.
    assert boxes.min() >= 0 and boxes[:, 2:].max() <= 128
    # Another pixel size, another pixel count, the same millimetres.
    finer = X.assign(pixel_mm=0.4)
    assert set(_sides(ROICropper().fit(finer).crop_boxes(finer))[0]) == {128.0}


def test_lesion_offsets_are_seeded_spread_and_keep_the_lesion_inside(films):
    X = films.data
    lesions = X[X["x"].notna()]
    a = ROICropper(random_state=1).fit(X).crop_boxes(lesions)
    again = ROICropper(random_state=1).fit(X).crop_boxes(lesions)
    other = ROICropper(random_state=2).fit(X).crop_boxes(lesions)
    np.testing.assert_array_equal(a, again)
    assert (a != other).any(axis=1).mean() > 0.9
    x, y = lesions["x"].to_numpy(), lesions["y"].to_numpy()
    assert ((a[:, 0] <= x) & (x < a[:, 2]) & (a[:, 1] <= y) & (y < a[:, 3])).all()
    dx = x - (a[:, 0] + a[:, 2]) / 2
    dy = y - (a[:, 1] + a[:, 3]) / 2
    # Not all at the centre: offsets up to 0.35 * 32 = 11 pixels, spread both ways.
    assert np.abs(dx).max() > 6 and np.abs(dy).max() > 6
    assert (dx > 2).any() and (dx < -2).any() and np.std(dx) > 3
    # offset=0 puts every lesion at the centre (up to rounding and the film edge).
    centred = ROICropper(offset=0).fit(X).crop_boxes(lesions)
    away = (centred[:, 0] > 0) & (centred[:, 2] < 128)
    assert away.sum() > 5 and np.abs(x - (centred[:, 0] + centred[:, 2]) / 2)[away].max() <= 1


def test_a_rows_window_does_not_depend_on_the_other_rows(films):
    X = films.data
    cropper = ROICropper().fit(X)
    whole = cropper.crop_boxes(X)
    part = cropper.crop_boxes(X.iloc[::-3])
    np.testing.assert_array_equal(part, whole[::-3])


def test_normal_windows_lie_in_tissue_at_the_lesion_windows_places(films):
    X, y = films.data, films.target
    cropper = ROICropper().fit(X)
    lesion = cropper.window_places_
    assert lesion.shape == ((y > 0).sum(), 2)
    normal = X[y == 0]
    boxes = cropper.crop_boxes(normal)
    places, tissue = [], []
    for (x0, y0, x1, y1), film in zip(boxes.astype(int), normal["image"]):
        places.append(tissue_depth(film).place(x0, y0, x1, y1))
        tissue.append((film[y0:y1, x0:x1] > TISSUE_LEVEL).mean())
    places = np.array(places)
    assert min(tissue) > 0.25
    # Depth and vertical place: within the lesion windows' range, alike medians.
    assert (lesion.min(axis=0) - 0.1 <= places.min(axis=0)).all()
    assert (places.max(axis=0) <= lesion.max(axis=0) + 0.1).all()
    assert (np.abs(np.median(places, axis=0) - np.median(lesion, axis=0)) < 0.15).all()


def _rows(film, n, x=np.nan, y=np.nan, name="n"):
    return pd.DataFrame({"image": [film] * n, "x": x, "y": y, "radius": np.nan if np.isnan(x) else 5.0,
                         "film": [f"{name}{i}" for i in range(n)]})


def test_normal_windows_sit_at_the_drawn_lesion_windows_height_on_the_film():
    # A breast cut by the film's top and bottom edges: its depth does not change along
    # the rows, so only the vertical match keeps normal windows off those edges.
    film = np.zeros((200, 160), np.uint8)
    film[:, :100] = 90
    depth = tissue_depth(film)
    for lesion_y in (110.0, 40.0):
        cropper = ROICropper(size=16, window_px=40).fit(_rows(film, 1, 60.0, lesion_y, "l"))
        (target,) = cropper.window_places_
        boxes = cropper.crop_boxes(_rows(film, 30))
        places = np.array([depth.place(*box) for box in boxes])
        assert np.abs(places - target).max() < 0.04, (lesion_y, target)
        # Seeded ties: above and below the middle row alike (vertical is a distance).
        centres = (boxes[:, 1] + boxes[:, 3]) / 2
        assert (centres < 100).any() and (centres > 100).any()
        assert (boxes[:, 2] <= 160).all() and (boxes >= 0).all()


def test_normal_windows_are_seeded(films):
    normal = films.data[films.target == 0]
    fitted = ROICropper(random_state=1).fit(films.data)
    again = clone(fitted).fit(films.data)
    np.testing.assert_array_equal(fitted.crop_boxes(normal), again.crop_boxes(normal))
    np.testing.assert_array_equal(fitted.crop_boxes(normal), fitted.crop_boxes(normal))
    other = ROICropper(random_state=2).fit(films.data).crop_boxes(normal)
    assert (fitted.crop_boxes(normal) != other).any(axis=1).mean() > 0.8


def test_a_cropper_that_learnt_depths_only_is_not_fitted(films):
    # An unpickled cropper of the format before window_places_ must not guess places.
    old = ROICropper().fit(films.data)
    old.window_depths_ = old.window_places_[:, 0]
    del old.window_places_
    with pytest.raises(NotFittedError, match="call fit"):
        old.transform(films.data)


def test_window_mode_needs_fit_and_refuses_bad_input(films, caplog):
    X = films.data
    with pytest.raises(NotFittedError, match="call fit"):
        ROICropper().transform(X)
    with pytest.raises(ValueError, match="syn0001.*larger than the 128x128 film"):
        ROICropper(window_mm=300).fit(X)
    with pytest.raises(ValueError, match="offset"):
        ROICropper(offset=0.5).fit(X)
    with pytest.raises(TypeError, match="random_state must be an int"):
        ROICropper(random_state=None).fit(X)
    # A normal film without any tissue: a logged fallback at the film's centre.
    black = X.iloc[[0]].assign(image=[np.zeros((128, 128), np.uint8)], x=np.nan, y=np.nan,
                               radius=np.nan, film="black")
    with caplog.at_level(logging.WARNING, logger="skmammo.preprocessing._geometry"):
        box = ROICropper().fit(X).crop_boxes(black)[0]
    assert box.tolist() == [48.0, 48.0, 80.0, 80.0] and "black" in caplog.text


def test_frames_without_pixel_size_get_window_px(films, caplog):
    X = films.data.drop(columns="pixel_mm")
    with caplog.at_level(logging.INFO, logger="skmammo.preprocessing._geometry"):
        boxes = ROICropper(window_px=50).fit(X).crop_boxes(X)
    assert set(_sides(boxes)[0]) == {50.0} and "window_px=50" in caplog.text


def test_a_frame_with_some_pixel_sizes_missing_is_refused(films):
    X = films.data.copy()
    X.loc[X.index[:2], "pixel_mm"] = np.nan
    with pytest.raises(ValueError, match="2 of 60 rows have no pixel_mm"):
        ROICropper().fit(X)
    for wrong in (0.0, -0.2, np.inf):  # not "unknown": a mistake, named
        X = films.data.assign(pixel_mm=wrong)
        with pytest.raises(ValueError, match=f"60 row.s. have {wrong:g} .e.g. syn0001"):
            ROICropper().fit(X)


def test_an_offset_near_half_a_window_still_holds_the_lesion_pixel():
    from skmammo.preprocessing._geometry import lesion_window, row_rng

    rng_seeds = range(3000)
    for side in (16, 17, 31):
        for seed in rng_seeds:
            x, y = 100.3 + seed % 7 / 7, 90.6 - seed % 5 / 5
            x0, y0, x1, y1 = lesion_window((400, 300), x, y, side, 0.4999,
                                           row_rng(seed, "film"))
            assert x1 - x0 == side and x0 <= np.floor(x + 0.5) < x1, (side, seed)
            assert y0 <= np.floor(y + 0.5) < y1, (side, seed)


def test_fit_without_lesions_still_places_normal_windows(films):
    normal = films.data[films.target == 0]
    cropper = clone(ROICropper()).fit(normal)
    assert cropper.window_places_.shape == (0, 2)
    assert cropper.transform(normal).shape[0] == len(normal)


def test_early_stopping_split_by_patient_keeps_women_apart():
    y = np.tile([0, 1, 2], 40)
    groups = np.repeat(np.arange(60), 2)
    train, val = validation_split(y, 0.15, 0, groups)
    assert not set(groups[train]) & set(groups[val])
    assert 0.08 < len(val) / len(y) < 0.25 and set(y[val]) == {0, 1, 2}
    # Without groups: by row, stratified.
    train, val = validation_split(y, 0.15, 0)
    assert len(val) == 18
    with pytest.raises(ValueError, match="1 patient"):
        validation_split(y, 0.15, 0, np.zeros(len(y)))


def test_pipeline_passes_the_patients_to_a_classifier_that_takes_groups(films):
    from sklearn.base import BaseEstimator, ClassifierMixin

    from skmammo.pipeline import MammoPipeline

    class Spy(ClassifierMixin, BaseEstimator):
        def fit(self, X, y, groups=None):
            self.groups_ = groups
            self.classes_ = np.unique(y)
            return self

    pipe = MammoPipeline([("crop", ROICropper(size=16)), ("cnn", Spy())])
    pipe.fit(films.data, films.target)
    np.testing.assert_array_equal(pipe["cnn"].groups_, films.data["patient"])
    pipe.fit(films.data.drop(columns="patient"), films.target)
    assert pipe["cnn"].groups_ is None
    assert isinstance(films.data, pd.DataFrame)
