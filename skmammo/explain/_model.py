"""Shared plumbing: find the Keras model, check inputs, compiled predict functions.

TensorFlow and Keras are imported inside the functions, so importing
:mod:`skmammo.explain` stays light.
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any, Callable

import numpy as np

from skmammo.utils import check_crops

# model -> {key: compiled function}; weak keys so models can be freed
_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _is_keras_model(obj) -> bool:
    try:
        import keras
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, keras.Model)


def resolve_model(estimator) -> Any:
    """The fitted ``keras.Model`` behind ``estimator``.

    Accepts a keras model, a fitted SciKeras classifier (``model_``), or a
    fitted pipeline whose last step is one.
    """
    if _is_keras_model(estimator):
        return estimator
    steps = getattr(estimator, "steps", None)
    if steps:
        return resolve_model(steps[-1][1])
    if hasattr(estimator, "model_"):
        model = estimator.model_
        if _is_keras_model(model):
            return model
    if hasattr(estimator, "get_params") and (
        hasattr(estimator, "model") or type(estimator).__name__.endswith("Classifier")
    ):
        raise ValueError(
            f"{type(estimator).__name__} is not fitted yet (no model_); call fit before explain"
        )
    raise TypeError(
        "explain needs a keras.Model or a fitted MammoCNNClassifier (with model_), "
        f"got {type(estimator).__name__}"
    )


def model_cache(model) -> dict:
    try:
        return _CACHE.setdefault(model, {})
    except TypeError:  # pragma: no cover - not weak-referenceable
        return {}


def input_hw(model) -> tuple[int | None, int | None]:
    shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else ()
    if len(shape) == 3:
        return shape[1], shape[2]
    if len(shape) == 4 and shape[-1] in (1, None):
        return shape[1], shape[2]
    raise ValueError(
        f"the model's input has shape {shape}; skmammo.explain expects a model taking grey "
        "crops of shape (n, H, W) such as skmammo.models.paper_cnn()"
    )


def check_images(X, model) -> np.ndarray:
    """Validate crops ``X`` of shape (n, H, W) against the model; return them as an array."""
    X = check_crops(X, "explain")
    h, w = input_hw(model)
    if (h is not None and X.shape[1] != h) or (w is not None and X.shape[2] != w):
        raise ValueError(
            f"the model expects crops of {h}x{w} pixels, X has {X.shape[1]}x{X.shape[2]}; "
            "crop with ROICropper(size=...) matching the network"
        )
    return X


def n_classes(model) -> int:
    return int(model.outputs[0].shape[-1])


def check_target(target, n: int, k: int) -> np.ndarray | str | None:
    """``None`` (predicted class), ``"all"``, or an int array of shape (n,)."""
    if target is None:
        return None
    if isinstance(target, str):
        if target == "all":
            return "all"
        raise ValueError(f"target must be None, 'all', or a class index in 0..{k - 1}; got {target!r}")
    if isinstance(target, (bool, np.bool_)):
        raise ValueError(f"target must be a class index in 0..{k - 1}, not a bool")
    if isinstance(target, numbers.Integral):
        t = np.full(n, int(target))
    else:
        t = np.asarray(target)
        if t.ndim != 1 or len(t) != n:
            raise ValueError(
                f"target must be one class index or one per image ({n}); got shape {t.shape}"
            )
        if not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"target must hold integer class indices; got dtype {t.dtype}")
        t = t.astype(int)
    bad = (t < 0) | (t >= k)
    if bad.any():
        raise ValueError(
            f"target {int(t[bad][0])} is out of range: the model has {k} classes (0..{k - 1})"
        )
    return t


def predict_fn(model, batch_size: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled forward pass ``(m, H, W) -> (m, n_classes)`` probabilities, in batches.

    ``uint8`` batches go to the graph as they are (a quarter of the bytes of
    float32) and are cast inside it.
    """
    import tensorflow as tf

    cache = model_cache(model)
    f = cache.get("predict")
    if f is None:
        h, w = input_hw(model)

        @tf.function(reduce_retracing=True)
        def f(x):
            return model(tf.cast(x, tf.float32), training=False)

        # two signatures, traced once each
        f.get_concrete_function(tf.TensorSpec((None, h, w), tf.uint8))
        f.get_concrete_function(tf.TensorSpec((None, h, w), tf.float32))
        cache["predict"] = f

    def predict(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.dtype != np.uint8:
            images = images.astype(np.float32, copy=False)
        out = [f(tf.constant(images[s : s + batch_size])).numpy() for s in range(0, len(images), batch_size)]
        return np.concatenate(out, axis=0) if out else np.zeros((0, n_classes(model)), np.float32)

    return predict


def masked_predict_fn(model, batch_size: int = 256) -> Callable[..., np.ndarray]:
    """Probabilities for superpixel on/off patterns, the images built inside the graph.

    ``predict(z, segments, image, base)`` with ``z`` of shape (m, n_segments)
    in {0, 1} returns the probabilities of the m images
    ``base + (image - base) * z[:, segments]`` (pixel shows ``image`` where
    its segment is on, ``base`` where it is off).  Only the small on/off
    matrix crosses into TensorFlow; the images are built in the graph.
    """
    import tensorflow as tf

    cache = model_cache(model)
    f = cache.get("masked_predict")
    if f is None:
        h, w = input_hw(model)

        @tf.function(
            input_signature=[
                tf.TensorSpec((None, None), tf.float32),
                tf.TensorSpec((h, w), tf.int32),
                tf.TensorSpec((h, w), tf.float32),
                tf.TensorSpec((h, w), tf.float32),
            ],
            reduce_retracing=True,
        )
        def f(z, segments, image, base):
            on = tf.gather(z, segments, axis=1)  # (m, H, W)
            return model(base + (image - base) * on, training=False)

        cache["masked_predict"] = f

    def predict(z: np.ndarray, segments: np.ndarray, image: np.ndarray, base: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float32)
        seg = tf.constant(np.asarray(segments, dtype=np.int32))
        img = tf.constant(np.asarray(image, dtype=np.float32))
        bas = tf.constant(np.asarray(base, dtype=np.float32))
        out = [f(tf.constant(z[s : s + batch_size]), seg, img, bas).numpy() for s in range(0, len(z), batch_size)]
        return np.concatenate(out, axis=0)

    return predict


def seeds_for(random_state, n: int) -> np.ndarray:
    """One independent 31-bit seed per image, derived from ``random_state``."""
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    return rng.randint(0, 2**31 - 1, size=n)
