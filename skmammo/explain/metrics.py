"""Measuring explanations: stability, localization, faithfulness, and a comparison table.

- :func:`stability`: run-to-run agreement across seeds (Spearman correlation
  of the maps, IoU of their top pixels);
- :func:`localization`: agreement with the annotated lesion circle (pointing
  game, share of positive attribution inside the circle);
- :func:`deletion_auc` / :func:`insertion_auc`: faithfulness, following the
  class probability while pixels are removed / added in order of attribution;
- :func:`compare_explainers`: all of the above for several methods, as a
  :class:`pandas.DataFrame` (the study's Table 3 and Figures 7-8 as numbers).

Examples
--------
>>> from skmammo.explain import explain, metrics  # doctest: +SKIP
>>> e = explain(clf, crops, "gradcam")  # doctest: +SKIP
>>> metrics.localization(e, x, y, radius)["pointing_game"]  # doctest: +SKIP
>>> metrics.compare_explainers(clf, crops, lesions=(x, y, radius))  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, Sequence

import numpy as np

from skmammo.explain._explanation import Explanation

logger = logging.getLogger(__name__)

__all__ = [
    "circles_in_crop",
    "compare_explainers",
    "deletion_auc",
    "insertion_auc",
    "localization",
    "stability",
]


# --------------------------------------------------------------------- helpers
def _maps(explanation: Explanation) -> np.ndarray:
    """(n, H, W) heatmaps of the explained (or, for ``target="all"``, predicted) class."""
    h = np.asarray(explanation.heatmaps)
    if h.ndim == 4:
        pred = explanation.predictions
        h = h[np.arange(len(h)), pred]
    return h


def _targets(explanation: Explanation) -> np.ndarray:
    t = np.asarray(explanation.targets)
    return explanation.predictions if t.ndim == 2 else t


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import rankdata

    a, b = np.ravel(a), np.ravel(b)
    if np.array_equal(a, b):
        return 1.0
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = np.sqrt((ra**2).sum() * (rb**2).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else 0.0


def _top_iou(a: np.ndarray, b: np.ndarray, top: float) -> float:
    a, b = np.ravel(a), np.ravel(b)
    k = max(1, int(round(top * a.size)))
    sa = set(np.argsort(-a, kind="stable")[:k].tolist())
    sb = set(np.argsort(-b, kind="stable")[:k].tolist())
    return len(sa & sb) / len(sa | sb)


def _stability_of(explanations: Sequence[Explanation], top: float) -> dict[str, Any]:
    maps = [_maps(e) for e in explanations]
    n = len(maps[0])
    rho = np.zeros(n)
    iou = np.zeros(n)
    pairs = list(itertools.combinations(range(len(maps)), 2))
    for i in range(n):
        rho[i] = np.mean([_spearman(maps[a][i], maps[b][i]) for a, b in pairs])
        iou[i] = np.mean([_top_iou(maps[a][i], maps[b][i], top) for a, b in pairs])
    return {"spearman": float(rho.mean()), "iou": float(iou.mean()), "spearman_per_image": rho, "iou_per_image": iou}


def _run(model_or_pipeline, X, method: str, random_state, params: dict) -> Explanation:
    from skmammo.explain._dispatch import explain
    from skmammo.explain._model import _is_keras_model

    if not _is_keras_model(model_or_pipeline) and hasattr(model_or_pipeline, "explain"):
        return model_or_pipeline.explain(X, method=method, random_state=random_state, **params)
    return explain(model_or_pipeline, X, method, random_state=random_state, **params)


# ------------------------------------------------------------------- stability
def stability(
    estimator: Any,
    X: Any,
    method: str = "gradcam",
    *,
    seeds: Sequence[int] = (0, 1, 2),
    top: float = 0.2,
    **explain_params: Any,
) -> dict[str, Any]:
    """Run-to-run stability of an explainer across seeds.

    The images are explained once per seed; for every image, the mean over
    pairs of runs of the Spearman rank correlation of the two maps and of the
    IoU of their top ``top`` share of pixels.  A deterministic method
    (Grad-CAM) scores exactly 1.0.

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray of shape (n, H, W), or a frame for a pipeline
    method : str, default="gradcam"
    seeds : sequence of int, default=(0, 1, 2)
        At least two.
    top : float, default=0.2
        Share of pixels compared by the IoU.
    **explain_params
        Passed to ``explain`` (e.g. ``num_samples``).

    Returns
    -------
    dict
        ``spearman`` and ``iou`` (means over images) and their per-image arrays.

    Examples
    --------
    >>> stability(clf, crops, "lime", seeds=(0, 1), num_samples=300)["spearman"]  # doctest: +SKIP
    """
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError(f"stability needs at least two seeds, got {seeds}")
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    runs = [_run(estimator, X, method, s, explain_params) for s in seeds]
    return _stability_of(runs, top)


# ---------------------------------------------------------------- localization
def circles_in_crop(
    boxes: np.ndarray, x: np.ndarray, y: np.ndarray, radius: np.ndarray, crop_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lesion circles from film coordinates to crop coordinates.

    ``boxes`` are the crop boxes ``x0, y0, x1, y1`` (film pixels) of
    ``Explanation.boxes``; the crop of ``crop_shape`` (rows, cols) shows the
    box resized.  Returns ``x, y, radius`` in crop pixels (NaN stays NaN).
    """
    boxes = np.asarray(boxes, dtype=float)
    sx = crop_shape[1] / (boxes[:, 2] - boxes[:, 0])
    sy = crop_shape[0] / (boxes[:, 3] - boxes[:, 1])
    cx = (np.asarray(x, dtype=float) - boxes[:, 0]) * sx
    cy = (np.asarray(y, dtype=float) - boxes[:, 1]) * sy
    return cx, cy, np.asarray(radius, dtype=float) * np.sqrt(sx * sy)


