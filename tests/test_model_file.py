"""Model files: a JSON header read before anything is unpickled, and a faithful round trip."""

from __future__ import annotations

import datetime
import json
import pickle
import re
import zipfile

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import skmammo
from skmammo.datasets import make_synthetic_mammograms
from skmammo.evaluation import HeldOutCalibration
from skmammo.model_file import FORMAT_VERSION, load_model, read_model_info, save_model
from skmammo.pipeline import make_pipeline


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(24, image_size=128, random_state=0)


@pytest.fixture(scope="module")
def pipe(films):
    return make_pipeline(size=32, epochs=1, random_state=0).fit(films.data, films.target)


@pytest.fixture(scope="module")
def recalibrated(films):
    model = HeldOutCalibration(make_pipeline(size=32, epochs=1, random_state=0), random_state=0)
    with pytest.warns(UserWarning):  # too few calibration rows for 90% sets: said at fit
        return model.fit(films.data, films.target, groups=films.groups)


def _rewrite(source, target, *, header=None, payload=None):
    """A copy of the model file ``source`` with its header or payload replaced."""
    with zipfile.ZipFile(source) as archive:
        old_header = json.loads(archive.read("skmammo.json"))
        old_payload = archive.read("model.joblib")
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("skmammo.json", json.dumps(header(old_header) if header else old_header))
        archive.writestr("model.joblib", old_payload if payload is None else payload)
    return target


def test_round_trip_predicts_and_scans_the_same(pipe, films, tmp_path):
    file = save_model(pipe, tmp_path / "m.skmammo", training_data="24 synthetic films")
    loaded = load_model(file)
    X = films.data.iloc[:8]
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(loaded.scan(X.iloc[:2]).scores, pipe.scan(X.iloc[:2]).scores)
    assert loaded.model_info_ == read_model_info(file)
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())  # atomic write


def test_recalibrated_round_trip_and_header(recalibrated, films, tmp_path):
    file = save_model(recalibrated, tmp_path / "m.skmammo")
    loaded = load_model(file)
    assert isinstance(loaded, HeldOutCalibration)
    X = films.data.iloc[:8]
    np.testing.assert_array_equal(loaded.predict_proba(X), recalibrated.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict_set(X), recalibrated.predict_set(X))
    info = read_model_info(file)
    assert info["estimator"] == "HeldOutCalibration" and info["recalibrated"] is True
    expected = json.loads(json.dumps(recalibrated.describe()))  # JSON keys are strings
    assert info["calibration"] == expected
    assert loaded.scan(X.iloc[:1]).calibrated


def test_header_carries_what_is_needed_to_use_the_model(pipe, tmp_path):
    file = save_model(pipe, tmp_path / "m.skmammo",
                      training_data={"description": "synthetic", "pixel_mm": 1.6})
    info = read_model_info(file)
    assert info["format"] == "skmammo-model" and info["format_version"] == FORMAT_VERSION
    assert info["versions"]["skmammo"] == skmammo.__version__
    assert info["versions"]["scikit-learn"] == sklearn.__version__
    assert info["versions"]["keras"] and info["versions"]["tensorflow"]
    assert info["classes"] == [0, 1, 2]
    assert info["target_names"] == ["normal", "benign", "malignant"]
    assert info["window"] == {"mode": "window", "window_mm": 51.2, "window_px": 256, "size": 32}
    assert list(info["preprocessing"]) == ["denoise", "clahe", "crop"]
    assert info["preprocessing"]["clahe"]["params"]["clip_limit"] == pipe["clahe"].clip_limit
    assert info["classifier"]["params"]["epochs"] == 1
    assert info["recalibrated"] is False and info["calibration"] is None
    assert info["training_data"] == {"description": "synthetic", "pixel_mm": 1.6}
    created = datetime.datetime.fromisoformat(info["created"])
    assert abs(datetime.datetime.now(datetime.timezone.utc) - created).total_seconds() < 600


def test_header_is_read_without_unpickling(pipe, tmp_path, monkeypatch):
    good = save_model(pipe, tmp_path / "m.skmammo")
    garbage = _rewrite(good, tmp_path / "garbage.skmammo", payload=b"\x80\x04 not a pickle")

    def forbidden(*args, **kwargs):
        raise AssertionError("unpickled while reading the header")

    monkeypatch.setattr(joblib, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    assert read_model_info(garbage) == read_model_info(good)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="garbage.skmammo: the model inside cannot be loaded"):
        load_model(garbage)


def test_other_files_are_not_model_files(pipe, tmp_path):
    plain = tmp_path / "plain.joblib"
    joblib.dump(pipe, plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("skmammo.json", json.dumps({"format": "something else"}))
        archive.writestr("model.joblib", b"")
    for file in (plain, text, other_zip):
        for read in (read_model_info, load_model):
            with pytest.raises(ValueError, match=f"{file.name}: not a skmammo model file"):
                read(file)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_model(tmp_path / "missing.skmammo")


def test_a_model_file_holding_something_else_is_refused(pipe, tmp_path):
    good = save_model(pipe, tmp_path / "m.skmammo")
    payload = tmp_path / "payload"
    joblib.dump(LogisticRegression(), payload)
    other = _rewrite(good, tmp_path / "other.skmammo", payload=payload.read_bytes())
    with pytest.raises(ValueError, match="other.skmammo: the file holds no fitted skmammo model"):
        load_model(other)


def test_incompatible_format_version_is_named(pipe, tmp_path):
    good = save_model(pipe, tmp_path / "m.skmammo")
    # Version 3: the window cropper places normal windows by depth and height on the
    # film; a version 2 file (depths only) must be refused, not load and misplace them.
    for version, wrote in ((FORMAT_VERSION + 1, "9.0"), (2, "0.1.0")):
        other = _rewrite(good, tmp_path / f"v{version}.skmammo",
                         header=lambda h, v=version, w=wrote: {
                             **h, "format_version": v, "versions": {**h["versions"], "skmammo": w}})
        message = (f"written by an incompatible version: model file format {version} "
                   rf"\(skmammo {re.escape(wrote)}\); this skmammo "
                   rf"\({re.escape(skmammo.__version__)}\) reads format {FORMAT_VERSION}")
        for read in (read_model_info, load_model):
            with pytest.raises(ValueError, match=message):
                read(other)


def test_other_package_versions_load_with_a_warning(pipe, tmp_path, caplog):
    good = save_model(pipe, tmp_path / "m.skmammo")
    old = _rewrite(good, tmp_path / "old.skmammo",
                   header=lambda h: {**h, "versions": {**h["versions"], "keras": "2.0.0"}})
    with caplog.at_level("WARNING", logger="skmammo"):
        load_model(old)
    assert "keras 2.0.0 (installed" in caplog.text


def test_only_fitted_skmammo_models_are_saved(films, tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        save_model(make_pipeline(size=32), tmp_path / "a.skmammo")
    with pytest.raises(NotFittedError, match="not fitted"):
        save_model(HeldOutCalibration(make_pipeline(size=32)), tmp_path / "b.skmammo")
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(TypeError, match="got LogisticRegression"):
        save_model(LogisticRegression().fit(X, [0, 1] * 3), tmp_path / "c.skmammo")
    assert list(tmp_path.iterdir()) == []
