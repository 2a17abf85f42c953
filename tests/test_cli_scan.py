"""``skmammo train`` then ``skmammo scan`` from the command line, and their one-line errors."""

from __future__ import annotations

import json
import zipfile

import cv2
import numpy as np
import pandas as pd
import pytest

from skmammo.cli import main
from skmammo.datasets import load_films, make_synthetic_mammograms
from skmammo.model_file import load_model, read_model_info
from skmammo.utils import MANIFEST

TRAIN = ["--demo", "--films", "24", "--size", "32", "--epochs", "1"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A recalibrated model trained by ``skmammo train`` on synthetic films (256 px, 0.8 mm)."""
    file = tmp_path_factory.mktemp("model") / "model.skmammo"
    # (-q: the warning that 24 films give too few calibration rows goes to the log)
    assert main(["-q", "train", *TRAIN, "--model", str(file)]) == 0
    return file


@pytest.fixture
def films(tmp_path):
    """Four other synthetic films, two as PNG and two as PGM, in a folder."""
    folder = tmp_path / "films"
    folder.mkdir()
    synthetic = make_synthetic_mammograms(4, random_state=7)
    for i, (film, image) in enumerate(zip(synthetic.data["film"], synthetic.data["image"])):
        assert cv2.imwrite(str(folder / f"{film}.{'png' if i % 2 else 'pgm'}"), image)
    return folder


def _error(capsys, command: str) -> str:
    """The one error line: the last line on standard error (notes logged before it)."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines and lines[-1].startswith(f"skmammo {command}: error:"), err
    assert err.count("error:") == 1 and "Traceback" not in err, err
    return lines[-1]


def test_train_writes_a_recalibrated_model_with_its_description(model_file):
    info = read_model_info(model_file)
    assert info["estimator"] == "HeldOutCalibration" and info["recalibrated"]
    assert info["window"]["size"] == 32 and info["window"]["mode"] == "window"
    assert info["classifier"]["params"]["epochs"] == 1
    assert info["training_data"]["description"] == "synthetic mammograms (24 films, seed 0)"
    assert info["training_data"]["rows"] == 24 and info["training_data"]["pixel_mm"] == 0.8


def test_train_then_scan_round_trip(model_file, films, tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level("INFO", logger="skmammo"):
        assert main(["scan", str(model_file), str(films), "--out", str(out)]) == 0
    assert "0.8 mm, the training films'" in caplog.text
    assert caplog.text.count("film syn000") == 4  # one summary line per film
    scores = pd.read_csv(out / "film_scores.csv")
    assert list(scores.columns) == ["film", "normal", "benign", "malignant"]
    assert scores["film"].tolist() == ["syn0001", "syn0002", "syn0003", "syn0004"]
    # the same numbers as the Python API gives for the same model and films
    expected = load_model(model_file).scan(load_films(films, pixel_mm=0.8).data)
    np.testing.assert_allclose(scores[["normal", "benign", "malignant"]].to_numpy(),
                               expected.scores, atol=1e-6)
    candidates = pd.read_csv(out / "candidates.csv")
    assert {"film", "x", "y", "class", "class_name", "score", "p_0", "p_1", "p_2"} <= set(
        candidates.columns)
    assert len(candidates) == len(expected.candidates)
    assert set(candidates["class_name"]) <= {"benign", "malignant"}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST, "candidates.csv", "chunks", "film_scores.csv", "report.html", "report.pdf"])
    # the report: every film's page, its candidates and the top 3 explained with HiResCAM
    html = (out / "report.html").read_text()
    for film in expected.films:
        assert f"Film {film}</h2>" in html
    assert html.count("Candidates (x, y: the window") == scores["film"].nunique()
    assert html.count("HiResCAM, class") == candidates.groupby("film").head(3).shape[0]
    assert "synthetic mammograms (24 films, seed 0)" in html  # the model file's header
    assert "Research use only; not a diagnosis" in html
    assert (out / "report.pdf").read_bytes()[:4] == b"%PDF"


def test_scan_of_listed_files(model_file, films, tmp_path):
    files = sorted(str(p) for p in films.iterdir())[:2]
    out = tmp_path / "two"
    assert main(["-q", "scan", str(model_file), *files, "--out", str(out), "--pixel-mm", "0.8",
                 "--max-candidates", "2", "--no-report"]) == 0
    assert not (out / "report.html").exists()
    candidates = pd.read_csv(out / "candidates.csv")
    assert pd.read_csv(out / "film_scores.csv")["film"].tolist() == ["syn0001", "syn0002"]
    assert candidates.groupby("film").size().max() <= 2


def test_scan_report_with_chosen_methods_and_count(model_file, films, tmp_path, capsys):
    out = tmp_path / "chosen"
    assert main(["-q", "scan", str(model_file), str(films), "--out", str(out), "--no-pdf",
                 "--explain", "gradcam,occlusion", "--explained", "1"]) == 0
    html = (out / "report.html").read_text()
    assert not (out / "report.pdf").exists()
    n = pd.read_csv(out / "candidates.csv")["film"].nunique()
    assert html.count("Grad-CAM, class") == html.count("Occlusion, class") == n
    assert "HiResCAM" not in html
    bad = tmp_path / "bad"
    with pytest.raises(SystemExit) as exit_info:  # a usage error, before the model is read
        main(["scan", str(model_file), str(films), "--out", str(bad), "--explain",
              "hirescam,nosuch"])
    assert exit_info.value.code == 2 and "unknown explanation method 'nosuch'" in capsys.readouterr().err
    assert not bad.exists()


def test_scan_help_says_loading_executes_code(capsys):
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Loading a model file executes code (joblib/pickle)" in text


