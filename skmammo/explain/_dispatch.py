"""``explain()``: one entry point for Grad-CAM, LIME and Kernel SHAP."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from skmammo.explain._explanation import Explanation

__all__ = ["explain", "METHODS"]

METHODS = ("gradcam", "lime", "shap")
_ALIASES = {
    "gradcam": "gradcam",
    "grad-cam": "gradcam",
    "grad_cam": "gradcam",
    "lime": "lime",
    "shap": "shap",
    "kernel_shap": "shap",
    "kernelshap": "shap",
    "kernel-shap": "shap",
}


def _method_function(method: str):
    if not isinstance(method, str) or method.lower() not in _ALIASES:
        raise ValueError(
            f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}"
        )
    name = _ALIASES[method.lower()]
    if name == "gradcam":
        from skmammo.explain._gradcam import gradcam as fn
    elif name == "lime":
        from skmammo.explain._lime import lime as fn
    else:
        from skmammo.explain._shap import kernel_shap as fn
    return name, fn


def explain(
    estimator: Any,
    X: np.ndarray,
    method: str = "gradcam",
    *,
    target: int | str | np.ndarray | None = None,
    random_state: int | np.random.RandomState | None = None,
    batch_size: int = 64,
    **method_params: Any,
) -> Explanation:
    """Explain a network's predictions on a batch of crops.

    Parameters
    ----------
    estimator : keras.Model or fitted MammoCNNClassifier
        The network (``model_`` of a fitted classifier is used).
    X : ndarray of shape (n, H, W)
        Preprocessed crops (uint8), e.g. the output of ``ROICropper``.
    method : {"gradcam", "lime", "shap"}, default="gradcam"
        Grad-CAM, LIME (``lime`` package) or Kernel SHAP (``shap`` package).
    target : None, int, array of int of shape (n,), or "all"
        Class to explain (column of ``predict_proba``): the predicted class
        by default; ``"all"`` explains every class.
    random_state : int, RandomState or None
        Seeds LIME's and SHAP's sampling and segmentation (Grad-CAM is
        deterministic).
    batch_size : int, default=64
        Images per compiled graph call for Grad-CAM; LIME and SHAP feed the
        network ``max(batch_size, predict_batch_size)`` perturbed crops per call
        (``predict_batch_size=128`` by default).
    **method_params
        Passed to :func:`~skmammo.explain.gradcam`,
        :func:`~skmammo.explain.lime` or :func:`~skmammo.explain.kernel_shap`
        (e.g. ``num_samples``, ``segmentation``, ``nsamples``, ``verbose``).

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from skmammo.explain import explain
    >>> e = explain(clf, crops, method="gradcam")  # doctest: +SKIP
    >>> e.heatmaps.shape, e.targets[:3]  # doctest: +SKIP
    """
    name, fn = _method_function(method)
    params = inspect.signature(fn).parameters
    unknown = sorted(set(method_params) - set(params))
    if unknown:
        valid = [p for p in params if p not in ("estimator", "X", "target", "random_state", "batch_size")]
        raise ValueError(
            f"unknown parameter(s) {unknown} for method {name!r}; valid parameters: {valid}"
        )
    kwargs = dict(method_params, target=target, batch_size=batch_size)
    if "random_state" in params:
        kwargs["random_state"] = random_state
    return fn(estimator, X, **kwargs)
