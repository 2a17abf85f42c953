"""HeldOutCalibration: recalibration and conformal sets on held-out patients."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skmammo.evaluation import (
    HeldOutCalibration,
    calibration_scores,
    prediction_set_table,
    repeated_evaluation,
    rows_needed,
)


def _blobs(n, seed, spread=1.6):
    """Three overlapping classes, two rows per patient."""
    rng = np.random.RandomState(seed)
    y = np.repeat(rng.choice(3, n // 2, p=[0.5, 0.3, 0.2]), 2)
    X = np.eye(3)[y] * 2 + rng.normal(0, spread, (n, 3))
    groups = np.repeat(np.arange(n // 2), 2) + seed * 100000
    return X, y, groups


class Overconfident(LogisticRegression):
    """A logistic regression whose logits are sharpened tenfold (badly calibrated).

    Both ``decision_function`` and ``predict_proba`` are sharpened: the
    recalibration reads the first when an estimator has it.
    """

    def decision_function(self, X):
        return super().decision_function(X) * 10

    def predict_proba(self, X):
        logits = self.decision_function(X)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def test_conformal_coverage_within_its_finite_sample_bound():
    # The guarantee is over calibration draws: average the coverage of 6 draws (other
    # calibration patients, other models) on one large test set.
    alpha, draws = 0.1, 6
    X, y, groups = _blobs(3000, 0)
    X_test, y_test, _ = _blobs(10000, 1)
    tables, n_cal = [], []
    for seed in range(draws):
        model = HeldOutCalibration(LogisticRegression(), calibration_fraction=0.5,
                                   confidence=1 - alpha, random_state=seed).fit(X, y, groups)
        n_cal.append(model.calibration_counts_)
        tables.append(prediction_set_table(y_test, model.predict_set(X_test), model.classes_))
    coverage = pd.concat([t["coverage"] for t in tables], axis=1).mean(axis=1)
    for c in (0, 1, 2):
        # 1 - alpha <= E coverage <= 1 - alpha + 1/(n+1) for n calibration rows of the
        # class; three standard errors for the finite draws and the finite test set
        n = min(counts[c] for counts in n_cal)
        n_test = int((y_test == c).sum())
        tol = 3 * np.sqrt(alpha * (1 - alpha) * (1 / (n * draws) + 1 / n_test))
        assert 1 - alpha - tol <= coverage[c] <= 1 - alpha + 1 / (n + 1) + tol
    assert 1 < tables[0].loc["all", "mean_size"] < 3  # informative sets on overlapping classes
    assert tables[0].loc["all", "n"] == len(y_test)
    # without the conformal step, the arg-max label alone covers far less than 90%
    assert (model.predict(X_test) == y_test).mean() < 0.85


def test_recalibration_lowers_the_ece_of_an_overconfident_model():
    X, y, groups = _blobs(3000, 2)
    model = HeldOutCalibration(Overconfident(), random_state=0).fit(X, y, groups)
    X_test, y_test, _ = _blobs(3000, 3)
    raw = calibration_scores(y_test, model.set_params(calibrated=False).predict_proba(X_test))
    cal = calibration_scores(y_test, model.set_params(calibrated=True).predict_proba(X_test))
    assert cal["ece"] < raw["ece"] / 2 and cal["log_loss"] < raw["log_loss"]
    described = model.describe()  # the tenfold sharpening is found again
    assert 7 < described["temperature"] < 13
    assert described["rows"] == sum(described["counts"].values()) == len(X) // 5
    assert described["patients"] == described["rows"] // 2 and described["too_few"] == []
    # temperature scaling keeps the predicted class
    np.testing.assert_array_equal(model.predict(X_test),
                                  model.estimator_.predict(X_test))


def test_few_calibration_rows_fall_back_to_the_full_set_visibly():
    X, y, groups = _blobs(120, 4)
    with pytest.warns(UserWarning, match="need at least 19 calibration rows per class"):
        model = HeldOutCalibration(LogisticRegression(), confidence=0.95,
                                   random_state=0).fit(X, y, groups)
    assert model.too_few_  # at 95%, 19 rows per class: 24 calibration rows cannot
    sets = model.predict_set(X)
    for label in model.too_few_:
        assert sets[:, list(model.classes_).index(label)].all()
    assert rows_needed(0.9) == 10 and rows_needed(0.95) == 19


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_rows_needed_is_where_crepes_can_first_leave_a_label_out(confidence):
    from crepes import ConformalClassifier

    def can_leave_out(n):  # a test score above every calibration score: the smallest p-value
        conformal = ConformalClassifier().fit(np.zeros(n), bins=np.zeros(n, int))
        sets = conformal.predict_set(np.ones((1, 1)), bins=np.zeros(1, int),
                                     confidence=confidence, smoothing=False)
        return not sets[0, 0]

    need = rows_needed(confidence)
    assert can_leave_out(need) and not can_leave_out(need - 1)


def test_bad_input_is_a_clear_error():
    X, y, groups = _blobs(200, 5)
    only_two = y != 2
    with pytest.raises(ValueError, match="fewer than 2 rows of class"):
        # class 2 is too rare to reach the calibration part
        keep = np.flatnonzero(only_two | (np.arange(len(y)) < 8))
        HeldOutCalibration(LogisticRegression(), random_state=0).fit(X[keep], y[keep],
                                                                     groups[keep])
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\)"):
        HeldOutCalibration(LogisticRegression(), confidence=90).fit(X, y, groups)
    with pytest.raises(ValueError, match="two patients"):
        HeldOutCalibration(LogisticRegression()).fit(X, y, np.zeros(len(y)))

    class Scores(LogisticRegression):
        def predict_proba(self, X):
            return self.decision_function(X)

    with pytest.raises(ValueError, match="outside \\[0, 1\\]|not 1"):
        HeldOutCalibration(Scores(), random_state=0).fit(X, y, groups)


def test_a_variant_compares_raw_and_recalibrated_on_the_same_folds(toy_frame):
    X, y, groups = toy_frame(60)
    features = X[["feature", "noise"]].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few calibration rows per fold
        res = repeated_evaluation(
            HeldOutCalibration(Overconfident(), random_state=0), features, y, groups=groups,
            protocol="grouped", n_runs=1, n_splits=3, random_state=0, fit_groups=True,
            variants={"raw": {"calibrated": False}})
    raw, cal = res.variants["raw"].runs, res.runs
    pd.testing.assert_series_equal(raw["accuracy"], cal["accuracy"])  # same predicted class
    assert (cal["log_loss"] < raw["log_loss"]).all()


def test_repeated_evaluation_reports_the_sets_coverage_per_fold_and_resumes_it(tmp_path):
    X, y, groups = _blobs(600, 3)
    kwargs = dict(groups=groups, protocol="grouped", n_runs=1, n_splits=3, random_state=0,
                  fit_groups=True, checkpoint_dir=tmp_path)
    res = repeated_evaluation(HeldOutCalibration(Overconfident(), random_state=0), X, y, **kwargs)
    # each fold's coverage, recomputed from a model fitted the same way on the same rows
    tr, te = res.splits[0]
    model = HeldOutCalibration(Overconfident(), random_state=int(res.runs["seed"][0]))
    sets = model.fit(X[tr], y[tr], groups[tr]).predict_set(X[te])
    table = prediction_set_table(y[te], sets, [0, 1, 2])
    assert res.runs.loc[0, "coverage"] == pytest.approx(table.loc["all", "coverage"])
    assert res.runs.loc[0, "set_size_benign"] == pytest.approx(table.loc[1, "mean_size"])
    summary = res.summary
    assert summary.loc["coverage", "mean"] >= 0.8
    assert 0 <= summary.loc["set_size", "ci_low"] <= summary.loc["set_size", "ci_high"] <= 3
    assert not res.variants  # no variant asked for
    again = repeated_evaluation(HeldOutCalibration(Overconfident(), random_state=0), X, y,
                                **kwargs)  # every training loaded from its checkpoint
    pd.testing.assert_frame_equal(again.runs.drop(columns="fit_seconds"),
                                  res.runs.drop(columns="fit_seconds"))


def test_a_calibrated_pipeline_pickles_and_predicts():
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    b = make_synthetic_mammograms(60, image_size=128, random_state=0)
    X, y = b.frame, np.asarray(b.target)
    pipe = make_pipeline(epochs=1, augment=False, balance=None, validation_fraction=0,
                         size=64, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = HeldOutCalibration(pipe, calibration_fraction=0.4, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(X.iloc[:5]), model.predict_proba(X.iloc[:5]),
                               atol=1e-6)
    np.testing.assert_array_equal(again.predict_set(X.iloc[:5]), model.predict_set(X.iloc[:5]))
    assert model.predict_proba(X.iloc[:5]).sum(axis=1) == pytest.approx(1.0)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_covered_ranks_are_the_ranks_crepes_keeps(confidence):
    from crepes import ConformalClassifier

    from skmammo.evaluation._conformal import covered_ranks

    for n in (5, 9, 10, 19, 20, 33):
        conformal = ConformalClassifier().fit(np.arange(n, dtype=float), bins=np.zeros(n, int))
        # a test score just below each calibration score, and above them all: every rank once
        scores = np.append(np.arange(n) - 0.5, n)
        sets = conformal.predict_set(scores[:, None], bins=np.zeros(n + 1, int),
                                     confidence=confidence, smoothing=False)
        assert sets[:, 0].sum() == covered_ranks(n, confidence), n


def test_the_conformal_band_holds_valid_sets_95_percent_of_the_time():
    """Exactly valid Mondrian sets (MIAS-like counts, five folds): outside the band ~5%."""
    from skmammo.evaluation import conformal_coverage_band
    from skmammo.evaluation._conformal import covered_ranks

    counts = [(34, 41), (11, 13), (10, 10)] * 5
    low, expected, high = conformal_coverage_band(0.9, counts)
    rng = np.random.default_rng(0)
    pooled = np.zeros(4000)
    for n, m in counts:
        k = covered_ranks(n, 0.9)
        # a test row is covered when its score is below the k-th smallest calibration score
        threshold = np.sort(rng.random((len(pooled), n)), axis=1)[:, k - 1]
        pooled += (rng.random((len(pooled), m)) < threshold[:, None]).sum(axis=1)
    pooled /= sum(m for _, m in counts)
    assert pooled.mean() == pytest.approx(expected, abs=0.002) and expected > 0.9
    outside = np.mean((pooled < low) | (pooled > high))
    assert 0.03 < outside < 0.075, outside
    # the binomial band around the level misjudges the same valid sets, mostly from above
    from skmammo.evaluation import coverage_band

    b_low, b_high = coverage_band(0.9, sum(m for _, m in counts))
    assert np.mean(pooled > b_high) > 0.15 and np.mean(pooled < b_low) < 0.05
