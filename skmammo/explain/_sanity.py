"""Sanity checks for saliency maps (Adebayo et al., 2018): do the maps depend on the model?

- :func:`randomization_test`: the cascading model-parameter randomisation
  test: the layers' weights are replaced by random ones from the top layer
  down, and after every layer the maps are compared with the trained
  model's;
- :func:`random_logit_test`: each image is explained for a random other
  class, and the map compared with the predicted class's.

A method whose maps survive the randomisation of every weight explains the
image (its edges, its bright spots), not the model.  Both tests return a
:class:`SanityCheck`: a table (``to_frame()``) and a verdict against a
documented threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from skmammo.explain._dispatch import explain
from skmammo.explain._model import resolve_model
from skmammo.explain._registry import get_explainer
from skmammo.explain.metrics._common import maps_of, targets_of
from skmammo.explain.metrics._stability import _spearman

logger = logging.getLogger(__name__)

__all__ = ["SANITY_THRESHOLD", "SanityCheck", "random_logit_test", "randomization_test"]

#: A method passes a sanity check when the mean Spearman similarity of its
#: maps to the reference maps falls below this value (after every layer is
#: randomised, or for a random other class).
SANITY_THRESHOLD = 0.5


@dataclass
class SanityCheck:
    """The result of a sanity check: a table and a verdict.

    Attributes
    ----------
    test : {"model_randomization", "random_logit"}
    method : str
        The registered method checked.
    table : pandas.DataFrame
        ``randomization_test``: one row per randomised layer, from the top
        (``layer``, ``n_randomized``, ``spearman``, ``spearman_std``,
        ``ssim``, ``ssim_std``, ``same_prediction``, ``n_images``);
        ``random_logit_test``: one row per image (``predicted``,
        ``random_class``, ``spearman``, ``ssim``).
    threshold : float
        The similarity a passing method must fall below.
    passed : bool
        True if the mean ``spearman`` of the last row
        (``model_randomization``: every layer randomised) or over all images
        (``random_logit``) is below ``threshold``.

    Examples
    --------
    >>> import pandas as pd
    >>> check = SanityCheck("random_logit", "gradcam", pd.DataFrame({"spearman": [0.1]}), 0.5, True)
    >>> check.verdict
    'gradcam passes the random logit test (mean Spearman 0.10 < 0.5)'
    """

    test: str
    method: str
    table: Any
    threshold: float
    passed: bool

    @property
    def similarity(self) -> float:
        """The similarity the verdict reads (see ``passed``)."""
        col = self.table["spearman"]
        return float(col.iloc[-1] if self.test == "model_randomization" else col.mean())

    @property
    def verdict(self) -> str:
        """One sentence: the method, the test, pass or fail, and the number behind it."""
        sign = "<" if self.passed else ">="
        return (f"{self.method} {'passes' if self.passed else 'fails'} the "
                f"{self.test.replace('_', ' ')} test (mean Spearman {self.similarity:.2f} {sign} "
                f"{self.threshold:g})")

    def to_frame(self):
        """The table (a :class:`pandas.DataFrame`)."""
        return self.table


def _crops(estimator: Any, X: Any) -> np.ndarray:
    """Crops to explain: ``X`` itself, or a frame run through a pipeline's preprocessing."""
    if hasattr(X, "columns") and getattr(estimator, "steps", None):
        X = estimator[:-1].transform(X)
    return np.asarray(X)


def _ssim(a: np.ndarray, b: np.ndarray, signed: bool) -> float:
    """SSIM of two maps, each scaled by its largest absolute value (scale-free)."""
    from skimage.metrics import structural_similarity

    def scaled(h):
        top = float(np.abs(h).max())
        return (h / top if top > 0 else h).astype(np.float64)

    return float(structural_similarity(scaled(a), scaled(b), data_range=2.0 if signed else 1.0))


