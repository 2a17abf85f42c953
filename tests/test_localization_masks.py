"""Localization against lesion masks and boxes (CBIS-DDSM, VinDr-Mammo) moved into the crops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skmammo.explain import Explanation, metrics

BOX = ["xmin", "ymin", "xmax", "ymax"]


def _box_frame(boxes, shape=(40, 30)):
    """A VinDr-like frame: films of ``shape``, one finding box per row (NaN: normal)."""
    frame = pd.DataFrame(np.asarray(boxes, dtype=float), columns=BOX)
    frame["film_rows"], frame["film_columns"] = shape
    frame["film"] = [f"f{i}" for i in range(len(frame))]
    return frame


def test_box_frames_are_read_as_masks_and_circle_frames_are_not():
    assert metrics.has_lesion_masks(_box_frame([[1, 1, 2, 2]]))
    assert metrics.has_lesion_masks(pd.DataFrame(columns=["mask_path", "film_rows",
                                                          "film_columns"]))
    assert not metrics.has_lesion_masks(pd.DataFrame(columns=["x", "y", "radius"]))
    assert not metrics.has_lesion_masks(np.zeros((2, 8, 8)))


def test_masks_are_cut_to_the_crop_box_and_resized_like_the_film():
    # film pixels 10..13 x 5..9 are lesion (the box is inclusive, as read_lesion_mask fills it)
    frame = _box_frame([[10, 5, 13, 9], [np.nan] * 4, [10, 5, 13, 9]])
    boxes = np.array([[8, 4, 16, 12],     # inside the film, crop twice the box: enlarged
                      [0, 0, 8, 8],       # a normal row
                      [-6, -4, 26, 28]])  # reaching beyond the film: shrunk by 2
    got = metrics.masks_in_crop(frame, boxes, (16, 16))
    assert got.shape == (3, 16, 16) and got.dtype == bool
    first = np.zeros((16, 16), bool)
    first[2:12, 4:12] = True  # rows 5..9 -> 1..5 -> 2..11, columns 10..13 -> 2..5 -> 4..11
    np.testing.assert_array_equal(got[0], first)
    assert not got[1].any()
    third = np.zeros((16, 16), bool)
    third[4:7, 8:10] = True  # rows 9..13 and columns 16..19 of the padded cut, halved
    np.testing.assert_array_equal(got[2], third)
    with pytest.raises(ValueError, match="2 rows but 3 crop boxes"):
        metrics.masks_in_crop(frame.iloc[:2], boxes, (16, 16))


def test_a_lesion_outside_its_crop_is_left_out():
    frame = _box_frame([[20, 20, 25, 25], [2, 2, 5, 5]])
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    masks = metrics.masks_in_crop(frame, boxes, (10, 10))
    heat = np.zeros((2, 10, 10))
    heat[:, 3, 3] = 1.0
    e = Explanation("gradcam", heat, np.array([1, 1]), np.tile([[0.0, 1.0, 0.0]], (2, 1)))
    loc = metrics.localization(e, mask=masks)
    assert loc.n_lesions == 1 and loc.pointing_game == 1.0
    assert np.isnan(loc.hit[0])


def test_a_lesion_smaller_than_a_crop_pixel_is_kept():
    # Film pixels 100..102 x 200..201 (6 pixels) in a 512-pixel box shrunk to 64: each crop
    # pixel holds 8 x 8 film pixels, so no crop pixel is half lesion.
    frame = _box_frame([[100, 200, 102, 201]], shape=(600, 600))
    masks = metrics.masks_in_crop(frame, np.array([[0, 0, 512, 512]]), (64, 64))
    assert masks[0].sum() == 1 and masks[0][200 // 8, 100 // 8]
    heat = np.zeros((1, 64, 64))
    heat[0, 25, 12] = 1.0
    e = Explanation("gradcam", heat, np.array([1]), np.array([[0.0, 1.0, 0.0]]))
    assert metrics.localization(e, mask=masks).n_lesions == 1


def test_compare_explainers_scores_against_the_frames_boxes_not_its_circles():
    """A pipeline and a frame with boxes: the lesions are the boxes moved into the crops."""
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    data = make_synthetic_mammograms(24, random_state=0)
    pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0).fit(
        data.frame, data.target)
    part = data.frame.iloc[:6].copy()
    lesion = part["radius"].notna().to_numpy()
    assert 0 < lesion.sum() < len(part)
    # a box on the upper-left quarter of each circle: not what the circle says
    half = part["radius"] / 2
    part["xmin"], part["ymin"] = part["x"] - 2 * half, part["y"] - 2 * half
    part["xmax"], part["ymax"] = part["x"], part["y"]
    part["film_rows"] = [f.shape[0] for f in part["image"]]
    part["film_columns"] = [f.shape[1] for f in part["image"]]

    result = metrics.compare_explainers(pipe, part, ("gradcam",), seeds=(0,), steps=4)
    e = result.explanations["gradcam"]
    masks = metrics.masks_in_crop(part, e.boxes, e.heatmaps.shape[1:])
    assert (masks.any(axis=(1, 2)) == lesion).all()
    by_mask = metrics.localization(e, mask=masks)
    by_circle = metrics.localization(e, *metrics.circles_in_crop(
        e.boxes, part["x"], part["y"], part["radius"], e.heatmaps.shape[1:]))
    row = result.table.loc["gradcam"]
    assert row["n_lesions"] == lesion.sum()
    assert row["rank_accuracy"] == pytest.approx(by_mask.rank_accuracy)
    assert by_mask.rank_accuracy != pytest.approx(by_circle.rank_accuracy)
    # the random map scores about the boxes' area share (a third of the circles')
    share = masks[lesion].mean(axis=(1, 2)).mean()
    assert result.table.loc["random_map", "rank_accuracy"] == pytest.approx(share, abs=0.1)


def test_a_fractional_box_fills_the_pixels_whose_centres_it_holds():
    from skmammo.datasets import read_lesion_mask

    frame = _box_frame([[2.3, 1.6, 5.5, 3.4], [7.2, 7.2, 7.4, 7.4]], shape=(10, 10))
    mask = read_lesion_mask(frame, 0)
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (3, 5, 2, 3) and mask.sum() == 6
    assert np.argwhere(read_lesion_mask(frame, 1)).tolist() == [[7, 7]]  # thinner than a pixel


def test_a_dicom_mask_is_read_by_its_stored_values(tmp_path):
    """A MONOCHROME1 mask with a window: its labels, not its display."""
    from dicom_files import write_dicom

    from skmammo.datasets import read_lesion_mask
    from skmammo.datasets._lesions import binary_mask

    labels = np.zeros((20, 16), np.uint8)
    labels[4:9, 3:7] = 255
    path = write_dicom(tmp_path / "mask.dcm", labels, photometric="MONOCHROME1",
                       window=(10.0, 4.0))
    frame = pd.DataFrame({"mask_path": [str(path)], "film_rows": [20], "film_columns": [16],
                          "film": ["f"]})
    np.testing.assert_array_equal(read_lesion_mask(frame, 0), labels > 0)
    np.testing.assert_array_equal(binary_mask(str(path), "test"), labels > 0)


@pytest.mark.parametrize("crop_side", [8, 24])  # the box shrunk by 2, enlarged by 1.5
def test_circles_and_masks_move_into_the_crop_alike(crop_side):
    """The centre ``circles_in_crop`` gives is the centroid of the lesion the crop shows."""
    frame = _box_frame([[9, 7, 12, 10]])  # film pixels 9..12 x 7..10: centre 10.5, 8.5
    boxes = np.array([[4, 2, 20, 18]])
    mask = metrics.masks_in_crop(frame, boxes, (crop_side, crop_side))[0]
    ys, xs = np.nonzero(mask)
    cx, cy, _ = metrics.circles_in_crop(boxes, [10.5], [8.5], [2.0], (crop_side, crop_side))
    assert (cx[0], cy[0]) == pytest.approx((xs.mean(), ys.mean()))
