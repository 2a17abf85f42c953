"""Everything specific to Balve & Hendrix (2024), in one place.

"Interpretable breast cancer classification using CNNs on mammographic
images" (Balve & Hendrix, PMLR 248, 2024) classified mini-MIAS films as
normal, benign or malignant: every film shrunk to 224 x 224 pixels first, a
crop around the annotated lesion (or a fixed 56-pixel crop of a normal
film's breast), one stratified 70/15/15 split by film with seed 44 (films of
one woman may sit on both sides), class weights {0: 1, 1: 2, 2: 3}, 10
trainings differing only in their seed, and the metric tables computed from
the mean confusion matrix of those 10 runs on the 48 test films.

What lives here and where it is used:

- :data:`STUDY_RESULTS`: the study's published numbers; the comparison below,
  the report's study tables (:mod:`skmammo.reporting`) and the tests.
- :data:`STUDY_SPLIT_SEED` and :func:`study_split`: the study's split;
  :func:`skmammo.workflow.run_study` with ``protocol="study"`` (the
  repeated version is :func:`skmammo.evaluation.repeated_evaluation` with
  ``protocol="study"``, which uses the same seed).
- :data:`STUDY_PIPELINE_PARAMS` and :func:`make_study_pipeline`: the study's
  pipeline settings (``make_pipeline(mode="study", class_weight=...)``);
  ``skmammo run --protocol study`` and ``examples/reproduce_study.py``.  The
  film side 224 of ``mode="study"`` belongs to the preprocessing, which
  applies it.
- :func:`compare_with_study`: the study's Tables 1-3 beside ours, both scored
  from a mean confusion matrix (:func:`skmammo.evaluation.confusion_scores`);
  ``skmammo run --protocol study --runs N`` (``study_*.csv``, written by
  :func:`write_study_comparison`), the summary report and ``docs/results.md``.

Research software: these numbers describe a model on a data set, they are not
a clinical validation.
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skmammo.evaluation import (
    RepeatedEvaluation,
    confusion_scores,
    train_validation_test_split,
)

__all__ = [
    "STUDY_PIPELINE_PARAMS",
    "STUDY_RESULTS",
    "STUDY_SPLIT_SEED",
    "compare_with_study",
    "make_study_pipeline",
    "study_split",
    "write_study_comparison",
]

logger = logging.getLogger(__name__)

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

#: The seed of the study's stratified 70/15/15 split.
STUDY_SPLIT_SEED: int = 44

#: The study's settings of :func:`skmammo.pipeline.make_pipeline`: films
#: shrunk to 224 pixels before cropping (``mode="study"``), class weights
#: {0: 1, 1: 2, 2: 3}, and the early-stopping validation part drawn by film
#: as the study drew its splits (``validation_groups=False``).  Read-only;
#: copy it (``dict(STUDY_PIPELINE_PARAMS)``) to change a setting, or call
#: :func:`make_study_pipeline`.
STUDY_PIPELINE_PARAMS: MappingProxyType = MappingProxyType(
    {"mode": "study", "class_weight": {0: 1, 1: 2, 2: 3}, "validation_groups": False}
)


def make_study_pipeline(**overrides: Any):
    """The study's pipeline: :func:`~skmammo.pipeline.make_pipeline` with :data:`STUDY_PIPELINE_PARAMS`.

    Parameters
    ----------
    **overrides
        Further :func:`~skmammo.pipeline.make_pipeline` parameters (``epochs``,
        ``random_state``, ...); they take precedence over the study's.

    Returns
    -------
    MammoPipeline
        Unfitted.

    Examples
    --------
    >>> from skmammo.study import make_study_pipeline
    >>> pipe = make_study_pipeline(epochs=3)
    >>> pipe.get_params()["cnn__class_weight"], pipe.get_params()["cnn__epochs"]
    ({0: 1, 1: 2, 2: 3}, 3)
    """
    from skmammo.pipeline import make_pipeline

    params = {**STUDY_PIPELINE_PARAMS, **overrides}
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = dict(params["class_weight"])  # never share the constant's dict
    return make_pipeline(**params)


def study_split(
    y: Any, *, test_size: float = 0.30, random_state: int = STUDY_SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The study's stratified 70/15/15 split into train, validation and test indices.

    :func:`~skmammo.evaluation.train_validation_test_split` with the study's
    seed: ``train_test_split(test_size=0.30, stratify=y, random_state=44)``,
    then the held-out 30% halved the same way (first half validation, second
    test).  By film, not by patient: on mini-MIAS, films of one woman may sit
    on both sides.

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
    >>> from skmammo.study import study_split
    >>> tr, va, te = study_split(np.repeat([0, 1, 2], [60, 20, 20]))
    >>> len(tr), len(va), len(te)
    (70, 15, 15)
    """
    return train_validation_test_split(y, test_size=test_size, random_state=random_state)


def compare_with_study(result: RepeatedEvaluation) -> dict[str, pd.DataFrame]:
    """The study's Tables 1-3 beside ours, both computed the study's way.

    Both sides are scored from their mean confusion matrix over runs
    (:func:`~skmammo.evaluation.confusion_scores`), as the study did; ROC AUC is
    ours averaged over runs (the study gave one run's).  ``ours mean`` and
    the 95% interval are the per-run scores of ``result.summary``.

    Parameters
    ----------
    result : RepeatedEvaluation
        Typically ``repeated_evaluation(..., protocol="study", n_runs=10)``.

    Returns
    -------
    Bunch of str to DataFrame
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
    >>> from skmammo.evaluation import repeated_evaluation
    >>> from skmammo.study import compare_with_study
    >>> res = repeated_evaluation(LogisticRegression(), X, y, n_runs=2, protocol="study")
    >>> tables = compare_with_study(res)
    >>> round(tables["summary"].loc["accuracy", "study"], 3)
    0.775
    """
    names = list(result.target_names)
    study = confusion_scores(STUDY_RESULTS["confusion_mean"], target_names=names)
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
    return Bunch(summary=summary, per_class=per_class, confusion=confusion)


def write_study_comparison(result: RepeatedEvaluation, out: Any) -> dict[str, Any]:
    """Save :func:`compare_with_study`'s tables as ``study_<name>.csv`` and log them.

    What ``skmammo run --protocol study --runs N`` does with its repeats.

    Parameters
    ----------
    result : RepeatedEvaluation
        As for :func:`compare_with_study`.
    out : OutputFolder
        The job's output folder (:class:`skmammo.utils.OutputFolder`).

    Returns
    -------
    dict of str to Path
        ``summary``, ``per_class``, ``confusion``: the files written.
    """
    paths = {}
    for name, table in compare_with_study(result).items():
        paths[name] = out.write(f"study_{name}.csv", table.to_csv())
        logger.info("The study's %s beside ours (%s):\n%s", name.replace("_", " "),
                    paths[name], table.to_string(float_format=lambda v: f"{v:.3f}"))
    return paths
