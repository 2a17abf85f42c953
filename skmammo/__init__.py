"""skmammo: interpretable classification of mammogram regions.

A scikit-learn-style library that turns the study "Interpretable breast cancer
classification using CNNs on mammographic images" (Balve & Hendrix, PMLR 248,
2024) into reusable software: data loaders for mini-MIAS and a synthetic
demo set, preprocessing transformers, the study's CNN wrapped for
scikit-learn, and Grad-CAM / LIME / Kernel SHAP explanations.

Research software: nothing it produces is a diagnosis.

Sub-packages are imported on first use, so ``import skmammo`` stays fast and
does not import TensorFlow.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "utils",
    "datasets",
    "preprocessing",
    "models",
    "explain",
    "scan",
    "pipeline",
    "evaluation",
    "model_file",
    "study",
    "reporting",
    "workflow",
    "apply",
)

__all__ = ["TARGET_NAMES", "__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name == "TARGET_NAMES":  # the class names live on the ground floor, skmammo.utils
        return importlib.import_module(f"{__name__}.utils").TARGET_NAMES
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
