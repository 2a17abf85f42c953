"""load_cbis_ddsm on small trees laid out as TCIA delivers CBIS-DDSM, nuisances included."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cbis_files import Abnormality, Case, mask_pixels, write_cbis_tree

from skmammo.datasets import CBIS_PIXEL_MM, load_cbis_ddsm, read_dicom, read_lesion_mask
from skmammo.datasets._films import film_getter


def _cases():
    return [
        Case("P_00001", abnormalities=[
            Abnormality((5, 10, 14, 19)),
            Abnormality((30, 40, 33, 45), pathology="BENIGN_WITHOUT_CALLBACK", combined=True)]),
        Case("P_00001", side="LEFT", view="MLO", split="train",
             abnormalities=[Abnormality((8, 8, 20, 20), pathology="BENIGN", disk=True)]),
        Case("P_00002", kind="calc", split="test", side="RIGHT", view="MLO",
             photometric="MONOCHROME1",
             abnormalities=[Abnormality((10, 10, 20, 30), mask_shape=(70, 50),
                                        pathology="BENIGN")]),
        Case("P_00003", kind="mass", split="test", bits=8,
             abnormalities=[Abnormality((20, 20, 29, 29), pathology="MALIGNANT")]),
    ]


@pytest.fixture(params=["uid", "nbia", "nbia-no-metadata"])
def tree(request, tmp_path):
    return write_cbis_tree(tmp_path / request.param, _cases(), layout=request.param,
                           newline_in_paths=True)


def test_every_layout_gives_the_same_frame(tree, caplog):
    with caplog.at_level(logging.WARNING):
        cbis = load_cbis_ddsm(tree)
    frame = cbis.frame
    assert len(frame) == 5  # one row per abnormality
    assert list(frame["film"]) == ["Mass-Training_P_00001_LEFT_CC"] * 2 + [
        "Mass-Training_P_00001_LEFT_MLO", "Mass-Test_P_00003_LEFT_CC",
        "Calc-Test_P_00002_RIGHT_MLO"]
    assert list(frame["split"]) == ["train", "train", "train", "test", "test"]
    assert list(frame["abnormality"]) == ["MASS"] * 4 + ["CALC"]
    assert list(frame["pathology"]) == ["MALIGNANT", "BENIGN_WITHOUT_CALLBACK", "BENIGN",
                                        "MALIGNANT", "BENIGN"]
    assert cbis.target.tolist() == [2, 1, 1, 2, 1]  # BENIGN_WITHOUT_CALLBACK is benign
    assert list(cbis.groups) == ["P_00001"] * 3 + ["P_00003", "P_00002"]
    assert list(frame["side"]) == ["L", "L", "L", "L", "R"]
    assert list(frame["view"]) == ["CC", "CC", "MLO", "CC", "MLO"]
    assert list(frame["lesion"]) == [1, 2, 1, 1, 1]
    assert list(frame["tissue"]) == ["3"] * 5  # both density spellings read
    assert (frame["pixel_mm"] == CBIS_PIXEL_MM).all()
    assert (frame["pixel_source"] == "default").all()
    # two abnormalities of one film share its file
    assert frame["path"][0] == frame["path"][1] != frame["path"][2]
    # the mask of another size than its film: resized, warned about naming the row
    assert any("calc_case_description_test_set.csv line 2" in r.getMessage()
               and "resized" in r.getMessage() for r in caplog.records)


def test_centre_and_radius_come_from_the_mask(tree):
    frame = load_cbis_ddsm(tree).frame
    # a 10 x 10 square at columns 5..14, rows 10..19: centroid and enclosing circle
    assert frame.loc[0, ["x", "y"]].tolist() == [9.5, 14.5]
    assert frame.loc[0, "radius"] == pytest.approx(np.hypot(4.5, 4.5) + 0.5, abs=1e-3)
    assert frame.loc[0, ["xmin", "ymin", "xmax", "ymax"]].tolist() == [5, 10, 14, 19]
    # the combined series: the CSV names the crop's file as the mask; the mask is found
    assert frame.loc[1, ["x", "y"]].tolist() == [31.5, 42.5]
    # a disk of radius 6 centred at (14, 14)
    assert frame.loc[2, ["x", "y"]].tolist() == pytest.approx([14, 14], abs=1e-9)
    assert frame.loc[2, "radius"] == pytest.approx(6.5, abs=0.05)


def test_the_mask_is_read_back_at_the_frames_pixel_size(tree):
    native = load_cbis_ddsm(tree)
    mask = read_lesion_mask(native.data, 0)
    case = _cases()[0]
    assert mask.shape == (64, 48) and mask.dtype == bool
    assert np.array_equal(mask, mask_pixels(case, case.abnormalities[0]) > 0)
    half = load_cbis_ddsm(tree, pixel_mm=2 * CBIS_PIXEL_MM)
    small = read_lesion_mask(half.data, 0)
    assert small.shape == (32, 24)
    # the 10 x 10 square at half the pixels per mm: 5 x 5 whole pixels, plus the half-covered
    # edge column (columns 5..14 halve to 2.25..6.75)
    assert small.sum() == 30
    ys, xs = np.nonzero(small)
    assert (xs.mean(), ys.mean()) == pytest.approx(tuple(half.frame.loc[0, ["x", "y"]]))


def test_resampled_by_path_and_by_array_agree(tmp_path):
    root = write_cbis_tree(tmp_path / "t", _cases(), layout="nbia")
    by_path = load_cbis_ddsm(root, pixel_mm=0.092)
    by_array = load_cbis_ddsm(root, pixel_mm=0.092, images="array")
    columns = ["x", "y", "radius", "film_rows", "film_columns", "pixel_mm", "native_pixel_mm"]
    pd.testing.assert_frame_equal(by_path.data[columns], by_array.data[columns])
    assert by_array.frame.loc[0, "x"] == pytest.approx((9.5 + 0.5) / 2 - 0.5)
    _, get = film_getter(by_path.data, "test")
    for i in range(len(by_path.data)):
        assert np.array_equal(get(i), by_array.data["image"][i])
    # rows of one film share one array (and one pending tuple by path)
    assert by_array.data["image"][0] is by_array.data["image"][1]
    assert by_path.data["pending"][0] is by_path.data["pending"][1]
    # the MONOCHROME1 film is inverted to bright = dense: its array equals the reader's
    native = load_cbis_ddsm(root, images="array")
    row = native.frame.index[native.frame["film"] == "Calc-Test_P_00002_RIGHT_MLO"][0]
    film_file = load_cbis_ddsm(root).data["path"][row]
    assert np.array_equal(native.data["image"][row], read_dicom(film_file))


def test_native_pixel_mm_overrides_the_default(tree):
    cbis = load_cbis_ddsm(tree, native_pixel_mm=0.05, pixel_mm=0.1)
    assert (cbis.frame["native_pixel_mm"] == 0.05).all()
    assert (cbis.frame["pixel_source"] == "given").all()
    assert (cbis.frame["film_rows"] == 32).all()


def test_return_X_y_and_descr(tree):
    data, target = load_cbis_ddsm(tree, return_X_y=True)
    assert len(data) == len(target) == 5 and "target" not in data
    descr = load_cbis_ddsm(tree).DESCR
    assert "No normal films" in " ".join(descr.split("\n\n")[1].split())  # the card's paragraph
    assert "BENIGN_WITHOUT_CALLBACK" in descr


def test_a_missing_film_names_the_csv_line(tmp_path):
    root = write_cbis_tree(tmp_path / "t", _cases(), layout="nbia")
    meta = pd.read_csv(root / "metadata.csv", dtype=str)
    film = meta[meta["Subject ID"] == "Mass-Test_P_00003_LEFT_CC"]["File Location"].iloc[0]
    shutil.rmtree(root / film.replace("\\", "/").lstrip("./"))
    with pytest.raises(FileNotFoundError, match=r"mass_case_description_test_set\.csv line 2 "
                                                r"\(patient P_00003\).*no DICOM series"):
        load_cbis_ddsm(root)


def test_a_mask_series_without_a_mask_is_refused(tmp_path):
    root = write_cbis_tree(tmp_path / "t", _cases()[3:], layout="uid")
    csv = root / "mass_case_description_test_set.csv"
    table = pd.read_csv(csv, dtype=str)
    table["ROI mask file path"] = table["cropped image file path"]
    table["cropped image file path"] = ""
    table.to_csv(csv, index=False)
    with pytest.raises(ValueError, match=r"line 2 .*is a mask"):
        load_cbis_ddsm(root)


def test_unknown_pathology_and_missing_csvs(tmp_path):
    root = write_cbis_tree(tmp_path / "t", _cases()[3:], layout="uid")
    csv = root / "mass_case_description_test_set.csv"
    table = pd.read_csv(csv, dtype=str)
    table["pathology"] = "UNKNOWN"
    table.to_csv(csv, index=False)
    with pytest.raises(ValueError, match=r"line 2 .*pathology 'UNKNOWN'"):
        load_cbis_ddsm(root)
    with pytest.raises(FileNotFoundError, match="no CBIS-DDSM case-description CSV"):
        load_cbis_ddsm(tmp_path / "t" / "Mass-Test_P_00003_LEFT_CC")
    with pytest.raises(ValueError, match="images must be"):
        load_cbis_ddsm(root, images="pixels")
    with pytest.raises(ValueError, match="pixel_mm must be a positive"):
        load_cbis_ddsm(root, pixel_mm=0)


def test_normal_windows_away_from_every_lesion(tmp_path):
    """The docs/data.md recipe, run as written (on small films: a smaller window)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "data.md").read_text()
    section = text[text.index("### No normal films"):]
    code = section[section.index("```python") + 9:section.index("```\n", 10)]
    cases = [Case(f"P_{i:05d}", shape=(200, 160), bits=8,
                  abnormalities=[Abnormality((20, 30, 40, 50))]) for i in range(1, 4)]
    root = write_cbis_tree(tmp_path / "t", cases, layout="nbia")
    assert '"CBIS-DDSM/", pixel_mm=0.2' in code and "window_mm=51.2" in code
    code = code.replace('"CBIS-DDSM/", pixel_mm=0.2', repr(str(root))) \
        .replace("window_mm=51.2", "window_mm=2.3, size=32")  # 50-pixel windows
    scope = {"load_cbis_ddsm": load_cbis_ddsm}
    exec(compile(code, "docs/data.md", "exec"), scope)  # noqa: S102
    frame, lesions, cropper = scope["frame"], scope["lesions"], scope["cropper"]
    normals = frame[frame["abnormality"] == "NORM"]
    assert 1 <= len(normals) <= 3 and normals["film"].str.contains("#normal").all()
    assert (frame.loc[normals.index, "severity"].isna()).all()
    boxes = cropper.crop_boxes(normals)
    for (_, row), box in zip(normals.iterrows(), boxes):
        lesion = lesions[lesions["path"] == row["path"]].iloc[0]
        assert row["patient"] == lesion["patient"] and row["split"] == lesion["split"]
        assert box[0] > lesion.xmax or box[2] < lesion.xmin or box[1] > lesion.ymax \
            or box[3] < lesion.ymin


