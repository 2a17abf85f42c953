"""Metric tables, majority-class baselines and repeated evaluation.

- :func:`evaluate` / :func:`evaluate_predictions`: one test set, the study's
  Tables 1 and 2 (per class precision, recall, F1, one-vs-rest ROC AUC and
  support, with macro averages, accuracy and balanced accuracy), a
  majority-class baseline beside it, and the confusion matrix in counts and
  row-normalised;
- :func:`repeated_evaluation`: the study's protocol (one stratified 70/15/15
  split, several trainings with different seeds) or the honest one
  (patient-grouped, repeated stratified group k-fold with 95% intervals), with
  the per-run results as a DataFrame.

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

__all__ = [
    "Evaluation",
    "RepeatedEvaluation",
    "classification_table",
    "evaluate",
    "evaluate_predictions",
    "STUDY_RESULTS",
    "compare_with_study",
    "repeated_evaluation",
    "study_split",
]

DEFAULT_TARGET_NAMES: tuple[str, ...] = ("normal", "benign", "malignant")

#: Metrics of the model-versus-baseline table, in display order.
SUMMARY_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "macro_roc_auc",
)

#: What Balve & Hendrix (2024) report on their 48 test films: the mean
#: confusion matrix of their 10 runs (rows true, columns predicted: normal,
#: benign, malignant), from which their Tables 1-3 are computed; the
#: one-vs-rest ROC AUCs of one run; the spread (standard deviation) of their
#: 10 runs; their majority-class baseline.
STUDY_RESULTS: dict[str, Any] = {
    "confusion_mean": ((28.0, 1.2, 1.8), (0.0, 5.4, 3.6), (1.2, 3.0, 3.8)),
    "roc_auc": (0.98, 0.90, 0.83),
    "std": {"accuracy": 0.05, "balanced_accuracy": 0.07},
    "baseline_accuracy": 0.65,
}

# --------------------------------------------------------------------------- helpers


def _check_labels(y: Any, n_classes: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty; evaluation needs at least one sample")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(int)
        else:
            raise TypeError(
                f"{name} must hold integer class indices 0..{n_classes - 1} "
                f"(0 normal, 1 benign, 2 malignant), got dtype {y.dtype}"
            )
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        raise ValueError(
            f"{name} holds class {y[bad][0]} at position {int(np.flatnonzero(bad)[0])}; "
            f"expected 0..{n_classes - 1} for target_names of length {n_classes}"
        )
    return y.astype(int)


def _ovr_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """One-vs-rest ROC AUC of one class, NaN when the test set lacks either side."""
    positives = y_true.astype(bool)
    if positives.all() or not positives.any():
        return float("nan")
    return float(roc_auc_score(positives, scores))


def _scores(y_true: np.ndarray, y_pred: np.ndarray, y_proba: np.ndarray | None, k: int) -> dict:
    labels = np.arange(k)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0.0
    )
    auc = (
        np.array([_ovr_auc(y_true == c, y_proba[:, c]) for c in labels])
        if y_proba is not None
        else np.full(k, np.nan)
    )
    present = s > 0
    return {
        "precision": p,
        "recall": r,
        "f1": f,
        "roc_auc": auc,
        "support": s,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # sklearn's balanced accuracy: mean recall over the classes present in y_true
        "balanced_accuracy": float(np.mean(r[present])),
        "macro_precision": float(np.mean(p)),
        "macro_recall": float(np.mean(r)),
        "macro_f1": float(np.mean(f)),
        "macro_roc_auc": float(np.nanmean(auc)) if np.isfinite(auc).any() else float("nan"),
    }


def classification_table(
    y_true: Any,
    y_pred: Any,
    y_proba: Any | None = None,
    *,
    target_names: Sequence[str] = DEFAULT_TARGET_NAMES,
) -> pd.DataFrame:
    """Per-class precision, recall, F1, one-vs-rest ROC AUC and support.

    The layout of the study's Tables 1 and 2: one row per class and a
    ``"macro avg"`` row (unweighted mean over classes; its support is the
    number of samples).  ROC AUC is NaN for a class absent from ``y_true``
    or when ``y_proba`` is not given.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        True and predicted class indices.
    y_proba : array-like of shape (n, n_classes), optional
        Predicted class probabilities (for ROC AUC).
    target_names : sequence of str
        Class names, index ``i`` naming class ``i``.

    Returns
    -------
    DataFrame
        Index: the class names and ``"macro avg"``; columns ``precision``,
        ``recall``, ``f1``, ``roc_auc``, ``support``.

    Examples
    --------
    >>> from skmammo.evaluation import classification_table
    >>> t = classification_table([0, 0, 1, 2], [0, 0, 1, 1])
    >>> t.loc["benign", "precision"], int(t.loc["macro avg", "support"])
    (np.float64(0.5), 4)
    """
    k = len(target_names)
    y_true = _check_labels(y_true, k, "y_true")
    y_pred = _check_labels(y_pred, k, "y_pred")
    proba = None if y_proba is None else _check_proba(y_proba, len(y_true), k)
    s = _scores(y_true, y_pred, proba, k)
    table = pd.DataFrame(
        {c: s[c] for c in ("precision", "recall", "f1", "roc_auc", "support")},
        index=pd.Index(list(target_names), name="class"),
    )
    table.loc["macro avg"] = [
        s["macro_precision"],
        s["macro_recall"],
        s["macro_f1"],
        s["macro_roc_auc"],
        len(y_true),
    ]
    table["support"] = table["support"].astype(int)
    return table


def _check_proba(y_proba: Any, n: int, k: int) -> np.ndarray:
    proba = np.asarray(y_proba, dtype=float)
    if proba.shape != (n, k):
        raise ValueError(
            f"y_proba must have shape (n_samples, n_classes) = {(n, k)}, got {proba.shape}"
        )
    if not np.isfinite(proba).all():
        raise ValueError("y_proba holds NaN or infinite values")
    return proba


# --------------------------------------------------------------------------- one test set


@dataclass
class Evaluation:
    """The metrics of one model on one test set, next to a majority baseline.

    Returned by :func:`evaluate` and :func:`evaluate_predictions`; the report
    (:class:`skmammo.reporting.ReportBuilder`) prints these numbers as they are.

    Attributes
    ----------
    y_true, y_pred : ndarray of int, shape (n,)
        True and predicted classes.
    y_proba : ndarray of shape (n, n_classes) or None
        Predicted probabilities.
    target_names : list of str
        Class names.
    table : DataFrame
        :func:`classification_table` of the model.
    scores : dict of str to float
        ``accuracy``, ``balanced_accuracy``, ``macro_precision``,
        ``macro_recall``, ``macro_f1``, ``macro_roc_auc``.
    baseline : dict of str to float
        The same scores for a classifier that always predicts
        ``baseline_class`` (constant scores, so its ROC AUC is 0.5).
    baseline_class : int
        The majority class of the training labels (of ``y_true`` when no
        training labels were given).
    confusion : ndarray of int, shape (n_classes, n_classes)
        Counts; rows are true classes, columns predicted classes.
    confusion_normalized : ndarray of float
        ``confusion`` divided by its row sums (rows of absent classes are 0).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    target_names: list[str]
    table: pd.DataFrame
    scores: dict[str, float]
    baseline: dict[str, float]
    baseline_class: int
    confusion: np.ndarray
    confusion_normalized: np.ndarray

    @property
    def summary(self) -> pd.DataFrame:
        """Model versus majority baseline: one row per score in :data:`SUMMARY_METRICS`."""
        return pd.DataFrame(
            {
                "model": [self.scores[m] for m in SUMMARY_METRICS],
                "majority baseline": [self.baseline[m] for m in SUMMARY_METRICS],
            },
            index=pd.Index(list(SUMMARY_METRICS), name="metric"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable numbers (NaN becomes None)."""

        def clean(v):
            v = float(v)
            return None if math.isnan(v) else v

        return {
            "n_samples": int(len(self.y_true)),
            "target_names": list(self.target_names),
            "scores": {k: clean(v) for k, v in self.scores.items()},
            "baseline": {k: clean(v) for k, v in self.baseline.items()},
            "baseline_class": self.target_names[self.baseline_class],
            "per_class": {
                str(name): {col: clean(row[col]) for col in self.table.columns}
                for name, row in self.table.iterrows()
            },
            "confusion": self.confusion.tolist(),
        }


def _row_normalize(cm: np.ndarray) -> np.ndarray:
    rows = cm.sum(axis=1, keepdims=True).astype(float)
    return np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)


def evaluate_predictions(
    y_true: Any,
    y_proba: Any | None = None,
    *,
    y_pred: Any | None = None,
    y_train: Any | None = None,
    target_names: Sequence[str] = DEFAULT_TARGET_NAMES,
) -> Evaluation:
    """Evaluate predictions already made: metric table, baseline, confusion matrices.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        True classes (``0 normal, 1 benign, 2 malignant``).
    y_proba : array-like of shape (n, n_classes), optional
        Predicted probabilities; ``y_pred`` defaults to their argmax.
    y_pred : array-like of int, optional
        Predicted classes, when there are no probabilities (ROC AUC is then NaN).
    y_train : array-like of int, optional
        Training labels; their most frequent class is the baseline's constant
        prediction (default: the most frequent class of ``y_true``).
    target_names : sequence of str
        Class names.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.evaluation import evaluate_predictions
    >>> proba = np.array([[.8, .1, .1], [.6, .3, .1], [.2, .7, .1], [.1, .6, .3]])
    >>> ev = evaluate_predictions([0, 0, 1, 2], proba)
    >>> ev.scores["accuracy"], ev.baseline["accuracy"], ev.confusion.tolist()
    (0.75, 0.5, [[2, 0, 0], [0, 1, 0], [0, 1, 0]])
    """
    k = len(target_names)
    y_true = _check_labels(y_true, k, "y_true")
    proba = None if y_proba is None else _check_proba(y_proba, len(y_true), k)
    if y_pred is None:
        if proba is None:
            raise ValueError("give y_proba (predicted probabilities) or y_pred (predicted classes)")
        y_pred = proba.argmax(axis=1)
    y_pred = _check_labels(y_pred, k, "y_pred")
    if len(y_pred) != len(y_true):
        raise ValueError(f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}")
    reference = y_true if y_train is None else _check_labels(y_train, k, "y_train")
    majority = int(np.bincount(reference, minlength=k).argmax())
    s = _scores(y_true, y_pred, proba, k)
    constant = np.full(len(y_true), majority)
    b = _scores(y_true, constant, np.tile(np.eye(k)[majority], (len(y_true), 1)), k)
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(k))
    return Evaluation(
        y_true=y_true,
        y_pred=y_pred,
        y_proba=proba,
        target_names=list(target_names),
        table=classification_table(y_true, y_pred, proba, target_names=target_names),
        scores={m: s[m] for m in SUMMARY_METRICS},
        baseline={m: b[m] for m in SUMMARY_METRICS},
        baseline_class=majority,
        confusion=cm,
        confusion_normalized=_row_normalize(cm),
    )


def _predict_proba(estimator, X, k: int) -> np.ndarray:
    """``predict_proba`` with its columns placed at the class indices ``0..k-1``."""
    classes = np.asarray(getattr(estimator, "classes_", np.arange(k)))
    if hasattr(estimator, "predict_proba"):
        raw = np.asarray(estimator.predict_proba(X), dtype=float)
    else:
        pred = np.asarray(estimator.predict(X))
        raw = (pred[:, None] == classes[None, :]).astype(float)
    out = np.zeros((raw.shape[0], k))
    out[:, classes.astype(int)] = raw
    return out


def evaluate(
    estimator,
    X: Any,
    y: Any,
    *,
    y_train: Any | None = None,
    target_names: Sequence[str] | None = None,
) -> Evaluation:
    """Evaluate a fitted classifier (or :class:`~skmammo.pipeline.MammoPipeline`) on a test set.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict_proba`` (or ``predict``) and ``classes_``.
    X : mammogram frame or array-like
        Test samples, as the estimator takes them.
    y : array-like of int
        Their true classes.
    y_train : array-like of int, optional
        The training labels, for the majority-class baseline.
    target_names : sequence of str, optional
        Class names (default: ``normal, benign, malignant``).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmammo.evaluation import evaluate
    >>> X = np.array([[0.], [1.], [2.], [3.], [4.], [5.]]); y = np.array([0, 0, 1, 1, 2, 2])
    >>> ev = evaluate(LogisticRegression().fit(X, y), X, y)
    >>> round(ev.scores["accuracy"], 2), ev.table.shape
    (1.0, (4, 5))
    """
    names = list(target_names) if target_names is not None else list(DEFAULT_TARGET_NAMES)
    proba = _predict_proba(estimator, X, len(names))
    return evaluate_predictions(y, proba, y_train=y_train, target_names=names)


# --------------------------------------------------------------------------- repeated runs


def study_split(
    y: Any, *, test_size: float = 0.30, random_state: int = 44
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The study's stratified 70/15/15 split into train, validation and test indices.

    ``train_test_split(test_size=0.30, stratify=y, random_state=44)``, then the
    held-out 30% halved the same way (first half validation, second test).

    Parameters
    ----------
    y : array-like of shape (n,)
        Class labels (stratification).
    test_size : float, default=0.30
        Fraction held out for validation + test.
    random_state : int, default=44
        The study's seed.

    Returns
    -------
    train, validation, test : ndarray of int
        Row positions.

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.evaluation import study_split
    >>> tr, va, te = study_split(np.repeat([0, 1, 2], [60, 20, 20]))
    >>> len(tr), len(va), len(te)
    (70, 15, 15)
    """
    y = np.asarray(y)
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=test_size, stratify=y, random_state=random_state)
    val, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=random_state)
    return train, val, test


