"""Recalibration and prediction sets on patients held out from training.

:class:`HeldOutCalibration` wraps an unfitted classifier (a
:func:`~skmammo.pipeline.make_pipeline` pipeline, or any scikit-learn
classifier with ``predict_proba``).  Its ``fit`` splits the training rows by
patient into a proper training part and a calibration part; the classifier
trains on the first only (its own early stopping splits that part again), and
the calibration part, which no training decision has seen, fits

- the recalibration: scikit-learn's
  :class:`~sklearn.calibration.CalibratedClassifierCV` (a
  :class:`~sklearn.frozen.FrozenEstimator`, nothing refitted) on the model's
  probabilities of those rows, by default temperature scaling (one
  parameter, keeps the predicted class); it maps any of the model's
  probabilities, so a whole-film scan is recalibrated window by window
  (:meth:`HeldOutCalibration.scan`);
- a Mondrian (class-conditional) split-conformal classifier from ``crepes``
  on the model's raw probabilities (non-conformity ``1 - p(true class)``),
  so ``predict_set`` returns label sets that contain the true class with
  probability at least ``confidence`` within every class.

Research software: a prediction set is a statement about exchangeable test
rows like the calibration rows, not a diagnosis.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from skmammo.evaluation._calibration import check_probabilities
from skmammo.evaluation._conformal import rows_needed
from skmammo.models._split import _patient_ids, calibration_split
from skmammo.utils import check_interval

__all__ = ["HeldOutCalibration", "prediction_set_scores", "prediction_set_table"]

logger = logging.getLogger(__name__)

METHODS = ("temperature", "sigmoid", "isotonic")

# how a user of run_study avoids the calibration part (the command line says it its own way)
_WITHOUT = "(run_study: calibration=None trains without recalibration)"


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


class HeldOutCalibration(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier recalibrated, and given prediction sets, on held-out patients.

    See the module docstring for what ``fit`` does.

    Parameters
    ----------
    estimator : classifier
        Unfitted; cloned in ``fit``.
    method : {"temperature", "sigmoid", "isotonic"}, default="temperature"
        :class:`~sklearn.calibration.CalibratedClassifierCV`'s method.
    calibration_fraction : float, default=0.2
        Share of the patients held out for calibration (one fold of a
        :class:`~sklearn.model_selection.StratifiedGroupKFold` with
        ``round(1 / calibration_fraction)`` folds).
    confidence : float, default=0.9
        Level of :meth:`predict_set`.
    calibrated : bool, default=True
        ``predict_proba`` and ``predict`` give the recalibrated probabilities;
        False gives the model's own (switch it on a fitted model to compare,
        e.g. as a ``repeated_evaluation`` variant).
    random_state : int or None
        Seed of the calibration split.

    Attributes
    ----------
    estimator_ : classifier
        Fitted on the proper training part.
    calibrator_ : CalibratedClassifierCV
        The recalibration, fitted on the model's probabilities of the
        calibration part (:meth:`recalibrate` applies it).
    conformal_ : crepes.ConformalClassifier
        The Mondrian conformal classifier, fitted on the calibration part.
    calibration_counts_ : dict of class to int
        Calibration rows per class.
    calibration_patients_ : int or None
        Patients in the calibration part (None when fitted without groups).
    too_few_ : list
        Classes with fewer than :func:`rows_needed` calibration rows for
        ``confidence``: their label is in every prediction set (said in a
        warning at ``fit``).
    classes_ : ndarray
    """

    def __init__(self, estimator, *, method: str = "temperature",
                 calibration_fraction: float = 0.2, confidence: float = 0.9,
                 calibrated: bool = True, random_state: int | None = None) -> None:
        self.estimator = estimator
        self.method = method
        self.calibration_fraction = calibration_fraction
        self.confidence = confidence
        self.calibrated = calibrated
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        check_interval(self.calibration_fraction, "calibration_fraction", 0, 1, closed="neither")
        _check_confidence(self.confidence)

    def fit(self, X, y, groups=None):
        """Split off the calibration patients, train on the rest, calibrate on them.

        Parameters
        ----------
        X : mammogram frame or array-like
        y : array-like
        groups : array-like, optional
            Patient ids; default: the frame's ``patient`` column if it has
            one, else a stratified split by row (logged).
        """
        from crepes import ConformalClassifier
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator
        from sklearn.model_selection import StratifiedKFold

        self._check_params()
        y = np.asarray(y)
        classes, y_index = np.unique(y, return_inverse=True)
        groups = _patient_ids(X, groups)
        train, cal = calibration_split(X, y, groups, self.calibration_fraction,
                                       self.random_state)
        counts = np.bincount(y_index[cal], minlength=len(classes))
        missing = [str(c) for c, n in zip(classes, counts) if n < 2]
        if missing:
            raise ValueError(
                f"the calibration part ({len(cal)} rows) has fewer than 2 rows of class(es) "
                f"{', '.join(missing)} (counts {dict(zip(map(str, classes), counts.tolist()))});"
                " recalibration needs every class: give fit more patients of those classes or "
                f"raise calibration_fraction {_WITHOUT}")
        self.estimator_ = clone(self.estimator).fit(_take(X, train), y[train])
        raw, y_cal = self._raw_proba(_take(X, cal)), y[cal]
        # fitted on the model's probabilities, the recalibration applies to any of them
        # (a scan's windows too) without running the model again
        cv = StratifiedKFold(n_splits=int(min(5, counts.min())))
        self.calibrator_ = CalibratedClassifierCV(
            FrozenEstimator(GivenProbabilities().fit(None, classes)), method=self.method,
            cv=cv).fit(raw, y_cal)
        self.conformal_ = ConformalClassifier().fit(
            1.0 - raw[np.arange(len(cal)), y_index[cal]], bins=y_index[cal])
        self.classes_ = classes
        self.calibration_counts_ = dict(zip(classes.tolist(), counts.tolist()))
        self.calibration_patients_ = None if groups is None else len(np.unique(np.asarray(groups)[cal]))
        self.too_few_ = self._too_few(self.confidence)
        if self.too_few_:
            warnings.warn(self._too_few_message(self.confidence), UserWarning, stacklevel=2)
        return self

    # ------------------------------------------------------------------ predictions
    def _raw_proba(self, X) -> np.ndarray:
        """The model's own probabilities, columns in ``classes_`` order, checked."""
        proba = np.asarray(self.estimator_.predict_proba(X), dtype=float)
        return check_probabilities(proba, len(self.estimator_.classes_),
                                   name=f"{type(self.estimator_).__name__}.predict_proba")

    def predict_proba(self, X) -> np.ndarray:
        """Recalibrated probabilities (the model's own with ``calibrated=False``)."""
        check_is_fitted(self, "calibrator_")
        raw = self._raw_proba(X)
        return self.recalibrate(raw) if self.calibrated else raw

    def recalibrate(self, proba) -> np.ndarray:
        """The recalibration applied to the model's own probabilities ``(n, n_classes)``."""
        check_is_fitted(self, "calibrator_")
        proba = check_probabilities(proba, len(self.classes_), name="probabilities")
        return np.asarray(self.calibrator_.predict_proba(proba), dtype=float)

    def scan(self, X, **kwargs):
        """:meth:`MammoPipeline.scan <skmammo.pipeline.MammoPipeline.scan>` with recalibrated windows.

        Every window's probabilities are recalibrated (with ``calibrated=True``)
        before the maps, film scores and candidates are made; the keyword
        arguments are the pipeline's ``scan``'s.
        """
        from skmammo.scan import scan_films

        check_is_fitted(self, "calibrator_")
        return scan_films(self.estimator_, X,
                          calibrate=self.recalibrate if self.calibrated else None, **kwargs)

    def predict(self, X) -> np.ndarray:
        """The most probable class (temperature scaling keeps the model's own)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` on ``X`` against ``y`` (as any scikit-learn classifier)."""
        return super().score(X, y, sample_weight=sample_weight)

    def predict_set(self, X, confidence: float | None = None) -> np.ndarray:
        """Boolean ``(n, n_classes)``: the labels in each row's prediction set.

        Mondrian (class-conditional) split-conformal sets on the model's raw
        probabilities: within every class, the set contains the true class
        with probability at least ``confidence`` (default: the estimator's).
        A class with too few calibration rows for the level is in every set
        (warned about).
        """
        check_is_fitted(self, "conformal_")
        confidence = self.confidence if confidence is None else _check_confidence(confidence)
        if confidence != self.confidence and self._too_few(confidence):
            warnings.warn(self._too_few_message(confidence), UserWarning, stacklevel=2)
        alphas = 1.0 - self._raw_proba(X)
        n = len(alphas)
        columns = [self.conformal_.predict_set(alphas, bins=np.full(n, c),
                                               confidence=confidence, smoothing=False)[:, c]
                   for c in range(len(self.classes_))]
        return np.stack(columns, axis=1).astype(bool)

    def _too_few(self, confidence: float) -> list:
        need = rows_needed(confidence)
        return [c for c, n in self.calibration_counts_.items() if n < need]

    def _too_few_message(self, confidence: float) -> str:
        need = rows_needed(confidence)
        have = ", ".join(f"{c}: {self.calibration_counts_[c]}" for c in self._too_few(confidence))
        return (f"prediction sets at {100 * confidence:g}% need at least {need} calibration rows "
                f"per class; too few for {have}: those labels are in every set (the full-set "
                "fallback). Give fit more patients of those classes or raise "
                "calibration_fraction.")

    def describe(self) -> dict[str, Any]:
        """The calibration part and what was fitted on it, for reports and model cards.

        Returns
        -------
        dict
            ``method``, ``confidence``, ``rows`` (calibration rows),
            ``patients`` (or None), ``counts`` (class to rows), ``too_few``
            (classes with the full-set fallback) and ``temperature`` (the
            mean fitted temperature over the calibrator's internal folds,
            > 1 softens the model's probabilities; None for other methods).
        """
        check_is_fitted(self, "calibrator_")
        temperature = None
        if self.method == "temperature":
            betas = [float(np.mean(c.beta_)) for cc in self.calibrator_.calibrated_classifiers_
                     for c in cc.calibrators if hasattr(c, "beta_")]
            temperature = float(np.mean([1 / b for b in betas])) if betas else None
        return {"method": self.method, "confidence": float(self.confidence),
                "rows": int(sum(self.calibration_counts_.values())),
                "patients": getattr(self, "calibration_patients_", None),
                # from the counts, not the stored too_few_: a model pickled under an
                # older rule reports what its sets do
                "counts": dict(self.calibration_counts_),
                "too_few": self._too_few(self.confidence),
                "temperature": temperature}

    def explain(self, *args, **kwargs):
        """The wrapped model's explanations (:meth:`MammoPipeline.explain`)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.explain(*args, **kwargs)


class GivenProbabilities(ClassifierMixin, BaseEstimator):
    """A classifier whose input is already its class probabilities.

    Frozen, it is what :class:`HeldOutCalibration`'s
    :class:`~sklearn.calibration.CalibratedClassifierCV` recalibrates: fitted
    on the model's probabilities of the calibration rows, the recalibration
    then maps any of the model's probabilities without running it.
    """

    def fit(self, X, y):
        """Record the classes (``y`` holds them all)."""
        self.classes_ = np.unique(np.asarray(y))
        return self

    def predict_proba(self, X) -> np.ndarray:
        """``X`` itself, checked to be probabilities."""
        return check_probabilities(X, len(self.classes_), name="probabilities")

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _check_confidence(confidence) -> float:
    return check_interval(confidence, "confidence", 0, 1, closed="neither")


def prediction_set_table(y_true: Any, sets: Any, classes: Any):
    """Empirical coverage and mean set size of prediction sets, per true class and overall.

    Parameters
    ----------
    y_true : array-like
        True labels (values of ``classes``).
    sets : boolean array of shape (n, n_classes)
        :meth:`HeldOutCalibration.predict_set`.
    classes : array-like
        The column labels of ``sets`` (``classes_``).

    Returns
    -------
    DataFrame
        Rows per class and ``"all"``; columns ``n``, ``coverage`` (share of
        rows whose set holds the true class), ``mean_size``, ``singletons``
        (share of one-label sets) and ``empty`` (share of empty sets).

    Examples
    --------
    >>> sets = np.array([[1, 0], [1, 1], [0, 1]], bool)
    >>> prediction_set_table([0, 1, 0], sets, [0, 1])["coverage"].tolist()
    [0.5, 1.0, 0.6666666666666666]
    """
    import pandas as pd

    classes = np.asarray(classes)
    sets = np.asarray(sets, dtype=bool)
    y = np.asarray(y_true)
    if sets.shape != (len(y), len(classes)):
        raise ValueError(f"sets must have shape {(len(y), len(classes))}, got {sets.shape}")
    index = np.searchsorted(classes, y)
    if not np.array_equal(classes[np.clip(index, 0, len(classes) - 1)], y):
        raise ValueError(f"y_true holds labels that are not in classes {classes.tolist()}")
    hit = sets[np.arange(len(y)), index]
    size = sets.sum(axis=1)
    rows = {}
    for c, label in enumerate(classes):
        inside = index == c
        rows[label] = _set_row(hit[inside], size[inside])
    rows["all"] = _set_row(hit, size)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "class"
    return table


def prediction_set_scores(y_true: Any, sets: Any, names: Any) -> dict[str, float]:
    """Coverage and mean set size, overall and per true class, as flat scores.

    The columns :func:`~skmammo.evaluation.repeated_evaluation` adds per
    training when the estimator has ``predict_set``: ``coverage``,
    ``coverage_<class>``, ``set_size`` and ``set_size_<class>``
    (:func:`prediction_set_table` with classes ``0 .. k-1``).

    Parameters
    ----------
    y_true : array-like of int
        Class indices ``0 .. k-1``.
    sets : boolean array of shape (n, k)
    names : sequence of str
        The classes' names (``k`` of them).

    Examples
    --------
    >>> sets = np.array([[1, 0], [1, 1], [0, 1]], bool)
    >>> prediction_set_scores([0, 1, 0], sets, ["a", "b"])["coverage_a"]
    0.5
    """
    table = prediction_set_table(y_true, sets, np.arange(len(names)))
    scores = {"coverage": table.loc["all", "coverage"], "set_size": table.loc["all", "mean_size"]}
    for c, name in enumerate(names):
        scores[f"coverage_{name}"] = table.loc[c, "coverage"]
        scores[f"set_size_{name}"] = table.loc[c, "mean_size"]
    return {k: float(v) for k, v in scores.items()}


def _set_row(hit: np.ndarray, size: np.ndarray) -> dict[str, float]:
    n = len(hit)
    if n == 0:
        return {"n": 0, "coverage": np.nan, "mean_size": np.nan, "singletons": np.nan,
                "empty": np.nan}
    return {"n": n, "coverage": float(hit.mean()), "mean_size": float(size.mean()),
            "singletons": float((size == 1).mean()), "empty": float((size == 0).mean())}
