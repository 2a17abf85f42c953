"""``explain_to_disk``: explain many films in chunks, in parallel, resumably."""

from __future__ import annotations

import json
import logging
import numbers
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from skmammo.explain._registry import get_explainer
from skmammo.utils import atomic_write

__all__ = ["explain_to_disk"]

logger = logging.getLogger("skmammo.explain")

_SETTINGS = "settings.json"
_TABLE = "explanations.csv"
_CLASSES = ("normal", "benign", "malignant")


def _chunk_name(k: int) -> str:
    return f"chunk_{k:06d}"


def _chunk_seed(random_state: int | None, k: int) -> int | None:
    """Chunk ``k``'s seed: a function of ``random_state`` and ``k`` only.

    So results do not depend on ``n_jobs``, on the backend, or on which
    chunks a rerun skips.
    """
    if random_state is None:
        return None
    return int(np.random.SeedSequence([int(random_state), k]).generate_state(1)[0])


def _explain_chunk(pipeline: Any, X: pd.DataFrame, method: str, seed: int | None,
                   params: dict[str, Any]) -> dict[str, Any]:
    """Explain one chunk (runs on a worker): the arrays to store, nothing written."""
    start = time.perf_counter()
    result = pipeline.explain(X, method=method, random_state=seed, **params)
    heatmaps = np.asarray(result.heatmaps, dtype=np.float32)
    boxes = getattr(result, "boxes", None)
    return {
        "heatmaps": heatmaps,
        "targets": np.asarray(result.targets),
        "probabilities": np.asarray(result.probabilities, dtype=np.float64),
        "boxes": (np.full((len(X), 4), np.nan) if boxes is None
                  else np.asarray(boxes, dtype=np.float64)),
        "seconds": time.perf_counter() - start,
        "pid": os.getpid(),
    }


