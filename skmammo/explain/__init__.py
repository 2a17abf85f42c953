"""Explain mammogram-crop classifications: CAMs, occlusion, LIME and Kernel SHAP.

- :func:`explain`: one entry point, ``explain(estimator, X, method=...)``;
- :func:`gradcam`, :func:`hirescam`, :func:`layercam` (one compiled gradient
  pass per batch), :func:`occlusion`, :func:`lime`, :func:`kernel_shap`: the
  methods themselves;
- :class:`Explanation`: heatmaps, targets, probabilities, segments, timing,
  crop boxes; ``overlay`` and ``to_film`` draw them;
- the registry: :class:`ExplainerSpec`, :func:`register_explainer`,
  :func:`get_explainer` — one entry per method (its function, label, colour
  map, signed or not, stochastic or not), read by everything that runs,
  draws or measures explanations;
- :mod:`skmammo.explain.metrics`: stability, localization (with the
  centre-prior and random-map baselines), deletion / insertion AUC and
  :func:`~skmammo.explain.metrics.compare_explainers`;
- sanity checks (Adebayo et al., 2018): :func:`randomization_test` (cascading
  model-parameter randomisation) and :func:`random_logit_test`, each a
  :class:`SanityCheck` with a table and a verdict.

TensorFlow, ``lime`` and ``shap`` are imported on first use.
"""

from __future__ import annotations

from skmammo.explain import metrics
from skmammo.explain._batch import explain_to_disk
from skmammo.explain._dispatch import explain
from skmammo.explain._explanation import Explanation
from skmammo.explain._registry import (
    EXPLAINERS,
    ExplainerSpec,
    get_explainer,
    register_explainer,
    unregister_explainer,
)
from skmammo.explain._sanity import (
    SANITY_THRESHOLD,
    SanityCheck,
    random_logit_test,
    randomization_test,
)


def __getattr__(name: str):
    # METHODS: the registered names, read at every access; gradcam, lime,
    # kernel_shap: the registered functions given by "module:name" path,
    # imported (with TensorFlow, lime or shap) on first use.
    if name == "METHODS":
        return tuple(EXPLAINERS)
    for spec in list(EXPLAINERS.values()):
        if isinstance(spec.function, str) and spec.function.rpartition(":")[2] == name:
            return spec.load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXPLAINERS", "METHODS", "SANITY_THRESHOLD", "ExplainerSpec", "Explanation",
           "SanityCheck", "explain", "explain_to_disk", "get_explainer", "gradcam", "hirescam",
           "kernel_shap", "layercam", "lime", "metrics", "occlusion", "random_logit_test",
           "randomization_test", "register_explainer", "unregister_explainer"]
