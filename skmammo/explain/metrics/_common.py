"""What the metrics share: the maps of an explanation, and running explainers (in parallel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from skmammo.explain._explanation import Explanation


def maps_of(explanation: Explanation) -> np.ndarray:
    """(n, H, W) heatmaps of the explained (or, for ``target="all"``, predicted) class."""
    h = np.asarray(explanation.heatmaps)
    if h.ndim == 4:
        pred = explanation.predictions
        h = h[np.arange(len(h)), pred]
    return h


def targets_of(explanation: Explanation) -> np.ndarray:
    t = np.asarray(explanation.targets)
    return explanation.predictions if t.ndim == 2 else t


def run_one(estimator, X, method: str, random_state, params: dict) -> Explanation:
    """``estimator.explain`` (classifier, pipeline) or :func:`~skmammo.explain.explain` (keras)."""
    from skmammo.explain._dispatch import explain
    from skmammo.explain._model import _is_keras_model

    if not _is_keras_model(estimator) and hasattr(estimator, "explain"):
        return estimator.explain(X, method=method, random_state=random_state, **params)
    return explain(estimator, X, method, random_state=random_state, **params)


def run_all(estimator, X, jobs: Sequence[tuple[str, Any, dict]], n_jobs: int | None) -> list:
    """Explain ``X`` once per ``(method, seed, params)`` job, in order.

    With ``n_jobs`` > 1 the jobs run in threads (joblib's threading backend):
    the network, its compiled functions and the crops are shared, and every
    job is seeded by its own ``random_state``, so the results are those of
    the serial run.
    """
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(run_one)(estimator, X, method, seed, params) for method, seed, params in jobs
    )