def localization(
    explanation: Explanation,
    x: np.ndarray,
    y: np.ndarray,
    radius: np.ndarray,
    *,
    tolerance: float = 0.0,
) -> dict[str, Any]:
    """Agreement of the heatmaps with annotated lesion circles (crop coordinates).

    - pointing game: is the map's maximum inside the circle (radius plus
      ``tolerance`` pixels)?  On a plateau (LIME / SHAP superpixels) any
      maximal pixel inside counts; a map that is constant (e.g. an all-zero
      Grad-CAM) never scores;
    - positive share: the share of the positive attribution that falls inside
      the circle (0 when there is none).

    Images without a lesion (NaN centre or radius) are left out of the means.

    Parameters
    ----------
    explanation : Explanation
    x, y, radius : array of shape (n,)
        Circle centre (x = column, y = row) and radius in crop pixels; see
        :func:`circles_in_crop` for circles given on the film.
    tolerance : float, default=0.0
        Extra pixels allowed around the circle for the pointing game.

    Returns
    -------
    dict
        ``pointing_game`` and ``positive_share`` (means over lesions),
        ``n_lesions``, and the per-image arrays ``hit`` and ``share`` (NaN
        without a lesion).

    Examples
    --------
    >>> localization(e, x, y, r)["pointing_game"]  # doctest: +SKIP
    """
    maps = _maps(explanation)
    n, height, width = maps.shape
    x, y, radius = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (x, y, radius))
    yy, xx = np.mgrid[:height, :width]
    hit = np.full(n, np.nan)
    share = np.full(n, np.nan)
    for i in range(n):
        if not (np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(radius[i])):
            continue
        d = np.hypot(xx - x[i], yy - y[i])
        h = maps[i]
        top = h.max()
        if top > h.min():
            hit[i] = float(np.any(d[h == top] <= radius[i] + tolerance))
        else:
            hit[i] = 0.0
        pos = np.clip(h, 0, None)
        total = pos.sum()
        share[i] = float(pos[d <= radius[i]].sum() / total) if total > 0 else 0.0
    have = np.isfinite(hit)
    return {
        "pointing_game": float(np.mean(hit[have])) if have.any() else float("nan"),
        "positive_share": float(np.mean(share[have])) if have.any() else float("nan"),
        "n_lesions": int(have.sum()),
        "hit": hit,
        "share": share,
    }


