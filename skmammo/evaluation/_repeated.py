"""Repeated evaluation: the study's protocol or a patient-grouped one, with 95% intervals.

:func:`repeated_evaluation` trains and tests an estimator several times:
``protocol="study"`` (one stratified 70/15/15 split by sample, several
trainings with different seeds, as Balve & Hendrix 2024 did) or
``protocol="grouped"`` (patient-grouped, repeated stratified group k-fold with
Nadeau-Bengio intervals), and returns a :class:`RepeatedEvaluation` with the
per-run results as a DataFrame.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold

import skmammo
from skmammo.evaluation._calibration import SCORE_BOUNDS
from skmammo.evaluation._checkpoint import TrainingCheckpoints, run_trainings
from skmammo.evaluation._checks import _check_labels, _predict_proba
from skmammo.evaluation._confusion import confusion_scores
from skmammo.evaluation._intervals import score_summary
from skmammo.evaluation._metrics import evaluate_predictions
from skmammo.evaluation._recalibration import prediction_set_scores
from skmammo.evaluation._splits import train_validation_test_split
from skmammo.utils import TARGET_NAMES, run_identity

__all__ = ["RepeatedEvaluation", "repeated_evaluation"]

logger = logging.getLogger(__name__)

def _n_rows(X: Any) -> int:
    """Number of samples of a frame, an array or a list."""
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    """The samples at positions ``rows``: ``.iloc`` for frames, ``[]`` for arrays, a list otherwise."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "shape"):
        return X[rows]
    return [X[i] for i in rows]


@dataclass
class RepeatedEvaluation:
    """Results of :func:`repeated_evaluation`.

    Attributes
    ----------
    protocol : str
        ``"study"`` or ``"grouped"``.
    runs : DataFrame
        One row per training: ``run``, ``fold``, ``seed``, ``n_train``,
        ``n_test``, ``fit_seconds`` (wall time of the fit), the summary
        scores, per-class ``precision_<class>``, ``recall_<class>``,
        ``f1_<class>``, ``roc_auc_<class>``, the baseline's
        ``baseline_accuracy``, ``baseline_balanced_accuracy``,
        ``baseline_macro_f1`` and the calibration scores ``ece``,
        ``ece_<class>``, ``brier``, ``log_loss``
        (:func:`~skmammo.evaluation.calibration_scores`); for an estimator
        with ``predict_set`` (:class:`~skmammo.evaluation.HeldOutCalibration`)
        also the prediction sets' ``coverage``, ``coverage_<class>``,
        ``set_size`` and ``set_size_<class>``
        (:func:`~skmammo.evaluation.prediction_set_scores`).
    summary : DataFrame
        One row per score: ``mean``, ``std``, ``ci_low``, ``ci_high``
        (95% interval, see :func:`repeated_evaluation`, clipped to the
        score's range: [0, 1], the Brier score [0, 2], the log loss [0, inf),
        a mean set size [0, n_classes]).
    variants : dict of str to RepeatedEvaluation
        The same fitted models evaluated with each of ``repeated_evaluation``'s
        prediction-time ``variants`` (empty without).
    estimators : list or None
        The fitted estimators, one per row of ``runs``, with
        ``return_estimators=True``.
    confusion_mean, confusion_std : ndarray of shape (n_classes, n_classes)
        Mean and standard deviation of the confusion matrix (counts) over
        runs; for ``"grouped"`` over repeats, each repeat's matrix pooling its
        folds, so every sample is counted once per repeat.
    splits : list of (train, test) index arrays
        Row positions used by each row of ``runs``.
    target_names : list of str
    """

    protocol: str
    runs: pd.DataFrame
    summary: pd.DataFrame
    confusion_mean: np.ndarray
    confusion_std: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)
    target_names: list[str] = field(default_factory=lambda: list(TARGET_NAMES))
    variants: dict[str, RepeatedEvaluation] = field(default_factory=dict, repr=False)
    estimators: list | None = field(default=None, repr=False)

    def pooled_scores(self) -> dict[str, float]:
        """Scores of the mean confusion matrix, as the study computed its Tables 1-3.

        Accuracy, balanced accuracy, macro F1 and per-class precision, recall
        and F1 (keys ``f1_<class>`` ...) of ``confusion_mean``; they differ
        slightly from ``summary``'s means of per-run scores.
        """
        return confusion_scores(self.confusion_mean, target_names=self.target_names)

    def to_frame(self) -> pd.DataFrame:
        """The per-run results, one row per training (a copy of ``runs``)."""
        return self.runs.copy()


