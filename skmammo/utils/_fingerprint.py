"""Run fingerprints: "is this the same run?" for every resumable job.

A resumable job (``explain_to_disk`` now; the whole-film scan and the
repeated evaluation next) stores :func:`run_identity` of its arguments
beside its results and, when it is rerun into the same folder, compares it
with the new one by :func:`check_same_run`: only the same run resumes, any
difference is an error naming what differs.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RunMismatchError", "check_same_run", "check_stored_run", "fingerprint", "model_digest", "rows_digest",
           "run_identity"]

#: The columns of a mammogram frame that say which film region a row is, and at
#: what physical scale (a window in millimetres covers other pixels at another
#: pixel size, or on a resized film).
ROW_COLUMNS = ("film", "path", "x", "y", "radius", "pixel_mm", "scale_x", "scale_y")


class RunMismatchError(ValueError):
    """A resumable job was rerun into a folder that holds another run's results."""


def _sha(*chunks: bytes) -> hashlib._Hash:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(len(chunk).to_bytes(8, "little"))
        h.update(chunk)
    return h


def _array_bytes(a: np.ndarray) -> bytes:
    a = np.ascontiguousarray(a)
    if a.dtype == object:
        return _value_digest(a.tolist()).encode()
    return f"{a.dtype.str}{a.shape}".encode() + a.tobytes()


def _value_digest(value: Any) -> str:
    """A digest of a parameter value that is the same in every process.

    JSON values, containers, arrays and estimators are digested by content;
    anything else by ``joblib.hash`` (its pickle), never by ``repr`` (which
    may hold memory addresses).
    """
    if value is None or isinstance(value, (bool, str)):
        return _sha(json.dumps(value).encode()).hexdigest()
    if isinstance(value, numbers.Integral):
        return _sha(b"int", str(int(value)).encode()).hexdigest()
    if isinstance(value, numbers.Real):
        return _sha(b"float", float(value).hex().encode()).hexdigest()
    if isinstance(value, np.ndarray):
        return _sha(b"array", _array_bytes(value)).hexdigest()
    if isinstance(value, Mapping):
        items = sorted((str(k), _value_digest(v)) for k, v in value.items())
        return _sha(b"map", json.dumps(items).encode()).hexdigest()
    if isinstance(value, (list, tuple)):
        return _sha(b"seq", json.dumps([_value_digest(v) for v in value]).encode()).hexdigest()
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        return model_digest(value)
    import joblib

    return joblib.hash(value, hash_name="sha1")


def model_digest(estimator: Any) -> str:
    """A digest of a (fitted) model: its parameters and what it learned.

    - a pipeline (anything with ``steps``): every step's name and digest;
    - an estimator holding a Keras network (``model_``): its class, its
      ``get_params(deep=False)`` and the network's weights (and
      ``classes_``);
    - a fitted meta-estimator (``estimator_``, as
      :class:`~skmammo.evaluation.HeldOutCalibration`): its class, its
      parameters, the digest of ``estimator_`` and of every other fitted
      attribute;
    - any other object: ``joblib.hash`` of its pickle (for a fitted
      scikit-learn estimator, its parameters and fitted attributes).

    Retraining (other weights), other parameters or another step order give
    another digest; the same model loaded in another process gives the same.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> model_digest(StandardScaler()) == model_digest(StandardScaler())
    True
    >>> model_digest(StandardScaler()) == model_digest(StandardScaler(with_mean=False))
    False
    """
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        parts = [f"{name}:{model_digest(step)}" for name, step in steps]
        return _sha(b"pipeline", type(estimator).__qualname__.encode(),
                    *(p.encode() for p in parts)).hexdigest()
    network = getattr(estimator, "model_", None)
    if network is not None and hasattr(network, "get_weights") and hasattr(estimator,
                                                                            "get_params"):
        kind = f"{type(estimator).__module__}.{type(estimator).__qualname__}".encode()
        params = _value_digest(estimator.get_params(deep=False)).encode()
        weights = [_array_bytes(np.asarray(w)) for w in network.get_weights()]
        classes = _array_bytes(np.asarray(getattr(estimator, "classes_", [])))
        return _sha(b"keras", kind, params, classes, *weights).hexdigest()
    inner = getattr(estimator, "estimator_", None)
    if inner is not None and hasattr(estimator, "get_params"):
        # A fitted meta-estimator (HeldOutCalibration): its pickle holds the Keras
        # network's bytes, which differ between processes; digest the wrapped model as
        # above and every other fitted attribute by its pickle.
        kind = f"{type(estimator).__module__}.{type(estimator).__qualname__}".encode()
        params = _value_digest(estimator.get_params(deep=False)).encode()
        fitted = sorted((k, v) for k, v in vars(estimator).items()
                        if k.endswith("_") and not k.startswith("_")
                        and k not in ("estimator_", "model_info_"))  # the file's header is not the model
        return _sha(b"meta", kind, params, model_digest(inner).encode(),
                    *(f"{k}:{_value_digest(v)}".encode() for k, v in fitted)).hexdigest()
    import joblib

    return joblib.hash(estimator, hash_name="sha1")


