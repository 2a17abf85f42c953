"""skmammo.evaluation: metric tables, baselines, splits and repeated evaluation with real numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmammo.evaluation import (
    classification_table,
    confusion_scores,
    evaluate,
    evaluate_predictions,
    grouped_split,
    repeated_evaluation,
)
from skmammo.study import study_split

NAMES = ["normal", "benign", "malignant"]


def test_table_by_hand():
    # 10 samples worked out on paper
    y_true = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 0])
    ev = evaluate_predictions(y_true, y_pred=y_pred)
    t = ev.table
    assert list(t.index) == [*NAMES, "macro avg"]
    assert list(t.columns) == ["precision", "recall", "f1", "roc_auc", "support"]
    # normal: TP 4, FP 1 (a malignant), FN 1  -> P = R = 0.8
    assert t.loc["normal", "precision"] == pytest.approx(0.8)
    assert t.loc["normal", "recall"] == pytest.approx(0.8)
    # benign: TP 2, FP 1, FN 1 -> 2/3 ; malignant: TP 1, FP 1, FN 1 -> 1/2
    assert t.loc["benign", "f1"] == pytest.approx(2 / 3)
    assert t.loc["malignant", "recall"] == pytest.approx(0.5)
    assert t["support"].tolist() == [5, 3, 2, 10]
    assert ev.scores["accuracy"] == pytest.approx(0.7)
    assert ev.scores["balanced_accuracy"] == pytest.approx((0.8 + 2 / 3 + 0.5) / 3)
    assert ev.scores["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert np.isnan(ev.scores["macro_roc_auc"])  # no probabilities
    assert ev.confusion.tolist() == [[4, 1, 0], [0, 2, 1], [1, 0, 1]]
    np.testing.assert_allclose(ev.confusion_normalized.sum(axis=1), 1.0)
    assert ev.confusion_normalized[2, 0] == pytest.approx(0.5)
    # majority baseline: always "normal"
    assert ev.baseline_class == 0
    assert ev.baseline["accuracy"] == pytest.approx(0.5)
    assert ev.baseline["balanced_accuracy"] == pytest.approx(1 / 3)
    assert ev.baseline["macro_roc_auc"] == pytest.approx(0.5)
    assert ev.summary.loc["accuracy"].tolist() == pytest.approx([0.7, 0.5])


def test_auc_is_one_vs_rest_and_baseline_uses_training_labels():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, 60)
    proba = rng.dirichlet(np.ones(3), 60)
    proba[np.arange(60), y] += 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    ev = evaluate_predictions(y, proba, y_train=np.full(10, 2))
    for c, name in enumerate(NAMES):
        assert ev.table.loc[name, "roc_auc"] == pytest.approx(roc_auc_score(y == c, proba[:, c]))
    assert ev.table.loc["macro avg", "roc_auc"] == pytest.approx(ev.table["roc_auc"][:3].mean())
    assert ev.baseline_class == 2
    assert ev.baseline["accuracy"] == pytest.approx(np.mean(y == 2))
    d = ev.to_dict()
    assert d["baseline_class"] == "malignant" and d["per_class"]["benign"]["support"] == np.sum(y == 1)


def test_absent_class_gives_nan_auc_not_an_error():
    proba = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    t = classification_table([0, 1, 0], [0, 1, 0], proba)
    assert np.isnan(t.loc["malignant", "roc_auc"])
    assert t.loc["normal", "roc_auc"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_true": [0, 3], "y_pred": [0, 1]}, "holds class 3 at position 1"),
        ({"y_true": [0, 1], "y_proba": np.ones((2, 2))}, r"shape \(n_samples, n_classes\)"),
        ({"y_true": [0, 1]}, "give y_proba"),
        ({"y_true": ["a", "b"], "y_pred": [0, 1]}, "integer class indices"),
    ],
)
def test_errors_say_what_is_wrong(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        evaluate_predictions(**kwargs)


def test_evaluate_maps_probability_columns_to_class_indices():
    class OnlyTwo(ClassifierMixin, BaseEstimator):
        classes_ = np.array([0, 2])

        def predict_proba(self, X):
            return np.tile([0.3, 0.7], (len(X), 1))

    ev = evaluate(OnlyTwo(), np.zeros((4, 1)), [2, 2, 0, 1])
    assert ev.y_proba[0].tolist() == [0.3, 0.0, 0.7]
    assert ev.y_pred.tolist() == [2, 2, 2, 2]


# ----------------------------------------------------------------- repeated evaluation


def test_study_protocol_same_test_set_different_seeds(toy_frame):
    X, y, _ = toy_frame()

    class NoisyLR(LogisticRegression):
        """Logistic regression whose probabilities are jittered by its random_state."""

        def predict_proba(self, X):
            p = super().predict_proba(X) + np.random.RandomState(self.random_state).uniform(0, 0.3, (len(X), 3))
            return p / p.sum(axis=1, keepdims=True)

    pipe = make_pipeline(
        FunctionTransformer(lambda df: df[["feature", "noise"]].to_numpy()),
        NoisyLR(max_iter=500, random_state=0),
    )
    res = repeated_evaluation(pipe, X, y, n_runs=4, protocol="study", random_state=1)
    runs = res.runs
    assert len(runs) == 4 and res.protocol == "study"
    assert runs["n_test"].tolist() == [12] * 4 and runs["n_train"].tolist() == [68] * 4
    assert runs["seed"].nunique() == 4
    assert runs["macro_roc_auc"].nunique() == 4, "the run seed did not reach the nested random_state"
    tests = [te for _, te in res.splits]
    assert all(np.array_equal(tests[0], t) for t in tests)
    _, _, te = study_split(y)
    np.testing.assert_array_equal(tests[0], np.sort(te))
    assert not set(res.splits[0][0]) & set(res.splits[0][1])
    # numbers: each row is evaluate_predictions on that split, the summary their mean/std
    assert res.summary.loc["accuracy", "mean"] == pytest.approx(runs["accuracy"].mean())
    assert res.summary.loc["accuracy", "std"] == pytest.approx(runs["accuracy"].std(ddof=1))
    assert res.summary.loc["accuracy", "mean"] > 0.7
    assert res.summary.loc["accuracy", "mean"] > res.summary.loc["baseline_accuracy", "mean"]
    assert res.confusion_mean.sum() == pytest.approx(12)
    lo, hi = res.summary.loc["macro_f1", ["ci_low", "ci_high"]]
    assert lo <= res.summary.loc["macro_f1", "mean"] <= hi
    # deterministic
    again = repeated_evaluation(pipe, X, y, n_runs=4, protocol="study", random_state=1)
    pd.testing.assert_frame_equal(runs.drop(columns="fit_seconds"),
                                  again.runs.drop(columns="fit_seconds"))
    assert (runs["fit_seconds"] > 0).all() and "fit_seconds" not in res.summary.index


def test_grouped_protocol_keeps_patients_apart_and_matches_a_manual_fold(toy_frame, toy_pipe):
    X, y, groups = toy_frame()
    res = repeated_evaluation(
        toy_pipe(), X, y, groups=groups, protocol="grouped", n_runs=3, n_splits=4, random_state=0, n_jobs=2
    )
    runs = res.runs
    assert len(runs) == 12 and sorted(runs["fold"].unique()) == [0, 1, 2, 3]
    for (tr, te), (_, row) in zip(res.splits, runs.iterrows()):
        assert not set(groups[tr]) & set(groups[te]), "a patient is in train and test"
        assert len(tr) + len(te) == len(y) == row.n_train + row.n_test
    # every sample is tested exactly once per repeat
    for r in range(3):
        tested = np.concatenate([te for (tr, te), run in zip(res.splits, runs["run"]) if run == r])
        assert sorted(tested) == list(range(len(y)))
    assert res.confusion_mean.sum() == pytest.approx(len(y))
    # the first fold recomputed by hand
    tr, te = res.splits[0]
    model = toy_pipe().fit(X.iloc[tr], y[tr])
    manual = evaluate(model, X.iloc[te], y[te], y_train=y[tr])
    assert runs.loc[0, "accuracy"] == pytest.approx(manual.scores["accuracy"])
    assert runs.loc[0, "f1_malignant"] == pytest.approx(manual.table.loc["malignant", "f1"])
    # corrected t interval is wider than the naive one
    s = res.summary.loc["accuracy"]
    naive = 2.201 * s["std"] / np.sqrt(12)  # t(0.975, 11)
    assert (s["ci_high"] - s["mean"]) > naive
    assert s["ci_high"] - s["mean"] == pytest.approx(2.201 * s["std"] * np.sqrt(1 / 12 + 1 / 3), rel=0.05)


def test_grouped_needs_groups_and_protocol_is_checked(toy_frame, toy_pipe):
    X, y, groups = toy_frame(10)
    with pytest.raises(ValueError, match="needs groups="):
        repeated_evaluation(toy_pipe(), X, y, protocol="grouped")
    with pytest.raises(ValueError, match="'study' or 'grouped'"):
        repeated_evaluation(toy_pipe(), X, y, protocol="kfold")
    with pytest.raises(ValueError, match="X has 20 rows but y has 19"):
        repeated_evaluation(toy_pipe(), X, y[:-1], protocol="study")


def test_progress_bar_over_trainings_silenced_by_verbose_0(capsys, toy_frame, toy_pipe):
    X, y, _ = toy_frame(20)
    repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0, verbose=1)
    assert "study runs" in capsys.readouterr().err
    repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0, verbose=0)
    assert capsys.readouterr().err == ""
    repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0)
    assert capsys.readouterr().err == "", "verbose defaults to 0"


# ------------------------------------------------------ variants, groups, the study


class _Shifted(LogisticRegression):
    """Logistic regression with a prediction-time parameter: ``shift`` moves class 2's score."""

    def __init__(self, shift=0.0, max_iter=500):
        super().__init__(max_iter=max_iter)
        self.shift = shift

    def predict_proba(self, X):
        p = super().predict_proba(X)
        p[:, 2] += self.shift
        return p / p.sum(axis=1, keepdims=True)