def _clone_with_seed(estimator, seed: int):
    """A clone with every ``random_state`` parameter (nested ones too) set to ``seed``."""
    est = clone(estimator)
    params = est.get_params(deep=True)
    updates = {name: seed for name in params if name == "random_state" or name.endswith("__random_state")}
    if updates:
        est.set_params(**updates)
    return est


def _fit_predict(estimator, X, y, train, test, seed: int, k: int, groups,
                 variants: dict[str, dict], keep: bool) -> tuple:
    """Fit on ``train``; the test probabilities as fitted, then with each variant's parameters.

    Returns ``(probabilities, fit seconds, estimator or None, prediction sets or None)``;
    the sets are the fitted estimator's ``predict_set`` of the test part, if it has one
    (:class:`~skmammo.evaluation.HeldOutCalibration`).
    """
    est = _clone_with_seed(estimator, seed)
    fit_params = {} if groups is None else {"groups": groups[train]}
    start = time.perf_counter()
    est.fit(_take_rows(X, train), y[train], **fit_params)
    seconds = time.perf_counter() - start
    X_test = _take_rows(X, test)
    probas = [_predict_proba(est, X_test, k)]
    for params in variants.values():
        target = getattr(est, "best_estimator_", est)  # a search CV predicts with its refit
        before = {name: target.get_params()[name] for name in params}
        target.set_params(**params)
        probas.append(_predict_proba(est, X_test, k))
        target.set_params(**before)  # variants apply one at a time, not cumulatively
    sets = est.predict_set(X_test) if hasattr(est, "predict_set") else None
    return probas, seconds, est if keep else None, sets


