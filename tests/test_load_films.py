"""load_films: films without annotations from a folder or a list of files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from skmammo.datasets import Resample, load_films, make_synthetic_mammograms


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic_mammograms(4, image_size=128, random_state=0)


@pytest.fixture
def folder(tmp_path, synthetic):
    """Four synthetic films as PNG, PGM, TIFF and PNG, and a file that is not a film."""
    for film, image, suffix in zip(synthetic.data["film"], synthetic.data["image"],
                                   (".png", ".pgm", ".tif", ".PNG")):
        assert cv2.imwrite(str(tmp_path / f"{film}{suffix.lower()}"), image)
        if suffix == ".PNG":
            (tmp_path / f"{film}.png").rename(tmp_path / f"{film}.PNG")
    (tmp_path / "notes.txt").write_text("not a film")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    return tmp_path


def test_a_folder_gives_a_frame_of_films_by_reference(folder, synthetic, caplog):
    with caplog.at_level("WARNING", logger="skmammo"):
        films = load_films(folder, pixel_mm=1.6)
    frame = films.frame
    assert frame["film"].tolist() == synthetic.data["film"].tolist()
    assert list(frame.columns) == ["path", "film", "patient", "rows", "columns", "pixel_mm"]
    assert not {"x", "y", "radius", "target", "image"} & set(frame.columns)
    assert (frame["pixel_mm"] == 1.6).all() and (frame["rows"] == 128).all()
    assert films.data is frame and films.groups.tolist() == frame["film"].tolist()
    assert "4 film(s)" in films.DESCR
    assert "skipped 1 file(s)" in caplog.text and "notes.txt" in caplog.text
    assert ".DS_Store" not in caplog.text
    # the PNG, PGM and TIFF films read back exactly as written
    from skmammo.datasets import read_film

    for path, image in zip(frame["path"], synthetic.data["image"]):
        np.testing.assert_array_equal(read_film(path), image)


def test_images_in_memory_and_the_default_pixel_size(folder, synthetic, caplog):
    with caplog.at_level("WARNING", logger="skmammo"):
        films = load_films(folder, images="array")
    assert "pixel_mm not given, assuming 0.2 mm" in caplog.text
    assert (films.frame["pixel_mm"] == 0.2).all()
    for image, expected in zip(films.frame["image"], synthetic.data["image"]):
        np.testing.assert_array_equal(image, expected)


def test_sub_folders_only_when_recursive(tmp_path, synthetic):
    (tmp_path / "left").mkdir()
    cv2.imwrite(str(tmp_path / "a.png"), synthetic.data["image"].iloc[0])
    cv2.imwrite(str(tmp_path / "left" / "a.png"), synthetic.data["image"].iloc[1])
    assert load_films(tmp_path, pixel_mm=1).frame["film"].tolist() == ["a"]
    assert load_films(tmp_path, pixel_mm=1, recursive=True).frame["film"].tolist() == [
        "a", "left/a"]


def test_a_list_of_files(folder, synthetic):
    files = sorted(folder.glob("syn*"))[:2]
    films = load_films([str(f) for f in files], pixel_mm=0.5)
    assert films.frame["film"].tolist() == [f.stem for f in files]
    assert load_films(files[0], pixel_mm=0.5).frame["film"].tolist() == [files[0].stem]


def test_sixteen_bit_films_are_rescaled(tmp_path):
    image = (np.arange(64 * 64).reshape(64, 64) % 4096).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), image)
    film = load_films(tmp_path, pixel_mm=0.1, images="array").frame["image"].iloc[0]
    assert film.dtype == np.uint8 and film.max() == 255


@pytest.mark.parametrize("content, match", [
    (b"\x89PNG but not really", "OpenCV cannot decode .*broken.png"),
    (None, r"film broken \(.*broken.png\): the image has shape \(32, 32, 3\)"),
])
def test_unreadable_films_are_named(tmp_path, content, match):
    cv2.imwrite(str(tmp_path / "good.png"), np.zeros((32, 32), np.uint8))
    if content is None:
        cv2.imwrite(str(tmp_path / "broken.png"), np.zeros((32, 32, 3), np.uint8))
    else:
        (tmp_path / "broken.png").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_films(tmp_path, pixel_mm=0.2)


def test_empty_folders_and_bad_arguments(tmp_path, folder):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="empty: no PGM, PNG, TIFF or DICOM films in this folder"):
        load_films(empty)
    (empty / "readme.md").write_text("x")
    (empty / "sub").mkdir()
    cv2.imwrite(str(empty / "sub" / "a.png"), np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match="recursive=True does"):
        load_films(empty)
    with pytest.raises(FileNotFoundError, match="no such film file"):
        load_films(tmp_path / "missing")
    with pytest.raises(ValueError, match="notes.txt: not a PGM, PNG, TIFF or DICOM film"):
        load_films([folder / "notes.txt"])
    with pytest.raises(ValueError, match="no films given"):
        load_films([])
    with pytest.raises(ValueError, match="pixel_mm must be a positive number"):
        load_films(folder, pixel_mm=0)
    with pytest.raises(ValueError, match="images must be"):
        load_films(folder, images="film")
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / "syn0001.png"
    cv2.imwrite(str(twin), np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match="two films would both be called 'syn0001'"):
        load_films([next(folder.glob("syn0001.*")), twin])


@pytest.fixture
def dicom_folder(tmp_path, synthetic):
    """A DICOM film at 0.1 mm (.dcm), one without spacing (.dicom), one named by its UID
    (no suffix, the DICM marker), and a PNG: the same synthetic tissue in each."""
    from dicom_files import write_dicom

    images = list(synthetic.data["image"])
    fine = cv2.resize(images[0], (256, 256), interpolation=cv2.INTER_LINEAR)
    write_dicom(tmp_path / "a.dcm", fine.astype(np.uint16) * 16, bits_stored=12,
                window=(2048.0, 4096.0), pixel_spacing=(0.1, 0.1), laterality="L", view="MLO",
                patient="P9")
    write_dicom(tmp_path / "b.dicom", images[1], view_meaning="cranio-caudal")
    write_dicom(tmp_path / "1.2.826.0.1.7", images[2], imager_spacing=(0.4, 0.4),
                extra={"Laterality": "R"})
    cv2.imwrite(str(tmp_path / "c.png"), images[3])
    return tmp_path


def test_dicom_films_are_resampled_to_the_frames_pixel_size(dicom_folder, synthetic):
    by_path = load_films(dicom_folder, pixel_mm=0.2).frame
    assert by_path["film"].tolist() == ["1.2.826.0.1.7", "a", "b", "c"]
    assert by_path["pixel_mm"].tolist() == [0.2] * 4
    assert by_path["native_pixel_mm"].tolist() == [0.4, 0.1, 0.2, 0.2]
    assert by_path["pixel_source"].tolist() == ["ImagerPixelSpacing", "PixelSpacing", "given",
                                                "given"]
    assert by_path[["rows", "columns"]].values.tolist() == [[256, 256]] + [[128, 128]] * 3
    assert by_path["side"].tolist() == ["R", "L", None, None]
    assert by_path["view"].tolist() == [None, "MLO", "CC", None]
    assert by_path["patient"].tolist() == ["P0001", "P9", "P0001", "c"]
    assert by_path["pending"].tolist() == [(Resample(2.0),), (Resample(0.5),), (), ()]
    in_memory = load_films(dicom_folder, pixel_mm=0.2, images="array").frame
    assert "pending" not in in_memory.columns
    from skmammo.datasets._films import film_getter

    _, get = film_getter(by_path, "test")
    for i, image in enumerate(in_memory["image"]):
        np.testing.assert_array_equal(get(i), image)  # the pending Resample = the read-time one
        assert image.shape == (by_path["rows"][i], by_path["columns"][i])
    # the 0.1 mm film, shrunk to 0.2 mm, is the synthetic film again (up to interpolation)
    difference = np.abs(in_memory["image"][1].astype(int) - synthetic.data["image"][0])
    assert np.median(difference) <= 2
    assert "resampled" in load_films(dicom_folder, pixel_mm=0.2).DESCR


def test_without_pixel_mm_dicom_films_keep_their_own(dicom_folder, caplog):
    with caplog.at_level("INFO", logger="skmammo"):
        frame = load_films(dicom_folder, images="array").frame
    assert frame["pixel_mm"].tolist() == [0.4, 0.1, 0.2, 0.2]
    assert frame["pixel_source"].tolist() == ["ImagerPixelSpacing", "PixelSpacing", "default",
                                              "default"]
    assert [im.shape for im in frame["image"]] == [(128, 128), (256, 256), (128, 128),
                                                   (128, 128)]
    assert "pixel_mm not given, assuming 0.2 mm" in caplog.text and "b, c" in caplog.text
    listed = load_films([dicom_folder / "1.2.826.0.1.7", dicom_folder / "a.dcm"]).frame
    assert listed["film"].tolist() == ["1.2.826.0.1.7", "a"]