def _row_digests(X: pd.DataFrame) -> list[str]:
    """One digest per row: its index label, identifying columns and film pixels."""
    columns = [c for c in ROW_COLUMNS if c in X.columns]
    images = X["image"] if "image" in X.columns else None
    values = X[columns].to_numpy(object) if columns else np.empty((len(X), 0), object)
    out = []
    for i in range(len(X)):
        chunks = [repr(X.index[i]).encode(), "\x1f".join(map(repr, values[i])).encode()]
        if images is not None:
            image = images.iloc[i]
            chunks.append(_array_bytes(np.asarray(image)) if image is not None else b"")
        out.append(_sha(*chunks).hexdigest())
    return out


def rows_digest(X: Any) -> dict[str, Any]:
    """Which rows, in which order: ``{"n_rows", "rows", "row_set"}``.

    ``rows`` digests every row in order (index label, the ``film``,
    ``path``, ``x``, ``y``, ``radius`` columns present and the pixels of an
    ``image`` column; files given by ``path`` are identified by their path,
    not read); ``row_set`` digests the same rows in sorted order, so that
    :func:`check_same_run` can say "the same rows in another order".  A
    non-frame is digested as an array, row by row.

    Examples
    --------
    >>> a = pd.DataFrame({"film": ["mdb001", "mdb002"]})
    >>> b = a.iloc[::-1]
    >>> rows_digest(a)["rows"] == rows_digest(b)["rows"]
    False
    >>> rows_digest(a)["row_set"] == rows_digest(b)["row_set"]
    True
    """
    if isinstance(X, pd.DataFrame):
        digests = _row_digests(X)
    else:
        X = np.asarray(X)
        digests = [_sha(_array_bytes(row)).hexdigest() for row in X]
    return {
        "n_rows": len(digests),
        "rows": _sha(*(d.encode() for d in digests)).hexdigest(),
        "row_set": _sha(*(d.encode() for d in sorted(digests))).hexdigest(),
    }


def _plain(value: Any) -> Any:
    """A JSON value shown as it is (readable in errors), anything else as its digest."""
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return "digest:" + _value_digest(value)
    return value if len(text) <= 200 else "digest:" + _value_digest(value)


def run_identity(*, estimator: Any = None, X: Any = None, **settings: Any) -> dict[str, Any]:
    """What identifies a run, part by part, as a JSON-able dict.

    Parameters
    ----------
    estimator : estimator, optional
        The model (``"model"``: :func:`model_digest`).
    X : DataFrame or array-like, optional
        The rows (``"n_rows"``, ``"rows"``, ``"row_set"``: :func:`rows_digest`).
    **settings
        Everything else that changes the results: the method, its parameters,
        the seed, the chunk size ...  JSON values are kept as they are (so an
        error can show them), others as digests.

    Returns
    -------
    dict

    Examples
    --------
    >>> run_identity(method="lime", random_state=0, params={"n_samples": 100})
    {'method': 'lime', 'params': {'n_samples': 100}, 'random_state': 0}
    """
    identity: dict[str, Any] = {}
    if estimator is not None:
        identity["model"] = model_digest(estimator)
    if X is not None:
        identity.update(rows_digest(X))
    for key, value in sorted(settings.items()):
        if isinstance(value, Mapping):
            identity[key] = {str(k): _plain(v) for k, v in sorted(value.items())}
        else:
            identity[key] = _plain(value)
    return identity


