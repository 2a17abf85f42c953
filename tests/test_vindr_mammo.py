"""load_vindr_mammo on a small tree with VinDr-Mammo's published layout and CSV columns."""

from __future__ import annotations

import csv
import logging

import numpy as np
import pandas as pd
import pytest
from dicom_files import write_dicom

from skmammo.datasets import (
    VINDR_BIRADS_MAP,
    load_vindr_mammo,
    read_dicom,
    read_lesion_mask,
)
from skmammo.datasets._films import film_getter

BREAST = ["study_id", "series_id", "image_id", "laterality", "view_position", "height", "width",
          "breast_birads", "breast_density", "split"]
FINDING = BREAST[:-1] + ["finding_categories", "finding_birads", "xmin", "ymin", "xmax", "ymax",
                         "split"]

#: image id -> (study, laterality, view, breast BI-RADS, split, findings, film options)
FILMS = {
    "img_a": ("study1", "L", "CC", "BI-RADS 4", "training",
              [("['Mass']", "BI-RADS 4", (10.5, 20.0, 30.5, 40.0)),
               ("['Suspicious Calcification', 'Mass']", "BI-RADS 3", (2.0, 3.0, 6.0, 9.0))],
              {"pixel_spacing": (0.085, 0.085)}),
    "img_b": ("study1", "L", "MLO", "BI-RADS 1", "training", [],
              {"imager_spacing": (0.1, 0.1), "photometric": "MONOCHROME1"}),
    "img_c": ("study2", "R", "CC", "BI-RADS 2", "test", [], {"pixel_spacing": (0.085, 0.085)}),
    "img_d": ("study2", "R", "MLO", "BI-RADS 5", "test",
              [("['Mass']", "", (0.0, 0.0, 47.0, 63.0))],
              {"pixel_spacing": (0.085, 0.085), "window": (2000, 3000)}),
}


def write_vindr(root, films=FILMS, shape=(64, 48)):
    root.mkdir(parents=True, exist_ok=True)
    breast_rows, finding_rows = [], []
    for seed, (image, (study, side, view, birads, split, findings, options)) in \
            enumerate(films.items()):
        pixels = np.random.default_rng(seed).integers(100, 4000, shape, dtype=np.uint16)
        write_dicom(root / "images" / study / f"{image}.dicom", pixels, bits_stored=12,
                    laterality=side, view=view, patient="anonymous", **options)
        base = {"study_id": study, "series_id": f"s_{study}", "image_id": image,
                "laterality": side, "view_position": view, "height": shape[0],
                "width": shape[1], "breast_birads": birads, "breast_density": "DENSITY C",
                "split": split}
        breast_rows.append(base)
        for categories, finding_birads, box in findings or [("['No Finding']", "", None)]:
            finding_rows.append({**base, "finding_categories": categories,
                                 "finding_birads": finding_birads,
                                 **dict(zip(("xmin", "ymin", "xmax", "ymax"), box or [""] * 4))})
    for name, columns, rows in (("breast-level_annotations.csv", BREAST, breast_rows),
                                ("finding_annotations.csv", FINDING, finding_rows)):
        with open(root / name, "w", newline="") as handle:
            out = csv.DictWriter(handle, columns)
            out.writeheader()
            out.writerows(rows)
    return root


@pytest.fixture
def tree(tmp_path):
    return write_vindr(tmp_path / "vindr")


