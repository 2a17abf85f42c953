"""A fitted model in one file, with a JSON header readable before anything is unpickled.

A skmammo model file is a zip archive of two members:

- ``skmammo.json``, the header: the format's name and version, the versions
  of skmammo, scikit-learn, Keras and TensorFlow that wrote it, the classes,
  the window (``mode``, ``window_mm``, ``window_px``, ``size``), the
  preprocessing parameters, whether the model is recalibrated (and
  :meth:`~skmammo.evaluation.HeldOutCalibration.describe`), a description of
  the training data and the creation time;
- ``model.joblib``, the fitted :class:`~skmammo.pipeline.MammoPipeline` or
  :class:`~skmammo.evaluation.HeldOutCalibration` around one, written by
  :func:`joblib.dump` (the Keras network travels inside, as SciKeras pickles it).

:func:`read_model_info` reads the header only, so "not a skmammo model file"
and "written by an incompatible version" are clean errors that come before
any unpickling.  **Loading the model executes code** (joblib uses pickle):
load only files you trust.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import logging
import os
import pickle
import zipfile
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from skmammo import __version__
from skmammo.utils import TARGET_NAMES, atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "class_names", "load_model", "read_model_info",
           "save_model"]

logger = logging.getLogger(__name__)

#: The format's name, in every header.
FORMAT = "skmammo-model"
#: The version of the container, the header layout and the pickled estimators this
#: skmammo writes and reads.  Raise it whenever a file of the previous version would
#: load but misbehave.  2: ``HeldOutCalibration`` recalibrates through
#: ``GivenProbabilities`` (version 1 files fail when they recalibrate).  3: the window
#: cropper places normal windows by depth and height on the film (``window_places_``);
#: a version 2 model's cropper only knows depths and would place them otherwise.
FORMAT_VERSION = 3

_HEADER = "skmammo.json"
_PAYLOAD = "model.joblib"
#: A header larger than this is not a skmammo header (they take a few kilobytes).
_MAX_HEADER_BYTES = 1 << 20
#: Package -> the distributions that may provide it (TensorFlow ships under several names).
_PACKAGES = {"scikit-learn": ("scikit-learn",), "keras": ("keras",),
             "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos",
                            "tensorflow-intel", "tf-nightly"),
             "scikeras": ("scikeras",), "numpy": ("numpy",)}


def _versions() -> dict[str, str | None]:
    """Installed versions, read from the package metadata (nothing is imported)."""
    found: dict[str, str | None] = {"skmammo": __version__}
    for name, dists in _PACKAGES.items():
        found[name] = None
        for dist in dists:
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def _plain(value: Any) -> Any:
    """``value`` as JSON: numbers, strings, lists and dicts as they are, anything else as repr."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def class_names(classes: Any, model: Any = None) -> list[str]:
    """The names of a model's classes.

    Parameters
    ----------
    classes : array-like
        The labels (a classifier's ``classes_``).
    model : object, optional
        A model loaded by :func:`load_model`: its file's ``target_names``
        are used when they match ``classes``.

    Returns
    -------
    list of str
        Else ``normal``, ``benign``, ``malignant`` for the labels 0, 1, 2,
        and any other label as text.

    Examples
    --------
    >>> class_names([0, 1, 2])
    ['normal', 'benign', 'malignant']
    """
    names = (getattr(model, "model_info_", None) or {}).get("target_names")
    if names is not None and len(names) == len(classes):
        return [str(n) for n in names]
    return [TARGET_NAMES[c] if isinstance(c, (int, np.integer)) and 0 <= c < len(TARGET_NAMES)
            else str(c) for c in classes]


