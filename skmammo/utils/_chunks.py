"""Chunked, resumable jobs on disk: what ``explain_to_disk`` and ``scan_to_disk`` share.

A job cuts ``n`` items (rows, films) into chunks of ``chunk_size``, runs one
joblib task per chunk (local processes, or a Dask cluster inside
``joblib.parallel_backend("dask")``) and, in this process, writes each
finished chunk's files atomically as it comes back.  The folder's
settings file holds the run's identity (:func:`~skmammo.utils.run_identity`);
a rerun of the same run skips the chunks whose last file exists, any other
run is refused before anything is written (:func:`~skmammo.utils.check_stored_run`).
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from skmammo.utils._fingerprint import check_stored_run, fingerprint
from skmammo.utils._output import OutputFolder

__all__ = ["ChunkPlan", "run_chunks", "savez"]


def savez(handle: Any, arrays: dict[str, np.ndarray]) -> None:
    """``numpy.savez`` with fixed zip timestamps: the same arrays give the same bytes."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


class ChunkPlan:
    """The chunks of one job in one folder: names, bounds, which are finished.

    Parameters
    ----------
    folder : OutputFolder
        Where the job writes.
    n : int
        Items to process.
    chunk_size : int
        Items per chunk.
    suffixes : tuple of str
        The files of one chunk, ``chunk_NNNNNN<suffix>``, in the order they
        are written: a chunk counts as finished when its last one exists.
    prefix : str, default=""
        Sub-folder of ``folder`` holding the job's files (``"chunks/"``).
    """

    def __init__(self, folder: OutputFolder, n: int, chunk_size: int,
                 suffixes: tuple[str, ...], prefix: str = "") -> None:
        self.folder, self.n, self.chunk_size = folder, int(n), int(chunk_size)
        self.suffixes, self.prefix = tuple(suffixes), prefix
        self.starts = list(range(0, self.n, self.chunk_size))

    def __len__(self) -> int:
        return len(self.starts)

    def name(self, k: int, suffix: str = "") -> str:
        """Chunk ``k``'s file name relative to the folder (``chunk_000003.npz``)."""
        return f"{self.prefix}chunk_{k:06d}{suffix}"

    def bounds(self, k: int) -> tuple[int, int]:
        """Items ``start:stop`` of chunk ``k``."""
        return self.starts[k], min(self.starts[k] + self.chunk_size, self.n)

    def finished(self, k: int) -> bool:
        return (self.folder / self.name(k, self.suffixes[-1])).exists()


def run_chunks(out: str | os.PathLike | OutputFolder, identity: dict[str, Any], n: int, chunk_size: int, *,
               task: Callable[[int, int, int], Any],
               store: Callable[[ChunkPlan, int, Any], None],
               suffixes: tuple[str, ...], settings: str = "settings.json", prefix: str = "",
               overwrite: bool = False, fresh: str = "", own: Iterable[str] = (),
               n_jobs: int | None = None, verbose: int = 0, desc: str = "",
               unit: str = "item", logger: logging.Logger | None = None) -> ChunkPlan:
    """Run a chunked job into ``folder``, resuming the same run, refusing any other.

    Parameters
    ----------
    out : str, path-like or OutputFolder
        The job's output folder: a path is opened here as an
        :class:`~skmammo.utils.OutputFolder` (after the check against another
        run, so a refused run writes nothing); an open one is written into.
        Either way it is not finished here (``plan.folder.finish()``).
    identity : dict
        :func:`~skmammo.utils.run_identity` of the job, stored in ``settings``.
    n, chunk_size : int
        Items, and items per chunk.
    task : callable
        ``task(k, start, stop)``: a ``joblib.delayed`` call processing chunk ``k``.
    store : callable
        ``store(plan, k, result)``: writes chunk ``k``'s files through
        ``plan.folder``, in the order of ``suffixes`` (the last one marks
        the chunk finished).
    suffixes : tuple of str
        The suffixes of one chunk's files.
    settings : str, default="settings.json"
        Name of the settings file (under ``prefix``).
    prefix : str, default=""
        Sub-folder of ``folder`` for all of the job's files.
    overwrite : bool, default=False
        Start afresh instead of resuming: remove the previous run's chunks,
        settings and ``own`` files (and, in a folder opened here, every file
        its manifest lists).
    fresh : str
        How to start afresh, for the error naming another run.
    own : iterable of str
        Glob patterns (under ``prefix``) of the job's other files, removed
        with ``overwrite``.
    n_jobs : int or None
        joblib's ``n_jobs`` for the chunks.
    verbose : int
        ``> 0`` shows a progress bar over the items.
    desc, unit : str
        The progress bar's label and unit.
    logger : Logger, optional
        Where "k of m chunks already finished" is logged.

    Returns
    -------
    ChunkPlan
        Every chunk is finished when it returns.  The settings file is
        written just before the first chunk's files, so a run that fails
        before finishing a chunk leaves nothing (and a folder it made and
        left empty is removed).

    Raises
    ------
    skmammo.utils.RunMismatchError
        If the folder holds another run (unless ``overwrite``); nothing is
        written then.
    """
    from joblib import Parallel
    from tqdm.auto import tqdm

    settings_file = f"{prefix}{settings}"
    if not overwrite:  # raise unless the folder is new or holds this very run
        check_stored_run(Path(out).expanduser() / settings_file, identity, fresh)
    given = isinstance(out, OutputFolder)
    folder = out if given else OutputFolder(out, overwrite=overwrite)
    plan = ChunkPlan(folder, n, chunk_size, suffixes, prefix)
    if overwrite:
        if not given:  # a folder handed in is its owner's to clear
            folder.clear()
        patterns = [f"chunk_*{s}" for s in suffixes] + [settings, *own]
        for pattern in patterns:
            for path in (folder / prefix).glob(pattern):
                if path.is_file():
                    path.unlink()
    stored = (folder / settings_file).exists()
    if stored:
        folder.record(settings_file)

    def settle() -> None:  # the settings go in with the first chunk: a run that finishes
        nonlocal stored    # no chunk leaves nothing behind
        if not stored:
            body = {"fingerprint": fingerprint(identity), "identity": identity}
            folder.write(settings_file, json.dumps(body, indent=2) + "\n")
            stored = True

    todo = [k for k in range(len(plan)) if not plan.finished(k)]
    done = sorted(set(range(len(plan))) - set(todo))
    for k in done:  # finished chunks are kept
        for suffix in suffixes:
            folder.record(plan.name(k, suffix))
    if done and logger is not None:
        logger.info("%s: %d of %d chunks already finished, %d to do", folder, len(done),
                    len(plan), len(todo))
    initial = sum(b - a for a, b in map(plan.bounds, done))
    try:
        with tqdm(total=n, initial=initial, desc=desc, unit=unit,
                  disable=not verbose) as progress:  # closed on an error too
            if todo:
                results = Parallel(n_jobs=n_jobs, return_as="generator")(
                    task(k, *plan.bounds(k)) for k in todo)
                for k, result in zip(todo, results):
                    settle()
                    store(plan, k, result)
                    start, stop = plan.bounds(k)
                    progress.update(stop - start)
        settle()
    except BaseException:
        if not given:
            folder.discard()  # a folder made here and left empty is removed
        raise
    return plan