def repeated_evaluation(
    estimator,
    X: Any,
    y: Any,
    *,
    groups: Any | None = None,
    n_runs: int = 10,
    protocol: str | None = None,
    n_splits: int = 5,
    split_random_state: int = 44,
    random_state: int | np.random.RandomState | None = None,
    target_names: Sequence[str] | None = None,
    n_jobs: int | None = None,
    variants: dict[str, dict[str, Any]] | None = None,
    fit_groups: bool = False,
    return_estimators: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
    verbose: int = 0,
) -> RepeatedEvaluation:
    """Train and test an estimator several times: the study's protocol or a patient-grouped one.

    ``protocol="study"`` (Balve & Hendrix, 2024): one stratified 70/15/15
    split by sample (:func:`train_validation_test_split` with seed
    ``split_random_state=44``, i.e. :func:`skmammo.study.study_split`); the
    estimator is fitted ``n_runs`` times on the training and validation parts (85%; a
    :class:`~skmammo.models.MammoCNNClassifier` splits its own stratified
    validation part off for early stopping) with a different seed each time,
    and tested on the same 15%.  The spread reflects training randomness
    only: the test set never changes, and MIAS films of one patient may sit
    on both sides of the split.  The 95% interval is the t interval of the
    mean over runs, clipped to the score's range.

    ``protocol="grouped"``: ``n_runs`` repeats of
    :class:`~sklearn.model_selection.StratifiedGroupKFold` (``n_splits``
    folds, shuffled with a new seed per repeat) over ``groups`` (patients),
    so no patient is in both the training and the test part.  The 95%
    interval is the corrected resampled t interval of Nadeau & Bengio (2003):
    the variance of the ``n_runs * n_splits`` fold scores is inflated by
    ``1/J + n_test/n_train`` because the training sets overlap.  Every
    interval is clipped to its score's range (:func:`clip_interval`): [0, 1]
    for all but the Brier score ([0, 2]) and the log loss ([0, inf)).  Two models on the same folds compare with
    :func:`~skmammo.evaluation.paired_comparison`.

    Every ``random_state`` parameter of the estimator (nested ones too) is
    set to the run's seed, drawn from ``random_state``.

    Parameters
    ----------
    estimator : estimator
        Unfitted classifier or pipeline (cloned for every run).
    X : mammogram frame or array-like
        All samples.
    y : array-like of int
        Classes ``0..n_classes-1``.
    groups : array-like, optional
        Patient ids; required for ``protocol="grouped"``.
    n_runs : int, default=10
        Trainings (``"study"``) or repeats of the k-fold (``"grouped"``).
    protocol : {"study", "grouped"}, optional
        The evaluation split.  Not given, it is ``"study"`` with a
        ``FutureWarning``: the default changes to ``"grouped"`` in skmammo
        0.3, so pass it explicitly.
    n_splits : int, default=5
        Folds per repeat (``"grouped"``).
    split_random_state : int, default=44
        Seed of the study's split (``skmammo.study.STUDY_SPLIT_SEED``).
    random_state : int, RandomState or None
        Seed of the training seeds and of the fold shuffling.
    target_names : sequence of str, optional
        Class names (default ``normal, benign, malignant``).
    n_jobs : int, optional
        Trainings run in parallel with joblib (``-1``: all cores).
    variants : dict of str to dict, optional
        Prediction-time variants, each evaluated on the same fitted models:
        after the plain prediction, every fitted model gets the variant's
        parameters (``set_params``; on a search CV, on its
        ``best_estimator_``) and predicts the test part again.  E.g.
        ``{"tta": {"cnn__tta": True}}`` measures test-time augmentation
        without training twice.  Results in ``.variants[name]``.
    fit_groups : bool, default=False
        Pass the training rows' ``groups`` to ``fit`` as ``groups=``, for an
        estimator that splits by group inside (a ``GridSearchCV`` with a
        ``StratifiedGroupKFold`` tuning on the training part only).
    return_estimators : bool, default=False
        Keep the fitted estimators (``.estimators``, one per row of ``runs``).
    checkpoint_dir : str or path-like, optional
        Store every training's results there as it finishes (with
        ``return_estimators``, the fitted estimator too) and, rerun with the
        same arguments, train only what is missing: a long run survives an
        interruption.  A folder holding another run's checkpoints is refused
        (:class:`skmammo.utils.RunMismatchError`, naming what differs).
        Its identity includes skmammo's version, not its code: use a new
        folder after changing skmammo itself.
    verbose : int, default=0
        ``0`` silent, ``>= 1`` a progress bar over trainings.

    Returns
    -------
    RepeatedEvaluation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmammo.evaluation import repeated_evaluation
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1, 2], 40); X = y[:, None] + rng.normal(0, .5, (120, 1))
    >>> res = repeated_evaluation(LogisticRegression(), X, y, n_runs=3, protocol="study",
    ...                           random_state=0)
    >>> res.runs.shape[0], bool(res.summary.loc["accuracy", "mean"] > 0.8)
    (3, True)
    """
    from joblib import delayed

    if protocol is None:
        warnings.warn(
            "repeated_evaluation: the default protocol changes from 'study' to 'grouped' in "
            "skmammo 0.3; pass protocol= explicitly ('study' keeps today's numbers)",
            FutureWarning,
            stacklevel=2,
        )
        protocol = "study"
    names = list(target_names) if target_names is not None else list(TARGET_NAMES)
    k = len(names)
    y = _check_labels(y, k)
    n = len(y)
    if _n_rows(X) != n:
        raise ValueError(f"X has {_n_rows(X)} rows but y has {n}")
    if not isinstance(n_runs, (int, np.integer)) or n_runs < 1:
        raise ValueError(f"n_runs must be a positive integer, got {n_runs!r}")
    rng = random_state if isinstance(random_state, np.random.RandomState) else np.random.RandomState(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_runs)

    jobs: list[tuple[int, int, int, np.ndarray, np.ndarray]] = []  # run, fold, seed, train, test
    if protocol == "study":
        if groups is not None:
            logger.info("protocol='study' splits by sample and ignores groups (use protocol='grouped')")
        train, val, test = train_validation_test_split(y, random_state=split_random_state)
        fit_part = np.sort(np.concatenate([train, val]))
        for r, seed in enumerate(seeds):
            jobs.append((r, 0, int(seed), fit_part, np.sort(test)))
    elif protocol == "grouped":
        if groups is None:
            raise ValueError(
                "protocol='grouped' needs groups= (the patient id of every row, e.g. "
                "bunch.groups from load_mias)"
            )
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"groups has {len(groups)} entries but y has {n}")
        n_groups = len(np.unique(groups))
        if n_groups < n_splits:
            raise ValueError(
                f"{n_groups} distinct groups cannot make n_splits={n_splits} folds; "
                "lower n_splits"
            )
        for r, seed in enumerate(seeds):
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=int(seed))
            for f, (tr, te) in enumerate(cv.split(np.zeros(n), y, groups)):
                jobs.append((r, f, int(seed), tr, te))
    else:
        raise ValueError(f"protocol must be 'study' or 'grouped', got {protocol!r}")

    variants = {str(name): dict(params) for name, params in (variants or {}).items()}
    if fit_groups and groups is None:
        raise ValueError("fit_groups=True needs groups= (the patient id of every row)")
    fit_groups_ = np.asarray(groups) if fit_groups else None
    logger.info("repeated_evaluation: protocol=%s, %d trainings", protocol, len(jobs))
    checkpoints = None
    if checkpoint_dir is not None:
        identity = run_identity(
            estimator=estimator, X=X, y=y, groups=groups, protocol=protocol, jobs=jobs,
            target_names=names, variants=variants, fit_groups=bool(fit_groups),
            skmammo=skmammo.__version__)
        checkpoints = TrainingCheckpoints(checkpoint_dir, identity,
                                          keep_estimators=return_estimators)
    calls = [delayed(_fit_predict)(estimator, X, y, tr, te, seed, k, fit_groups_, variants,
                                   return_estimators) for _, _, seed, tr, te in jobs]
    done = run_trainings(calls, checkpoints, n_jobs=n_jobs, desc=f"{protocol} runs",
                         verbose=verbose)
    probas = [p for p, _, _, _ in done]
    seconds = [s for _, s, _, _ in done]
    sets = [s for _, _, _, s in done]
    result = _summarise(protocol, jobs, [p[0] for p in probas], y, names, seconds,
                        sets if all(s is not None for s in sets) else None)
    for v, name in enumerate(variants, start=1):
        result.variants[name] = _summarise(protocol, jobs, [p[v] for p in probas], y, names,
                                           seconds)
    if return_estimators:
        result.estimators = [est for _, _, est, _ in done]
    return result


