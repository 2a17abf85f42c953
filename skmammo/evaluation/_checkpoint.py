"""Checkpoints of a repeated evaluation: one file per finished training, so a long run resumes.

A repeated evaluation on MIAS windows is 10 or more trainings of 10-20
minutes each on two cores.  With ``checkpoint_dir=``,
:func:`~skmammo.evaluation.repeated_evaluation` writes every training's test
probabilities (and, with ``return_estimators=True``, the fitted estimator)
as soon as it finishes; rerun with the same arguments into the same folder,
it trains only what is missing.  The folder's ``settings.json`` holds the
run's identity (:func:`skmammo.utils.run_identity`: the estimator, the rows,
labels, groups, folds, seeds, variants and skmammo's version); another run
in the same folder is refused, naming what differs.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from skmammo.utils import OutputFolder, check_stored_run, fingerprint

__all__ = ["TrainingCheckpoints"]

logger = logging.getLogger(__name__)

_SETTINGS = "settings.json"


class TrainingCheckpoints:
    """The checkpoint folder of one repeated evaluation (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        The folder (created; it must be empty, made by skmammo, or hold this
        very run).
    identity : dict
        :func:`skmammo.utils.run_identity` of the evaluation.
    keep_estimators : bool
        Also store (and restore) the fitted estimators.

    Raises
    ------
    skmammo.utils.RunMismatchError
        If the folder holds the checkpoints of another run.
    """

    def __init__(self, path: str | os.PathLike, identity: dict[str, Any], *,
                 keep_estimators: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.keep_estimators = bool(keep_estimators)
        stored = check_stored_run(self.path / _SETTINGS, identity,
                                  "pass a new checkpoint_dir, or delete this one to train again")
        self.folder = OutputFolder(self.path)
        if stored:
            self.folder.record(_SETTINGS)
        else:
            body = {"fingerprint": fingerprint(identity), "identity": identity}
            self.folder.write(_SETTINGS, json.dumps(body, indent=2) + "\n")

    @staticmethod
    def _name(job: int) -> str:
        return f"training_{job:04d}"

    def load(self, job: int) -> tuple | None:
        """A stored training, or None.

        ``(probabilities, fit seconds, estimator or None, prediction sets or None)``.
        """
        arrays = self.path / f"{self._name(job)}.npz"
        model = self.path / f"{self._name(job)}.joblib"
        if not arrays.exists() or (self.keep_estimators and not model.exists()):
            return None
        with np.load(arrays, allow_pickle=False) as data:
            n = int(data["n_variants"])
            probas = [data[f"proba_{v}"] for v in range(n)]
            seconds = float(data["fit_seconds"])
            sets = data["sets"] if "sets" in data.files else None
        self.folder.record(arrays.name)
        estimator = None
        if self.keep_estimators:
            import joblib

            self.folder.record(model.name)
            estimator = joblib.load(model)
        return probas, seconds, estimator, sets

    def save(self, job: int, probas: list[np.ndarray], seconds: float, estimator: Any,
             sets: np.ndarray | None = None) -> None:
        """Store one finished training (the estimator first, the arrays last)."""
        if self.keep_estimators:
            import joblib

            buffer = io.BytesIO()
            joblib.dump(estimator, buffer)
            self.folder.write(f"{self._name(job)}.joblib", buffer.getvalue())
        arrays = {f"proba_{v}": np.asarray(p, dtype=float) for v, p in enumerate(probas)}
        if sets is not None:
            arrays["sets"] = np.asarray(sets, dtype=bool)
        buffer = io.BytesIO()
        np.savez(buffer, n_variants=len(probas), fit_seconds=float(seconds), **arrays)
        self.folder.write(f"{self._name(job)}.npz", buffer.getvalue())

    def finish(self) -> None:
        """Mark the folder complete (every training is stored)."""
        self.folder.finish()


def run_trainings(calls: list, checkpoints: TrainingCheckpoints | None, *,
                  n_jobs: int | None, desc: str, verbose: int) -> list:
    """Run joblib ``delayed`` calls in order, skipping and storing checkpointed ones.

    Each call returns ``(probabilities, fit seconds, estimator or None, sets or None)``;
    with ``checkpoints`` a stored result is loaded instead of trained, and
    every new one is stored as soon as it finishes.
    """
    from joblib import Parallel
    from tqdm.auto import tqdm

    done: dict[int, Any] = {}
    if checkpoints is not None:
        for j in range(len(calls)):
            stored = checkpoints.load(j)
            if stored is not None:
                done[j] = stored
        if done:
            logger.info("%s: %d of %d trainings already done, %d to train", checkpoints.path,
                        len(done), len(calls), len(calls) - len(done))
    todo = [j for j in range(len(calls)) if j not in done]
    with tqdm(total=len(calls), initial=len(done), desc=desc, unit="fit",
              disable=verbose <= 0) as progress:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(calls[j] for j in todo)
        for j, result in zip(todo, results):
            if checkpoints is not None:
                checkpoints.save(j, *result)
            done[j] = result
            progress.update()
    if checkpoints is not None:
        checkpoints.finish()
    return [done[j] for j in range(len(calls))]