@dataclass
class RepeatedEvaluation:
    """Results of :func:`repeated_evaluation`.

    Attributes
    ----------
    protocol : str
        ``"study"`` or ``"grouped"``.
    runs : DataFrame
        One row per training: ``run``, ``fold``, ``seed``, ``n_train``,
        ``n_test``, ``fit_seconds`` (wall time of the fit), the summary scores, per-class ``precision_<class>``,
        ``recall_<class>``, ``f1_<class>``, ``roc_auc_<class>`` and the
        baseline's ``baseline_accuracy``, ``baseline_balanced_accuracy``,
        ``baseline_macro_f1``.
    summary : DataFrame
        One row per score: ``mean``, ``std``, ``ci_low``, ``ci_high``
        (95% interval, see :func:`repeated_evaluation`).
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
    target_names: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_NAMES))
    variants: dict[str, RepeatedEvaluation] = field(default_factory=dict, repr=False)
    estimators: list | None = field(default=None, repr=False)

    def pooled_scores(self) -> dict[str, float]:
        """Scores of the mean confusion matrix, as the study computed its Tables 1-3.

        Accuracy, balanced accuracy, macro F1 and per-class precision, recall
        and F1 (keys ``f1_<class>`` ...) of ``confusion_mean``; they differ
        slightly from ``summary``'s means of per-run scores.
        """
        cm = np.asarray(self.confusion_mean, dtype=float)
        diag = np.diag(cm)
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = np.where(cm.sum(1) > 0, diag / cm.sum(1), np.nan)
            precision = np.where(cm.sum(0) > 0, diag / cm.sum(0), 0.0)
            denom = precision + recall
            f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
        scores = {
            "accuracy": float(diag.sum() / cm.sum()),
            "balanced_accuracy": float(np.nanmean(recall)),
            "macro_f1": float(np.mean(f1)),
        }
        for i, name in enumerate(self.target_names):
            scores[f"precision_{name}"] = float(precision[i])
            scores[f"recall_{name}"] = float(recall[i])
            scores[f"f1_{name}"] = float(f1[i])
        return scores


def _seeded(estimator, seed: int):
    """A clone with every ``random_state`` parameter (nested ones too) set to ``seed``."""
    est = clone(estimator)
    params = est.get_params(deep=True)
    updates = {name: seed for name in params if name == "random_state" or name.endswith("__random_state")}
    if updates:
        est.set_params(**updates)
    return est


def _fit_predict(estimator, X, y, train, test, seed: int, k: int, groups,
                 variants: dict[str, dict], keep: bool) -> tuple[list[np.ndarray], Any]:
    """Fit on ``train``; the test probabilities as fitted, then with each variant's parameters."""
    est = _seeded(estimator, seed)
    fit_params = {} if groups is None else {"groups": groups[train]}
    start = time.perf_counter()
    est.fit(_safe_indexing(X, train), y[train], **fit_params)
    seconds = time.perf_counter() - start
    X_test = _safe_indexing(X, test)
    probas = [_predict_proba(est, X_test, k)]
    for params in variants.values():
        target = getattr(est, "best_estimator_", est)  # a search CV predicts with its refit
        before = {name: target.get_params()[name] for name in params}
        target.set_params(**params)
        probas.append(_predict_proba(est, X_test, k))
        target.set_params(**before)  # variants apply one at a time, not cumulatively
    return probas, seconds, est if keep else None