def test_variants_rescore_the_same_fitted_models_one_at_a_time(toy_frame):
    X, y, groups = toy_frame()
    pipe = make_pipeline(FunctionTransformer(lambda df: df[["feature", "noise"]].to_numpy()),
                         _Shifted())
    res = repeated_evaluation(pipe, X, y, groups=groups, protocol="grouped", n_runs=1,
                              n_splits=4, random_state=0, return_estimators=True,
                              variants={"big": {"_shifted__shift": 5.0},
                                        "none": {"_shifted__shift": 0.0}})
    assert set(res.variants) == {"big", "none"}
    # "none" is applied after "big" was undone: it equals the plain evaluation
    pd.testing.assert_frame_equal(res.variants["none"].runs, res.runs)
    big = res.variants["big"]
    assert big.runs["recall_malignant"].min() == 1.0  # shift 5 predicts malignant everywhere
    assert big.runs["accuracy"].mean() < res.runs["accuracy"].mean()
    # the fitted models are kept, with their own parameters restored
    assert len(res.estimators) == 4
    assert all(est[-1].shift == 0.0 for est in res.estimators)
    _, test = res.splits[0]
    first = res.runs.iloc[0]
    assert first["accuracy"] == pytest.approx(
        np.mean(res.estimators[0].predict(X.iloc[test]) == y[test]))


