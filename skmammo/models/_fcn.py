"""The study's window network, rewritten to slide over whole films in one pass.

:func:`paper_cnn` is ``conv / pool`` layers, then ``Flatten -> Dense``.  Its
convolutions and poolings slide; only the dense layers fix the input size.
:func:`fully_convolutional` turns the first dense layer into a convolution
whose kernel is the whole last feature map (``13 x 13`` at 224 pixels) and the
later dense layers into ``1 x 1`` convolutions, weights copied, so one pass
over a resized film gives the class probabilities of every window whose
offset is a multiple of the network's stride (:func:`network_stride`, 16).

Where the two differ: the one ``padding="same"`` convolution (conv3).  A
single window pads its feature map with zeros at its border; over a film
the same positions see the real neighbours.  Two exact alternatives:
:func:`split_network` (the part up to the last layer before that convolution,
pool2, runs once over the film, and the rest per window on the window's
block of that feature map) and :mod:`skmammo.models._fcn_exact` (the plain
pass plus border corrections: what the scan uses by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import skmammo.models._quiet  # noqa: F401  (first: TensorFlow's start-up lines held back)

# isort: split
import keras
import numpy as np
from keras import layers

__all__ = ["SplitNetwork", "as_input", "fully_convolutional", "network_stride", "split_network",
           "window_count"]

_SLIDING = (layers.Conv2D, layers.MaxPooling2D, layers.AveragePooling2D)
_PASSING = (layers.Rescaling, layers.Reshape, layers.Concatenate, layers.InputLayer,
            layers.Dropout)


def _sequence(model: Any) -> tuple[int, list]:
    """``(window side, layers in order)`` of a network built like :func:`paper_cnn`."""
    shape = tuple(model.input_shape)
    if len(shape) != 3 or shape[1] is None or shape[1] != shape[2]:
        raise ValueError(f"a whole-film scan needs a network on square (n, side, side) crops; "
                         f"this one takes {shape}")
    ordered = list(model.layers)
    kinds = [type(layer) for layer in ordered]
    if layers.Flatten not in kinds:
        raise ValueError("a whole-film scan needs a network of convolutions, then Flatten -> "
                         "Dense (skmammo.models.paper_cnn); this one has no Flatten layer")
    for layer in ordered:
        if not isinstance(layer, (*_SLIDING, *_PASSING, layers.Flatten, layers.Dense,
                                  layers.Activation)):
            raise TypeError(f"a whole-film scan cannot slide layer {layer.name!r} "
                             f"({type(layer).__name__}); it knows paper_cnn's layer types")
    return int(shape[1]), ordered


def _features(model: Any) -> list:
    """The sliding layers (convolutions and poolings) before ``Flatten``."""
    out = []
    for layer in _sequence(model)[1]:
        if isinstance(layer, layers.Flatten):
            return out
        if isinstance(layer, _SLIDING):
            out.append(layer)
    return out


def network_stride(model: Any) -> int:
    """Input pixels between neighbouring windows of one fully convolutional pass (16 for paper_cnn).

    Parameters
    ----------
    model : keras.Model
        A network built by :func:`~skmammo.models.paper_cnn`.

    Returns
    -------
    int
    """
    stride = 1
    for layer in _features(model):
        stride *= int(layer.strides[0])
    return stride


def _copy(layer: Any, **changes: Any) -> Any:
    """A new layer of ``layer``'s class and configuration (new name, ``changes`` applied)."""
    config = {**layer.get_config(), **changes}
    config["name"] = f"scan_{layer.name}"
    return type(layer).from_config(config)


def _grey_kernel(conv: Any) -> list:
    """Weights of the first convolution for one grey channel (the 3 copies summed)."""
    kernel, *rest = conv.get_weights()
    return [kernel.sum(axis=2, keepdims=True), *rest]


def _front(model: Any, x: Any, stop: Any | None) -> tuple[Any, list]:
    """Apply copies of the layers from the input up to (not including) ``stop``.

    The input is a grey film ``(rows, cols, 1)``; the grey-to-RGB copy of
    :func:`paper_cnn` is folded into the first convolution's kernel (exact up
    to float rounding: the three channels are equal).  Returns the output
    tensor and ``(new layer, weights)`` pairs to set once the model exists.
    """
    weights = []
    first = True
    for layer in _sequence(model)[1]:
        if layer is stop or isinstance(layer, layers.Flatten):
            break
        if isinstance(layer, layers.Rescaling):
            x = _copy(layer)(x)
        elif isinstance(layer, _SLIDING):
            new = _copy(layer)
            x = new(x)
            if isinstance(layer, layers.Conv2D):
                weights.append((new, _grey_kernel(layer) if first else layer.get_weights()))
                first = False
    return x, weights


