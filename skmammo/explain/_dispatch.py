"""``explain()``: one entry point for every registered method (CAMs, occlusion, LIME, SHAP)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from skmammo.explain._explanation import Explanation
from skmammo.explain._registry import EXPLAINERS, get_explainer
from skmammo.utils import DEPRECATED

__all__ = ["explain"]  # and METHODS, a read-only view of the registry (__getattr__)

_FIXED = ("estimator", "X", "target", "random_state", "batch_size")


def __getattr__(name: str):
    if name == "METHODS":  # read-only view of the registry, current at every access
        return tuple(EXPLAINERS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    method : str, default="gradcam"
        A registered method (see :func:`~skmammo.explain.get_explainer`):
        ``"gradcam"``, ``"hirescam"``, ``"layercam"``, ``"occlusion"``,
        ``"lime"`` (``lime`` package), ``"shap"`` (Kernel SHAP, ``shap``
        package), or one added with
        :func:`~skmammo.explain.register_explainer`.
    target : None, int, array of int of shape (n,), or "all"
        Class to explain (column of ``predict_proba``): the predicted class
        by default; ``"all"`` explains every class.
    random_state : int, RandomState or None
        Seeds LIME's and SHAP's sampling and segmentation (the CAMs and
        occlusion are deterministic).
    batch_size : int, default=64
        Images per compiled graph call for the CAMs; LIME, SHAP and occlusion
        feed the network ``max(batch_size, predict_batch_size)`` perturbed
        crops per call.
    **method_params
        Passed to the method's function (:func:`~skmammo.explain.gradcam`,
        :func:`~skmammo.explain.hirescam`, :func:`~skmammo.explain.layercam`,
        :func:`~skmammo.explain.occlusion`, :func:`~skmammo.explain.lime`,
        :func:`~skmammo.explain.kernel_shap`), e.g. ``n_samples``,
        ``segmentation``, ``baseline``, ``patch_size``, ``verbose``.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from skmammo.explain import explain
    >>> e = explain(clf, crops, method="gradcam")  # doctest: +SKIP
    >>> e.heatmaps.shape, e.targets[:3]  # doctest: +SKIP
    """
    spec = get_explainer(method)
    name, fn = spec.name, spec.load()
    params = inspect.signature(fn).parameters
    takes_any = any(v.kind is inspect.Parameter.VAR_KEYWORD for v in params.values())
    unknown = [] if takes_any else sorted(set(method_params) - set(params))
    if unknown:
        valid = [p for p, v in params.items()
                 if p not in _FIXED and v.default is not DEPRECATED
                 and v.kind is not inspect.Parameter.VAR_KEYWORD]
        raise ValueError(
            f"unknown parameter(s) {unknown} for method {name!r}; valid parameters: {valid}"
        )
    kwargs = dict(method_params, target=target, batch_size=batch_size)
    if "random_state" in params or takes_any:
        kwargs["random_state"] = random_state
    return fn(estimator, X, **kwargs)
