"""Explain mammogram-crop classifications: Grad-CAM, LIME and Kernel SHAP.

- :func:`explain`: one entry point, ``explain(estimator, X, method=...)``;
- :func:`gradcam`, :func:`lime`, :func:`kernel_shap`: the methods themselves;
- :class:`Explanation`: heatmaps, targets, probabilities, segments, timing,
  crop boxes; ``overlay`` and ``to_film`` draw them;
- :mod:`skmammo.explain.metrics`: stability, localization, deletion /
  insertion AUC and :func:`~skmammo.explain.metrics.compare_explainers`.

TensorFlow, ``lime`` and ``shap`` are imported on first use.
"""

from __future__ import annotations

from skmammo.explain import metrics
from skmammo.explain._batch import explain_to_disk
from skmammo.explain._dispatch import METHODS, explain
from skmammo.explain._explanation import Explanation
from skmammo.explain._registry import EXPLAINERS, ExplainerSpec, get_explainer, register_explainer


def __getattr__(name: str):
    if name == "gradcam":
        from skmammo.explain._gradcam import gradcam

        return gradcam
    if name == "lime":
        from skmammo.explain._lime import lime

        return lime
    if name == "kernel_shap":
        from skmammo.explain._shap import kernel_shap

        return kernel_shap
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXPLAINERS", "METHODS", "ExplainerSpec", "Explanation", "explain", "explain_to_disk",
           "get_explainer", "gradcam", "kernel_shap", "lime", "metrics", "register_explainer"]
