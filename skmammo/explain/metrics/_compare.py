"""``compare_explainers``: one row per method, from one set of runs."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skmammo.explain._explanation import Explanation
from skmammo.explain._registry import get_explainer
from skmammo.explain.metrics._common import maps_of
from skmammo.explain.metrics._faithfulness import deletion_auc, insertion_auc
from skmammo.explain.metrics._localization import (
    baseline_maps,
    circles_in_crop,
    has_lesion_masks,
    localization,
    masks_in_crop,
)
from skmammo.explain.metrics._stability import check_seeds, seed_runs, stability_of
from skmammo.utils import DEPRECATED

logger = logging.getLogger("skmammo.explain.metrics")

__all__ = ["COLUMNS", "ExplainerComparison", "compare_explainers"]

#: The per-image values of :attr:`ExplainerComparison.per_image`.
PER_IMAGE = ("pointing_game", "positive_share", "rank_accuracy", "deletion_auc",
             "insertion_auc")

#: The columns of :attr:`ExplainerComparison.table`.
COLUMNS = (
    "seconds_per_image", "stability_spearman", "stability_iou", "pointing_game",
    "positive_share", "rank_accuracy", "deletion_auc", "insertion_auc", "n_lesions", "n_images",
)


@dataclass
class ExplainerComparison:
    """What :func:`compare_explainers` measured, and the explanations it measured.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by method name, columns ``seconds_per_image``,
        ``stability_spearman``, ``stability_iou``, ``pointing_game``,
        ``positive_share`` (the relevance mass accuracy), ``rank_accuracy``
        (the relevance rank accuracy), ``deletion_auc``, ``insertion_auc``,
        ``n_lesions`` (the images with an annotated lesion: the pointing game,
        the positive share and the rank accuracy are means over these only),
        ``n_images``.  With ``baselines=True`` two more rows,
        ``centre_prior`` and ``random_map`` (the keys of
        :data:`~skmammo.explain.metrics.BASELINE_MAPS`), score maps that
        ignore the image on the same images (no time, no stability).
    explanations : dict of str to Explanation
        Per method, its explanation with the first seed (the one timed and
        scored, the one reports show).
    runs : dict of str to list of Explanation
        Per method, its explanation for every seed (a deterministic method is
        run once; its list repeats that run).
    per_image : pandas.DataFrame or None
        One row per method (baseline rows included) and image: ``method``,
        ``image`` (position in ``X``) and the per-image values the table
        averages, ``pointing_game`` (1 hit, 0 miss), ``positive_share``,
        ``rank_accuracy`` (NaN for an image without a lesion),
        ``deletion_auc``, ``insertion_auc``: what
        :func:`~skmammo.explain.metrics.paired_methods` compares.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmammo.explain.metrics import ExplainerComparison
    >>> c = ExplainerComparison(pd.DataFrame({"n_images": [4]}, index=["gradcam"]))
    >>> c.to_frame().loc["gradcam", "n_images"]
    np.int64(4)
    """

    table: Any
    explanations: dict[str, Explanation] = field(default_factory=dict)
    runs: dict[str, list[Explanation]] = field(default_factory=dict, repr=False)
    per_image: Any = field(default=None, repr=False)

    def to_frame(self):
        """The comparison table (a :class:`pandas.DataFrame`, one row per method)."""
        return self.table


def _lesions(X, first: Explanation, lesions):
    """The lesions in crop pixels: as given, else from the frame and the crop boxes (its
    masks or boxes when it has them, else its circles); a bool array of masks or a
    tuple ``(x, y, radius)``."""
    if isinstance(lesions, np.ndarray) and lesions.ndim == 3:
        return lesions.astype(bool, copy=False)
    if lesions is not None or not hasattr(X, "columns") or first.boxes is None:
        return lesions
    crop_shape = maps_of(first).shape[1:]
    if has_lesion_masks(X):
        return masks_in_crop(X, first.boxes, crop_shape)
    if {"x", "y", "radius"} <= set(X.columns):
        return circles_in_crop(first.boxes, X["x"].to_numpy(), X["y"].to_numpy(),
                               X["radius"].to_numpy(), crop_shape)
    return None


def _scores(estimator, explanation: Explanation, lesions, *, tolerance, steps,
            baseline) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Localization and faithfulness of one explanation (a method's or a baseline map's):
    the means, and the per-image values they average."""
    n = len(explanation)
    row: dict[str, Any] = {"n_images": n}
    if lesions is not None:
        if isinstance(lesions, np.ndarray) and lesions.dtype == bool:
            loc = localization(explanation, mask=lesions, tolerance=tolerance)
        else:
            cx, cy, cr = lesions
            loc = localization(explanation, cx, cy, cr, tolerance=tolerance)
        for key in ("pointing_game", "positive_share", "rank_accuracy", "n_lesions"):
            row[key] = loc[key]
        images = {"pointing_game": loc.hit, "positive_share": loc.share,
                  "rank_accuracy": loc.rank}
    else:
        row["pointing_game"] = row["positive_share"] = row["rank_accuracy"] = np.nan
        row["n_lesions"] = 0
        images = {key: np.full(n, np.nan) for key in PER_IMAGE[:3]}
    images["deletion_auc"] = np.asarray(deletion_auc(estimator, explanation, steps=steps,
                                                     baseline=baseline), dtype=float)
    images["insertion_auc"] = np.asarray(insertion_auc(estimator, explanation, steps=steps,
                                                       baseline=baseline), dtype=float)
    row["deletion_auc"] = float(np.mean(images["deletion_auc"]))
    row["insertion_auc"] = float(np.mean(images["insertion_auc"]))
    return row, images


