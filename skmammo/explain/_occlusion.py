"""Occlusion sensitivity (Zeiler & Fergus, 2014): grey out a patch, watch the class probability."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from skmammo.explain._baseline import baseline_image
from skmammo.explain._explanation import Explanation
from skmammo.explain._model import (
    check_images,
    check_target,
    n_classes,
    predict_fn,
    resolve_model,
)

logger = logging.getLogger(__name__)

__all__ = ["occlusion"]


def _starts(length: int, patch: int, stride: int) -> np.ndarray:
    """Patch offsets along one axis; the last patch ends on the crop edge."""
    s = list(range(0, length - patch + 1, stride))
    if s[-1] != length - patch:
        s.append(length - patch)
    return np.asarray(s)


def occlusion(
    estimator: Any,
    X: np.ndarray,
    *,
    target: int | str | np.ndarray | None = None,
    patch_size: int | None = None,
    stride: int | None = None,
    baseline: str | float | np.ndarray = "mean",
    batch_size: int = 64,
    predict_batch_size: int = 256,
    verbose: int = 0,
) -> Explanation:
    """Occlusion sensitivity maps: the drop of the class probability when a patch is hidden.

    A square patch of ``patch_size`` pixels slides over each crop in steps
    of ``stride``; at every position the patch shows the ``baseline`` (the
    crop's mean grey level by default), and the network's probability of the
    explained class is recorded.  A pixel's value is the mean over the
    patches covering it of ``p(crop) - p(occluded crop)``.  The map is
    **signed**, in units of the class probability: positive where hiding the
    pixel lowers the class probability (evidence for the class), negative
    where it raises it.  Model-agnostic: it only calls the network's
    forward pass, all occluded crops of an image in batches of
    ``predict_batch_size``.  Deterministic.

    Parameters
    ----------
    estimator : keras.Model or fitted MammoCNNClassifier
    X : ndarray of shape (n, H, W)
        Crops (uint8 grey levels 0..255).
    target : None, int, array of int, or "all"
        Class to explain: the predicted one by default (every class costs
        the same forward passes).
    patch_size : int, optional
        Side of the patch in pixels; ``max(2, min(H, W) // 8)`` by default.
    stride : int, optional
        Step between patches, at most ``patch_size`` (so every pixel is
        covered); ``patch_size // 2`` by default (every pixel is covered by
        up to four patches).
    baseline : "mean", "zero", "blur", float or ndarray (H, W), default="mean"
        What a hidden pixel shows (the same fill as Kernel SHAP's and the
        faithfulness metrics').
    batch_size, predict_batch_size : int, default=64, 256
        Occluded crops go to the network ``max(batch_size,
        predict_batch_size)`` per call (as for LIME and Kernel SHAP).
    verbose : int, default=0
        1 shows a progress bar over the crops.

    Returns
    -------
    Explanation
        ``heatmaps`` (n, H, W) float32, or (n, n_classes, H, W) for
        ``target="all"``; ``params`` with the patch size and stride used.

    Examples
    --------
    >>> from skmammo.explain import explain  # doctest: +SKIP
    >>> e = explain(clf, crops, method="occlusion", patch_size=16)  # doctest: +SKIP
    >>> e.heatmaps.shape  # doctest: +SKIP
    (10, 64, 64)
    """
    model = resolve_model(estimator)
    X = check_images(X, model)
    n, height, width = X.shape
    k = n_classes(model)
    t = check_target(target, n, k)
    if patch_size is None:
        patch_size = max(2, min(height, width) // 8)
    if (isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer))
            or not 1 <= patch_size <= min(height, width)):
        raise ValueError(f"patch_size must be an int in 1..{min(height, width)} (the crop side), "
                         f"got {patch_size!r}")
    if stride is None:
        stride = max(1, patch_size // 2)
    if (isinstance(stride, bool) or not isinstance(stride, (int, np.integer))
            or not 1 <= stride <= patch_size):
        # A longer step leaves pixels no patch covers: their relevance would be 0 / 0.
        raise ValueError(f"stride must be an int in 1..{patch_size} (the patch size), "
                         f"got {stride!r}")
    start = time.perf_counter()
    predict = predict_fn(model, max(int(batch_size), int(predict_batch_size)))
    probs = predict(X)
    rows, cols = _starts(height, patch_size, stride), _starts(width, patch_size, stride)
    offsets = [(r, c) for r in rows for c in cols]
    cover = np.zeros((height, width), np.float32)
    for r, c in offsets:
        cover[r:r + patch_size, c:c + patch_size] += 1
    out = np.zeros((n, k, height, width), np.float32)
    for i in tqdm(range(n), desc="occlusion", unit="crop", disable=not verbose):
        image = X[i].astype(np.float32)
        fill = baseline_image(image, baseline)
        occluded = np.repeat(image[None], len(offsets), axis=0)
        for j, (r, c) in enumerate(offsets):
            occluded[j, r:r + patch_size, c:c + patch_size] = fill[r:r + patch_size, c:c + patch_size]
        drops = probs[i][None] - predict(occluded)  # (positions, k)
        for j, (r, c) in enumerate(offsets):
            out[i, :, r:r + patch_size, c:c + patch_size] += drops[j][:, None, None]
    out /= cover
    if isinstance(t, str):  # "all"
        heatmaps, targets = out, np.tile(np.arange(k), (n, 1))
    else:
        targets = probs.argmax(axis=1) if t is None else t
        heatmaps = out[np.arange(n), targets]
    elapsed = time.perf_counter() - start
    logger.debug("occlusion: %d crops, %d patches each, %.3f s per crop", n, len(offsets), elapsed / n)
    return Explanation(
        method="occlusion",
        heatmaps=heatmaps.astype(np.float32),
        targets=np.asarray(targets, dtype=int),
        probabilities=probs.astype(np.float32),
        params={"patch_size": int(patch_size), "stride": int(stride), "baseline": baseline,
                "predict_batch_size": int(predict_batch_size)},
        images=X,
        seconds_per_image=elapsed / n,
    )
