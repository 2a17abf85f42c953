"""Films by reference: a frame with a ``path`` column flows through preprocessing."""

from __future__ import annotations

import doctest
import pickle

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from skmammo.datasets import _films, make_synthetic_mammograms, read_film
from skmammo.preprocessing import CLAHE, Denoiser, ROICropper


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(10, image_size=96, random_state=4)


@pytest.mark.parametrize("file_format", ["png", "pgm"])
def test_paths_give_the_same_crops_and_boxes_as_arrays(films, tmp_path, file_format):
    on_disk = make_synthetic_mammograms(10, image_size=96, random_state=4,
                                        directory=tmp_path, file_format=file_format)
    assert "image" not in on_disk.data.columns
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"syn{i:04d}.{file_format}" for i in range(1, 11)]
    for path, image in zip(on_disk.data["path"], films.data["image"]):
        np.testing.assert_array_equal(read_film(path), image)
    np.testing.assert_array_equal(on_disk.target, films.target)
    for mode in ("native", "study"):
        steps = [Denoiser(), CLAHE(), ROICropper(size=48, mode=mode, n_jobs=2)]
        by_value = make_pipeline(*steps)
        expected = by_value.fit_transform(films.data)
        by_reference = make_pipeline(*[type(s)(**s.get_params()) for s in steps])
        got = by_reference.fit_transform(on_disk.data)
        np.testing.assert_array_equal(got, expected)
        from_disk = by_reference[-1].crop(by_reference[:-1].transform(on_disk.data))
        np.testing.assert_array_equal(from_disk.images, expected)
        np.testing.assert_array_equal(from_disk.boxes,
                                      by_value[-1].crop_boxes(by_value[:-1].transform(films.data)))


def test_denoiser_and_clahe_defer_their_work_and_freeze_their_parameters(tmp_path):
    data = make_synthetic_mammograms(4, image_size=96, random_state=1,
                                     directory=tmp_path).data
    denoiser = Denoiser(median=3)
    deferred = CLAHE(clip_limit=3.0).fit_transform(denoiser.fit_transform(data))
    assert list(deferred["path"]) == list(data["path"])
    assert "pending" not in data.columns  # the input is not modified
    ops = deferred["pending"].iloc[0]
    assert len(ops) == 2 and all(p is ops for p in deferred["pending"])
    denoiser.set_params(median=0)  # a later change does not reach the deferred step
    assert ops[0].__self__.median == 3
    # The deferred frame pickles (as it travels to a Dask worker) and still crops alike.
    cropper = ROICropper(size=32).fit(deferred)
    crops = cropper.transform(deferred.iloc[1:3])
    again = cropper.transform(pickle.loads(pickle.dumps(deferred.iloc[1:3])))
    np.testing.assert_array_equal(crops, again)
    film = read_film(data["path"].iloc[1])
    expected = cv2.createCLAHE(3.0, (8, 8)).apply(Denoiser(median=3)._denoise(film))
    in_memory = data.iloc[[1]].drop(columns="path").assign(image=[expected])
    np.testing.assert_array_equal(crops[:1], cropper.transform(in_memory))


def test_missing_and_unreadable_files_name_the_film(tmp_path):
    data = make_synthetic_mammograms(3, image_size=64, random_state=0, directory=tmp_path).data
    gone = data.copy()
    gone.loc[1, "path"] = str(tmp_path / "nowhere.png")
    with pytest.raises(FileNotFoundError, match=r"film syn0002 \(row 1\).*nowhere\.png"):
        Denoiser().fit_transform(gone)
    with pytest.raises(FileNotFoundError, match=r"film syn0002 \(row 1\)"):
        ROICropper(size=32).fit_transform(gone)
    broken = data.copy()
    (tmp_path / "broken.png").write_bytes(b"not a png")
    broken.loc[2, "path"] = str(tmp_path / "broken.png")
    with pytest.raises(ValueError, match=r"film syn0003 \(row 2\).*cannot decode"):
        ROICropper(size=32).fit_transform(broken)
    colour = data.copy()
    cv2.imwrite(str(tmp_path / "colour.png"), np.zeros((64, 64, 3), np.uint8))
    colour.loc[0, "path"] = str(tmp_path / "colour.png")
    with pytest.raises(ValueError, match=r"film syn0001 \(row 0\).*2-D grey film"):
        ROICropper(size=32).fit_transform(colour)
    neither = data.drop(columns="path")
    with pytest.raises(ValueError, match="lacks the column"):
        ROICropper(size=32).fit_transform(neither)


def test_sixteen_bit_png_is_rescaled(tmp_path):
    film = np.zeros((32, 40), np.uint16)
    film[4:20, 5:30] = 4095
    film[0, 0] = 2048
    cv2.imwrite(str(tmp_path / "deep.png"), film)
    out = read_film(tmp_path / "deep.png")
    assert out.dtype == np.uint8 and out.max() == 255 and out[0, 0] == 128


def test_docstring_examples_run():
    failures, tried = doctest.testmod(_films, extraglobs={"np": np})
    assert tried >= 1 and failures == 0


@pytest.mark.mias
def test_load_mias_paths_from_archive_and_folder(mias_archive, mias_dir, mias_films, tmp_path):
    from skmammo.datasets import load_mias

    with pytest.raises(ValueError, match="needs extract_to"):
        load_mias(mias_archive, images="path", verbose=0)
    films = tmp_path / "films"
    by_path = load_mias(mias_archive, unit="film", images="path", extract_to=films, verbose=0)
    assert len(list(films.glob("mdb*.pgm"))) == 322  # every film, incl. the rows left out
    expected = mias_films.frame.drop(columns="image")
    pd.testing.assert_frame_equal(by_path.frame.drop(columns="path"), expected)
    assert by_path.frame["path"].iloc[0] == str(films / "mdb001.pgm")
    stamp = (films / "mdb001.pgm").stat().st_mtime_ns
    load_mias(mias_archive, unit="film", images="path", extract_to=films, verbose=0)
    assert (films / "mdb001.pgm").stat().st_mtime_ns == stamp  # not extracted again
    in_folder = load_mias(mias_dir, unit="film", images="path", verbose=0).frame
    assert in_folder["path"].iloc[5] == str(mias_dir / f"{in_folder['film'].iloc[5]}.pgm")
    rows = slice(0, 316, 35)
    crops = make_pipeline(Denoiser(), CLAHE(), ROICropper(size=64))
    np.testing.assert_array_equal(crops.fit_transform(by_path.data.iloc[rows]),
                                  crops.fit_transform(mias_films.data.iloc[rows]))
    np.testing.assert_array_equal(read_film(in_folder["path"].iloc[7]),
                                  mias_films.frame["image"].iloc[7])


def test_plot_steps_reads_a_film_given_by_path(films, tmp_path):
    from skmammo.preprocessing import plot_steps

    on_disk = make_synthetic_mammograms(10, image_size=96, random_state=4, directory=tmp_path)
    a = plot_steps(films.frame.iloc[[2]], size=48)
    b = plot_steps(on_disk.frame.iloc[[2]], size=48)
    for left, right in zip(a.axes, b.axes):
        np.testing.assert_array_equal(left.images[0].get_array(), right.images[0].get_array())
