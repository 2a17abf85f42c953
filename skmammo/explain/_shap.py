"""Kernel SHAP (Lundberg & Lee, 2017) over SLIC superpixels, with ``shap.KernelExplainer``."""

from __future__ import annotations

import contextlib
import logging
import numbers
import threading
import time
from typing import Any, Callable

import numpy as np
from tqdm.auto import tqdm

from skmammo.explain._baseline import baseline_image
from skmammo.explain._explanation import Explanation
from skmammo.explain._model import (
    check_images,
    check_target,
    masked_predict_fn,
    n_classes,
    resolve_model,
    seeds_for,
)
from skmammo.explain._segmentation import SegmentAttributions, segment
from skmammo.explain._segmentation import segmentation_params as _seg_params
from skmammo.utils import DEPRECATED, renamed

logger = logging.getLogger(__name__)

__all__ = ["kernel_shap"]


# shap samples from numpy's global generator: one seeded sampling at a time
# (threads of compare_explainers / stability with n_jobs > 1 share it).
_GLOBAL_RNG = threading.Lock()


@contextlib.contextmanager
def _numpy_seed(seed: int):
    """Seed numpy's global generator (which shap samples from), then put its state back."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def kernel_shap(
    estimator: Any,
    X: np.ndarray,
    *,
    target: int | str | np.ndarray | None = None,
    n_samples: int = 1000,
    segmentation: str | Callable[[np.ndarray], np.ndarray] = "slic",
    segmentation_params: dict[str, Any] | None = None,
    baseline: str | float | np.ndarray = "mean",
    l1_reg: str | float | bool = False,
    random_state: int | np.random.RandomState | None = None,
    batch_size: int = 64,
    predict_batch_size: int = 128,
    verbose: int = 0,
    nsamples: int = DEPRECATED,
    background: str | float | np.ndarray = DEPRECATED,
) -> Explanation:
    """Kernel SHAP heatmaps for a batch of crops, with ``shap.KernelExplainer``.

    The players are SLIC superpixels (``n_segments=100, compactness=1`` on
    the grey crop, as in the study); a switched-off superpixel shows the
    ``baseline`` (the crop's mean grey level by default).  ``shap`` samples
    ``n_samples`` coalitions; the masked images are built inside a compiled graph from
    shap's coalition matrix and sent through the network in large batches.  The values of one image add up to
    ``f(x) - f(baseline)`` for the explained class (``base_values`` holds
    ``f(baseline)``).  A crop that segments into a single superpixel gets
    that whole difference without sampling.

    Parameters
    ----------
    estimator : keras.Model or fitted MammoCNNClassifier
    X : ndarray of shape (n, H, W)
        Crops (uint8 grey levels).
    target : None, int, array of int, or "all"
        Class to explain: the predicted one by default.
    n_samples : int, default=1000
        Coalitions evaluated per crop (shap's ``nsamples``).
    segmentation : {"slic", "quickshift"} or callable, default="slic"
    segmentation_params : dict, optional
        Overrides for the segmentation (SLIC: ``n_segments=100, compactness=1``).
    baseline : "mean", "zero", "blur", float or ndarray (H, W), default="mean"
        What a switched-off superpixel shows (shap's background); see
        the faithfulness metrics' ``baseline``, the same fill.
    l1_reg : str, float or False, default=False
        shap's feature selection; False keeps every superpixel (shap's own
        default ``"num_features(10)"`` keeps ten).
    random_state : int, RandomState or None
        Seeds segmentation and shap's sampling (numpy's global generator is
        seeded for the call and restored afterwards).
    batch_size : int, default=64
        Lower bound for ``predict_batch_size``.
    predict_batch_size : int, default=128
        Images per forward pass.
    verbose : int, default=0
        1 shows a progress bar over the images.
    nsamples, background
        Old names of ``n_samples`` and ``baseline`` (FutureWarning; removed in
        skmammo 0.3).

    Returns
    -------
    Explanation

    Examples
    --------
    >>> e = kernel_shap(clf, crops[:2], n_samples=200, random_state=0)  # doctest: +SKIP
    >>> e.segment_weights[0].sum() + e.base_values[0]  # doctest: +SKIP
    """
    import shap

    n_samples = renamed("kernel_shap", "n_samples", n_samples, 1000, "nsamples", nsamples)
    baseline = renamed("kernel_shap", "baseline", baseline, "mean", "background", background)
    model = resolve_model(estimator)
    X = check_images(X, model)
    n, k = len(X), n_classes(model)
    t = check_target(target, n, k)
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2, got {n_samples!r}")
    seg_params = _seg_params(segmentation, segmentation_params)
    predict = masked_predict_fn(model, max(int(predict_batch_size), int(batch_size)))
    seeds = seeds_for(random_state, n)

    results = SegmentAttributions(t, k)
    n_single = 0
    start = time.perf_counter()
    for i in tqdm(range(n), disable=not verbose, desc="Kernel SHAP", unit="image"):
        image = np.asarray(X[i], dtype=np.float32)
        labels_ = segment(image, segmentation, seg_params, int(seeds[i]))
        m = int(labels_.max()) + 1
        bg = baseline_image(image, baseline)

        def f(z, _labels=labels_, _image=image, _bg=bg):
            return predict(z, _labels, _image, _bg)

        ends = f(np.stack([np.ones(m), np.zeros(m)]))
        fx, fnull = ends[0], ends[1]
        if m == 1:
            n_single += 1
            phi = (fx - fnull)[None, :]  # (1, k)
        else:
            explainer = shap.KernelExplainer(f, np.zeros((1, m)), link="identity", keep_index=False)
            with _GLOBAL_RNG, _numpy_seed(int(seeds[i])):
                sv = explainer.shap_values(np.ones(m), nsamples=int(n_samples), l1_reg=l1_reg,
                                           silent=True)
            phi = np.asarray(sv).reshape(m, k)
        wanted = results.classes(i, fx)
        results.add(labels_, phi[:, wanted].T, fnull[wanted], fx, wanted)
    elapsed = time.perf_counter() - start
    if n_single:
        logger.info(
            "%d of %d crops came out of the segmentation as one superpixel; its SHAP value is "
            "f(x) - f(baseline)",
            n_single,
            n,
        )
    return Explanation(
        method="shap",
        params={
            "n_samples": int(n_samples),
            "segmentation": segmentation if isinstance(segmentation, str) else repr(segmentation),
            "segmentation_params": seg_params,
            "baseline": baseline if isinstance(baseline, (str, numbers.Real)) else "array",
            "l1_reg": l1_reg,
            "random_state": random_state if isinstance(random_state, (int, np.integer)) else None,
        },
        images=np.asarray(X),
        seconds_per_image=elapsed / n,
        **results.fields(),
    )
