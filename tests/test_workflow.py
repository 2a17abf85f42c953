"""The main job end to end (run_study, ``skmammo demo`` / ``run``) and its helpers."""

from __future__ import annotations

import numpy as np
import pytest

from skmammo.cli import main
from skmammo.workflow import grouped_split, pick_cases


def test_grouped_split_keeps_patients_apart_and_classes_balanced():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(100), 2)
    y = rng.integers(0, 3, size=200)
    train, test = grouped_split(y, groups, test_size=0.25, random_state=1)
    assert set(groups[train]).isdisjoint(groups[test])
    assert len(train) + len(test) == 200
    assert 0.2 < len(test) / 200 < 0.3
    for label in range(3):
        share = np.mean(y[test] == label) - np.mean(y == label)
        assert abs(share) < 0.08
    with pytest.raises(ValueError, match="test_size"):
        grouped_split(y, groups, test_size=1.5)


def test_pick_cases_covers_every_class_mistakes_first():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 0, 2, 1, 1, 2, 0, 2])
    chosen = pick_cases(y_true, y_pred, 4)
    assert chosen.tolist() == [2, 3, 6, 0]
    assert len(pick_cases(y_true, y_pred, 50)) == 8


def test_run_errors_are_one_line(tmp_path, capsys):
    status = main(["run", "--mias", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "missing" in err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status = main(["demo", "--out", str(blocker)])
    err = capsys.readouterr().err
    assert status == 1 and "is not a folder" in err


@pytest.mark.slow
def test_demo_writes_reports_whose_numbers_are_the_evaluations(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.workflow import run_study

    films = make_synthetic_mammograms(48, image_size=128, random_state=0)
    result = run_study(
        films.data, films.target, films.groups, tmp_path,
        dataset="tiny synthetic set",
        pipeline_params={"size": 48, "epochs": 2, "augment": False, "balance": None},
        n_cases=2,
        method_params={"lime": {"num_samples": 60}, "shap": {"nsamples": 60}},
        verbose=0,
    )
    paths = result["paths"]
    assert paths["html"].is_file() and paths["pdf"].is_file()
    assert len(paths["cases"]) == 2 and all(p.suffix == ".pdf" and p.is_file() for p in paths["cases"])
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(paths["pdf"]).pages)
    scores = result["evaluation"].scores
    assert f"{scores['accuracy']:.2f}" in text
    assert f"{scores['balanced_accuracy']:.2f}" in text
    assert set(result["explainer_table"].index) == {"gradcam", "lime", "shap"}
    case = " ".join(p.extract_text() for p in pypdf.PdfReader(paths["cases"][0]).pages)
    assert "not a diagnosis" in case