def _t_quantile(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def repeated_evaluation(
    pipeline,
    X: Any,
    y: Any,
    *,
    groups: Any | None = None,
    n_runs: int = 10,
    protocol: str = "study",
    n_splits: int = 5,
    split_random_state: int = 44,
    random_state: int | np.random.RandomState | None = None,
    target_names: Sequence[str] | None = None,
    n_jobs: int | None = None,
    variants: dict[str, dict[str, Any]] | None = None,
    fit_groups: bool = False,
    return_estimators: bool = False,
    verbose: int = 1,
) -> RepeatedEvaluation:
    """Train and test a pipeline several times: the study's protocol or a patient-grouped one.

    ``protocol="study"`` (Balve & Hendrix, 2024): one stratified 70/15/15
    split (:func:`study_split`, seed ``split_random_state=44``); the pipeline
    is fitted ``n_runs`` times on the training and validation parts (85%; a
    :class:`~skmammo.models.MammoCNNClassifier` splits its own stratified
    validation part off for early stopping) with a different seed each time,
    and tested on the same 15%.  The spread reflects training randomness
    only: the test set never changes, and MIAS films of one patient may sit
    on both sides of the split.  The 95% interval is the t interval of the
    mean over runs.

    ``protocol="grouped"``: ``n_runs`` repeats of
    :class:`~sklearn.model_selection.StratifiedGroupKFold` (``n_splits``
    folds, shuffled with a new seed per repeat) over ``groups`` (patients),
    so no patient is in both the training and the test part.  The 95%
    interval is the corrected resampled t interval of Nadeau & Bengio (2003):
    the variance of the ``n_runs * n_splits`` fold scores is inflated by
    ``1/J + n_test/n_train`` because the training sets overlap.

    Every ``random_state`` parameter of the pipeline (nested ones too) is set
    to the run's seed, drawn from ``random_state``.

    Parameters
    ----------
    pipeline : estimator
        Unfitted classifier or pipeline (cloned for every run).
    X : mammogram frame or array-like
        All samples.
    y : array-like of int
        Classes ``0..n_classes-1``.
    groups : array-like, optional
        Patient ids; required for ``protocol="grouped"``.
    n_runs : int, default=10
        Trainings (``"study"``) or repeats of the k-fold (``"grouped"``).
    protocol : {"study", "grouped"}, default="study"
    n_splits : int, default=5
        Folds per repeat (``"grouped"``).
    split_random_state : int, default=44
        Seed of the study's split.
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
    verbose : int, default=1
        ``0`` silences the progress bar over trainings.

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
    >>> res = repeated_evaluation(LogisticRegression(), X, y, n_runs=3, random_state=0, verbose=0)
    >>> res.runs.shape[0], bool(res.summary.loc["accuracy", "mean"] > 0.8)
    (3, True)
    """
    from joblib import Parallel, delayed

    names = list(target_names) if target_names is not None else list(DEFAULT_TARGET_NAMES)
    k = len(names)
    y = _check_labels(y, k)
    n = len(y)
    if _num_samples(X) != n:
        raise ValueError(f"X has {_num_samples(X)} rows but y has {n}")
    if not isinstance(n_runs, (int, np.integer)) or n_runs < 1:
        raise ValueError(f"n_runs must be a positive integer, got {n_runs!r}")
    rng = random_state if isinstance(random_state, np.random.RandomState) else np.random.RandomState(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_runs)

    jobs: list[tuple[int, int, int, np.ndarray, np.ndarray]] = []  # run, fold, seed, train, test
    if protocol == "study":
        if groups is not None:
            logger.info("protocol='study' splits by sample and ignores groups (use protocol='grouped')")
        train, val, test = study_split(y, random_state=split_random_state)
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
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_predict)(pipeline, X, y, tr, te, seed, k, fit_groups_, variants,
                              return_estimators)
        for _, _, seed, tr, te in jobs
    )
    done = list(tqdm(results, total=len(jobs), desc=f"{protocol} runs", unit="fit",
                     disable=verbose <= 0))
    probas = [p for p, _, _ in done]
    seconds = [s for _, s, _ in done]
    result = _summarise(protocol, jobs, [p[0] for p in probas], y, names, seconds)
    for v, name in enumerate(variants, start=1):
        result.variants[name] = _summarise(protocol, jobs, [p[v] for p in probas], y, names,
                                           seconds)
    if return_estimators:
        result.estimators = [est for _, _, est in done]
    return result


