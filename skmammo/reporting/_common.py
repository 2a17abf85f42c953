"""Small helpers shared by the report sections: names, tables and versions for a reader."""

from __future__ import annotations

import importlib.metadata
import inspect
import platform
from typing import Any

import numpy as np
import pandas as pd

from skmammo.evaluation import clip_interval
from skmammo.explain import get_explainer
from skmammo.explain.metrics import BASELINE_MAPS
from skmammo.reporting._templates import _num

__all__ = [
    "changed_params", "count_range", "interval", "label", "model_params", "pretty", "short",
    "table", "versions",
]

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
    """How reports name an explanation method: its registry label, a baseline map's
    name (:data:`skmammo.explain.metrics.BASELINE_MAPS`), else the name as given.

    >>> label("kernel_shap"), label("centre_prior"), label("my method")
    ('Kernel SHAP', 'centre prior (baseline)', 'my method')
    """
    if isinstance(method, str) and method in BASELINE_MAPS:
        return BASELINE_MAPS[method]
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


#: Parameters that change how a model runs, not what it predicts.
_HOW_IT_RUNS = frozenset({"verbose", "n_jobs"})


def changed_params(model: Any, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows of :func:`model_params` whose value differs from its class's default.

    The default of ``a__b__c`` is the default of ``c`` in the ``__init__``
    signature of the object ``a__b`` (the model itself for ``c``); a
    parameter whose default is not known is kept.  Parameters that change
    how a model runs, not what it predicts (``verbose``, ``n_jobs``), are left
    out: the command line sets ``verbose`` for its progress lines.
    """
    try:
        params = model.get_params(deep=True)
    except Exception:  # noqa: BLE001 - a duck-typed model without get_params
        return list(rows)
    out = []
    for key, text in rows:
        path, _, name = key.rpartition("__")
        if name in _HOW_IT_RUNS:
            continue
        default = _default(params.get(path) if path else model, name)
        if default is inspect.Parameter.empty or not _same(params[key], default):
            out.append((key, text))
    return out


def _default(owner: Any, name: str) -> Any:
    """The default of ``owner``'s parameter ``name``: from the first class of its MRO whose
    ``__init__`` names it (a subclass may pass it on through ``**kwargs``, as SciKeras's do)."""
    for cls in type(owner).__mro__:
        try:
            param = inspect.signature(cls.__init__).parameters.get(name)
        except (TypeError, ValueError):
            continue
        if param is not None and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            return param.default
    return inspect.Parameter.empty


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or isinstance(default, (bool, np.bool_)):
        return type(value) is type(default) and value == default
    if isinstance(value, (int, float, np.integer, np.floating)) and isinstance(
            default, (int, float, np.integer, np.floating)):
        return float(value) == float(default) or (np.isnan(value) and np.isnan(default))
    return type(value) is type(default) and repr(value) == repr(default)


def interval(low: Any, high: Any, bounds: tuple[float, float] = (0.0, 1.0), digits: int = 3) -> str:
    """``"[0.620, 1.000]"``: an interval clipped to the range its score can take.

    >>> interval(0.62, 1.08), interval(-1.2, 0.1, (-1, 1))
    ('[0.620, 1.000]', '[-1.000, 0.100]')
    """
    if low is None or high is None:
        return "–"
    low, high = clip_interval(float(low), float(high), bounds)
    if np.isnan(low) or np.isnan(high):
        return "–"
    return f"[{_num(low, digits)}, {_num(high, digits)}]"


def count_range(values: Any) -> str:
    """``"64"`` when all counts agree, ``"60 to 66"`` when they do not.

    >>> count_range([60, 66, 64]), count_range([48, 48])
    ('60 to 66', '48')
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return "–"
    low, high = int(v.min()), int(v.max())
    return str(low) if low == high else f"{low} to {high}"


def table(df: pd.DataFrame, *, digits: int = 3, index_name: str | None = None) -> dict:
    """A DataFrame as pre-formatted strings for the templates (escaped there).

    Every score of a report has ``digits`` (3) decimals, whatever table it
    is in; integers have none.
    """
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


_METHOD_WORDS = {"temperature": "temperature scaling", "sigmoid": "Platt (sigmoid) scaling",
                 "isotonic": "isotonic regression"}


def calibration_text(described: dict, names: list[str]) -> dict[str, str]:
    """How the reports word a calibration (:meth:`HeldOutCalibration.describe`).

    Returns ``method`` ("temperature scaling, temperature 1.84"), ``data``
    ("36 rows of 18 patients held out from training: normal 12, ..."),
    ``level`` ("90%") and ``fallback`` (the classes whose label is in every
    set, or "").
    """
    method = _METHOD_WORDS.get(described["method"], str(described["method"]))
    if described.get("temperature") is not None:
        method += f", temperature {described['temperature']:.2f}"
    counts = described["counts"]
    per_class = ", ".join(f"{names[int(c)] if str(c).isdigit() else c} {n}"
                          for c, n in counts.items())
    patients = described.get("patients")
    who = f" of {patients} patients" if patients else ""
    fallback = [names[int(c)] if str(c).isdigit() else str(c) for c in described["too_few"]]
    return {
        "method": method,
        "data": f"{described['rows']} rows{who} held out from training ({per_class})",
        "level": f"{100 * described['confidence']:g}%",
        "fallback": ", ".join(fallback),
    }
