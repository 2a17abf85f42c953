"""A recalibrated model on one test set: its probabilities before and after, and its prediction sets.

:func:`evaluate_calibrated` is :func:`~skmammo.evaluation.evaluate` for a
fitted :class:`~skmammo.evaluation.HeldOutCalibration`: the same test rows
scored with the recalibrated probabilities and with the model's own, the
prediction sets with their coverage, and the description of the calibration
part.  The summary and case reports read it (``ReportBuilder(calibration=)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from skmammo.evaluation._metrics import Evaluation, evaluate
from skmammo.evaluation._recalibration import prediction_set_table
from skmammo.utils import TARGET_NAMES

__all__ = ["CalibratedEvaluation", "evaluate_calibrated"]


@dataclass
class CalibratedEvaluation:
    """A :class:`~skmammo.evaluation.HeldOutCalibration` on one test set.

    Attributes
    ----------
    calibrated : Evaluation
        Scores of the recalibrated probabilities (``calibrated=True``).
    raw : Evaluation
        Scores of the model's own probabilities on the same rows.
    sets : ndarray of bool, shape (n, n_classes)
        Each test row's prediction set at ``calibration["confidence"]``,
        columns at the class indices ``0 .. n_classes-1``.
    set_table : DataFrame
        :func:`~skmammo.evaluation.prediction_set_table` of ``sets``: coverage,
        mean size, singletons and empty sets per true class and overall.
    calibration : dict
        :meth:`HeldOutCalibration.describe`: method, level, rows, patients and
        class counts of the calibration part, classes with the full-set
        fallback, the temperature.
    """

    calibrated: Evaluation
    raw: Evaluation
    sets: np.ndarray = field(repr=False)
    set_table: pd.DataFrame = field(repr=False)
    calibration: dict[str, Any] = field(default_factory=dict)

    def set_labels(self, row: int) -> list[str]:
        """The class names in test row ``row``'s prediction set."""
        names = self.calibrated.target_names
        return [names[c] for c in np.flatnonzero(self.sets[row])]


def evaluate_calibrated(model, X: Any, y: Any, *, y_train: Any | None = None,
                        target_names: Sequence[str] | None = None) -> CalibratedEvaluation:
    """Score a fitted :class:`~skmammo.evaluation.HeldOutCalibration` on a test set.

    Parameters
    ----------
    model : HeldOutCalibration
        Fitted.
    X : mammogram frame or array-like
        Test rows, as the model takes them.
    y : array-like of int
        Their true classes (``0 .. n_classes-1``).
    y_train : array-like of int, optional
        Training labels, for the majority baseline of both evaluations.
    target_names : sequence of str, optional
        Class names (default ``normal, benign, malignant``).

    Returns
    -------
    CalibratedEvaluation

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmammo.evaluation import HeldOutCalibration, evaluate_calibrated
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1, 2], 100); X = y[:, None] + rng.normal(0, 1, (300, 1))
    >>> model = HeldOutCalibration(LogisticRegression(), random_state=0).fit(X, y)
    >>> result = evaluate_calibrated(model, X, y)
    >>> result.sets.shape, bool(result.set_table.loc["all", "coverage"] > 0.8)
    ((300, 3), True)
    """
    if not hasattr(model, "predict_set") or not hasattr(model, "estimator_"):
        raise TypeError("evaluate_calibrated needs a fitted HeldOutCalibration, got "
                        f"{type(model).__name__}")
    names = list(target_names) if target_names is not None else list(TARGET_NAMES)
    calibrated = evaluate(model, X, y, y_train=y_train, target_names=names)
    raw = evaluate(model.estimator_, X, y, y_train=y_train, target_names=names)
    classes = np.asarray(model.classes_).astype(int)
    found = np.asarray(model.predict_set(X), dtype=bool)
    sets = np.zeros((len(found), len(names)), dtype=bool)
    sets[:, classes] = found
    table = prediction_set_table(np.asarray(y).astype(int), sets, np.arange(len(names)))
    table.index = [names[i] if isinstance(i, (int, np.integer)) else i for i in table.index]
    table.index.name = "class"
    return CalibratedEvaluation(calibrated=calibrated, raw=raw, sets=sets, set_table=table,
                                calibration=model.describe())
