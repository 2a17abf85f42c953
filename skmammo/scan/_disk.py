"""Many films: the whole-film scan in chunks, on disk, resumable (``scan_to_disk``).

The same machinery as :func:`skmammo.explain.explain_to_disk`
(:mod:`skmammo.utils._chunks`): chunks of films scanned by joblib tasks,
each written atomically as it comes back, a run identity that lets only the
same run resume.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import delayed

from skmammo.scan._result import CANDIDATE_COLUMNS, FilmGrid, FilmScan
from skmammo.scan._run import scan_films, scanned_films
from skmammo import __version__
from skmammo.utils import OutputFolder, check_int, run_identity
from skmammo.utils._chunks import ChunkPlan, run_chunks, savez

__all__ = ["load_scan", "scan_to_disk"]

logger = logging.getLogger(__name__)

_SETTINGS = "settings.json"
#: Where the chunks go inside an open OutputFolder handed to scan_to_disk.
_SUBFOLDER = "chunks/"
_NUMBERS = ("x", "y", "score", "x0", "y0", "x1", "y1")


def _json(values: list) -> str:
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"film id {value!r} ({type(value).__name__}) cannot be stored; give "
                        "the frame a 'film' column of strings")
    return json.dumps(values, default=plain)


def _scan_chunk(model: Any, films: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    """Scan one chunk of films (runs on a worker): the arrays to store, nothing written."""
    start = time.perf_counter()
    scan = model.scan(films, verbose=0, **params)
    return {"arrays": _pack(scan), "seconds": time.perf_counter() - start, "pid": os.getpid()}


def _pack(scan: FilmScan) -> dict[str, np.ndarray]:
    """A scan as plain arrays (no pickle): scores, candidates and the grids of its maps."""
    classes = scan.classes.tolist()
    cands = scan.candidates
    films = scan.films.tolist()
    where = {film: i for i, film in enumerate(films)}
    probs = [f"p_{c}" for c in scan.classes]
    if list(cands.columns) != list(CANDIDATE_COLUMNS) + probs:
        raise ValueError(f"unexpected candidate columns {list(cands.columns)}")
    grids = scan.grids
    meta = {"films": films, "classes": classes, "top_k": scan.top_k, "exact": scan.exact,
            "calibrated": scan.calibrated, "min_distance": scan.min_distance,
            "min_score": scan.min_score}
    return {
        "meta": np.asarray(_json(meta)),
        "scores": np.asarray(scan.scores, np.float64).reshape(len(films), len(classes)),
        "grid_shape": np.array([g.probabilities.shape[:2] for g in grids], np.int64
                               ).reshape(-1, 2),
        "film_shape": np.array([g.shape for g in grids], np.int64).reshape(-1, 2),
        "side": np.array([g.side for g in grids], np.float64),
        "grid_x": np.concatenate([g.x for g in grids] or [np.empty(0)]).astype(np.float64),
        "grid_y": np.concatenate([g.y for g in grids] or [np.empty(0)]).astype(np.float64),
        "probabilities": np.concatenate(
            [g.probabilities.reshape(-1, len(classes)) for g in grids]
            or [np.empty((0, len(classes)))]).astype(np.float32),
        "inside": np.concatenate([g.inside.reshape(-1) for g in grids]
                                 or [np.empty(0, bool)]).astype(bool),
        "candidate_film": np.array([where[f] for f in cands["film"]], np.int64),
        "candidate_class": np.array([classes.index(c) for c in cands["class"]], np.int64),
        "candidate_values": cands[list(_NUMBERS) + probs].to_numpy(np.float64).reshape(
            len(cands), len(_NUMBERS) + len(probs)),
    }


def _unpack(data: Any) -> FilmScan:
    """The :class:`FilmScan` of one chunk file (:func:`_pack`'s arrays)."""
    meta = json.loads(str(data["meta"]))
    films = np.empty(len(meta["films"]), dtype=object)
    films[:] = meta["films"]
    classes = np.asarray(meta["classes"])
    n_classes = len(classes)
    grids, at_x, at_y, at_p = [], 0, 0, 0
    for (ny, nx), shape, side in zip(data["grid_shape"], data["film_shape"], data["side"]):
        cells = int(ny) * int(nx)
        grids.append(FilmGrid(
            probabilities=data["probabilities"][at_p:at_p + cells].reshape(ny, nx, n_classes),
            x=data["grid_x"][at_x:at_x + nx], y=data["grid_y"][at_y:at_y + ny],
            side=float(side), inside=data["inside"][at_p:at_p + cells].reshape(ny, nx),
            shape=(int(shape[0]), int(shape[1]))))
        at_x, at_y, at_p = at_x + int(nx), at_y + int(ny), at_p + cells
    names = list(_NUMBERS) + [f"p_{c}" for c in classes]
    rows = []
    for film, label, values in zip(data["candidate_film"], data["candidate_class"],
                                   data["candidate_values"]):
        row = {"film": films[film], "class": classes[label]}
        row.update(zip(names, values.tolist()))
        rows.append(row)
    columns = list(CANDIDATE_COLUMNS) + [f"p_{c}" for c in classes]
    return FilmScan(films=films, classes=classes, grids=grids,
                    scores=np.asarray(data["scores"], np.float64),
                    candidates=pd.DataFrame(rows, columns=columns), top_k=int(meta["top_k"]),
                    exact=bool(meta["exact"]), calibrated=bool(meta["calibrated"]),
                    min_distance=meta.get("min_distance"),
                    min_score=float(meta.get("min_score", 0.0)))


def _is_default(value: Any, default: Any) -> bool:
    """``value`` is ``scan_films``' default (``True`` is not ``1``, ``None`` only ``None``)."""
    if default is inspect.Parameter.empty:
        return False
    if isinstance(value, bool) or isinstance(default, bool) or value is None or default is None:
        return value is default
    return bool(value == default)


def scan_to_disk(model: Any, X: pd.DataFrame, directory: str | os.PathLike | OutputFolder, *,
                 chunk_size: int = 64, n_jobs: int | None = None, overwrite: bool = False,
                 verbose: int = 0, **scan_params: Any) -> FilmScan:
    """Scan many films in chunks, writing each chunk as it is done; resume after a stop.

    The distinct films of ``X`` (one scan per film, as ``model.scan``) are
    cut into chunks of ``chunk_size``; each chunk is scanned by
    ``model.scan`` in a joblib task (``n_jobs`` local processes, or a Dask
    cluster inside ``with joblib.parallel_backend("dask"):``) and this
    process writes what comes back, as :func:`~skmammo.explain.explain_to_disk`
    does:

    - ``chunk_NNNNNN.npz``: the chunk's film ids, film scores, candidates and
      every film's window grid (:class:`~skmammo.scan.FilmGrid`: what the
      film-resolution maps are interpolated from), as plain arrays (no
      pickle), written under a temporary name and renamed;
    - ``settings.json``: the run's identity (:func:`skmammo.utils.run_identity`:
      the model's weights and parameters, every film and its order, the
      scan's parameters, the chunk size), and the folder's manifest
      (:class:`skmammo.utils.OutputFolder`).

    A crash, ``kill -9`` or Ctrl-C loses at most the chunks in flight; a
    rerun of the **same run** scans only the missing chunks.  Any other run
    into the folder (another model, other films or another order, other
    scan parameters or chunk size) is refused before anything is written.
    Memory: a worker reads, scans and releases one chunk of films at a time
    (with films given by ``path``, only that chunk's films are ever read);
    this process keeps the small grids only (a 1024-pixel film's is
    43 x 43 x 3 floats at the default stride).

    Parameters
    ----------
    model : MammoPipeline or HeldOutCalibration
        A fitted model with ``scan`` (a recalibrated model scans
        recalibrated windows).
    X : DataFrame
        Films without annotations (``load_films(...).data``, or any
        mammogram frame: rows of one film are scanned once).
    directory : str, path-like or OutputFolder
        Folder of the results (created if needed).  An open
        :class:`~skmammo.utils.OutputFolder` (as ``skmammo scan``'s output
        folder) gets the files in its ``chunks/`` sub-folder and is left to
        its owner to finish.
    chunk_size : int, default=64
        Films per chunk (per task, per file).
    n_jobs : int or None, default=None
        Chunks scanned in parallel by joblib; ``None`` follows the active
        joblib backend (one at a time by default).  The chunk is the unit of
        parallel work: ``scan``'s own ``n_jobs`` (threads) is not used.
    overwrite : bool, default=False
        Start afresh: remove a previous run's chunks instead of resuming
        (and allow a non-empty folder not made by skmammo).
    verbose : int, default=0
        ``>= 1`` shows a progress bar over the films.
    **scan_params
        ``model.scan``'s arguments (``stride``, ``batch_size``, ``exact``,
        ``top_k``, ``max_candidates``, ``min_distance``, ``min_score``).

    Returns
    -------
    FilmScan
        All films, assembled from the chunk files (:func:`load_scan`).

    Raises
    ------
    TypeError
        If ``X`` is not a frame, ``model`` has no ``scan``, or a scan
        parameter is unknown.
    ValueError
        If ``X`` has no films, ``chunk_size`` is not a positive integer, the
        model cannot scan (not fitted, not a window pipeline) or
        ``directory`` holds the results of another run
        (:class:`skmammo.utils.RunMismatchError`, naming what differs: use a
        new folder or ``overwrite=True``).  Nothing is written then.
    FileExistsError
        If ``directory`` is not empty and was not made by skmammo, unless
        ``overwrite=True``.

    Examples
    --------
    >>> import tempfile
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.pipeline import make_pipeline
    >>> films = make_synthetic_mammograms(12, image_size=128, random_state=0)
    >>> pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    >>> pipe = pipe.fit(films.frame, films.target)
    >>> folder = tempfile.mkdtemp()
    >>> scan = scan_to_disk(pipe, films.data, folder, chunk_size=5)  # 3 chunk files
    >>> scan.scores.shape, scan.maps[0].shape
    ((12, 3), (128, 128, 3))
    >>> load_scan(folder).films[:2].tolist()  # later, without the model
    ['syn0001', 'syn0002']

    With films in a folder: ``scan_to_disk(model, load_films("films/").data,
    "scan/", verbose=1)``.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"scan_to_disk expects a frame of films (load_films(...).data), got "
                        f"{type(X).__name__}")
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if not callable(getattr(model, "scan", None)):
        raise TypeError(f"{type(model).__name__} has no scan(); pass a fitted MammoPipeline "
                        "or HeldOutCalibration (or a model file read by "
                        "skmammo.model_file.load_model)")
    rows, ids = scanned_films(X, "scan_to_disk")
    films = X.iloc[rows]
    if len(films) == 0:
        raise ValueError("scan_to_disk: X has no films, nothing to scan (nothing was written)")
    _json(pd.Series(np.asarray(ids, dtype=object)).tolist())
    model.scan(films.iloc[:0], verbose=0, **scan_params)  # a bad model or parameter fails now
    # a parameter passed at its default is the same run as one left out; chunks written by
    # another version of skmammo are not mixed into this one's
    defaults = {name: p.default for name, p in inspect.signature(scan_films).parameters.items()}
    explicit = {k: v for k, v in scan_params.items()
                if not _is_default(v, defaults.get(k, inspect.Parameter.empty))}
    identity = run_identity(estimator=model, X=films, job="scan", chunk_size=int(chunk_size),
                            params=explicit, skmammo=__version__)

    def task(k: int, start: int, stop: int):
        return delayed(_scan_chunk)(model, films.iloc[start:stop], scan_params)

    def store(plan: ChunkPlan, k: int, result: dict[str, Any]) -> None:
        plan.folder.write(plan.name(k, ".npz"), lambda h: savez(h, result["arrays"]))
        logger.debug("chunk %d (%d films) scanned in %.2f s by process %d", k,
                     len(result["arrays"]["side"]), result["seconds"], result["pid"])

    given = isinstance(directory, OutputFolder)
    prefix = _SUBFOLDER if given else ""
    plan = run_chunks(directory if given else Path(directory).expanduser(), identity,
                      len(films), int(chunk_size), task=task, store=store, suffixes=(".npz",),
                      settings=_SETTINGS, prefix=prefix, overwrite=overwrite, n_jobs=n_jobs,
                      verbose=verbose, desc="scan_to_disk", unit="film", logger=logger,
                      fresh="pass a new directory, or overwrite=True to replace its results")
    result = load_scan(plan.folder / prefix)
    if not given:
        plan.folder.finish()
    return result


def load_scan(directory: str | os.PathLike) -> FilmScan:
    """The :class:`~skmammo.scan.FilmScan` that :func:`scan_to_disk` wrote into ``directory``.

    Reads every chunk file (plain arrays, no pickle: safe on any folder) and
    concatenates them (:meth:`FilmScan.concat`); the model is not needed.

    Parameters
    ----------
    directory : str or path-like
        The folder given to :func:`scan_to_disk` (its ``chunks/`` sub-folder
        when it was given an open :class:`~skmammo.utils.OutputFolder`).

    Returns
    -------
    FilmScan

    Raises
    ------
    ValueError
        If ``directory`` holds no scan (no ``settings.json`` of
        ``scan_to_disk``) or an unfinished one (chunks missing: rerun
        ``scan_to_disk`` with the same arguments to finish it).
    """
    directory = Path(directory).expanduser()
    try:
        identity = json.loads((directory / _SETTINGS).read_text(encoding="utf-8"))["identity"]
        n, size = int(identity["n_rows"]), int(identity["chunk_size"])
        if identity.get("job") != "scan":
            raise KeyError("job")
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f"{directory} holds no scan written by scan_to_disk (no readable "
                         f"{_SETTINGS} of one)") from None
    names = [directory / f"chunk_{k:06d}.npz" for k in range(-(-n // size))]
    missing = [p.name for p in names if not p.exists()]
    if missing:
        raise ValueError(
            f"{directory} holds an unfinished scan: {len(missing)} of {len(names)} chunks "
            f"missing ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); rerun "
            "scan_to_disk with the same model, films and parameters to finish it")
    scans = []
    for path in names:
        with np.load(path, allow_pickle=False) as data:
            scans.append(_unpack(data))
    return FilmScan.concat(scans)
