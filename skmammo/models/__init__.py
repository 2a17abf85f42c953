"""The study's CNN and its scikit-learn wrapper.

- :func:`paper_cnn`: the network of Balve & Hendrix (2024) as a ``keras.Model``;
- :class:`MammoCNNClassifier`: a SciKeras ``KerasClassifier`` that trains it
  with the study's protocol (stratified validation split, augmentation,
  balancing, early stopping, class weights) and works with ``GridSearchCV``;
- :func:`augment`, :func:`balance`, :func:`remove_duplicates`,
  :func:`geometric_views`: the training-set augmentation and balancing the
  classifier applies (and test-time augmentation's eight views).

All are imported on first use, so ``import skmammo.models`` does not import
TensorFlow.
"""

from __future__ import annotations

import importlib

__all__ = [
    "MammoCNNClassifier",
    "augment",
    "balance",
    "geometric_views",
    "paper_cnn",
    "remove_duplicates",
]

_WHERE = {
    "augment": "skmammo.models._augmentation",
    "balance": "skmammo.models._augmentation",
    "geometric_views": "skmammo.models._augmentation",
    "remove_duplicates": "skmammo.models._augmentation",
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
