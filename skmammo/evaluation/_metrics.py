"""Metrics of one model on one test set, and the scores of a confusion matrix.

- :func:`evaluate` / :func:`evaluate_predictions`: the study's Tables 1 and 2
  (per class precision, recall, F1, one-vs-rest ROC AUC and support, with
  macro averages, accuracy and balanced accuracy), a majority-class baseline
  beside it, and the confusion matrix in counts and row-normalised;
- :func:`~skmammo.evaluation.confusion_scores` (in ``_confusion``): the
  scores of a (mean) confusion matrix, the way Balve & Hendrix (2024)
  computed their tables;
- every evaluation with probabilities also measures their calibration
  (:func:`~skmammo.evaluation.calibration_scores`).

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from skmammo.evaluation._calibration import calibration_scores
from skmammo.evaluation._checks import _check_labels, _check_proba, _predict_proba
from skmammo.utils import TARGET_NAMES

__all__ = [
    "SUMMARY_METRICS",
    "Evaluation",
    "classification_table",
    "evaluate",
    "evaluate_predictions",
]

#: Metrics of the model-versus-baseline table, in display order.
SUMMARY_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "macro_roc_auc",
)

# --------------------------------------------------------------------------- helpers


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
    target_names: Sequence[str] = TARGET_NAMES,
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
    calibration : dict of str to float
        :func:`~skmammo.evaluation.calibration_scores` of ``y_proba``
        (``ece``, ``ece_<class>``, ``brier``, ``log_loss``); empty without.
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
    calibration: dict[str, float] = field(default_factory=dict)

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

    def to_frame(self) -> pd.DataFrame:
        """The per-class metric table (a copy of ``table``)."""
        return self.table.copy()

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
            "calibration": {k: clean(v) for k, v in self.calibration.items()},
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
    target_names: Sequence[str] = TARGET_NAMES,
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
        calibration={} if proba is None else calibration_scores(y_true, proba,
                                                                target_names=target_names),
    )


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
    names = list(target_names) if target_names is not None else list(TARGET_NAMES)
    proba = _predict_proba(estimator, X, len(names))
    return evaluate_predictions(y, proba, y_train=y_train, target_names=names)
