"""``explain_to_disk``: explain many films in chunks, in parallel, resumably."""

from __future__ import annotations

import logging
import numbers
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import delayed

from skmammo.explain._registry import get_explainer
from skmammo.utils import run_identity
from skmammo.utils._chunks import ChunkPlan, run_chunks, savez

__all__ = ["explain_to_disk"]

logger = logging.getLogger("skmammo.explain")

_SETTINGS = "settings.json"
_TABLE = "explanations.csv"
_CLASSES = ("normal", "benign", "malignant")


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


def explain_to_disk(
    estimator: Any,
    X: pd.DataFrame,
    out_dir: str | os.PathLike,
    method: str = "gradcam",
    *,
    chunk_size: int = 64,
    n_jobs: int | None = None,
    random_state: int | None = None,
    overwrite: bool = False,
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
    - ``settings.json``: the run's identity (:func:`skmammo.utils.run_identity`:
      a digest of the model's weights and parameters, of every row and its
      order, the method, its parameters, the chunk size and the seed) and its
      :func:`~skmammo.utils.fingerprint`; at the end, ``explanations.csv``,
      all chunks' lines; and the folder's manifest (see
      :class:`skmammo.utils.OutputFolder`).

    Every file is written under a temporary name and renamed, so a crash, a
    ``kill -9`` or Ctrl-C loses at most the chunks in flight; a rerun of the
    **same run** (same model, same rows in the same order, same settings)
    skips the finished chunks and ends with the same bytes as an
    uninterrupted run.  A rerun of any other run into the folder is refused
    before anything is written, naming what differs.  Chunk ``k`` is
    explained with the seed ``SeedSequence([random_state, k])``, so the
    results do not depend on ``n_jobs``, the backend or the interruptions.
    Memory: this process holds
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
    overwrite : bool, default=False
        Start afresh: remove the results of a previous run in ``out_dir``
        (and allow a non-empty folder not made by skmammo; its other files
        are kept) instead of resuming.
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
        If ``X`` has no rows, or ``out_dir`` holds the results of another run
        (:class:`skmammo.utils.RunMismatchError`: another model, other rows
        or another order, another method, chunk size, seed or parameters);
        use a new folder or ``overwrite=True``.
    FileExistsError
        If ``out_dir`` is not empty and was not made by skmammo (see
        :class:`skmammo.utils.OutputFolder`), unless ``overwrite=True``.

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
    n = len(X)
    if n == 0:
        raise ValueError("explain_to_disk: X has no rows, nothing to explain (nothing was "
                         "written)")
    get_explainer(method)  # an unknown method fails now, not in the first task
    identity = run_identity(
        estimator=estimator, X=X, method=method, chunk_size=int(chunk_size),
        random_state=None if random_state is None else int(random_state),
        params=explain_params,
    )

    def task(k: int, start: int, stop: int):
        return delayed(_explain_chunk)(estimator, X.iloc[start:stop], method,
                                       _chunk_seed(random_state, k), explain_params)

    def store(plan: ChunkPlan, k: int, result: dict[str, Any]) -> None:
        positions = np.arange(*plan.bounds(k))
        arrays = {"positions": positions, **{key: result[key] for key in
                  ("heatmaps", "targets", "probabilities", "boxes")}}
        plan.folder.write(plan.name(k, ".npz"), lambda h: savez(h, arrays))
        table = _table(X, positions, result, plan.name(k, ".npz"))
        plan.folder.write(plan.name(k, ".csv"), table.to_csv(index=False))
        logger.debug("chunk %d (%d rows) explained in %.2f s by process %d", k,
                     len(positions), result["seconds"], result["pid"])

    plan = run_chunks(Path(out_dir).expanduser(), identity, n, int(chunk_size), task=task,
                      store=store, suffixes=(".npz", ".csv"), settings=_SETTINGS,
                      overwrite=overwrite, own=(_TABLE,), n_jobs=n_jobs, verbose=verbose,
                      desc="explain_to_disk", unit="row", logger=logger,
                      fresh="pass a new out_dir, or overwrite=True to replace its results")
    out, folder = plan.folder.path, plan.folder
    table = pd.concat([pd.read_csv(out / plan.name(k, ".csv"), keep_default_na=False,
                                   na_values=[""], dtype={"index": str, "film": str})
                       for k in range(len(plan))], ignore_index=True)
    folder.write(_TABLE, table.to_csv(index=False))
    folder.finish()
    return table
