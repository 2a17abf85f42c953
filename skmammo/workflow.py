"""The main job end to end: split, fit, evaluate, explain, report.

:func:`run_study` is what ``skmammo demo`` and ``skmammo run`` do, callable
from Python: it splits a mammogram frame by patient, fits the pipeline on the
training part, evaluates it on the test part, explains a few test crops with
every method, compares the explainers, and writes the summary report and one
case report per explained crop.  The patient-grouped split it reports on is
:func:`skmammo.evaluation.grouped_split`; the study's split and settings come
from :mod:`skmammo.study`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from skmammo.evaluation import (
    grouped_split,  # re-exported: skmammo.workflow.grouped_split
)
from skmammo.utils import OutputFolder

__all__ = ["pick_cases", "run_study"]

logger = logging.getLogger(__name__)


def pick_cases(y_true, y_pred, n_cases: int) -> np.ndarray:
    """Choose ``n_cases`` test samples to explain: every class, mistakes first.

    Takes the samples round-robin over the true classes; within a class,
    misclassified samples come before correct ones, in order.

    Examples
    --------
    >>> pick_cases([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3).tolist()
    [1, 2, 4]
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    queues = []
    for label in np.unique(y_true):
        members = np.flatnonzero(y_true == label)
        wrong = members[y_pred[members] != label]
        right = members[y_pred[members] == label]
        queues.append(list(np.concatenate([wrong, right])))
    chosen: list[int] = []
    while len(chosen) < min(n_cases, len(y_true)):
        for queue in queues:
            if queue and len(chosen) < n_cases:
                chosen.append(int(queue.pop(0)))
    return np.array(chosen, dtype=int)


def _film_steps(pipe):
    """A fresh copy of the pipeline's film steps (all but the classifier), ending in its cropper.

    The probes fit it on the same frames as the pipeline, so they see the
    crops the network sees (same films after ``Denoiser`` / ``CLAHE``, same
    cropper parameters and seed).  None when the pipeline has no cropper
    just before its classifier.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    steps = getattr(pipe, "steps", None)
    if not steps or len(steps) < 2 or not hasattr(steps[-2][1], "crop_boxes"):
        return None
    return Pipeline([(name, clone(step)) for name, step in steps[:-1]])


def unfitted_model(params: dict, calibration: str | None, confidence: float,
                   random_state: int | None):
    """``make_pipeline(**params)``, inside a HeldOutCalibration unless ``calibration`` is None."""
    from skmammo.evaluation import HeldOutCalibration
    from skmammo.pipeline import make_pipeline

    pipe = make_pipeline(**params)
    if calibration is None:
        return pipe
    return HeldOutCalibration(pipe, method=calibration, confidence=confidence,
                              random_state=random_state)


def run_study(
    X,
    y,
    groups,
    out_dir: str | os.PathLike,
    *,
    dataset: str = "unnamed data set",
    data_description: str | None = None,
    pipeline_params: Mapping[str, Any] | None = None,
    protocol: str = "grouped",
    n_runs: int = 0,
    test_size: float = 0.25,
    n_cases: int = 6,
    methods: Sequence[str] = ("gradcam", "hirescam", "lime", "shap"),
    method_params: Mapping[str, Mapping[str, Any]] | None = None,
    seeds: Sequence[int] | None = None,
    sanity_methods: Sequence[str] | None = None,
    calibration: str | None = "temperature",
    confidence: float = 0.9,
    pdf: bool = True,
    random_state: int = 0,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> Bunch:
    """Fit, evaluate, explain and report on one patient-grouped train/test split.

    Parameters
    ----------
    X : DataFrame
        A mammogram frame (``load_mias``, ``make_synthetic_mammograms``).
    y : array-like of int
        Classes (0 normal, 1 benign, 2 malignant).
    groups : array-like
        Patient ids: the split keeps each patient on one side.
    out_dir : path or OutputFolder
        Where ``report.html``, ``report.pdf`` and ``cases/`` go, under the
        output-folder policy (:class:`~skmammo.utils.OutputFolder`): a
        non-empty folder skmammo did not make is refused before any work
        starts (pass ``OutputFolder(path, overwrite=True)`` to allow it).
    dataset : str
        Name shown in the reports.
    data_description : str, optional
        The data set's description (a loader's ``DESCR``), for the model card.
    pipeline_params : mapping, optional
        Passed to :func:`skmammo.pipeline.make_pipeline` (``size``, ``mode``,
        ``epochs``, ``class_weight``, ...).
    protocol : {"grouped", "study"}, default="grouped"
        The split of the reported model: ``"grouped"`` holds out
        ``test_size`` of the patients
        (:func:`skmammo.evaluation.grouped_split`); ``"study"`` is the
        study's stratified 70/15/15 split by film
        (:func:`skmammo.study.study_split`; the pipeline trains on the 85%
        and splits its own validation part off).
    n_runs : int, default=0
        If positive, also run :func:`skmammo.evaluation.repeated_evaluation`
        with this protocol and ``n_runs`` runs, and report its table.  With
        ``protocol="study"`` every run trains on the reported split, so the
        first run is the reported model (no extra training).  With
        ``protocol="grouped"`` the shortcut probes
        (:func:`skmammo.evaluation.shortcut_probes`) run on the same folds
        and the report compares the model with each of them and with the
        majority baseline (:func:`skmammo.evaluation.paired_table`).
    test_size : float, default=0.25
        Share of patients held out by the grouped split.
    n_cases : int, default=6
        Test crops to explain and write a case report for.
    methods : sequence of str, default=("gradcam", "hirescam", "lime", "shap")
        Grad-CAM (the study's method), HiResCAM (as cheap, and faithful to
        a network that ends in ``Flatten -> Dense``), LIME and Kernel SHAP;
        any registered method.
    method_params : mapping, optional
        Per-method parameters, e.g. ``{"lime": {"n_samples": 500}}``.
    seeds : sequence of int, optional
        Seeds of the explainer runs (absolute seeds; default
        ``(random_state, random_state + 1)``): the first run fills the case
        reports, all of them measure stability.
    sanity_methods : sequence of str, optional
        Methods whose maps of the case crops get the cascading
        model-parameter randomisation test
        (:func:`skmammo.explain.randomization_test`) in the summary report;
        default: the gradient CAMs among ``methods`` (a second each; LIME
        and Kernel SHAP would cost their full price once per layer).
    calibration : {"temperature", "sigmoid", "isotonic"} or None, default="temperature"
        Recalibrate the model and give it prediction sets on patients held
        out from its training (:class:`~skmammo.evaluation.HeldOutCalibration`
        with this ``method``; the network then trains on 80% of the training
        patients).  The reports show the recalibrated probabilities beside
        the model's own, the prediction sets and their coverage; the
        repeated evaluation measures both on the same folds.  None trains on
        every training patient and reports the model's own probabilities.
    confidence : float, default=0.9
        Level of the prediction sets.
    pdf : bool, default=True
        Also write the PDFs.
    random_state : int, default=0
        Seeds the split, the network and the explainers.
    n_jobs : int, optional
        Parallel trainings of the repeated evaluation (joblib; None is 1).
    verbose : int, default=0
        0 silent, >= 1 progress bars and one log line per training epoch
        (the command line passes 1; ``pipeline_params["verbose"]`` overrides
        the network's).

    Returns
    -------
    Bunch
        ``pipeline`` (the fitted pipeline, whose explanations are reported),
        ``calibrated`` (the fitted
        :class:`~skmammo.evaluation.HeldOutCalibration` around it, or None),
        ``evaluation`` (:class:`~skmammo.evaluation.Evaluation` of the
        reported probabilities: recalibrated with ``calibration``),
        ``calibration`` (:class:`~skmammo.evaluation.CalibratedEvaluation`
        of the test part, or None), ``explanations``,
        ``explainer_table``, ``sanity`` (method to
        :class:`~skmammo.explain.SanityCheck`), ``repeated``
        (:class:`~skmammo.evaluation.RepeatedEvaluation` or None),
        ``shortcuts`` (``"test"``: every shortcut probe fitted on the
        training part with the pipeline's own film steps and cropper, scored
        on the test part; ``"repeated"`` and ``"paired"``: the probes on the
        repeated evaluation's folds and the paired tests, or None), ``paths``
        (from :meth:`ReportBuilder.write`) and ``seconds``; read them as keys
        (``result["evaluation"]``) or attributes (``result.evaluation``).
    """
    from skmammo.evaluation import (
        evaluate,
        evaluate_calibrated,
        paired_table,
        repeated_evaluation,
        shortcut_probes,
        shortcut_scores,
    )
    from skmammo.explain import randomization_test
    from skmammo.explain.metrics import compare_explainers
    from skmammo.pipeline import make_pipeline
    from skmammo.reporting import ReportBuilder, case_label
    from skmammo.study import study_split

    start = time.perf_counter()
    y = np.asarray(y)
    groups = np.asarray(groups)
    if len(X) != len(y) or len(y) != len(groups):
        raise ValueError(f"X, y and groups differ in length: {len(X)}, {len(y)}, {len(groups)}")
    # The output-folder policy is checked now, before any long work.
    out = out_dir if isinstance(out_dir, OutputFolder) else OutputFolder(out_dir)

    if protocol == "grouped":
        train, test = grouped_split(y, groups, test_size=test_size, random_state=random_state)
        logger.info("Split by patient: %d training and %d test samples", len(train), len(test))
    elif protocol == "study":
        fit_part, validation, test = study_split(y)
        train = np.sort(np.concatenate([fit_part, validation]))
        logger.info("The study's split: %d training and validation, %d test samples",
                    len(train), len(test))
    else:
        raise ValueError(f"protocol must be 'grouped' or 'study', got {protocol!r}")
    X_train, X_test = X.iloc[train], X.iloc[test]

    # verbose >= 1: one log line per training epoch (MammoCNNClassifier's verbose)
    params = {"random_state": random_state, "verbose": verbose, **dict(pipeline_params or {})}

    def unfitted():
        """The reported model: the pipeline, recalibrated on held-out patients if asked."""
        return unfitted_model(params, calibration, confidence, random_state)

    repeated = None
    if n_runs > 0:
        logger.info("Repeated evaluation: %d runs, %s protocol", n_runs, protocol)
        repeated = repeated_evaluation(
            unfitted(), X, y, groups=groups, n_runs=n_runs, protocol=protocol,
            random_state=random_state, n_jobs=n_jobs, return_estimators=protocol == "study",
            fit_groups=calibration is not None,  # the calibration patients, split by patient
            variants=None if calibration is None else {"raw": {"calibrated": False}},
            verbose=verbose,
        )
    if repeated is not None and protocol == "study":
        # The study's runs all train on this very split: report the first one.
        model = repeated.estimators[0]
        repeated.estimators = None
    else:
        model = unfitted()
        logger.info("Fitting the pipeline (%s)%s",
                    ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "verbose"),
                    "" if calibration is None else f", recalibrated by {calibration} scaling")
        model.fit(X_train, y[train], **({} if calibration is None else {"groups": groups[train]}))
    calibrated = None if calibration is None else model
    pipe = model if calibration is None else model.estimator_
    checked = None
    if calibrated is not None:
        checked = evaluate_calibrated(calibrated, X_test, y[test], y_train=y[train])
        evaluation = checked.calibrated
        logger.info("Expected calibration error %.3f (model's own %.3f); prediction sets at "
                    "%g%%: coverage %.3f, mean size %.2f", evaluation.calibration["ece"],
                    checked.raw.calibration["ece"], 100 * confidence,
                    checked.set_table.loc["all", "coverage"],
                    checked.set_table.loc["all", "mean_size"])
    else:
        evaluation = evaluate(pipe, X_test, y[test], y_train=y[train])
    logger.info(
        "Test accuracy %.3f, balanced accuracy %.3f, macro F1 %.3f",
        evaluation.scores["accuracy"], evaluation.scores["balanced_accuracy"],
        evaluation.scores["macro_f1"],
    )

    # What crop geometry alone reaches, on the same split and, below, the same folds, with
    # the cropper fitted on the rows the network trained on (less the calibration patients)
    shortcuts = {"test": None, "repeated": None, "paired": None}
    film_steps = _film_steps(pipe)
    hold_out = None if calibrated is None else calibrated.calibration_fraction
    if film_steps is not None:
        logger.info("Shortcut probes on the test part")
        # the cropper keeps the reported pipeline's own seed (a study run's seed included)
        own = [v for k, v in film_steps.get_params().items()
               if k.endswith("random_state") and v is not None]
        shortcuts["test"] = shortcut_scores(X_train, y[train], X_test, y[test],
                                            cropper=film_steps, hold_out=hold_out,
                                            groups=groups[train],
                                            random_state=own[0] if own else params["random_state"])
    if film_steps is not None and repeated is not None and protocol == "grouped":
        logger.info("Shortcut probes on the %d folds of the repeated evaluation", len(repeated.runs))
        shortcuts["repeated"] = shortcut_probes(
            X, y, groups=groups, cropper=_film_steps(make_pipeline(**params)), n_runs=n_runs,
            hold_out=hold_out, random_state=random_state, n_jobs=n_jobs, verbose=verbose)
        shortcuts["paired"] = paired_table(repeated, shortcuts["repeated"])

    cases_idx = pick_cases(y[test], evaluation.y_pred, n_cases)
    cases = X_test.iloc[cases_idx]
    # One explanation per method and seed: the first seed's fills the case
    # reports, the second only measures stability.
    seeds = [random_state, random_state + 1] if seeds is None else [int(s) for s in seeds]
    method_params = {m: dict(p) for m, p in (method_params or {}).items()}
    # Every class's map of each case (target="all"): the case report of a
    # misclassified crop shows the true class's map beside the predicted one's.
    # LIME and Kernel SHAP fit every class on the same perturbed samples and
    # Grad-CAM takes one pass per class, so this costs little; the metrics read
    # the predicted class's maps as before.
    for m in methods:
        method_params.setdefault(m, {}).setdefault("target", "all")
    logger.info("Explaining %d test crops with %s", len(cases), ", ".join(methods))
    comparison = compare_explainers(
        pipe, cases, methods, seeds=seeds, method_params=method_params, n_jobs=n_jobs,
        verbose=verbose,
    )
    table, explanations = comparison.table, comparison.explanations
    # Do the maps depend on the model? The randomisation test on the same crops.
    if sanity_methods is None:
        sanity_methods = [m for m in methods if m in ("gradcam", "hirescam", "layercam")]
    sanity = {}
    for m in sanity_methods:
        sanity[m] = randomization_test(pipe, cases, method=m, random_state=random_state)
        logger.info("Sanity check: %s", sanity[m].verdict)
    # The gallery: Grad-CAM (milliseconds per crop) over the whole test set.
    # Each crop's map is that of its reported class (recalibration may change the top class).
    reported = np.searchsorted(pipe.classes_, evaluation.y_pred)
    gallery = (pipe.explain(X_test, method="gradcam", target=reported)
               if "gradcam" in methods else None)
    if gallery is not None:  # captions name each crop by film and lesion (mdb226 lesion 2)
        gallery.case_labels = [case_label(r) for _, r in X_test.iterrows()]

    builder = ReportBuilder(
        evaluation,
        title=f"skmammo report: {dataset}",
        dataset=dataset,
        data_description=data_description,
        splits={"train": y[train], "test": y[test]},
        model=pipe,
        params={"protocol": protocol, "test_size": test_size if protocol == "grouped" else 0.15,
                "n_runs": n_runs, "n_cases": n_cases, "random_state": random_state,
                **({} if calibration is None else {"calibration": calibration,
                                                   "confidence": confidence})},
        history=getattr(pipe[-1], "history_", None),
        explanations=explanations,
        explainer_table=table,
        repeated=repeated,
        shortcuts=shortcuts,
        cases=cases,
        case_target=y[test][cases_idx],
        gallery=gallery,
        calibration=checked,
        case_rows=cases_idx,
        sanity=sanity,
        verbose=verbose,
    )
    paths = builder.write(out, pdf=pdf)
    if out is not out_dir:
        out.finish()  # a folder handed in is finished by whoever opened it
    seconds = time.perf_counter() - start
    logger.info("Reports in %s (%.0f s in all)", out, seconds)
    return Bunch(
        pipeline=pipe,
        calibrated=calibrated,
        evaluation=evaluation,
        calibration=checked,
        explanations=explanations,
        explainer_table=table,
        sanity=sanity,
        repeated=repeated,
        shortcuts=shortcuts,
        paths=paths,
        seconds=seconds,
    )