def test_fit_groups_reaches_a_grouped_search_inside_the_training_part(toy_frame, toy_pipe):
    from sklearn.model_selection import GridSearchCV, GroupKFold

    X, y, groups = toy_frame()
    search = GridSearchCV(toy_pipe(), {"logisticregression__C": [0.01, 1.0]}, cv=GroupKFold(3))
    with pytest.raises(ValueError, match="groups"):  # GroupKFold refuses to split without them
        repeated_evaluation(search, X, y, groups=groups, protocol="grouped", n_runs=1,
                            n_splits=3, random_state=0, verbose=0)
    res = repeated_evaluation(search, X, y, groups=groups, protocol="grouped", n_runs=1,
                              n_splits=3, random_state=0, fit_groups=True,
                              return_estimators=True, verbose=0)
    for est, (train, _) in zip(res.estimators, res.splits):
        for inner_train, inner_test in GroupKFold(3).split(train, groups=groups[train]):
            assert not set(groups[train][inner_train]) & set(groups[train][inner_test])
        assert est.best_params_["logisticregression__C"] in (0.01, 1.0)
    with pytest.raises(ValueError, match="fit_groups=True needs groups"):
        repeated_evaluation(search, X, y, protocol="study", n_runs=1, fit_groups=True)


# ------------------------------------------------------------ the default protocol