def _row(estimator, X, name: str, runs: list[Explanation], *, lesions, top, tolerance, steps,
         baseline) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    first = runs[0]
    row = {"method": name, "seconds_per_image": first.seconds_per_image}
    if len(runs) >= 2:
        st = stability_of(runs, top)
        row["stability_spearman"], row["stability_iou"] = st["spearman"], st["iou"]
    else:
        row["stability_spearman"] = row["stability_iou"] = np.nan
    scores, images = _scores(estimator, first, lesions, tolerance=tolerance, steps=steps,
                             baseline=baseline)
    row.update(scores)
    logger.debug("compared %s: %s", name, row)
    return row, images


def compare_explainers(
    estimator: Any,
    X: Any,
    methods: Sequence[str] = ("gradcam", "lime", "shap"),
    *,
    lesions: Any = None,
    seeds: Sequence[int] = (0, 1, 2),
    method_params: dict[str, dict[str, Any]] | None = None,
    top: float = 0.2,
    tolerance: float = 0.0,
    steps: int = 20,
    baseline: str | float = "mean",
    baselines: bool = True,
    n_jobs: int | None = None,
    verbose: int = 0,
    return_explanations: bool = DEPRECATED,
) -> ExplainerComparison:
    """One row per explainer: speed, stability, localization and faithfulness.

    Every stochastic method (``stochastic=True`` in the registry) explains
    ``X`` once per seed, a deterministic one once; the first run gives the
    timing, localization and faithfulness, all runs the stability.  Two
    baseline rows (``baselines=True``) score maps that ignore the image on
    the same images, the numbers a method must beat: ``centre_prior`` (a
    Gaussian peaking at the crop centre, :func:`centre_prior`: on
    lesion-centred crops it wins the pointing game for free) and
    ``random_map`` (seeded noise, :func:`random_map`: chance, about the
    lesion's area share).

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray (n, H, W) of crops, or a mammogram frame for a pipeline
    methods : sequence of str, default=("gradcam", "lime", "shap")
        Registered methods (see :func:`~skmammo.explain.get_explainer`).
    lesions : (x, y, radius) arrays or bool array (n, H, W), in crop pixels, optional
        The lesions as circles or as masks.  For a pipeline and a frame they
        are taken from the frame and moved into the crops: its lesion masks
        or boxes where it has them (CBIS-DDSM, VinDr-Mammo; see
        :func:`masks_in_crop`), else its ``x``, ``y``, ``radius`` circles.
    seeds : sequence of int, default=(0, 1, 2)
        Absolute ``random_state`` of each run (the first is the reported one).
    method_params : dict, optional
        Per method keyword arguments, e.g. ``{"lime": {"n_samples": 500}}``.
    top, tolerance, steps, baseline
        See :func:`stability`, :func:`localization`, :func:`deletion_auc`.
    baselines : bool, default=True
        Add the ``centre_prior`` and ``random_map`` rows (the random map is
        seeded by the first seed).
    n_jobs : int or None, default=None
        Runs (methods x seeds) and rows made in parallel threads (joblib
        semantics, None = 1).  The numbers are those of the serial run, but
        the timings then share the machine: time with ``n_jobs=1``.
    verbose : int, default=0
        Passed to the methods that take it (progress bars), unless
        ``method_params`` sets it.
    return_explanations : bool
        Deprecated (removed in skmammo 0.3): the result always carries the
        explanations.  Passing it returns the old ``table`` or
        ``(table, explanations)``, with a FutureWarning.

    Returns
    -------
    ExplainerComparison
        ``table`` (also ``to_frame()``), ``explanations`` (first seed per
        method) and ``runs`` (every seed per method).

    Examples
    --------
    >>> result = compare_explainers(clf, crops, lesions=(x, y, r),  # doctest: +SKIP
    ...                             method_params={"lime": {"n_samples": 300}})
    >>> result.table.loc["lime", "stability_spearman"]  # doctest: +SKIP
    """
    import pandas as pd
    from joblib import Parallel, delayed

    method_params = dict(method_params or {})
    seeds = check_seeds(seeds)
    specs_params = []
    for method in methods:
        spec = get_explainer(method)
        params = dict(method_params.get(method, method_params.get(spec.name, {})))
        if spec.accepts("verbose"):
            params.setdefault("verbose", verbose)
        specs_params.append((spec, params))
    runs = seed_runs(estimator, X, specs_params, seeds, n_jobs)
    first = runs[specs_params[0][0].name][0] if specs_params else None
    lesions = None if first is None else _lesions(X, first, lesions)
    done = Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(_row)(estimator, X, spec.name, runs[spec.name], lesions=lesions, top=top,
                      tolerance=tolerance, steps=steps, baseline=baseline)
        for spec, _ in specs_params
    )
    rows = [row for row, _ in done]
    images = {row["method"]: per for row, per in done}
    if baselines and first is not None:
        for name, maps in baseline_maps(first, random_state=seeds[0]).items():
            scores, images[name] = _scores(estimator, maps, lesions, tolerance=tolerance,
                                           steps=steps, baseline=baseline)
            rows.append({"method": name, "seconds_per_image": np.nan,
                         "stability_spearman": np.nan, "stability_iou": np.nan, **scores})
    table = pd.DataFrame(rows).set_index("method")[list(COLUMNS)]
    per_image = pd.concat(
        {name: pd.DataFrame(v).rename_axis("image") for name, v in images.items()},
        names=["method"]).reset_index() if images else None
    result = ExplainerComparison(table, {name: r[0] for name, r in runs.items()}, runs,
                                 per_image)
    if return_explanations is DEPRECATED:
        return result
    warnings.warn(
        "compare_explainers(return_explanations=...) is deprecated and will be removed in "
        "skmammo 0.3: it returns an ExplainerComparison with .table and .explanations; "
        "stop passing return_explanations", FutureWarning, stacklevel=2,
    )
    return (result.table, result.explanations) if return_explanations else result.table
