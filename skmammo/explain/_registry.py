"""The explainer registry: one entry per method, read by everything that shows or measures maps.

An entry says how to run a method and how to read its maps: the dispatcher
(:func:`~skmammo.explain.explain`), the metrics
(:func:`~skmammo.explain.metrics.compare_explainers`), the figures, the
``Explanation`` overlays and the reports all look methods up here, so adding
an explainer is one function plus one :func:`register_explainer` call.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXPLAINERS", "ExplainerSpec", "get_explainer", "register_explainer",
           "unregister_explainer"]


@dataclass(frozen=True)
class ExplainerSpec:
    """How to run one explanation method and how to read its maps.

    Parameters
    ----------
    name : str
        The canonical name users pass as ``method=`` (lower case).
    function : callable or str
        ``function(estimator, X, *, target, batch_size, [random_state], **params)``
        returning an :class:`~skmammo.explain.Explanation`; or its
        ``"module:attribute"`` path, imported on first use (so registering a
        method imports neither TensorFlow nor the method's library).
    label : str
        How reports and figures name the method (``"Grad-CAM"``).
    signed : bool
        True if a map holds evidence for (positive) and against (negative)
        the class; False if it is non-negative (drawn on ``[0, 1]``).
    stochastic : bool
        True if the map depends on ``random_state`` (run-to-run stability is
        then worth measuring).
    cmap : str
        Matplotlib colour map the overlays use: a diverging map for signed
        methods, a sequential one otherwise.
    aliases : tuple of str
        Other names accepted for ``method=``.
    description : str
        What a map shows, as the case reports say it after "shows"
        (e.g. ``"the signed weight of each superpixel (red for, blue against
        the class)"``); empty: a generic phrase from ``signed``.
    """

    name: str
    function: Callable[..., Any] | str = field(repr=False)
    label: str
    signed: bool
    stochastic: bool
    cmap: str
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def shows(self) -> str:
        """What a map shows: ``description``, or a generic phrase from ``signed``."""
        if self.description:
            return self.description
        if self.signed:
            return "the signed weight of each region (red for, blue against the class)"
        return "where the model found evidence for the explained class (0 to 1)"

    def load(self) -> Callable[..., Any]:
        """The method's function (imported now if it was given by path)."""
        if callable(self.function):
            return self.function
        module, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def accepts(self, parameter: str) -> bool:
        """True if the method's function takes the keyword ``parameter``."""
        return parameter in inspect.signature(self.load()).parameters


#: The registered methods, by canonical name, in registration order.
EXPLAINERS: dict[str, ExplainerSpec] = {}
_ALIASES: dict[str, str] = {}


def register_explainer(spec: ExplainerSpec, *, replace: bool = False) -> ExplainerSpec:
    """Add an explanation method to the registry; return its entry.

    Parameters
    ----------
    spec : ExplainerSpec
    replace : bool, default=False
        Allow replacing a method of the same name (otherwise a clash of
        names or aliases is an error).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.explain import Explanation, ExplainerSpec, register_explainer
    >>> def flat(estimator, X, *, target=None, batch_size=64):
    ...     X = np.asarray(X)
    ...     return Explanation(method="flat", heatmaps=np.ones(X.shape, np.float32),
    ...                        targets=np.zeros(len(X), int), probabilities=None)
    >>> spec = register_explainer(ExplainerSpec("flat", flat, label="Flat", signed=False,
    ...                                         stochastic=False, cmap="viridis"))
    >>> get_explainer("FLAT").label
    'Flat'
    >>> _ = unregister_explainer("flat")
    """
    names = (spec.name.lower(), *(a.lower() for a in spec.aliases))
    if not replace:
        taken = [n for n in names if n in _ALIASES]
        if taken:
            raise ValueError(f"explanation method name(s) {taken} already registered; pass "
                             "replace=True to replace a method")
    for stale in [a for a, n in _ALIASES.items() if n == spec.name.lower()]:
        del _ALIASES[stale]  # a replaced method's old aliases
    EXPLAINERS[spec.name.lower()] = spec
    for n in names:
        _ALIASES[n] = spec.name.lower()
    return spec


def get_explainer(method: str) -> ExplainerSpec:
    """The registry entry of ``method`` (a canonical name or an alias, any case).

    Raises
    ------
    ValueError
        Naming the registered methods, if ``method`` is none of them.

    Examples
    --------
    >>> get_explainer("Grad-CAM").name, get_explainer("kernel_shap").label
    ('gradcam', 'Kernel SHAP')
    """
    if not isinstance(method, str) or method.lower() not in _ALIASES:
        raise ValueError(f"unknown explanation method {method!r}; choose one of "
                         f"{', '.join(EXPLAINERS)}")
    return EXPLAINERS[_ALIASES[method.lower()]]


def unregister_explainer(method: str) -> ExplainerSpec:
    """Remove a method (given by name or alias) and its aliases; return its entry.

    Examples
    --------
    >>> _ = register_explainer(ExplainerSpec("toy", "numpy:zeros_like", label="Toy",
    ...                                      signed=False, stochastic=False, cmap="gray"))
    >>> unregister_explainer("TOY").label, "toy" in EXPLAINERS
    ('Toy', False)
    """
    spec = get_explainer(method)
    del EXPLAINERS[spec.name.lower()]
    for alias in [a for a, name in _ALIASES.items() if name == spec.name.lower()]:
        del _ALIASES[alias]
    return spec


_SUPERPIXELS = "the signed weight of each superpixel (red for, blue against the class)"

register_explainer(ExplainerSpec(
    "gradcam", "skmammo.explain._gradcam:gradcam", label="Grad-CAM", signed=False,
    stochastic=False, cmap="jet", aliases=("grad-cam", "grad_cam"),
    description="where the network's last convolutional layer found evidence for the explained "
                "class (0 to 1)",
))
register_explainer(ExplainerSpec(
    "lime", "skmammo.explain._lime:lime", label="LIME", signed=True, stochastic=True,
    cmap="RdBu_r", description=_SUPERPIXELS,
))
register_explainer(ExplainerSpec(
    "shap", "skmammo.explain._shap:kernel_shap", label="Kernel SHAP", signed=True,
    stochastic=True, cmap="RdBu_r", aliases=("kernel_shap", "kernelshap", "kernel-shap"),
    description=_SUPERPIXELS,
))
register_explainer(ExplainerSpec(
    "hirescam", "skmammo.explain._gradcam:hirescam", label="HiResCAM", signed=False,
    stochastic=False, cmap="jet", aliases=("hires-cam", "hires_cam"),
    description="where the last convolutional layer's activations, each weighed by its own "
                "gradient, raise the explained class's score (0 to 1)",
))
register_explainer(ExplainerSpec(
    "layercam", "skmammo.explain._gradcam:layercam", label="LayerCAM", signed=False,
    stochastic=False, cmap="jet", aliases=("layer-cam", "layer_cam"),
    description="where the last convolutional layer's activations, weighed by their positive "
                "gradients, support the explained class (0 to 1)",
))
register_explainer(ExplainerSpec(
    "occlusion", "skmammo.explain._occlusion:occlusion", label="Occlusion", signed=True,
    stochastic=False, cmap="RdBu_r", aliases=("occlusion_sensitivity",),
    description="how much the class probability drops when a grey patch hides each place "
                "(red: hiding it lowers the class, blue: raises it)",
))