def _similarities(ref: np.ndarray, maps: np.ndarray, *, absolute: bool):
    """Per image: Spearman rank correlation and SSIM of ``maps`` to ``ref``."""
    if absolute:
        ref, maps = np.abs(ref), np.abs(maps)
    signed = bool((ref < 0).any() or (maps < 0).any())
    rho = np.array([_spearman(r, m) for r, m in zip(ref, maps)])
    ssim = np.array([_ssim(r, m, signed) for r, m in zip(ref, maps)])
    return rho, ssim


def _check_threshold(threshold: float) -> float:
    if not isinstance(threshold, (int, float)) or not -1 <= threshold <= 1:
        raise ValueError(f"threshold must be a Spearman correlation in [-1, 1], got {threshold!r}")
    return float(threshold)


def _randomize(layer, rng: np.random.Generator) -> None:
    """Replace every trainable weight of ``layer`` by Gaussian draws of its own mean and spread."""
    for v in layer.trainable_weights:
        w = np.asarray(v.numpy())
        v.assign(rng.normal(w.mean(), w.std(), w.shape).astype(w.dtype))


def randomization_test(
    estimator: Any,
    X: Any,
    method: str = "gradcam",
    *,
    layers: Sequence[str] | None = None,
    target: int | np.ndarray | None = None,
    threshold: float = SANITY_THRESHOLD,
    random_state: int | None = 0,
    batch_size: int = 64,
    **explain_params: Any,
) -> SanityCheck:
    """Cascading model-parameter randomisation test (Adebayo et al., 2018).

    The crops are explained with the trained network; then, on **one**
    copy of the network, the layers with weights are randomised one after
    the other from the top (the output layer) down, and after every layer
    the crops are explained again for the same classes.  Each row of the
    table compares those maps with the trained network's: the Spearman rank
    correlation and the SSIM of the **absolute** maps (each scaled by its
    maximum), as mean and standard deviation over the crops.  A method that
    explains the model loses its similarity as the layers are randomised; a
    method that stays similar (a mean Spearman of ``threshold`` or more
    once every layer is random) explains the image, and fails.

    A weight is randomised by drawing from a normal distribution with the
    mean and the standard deviation of its trained values (so activations
    keep their scale); the copy is made once and randomised in place, so the
    method's compiled functions are built once for the whole cascade.

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray of shape (n, H, W), or a mammogram frame for a pipeline
        (run through its preprocessing first).
    method : str, default="gradcam"
        A registered method (see :func:`~skmammo.explain.get_explainer`).
    layers : sequence of str, optional
        The layers to randomise, in this order; every layer with trainable
        weights, from the top down, by default.
    target : None, int or array of int of shape (n,)
        The class explained throughout: the trained network's prediction by
        default (not the randomised network's).
    threshold : float, default=SANITY_THRESHOLD (0.5)
        The mean Spearman similarity a passing method must fall below.
    random_state : int or None, default=0
        Seeds the random weights; the method gets it as its ``random_state``
        at every step (LIME and SHAP then sample alike at every step).
    batch_size : int, default=64
        Passed to :func:`~skmammo.explain.explain`.
    **explain_params
        Passed to the method (e.g. ``n_samples``).

    Returns
    -------
    SanityCheck
        ``table`` with one row per randomised layer (cumulative: row k has
        the top k layers random), ``passed`` and ``verdict``.

    Examples
    --------
    >>> from skmammo.explain import randomization_test  # doctest: +SKIP
    >>> check = randomization_test(clf, crops[:50], method="hirescam")  # doctest: +SKIP
    >>> check.to_frame()[["layer", "spearman", "ssim"]]  # doctest: +SKIP
    >>> check.verdict  # doctest: +SKIP
    """
    import keras

    spec = get_explainer(method)
    threshold = _check_threshold(threshold)
    if isinstance(target, str):
        raise TypeError("randomization_test explains one class per crop: target must be None, "
                         f"an int or one int per crop, got {target!r}")
    model = resolve_model(estimator)
    X = _crops(estimator, X)
    original = explain(model, X, spec.name, target=target, random_state=random_state,
                       batch_size=batch_size, **explain_params)
    ref, targets, predicted = maps_of(original), targets_of(original), original.predictions
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    names = list(layers) if layers is not None else [
        lyr.name for lyr in reversed(copy.layers) if lyr.trainable_weights]
    if not names:
        raise ValueError("the model has no layer with trainable weights to randomise")
    rng = np.random.default_rng(random_state)
    rows = []
    for k, name in enumerate(names, start=1):
        try:
            layer = copy.get_layer(name)
        except ValueError:
            raise ValueError(f"the model has no layer named {name!r}") from None
        _randomize(layer, rng)
        e = explain(copy, X, spec.name, target=targets, random_state=random_state,
                    batch_size=batch_size, **explain_params)
        rho, ssim = _similarities(ref, maps_of(e), absolute=True)
        rows.append({"layer": name, "n_randomized": k, "spearman": rho.mean(),
                     "spearman_std": rho.std(), "ssim": ssim.mean(), "ssim_std": ssim.std(),
                     "same_prediction": float(np.mean(e.predictions == predicted)),
                     "n_images": len(X)})
        logger.debug("randomization test of %s, %s random: %s", spec.name, name, rows[-1])
    import pandas as pd

    table = pd.DataFrame(rows)
    return SanityCheck("model_randomization", spec.name, table, threshold,
                       bool(table["spearman"].iloc[-1] < threshold))