def test_default_protocol_is_the_study_with_a_future_warning(toy_frame, toy_pipe):
    X, y, _ = toy_frame(20)
    with pytest.warns(FutureWarning, match=r"changes from 'study' to 'grouped' in skmammo 0\.3"):
        implicit = repeated_evaluation(toy_pipe(), X, y, n_runs=2, random_state=0)
    explicit = repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0)
    assert implicit.protocol == "study"
    pd.testing.assert_frame_equal(implicit.runs.drop(columns="fit_seconds"),
                                  explicit.runs.drop(columns="fit_seconds"))


@pytest.mark.parametrize("protocol", ["study", "grouped"])
def test_no_warning_when_the_protocol_is_given(protocol, recwarn, toy_frame, toy_pipe):
    X, y, groups = toy_frame(20)
    repeated_evaluation(toy_pipe(), X, y, groups=groups, n_runs=1, n_splits=2, protocol=protocol,
                        random_state=0)
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_arrays_and_lists_are_indexed_without_sklearn_private_helpers(toy_frame, toy_pipe):
    X, y, _ = toy_frame(20)
    features = X[["feature", "noise"]].to_numpy()
    lr = LogisticRegression(max_iter=500)
    on_array = repeated_evaluation(lr, features, y, n_runs=1, protocol="study", random_state=0)
    on_list = repeated_evaluation(lr, features.tolist(), y, n_runs=1, protocol="study",
                                  random_state=0)
    on_frame = repeated_evaluation(toy_pipe(), X, y, n_runs=1, protocol="study", random_state=0)
    pd.testing.assert_frame_equal(on_list.runs.drop(columns="fit_seconds"),
                                  on_array.runs.drop(columns="fit_seconds"))
    # the frame's pipeline scales the features first: the same predictions, other
    # probabilities, so everything but the calibration scores agrees
    calibration = ["fit_seconds", "brier", "log_loss"] + [c for c in on_array.runs
                                                           if c.startswith("ece")]
    pd.testing.assert_frame_equal(on_frame.runs.drop(columns=calibration),
                                  on_array.runs.drop(columns=calibration))
    pd.testing.assert_frame_equal(on_array.to_frame(), on_array.runs)


def test_evaluation_package_uses_no_private_sklearn_names():
    import re
    from pathlib import Path

    import skmammo.evaluation

    folder = Path(skmammo.evaluation.__file__).parent
    private = re.compile(r"sklearn(\.\w+)*\._\w+|from sklearn[\w.]* import[^\n]*\b_\w+")
    for path in sorted(folder.glob("*.py")):
        text = path.read_text()
        assert not private.search(text), f"{path.name} uses a private scikit-learn name"
        assert "_safe_indexing" not in text and "_num_samples" not in text, path.name


# ------------------------------------------------------------ splits and confusion scores


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


def test_confusion_scores_of_one_run_equal_the_per_sample_scores():
    y_true = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 0])
    ev = evaluate_predictions(y_true, y_pred=y_pred)
    s = confusion_scores(ev.confusion)
    for metric in ("accuracy", "balanced_accuracy", "macro_f1"):
        assert s[metric] == pytest.approx(ev.scores[metric])
    for name in NAMES:
        for metric in ("precision", "recall", "f1"):
            assert s[f"{metric}_{name}"] == pytest.approx(ev.table.loc[name, metric])
    with pytest.raises(ValueError, match="shape"):
        confusion_scores(np.eye(2))
    with pytest.raises(ValueError, match="non-negative"):
        confusion_scores(np.zeros((3, 3)))


