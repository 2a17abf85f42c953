"""Train and save a model; apply a saved model to films (``skmammo train`` and ``scan``).

:func:`train_model` fits the default pipeline (recalibrated on held-out
patients unless ``calibration=None``) on every row it is given and saves it
with :func:`skmammo.model_file.save_model`.  :func:`scan_to_folder` scans
films with a fitted model and writes what it found into an output folder:
the CSV files of :func:`write_scan` (``film_scores.csv``, ``candidates.csv``)
and the scan report (``report.html``, ``report.pdf``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skmammo.model_file import class_names as names_of_classes
from skmammo.model_file import save_model
from skmammo.reporting._scan import ScanReport
from skmammo.scan import explain_candidates, scan_to_disk
from skmammo.utils import OutputFolder, RunMismatchError
from skmammo.workflow import unfitted_model

__all__ = ["check_model_path", "describe_training_data", "scan_to_folder", "train_model",
           "write_scan"]

logger = logging.getLogger(__name__)


def describe_training_data(X: pd.DataFrame, y: Any, groups: Any, name: str) -> dict:
    """What a model was trained on, for its file's header.

    Parameters
    ----------
    X : DataFrame
        The mammogram frame.
    y : array-like
        The targets.
    groups : array-like or None
        The patient ids.
    name : str
        The data set, in words.

    Returns
    -------
    dict
        ``description``, ``rows``, ``films``, ``patients``, ``class_counts``
        and ``pixel_mm`` (the frame's pixel size when all rows share one,
        else None).

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> films = make_synthetic_mammograms(8, image_size=128, random_state=0)
    >>> describe_training_data(films.data, films.target, films.groups, "synthetic")["pixel_mm"]
    1.6
    """
    y = np.asarray(y)
    pixel = X["pixel_mm"].dropna().unique() if "pixel_mm" in X.columns else []
    labels, counts = np.unique(y, return_counts=True)
    return {
        "description": name,
        "rows": len(X),
        "films": int(X["film"].nunique()) if "film" in X.columns else None,
        "patients": None if groups is None else len(np.unique(np.asarray(groups))),
        "class_counts": {str(k): int(v) for k, v in zip(labels.tolist(), counts)},
        "pixel_mm": float(pixel[0]) if len(pixel) == 1 else None,
    }


def check_model_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """``path`` as a model file to write: in an existing folder, new unless ``overwrite``.

    Raises
    ------
    FileExistsError
        If the file exists and not ``overwrite``.
    ValueError
        If ``path`` is a folder or its folder does not exist.
    """
    path = Path(path).expanduser()
    if path.is_dir() or not path.parent.is_dir():
        raise ValueError(f"{path}: the model file must be a file name in an existing folder")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; allow replacing it with overwrite=True "
                              "(skmammo --force)")
    return path


def train_model(X: pd.DataFrame, y: Any, groups: Any, path: str | os.PathLike, *,
                dataset: str = "", calibration: str | None = "temperature",
                confidence: float = 0.9, pipeline_params: dict | None = None,
                overwrite: bool = False, random_state: int | None = 0, verbose: int = 0):
    """Fit the default pipeline on every row given and save it to ``path``.

    Nothing is held out for testing (evaluate with
    :func:`skmammo.workflow.run_study`, ``skmammo run`` or ``skmammo demo``);
    with ``calibration``, 20% of the patients are held out of the network's
    training to recalibrate it (:class:`~skmammo.evaluation.HeldOutCalibration`).

    Parameters
    ----------
    X, y, groups
        The mammogram frame, the targets and the patient ids.
    path : str or path-like
        The model file (:func:`skmammo.model_file.save_model`), checked
        before the fit (:func:`check_model_path`).
    dataset : str
        The training data in words, for the file's header.
    calibration : {"temperature", "sigmoid", "isotonic"} or None
        Recalibrate on held-out patients (default), or None.
    confidence : float, default=0.9
        Level of the prediction sets.
    pipeline_params : dict, optional
        Passed to :func:`skmammo.pipeline.make_pipeline` (``size``,
        ``epochs``, ...); ``mode`` must stay ``"window"`` for the model to scan.
    overwrite : bool, default=False
        Replace an existing model file.
    random_state : int or None, default=0
    verbose : int, default=0
        ``>= 1``: one log line per epoch.

    Returns
    -------
    MammoPipeline or HeldOutCalibration
        The fitted model, as saved.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> films = make_synthetic_mammograms(24, image_size=128, random_state=0)
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "model.skmammo"
    >>> model = train_model(films.data, films.target, films.groups, file, calibration=None,
    ...                     pipeline_params={"size": 32, "epochs": 1})
    >>> file.is_file()
    True
    """
    path = check_model_path(path, overwrite=overwrite)
    params = {"random_state": random_state, "verbose": verbose, **dict(pipeline_params or {})}
    model = unfitted_model(params, calibration, confidence, random_state)
    logger.info("Fitting the pipeline on %d rows (%s)%s", len(X),
                ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "verbose"),
                "" if calibration is None else f", recalibrated by {calibration} scaling")
    model.fit(X, y, **({} if calibration is None else {"groups": groups}))
    save_model(model, path, training_data=describe_training_data(X, y, groups, dataset))
    logger.info("Saved the model to %s", path)
    return model


def _add_file_pixels(candidates: pd.DataFrame, films: pd.DataFrame) -> None:
    """Each candidate's film's ``pixel_mm`` and, for resampled films, its centre in file pixels."""
    if "film" not in films.columns or "pixel_mm" not in films.columns:
        return
    first = films.drop_duplicates("film").set_index("film")
    pixel = candidates["film"].map(first["pixel_mm"]).astype(float)
    candidates["pixel_mm"] = pixel
    if "native_pixel_mm" in first.columns:
        # pixel centres map to pixel centres, as the resampling (OpenCV's resize) maps them
        native = candidates["film"].map(first["native_pixel_mm"]).astype(float)
        scale = pixel / native.fillna(pixel)  # no native size known: read at pixel_mm
        candidates["x_file"] = (candidates["x"] + 0.5) * scale - 0.5
        candidates["y_file"] = (candidates["y"] + 0.5) * scale - 0.5


def write_scan(scan: Any, out: OutputFolder, *, class_names: list[str] | None = None,
               films: pd.DataFrame | None = None) -> dict:
    """Write a :class:`~skmammo.scan.FilmScan` into an output folder.

    ``film_scores.csv``: one row per film, ``film`` and one score column per
    class (named by ``class_names``; the rule is ``MammoPipeline.scan``'s).
    ``candidates.csv``: the candidates, most abnormal first per film, with a
    ``class_name`` column after ``class``.  Their coordinates are pixels of
    the film as scanned; with ``films`` (the frame scanned) a ``pixel_mm``
    column says their size, and films resampled when read (DICOM files at
    another pixel size: a ``native_pixel_mm`` column) get ``x_file``,
    ``y_file``: the centre in the file's own pixels, where a viewer shows it.

    Parameters
    ----------
    scan : FilmScan
    out : OutputFolder
    class_names : list of str, optional
        One name per class of ``scan.classes``; default
        :func:`skmammo.model_file.class_names` (``normal``, ``benign``,
        ``malignant`` for 0, 1, 2).
    films : DataFrame, optional
        The frame scanned (its ``film``, ``pixel_mm`` and
        ``native_pixel_mm`` columns are read).

    Returns
    -------
    dict
        ``film_scores`` and ``candidates``: the paths written.
    """
    if class_names is None:
        class_names = names_of_classes(scan.classes)
    scores = pd.DataFrame(scan.scores, columns=class_names)
    scores.insert(0, "film", scan.films)
    candidates = scan.candidates.copy()
    names = dict(zip(scan.classes.tolist(), class_names))
    candidates.insert(list(candidates.columns).index("class") + 1, "class_name",
                      [names.get(c, str(c)) for c in candidates["class"]])
    if films is not None:
        _add_file_pixels(candidates, films)
    return {
        "film_scores": out.write("film_scores.csv", scores.to_csv(index=False)),
        "candidates": out.write("candidates.csv", candidates.to_csv(index=False)),
    }


def scan_to_folder(model: Any, films: Any, out: str | os.PathLike | OutputFolder, *,
                   pixel_mm: float | None = None, recursive: bool = False,
                   methods: str | Sequence[str] = ("hirescam",), n_explained: int = 3,
                   method_params: dict | None = None, report: bool = True, pdf: bool = True,
                   random_state: int | None = 0, chunk_size: int = 64, overwrite: bool = False,
                   verbose: int = 0, **scan_params: Any) -> Bunch:
    """Scan films with a fitted model and write the results and the report into ``out``.

    ``film_scores.csv`` and ``candidates.csv`` (:func:`write_scan`); with
    ``report``, the first ``n_explained`` candidates of every film explained
    by ``methods`` (:func:`skmammo.scan.explain_candidates`) and
    ``report.html`` / ``report.pdf`` (:class:`skmammo.reporting.ScanReport`):
    the film scores, and per film its abnormality map, its candidates and
    their explanations.  The scan itself runs chunk by chunk into
    ``out/chunks/`` (:func:`skmammo.scan.scan_to_disk`): a run stopped midway
    keeps its finished chunks and the same command resumes after them.  The
    CSV files and the report are written only when the scan and the
    explanations are done, so a failure leaves none of them half-written.

    Parameters
    ----------
    model : MammoPipeline, HeldOutCalibration, str or path-like
        A fitted model, or a model file (:func:`skmammo.model_file.load_model`;
        loading it executes code: only load files you trust).  The file's
        header is checked before the output folder is made.
    films : DataFrame, str, path-like or list of them
        Films without annotations: a frame (``load_films(...).data``), or a
        folder or film files for :func:`skmammo.datasets.load_films`.
    out : str, path-like or OutputFolder
        The output folder, under skmammo's output-folder policy.  Given as a
        path, it is opened and finished here (a scan that fails removes it
        again if it made it and wrote nothing there); an open
        :class:`~skmammo.utils.OutputFolder` is written into and left to the
        caller to finish.
    pixel_mm : float, optional
        For films given as files: the pixel size they are scanned at
        (:func:`skmammo.datasets.load_films`): DICOM films with a pixel
        spacing are resampled to it when read, other films are taken to be
        at it.  Default: the training films' (``training_data["pixel_mm"]``
        of the model file's header), so DICOM films are scanned at the
        model's physical scale; else ``load_films``'s default; logged.
    recursive : bool, default=False
        For a folder of films: also read its sub-folders.  ``pixel_mm`` and
        ``recursive`` with a frame are an error: the frame was read already.
    methods : str or sequence of str, default=("hirescam",)
        Registered explanation methods for the report's candidates
        (``"gradcam"``, ``"hirescam"``, ``"layercam"``, ``"occlusion"``,
        ``"lime"``, ``"shap"``, ...); empty: no explanations.
    n_explained : int, default=3
        Candidates explained per film (0: none).
    method_params : dict, optional
        Per method, its parameters (``{"lime": {"n_samples": 500}}``).
    report : bool, default=True
        Write ``report.html`` (and ``report.pdf``); False: the CSV files only.
    pdf : bool, default=True
        Also write ``report.pdf``.
    random_state : int or None, default=0
        Seeds LIME's and SHAP's sampling.
    chunk_size : int, default=64
        Films per chunk of the scan (peak memory grows with it).
    overwrite : bool, default=False
        Write into a non-empty folder skmammo did not make (``--force``).
    verbose : int, default=0
        ``>= 1``: progress bars.
    **scan_params
        ``MammoPipeline.scan``'s arguments (``stride``, ``top_k``, ...).

    Returns
    -------
    Bunch
        ``scan`` (the :class:`~skmammo.scan.FilmScan`), ``films`` (the frame
        scanned), ``model``, ``explained`` (the explained candidates, or
        None) and ``paths`` (from :func:`write_scan`, plus ``html`` and
        ``pdf`` of the report).
    """
    from skmammo.datasets import load_films
    from skmammo.explain import get_explainer
    from skmammo.model_file import load_model, read_model_info

    # the methods are checked before anything is read or scanned
    methods = [get_explainer(m).name for m in ([methods] if isinstance(methods, str)
                                               else list(methods or ()))]
    by_file = isinstance(model, (str, os.PathLike))
    info = read_model_info(model) if by_file else getattr(model, "model_info_", None) or {}
    if not isinstance(out, OutputFolder):
        with OutputFolder(out, overwrite=overwrite) as folder:
            return scan_to_folder(model, films, folder, pixel_mm=pixel_mm, recursive=recursive,
                                  methods=methods, n_explained=n_explained,
                                  method_params=method_params, report=report, pdf=pdf,
                                  random_state=random_state, chunk_size=chunk_size,
                                  verbose=verbose, **scan_params)
    if isinstance(films, pd.DataFrame):
        if pixel_mm is not None or recursive:
            raise ValueError("scan_to_folder: pixel_mm= and recursive= say how to read film "
                             "files; films is a frame already read (set its pixel_mm column "
                             "instead, e.g. load_films(..., pixel_mm=...))")
    else:
        trained = (info.get("training_data") or {}).get("pixel_mm")
        if pixel_mm is None and trained is not None:
            logger.info("pixel_mm not given: %g mm, the training films' (from the model file)",
                        trained)
            pixel_mm = trained
        one = isinstance(films, (str, os.PathLike))
        films = load_films(films if one or len(films) != 1 else films[0], pixel_mm=pixel_mm,
                           recursive=recursive, verbose=verbose).data
    if by_file:
        model = load_model(model)
    try:
        scan = scan_to_disk(model, films, out, chunk_size=chunk_size, verbose=verbose,
                            **scan_params)
    except RunMismatchError:
        logger.info("%s holds the chunks of another scan (other films, model or options); "
                    "scanning afresh", out.path)
        scan = scan_to_disk(model, films, out, chunk_size=chunk_size, overwrite=True,
                            verbose=verbose, **scan_params)
    names = names_of_classes(scan.classes, model)
    for i, film in enumerate(scan.films):
        found = scan.candidates[scan.candidates["film"] == film]
        top = "" if found.empty else (
            f"; top candidate at x={found['x'].iloc[0]:.0f}, y={found['y'].iloc[0]:.0f} "
            f"({names[list(scan.classes).index(found['class'].iloc[0])]}, "
            f"score {found['score'].iloc[0]:.2f})")
        logger.info("film %s: %s; %d candidate(s)%s", film,
                    ", ".join(f"{n} {s:.2f}" for n, s in zip(names, scan.scores[i])),
                    len(found), top)
    explained = None
    if report and methods and n_explained:
        logger.info("Explaining the top %d candidate(s) of every film with %s", n_explained,
                    ", ".join(methods))
        explained = explain_candidates(model, films, scan, methods=methods,
                                       n_candidates=n_explained, method_params=method_params,
                                       random_state=random_state)
        logger.info("Explained %d candidate(s) with %s", len(explained),
                    ", ".join(explained.methods))
    # rendered in memory first: a failing report leaves no CSV file behind either
    files = ScanReport(scan, films, explained=explained, model_info=info,
                       class_names=names).files(pdf=pdf) if report else {}
    paths = write_scan(scan, out, class_names=names, films=films)
    for name, content in files.items():
        paths[name.rpartition(".")[2]] = out.write(name, content)
    logger.info("Scanned %d film(s): %s", len(scan),
                ", ".join(str(p) for p in paths.values() if p is not None))
    return Bunch(scan=scan, films=films, model=model, explained=explained, paths=paths)
