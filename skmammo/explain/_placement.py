"""Where the cells of a convolutional layer sit on the crop, and how a CAM is laid onto it.

A cell of a feature map is centred on the crop pixel its receptive field is
centred on.  Behind ``valid`` convolutions that is not where stretching the
map over the crop puts it: the study's network has its last convolution's
cell ``p`` centred on crop pixel ``4p + 7.5``, while a plain resize of its
14 cells (64-pixel crop) to 64 pixels paints cell 0 at 2.2 and cell 12 at
60.8, up to 6 pixels off.  :func:`cell_placement` derives ``(scale,
offset)`` per axis (cell ``p`` sits at ``scale * p + offset``, crop pixel
``i`` being centred on ``i``) from the layers between the input and the
explained layer; :func:`place_cam` interpolates the map at every crop pixel
from that placement, holding the outermost cells' values out to the edges.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cell_placement", "place_cam"]


def _same_pad(length: int | None, kernel: int, stride: int) -> float | None:
    """The leading zero padding of TensorFlow's ``"same"``, or None if it needs an unknown length."""
    if stride == 1:
        return (kernel - 1) // 2
    if length is None:
        return None
    out = -(-length // stride)
    return max((out - 1) * stride + kernel - length, 0) // 2


def _axis_steps(layer: Any, axis: int) -> tuple[float, float] | None:
    """``(stride, start)``: output cell ``p`` of ``layer`` is centred on its input's ``stride * p + start``.

    None for a layer that changes the spatial size in a way not known here.
    """
    import keras

    inputs = [tuple(t.shape) for t in keras.tree.flatten(layer.input)]
    out_shape = tuple(layer.output.shape)
    if all(len(s) in (3, 4) and s[1:3] == out_shape[1:3] for s in [*inputs, out_shape]):
        return 1.0, 0.0            # rescaling, channel copies, activations, normalisation, ...
    if len(inputs) != 1:
        return None
    in_shape = inputs[0]
    if isinstance(layer, keras.layers.ZeroPadding2D):
        return 1.0, -float(layer.padding[axis][0])
    if isinstance(layer, keras.layers.Cropping2D):
        return 1.0, float(layer.cropping[axis][0])
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return None
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                          keras.layers.SeparableConv2D)):
        dilation = layer.dilation_rate[axis]
        kernel = dilation * (layer.kernel_size[axis] - 1) + 1
    elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        kernel = layer.pool_size[axis]
    else:
        return None
    stride = layer.strides[axis]
    pad = 0 if layer.padding == "valid" else _same_pad(in_shape[1 + axis], kernel, stride)
    if pad is None:
        return None
    return float(stride), (kernel - 1) / 2 - pad


def cell_placement(model: Any, layer: Any) -> tuple[tuple[float, float], ...] | None:
    """``((scale_y, offset_y), (scale_x, offset_x))`` of ``layer``'s cells on the model's input.

    Read from the model's layers up to ``layer``, taken as a chain (as the
    study's network is).  None when a layer on the way changes the spatial
    size in a way not known here (the caller then stretches the map over
    the crop, as a plain resize does).
    """
    import keras

    layers = model.layers
    if layer not in layers:
        return None
    placement = [(1.0, 0.0), (1.0, 0.0)]
    for lyr in layers[:layers.index(layer) + 1]:
        if isinstance(lyr, keras.layers.InputLayer):
            continue
        for axis in (0, 1):
            step = _axis_steps(lyr, axis)
            if step is None:
                return None
            scale, offset = placement[axis]
            placement[axis] = (scale * step[0], scale * step[1] + offset)
    return tuple(placement)


def place_cam(cam: Any, height: Any, width: Any, placement: tuple | None) -> Any:
    """Interpolate ``cam`` (n, h, w) at every pixel of a ``height`` x ``width`` crop (TensorFlow).

    Linear between the two nearest cells along each axis; pixels beyond the
    outermost cells' centres take those cells' values.  Without a placement
    the map is stretched over the crop (cell centres as a half-pixel resize
    puts them).
    """
    import tensorflow as tf

    def along(values, axis, length, scale_offset):
        cells = tf.shape(values)[axis]
        n_cells, n_pixels = tf.cast(cells, tf.float32), tf.cast(length, tf.float32)
        if scale_offset is None:
            scale = n_pixels / n_cells
            offset = 0.5 * scale - 0.5
        else:
            scale, offset = scale_offset
        where = (tf.range(n_pixels) - offset) / scale
        where = tf.clip_by_value(where, 0.0, n_cells - 1.0)
        low = tf.floor(where)
        frac = where - low
        low = tf.cast(low, tf.int32)
        high = tf.minimum(low + 1, cells - 1)
        a, b = tf.gather(values, low, axis=axis), tf.gather(values, high, axis=axis)
        frac = tf.reshape(frac, [-1, 1] if axis == 1 else [1, -1])
        return a + (b - a) * frac

    rows, cols = (None, None) if placement is None else placement
    return along(along(cam, 1, height, rows), 2, width, cols)