# ---------------------------------------------------------------- faithfulness
def _baseline(image: np.ndarray, baseline) -> np.ndarray:
    if isinstance(baseline, str):
        if baseline == "mean":
            return np.full(image.shape, image.mean(), np.float32)
        if baseline == "zero":
            return np.zeros(image.shape, np.float32)
        if baseline == "blur":
            import cv2

            return cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigmaX=max(image.shape) / 16)
        raise ValueError(f"baseline must be 'mean', 'zero', 'blur' or a grey level, got {baseline!r}")
    return np.full(image.shape, float(baseline), np.float32)


def _curve_auc(estimator, explanation: Explanation, images, *, insert: bool, steps: int, baseline, batch_size: int):
    from skmammo.explain._model import predict_fn, resolve_model

    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if images is None:
        images = explanation.images
    if images is None:
        raise ValueError("the explanation carries no images; pass images=the explained crops")
    images = np.asarray(images, dtype=np.float32)
    maps = _maps(explanation)
    if images.shape != maps.shape:
        raise ValueError(f"images of shape {images.shape} do not match heatmaps of shape {maps.shape}")
    predict = predict_fn(resolve_model(estimator), batch_size)
    targets = _targets(explanation)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    n, height, width = maps.shape
    counts = np.round(fractions * height * width).astype(int)
    aucs = np.zeros(n)
    curves = np.zeros((n, steps + 1))
    for i in range(n):
        order = np.argsort(-maps[i].ravel(), kind="stable")
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        rank = rank.reshape(height, width)
        chosen = rank[None] < counts[:, None, None]  # (steps+1, H, W): pixels moved so far
        base = _baseline(images[i], baseline)
        if insert:
            batch = np.where(chosen, images[i], base)
        else:
            batch = np.where(chosen, base, images[i])
        curves[i] = predict(batch)[:, targets[i]]
        aucs[i] = np.trapezoid(curves[i], fractions)
    return aucs, curves


def deletion_auc(
    estimator: Any,
    explanation: Explanation,
    *,
    images: np.ndarray | None = None,
    steps: int = 20,
    baseline: str | float = "mean",
    batch_size: int = 256,
    return_curves: bool = False,
):
    """Deletion AUC: remove pixels by decreasing attribution, follow the class probability.

    In ``steps`` equal steps the most-attributed pixels are replaced by the
    baseline and the probability of the explained class is recorded; the
    area under that curve over the removed share (0..1) is returned per
    image.  Lower is more faithful.  Each image's curve is one batched call.

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    explanation : Explanation
    images : ndarray (n, H, W), optional
        The crops, when the explanation does not carry them.
    steps : int, default=20
    baseline : "mean", "zero", "blur" or float, default="mean"
        What a removed pixel shows (the image's mean grey level by default).
    batch_size : int, default=256
    return_curves : bool, default=False
        Also return the (n, steps + 1) probability curves.

    Returns
    -------
    ndarray of shape (n,), or (aucs, curves)

    Examples
    --------
    >>> deletion_auc(clf, e).mean()  # doctest: +SKIP
    """
    aucs, curves = _curve_auc(
        estimator, explanation, images, insert=False, steps=steps, baseline=baseline, batch_size=batch_size
    )
    return (aucs, curves) if return_curves else aucs


def insertion_auc(
    estimator: Any,
    explanation: Explanation,
    *,
    images: np.ndarray | None = None,
    steps: int = 20,
    baseline: str | float = "mean",
    batch_size: int = 256,
    return_curves: bool = False,
):
    """Insertion AUC: start from the baseline, add pixels by decreasing attribution.

    The mirror of :func:`deletion_auc`; higher is more faithful.

    Examples
    --------
    >>> insertion_auc(clf, e).mean()  # doctest: +SKIP
    """
    aucs, curves = _curve_auc(
        estimator, explanation, images, insert=True, steps=steps, baseline=baseline, batch_size=batch_size
    )
    return (aucs, curves) if return_curves else aucs