def test_metadata_locations_with_posix_separators(tmp_path):
    """The retriever writes ``.\\CBIS-DDSM\\...`` on Windows and ``./CBIS-DDSM/...`` elsewhere."""
    root = write_cbis_tree(tmp_path / "t", _cases(), layout="nbia")
    windows = load_cbis_ddsm(root).frame
    meta = pd.read_csv(root / "metadata.csv", dtype=str)
    meta["File Location"] = meta["File Location"].str.replace("\\", "/", regex=False)
    meta.to_csv(root / "metadata.csv", index=False)
    # no header scan is needed: a file that is not DICOM beside the tree would break one
    (root / "CBIS-DDSM" / "stray.dcm").write_bytes(b"not DICOM")
    pd.testing.assert_frame_equal(load_cbis_ddsm(root).frame, windows)


def test_the_header_scan_skips_a_stray_file(tmp_path, caplog):
    root = write_cbis_tree(tmp_path / "t", _cases(), layout="nbia-no-metadata")
    (root / "CBIS-DDSM" / "stray.dcm").write_bytes(b"not DICOM")
    with caplog.at_level(logging.WARNING):
        assert len(load_cbis_ddsm(root).frame) == 5
    assert any("stray.dcm" in r.getMessage() for r in caplog.records)


def test_array_loading_holds_one_native_film_at_a_time(tmp_path):
    """``images="array"`` keeps the resampled films only: a native CBIS-DDSM film is ~30 MB."""
    import tracemalloc

    cases = [Case(f"P_{i:05d}", shape=(400, 300), bits=8,
                  abnormalities=[Abnormality((20, 30, 40, 50))]) for i in range(1, 21)]
    root = write_cbis_tree(tmp_path / "t", cases, layout="uid")
    load_cbis_ddsm(root, pixel_mm=0.46, images="array")  # imports and first-call caches
    tracemalloc.start()
    try:
        cbis = load_cbis_ddsm(root, pixel_mm=0.46, images="array")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    native = 400 * 300
    assert len(cbis.data) == 20 and cbis.data["image"][0].shape == (40, 30)
    assert peak < 10 * native, f"peak {peak / native:.1f} native films"


def test_the_circle_around_the_centroid_holds_the_whole_lesion():
    from skmammo.datasets._lesions import mask_geometry

    mask = np.zeros((120, 120), bool)
    mask[10:110, 10:20] = True  # an L: its centroid is far from its enclosing circle's centre
    mask[100:110, 10:110] = True
    g = mask_geometry(mask, "test")
    ys, xs = np.nonzero(mask)
    farthest = np.hypot(xs - g["x"], ys - g["y"]).max()
    assert (xs.mean(), ys.mean()) == pytest.approx((g["x"], g["y"]))
    assert g["radius"] == pytest.approx(farthest + 0.5)
