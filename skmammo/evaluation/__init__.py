"""Evaluation: metric tables, baselines, splits and repeated evaluation.

- :func:`evaluate` / :func:`evaluate_predictions` (:class:`Evaluation`): one
  test set, per-class table, majority-class baseline, confusion matrices;
  :func:`confusion_scores` scores a (mean) confusion matrix the study's way;
- :func:`grouped_split` (by patient) and :func:`train_validation_test_split`
  (stratified by sample);
- :func:`repeated_evaluation` (:class:`RepeatedEvaluation`): the study's
  protocol or the patient-grouped one, with 95% intervals.

Everything specific to Balve & Hendrix (2024) (their numbers, split, pipeline
and the comparison with them) is in :mod:`skmammo.study`.

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from skmammo.evaluation._metrics import (
    SUMMARY_METRICS,
    Evaluation,
    classification_table,
    confusion_scores,
    evaluate,
    evaluate_predictions,
)
from skmammo.evaluation._repeated import RepeatedEvaluation, repeated_evaluation
from skmammo.evaluation._splits import grouped_split, train_validation_test_split

__all__ = [
    "SUMMARY_METRICS",
    "Evaluation",
    "RepeatedEvaluation",
    "classification_table",
    "confusion_scores",
    "evaluate",
    "evaluate_predictions",
    "grouped_split",
    "repeated_evaluation",
    "train_validation_test_split",
]
