"""The fully convolutional pass made exact: border corrections for the ``same`` convolution.

:func:`~skmammo.models._fcn.fully_convolutional` differs from the network
run window by window only where conv3 (``padding="same"``, 3 x 3) reads
past a window's border: a single window sees zeros there, the film pass
sees tissue.  With windows at the network's stride, a window's top row of
conv3 is always a conv3 row whose index is a multiple of ``P`` (the pooling
after conv3, 4), and its left column likewise.  So the per-window values
are global maps too:

- ``C_T``: conv3 with the kernel's top row zeroed (no row above), used on
  rows ``0 mod P``; ``C_L`` the same for the left column; ``C_TL`` both;
- pooled like the plain map, they give the last feature map as a window
  sees it in its first row (``P4_T``), first column (``P4_L``) and corner
  (``P4_TL``);
- the first dense layer, as a convolution with kernel ``W``, is then
  ``conv(P4, W) + conv(P4_T - P4, W[0, 1:]) + conv(P4_L - P4, W[1:, 0])
  + (P4_TL - P4) W[0, 0]`` at each window: exactly the window's value,
  up to float rounding.

A window's bottom row and right column also need a correction when conv3's
last row used by the poolings is the block's last row (the block side a
multiple of ``P``); :func:`exact_sliding` returns None then (and for
networks of other shapes), and the scan falls back to the per-window tail.
"""

from __future__ import annotations

from typing import Any

import skmammo.models._quiet  # noqa: F401  (first: TensorFlow's start-up lines held back)

# isort: split
import keras
import numpy as np
from keras import layers, ops

from skmammo.models._fcn import _feature_shape, _sequence, network_stride, split_network

__all__ = ["ExactSliding", "exact_sliding"]


class ExactSliding:
    """Callable: grey films ``(n, rows, cols, 1)`` -> exact window probabilities ``(n, ny, nx, k)``.

    Built by :func:`exact_sliding`; windows at the network's stride, as
    :func:`~skmammo.models._fcn.fully_convolutional` gives them.
    """

    def __init__(self, front: Any, conv: Any, pools: list, dense: list, output: Any,
                 spatial: tuple[int, int], period: int):
        self.front = front
        kernel, bias = conv.get_weights()
        self.bias = bias
        self.activation = keras.activations.get(conv.get_config()["activation"])
        top, left, both = kernel.copy(), kernel.copy(), kernel.copy()
        top[0] = 0
        left[:, 0] = 0
        both[0] = 0
        both[:, 0] = 0
        self.kernels = [kernel, top, left, both]
        self.pools = [(tuple(p.pool_size), tuple(p.strides)) for p in pools]
        first, *bias1 = dense[0].get_weights()
        self.w1 = first.reshape(*spatial, -1, first.shape[-1])
        self.b1 = bias1[0] if bias1 else 0.0
        self.dense = [(d.get_weights(), keras.activations.get(d.get_config()["activation"]))
                      for d in dense]
        self.output = None if output is None else keras.activations.get(
            output.get_config()["activation"])
        self.period = period
        self.rows = spatial[0]
        self.cols = spatial[1]

    def _pool(self, x: Any) -> Any:
        for size, strides in self.pools:
            x = ops.max_pool(x, size, strides, padding="valid")
        return x

    def __call__(self, films: np.ndarray) -> np.ndarray:
        features = self.front(films, training=False)
        plain, top, left, both = (
            self.activation(ops.conv(features, k, padding="same") + self.bias)
            for k in self.kernels)
        h, w = features.shape[1], features.shape[2]
        row0 = (np.arange(h) % self.period == 0)[None, :, None, None]
        col0 = (np.arange(w) % self.period == 0)[None, None, :, None]
        # Each map holds, at rows / columns 0 mod period, what a window starting there sees.
        m_t = ops.where(row0, top, plain)
        m_l = ops.where(col0, left, plain)
        m_tl = ops.where(row0 & col0, both, ops.where(row0, top, m_l))
        p, p_t, p_l, p_tl = (self._pool(m) for m in (plain, m_t, m_l, m_tl))
        w1 = self.w1
        row_kernel = np.array(w1[:1], copy=True)
        row_kernel[0, 0] = 0
        col_kernel = np.array(w1[:, :1], copy=True)
        col_kernel[0, 0] = 0
        ny, nx = p.shape[1] - self.rows + 1, p.shape[2] - self.cols + 1
        z = ops.conv(p, w1, padding="valid")
        z = z + ops.conv(p_t - p, row_kernel, padding="valid")[:, :ny]
        z = z + ops.conv(p_l - p, col_kernel, padding="valid")[:, :, :nx]
        z = z + ops.conv((p_tl - p)[:, :ny, :nx], w1[:1, :1], padding="valid")
        x = self.dense[0][1](z + self.b1)
        for (kernel, *bias), act in self.dense[1:]:
            x = ops.matmul(x, kernel)
            x = act(x + bias[0] if bias else x)
        if self.output is not None:
            x = self.output(x)
        return ops.convert_to_numpy(x)


def exact_sliding(model: Any) -> ExactSliding | None:
    """The exact fully convolutional pass of ``model``, or None where it does not apply.

    Applies to :func:`~skmammo.models.paper_cnn`-like networks with one
    ``same`` 3 x 3 convolution followed only by max poolings (pool size equal
    to stride) before ``Flatten``, whose block side is not a multiple of the
    poolings' product (true at 224 and 96 pixels: 53 and 21).

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    ExactSliding or None
    """
    side, ordered = _sequence(model)
    flat = [isinstance(la, layers.Flatten) for la in ordered].index(True)
    same = [la for la in ordered[:flat] if isinstance(la, layers.Conv2D)
            and la.get_config()["padding"] == "same"]
    if len(same) != 1 or tuple(same[0].kernel_size) != (3, 3) or tuple(same[0].strides) != (1, 1):
        return None
    conv = same[0]
    pools = ordered[ordered.index(conv) + 1:flat]
    if not pools or not all(isinstance(p, layers.MaxPooling2D)
                            and tuple(p.pool_size) == tuple(p.strides) for p in pools):
        return None
    period = int(np.prod([p.strides[0] for p in pools]))
    split = split_network(model)
    if split.block % period == 0 or network_stride(model) != split.step * period:
        return None
    after = ordered[flat + 1:]
    dense = [la for la in after if isinstance(la, layers.Dense)]
    output = next((la for la in after if isinstance(la, layers.Activation)), None)
    del side
    return ExactSliding(split.front, conv, pools, dense, output, _feature_shape(model), period)