def test_findings_and_normal_films(tree, caplog):
    with caplog.at_level(logging.WARNING):
        vindr = load_vindr_mammo(tree)
    frame = vindr.frame
    assert vindr.target_names == ["normal", "benign", "suspicious"]
    assert list(frame["film"]) == ["img_a", "img_a", "img_b", "img_d"]
    assert vindr.target.tolist() == [2, 1, 0, 2]  # BI-RADS 4, 3 (finding's own), 1, 5 (breast's)
    assert list(frame["birads"]) == ["4", "3", "1", "5"]
    assert list(frame["finding_birads"]) == ["4", "3", None, None]
    assert list(frame["abnormality"]) == ["Mass", "Suspicious Calcification;Mass", "NORM", "Mass"]
    assert list(frame["lesion"]) == [1, 2, 0, 1]
    # groups: the study (VinDr gives no patient id)
    assert list(vindr.groups) == ["study1", "study1", "study1", "study2"]
    assert list(frame["split"]) == ["train", "train", "train", "test"]
    assert list(frame["side"]) == ["L", "L", "L", "R"]
    assert list(frame["view"]) == ["CC", "CC", "MLO", "MLO"]
    assert list(frame["tissue"]) == ["C"] * 4
    # the box into the frame: centre and half diagonal
    assert frame.loc[0, ["x", "y"]].tolist() == [20.5, 30.0]
    assert frame.loc[0, "radius"] == pytest.approx(np.hypot(20, 20) / 2)
    assert frame.loc[0, ["xmin", "ymin", "xmax", "ymax"]].tolist() == [10.5, 20.0, 30.5, 40.0]
    assert np.isnan(frame.loc[2, ["x", "y", "radius", "xmin"]].astype(float)).all()
    # pixel size from the headers, each tag
    assert list(frame["native_pixel_mm"]) == [0.085, 0.085, 0.1, 0.085]
    assert list(frame["pixel_source"]) == ["PixelSpacing"] * 2 + ["ImagerPixelSpacing",
                                                                  "PixelSpacing"]
    # img_c: BI-RADS 2 without a box is left out, named in the log
    assert "img_c" not in set(frame["film"])
    assert any("img_c" in r.getMessage() for r in caplog.records)
    # the report's model card quotes DESCR's first paragraph after the title: the caveat is there
    first = vindr.DESCR.split("\n\n")[1]
    assert "BI-RADS is not pathology" in " ".join(first.split())


def test_keep_unlocated_and_a_custom_map(tree):
    vindr = load_vindr_mammo(tree, keep_unlocated=True,
                             birads_map={**VINDR_BIRADS_MAP, 3: "suspicious"})
    frame = vindr.frame
    assert list(frame["film"]) == ["img_a", "img_a", "img_b", "img_c", "img_d"]
    assert vindr.target.tolist() == [2, 2, 0, 1, 2]  # BI-RADS 3 now suspicious
    assert np.isnan(frame.loc[3, "x"]) and frame.loc[3, "abnormality"] == "UNLOCATED"
    with pytest.raises(ValueError, match=r"breast-level_annotations\.csv line 2 \(image img_a\).*BI-RADS 4 is not in birads_map"):
        load_vindr_mammo(tree, birads_map={1: "normal", 2: "benign", 3: "benign",
                                           5: "suspicious"})
    with pytest.raises(ValueError, match="the classes are normal, benign, suspicious"):
        load_vindr_mammo(tree, birads_map={4: "malignant"})


def test_resampled_boxes_masks_and_films(tree):
    path = load_vindr_mammo(tree, pixel_mm=0.17)
    array = load_vindr_mammo(tree, pixel_mm=0.17, images="array")
    columns = ["x", "y", "radius", "xmin", "ymin", "xmax", "ymax", "film_rows", "film_columns"]
    pd.testing.assert_frame_equal(path.data[columns], array.data[columns])
    assert array.data["image"][0] is array.data["image"][1]
    assert array.data["image"][0].shape == (32, 24)  # 0.085 -> 0.17 mm: half
    assert array.data["image"][2].shape == (38, 28)  # 0.1 -> 0.17 mm
    _, get = film_getter(path.data, "test")
    for i in range(len(path.data)):
        assert np.array_equal(get(i), array.data["image"][i])
    assert (path.frame["pixel_mm"] == 0.17).all()
    assert path.frame.loc[0, "x"] == pytest.approx((20.5 + 0.5) / 2 - 0.5)
    # the box as a mask on the resampled film
    mask = read_lesion_mask(path.data, 0)
    assert mask.shape == (32, 24) and mask.any()
    ys, xs = np.nonzero(mask)
    assert abs(xs.mean() - path.frame.loc[0, "x"]) <= 0.5
    assert abs(ys.mean() - path.frame.loc[0, "y"]) <= 0.5
    assert not read_lesion_mask(path.data, 2).any()  # the normal film
    # MONOCHROME1 is read bright = dense, as the reader does
    native = load_vindr_mammo(tree, images="array")
    assert np.array_equal(native.data["image"][2], read_dicom(load_vindr_mammo(tree).data["path"][2]))