# ------------------------------------------------------------------ comparison
def compare_explainers(
    model_or_pipeline: Any,
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
    return_explanations: bool = False,
):
    """One row per explainer: speed, stability, localization and faithfulness.

    Every method explains ``X`` once per seed (the first run gives the
    timing, localization and faithfulness; all runs give the stability).

    Parameters
    ----------
    model_or_pipeline : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray (n, H, W) of crops, or a mammogram frame for a pipeline
    methods : sequence of str, default=("gradcam", "lime", "shap")
    lesions : (x, y, radius) arrays in crop pixels, optional
        For a pipeline and a frame with ``x``, ``y``, ``radius`` columns the
        circles are taken from the frame and moved into the crops.
    seeds : sequence of int, default=(0, 1, 2)
    method_params : dict, optional
        Per method keyword arguments, e.g. ``{"lime": {"num_samples": 500}}``.
    top, tolerance, steps, baseline
        See :func:`stability`, :func:`localization`, :func:`deletion_auc`.
    return_explanations : bool, default=False
        Also return each method's explanation with the first seed (the one
        timed and scored), so a caller needs not explain the images again.

    Returns
    -------
    table : pandas.DataFrame
        Indexed by method, columns ``seconds_per_image``,
        ``stability_spearman``, ``stability_iou``, ``pointing_game``,
        ``positive_share``, ``deletion_auc``, ``insertion_auc``, ``n_images``.
    explanations : dict of str to Explanation
        If ``return_explanations``: method name to its first-seed explanation.

    Examples
    --------
    >>> table = compare_explainers(clf, crops, lesions=(x, y, r),  # doctest: +SKIP
    ...                            method_params={"lime": {"num_samples": 300}})
    """
    import pandas as pd

    from skmammo.explain._dispatch import _method_function

    method_params = dict(method_params or {})
    seeds = list(seeds)
    rows = []
    firsts: dict[str, Explanation] = {}
    for method in methods:
        name, _ = _method_function(method)
        params = dict(method_params.get(method, method_params.get(name, {})))
        if name != "gradcam":
            params.setdefault("verbose", 0)
        runs = [_run(model_or_pipeline, X, name, s, params) for s in seeds]
        first = firsts[name] = runs[0]
        row = {"method": name, "seconds_per_image": first.seconds_per_image, "n_images": len(first)}
        if len(runs) >= 2:
            st = _stability_of(runs, top)
            row["stability_spearman"], row["stability_iou"] = st["spearman"], st["iou"]
        else:
            row["stability_spearman"] = row["stability_iou"] = np.nan
        circles = lesions
        if circles is None and hasattr(X, "columns") and first.boxes is not None:
            if {"x", "y", "radius"} <= set(X.columns):
                circles = circles_in_crop(
                    first.boxes, X["x"].to_numpy(), X["y"].to_numpy(), X["radius"].to_numpy(),
                    _maps(first).shape[1:],
                )
        if circles is not None:
            cx, cy, cr = circles
            loc = localization(first, cx, cy, cr, tolerance=tolerance)
            row["pointing_game"], row["positive_share"] = loc["pointing_game"], loc["positive_share"]
        else:
            row["pointing_game"] = row["positive_share"] = np.nan
        row["deletion_auc"] = float(np.mean(deletion_auc(model_or_pipeline, first, steps=steps, baseline=baseline)))
        row["insertion_auc"] = float(np.mean(insertion_auc(model_or_pipeline, first, steps=steps, baseline=baseline)))
        rows.append(row)
        logger.debug("compared %s: %s", name, row)
    columns = [
        "seconds_per_image", "stability_spearman", "stability_iou", "pointing_game",
        "positive_share", "deletion_auc", "insertion_auc", "n_images",
    ]
    table = pd.DataFrame(rows).set_index("method")[columns]
    return (table, firsts) if return_explanations else table