def fully_convolutional(model: Any) -> Any:
    """The network as a fully convolutional ``keras.Model`` over grey films of any size.

    Input ``(n, rows, cols, 1)`` grey levels 0..255 (float32); output
    ``(n, ny, nx, n_classes)``: the class probabilities of the window whose
    top-left corner is at ``(stride * i, stride * j)`` of the input, where
    ``stride`` is :func:`network_stride`.  Equal to the network on each
    window except near the window's border, where the ``same`` convolution
    sees the film instead of zeros.

    Parameters
    ----------
    model : keras.Model
        A trained network built by :func:`~skmammo.models.paper_cnn`.

    Returns
    -------
    keras.Model
    """
    _, ordered = _sequence(model)
    inputs = keras.Input(shape=(None, None, 1), dtype="float32", name="film")
    x, weights = _front(model, inputs, None)
    spatial = _feature_shape(model)
    dense_seen = False
    for layer in ordered[[isinstance(la, layers.Flatten) for la in ordered].index(True) + 1:]:
        if isinstance(layer, layers.Dense):
            kernel, *bias = layer.get_weights()
            size = spatial if not dense_seen else (1, 1)
            kernel = kernel.reshape(*size, -1, kernel.shape[-1])
            conv = layers.Conv2D(kernel.shape[-1], size, padding="valid",
                                 activation=layer.get_config()["activation"],
                                 use_bias=bool(bias), name=f"scan_{layer.name}")
            x = conv(x)
            weights.append((conv, [kernel, *bias]))
            dense_seen = True
        elif isinstance(layer, layers.Activation):
            x = layers.Activation(layer.get_config()["activation"], name=f"scan_{layer.name}")(x)
    result = keras.Model(inputs, x, name=f"{model.name}_fcn")
    for layer, values in weights:
        layer.set_weights(values)
    return result


def _feature_shape(model: Any) -> tuple[int, int]:
    """Rows and columns of the feature map ``Flatten`` receives."""
    flatten = next(la for la in model.layers if isinstance(la, layers.Flatten))
    shape = flatten.input.shape
    return int(shape[1]), int(shape[2])


@dataclass
class SplitNetwork:
    """The network cut before its first ``same``-padded convolution.

    Attributes
    ----------
    front : keras.Model
        Grey films ``(n, rows, cols, 1)`` -> the feature map before the cut,
        exact at every window (valid convolutions and aligned poolings).
    tail : keras.Model
        One window's block of that map ``(n, block, block, channels)`` ->
        class probabilities ``(n, n_classes)``: the original layers.
    block : int
        Side of one window's block of the front's feature map.
    step : int
        Input pixels per feature-map position (4 for paper_cnn).
    """

    front: Any
    tail: Any
    block: int
    step: int


def split_network(model: Any) -> SplitNetwork:
    """Cut the network into a shared front (over the film) and a per-window tail.

    The cut sits before the first convolution with ``padding="same"`` (the
    first layer whose value at a window's border depends on what lies
    outside the window); without one, before ``Flatten``.

    Parameters
    ----------
    model : keras.Model
        A trained network built by :func:`~skmammo.models.paper_cnn`.

    Returns
    -------
    SplitNetwork
    """
    _, ordered = _sequence(model)
    features = _features(model)
    cut = next((la for la in features if isinstance(la, layers.Conv2D)
                and la.get_config()["padding"] == "same"), None)
    cut_index = (ordered.index(cut) if cut is not None
                 else [isinstance(la, layers.Flatten) for la in ordered].index(True))
    inputs = keras.Input(shape=(None, None, 1), dtype="float32", name="film")
    x, weights = _front(model, inputs, ordered[cut_index])
    front = keras.Model(inputs, x, name=f"{model.name}_front")
    for layer, values in weights:
        layer.set_weights(values)
    step = 1
    for layer in features:
        if layer is cut:
            break
        step *= int(layer.strides[0])
    block_shape = tuple(int(s) for s in ordered[cut_index].input.shape[1:])
    tail_in = keras.Input(shape=block_shape, dtype="float32", name="block")
    y = tail_in
    for layer in ordered[cut_index:]:
        if not isinstance(layer, layers.Dropout):
            y = layer(y)
    tail = keras.Model(tail_in, y, name=f"{model.name}_tail")
    return SplitNetwork(front=front, tail=tail, block=block_shape[0], step=step)


def window_count(length: int, side: int, stride: int) -> int:
    """Windows of ``side`` pixels at offsets ``0, stride, ...`` inside ``length`` pixels."""
    return max(0, (int(length) - int(side)) // int(stride) + 1)


def as_input(films: list[np.ndarray]) -> np.ndarray:
    """Equal-shaped grey films as one float32 batch ``(n, rows, cols, 1)``."""
    return np.stack(films).astype(np.float32)[..., None]