def test_errors_name_the_file_and_line(tmp_path):
    root = write_vindr(tmp_path / "a")
    (root / "images" / "study2" / "img_d.dicom").unlink()
    with pytest.raises(FileNotFoundError, match=r"breast-level_annotations\.csv line 5 "
                                                r"\(image img_d\).*does not exist"):
        load_vindr_mammo(root)

    films = {**FILMS, "img_d": FILMS["img_d"][:5] + ([("['Mass']", "BI-RADS 4",
                                                       (10, 10, 60, 20))],) + FILMS["img_d"][6:]}
    root = write_vindr(tmp_path / "b", films)
    with pytest.raises(ValueError, match=r"finding_annotations\.csv line 6 .*leaves the 48x64"):
        load_vindr_mammo(root)

    films = {"img_e": ("study3", "L", "CC", "BI-RADS 1", "test", [], {})}
    root = write_vindr(tmp_path / "c", films)
    with pytest.raises(ValueError, match=r"line 2 .*neither PixelSpacing nor ImagerPixelSpacing"):
        load_vindr_mammo(root)
    frame = load_vindr_mammo(root, native_pixel_mm=0.07).frame
    assert frame.loc[0, "pixel_source"] == "given" and frame.loc[0, "pixel_mm"] == 0.07

    root = write_vindr(tmp_path / "d", films)
    table = pd.read_csv(root / "breast-level_annotations.csv", dtype=str)
    table["height"] = "100"
    table.to_csv(root / "breast-level_annotations.csv", index=False)
    with pytest.raises(ValueError, match=r"line 2 .*the CSV gives 48x100 pixels"):
        load_vindr_mammo(root, native_pixel_mm=0.07)
    (root / "finding_annotations.csv").unlink()
    with pytest.raises(FileNotFoundError, match="finding_annotations.csv: missing"):
        load_vindr_mammo(root)


def test_return_X_y(tree):
    data, target = load_vindr_mammo(tree, return_X_y=True)
    assert len(data) == len(target) == 4 and "target" not in data


def test_the_frames_flow_through_the_preprocessing(tree):
    """Films by path (a pending Resample) crop exactly as the same films in memory."""
    from skmammo.preprocessing import CLAHE, Denoiser, ROICropper

    crops = []
    for images in ("path", "array"):
        data = load_vindr_mammo(tree, pixel_mm=0.17, images=images).data
        steps = CLAHE().fit_transform(Denoiser().fit_transform(data))
        crops.append(ROICropper(size=16, window_mm=2.72).fit_transform(steps))  # 16 pixels
    assert crops[0].shape == (4, 16, 16)
    assert np.array_equal(crops[0], crops[1])


def test_a_film_whose_every_finding_maps_to_normal_is_named_as_left_out(tree, caplog):
    normal_34 = {**VINDR_BIRADS_MAP, 3: "normal", 4: "normal"}   # img_a: findings 4 and 3
    with caplog.at_level("WARNING", logger="skmammo"):
        frame = load_vindr_mammo(tree, birads_map=normal_34).frame
    assert "img_a" not in set(frame["film"])
    assert any("image img_a left out" in r.getMessage() for r in caplog.records)
