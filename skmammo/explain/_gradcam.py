"""The CAM family, batched in one compiled gradient pass: Grad-CAM, HiResCAM, LayerCAM.

All three read the same two tensors of the last convolutional layer, its
activations ``A`` (n, h, w, c) and the gradient ``G = d score / d A``, from
one compiled forward + backward pass per batch; they differ only in how they
weigh ``A``:

- Grad-CAM (Selvaraju et al., 2017): one weight per channel, the mean of
  ``G`` over the image, ``ReLU(sum_c mean_hw(G) A)``;
- HiResCAM (Draelos & Carin, 2020): element-wise, ``ReLU(sum_c G * A)``;
- LayerCAM (Jiang et al., 2021): element-wise, positive gradients only,
  ``ReLU(sum_c ReLU(G) * A)``.

Behind ``Flatten -> Dense`` (the study's network) the gradient changes from
place to place; Grad-CAM averages that away and paints a channel wherever it
fires, the element-wise maps keep it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from skmammo.explain._explanation import Explanation
from skmammo.explain._model import (
    check_images,
    check_target,
    input_hw,
    model_cache,
    n_classes,
    resolve_model,
)
from skmammo.explain._placement import cell_placement, place_cam

logger = logging.getLogger(__name__)

__all__ = ["CAMS", "find_last_conv", "gradcam", "hirescam", "layercam"]

#: The CAM variants of this module, by method name, with the label their log messages use.
CAMS = {"gradcam": "Grad-CAM", "hirescam": "HiResCAM", "layercam": "LayerCAM"}


def find_last_conv(model, layer: str | None = None):
    """The last ``Conv2D`` layer of ``model`` (or the layer called ``layer``)."""
    import keras

    if layer is not None:
        try:
            found = model.get_layer(layer)
        except ValueError:
            names = [lyr.name for lyr in model.layers if len(getattr(lyr, "output", ()).shape or ()) == 4]
            raise ValueError(
                f"the model has no layer named {layer!r}; layers with 4-D output: {names}"
            ) from None
        if len(found.output.shape) != 4:
            raise ValueError(
                f"layer {layer!r} outputs shape {tuple(found.output.shape)}; Grad-CAM needs a "
                "convolutional layer with (n, h, w, channels) output"
            )
        return found
    for lyr in reversed(model.layers):
        if isinstance(lyr, keras.layers.Conv2D):
            return lyr
    raise ValueError("the model has no Conv2D layer; name the layer to explain with layer=...")


def _score_tensor(model, score: str):
    """Keras tensor of the class scores: logits (before the softmax) or probabilities."""
    import keras

    if score == "probability":
        return model.outputs[0], True
    names = {lyr.name for lyr in model.layers}
    if "logits" in names:
        return model.get_layer("logits").output, False
    last = model.layers[-1]
    if isinstance(last, keras.layers.Activation) or isinstance(last, keras.layers.Softmax):
        return last.input, False
    act = getattr(last, "activation", None)
    if act is not None and getattr(act, "__name__", "") in ("linear",):
        return model.outputs[0], False
    logger.warning(
        "no layer named 'logits' and no separate softmax layer: Grad-CAM uses the "
        "probability instead of the class score before the softmax"
    )
    return model.outputs[0], True


def _weigh(kind: str, acts, grads):
    """The (n, h, w) map of a CAM variant from activations and gradients (in the graph)."""
    import tensorflow as tf

    if kind == "gradcam":
        weights = tf.reduce_mean(grads, axis=(1, 2))  # per image, per channel
        return tf.einsum("bhwc,bc->bhw", acts, weights)
    if kind == "hirescam":
        return tf.reduce_sum(grads * acts, axis=-1)
    if kind == "layercam":
        return tf.reduce_sum(tf.nn.relu(grads) * acts, axis=-1)
    raise ValueError(f"unknown CAM variant {kind!r}; choose one of {', '.join(CAMS)}")


def _compiled(model, layer: str | None, score: str, kind: str = "gradcam"):
    import keras
    import tensorflow as tf

    conv = find_last_conv(model, layer)
    key = (kind, conv.name, score)
    cache = model_cache(model)
    if key in cache:
        return cache[key], conv.name
    score_t, _ = _score_tensor(model, score)
    sub = keras.Model(model.input, [conv.output, score_t, model.outputs[0]])
    h, w = input_hw(model)
    placement = cell_placement(model, conv)
    if placement is None:
        logger.info("the cells of layer %r are laid over the crop by stretching the map (a layer "
                    "before it changes the size in a way not followed here)", conv.name)

    @tf.function(reduce_retracing=True)
    def run(x, target):
        x = tf.cast(x, tf.float32)
        with tf.GradientTape() as tape:
            acts, scores, probs = sub(x, training=False)
            pred = tf.argmax(probs, axis=-1, output_type=tf.int32)
            t = tf.where(target < 0, pred, target)
            s = tf.gather(scores, t, axis=1, batch_dims=1)
        # images do not interact, so d(sum of scores)/d(acts[i]) = d(score_i)/d(acts[i])
        grads = tape.gradient(s, acts)
        cam = tf.nn.relu(_weigh(kind, acts, grads))
        cam = place_cam(cam, tf.shape(x)[1], tf.shape(x)[2], placement)
        peak = tf.reduce_max(cam, axis=(1, 2))
        cam = tf.math.divide_no_nan(cam, peak[:, None, None])
        return cam, probs, t, peak

    # uint8 crops cross into the graph as they are (a quarter of the bytes)
    for dtype in (tf.uint8, tf.float32):
        run.get_concrete_function(tf.TensorSpec((None, h, w), dtype), tf.TensorSpec((None,), tf.int32))
    cache[key] = run
    return run, conv.name


def cam(
    kind: str,
    estimator: Any,
    X: np.ndarray,
    *,
    target: int | str | np.ndarray | None = None,
    layer: str | None = None,
    score: str = "logit",
    batch_size: int = 64,
) -> Explanation:
    """The maps of CAM variant ``kind`` (a key of :data:`CAMS`); see :func:`gradcam`."""
    import tensorflow as tf

    if kind not in CAMS:
        raise ValueError(f"unknown CAM variant {kind!r}; choose one of {', '.join(CAMS)}")
    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' or 'probability', got {score!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    model = resolve_model(estimator)
    X = check_images(X, model)
    n, k = len(X), n_classes(model)
    t = check_target(target, n, k)
    start = time.perf_counter()
    run, layer_name = _compiled(model, layer, score, kind)

    def one_pass(tt: np.ndarray):
        cams, probs, ts, peaks = [], [], [], []
        for s in range(0, n, batch_size):
            xb = X[s : s + batch_size]
            xb = tf.constant(xb if xb.dtype == np.uint8 else xb.astype(np.float32))
            c, p, t_out, pk = run(xb, tf.constant(tt[s : s + batch_size], tf.int32))
            cams.append(c.numpy())
            probs.append(p.numpy())
            ts.append(t_out.numpy())
            peaks.append(pk.numpy())
        return (np.concatenate(cams), np.concatenate(probs), np.concatenate(ts), np.concatenate(peaks))

    if isinstance(t, str):  # "all"
        per_class = [one_pass(np.full(n, c, dtype=np.int32)) for c in range(k)]
        heatmaps = np.stack([pc[0] for pc in per_class], axis=1)
        probs = per_class[0][1]
        targets = np.tile(np.arange(k), (n, 1))
        empty = np.stack([pc[3] <= 0 for pc in per_class], axis=1)
    else:
        tt = np.full(n, -1, dtype=np.int32) if t is None else t.astype(np.int32)
        heatmaps, probs, targets, peaks = one_pass(tt)
        empty = peaks <= 0
    elapsed = time.perf_counter() - start
    if empty.any():
        logger.info(
            "%s found no positive evidence for %d of %d maps; they are all zero (see empty)",
            CAMS[kind],
            int(empty.sum()),
            empty.size,
        )
    return Explanation(
        method=kind,
        heatmaps=heatmaps.astype(np.float32),
        targets=np.asarray(targets, dtype=int),
        probabilities=probs.astype(np.float32),
        params={"layer": layer_name, "score": score, "batch_size": int(batch_size)},
        images=X,
        empty=np.asarray(empty),
        seconds_per_image=elapsed / n,
    )


_PARAMETERS = """
    Parameters
    ----------
    estimator : keras.Model or fitted MammoCNNClassifier
        A network taking (n, H, W) grey crops, with class scores from a layer
        named ``"logits"`` followed by a softmax.
    X : ndarray of shape (n, H, W)
        Crops (uint8 grey levels 0..255).
    target : None, int, array of int, or "all"
        Class to explain: the predicted one by default.
    layer : str, optional
        Name of the convolutional layer; the last ``Conv2D`` by default.
    score : {"logit", "probability"}, default="logit"
        Differentiate the class score before the softmax, or the probability.
    batch_size : int, default=64
        Images per graph call.

    Returns
    -------
    Explanation
