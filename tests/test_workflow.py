"""The main job end to end (run_study, ``skmammo demo`` / ``run``) and its helpers."""

from __future__ import annotations

import numpy as np
import pytest

from skmammo.cli import main
from skmammo.datasets import make_synthetic_mammograms
from skmammo.workflow import pick_cases, run_study


def test_grouped_split_is_still_importable_from_the_workflow():
    from skmammo.evaluation import grouped_split
    from skmammo.workflow import grouped_split as from_workflow

    assert from_workflow is grouped_split


class _Stop(Exception):
    """Raised where run_study would start explaining: the test has what it came for."""


class _Constant:
    """A model that predicts the same probabilities for every row (fits in no time)."""

    classes_ = np.arange(3)

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.tile([0.6, 0.3, 0.1], (len(X), 1))


@pytest.fixture
def explainer_call(monkeypatch, tmp_path):
    """Run run_study up to its explainer comparison; return that call's keyword arguments."""
    import pandas as pd

    import skmammo.explain.metrics
    import skmammo.pipeline

    def run(**kwargs):
        seen = {}

        def stop(*args, **kw):
            seen.update(kw)
            raise _Stop

        monkeypatch.setattr(skmammo.explain.metrics, "compare_explainers", stop)
        monkeypatch.setattr(skmammo.pipeline, "make_pipeline", lambda **params: _Constant())
        X = pd.DataFrame({"a": np.arange(40)})
        y, groups = np.tile([0, 1, 2, 0], 10), np.repeat(np.arange(20), 2)
        with pytest.raises(_Stop):
            run_study(X, y, groups, tmp_path, n_cases=2, calibration=None, **kwargs)
        return seen

    return run


def test_run_study_seeds_are_absolute_and_default_to_random_state_and_the_next(explainer_call):
    """``seeds=None`` explains with ``(random_state, random_state + 1)``; given seeds are used as is."""
    assert list(explainer_call(random_state=7)["seeds"]) == [7, 8]
    assert list(explainer_call(random_state=7, seeds=(3, 11, 12))["seeds"]) == [3, 11, 12]


def test_the_workflow_explains_every_class_of_the_cases(explainer_call):
    """run_study asks for every class's map (target="all"), so misclassified cases show the true class."""
    params = explainer_call(method_params={"lime": {"n_samples": 50}})["method_params"]
    assert params == {"gradcam": {"target": "all"}, "hirescam": {"target": "all"},
                      "lime": {"n_samples": 50, "target": "all"}, "shap": {"target": "all"}}


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

    films = make_synthetic_mammograms(96, image_size=128, random_state=0)
    with pytest.warns(UserWarning, match="need at least 10 calibration rows per class"):
        result = run_study(
            films.data, films.target, films.groups, tmp_path,
            dataset="tiny synthetic set", data_description=films.DESCR,
            pipeline_params={"size": 48, "epochs": 2, "augment": False, "balance": None},
            n_cases=2,
            method_params={"lime": {"n_samples": 60}, "shap": {"n_samples": 60}},
            verbose=0,
        )
    assert result.paths is result["paths"]  # a Bunch: keys and attributes
    paths = result["paths"]
    assert paths["html"].is_file() and paths["pdf"].is_file()
    assert len(paths["cases"]) == 2 and all(p.suffix == ".pdf" and p.is_file() for p in paths["cases"])
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(paths["pdf"]).pages)
    scores = result["evaluation"].scores
    assert f"{scores['accuracy']:.3f}" in text  # three decimals, as every report table
    assert f"{scores['balanced_accuracy']:.3f}" in text
    assert set(result["explainer_table"].index) == {"gradcam", "hirescam", "lime", "shap",
                                                     "centre_prior", "random_map"}
    case = " ".join(p.extract_text() for p in pypdf.PdfReader(paths["cases"][0]).pages)
    assert "not a diagnosis" in case
    # recalibrated on held-out patients: the reported probabilities are the calibrated ones,
    # the case report shows its prediction set, the summary the coverage and the model card
    checked, model = result.calibration, result.calibrated
    assert result.pipeline is model.estimator_
    np.testing.assert_allclose(result.evaluation.y_proba, checked.calibrated.y_proba)
    assert checked.calibration["too_few"]  # a handful of calibration rows: the fallback, said
    assert "Prediction set at 90%" in " ".join(case.split())
    assert "Too few calibration rows of" in " ".join(case.split())
    flat = " ".join(text.split())
    assert "Prediction sets" in flat and "Model card" in flat and "Known limitations" in flat
    assert "temperature scaling" in flat
    # the gradient CAMs' maps of the cases get the randomisation test, in the summary
    assert set(result.sanity) == {"gradcam", "hirescam"}
    assert "Sanity check: do the maps depend on the model?" in flat


def test_run_study_refuses_a_foreign_folder_before_any_work(tmp_path, monkeypatch):
    import skmammo.pipeline

    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr(skmammo.pipeline, "make_pipeline",
                        lambda **_: pytest.fail("trained although the folder is refused"))
    films = make_synthetic_mammograms(8, image_size=64, random_state=0)
    with pytest.raises(FileExistsError, match="not made by skmammo"):
        run_study(films.data, films.target, films.groups, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
