"""scan_to_disk: many films in chunks on disk, the same result as one scan, resumable."""

from __future__ import annotations

import json
import logging
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

pytest.importorskip("scikeras")

import skmammo
from skmammo.datasets import make_synthetic_mammograms
from skmammo.evaluation import HeldOutCalibration
from skmammo.pipeline import make_pipeline
from skmammo.scan import FilmScan, load_scan, scan_to_disk
from skmammo.utils import MANIFEST, OutputFolder, RunMismatchError

TINY = {"size": 32, "epochs": 1, "validation_fraction": 0, "augment": False, "balance": None,
        "random_state": 0}


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(40, image_size=128, random_state=0)


@pytest.fixture(scope="module")
def pipe(films):
    return make_pipeline(**TINY).fit(films.data, films.target)


@pytest.fixture(scope="module")
def calibrated(films):
    # confidence 0.5: enough calibration rows per class for its prediction sets (unused)
    return HeldOutCalibration(make_pipeline(**TINY), confidence=0.5, random_state=0).fit(
        films.data, films.target, groups=films.groups)


def _same_scan(got: FilmScan, expected: FilmScan) -> None:
    assert got.films.tolist() == expected.films.tolist()
    np.testing.assert_array_equal(got.classes, expected.classes)
    np.testing.assert_allclose(got.scores, expected.scores, atol=1e-6)
    pd.testing.assert_frame_equal(got.candidates, expected.candidates, atol=1e-6)
    assert len(got.maps) == len(expected.maps)
    for a, b in zip(got.maps, expected.maps):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert (got.top_k, got.exact, got.calibrated) == (expected.top_k, expected.exact,
                                                      expected.calibrated)


