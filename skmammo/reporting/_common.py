"""Small helpers shared by the report sections: names, tables and versions for a reader."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any

import numpy as np
import pandas as pd

from skmammo.explain import get_explainer
from skmammo.reporting._templates import _num

__all__ = ["label", "model_params", "pretty", "short", "table", "versions"]

_VERSIONED = (
    "skmammo", "numpy", "pandas", "scikit-learn", "scikeras", "keras", "tensorflow-cpu",
    "tensorflow", "opencv-python-headless", "scikit-image", "lime", "shap", "matplotlib",
    "jinja2", "weasyprint",
)  # fmt: skip

_SCALARS = (str, int, float, bool, np.integer, np.floating, np.bool_, type(None))

_TOKENS = {"f1": "F1", "auc": "AUC", "roc": "ROC", "iou": "IoU", "std": "std"}


def pretty(name: Any) -> str:
    """``"macro_roc_auc"`` -> ``"macro ROC AUC"``: column and metric names for a reader."""
    return " ".join(_TOKENS.get(w.lower(), w) for w in str(name).replace("_", " ").split())


def label(method: Any) -> str:
    """How reports name an explanation method: its registry label, else the name as given.

    >>> label("kernel_shap"), label("my method")
    ('Kernel SHAP', 'my method')
    """
    try:
        return get_explainer(method).label
    except ValueError:  # not registered (or not a string): shown as given, as text
        return str(method)


def versions() -> list[tuple[str, str]]:
    """Python and installed package versions (read from metadata: nothing is imported)."""
    out = [("python", platform.python_version())]
    for name in _VERSIONED:
        try:
            out.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def short(value: Any, limit: int = 90) -> str:
    """``value`` as text of at most ``limit`` characters (an ellipsis marks a cut)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def model_params(model: Any) -> tuple[str, list[tuple[str, str]]]:
    """The model's class name and its simple parameters (nested steps flattened)."""
    if model is None:
        return "", []
    name = type(model).__name__
    steps = getattr(model, "steps", None)
    if steps:
        name += " (" + " → ".join(f"{n}: {type(s).__name__}" for n, s in steps) + ")"
    try:
        params = model.get_params(deep=True)
    except Exception:  # noqa: BLE001 - a duck-typed model without get_params
        return name, []
    rows = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, _SCALARS) or (
            isinstance(value, (tuple, list, dict)) and len(repr(value)) <= 200
            and all(isinstance(v, _SCALARS) for v in (value.values() if isinstance(value, dict) else value))
        ):
            rows.append((key, short(value)))
    return name, rows


def table(df: pd.DataFrame, *, digits: int = 2, index_name: str | None = None) -> dict:
    """A DataFrame as pre-formatted strings for the templates (escaped there)."""
    cells = [[_num(v, digits) for v in row] for row in df.itertuples(index=False)]
    return {
        "index_name": index_name if index_name is not None else (df.index.name or ""),
        "columns": [pretty(c) for c in df.columns],
        "rows": [(str(i), r) for i, r in zip(df.index, cells)],
    }


def heatmap(explanation: Any, i: int, target: int) -> np.ndarray:
    """Map ``i`` of an explanation; of class ``target`` when it holds one map per class."""
    h = np.asarray(explanation.heatmaps[i], dtype=float)
    return h[target] if h.ndim == 3 else h