"""


def _method(kind: str):
    """The public function of one CAM ``kind``: :func:`cam` with its keywords."""
    def method(
        estimator: Any,
        X: np.ndarray,
        *,
        target: int | str | np.ndarray | None = None,
        layer: str | None = None,
        score: str = "logit",
        batch_size: int = 64,
    ) -> Explanation:
        return cam(kind, estimator, X, target=target, layer=layer, score=score,
                   batch_size=batch_size)

    method.__name__ = method.__qualname__ = kind
    return method


gradcam = _method("gradcam")
hirescam = _method("hirescam")
layercam = _method("layercam")

gradcam.__doc__ = """Grad-CAM heatmaps for a batch of crops (the study's method).

    For each image: gradients of the class score (the value before the
    softmax by default) with respect to the activations of the last
    convolutional layer, averaged per channel over the image, then the
    weighted sum of the activation maps, ReLU, bilinear upsampling to the
    crop, and scaling to [0, 1].  A map that is zero everywhere (no positive
    evidence for the class) stays zero and is flagged in ``empty``.  All
    images of a batch go through one compiled graph call.
""" + _PARAMETERS + """
    Examples
    --------
    >>> from skmammo.models import paper_cnn  # doctest: +SKIP
    >>> model = paper_cnn(input_shape=(64, 64, 3))  # doctest: +SKIP
    >>> e = gradcam(model, crops)  # doctest: +SKIP
    >>> e.heatmaps.shape  # doctest: +SKIP
    (10, 64, 64)
"""

hirescam.__doc__ = """HiResCAM heatmaps (Draelos & Carin, 2020) for a batch of crops.

    For each image: the gradient of the class score with respect to the
    activations of the last convolutional layer, multiplied by the
    activations *element by element* (not averaged per channel as in
    :func:`gradcam`), summed over channels, ReLU, bilinear upsampling and
    scaling to [0, 1].  Each place's activation is weighed by its own
    gradient (its first-order contribution to the class score), so behind
    ``Flatten -> Dense`` a place the score does not depend on gets nothing,
    where Grad-CAM paints a channel wherever it fires.  Same compiled pass,
    cost and ``empty`` flag as :func:`gradcam`.
""" + _PARAMETERS + """
    Examples
    --------
    >>> from skmammo.explain import explain  # doctest: +SKIP
    >>> e = explain(clf, crops, method="hirescam")  # doctest: +SKIP
    >>> float(e.heatmaps.max())  # doctest: +SKIP
    1.0
"""

layercam.__doc__ = """LayerCAM heatmaps (Jiang et al., 2021) for a batch of crops.

    Like :func:`hirescam`, but only the positive gradients weigh the
    activations: ``ReLU(sum_c ReLU(G) * A)``, upsampled and scaled to
    [0, 1].  Places whose activation lowers the class score are left out
    instead of cancelling places that raise it.  Same compiled pass, cost and
    ``empty`` flag as :func:`gradcam`.
""" + _PARAMETERS + """
    Examples
    --------
    >>> from skmammo.explain import explain  # doctest: +SKIP
    >>> e = explain(clf, crops, method="layercam", target="all")  # doctest: +SKIP
    >>> e.heatmaps.shape  # doctest: +SKIP
    (10, 3, 64, 64)
"""
