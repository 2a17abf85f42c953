"""Run-to-run stability of an explainer across seeds."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from skmammo.explain._explanation import Explanation
from skmammo.explain._registry import get_explainer
from skmammo.explain.metrics._common import maps_of, run_all
from skmammo.utils import check_interval

__all__ = ["stability"]


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


def stability_of(explanations: Sequence[Explanation], top: float) -> Bunch:
    """Stability of explanations of the same images (one per seed)."""
    maps = [maps_of(e) for e in explanations]
    n = len(maps[0])
    rho = np.zeros(n)
    iou = np.zeros(n)
    pairs = list(itertools.combinations(range(len(maps)), 2))
    for i in range(n):
        rho[i] = np.mean([_spearman(maps[a][i], maps[b][i]) for a, b in pairs])
        iou[i] = np.mean([_top_iou(maps[a][i], maps[b][i], top) for a, b in pairs])
    return Bunch(spearman=float(rho.mean()), iou=float(iou.mean()), spearman_per_image=rho,
                 iou_per_image=iou)


def check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if len(seeds) < 1:
        raise ValueError("seeds must hold at least one seed (absolute random_state values)")
    return seeds


def seed_runs(estimator, X, specs_params, seeds, n_jobs) -> dict[str, list[Explanation]]:
    """Per method, its explanations of ``X`` for every seed.

    A deterministic method (``stochastic=False`` in the registry) is run once
    and that run stands for every seed.
    """
    jobs = []
    for spec, params in specs_params:
        for seed in seeds if spec.stochastic else seeds[:1]:
            jobs.append((spec.name, seed, params))
    done = iter(run_all(estimator, X, jobs, n_jobs))
    runs = {}
    for spec, _ in specs_params:
        if spec.stochastic:
            runs[spec.name] = [next(done) for _ in seeds]
        else:
            runs[spec.name] = [next(done)] * len(seeds)
    return runs


def stability(
    estimator: Any,
    X: Any,
    method: str = "gradcam",
    *,
    seeds: Sequence[int] = (0, 1, 2),
    top: float = 0.2,
    n_jobs: int | None = None,
    **explain_params: Any,
) -> Bunch:
    """Run-to-run stability of an explainer across seeds.

    The images are explained once per seed; for every image, the mean over
    pairs of runs of the Spearman rank correlation of the two maps and of the
    IoU of their top ``top`` share of pixels.  A deterministic method
    (``stochastic=False`` in the registry, e.g. Grad-CAM) is run once and
    scores exactly 1.0.

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray of shape (n, H, W), or a frame for a pipeline
    method : str, default="gradcam"
        A registered method (see :func:`~skmammo.explain.get_explainer`).
    seeds : sequence of int, default=(0, 1, 2)
        At least two; each is the absolute ``random_state`` of one run.
    top : float, default=0.2
        Share of pixels compared by the IoU.
    n_jobs : int or None, default=None
        Seeds explained in parallel threads (joblib semantics, None = 1);
        the results are those of the serial run.
    **explain_params
        Passed to ``explain`` (e.g. ``n_samples``).

    Returns
    -------
    Bunch
        ``spearman`` and ``iou`` (means over images) and their per-image
        arrays ``spearman_per_image`` and ``iou_per_image``.

    Examples
    --------
    >>> stability(clf, crops, "lime", seeds=(0, 1), n_samples=300).spearman  # doctest: +SKIP
    """
    seeds = check_seeds(seeds)
    if len(seeds) < 2:
        raise ValueError(f"stability needs at least two seeds, got {seeds}")
    check_interval(top, "top", 0, 1, closed="right")
    spec = get_explainer(method)
    runs = seed_runs(estimator, X, [(spec, dict(explain_params))], seeds, n_jobs)
    return stability_of(runs[spec.name], top)
