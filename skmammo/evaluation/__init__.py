"""Evaluation: metric tables, baselines, splits and repeated evaluation.

- :func:`evaluate` / :func:`evaluate_predictions` (:class:`Evaluation`): one
  test set, per-class table, majority-class baseline, confusion matrices;
  :func:`confusion_scores` scores a (mean) confusion matrix the study's way;
- :func:`calibration_scores` (expected calibration error, Brier score, log
  loss), :func:`reliability_table` and :func:`check_probabilities`: does a
  predicted 0.97 mean 97%; :class:`HeldOutCalibration` recalibrates a model
  and gives it class-conditional conformal prediction sets on patients held
  out from its training (:func:`prediction_set_table`: their coverage;
  :func:`evaluate_calibrated`: a test set before and after, with its sets);
- :func:`grouped_split` (by patient) and :func:`train_validation_test_split`
  (stratified by sample);
- :func:`repeated_evaluation` (:class:`RepeatedEvaluation`): the study's
  protocol or the patient-grouped one, with 95% intervals clipped to [0, 1]
  (:func:`clip_interval`), resumable from a ``checkpoint_dir``;
- shortcut probes: :func:`shortcut_features`, :class:`ShortcutProbe`,
  :func:`shortcut_probes` (on the network's folds), :func:`shortcut_scores`
  (one split): how far crop geometry alone goes toward the label;
- :func:`paired_comparison` (:class:`PairedComparison`) and
  :func:`paired_table`: two models on the same folds, corrected resampled
  paired t-test;
- whole-film scans: :func:`froc` (:class:`FrocResult`) judges a scan's
  candidates against the annotated lesion circles, :func:`film_roc_auc`
  ranks its films, and :func:`film_evaluation` (:class:`FilmEvaluation`)
  does both fold by fold for the folds' models and the non-learned
  :func:`~skmammo.scan.baseline_scan`, with a paired test.

Everything specific to Balve & Hendrix (2024) (their numbers, split, pipeline
and the comparison with them) is in :mod:`skmammo.study`.

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from skmammo.evaluation._calibrated import CalibratedEvaluation, evaluate_calibrated
from skmammo.evaluation._calibration import (
    CALIBRATION_BINS,
    calibration_scores,
    check_probabilities,
    reliability_table,
)
from skmammo.evaluation._conformal import (
    conformal_coverage_band,
    coverage_band,
    rows_needed,
)
from skmammo.evaluation._confusion import confusion_scores
from skmammo.evaluation._films import (
    FILM_METRICS,
    FilmEvaluation,
    ScannerEvaluation,
    film_evaluation,
)
from skmammo.evaluation._froc import (
    FROC_RATES,
    FrocResult,
    film_roc_auc,
    film_targets,
    froc,
)
from skmammo.evaluation._intervals import clip_interval
from skmammo.evaluation._metrics import (
    SUMMARY_METRICS,
    Evaluation,
    classification_table,
    evaluate,
    evaluate_predictions,
)
from skmammo.evaluation._paired import (
    BASELINE,
    PairedComparison,
    paired_comparison,
    paired_table,
)
from skmammo.evaluation._probes import (
    PROBES,
    ShortcutProbe,
    shortcut_probes,
    shortcut_scores,
)
from skmammo.evaluation._recalibration import (
    HeldOutCalibration,
    prediction_set_scores,
    prediction_set_table,
)
from skmammo.evaluation._repeated import RepeatedEvaluation, repeated_evaluation
from skmammo.evaluation._shortcuts import SHORTCUT_FEATURES, shortcut_features
from skmammo.evaluation._splits import grouped_split, train_validation_test_split

__all__ = [
    "BASELINE",
    "CALIBRATION_BINS",
    "FILM_METRICS",
    "FROC_RATES",
    "PROBES",
    "SHORTCUT_FEATURES",
    "SUMMARY_METRICS",
    "CalibratedEvaluation",
    "Evaluation",
    "FilmEvaluation",
    "FrocResult",
    "HeldOutCalibration",
    "PairedComparison",
    "RepeatedEvaluation",
    "ScannerEvaluation",
    "ShortcutProbe",
    "calibration_scores",
    "check_probabilities",
    "classification_table",
    "clip_interval",
    "confusion_scores",
    "conformal_coverage_band",
    "coverage_band",
    "evaluate",
    "evaluate_calibrated",
    "evaluate_predictions",
    "film_evaluation",
    "film_roc_auc",
    "film_targets",
    "froc",
    "grouped_split",
    "paired_comparison",
    "paired_table",
    "prediction_set_scores",
    "prediction_set_table",
    "reliability_table",
    "repeated_evaluation",
    "rows_needed",
    "shortcut_features",
    "shortcut_probes",
    "shortcut_scores",
    "train_validation_test_split",
]