def test_pooled_scores_are_the_confusion_scores_of_the_mean_matrix(toy_frame, toy_pipe):
    X, y, _ = toy_frame()
    res = repeated_evaluation(toy_pipe(), X, y, n_runs=2, protocol="study", random_state=0)
    assert res.pooled_scores() == confusion_scores(res.confusion_mean)


@pytest.mark.parametrize("module", ["_metrics", "_splits", "_repeated"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"skmammo.evaluation.{module}"))
    assert result.attempted > 0 and result.failed == 0


class _CountingLR(LogisticRegression):
    """A logistic regression that counts its fits and can fail at a given one (a power cut)."""

    fits = 0
    fail_at: int | None = None

    def fit(self, X, y):
        if _CountingLR.fail_at is not None and _CountingLR.fits == _CountingLR.fail_at:
            raise RuntimeError("power cut")
        _CountingLR.fits += 1
        return super().fit(X, y)


def test_checkpoints_resume_an_interrupted_run_to_the_same_results(toy_frame, tmp_path):
    from skmammo.utils import RunMismatchError

    X, y, groups = toy_frame(30)
    features = X[["feature", "noise"]].to_numpy()
    kwargs = dict(groups=groups, protocol="grouped", n_runs=2, n_splits=3, random_state=0,
                  variants={"strong": {"C": 0.01}})
    _CountingLR.fits, _CountingLR.fail_at = 0, None
    whole = repeated_evaluation(_CountingLR(max_iter=500), features, y, **kwargs)
    assert _CountingLR.fits == 6

    folder = tmp_path / "checkpoints"
    _CountingLR.fits, _CountingLR.fail_at = 0, 2
    with pytest.raises(RuntimeError, match="power cut"):
        repeated_evaluation(_CountingLR(max_iter=500), features, y, checkpoint_dir=folder,
                            **kwargs)
    assert len(list(folder.glob("training_*.npz"))) == 2

    _CountingLR.fits, _CountingLR.fail_at = 0, None
    resumed = repeated_evaluation(_CountingLR(max_iter=500), features, y,
                                  checkpoint_dir=folder, **kwargs)
    assert _CountingLR.fits == 4  # only the missing trainings
    for a, b in ((resumed, whole), (resumed.variants["strong"], whole.variants["strong"])):
        pd.testing.assert_frame_equal(a.runs.drop(columns="fit_seconds"),
                                      b.runs.drop(columns="fit_seconds"))
    again = repeated_evaluation(_CountingLR(max_iter=500), features, y, checkpoint_dir=folder,
                                **kwargs)
    assert _CountingLR.fits == 4
    pd.testing.assert_frame_equal(again.runs, resumed.runs)

    with pytest.raises(RunMismatchError, match="another run"):
        repeated_evaluation(_CountingLR(max_iter=500), features, y, checkpoint_dir=folder,
                            **{**kwargs, "random_state": 1})
    with pytest.raises(RunMismatchError, match="model"):
        repeated_evaluation(_CountingLR(max_iter=100), features, y, checkpoint_dir=folder,
                            **kwargs)


def test_checkpoints_keep_the_fitted_estimators(toy_frame, tmp_path):
    X, y, groups = toy_frame(20)
    features = X[["feature", "noise"]].to_numpy()
    kwargs = dict(groups=groups, protocol="grouped", n_runs=1, n_splits=2, random_state=0,
                  return_estimators=True, checkpoint_dir=tmp_path)
    first = repeated_evaluation(LogisticRegression(max_iter=500), features, y, **kwargs)
    again = repeated_evaluation(LogisticRegression(max_iter=500), features, y, **kwargs)
    assert len(again.estimators) == 2
    for a, b in zip(first.estimators, again.estimators):
        np.testing.assert_array_equal(a.predict_proba(features), b.predict_proba(features))
