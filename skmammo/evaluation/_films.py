"""Whole-film evaluation fold by fold: a learned scan against the non-learned baseline scanner.

:func:`film_evaluation` takes the fitted models of a patient-grouped
:func:`~skmammo.evaluation.repeated_evaluation` (``return_estimators=True``),
scans each fold's test films with that fold's model and with
:func:`~skmammo.scan.baseline_scan`, and scores both the same way
(:func:`~skmammo.evaluation.film_roc_auc`, :func:`~skmammo.evaluation.froc`),
with intervals over folds and the paired test of
:func:`~skmammo.evaluation.paired_table`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from skmammo.evaluation._froc import FROC_RATES, _film_keys, film_roc_auc, froc
from skmammo.evaluation._intervals import score_summary
from skmammo.evaluation._paired import paired_table
from skmammo.scan import baseline_scan

__all__ = ["FILM_METRICS", "FilmEvaluation", "ScannerEvaluation", "film_evaluation"]

logger = logging.getLogger(__name__)

#: The per-fold scores of :func:`film_evaluation` that its paired table compares.
FILM_METRICS = ("abnormal_roc_auc", "malignant_roc_auc", "froc_mean")
#: Scan parameters both scanners share, so their candidates follow one rule.
_SHARED = ("stride", "top_k", "max_candidates", "min_distance", "min_score")


@dataclass
class ScannerEvaluation:
    """One scanner's scores on every fold (what :func:`~skmammo.evaluation.paired_table` reads).

    Attributes
    ----------
    protocol : str
        ``"grouped"``.
    runs : DataFrame
        One row per fold: ``run``, ``fold``, ``n_train``, ``n_test`` (films),
        ``n_lesions`` (located lesions on the test films), ``n_reachable``
        (those some in-breast window centre lies in: the most any scanner
        on these windows can find, :class:`FrocResult`), the scores of
        :data:`FILM_METRICS` and ``sensitivity_<rate>`` per FROC rate.
    summary : DataFrame
        Mean, standard deviation and 95% interval of each score over the
        folds (corrected resampled t, clipped to [0, 1]).
    splits : list of (train, test) index arrays
        The repeated evaluation's row positions, fold by fold.
    """

    protocol: str
    runs: pd.DataFrame
    summary: pd.DataFrame
    splits: list = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-fold scores (a copy of ``runs``)."""
        return self.runs.copy()