def _table(frame: pd.DataFrame, positions: np.ndarray, out: dict[str, Any],
           file: str) -> pd.DataFrame:
    proba = out["probabilities"]
    table = pd.DataFrame({
        "position": positions,
        "index": [str(v) for v in frame.index[positions]],
        "film": (frame["film"].to_numpy()[positions] if "film" in frame.columns
                 else [""] * len(positions)),
        "target": out["targets"].reshape(len(positions), -1)[:, 0]
        if out["targets"].ndim > 1 else out["targets"],
        "predicted": proba.argmax(axis=1),
    })
    for j in range(proba.shape[1]):
        name = _CLASSES[j] if j < len(_CLASSES) else str(j)
        table[f"p_{name}"] = proba[:, j]
    for j, name in enumerate(("x0", "y0", "x1", "y1")):
        table[name] = out["boxes"][:, j]
    table["heatmap_file"] = file
    table["heatmap_row"] = np.arange(len(positions))
    return table


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def explain_to_disk(
    estimator: Any,
    X: pd.DataFrame,
    out_dir: str | os.PathLike,
    method: str = "gradcam",
    *,
    chunk_size: int = 64,
    n_jobs: int | None = None,
    random_state: int | None = None,
    verbose: int = 0,
    **explain_params: Any,
) -> pd.DataFrame:
    """Explain every row of a (large) mammogram frame in chunks, writing as it goes.

    The rows are cut into chunks of ``chunk_size``; each chunk is explained by
    ``estimator.explain`` in a joblib task (so ``n_jobs`` local processes, or a
    Dask cluster inside ``with joblib.parallel_backend("dask"):``), its
    results travel back and this process writes them:

    - ``chunk_NNNNNN.npz``: ``heatmaps`` (float32), ``targets``,
      ``probabilities``, ``boxes`` (crop boxes in film pixels) and
      ``positions`` (row positions in ``X``);
    - ``chunk_NNNNNN.csv``: one line per row (film, explained class,
      prediction, probabilities, crop box, where its heatmap is), written
      after the ``.npz``: a chunk counts as finished when its CSV exists;
    - ``settings.json`` (method, chunk size, number of rows, seed,
      parameters) and, at the end, ``explanations.csv``, all chunks' lines.

    Every file is written under a temporary name and renamed, so a crash
    (or Ctrl-C) loses at most the chunks in flight; a rerun with the same
    arguments skips the finished chunks.  Chunk ``k`` is explained with the
    seed ``SeedSequence([random_state, k])``, so the results do not depend on
    ``n_jobs``, the backend or the interruptions.  Memory: this process holds
    one chunk's results per worker in flight; with films given by ``path``
    (see :mod:`skmammo.preprocessing`), a worker holds one film at a time
    plus one chunk's crops and heatmaps.

    Parameters
    ----------
    estimator : fitted MammoPipeline
        Anything with ``explain(X, method=..., random_state=..., **params)``
        returning an :class:`~skmammo.explain.Explanation`.
    X : DataFrame
        A mammogram frame (films as ``image`` arrays or ``path`` files; with
        Dask, the workers must be able to read the paths).
    out_dir : str or path-like
        Folder of the results (created if needed).
    method : str, default="gradcam"
        A registered method (see :func:`~skmammo.explain.get_explainer`).
    chunk_size : int, default=64
        Rows per chunk (per task, per file).
    n_jobs : int or None, default=None
        Chunks explained in parallel by joblib; ``None`` follows the active
        joblib backend (one at a time by default, the whole cluster inside
        ``parallel_backend("dask")``).
    random_state : int or None, default=None
        Base seed of LIME and SHAP (Grad-CAM is deterministic).
    verbose : int, default=0
        1 shows a progress bar over chunks.
    **explain_params
        Passed to ``estimator.explain`` (``target``, ``batch_size``,
        ``n_samples``, ``baseline`` ...).

    Returns
    -------
    table : DataFrame
        The contents of ``explanations.csv``, one line per row of ``X``.

    Raises
    ------
    ValueError
        If ``out_dir`` holds results of other settings (another method,
        chunk size, number of rows, seed or parameters); use a new folder.

    Examples
    --------
    >>> from skmammo.explain import explain_to_disk
    >>> table = explain_to_disk(pipe, frame, "explanations/", chunk_size=32,
    ...                         n_jobs=2)  # doctest: +SKIP
    >>> heatmaps = np.load("explanations/chunk_000000.npz")["heatmaps"]  # doctest: +SKIP
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"explain_to_disk expects a mammogram frame, got {type(X).__name__}")
    if (isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral)
            or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if random_state is not None and (isinstance(random_state, bool)
                                     or not isinstance(random_state, numbers.Integral)):
        raise TypeError(
            f"random_state must be an int or None (a seed that can be written to "
            f"{_SETTINGS} and reused by a rerun), got {type(random_state).__name__}"
        )
    if not hasattr(estimator, "explain"):
        raise TypeError(
            f"{type(estimator).__name__} has no explain(); pass a fitted MammoPipeline "
            "(skmammo.pipeline.make_pipeline(...).fit(...))"
        )
    get_explainer(method)  # an unknown method fails now, not in the first task
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    n = len(X)
    settings = {
        "method": method,
        "chunk_size": int(chunk_size),
        "n_rows": n,
        "random_state": None if random_state is None else int(random_state),
        "params": {k: _jsonable(v) for k, v in sorted(explain_params.items())},
        "films": (str(X["film"].iloc[0]) + ".." + str(X["film"].iloc[-1])
                  if "film" in X.columns and n else ""),
    }
    settings_file = out / _SETTINGS
    if settings_file.exists():
        previous = json.loads(settings_file.read_text())
        if previous != settings:
            changed = sorted(k for k in settings if previous.get(k) != settings[k])
            raise ValueError(
                f"{out} holds explanations made with other settings ({', '.join(changed)}: "
                f"{ {k: previous.get(k) for k in changed} } then, "
                f"{ {k: settings[k] for k in changed} } now); pass a new out_dir or delete "
                "the old one"
            )
    else:
        atomic_write(settings_file,
                      lambda h: h.write(json.dumps(settings, indent=2).encode("utf-8")))

    starts = list(range(0, n, chunk_size))
    todo = [k for k in range(len(starts)) if not (out / f"{_chunk_name(k)}.csv").exists()]
    if len(todo) < len(starts):
        logger.info("%s: %d of %d chunks already finished, %d to explain", out,
                    len(starts) - len(todo), len(starts), len(todo))

    def tasks():
        for k in todo:
            rows = X.iloc[starts[k]:starts[k] + chunk_size]
            yield delayed(_explain_chunk)(estimator, rows, method,
                                          _chunk_seed(random_state, k), explain_params)

    progress = tqdm(total=len(starts), initial=len(starts) - len(todo), desc="explain_to_disk",
                    unit="chunk", disable=not verbose)
    try:
        if todo:
            results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks())
            for k, result in zip(todo, results):
                positions = np.arange(starts[k], min(starts[k] + chunk_size, n))
                name = _chunk_name(k)
                arrays = {key: result[key] for key in
                          ("heatmaps", "targets", "probabilities", "boxes")}
                atomic_write(out / f"{name}.npz",
                              lambda h: np.savez(h, positions=positions, **arrays))
                table = _table(X, positions, result, f"{name}.npz")
                atomic_write(out / f"{name}.csv",
                              lambda h: h.write(table.to_csv(index=False).encode("utf-8")))
                logger.debug("chunk %d (%d rows) explained in %.2f s by process %d", k,
                             len(positions), result["seconds"], result["pid"])
                progress.update(1)
    finally:
        progress.close()

    table = pd.concat([pd.read_csv(out / f"{_chunk_name(k)}.csv", keep_default_na=False,
                                   na_values=[""], dtype={"index": str, "film": str})
                       for k in range(len(starts))], ignore_index=True)
    atomic_write(out / _TABLE, lambda h: h.write(table.to_csv(index=False).encode("utf-8")))
    return table