def _stamps(folder) -> dict:
    """Inode and modification time of every chunk: a rewritten chunk gets a new inode."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.glob("chunk_*.npz"))}


def test_chunks_equal_one_scan_and_load_back(pipe, films, tmp_path, capsys):
    X = films.data.iloc[:17]
    expected = pipe.scan(X, top_k=3)
    got = scan_to_disk(pipe, X, tmp_path / "scan", chunk_size=5, top_k=3, verbose=1)
    _same_scan(got, expected)
    assert "scan_to_disk" in capsys.readouterr().err  # the progress bar
    assert sorted(p.name for p in (tmp_path / "scan").glob("chunk_*")) == [
        f"chunk_{k:06d}.npz" for k in range(4)]  # 5 + 5 + 5 + 2 films
    _same_scan(load_scan(tmp_path / "scan"), expected)  # later, from disk alone
    assert json.loads((tmp_path / "scan" / MANIFEST).read_text())["complete"] is True
    with np.load(tmp_path / "scan" / "chunk_000003.npz", allow_pickle=False) as data:
        assert data["scores"].shape == (2, 3)  # plain arrays, no pickle

    # rows of one film (a lesion frame) are scanned once, as scan() does
    repeated = pd.concat([X.iloc[:6], X.iloc[[0, 2]]])
    once = scan_to_disk(pipe, repeated, tmp_path / "repeated", chunk_size=4)
    assert once.films.tolist() == X["film"].iloc[:6].tolist()
    _same_scan(once, pipe.scan(repeated))


def test_an_interrupted_scan_resumes_with_the_missing_chunks(pipe, tmp_path, caplog):
    on_disk = make_synthetic_mammograms(10, image_size=128, random_state=1,
                                        directory=tmp_path / "films")
    X = on_disk.data  # films by path: read one chunk at a time
    whole = scan_to_disk(pipe, X, tmp_path / "whole", chunk_size=3)

    # A film that cannot be read stops the run in chunk 2 (films 7-9): chunks 0 and 1
    # are written, nothing of chunk 2 or 3.
    film = tmp_path / "films" / X["path"].iloc[7].split("/")[-1]
    shutil.move(film, tmp_path / "away")
    out = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_to_disk(pipe, X, out, chunk_size=3)
    assert sorted(_stamps(out)) == ["chunk_000000.npz", "chunk_000001.npz"]
    with pytest.raises(ValueError, match="unfinished scan: 2 of 4 chunks missing"):
        load_scan(out)
    before = _stamps(out)

    shutil.move(tmp_path / "away", film)
    with caplog.at_level(logging.INFO, logger="skmammo.scan._disk"):
        resumed = scan_to_disk(pipe, X, out, chunk_size=3)
    assert "2 of 4 chunks already finished, 2 to do" in caplog.text
    after = _stamps(out)
    assert {k: after[k] for k in before} == before  # the finished chunks were not redone
    assert sorted(after) == [f"chunk_{k:06d}.npz" for k in range(4)]
    _same_scan(resumed, whole)
    for k in range(4):  # and the same bytes as the uninterrupted run
        name = f"chunk_{k:06d}.npz"
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_another_run_is_refused_and_overwrite_starts_afresh(pipe, calibrated, films,
                                                           tmp_path):
    X = films.data.iloc[:8]
    out = tmp_path / "scan"
    scan_to_disk(pipe, X, out, chunk_size=4)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RunMismatchError, match="params differs"):
        scan_to_disk(pipe, X, out, chunk_size=4, top_k=2)
    with pytest.raises(RunMismatchError, match="chunk_size differs"):
        scan_to_disk(pipe, X, out, chunk_size=3)
    with pytest.raises(RunMismatchError, match="the model"):
        scan_to_disk(calibrated, X, out, chunk_size=4)
    with pytest.raises(RunMismatchError, match="order of the rows"):
        scan_to_disk(pipe, X.iloc[::-1], out, chunk_size=4)
    with pytest.raises(RunMismatchError, match="overwrite=True"):
        scan_to_disk(pipe, X.iloc[:5], out, chunk_size=4)
    # the same films at another pixel size: other windows in film pixels, another run
    with pytest.raises(RunMismatchError, match="the rows"):
        scan_to_disk(pipe, X.assign(pixel_mm=X["pixel_mm"] * 0.6), out, chunk_size=4)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # nothing written
    # a parameter given at its default is the same run as one left out: nothing rescanned
    again = scan_to_disk(pipe, X, out, chunk_size=4, top_k=5, min_score=0.0, exact=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    _same_scan(again, pipe.scan(X))
    settings = json.loads((out / "settings.json").read_text())
    assert settings["identity"]["skmammo"] == skmammo.__version__

    fresh = scan_to_disk(pipe, X.iloc[:5], out, chunk_size=4, top_k=2, overwrite=True)
    _same_scan(fresh, pipe.scan(X.iloc[:5], top_k=2))
    assert sorted(p.name for p in out.glob("chunk_*")) == ["chunk_000000.npz",
                                                           "chunk_000001.npz"]


def test_a_recalibrated_model_scans_and_resumes_from_another_copy(calibrated, films,
                                                                  tmp_path):
    X = films.data.iloc[:9]
    got = scan_to_disk(calibrated, X, tmp_path / "cal", chunk_size=4)
    assert got.calibrated
    _same_scan(got, calibrated.scan(X))
    # a loaded copy of the model (as skmammo scan loads a model file) is the same run
    copy = pickle.loads(pickle.dumps(calibrated))
    before = _stamps(tmp_path / "cal")
    _same_scan(scan_to_disk(copy, X, tmp_path / "cal", chunk_size=4), got)
    assert _stamps(tmp_path / "cal") == before


def test_into_an_open_output_folder(pipe, films, tmp_path):
    X = films.data.iloc[:5]
    folder = OutputFolder(tmp_path / "out")
    got = scan_to_disk(pipe, X, folder, chunk_size=2)
    assert sorted(folder.written) == ["chunks/chunk_000000.npz", "chunks/chunk_000001.npz",
                                      "chunks/chunk_000002.npz", "chunks/settings.json"]
    assert not folder.complete  # left to its owner
    folder.finish()
    _same_scan(load_scan(tmp_path / "out" / "chunks"), got)


def test_bad_input_is_a_clear_error_and_writes_nothing(pipe, films, tmp_path):
    X = films.data.iloc[:4]
    out = tmp_path / "never"
    with pytest.raises(TypeError, match="frame of films"):
        scan_to_disk(pipe, X.to_numpy(), out)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        scan_to_disk(pipe, X, out, chunk_size=0)
    with pytest.raises(ValueError, match="no films"):
        scan_to_disk(pipe, X.iloc[:0], out)
    with pytest.raises(TypeError, match="has no scan"):
        scan_to_disk(object(), X, out)
    with pytest.raises(NotFittedError, match="not fitted"):
        scan_to_disk(make_pipeline(**TINY), X, out)
    with pytest.raises(TypeError, match="strides"):
        scan_to_disk(pipe, X, out, strides=8)
    twins = X.copy()
    twins["film"] = ["a", "a", "b", "c"]
    with pytest.raises(ValueError, match=r"share the film id\(s\) \['a'\]"):
        scan_to_disk(pipe, twins, out)
    assert not out.exists()
    small = X.copy()  # fails in the first chunk: no folder is left behind
    small["image"] = [np.full((20, 20), 120, np.uint8)] * len(small)
    with pytest.raises(ValueError, match="smaller than one 32-pixel window"):
        scan_to_disk(pipe, small, out)
    assert not out.exists()

    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no scan"):
        load_scan(tmp_path / "empty")
    with pytest.raises(ValueError, match="FilmScan.concat needs at least one scan"):
        FilmScan.concat([])


def test_docstring_examples_run():
    import doctest

    import skmammo.scan._disk

    result = doctest.testmod(skmammo.scan._disk)
    assert result.failed == 0 and result.attempted >= 5
