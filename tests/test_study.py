"""skmammo.study: the numbers, split, pipeline settings and comparison of Balve & Hendrix (2024)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from skmammo.evaluation import (
    confusion_scores,
    repeated_evaluation,
    train_validation_test_split,
)
from skmammo.study import (
    STUDY_PIPELINE_PARAMS,
    STUDY_RESULTS,
    STUDY_SPLIT_SEED,
    compare_with_study,
    make_study_pipeline,
    study_split,
)


def test_study_split_sizes_are_the_studys():
    y = np.repeat([0, 1, 2], [207, 69, 46])  # the MIAS class counts of the study (322 films)
    tr, va, te = study_split(y)
    assert (len(tr), len(va), len(te)) == (225, 48, 49)
    assert len(np.unique(np.concatenate([tr, va, te]))) == len(y)
    # stratified: class proportions kept within one sample
    for part in (tr, va, te):
        counts = np.bincount(y[part], minlength=3)
        np.testing.assert_allclose(counts / len(part), [207 / 322, 69 / 322, 46 / 322], atol=1.5 / len(part))




def test_confusion_scores_recover_the_studys_published_numbers():
    s = confusion_scores(STUDY_RESULTS["confusion_mean"])
    assert s["accuracy"] == pytest.approx(0.775)
    assert s["balanced_accuracy"] == pytest.approx(0.659, abs=5e-4)
    assert s["macro_f1"] == pytest.approx(0.651, abs=5e-4)
    assert s["recall_malignant"] == pytest.approx(0.475)
    np.testing.assert_allclose([s[f"f1_{c}"] for c in ("normal", "benign", "malignant")],
                               [0.93, 0.58, 0.44], atol=0.005)


def test_the_studys_split_is_the_three_way_split_with_the_studys_seed():
    y = np.repeat([0, 1, 2], [207, 69, 46])
    for ours, generic in zip(study_split(y),
                             train_validation_test_split(y, random_state=STUDY_SPLIT_SEED)):
        np.testing.assert_array_equal(ours, generic)
    # repeated_evaluation's study protocol defaults to the same seed
    default = inspect.signature(repeated_evaluation).parameters["split_random_state"].default
    assert default == STUDY_SPLIT_SEED == 44


def test_study_pipeline_settings_are_read_only_and_reach_make_pipeline():
    assert dict(STUDY_PIPELINE_PARAMS) == {"mode": "study", "class_weight": {0: 1, 1: 2, 2: 3},
                                           "validation_groups": False}
    with pytest.raises(TypeError):
        STUDY_PIPELINE_PARAMS["mode"] = "native"
    pipe = make_study_pipeline(epochs=3, random_state=5)
    params = pipe.get_params()
    assert params["cnn__class_weight"] == {0: 1, 1: 2, 2: 3}
    assert params["cnn__epochs"] == 3 and params["cnn__random_state"] == 5
    params["cnn__class_weight"][0] = 9  # the pipeline's copy, not the constant
    assert STUDY_PIPELINE_PARAMS["class_weight"][0] == 1
    assert make_study_pipeline(class_weight=None).get_params()["cnn__class_weight"] is None


def test_compare_with_study_scores_the_studys_confusion_matrix_as_the_study_did(toy_frame, toy_pipe):
    X, y, _ = toy_frame()
    res = repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0)
    tables = compare_with_study(res)
    summary, per_class = tables["summary"], tables["per_class"]
    # the study's published numbers follow from its mean confusion matrix
    assert summary.loc["accuracy", "study"] == pytest.approx(0.775)
    assert summary.loc["balanced_accuracy", "study"] == pytest.approx(0.659, abs=5e-4)
    assert summary.loc["macro_f1", "study"] == pytest.approx(0.651, abs=5e-4)
    assert summary.loc["recall_malignant", "study"] == pytest.approx(0.475)
    np.testing.assert_allclose(per_class[("f1", "study")], [0.93, 0.58, 0.44], atol=0.005)
    assert per_class[("roc_auc", "study")].tolist() == list(STUDY_RESULTS["roc_auc"])
    # ours: from our mean confusion matrix, next to the mean of the runs
    cm = res.confusion_mean
    assert summary.loc["accuracy", "ours"] == pytest.approx(np.trace(cm) / cm.sum())
    assert summary.loc["accuracy", "ours mean"] == pytest.approx(res.runs["accuracy"].mean())
    assert summary.loc["accuracy", "within study spread"] == (
        abs(np.trace(cm) / cm.sum() - 0.775) <= 0.05)
    assert tables["confusion"]["ours"].to_numpy().tolist() == cm.tolist()


def test_docstring_examples_run():
    import doctest

    import skmammo.study

    result = doctest.testmod(skmammo.study)
    assert result.attempted > 0 and result.failed == 0