def _summarise(protocol: str, jobs: list, probas: list[np.ndarray], y: np.ndarray,
               names: list[str], seconds: list[float]) -> RepeatedEvaluation:
    """Per-run scores, their summary with 95% intervals and the mean confusion matrix."""
    rows = []
    confusions: dict[int, np.ndarray] = {}
    for (r, f, seed, tr, te), proba, fit_seconds in zip(jobs, probas, seconds):
        ev = evaluate_predictions(y[te], proba, y_train=y[tr], target_names=names)
        row: dict[str, Any] = {"run": r, "fold": f, "seed": seed, "n_train": len(tr),
                               "n_test": len(te), "fit_seconds": fit_seconds}
        row.update(ev.scores)
        for metric in ("precision", "recall", "f1", "roc_auc"):
            for name in names:
                row[f"{metric}_{name}"] = float(ev.table.loc[name, metric])
        for metric in ("accuracy", "balanced_accuracy", "macro_f1"):
            row[f"baseline_{metric}"] = ev.baseline[metric]
        rows.append(row)
        confusions[r] = confusions.get(r, 0) + ev.confusion
    runs = pd.DataFrame(rows)

    metric_cols = [c for c in runs.columns
                   if c not in ("run", "fold", "seed", "n_train", "n_test", "fit_seconds")]
    values = runs[metric_cols]
    mean = values.mean()
    std = values.std(ddof=1) if len(runs) > 1 else values.std(ddof=0)
    count = values.count()
    if protocol == "grouped":
        ratio = float((runs["n_test"] / runs["n_train"]).mean())
        half = np.array(
            [
                _t_quantile(int(c) - 1) * s * math.sqrt(1.0 / c + ratio) if c > 1 else np.nan
                for s, c in zip(std, count)
            ]
        )
    else:
        half = np.array(
            [_t_quantile(int(c) - 1) * s / math.sqrt(c) if c > 1 else np.nan for s, c in zip(std, count)]
        )
    summary = pd.DataFrame(
        {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": count}
    )
    summary.index.name = "metric"
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


def compare_with_study(result: RepeatedEvaluation) -> dict[str, pd.DataFrame]:
    """The study's Tables 1-3 beside ours, both computed the study's way.

    Both sides are scored from their mean confusion matrix over runs
    (:meth:`RepeatedEvaluation.pooled_scores`), as the study did; ROC AUC is
    ours averaged over runs (the study gave one run's).  ``ours mean`` and
    the 95% interval are the per-run scores of ``result.summary``.

    Parameters
    ----------
    result : RepeatedEvaluation
        Typically ``repeated_evaluation(..., protocol="study", n_runs=10)``.

    Returns
    -------
    dict of str to DataFrame
        ``"summary"`` (accuracy, balanced accuracy, macro F1, malignant
        recall; columns ``study``, ``ours``, ``ours mean``, ``ci_low``,
        ``ci_high``, ``within study spread``), ``"per_class"`` (precision,
        recall, F1 and ROC AUC per class, columns ``(metric, "study")`` and
        ``(metric, "ours")``) and
        ``"confusion"`` (both mean confusion matrices side by side).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1, 2], [207, 61, 48]); X = y[:, None] + rng.normal(0, 1, (316, 1))
    >>> res = repeated_evaluation(LogisticRegression(), X, y, n_runs=2, verbose=0)
    >>> tables = compare_with_study(res)
    >>> tables["summary"].loc["accuracy", "study"].round(3)
    np.float64(0.775)
    """
    names = list(result.target_names)
    study = RepeatedEvaluation(
        protocol="study", runs=pd.DataFrame(), summary=pd.DataFrame(),
        confusion_mean=np.asarray(STUDY_RESULTS["confusion_mean"], dtype=float),
        confusion_std=np.zeros((3, 3)), splits=[], target_names=names,
    ).pooled_scores()
    ours = result.pooled_scores()
    last = names[-1]
    rows = {}
    for metric in ("accuracy", "balanced_accuracy", "macro_f1", f"recall_{last}"):
        spread = STUDY_RESULTS["std"].get(metric)
        row = {"study": study[metric], "ours": ours[metric]}
        if metric in result.summary.index:
            row.update({"ours mean": result.summary.loc[metric, "mean"],
                        "ci_low": result.summary.loc[metric, "ci_low"],
                        "ci_high": result.summary.loc[metric, "ci_high"]})
        row["within study spread"] = (abs(ours[metric] - study[metric]) <= spread
                                      if spread is not None else None)
        rows[metric] = row
    summary = pd.DataFrame(rows).T
    columns: dict[tuple[str, str], list[float]] = {}
    for metric in ("precision", "recall", "f1"):
        columns[(metric, "study")] = [study[f"{metric}_{name}"] for name in names]
        columns[(metric, "ours")] = [ours[f"{metric}_{name}"] for name in names]
    columns[("roc_auc", "study")] = list(STUDY_RESULTS["roc_auc"])
    columns[("roc_auc", "ours")] = [result.summary.loc[f"roc_auc_{n}", "mean"] for n in names]
    per_class = pd.DataFrame(columns, index=names)
    confusion = pd.concat(
        {"study": pd.DataFrame(np.asarray(STUDY_RESULTS["confusion_mean"]), index=names,
                               columns=names),
         "ours": pd.DataFrame(result.confusion_mean, index=names, columns=names)},
        axis=1,
    )
    return {"summary": summary, "per_class": per_class, "confusion": confusion}