def fingerprint(identity: Mapping[str, Any] | None = None, *, estimator: Any = None,
                X: Any = None, **settings: Any) -> str:
    """One hex digest identifying a run: the model, every row in order, the settings.

    Two calls give the same digest exactly when :func:`run_identity` gives
    the same parts (in any process, on any machine with the same model).
    Pass an ``identity`` already computed by :func:`run_identity` to digest
    it without recomputing it.

    Examples
    --------
    >>> fingerprint(method="gradcam", random_state=0) == fingerprint(method="gradcam",
    ...                                                               random_state=0)
    True
    >>> fingerprint(method="gradcam", random_state=0) == fingerprint(method="gradcam",
    ...                                                               random_state=1)
    False
    """
    if identity is None:
        identity = run_identity(estimator=estimator, X=X, **settings)
    return _sha(json.dumps(identity, sort_keys=True).encode()).hexdigest()


_WHAT = {
    "model": "the model (another fit, other weights or other parameters)",
    "rows": "the rows or their order",
    "n_rows": "the number of rows",
}


def check_same_run(previous: Mapping[str, Any], current: Mapping[str, Any], where: Any,
                   fresh: str) -> None:
    """Raise :class:`RunMismatchError` naming what differs between two run identities.

    Parameters
    ----------
    previous, current : mapping
        :func:`run_identity` of the stored run and of this call.
    where : str or path
        The folder, named in the message.
    fresh : str
        How to start afresh instead, e.g. ``"pass a new out_dir or overwrite=True"``.

    Examples
    --------
    >>> check_same_run({"method": "lime"}, {"method": "shap"}, "out/", "use a new folder")
    Traceback (most recent call last):
    ...
    skmammo.utils._fingerprint.RunMismatchError: out/ holds the results of another run: method \
differs (then 'lime', now 'shap'); nothing was written. To start afresh, use a new folder.
    """
    previous, current = dict(previous), dict(current)
    if previous == current:
        return
    differ = []
    for key in sorted(set(previous) | set(current)):
        if key == "row_set" or previous.get(key) == current.get(key):
            continue
        if key == "rows" and previous.get("row_set") == current.get("row_set"):
            differ.append("the order of the rows (the same rows in another order)")
        elif key in _WHAT:
            differ.append(_WHAT[key] if key != "n_rows" else
                          f"{_WHAT[key]} (then {previous.get(key)!r}, now {current.get(key)!r})")
        else:
            differ.append(f"{key} differs (then {previous.get(key)!r}, now {current.get(key)!r})")
    raise RunMismatchError(
        f"{where} holds the results of another run: {'; '.join(differ)}; nothing was "
        f"written. To start afresh, {fresh}."
    )


def check_stored_run(settings_file: str | os.PathLike, identity: Mapping[str, Any],
                     fresh: str) -> bool:
    """Compare a resumable job's stored identity with this call's; True if there is one.

    ``settings_file`` is the job's ``settings.json`` (``{"identity": ...}``).
    Missing: a new job, False.  The same run: True.  Unreadable or without
    an identity (an older skmammo, or edited): :class:`ValueError`.  Another
    run: :class:`RunMismatchError` naming what differs (:func:`check_same_run`).
    ``fresh`` says how to start afresh instead.
    """
    settings_file = Path(settings_file)
    if not settings_file.exists():
        return False
    try:
        previous = json.loads(settings_file.read_text(encoding="utf-8"))["identity"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"{settings_file.parent} holds results whose {settings_file.name} does not identify "
            f"their run (made by an older skmammo, or edited); they cannot be resumed safely: "
            f"{fresh}"
        ) from None
    check_same_run(previous, identity, settings_file.parent, fresh)
    return True