def random_logit_test(
    estimator: Any,
    X: Any,
    method: str = "gradcam",
    *,
    threshold: float = SANITY_THRESHOLD,
    random_state: int | None = 0,
    batch_size: int = 64,
    **explain_params: Any,
) -> SanityCheck:
    """Random-logit test (Adebayo et al., 2018): explain a random other class.

    Every crop is explained twice: for the predicted class and for a class
    drawn at random among the others (seeded).  A class-sensitive method
    gives different maps; one that gives the same map whatever the class
    (a mean Spearman of ``threshold`` or more) fails.  The maps are compared
    as they are (signed for LIME, SHAP and occlusion, whose map of another
    class may be the mirror image: a negative correlation passes).

    Parameters
    ----------
    estimator : keras.Model, fitted MammoCNNClassifier or MammoPipeline
    X : ndarray of shape (n, H, W), or a mammogram frame for a pipeline
    method : str, default="gradcam"
        A registered method (see :func:`~skmammo.explain.get_explainer`).
    threshold : float, default=SANITY_THRESHOLD (0.5)
        The mean Spearman similarity a passing method must fall below.
    random_state : int or None, default=0
        Seeds the choice of the other class, and the method.
    batch_size : int, default=64
        Passed to :func:`~skmammo.explain.explain`.
    **explain_params
        Passed to the method (e.g. ``n_samples``).

    Returns
    -------
    SanityCheck
        ``table`` with one row per crop (``predicted``, ``random_class``,
        ``spearman``, ``ssim``), ``passed`` and ``verdict``.

    Examples
    --------
    >>> from skmammo.explain import random_logit_test  # doctest: +SKIP
    >>> random_logit_test(clf, crops, method="layercam").table["spearman"].mean()  # doctest: +SKIP
    """
    import pandas as pd

    spec = get_explainer(method)
    threshold = _check_threshold(threshold)
    model = resolve_model(estimator)
    X = _crops(estimator, X)
    original = explain(model, X, spec.name, random_state=random_state, batch_size=batch_size,
                       **explain_params)
    predicted = original.predictions
    k = original.probabilities.shape[1]
    if k < 2:
        raise ValueError("the random-logit test needs a model with at least two classes")
    rng = np.random.default_rng(random_state)
    other = (predicted + rng.integers(1, k, size=len(predicted))) % k  # never the predicted one
    e = explain(model, X, spec.name, target=other, random_state=random_state,
                batch_size=batch_size, **explain_params)
    rho, ssim = _similarities(maps_of(original), maps_of(e), absolute=False)
    table = pd.DataFrame({"image": np.arange(len(X)), "predicted": predicted,
                          "random_class": other, "spearman": rho, "ssim": ssim})
    return SanityCheck("random_logit", spec.name, table, threshold,
                       bool(table["spearman"].mean() < threshold))