@dataclass
class FilmEvaluation:
    """Result of :func:`film_evaluation`.

    Attributes
    ----------
    learned, baseline : ScannerEvaluation
        The folds' models' scans and the baseline scanner's, on the same films.
    paired : DataFrame
        :func:`~skmammo.evaluation.paired_table` of the learned scan against
        the baseline for :data:`FILM_METRICS` (index ``"baseline scanner"``;
        ``reference`` is the learned scan).
    curves : DataFrame
        Every fold's FROC curve: ``scanner``, ``run``, ``fold``,
        ``threshold``, ``fp_per_film``, ``sensitivity``.
    """

    learned: ScannerEvaluation
    baseline: ScannerEvaluation
    paired: pd.DataFrame
    curves: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Both scanners' per-fold scores in one table (column ``scanner``)."""
        return pd.concat([self.learned.runs.assign(scanner="learned"),
                          self.baseline.runs.assign(scanner="baseline")], ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        """Both summaries, index ``(scanner, metric)``."""
        return pd.concat({"learned": self.learned.summary, "baseline": self.baseline.summary},
                         names=["scanner"])


def _cropper(model: Any) -> Any:
    """The window cropper inside a fitted model (a pipeline, or a wrapper of one), else None."""
    seen = 0
    while model is not None and seen < 5:
        for step in getattr(model, "steps", []) or []:
            step = step[1]
            if hasattr(step, "window_mm") and hasattr(step, "size"):
                return step
        model = getattr(model, "best_estimator_", None) or getattr(model, "estimator_", None)
        seen += 1
    return None


def _scores(scan: Any, frame: pd.DataFrame, y: np.ndarray, rates) -> tuple[dict, pd.DataFrame]:
    result = froc(scan, frame, y, rates=rates)
    row = {"n_lesions": result.n_lesions, "n_reachable": result.n_reachable,
           **film_roc_auc(scan, frame, y),
           "froc_mean": result.mean}
    row.update({f"sensitivity_{r:g}": v for r, v in result.sensitivity.items()})
    return row, result.curve


def _summarise(rows: list[dict], splits: list) -> ScannerEvaluation:
    runs = pd.DataFrame(rows)
    metrics = [c for c in runs.columns if c not in ("run", "fold", "n_train", "n_test",
                                                    "n_lesions", "n_reachable")]
    ratio = float((runs["n_test"] / runs["n_train"]).mean())
    return ScannerEvaluation(protocol="grouped", runs=runs,
                             summary=score_summary(runs[metrics], grouped_ratio=ratio),
                             splits=splits)


def film_evaluation(evaluation: Any, X: pd.DataFrame, y: Any = None, *,
                    scan_params: Mapping[str, Any] | None = None,
                    baseline_params: Mapping[str, Any] | None = None,
                    rates: Sequence[float] = FROC_RATES, verbose: int = 0) -> FilmEvaluation:
    """Scan every fold's test films with that fold's model and with the baseline scanner.

    For each fold of ``evaluation`` (patient-grouped, so a film and the
    other film of its patient are on the same side), the test rows' films
    are scanned by the fold's fitted model (``model.scan``) and by
    :func:`~skmammo.scan.baseline_scan` with the model's window
    (``window_mm``, ``window_px``, ``size`` of its cropper) and the same
    ``stride``, ``top_k``, ``max_candidates``, ``min_distance`` and
    ``min_score``.  Both scans are scored by :func:`film_roc_auc` (normal
    against abnormal films, malignant against the rest) and :func:`froc`
    (sensitivity at ``rates`` false positives per film and their mean).
    The folds' scores get 95% intervals (corrected resampled t, Nadeau &
    Bengio 2003, with the test-to-training ratio in films) and are compared
    fold by fold with :func:`~skmammo.evaluation.paired_table`.

    Parameters
    ----------
    evaluation : RepeatedEvaluation
        From :func:`~skmammo.evaluation.repeated_evaluation` with
        ``protocol="grouped"`` and ``return_estimators=True``, on ``X``.
    X : DataFrame
        The frame it was run on: one row per lesion (several per film) or
        normal film, with ``film``, ``x``, ``y``, ``radius``.
    y : array-like of shape (n_rows,), optional
        Its targets (0 normal, 1 benign, 2 malignant); default ``X["target"]``.
    scan_params : mapping, optional
        Passed to every model's ``scan`` (the shared ones to the baseline too).
    baseline_params : mapping, optional
        Passed to :func:`~skmammo.scan.baseline_scan` (e.g. ``radii_mm``).
    rates : sequence of float, default=(0.25, 0.5, 1, 2, 4)
        False positives per film of the FROC.
    verbose : int, default=0
        A progress bar over the folds when positive.

    Returns
    -------
    FilmEvaluation

    Raises
    ------
    ValueError
        If ``evaluation`` is not patient-grouped or kept no estimators.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.evaluation import repeated_evaluation
    >>> from skmammo.pipeline import make_pipeline
    >>> films = make_synthetic_mammograms(24, image_size=128, random_state=0)
    >>> pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    >>> runs = repeated_evaluation(pipe, films.frame, films.target, groups=films.groups,
    ...                            protocol="grouped", n_runs=1, n_splits=2,
    ...                            return_estimators=True, random_state=0)
    >>> result = film_evaluation(runs, films.frame, films.target)
    >>> result.paired["metric"].tolist()
    ['abnormal_roc_auc', 'malignant_roc_auc', 'froc_mean']
    """
    if getattr(evaluation, "protocol", None) != "grouped":
        raise ValueError("film_evaluation needs a repeated_evaluation with protocol='grouped' "
                         "(patient-grouped folds), got "
                         f"protocol={getattr(evaluation, 'protocol', None)!r}")
    models = getattr(evaluation, "estimators", None)
    if not models:
        raise ValueError("the evaluation kept no fitted models: run repeated_evaluation with "
                         "return_estimators=True")
    y = np.asarray(X["target"] if y is None else y)
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} labels but X has {len(X)} rows")
    scan_params = dict(scan_params or {})
    shared = {k: v for k, v in scan_params.items() if k in _SHARED and v is not None}
    keys = _film_keys(X)
    learned_rows, baseline_rows, curves = [], [], []
    folds = zip(evaluation.runs[["run", "fold"]].itertuples(index=False), evaluation.splits,
                models)
    for (run, fold), (train, test), model in tqdm(list(folds), desc="film evaluation",
                                                  unit="fold", disable=not verbose):
        frame, truth = X.iloc[test], y[test]
        cropper = _cropper(model)
        window = ({} if cropper is None else
                  {"window_mm": cropper.window_mm, "window_px": cropper.window_px,
                   "size": cropper.size})
        base = {"run": run, "fold": fold, "n_train": len(set(keys[train].tolist())),
                "n_test": len(set(keys[test].tolist()))}
        for name, scan, rows in (
                ("learned", model.scan(frame, **scan_params), learned_rows),
                ("baseline", baseline_scan(frame, **{**window, **shared,
                                                     **dict(baseline_params or {})}),
                 baseline_rows)):
            scores, curve = _scores(scan, frame, truth, rates)
            rows.append({**base, **scores})
            curves.append(curve.assign(scanner=name, run=run, fold=fold))
        logger.info("film evaluation, run %s fold %s: learned %s, baseline %s", run, fold,
                    {m: round(learned_rows[-1][m], 3) for m in FILM_METRICS},
                    {m: round(baseline_rows[-1][m], 3) for m in FILM_METRICS})
    splits = list(evaluation.splits)
    learned, baseline = _summarise(learned_rows, splits), _summarise(baseline_rows, splits)
    paired = paired_table(learned, {"baseline scanner": baseline}, FILM_METRICS,
                          baseline=False)
    columns = ["scanner", "run", "fold", "threshold", "fp_per_film", "sensitivity"]
    return FilmEvaluation(learned=learned, baseline=baseline, paired=paired,
                          curves=pd.concat(curves, ignore_index=True)[columns])