def _parts(model: Any) -> tuple[Any, Any]:
    """``(the pipeline, the recalibrating wrapper or None)`` of a fitted model, checked."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from skmammo.evaluation import HeldOutCalibration
    from skmammo.pipeline import MammoPipeline

    wrapper = None
    if isinstance(model, HeldOutCalibration):
        try:
            check_is_fitted(model, "calibrator_")
        except NotFittedError:
            raise NotFittedError("save_model: this HeldOutCalibration is not fitted yet; call "
                                 "fit before saving it") from None
        wrapper, model = model, model.estimator_
    if not isinstance(model, MammoPipeline):
        raise TypeError(f"save_model saves a fitted MammoPipeline (make_pipeline) or a fitted "
                        f"HeldOutCalibration around one, got {type(model).__name__}")
    if not hasattr(model.steps[-1][1], "model_"):
        raise NotFittedError("save_model: this pipeline is not fitted yet (its classifier has "
                             "no trained network); call fit before saving it")
    return model, wrapper


def _describe(pipe: Any, wrapper: Any, training_data: Any, target_names: Any) -> dict:
    """The header of ``pipe`` (recalibrated by ``wrapper`` if not None)."""
    classes = (wrapper if wrapper is not None else pipe).classes_
    if target_names is None:
        target_names = class_names(classes)
    if len(target_names) != len(classes):
        raise ValueError(f"target_names has {len(target_names)} names for {len(classes)} classes")
    steps = dict(pipe.steps)
    crop = steps.get("crop")
    window = None if crop is None else {
        key: _plain(getattr(crop, key)) for key in ("mode", "window_mm", "window_px", "size")}
    preprocessing = {name: {"class": type(step).__name__,
                            "params": _plain(step.get_params(deep=False))}
                     for name, step in pipe.steps[:-1]}
    classifier = pipe.steps[-1][1]
    if isinstance(training_data, str):
        training_data = {"description": training_data}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "estimator": type(wrapper if wrapper is not None else pipe).__name__,
        "classes": _plain(classes),
        "target_names": [str(n) for n in target_names],
        "window": window,
        "preprocessing": preprocessing,
        "classifier": {"class": type(classifier).__name__,
                       "params": _plain(classifier.get_params(deep=False))},
        "recalibrated": wrapper is not None and bool(wrapper.calibrated),
        "calibration": None if wrapper is None else _plain(wrapper.describe()),
        "training_data": _plain(training_data),
    }


def save_model(model: Any, path: str | os.PathLike, *, training_data: Any = None,
               target_names: Any = None) -> Path:
    """Save a fitted model, with a JSON header that describes it, in one file.

    Parameters
    ----------
    model : MammoPipeline or HeldOutCalibration
        A fitted :class:`~skmammo.pipeline.MammoPipeline`, or a fitted
        :class:`~skmammo.evaluation.HeldOutCalibration` around one.
    path : str or path-like
        The file to write (by convention ``*.skmammo``); written under a
        temporary name and renamed, so a failure leaves no half-written file.
        An existing file is replaced.
    training_data : str or dict, optional
        What the model was trained on (data set, rows, pixel size, ...): a
        dict of JSON values (anything else is stored as its ``repr``) or a
        description string (stored as ``{"description": ...}``).  A
        ``pixel_mm`` entry is what ``skmammo scan`` assumes for films given
        without one.
    target_names : list of str, optional
        The classes' names; default: ``normal``, ``benign``, ``malignant``
        for the labels 0, 1, 2, else the labels as text.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError
        If ``model`` is neither of the two.
    sklearn.exceptions.NotFittedError
        If it is not fitted.

    See Also
    --------
    load_model, read_model_info

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.pipeline import make_pipeline
    >>> films = make_synthetic_mammograms(24, image_size=128, random_state=0)
    >>> pipe = make_pipeline(size=32, epochs=1, random_state=0).fit(films.data, films.target)
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "model.skmammo"
    >>> _ = save_model(pipe, file, training_data={"description": "24 synthetic films"})
    >>> read_model_info(file)["window"]["size"]
    32
    """
    pipe, wrapper = _parts(model)
    header = _describe(pipe, wrapper, training_data, target_names)
    payload = io.BytesIO()
    import joblib

    joblib.dump(model, payload)

    def write(handle) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_HEADER, json.dumps(header, indent=1))  # first: read before all
            archive.writestr(_PAYLOAD, payload.getvalue())

    path = Path(path).expanduser()
    return atomic_write(path, write)


def _not_a_model(path: Path, why: str) -> ValueError:
    return ValueError(f"{path}: not a skmammo model file ({why}); skmammo train (or "
                      "skmammo.model_file.save_model) writes them")


def _open(path: Path) -> tuple[zipfile.ZipFile, dict]:
    """The open archive and its checked header; nothing is unpickled."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
            raise
        raise _not_a_model(path, "not a zip container with a skmammo.json header") from None
    try:
        names = archive.namelist()
        if _HEADER not in names or _PAYLOAD not in names:
            raise _not_a_model(path, f"no {_HEADER} and {_PAYLOAD} inside")
        if archive.getinfo(_HEADER).file_size > _MAX_HEADER_BYTES:
            raise _not_a_model(path, f"{_HEADER} is too large")
        try:
            header = json.loads(archive.read(_HEADER).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as exc:
            raise _not_a_model(path, f"unreadable {_HEADER}: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise _not_a_model(path, f"{_HEADER} does not name the format {FORMAT!r}")
        version = header.get("format_version")
        if version != FORMAT_VERSION:
            wrote = (header.get("versions") or {}).get("skmammo", "an unknown version")
            raise ValueError(
                f"{path}: written by an incompatible version: model file format {version!r} "
                f"(skmammo {wrote}); this skmammo ({__version__}) reads format "
                f"{FORMAT_VERSION}; load it with the skmammo that wrote it, or train the model "
                "again")
    except BaseException:
        archive.close()
        raise
    return archive, header


def read_model_info(path: str | os.PathLike) -> dict:
    """The header of a skmammo model file, read without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    dict
        ``format``, ``format_version``, ``created`` (UTC, ISO 8601),
        ``versions`` (skmammo, scikit-learn, keras, tensorflow, scikeras,
        numpy), ``estimator`` (``"MammoPipeline"`` or
        ``"HeldOutCalibration"``), ``classes``, ``target_names``, ``window``
        (``mode``, ``window_mm``, ``window_px``, ``size``), ``preprocessing``
        (each step's class and parameters), ``classifier``, ``recalibrated``,
        ``calibration`` (``HeldOutCalibration.describe()`` or None) and
        ``training_data``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        "not a skmammo model file" for any other file (a plain joblib or
        pickle file included); "written by an incompatible version" for
        another format version, naming both.
    """
    archive, header = _open(Path(path).expanduser())
    archive.close()
    return header


def load_model(path: str | os.PathLike) -> Any:
    """Load a model saved by :func:`save_model`.

    .. warning:: Loading executes code: the model is unpickled by
       :func:`joblib.load`, and a crafted file can run anything on this
       machine.  Only load files you trust.  :func:`read_model_info` reads
       the header alone, safely.

    The header is checked first (format and version); a file written with
    other versions of skmammo, scikit-learn, Keras or TensorFlow than the
    installed ones loads with a logged warning naming them.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    MammoPipeline or HeldOutCalibration
        The fitted model; its header is at ``model.model_info_``.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_model_info`; also a ValueError if the payload cannot
        be unpickled or is not a skmammo model.

    Examples
    --------
    >>> model = load_model("model.skmammo")  # doctest: +SKIP
    >>> scan = model.scan(load_films("films/", pixel_mm=0.2).data)  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    archive, header = _open(path)
    installed = _versions()
    differ = [f"{name} {(header.get('versions') or {}).get(name)} (installed {have})"
              for name, have in installed.items()
              if name in ("skmammo", "scikit-learn", "keras", "tensorflow")
              and (header.get("versions") or {}).get(name) != have]
    if differ:
        logger.warning("%s was written with other versions: %s; its predictions may differ",
                       path, ", ".join(differ))
    import joblib

    try:
        with archive, archive.open(_PAYLOAD) as handle:
            model = joblib.load(handle)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, pickle.UnpicklingError,
            ValueError, TypeError, AttributeError, ImportError, IndexError, KeyError) as exc:
        raise ValueError(f"{path}: the model inside cannot be loaded ({type(exc).__name__}: "
                         f"{exc}); the file is damaged or needs other package versions "
                         f"({', '.join(differ) or 'the same versions wrote it'})") from None
    try:
        _parts(model)  # what was unpickled is a fitted skmammo model
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: the file holds no fitted skmammo model ({exc})") from None
    model.model_info_ = header
    return model
