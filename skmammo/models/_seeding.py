"""Seeding Keras for one block of work, leaving the global random states as they were."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["keras_seeded"]


@contextmanager
def keras_seeded(seed: int, op_determinism: bool) -> Iterator[None]:
    """Seed Python, NumPy, TensorFlow and Keras for a block; restore the global states.

    With ``op_determinism``, TensorFlow's deterministic kernels are switched
    on for the block too (and off again after it, if they were off).
    """
    import skmammo.models._quiet  # noqa: F401  (first: TensorFlow's start-up lines held back)

    # isort: split
    import keras
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    py_state, np_state = random.getstate(), np.random.get_state()
    tf_seed = context.global_seed()
    was_deterministic = config.is_op_determinism_enabled()
    keras.utils.set_random_seed(seed)
    if op_determinism and not was_deterministic:
        config.enable_op_determinism()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        context.set_global_seed(tf_seed)
        if op_determinism and not was_deterministic:
            config.disable_op_determinism()

