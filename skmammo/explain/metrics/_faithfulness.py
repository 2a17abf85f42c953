"""Faithfulness: deletion and insertion curves, and the areas under them."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from skmammo.explain._baseline import baseline_image
from skmammo.explain._explanation import Explanation
from skmammo.explain.metrics._common import maps_of, targets_of
from skmammo.utils import DEPRECATED

__all__ = ["deletion_auc", "faithfulness_curves", "insertion_auc"]


def faithfulness_curves(
    estimator: Any,
    explanation: Explanation,
    *,
    mode: str = "deletion",
    images: np.ndarray | None = None,
    steps: int = 20,
    baseline: str | float | np.ndarray = "mean",
    batch_size: int = 256,
    random_state: int = 0,
) -> Bunch:
    """The class probability while pixels are removed (or added) by decreasing attribution.

    ``mode="deletion"``: in ``steps`` equal steps the most-attributed pixels
    are replaced by the baseline; ``mode="insertion"``: the crop starts as
    the baseline and the most-attributed pixels come back first.  Each
    image's curve is one batched call.  Pixels of equal attribution go in
    a random order (seeded by ``random_state``), not row by row: a plateau
    or an empty map is then read as what it is, no ranking, instead of as
    "top rows first".

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    explanation : Explanation
    mode : {"deletion", "insertion"}, default="deletion"
    images : ndarray (n, H, W), optional
        The crops, when the explanation does not carry them.
    steps : int, default=20
    baseline : "mean", "zero", "blur", float or ndarray (H, W), default="mean"
        What a removed pixel shows (the image's mean grey level by default;
        the same fill as Kernel SHAP's ``baseline``).
    batch_size : int, default=256
    random_state : int, default=0
        Seeds the order of pixels of equal attribution.

    Returns
    -------
    Bunch
        ``auc`` (n,): the area under each curve over the moved share (0..1);
        ``curves`` (n, steps + 1): the probabilities of the explained class;
        ``fractions`` (steps + 1,): the moved share at each step.

    Examples
    --------
    >>> faithfulness_curves(clf, e, mode="insertion").curves.shape  # doctest: +SKIP
    """
    from skmammo.explain._model import predict_fn, resolve_model

    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}")
    insert = mode == "insertion"
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if images is None:
        images = explanation.images
    if images is None:
        raise ValueError("the explanation carries no images; pass images=the explained crops")
    images = np.asarray(images, dtype=np.float32)
    maps = maps_of(explanation)
    if images.shape != maps.shape:
        raise ValueError(f"images of shape {images.shape} do not match heatmaps of shape {maps.shape}")
    predict = predict_fn(resolve_model(estimator), batch_size)
    targets = targets_of(explanation)
    fractions = np.linspace(0.0, 1.0, steps + 1)
    n, height, width = maps.shape
    counts = np.round(fractions * height * width).astype(int)
    aucs = np.zeros(n)
    curves = np.zeros((n, steps + 1))
    rng = np.random.default_rng(random_state)
    for i in range(n):
        # by decreasing attribution, ties in random order (lexsort's last key sorts first)
        order = np.lexsort((rng.random(height * width), -maps[i].ravel()))
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        rank = rank.reshape(height, width)
        chosen = rank[None] < counts[:, None, None]  # (steps+1, H, W): pixels moved so far
        base = baseline_image(images[i], baseline)
        if insert:
            batch = np.where(chosen, images[i], base)
        else:
            batch = np.where(chosen, base, images[i])
        curves[i] = predict(batch)[:, targets[i]]
        aucs[i] = np.trapezoid(curves[i], fractions)
    return Bunch(auc=aucs, curves=curves, fractions=fractions)


def _aucs(mode, estimator, explanation, return_curves, **kwargs):
    result = faithfulness_curves(estimator, explanation, mode=mode, **kwargs)
    if return_curves is DEPRECATED:
        return result.auc
    warnings.warn(
        f"{mode}_auc(return_curves=...) is deprecated and will be removed in skmammo 0.3; "
        f"faithfulness_curves(estimator, explanation, mode={mode!r}) returns the areas "
        "(.auc) and the curves (.curves)", FutureWarning, stacklevel=3,
    )
    return (result.auc, result.curves) if return_curves else result.auc


def deletion_auc(
    estimator: Any,
    explanation: Explanation,
    *,
    images: np.ndarray | None = None,
    steps: int = 20,
    baseline: str | float | np.ndarray = "mean",
    batch_size: int = 256,
    random_state: int = 0,
    return_curves: bool = DEPRECATED,
) -> np.ndarray:
    """Deletion AUC: remove pixels by decreasing attribution, follow the class probability.

    In ``steps`` equal steps the most-attributed pixels are replaced by the
    baseline and the probability of the explained class is recorded; the
    area under that curve over the removed share (0..1) is returned per
    image.  Lower is more faithful.  See :func:`faithfulness_curves` for
    the curves and the parameters.

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    explanation : Explanation
    images, steps, baseline, batch_size, random_state
        See :func:`faithfulness_curves`.
    return_curves : bool
        Deprecated (removed in skmammo 0.3): True also returned the curves;
        use :func:`faithfulness_curves`.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> deletion_auc(clf, e).mean()  # doctest: +SKIP
    """
    return _aucs("deletion", estimator, explanation, return_curves, images=images, steps=steps,
                 baseline=baseline, batch_size=batch_size, random_state=random_state)


def insertion_auc(
    estimator: Any,
    explanation: Explanation,
    *,
    images: np.ndarray | None = None,
    steps: int = 20,
    baseline: str | float | np.ndarray = "mean",
    batch_size: int = 256,
    random_state: int = 0,
    return_curves: bool = DEPRECATED,
) -> np.ndarray:
    """Insertion AUC: start from the baseline, add pixels by decreasing attribution.

    The mirror of :func:`deletion_auc`; higher is more faithful.

    Examples
    --------
    >>> insertion_auc(clf, e).mean()  # doctest: +SKIP
    """
    return _aucs("insertion", estimator, explanation, return_curves, images=images, steps=steps,
                 baseline=baseline, batch_size=batch_size, random_state=random_state)