def _summarise(protocol: str, jobs: list, probas: list[np.ndarray], y: np.ndarray,
               names: list[str], seconds: list[float],
               sets: list[np.ndarray] | None = None) -> RepeatedEvaluation:
    """Per-run scores, their summary with 95% intervals and the mean confusion matrix."""
    rows = []
    confusions: dict[int, np.ndarray] = {}
    for j, ((r, f, seed, tr, te), proba, fit_seconds) in enumerate(zip(jobs, probas, seconds)):
        ev = evaluate_predictions(y[te], proba, y_train=y[tr], target_names=names)
        row: dict[str, Any] = {"run": r, "fold": f, "seed": seed, "n_train": len(tr),
                               "n_test": len(te), "fit_seconds": fit_seconds}
        row.update(ev.scores)
        for metric in ("precision", "recall", "f1", "roc_auc"):
            for name in names:
                row[f"{metric}_{name}"] = float(ev.table.loc[name, metric])
        for metric in ("accuracy", "balanced_accuracy", "macro_f1"):
            row[f"baseline_{metric}"] = ev.baseline[metric]
        row.update(ev.calibration)
        if sets is not None:
            row.update(prediction_set_scores(y[te], sets[j], names))
        rows.append(row)
        confusions[r] = confusions.get(r, 0) + ev.confusion
    runs = pd.DataFrame(rows)

    metric_cols = [c for c in runs.columns
                   if c not in ("run", "fold", "seed", "n_train", "n_test", "fit_seconds")]
    ratio = float((runs["n_test"] / runs["n_train"]).mean()) if protocol == "grouped" else None
    set_sizes = {c: (0.0, float(len(names))) for c in metric_cols if c.startswith("set_size")}
    summary = score_summary(runs[metric_cols], grouped_ratio=ratio,
                            bounds={**SCORE_BOUNDS, **set_sizes})
    stack = np.stack([confusions[r] for r in sorted(confusions)]).astype(float)
    return RepeatedEvaluation(
        protocol=protocol,
        runs=runs,
        summary=summary,
        confusion_mean=stack.mean(axis=0),
        confusion_std=stack.std(axis=0, ddof=1) if len(stack) > 1 else np.zeros(stack.shape[1:]),
        splits=[(tr, te) for _, _, _, tr, te in jobs],
        target_names=names,
    )