def test_bad_model_files_are_one_line_errors(model_file, films, tmp_path, capsys):
    out = tmp_path / "out"
    text = tmp_path / "model.txt"
    text.write_text("not a model")
    assert main(["scan", str(text), str(films), "--out", str(out)]) == 1
    assert "not a skmammo model file" in _error(capsys, "scan")
    future = tmp_path / "future.skmammo"
    with zipfile.ZipFile(model_file) as old, zipfile.ZipFile(future, "w") as new:
        header = json.loads(old.read("skmammo.json"))
        new.writestr("skmammo.json", json.dumps({**header, "format_version": 99}))
        new.writestr("model.joblib", old.read("model.joblib"))
    assert main(["scan", str(future), str(films), "--out", str(out)]) == 1
    assert "written by an incompatible version: model file format 99" in _error(capsys, "scan")
    assert not out.exists()


@pytest.mark.parametrize("case", ["unreadable", "empty", "small"])
def test_bad_films_are_one_line_errors_and_leave_no_folder(model_file, tmp_path, capsys, case):
    folder = tmp_path / "films"
    folder.mkdir()
    if case == "unreadable":
        cv2.imwrite(str(folder / "good.png"), np.zeros((256, 256), np.uint8))
        (folder / "bad.png").write_bytes(b"not an image")
        named = "bad.png"
    elif case == "small":  # 40 pixels of 0.8 mm: smaller than one 51.2-mm (64-pixel) window
        cv2.imwrite(str(folder / "tiny.png"), np.full((40, 40), 120, np.uint8))
        named = "film tiny (row 0): the film (40x40 pixels) is smaller than one 64-pixel window"
    else:
        named = "no PGM, PNG, TIFF or DICOM films in this folder"
    out = tmp_path / "out"
    assert main(["scan", str(model_file), str(folder), "--out", str(out)]) == 1
    assert named in _error(capsys, "scan")
    assert not out.exists()


def test_failed_scan_keeps_an_earlier_scan_intact(model_file, films, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["-q", "scan", str(model_file), str(films), "--out", str(out),
                 "--no-report"]) == 0
    before = (out / "film_scores.csv").read_text()
    assert main(["scan", str(model_file), str(tmp_path / "nowhere"), "--out", str(out)]) == 1
    _error(capsys, "scan")
    assert (out / "film_scores.csv").read_text() == before


def test_train_refuses_to_replace_a_model_and_bad_options(model_file, tmp_path, capsys):
    assert main(["train", *TRAIN, "--model", str(model_file)]) == 1
    assert "pass --force to replace it" in _error(capsys, "train")
    assert main(["train", "--mias", str(tmp_path), "--films", "3", "--model",
                 str(tmp_path / "m.skmammo")]) == 1
    assert "--films counts synthetic films" in _error(capsys, "train")
    assert main(["train", *TRAIN, "--model", str(tmp_path / "no" / "m.skmammo")]) == 1
    assert "in an existing folder" in _error(capsys, "train")
    assert list(tmp_path.iterdir()) == []


def test_scan_resamples_dicom_films_to_the_training_pixel_size(model_file, films, tmp_path):
    """DICOM films at 0.4 mm are read at the model's 0.8 mm: the scan of the PNG/PGM films."""
    from dicom_files import write_dicom

    fine = tmp_path / "fine"
    for path in sorted(films.iterdir()):
        image = cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (512, 512),
                           interpolation=cv2.INTER_LINEAR)
        write_dicom(fine / f"{path.stem}.dcm", image.astype(np.uint16) * 16, bits_stored=12,
                    window=(2040.0, 4080.0), voi_function="LINEAR_EXACT",
                    imager_spacing=(0.4, 0.4))
    for folder, out in ((films, tmp_path / "plain"), (fine, tmp_path / "dicom")):
        assert main(["-q", "scan", str(model_file), str(folder), "--out", str(out),
                     "--no-report"]) == 0
    plain, dicom = (pd.read_csv(tmp_path / name / "film_scores.csv") for name in ("plain", "dicom"))
    assert dicom["film"].tolist() == plain["film"].tolist()
    np.testing.assert_allclose(dicom[["normal", "benign", "malignant"]].to_numpy(),
                               plain[["normal", "benign", "malignant"]].to_numpy(), atol=0.02)
    plain, dicom = (pd.read_csv(tmp_path / name / "candidates.csv") for name in ("plain", "dicom"))
    assert dicom["x"].max() < 256 and dicom["y"].max() < 256  # pixels of the 0.8 mm films
    # ... and where a DICOM viewer shows them: the 0.4-mm file's own pixels
    assert (dicom["pixel_mm"] == 0.8).all() and (plain["pixel_mm"] == 0.8).all()
    np.testing.assert_allclose(dicom["x_file"], 2 * dicom["x"] + 0.5)
    np.testing.assert_allclose(dicom["y_file"], 2 * dicom["y"] + 0.5)
    assert "x_file" not in plain.columns
    # the same windows, scored alike: every window of the scans (which candidates a barely
    # trained model's near ties pick, the resampled pixels can change)
    from skmammo.scan import load_scan

    for a, b in zip(*(load_scan(tmp_path / name / "chunks").grids for name in ("plain", "dicom"))):
        np.testing.assert_allclose(b.x, a.x)
        np.testing.assert_allclose(b.y, a.y)
        np.testing.assert_allclose(b.probabilities, a.probabilities, atol=0.02)
    both = plain.merge(dicom, on=["film", "x", "y"], suffixes=("", "_dicom"), validate="1:1")
    assert len(plain) == len(dicom) and len(both) > 0
    np.testing.assert_allclose(both[["p_0", "p_1", "p_2"]].to_numpy(),
                               both[["p_0_dicom", "p_1_dicom", "p_2_dicom"]].to_numpy(),
                               atol=0.02)
