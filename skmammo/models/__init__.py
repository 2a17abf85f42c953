"""The study's CNN and its scikit-learn wrapper.

- :func:`paper_cnn`: the network of Balve & Hendrix (2024) as a ``keras.Model``;
- :class:`MammoCNNClassifier`: a SciKeras ``KerasClassifier`` that trains it
  with the study's protocol (stratified validation split, augmentation,
  balancing, early stopping, class weights) and works with ``GridSearchCV``.

Both are imported on first use, so ``import skmammo.models`` does not import
TensorFlow.
"""

from __future__ import annotations

import importlib

__all__ = ["MammoCNNClassifier", "paper_cnn"]

_WHERE = {
    "paper_cnn": "skmammo.models._network",
    "MammoCNNClassifier": "skmammo.models._classifier",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
