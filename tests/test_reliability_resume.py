"""explain_to_disk resumes only into the same run, and a killed run resumes to the same bytes.

The run fingerprint (:mod:`skmammo.utils._fingerprint`) decides "the same
run": the model's weights and parameters, every row in order, the method,
its parameters, the chunk size and the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("scikeras")

from skmammo.datasets import make_synthetic_mammograms  # noqa: E402
from skmammo.explain import explain_to_disk  # noqa: E402
from skmammo.pipeline import make_pipeline  # noqa: E402
from skmammo.utils import (  # noqa: E402
    MANIFEST,
    RunMismatchError,
    fingerprint,
    model_digest,
    rows_digest,
    run_identity,
)

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3,
            batch_size=8)


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """10 small synthetic films on disk, referenced by path."""
    return make_synthetic_mammograms(10, image_size=64, random_state=0,
                                     directory=tmp_path_factory.mktemp("films"))


@pytest.fixture(scope="module")
def saved(films, tmp_path_factory):
    """A fitted pipeline and the frame, saved for other processes."""
    folder = tmp_path_factory.mktemp("model")
    pipe = make_pipeline(size=32, random_state=0, **FAST).fit(films.data, films.target)
    joblib.dump(pipe, folder / "pipe.joblib")
    films.data.to_pickle(folder / "frame.pkl")
    return folder


@pytest.fixture(scope="module")
def pipe(saved):
    return joblib.load(saved / "pipe.joblib")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------------ fingerprint
def test_fingerprint_identifies_model_rows_order_and_settings(films, pipe, saved):
    X = films.data
    assert model_digest(pipe) == model_digest(joblib.load(saved / "pipe.joblib"))
    retrained = make_pipeline(size=32, random_state=1, **FAST).fit(X, films.target)
    assert model_digest(retrained) != model_digest(pipe)
    other_params = joblib.load(saved / "pipe.joblib").set_params(clahe__clip_limit=3.0)
    assert model_digest(other_params) != model_digest(pipe)

    base = rows_digest(X)
    assert base["n_rows"] == 10
    shuffled = rows_digest(X.iloc[::-1])
    assert shuffled["rows"] != base["rows"] and shuffled["row_set"] == base["row_set"]
    moved = X.copy()
    moved.loc[moved.index[0], "film"] = "another"
    assert rows_digest(moved)["row_set"] != base["row_set"]

    same = fingerprint(estimator=pipe, X=X, method="lime", params={"n_samples": 10},
                       random_state=0)
    assert same == fingerprint(run_identity(estimator=pipe, X=X, method="lime",
                                            params={"n_samples": 10}, random_state=0))
    for change in ({"method": "shap"}, {"params": {"n_samples": 11}}, {"random_state": 1}):
        settings = {"method": "lime", "params": {"n_samples": 10}, "random_state": 0, **change}
        assert fingerprint(estimator=pipe, X=X, **settings) != same
    # a parameter that is no JSON value is digested by content, not by repr
    a = run_identity(params={"baseline": np.zeros(3)})["params"]["baseline"]
    assert a == run_identity(params={"baseline": np.zeros(3)})["params"]["baseline"]
    assert a != run_identity(params={"baseline": np.ones(3)})["params"]["baseline"]


# ------------------------------------------------------------------ resuming
def test_resumes_only_into_the_same_run(films, pipe, tmp_path):
    X = films.data
    out = tmp_path / "run"
    first = explain_to_disk(pipe, X, out, chunk_size=3)
    before = _files(out)
    again = explain_to_disk(pipe, X, out, chunk_size=3)  # the same run: nothing changes
    pd.testing.assert_frame_equal(again, first)
    assert _files(out) == before

    # Item 1 of issue 17: the same films in another order used to mix two runs.
    with pytest.raises(RunMismatchError, match="order of the rows"):
        explain_to_disk(pipe, X.iloc[::-1], out, chunk_size=3)
    retrained = make_pipeline(size=32, random_state=1, **FAST).fit(X, films.target)
    with pytest.raises(RunMismatchError, match="the model") as err:
        explain_to_disk(retrained, X, out, chunk_size=3)
    assert "overwrite=True" in str(err.value) and "new out_dir" in str(err.value)
    with pytest.raises(RunMismatchError, match="params differs"):
        explain_to_disk(pipe, X, out, chunk_size=3, batch_size=2)
    with pytest.raises(RunMismatchError, match="number of rows"):
        explain_to_disk(pipe, X.iloc[:7], out, chunk_size=3)
    assert _files(out) == before  # refused before anything was written

    # overwrite=True starts afresh: no chunk of the old run is left
    table = explain_to_disk(retrained, X.iloc[::-1].iloc[:7], out, chunk_size=3, overwrite=True)
    assert table["film"].tolist() == X["film"].iloc[::-1].iloc[:7].tolist()
    assert sorted(p.name for p in out.glob("chunk_*.npz")) == [f"chunk_{k:06d}.npz"
                                                               for k in range(3)]
    np.testing.assert_allclose(table[["p_normal", "p_benign", "p_malignant"]].to_numpy(),
                               retrained.predict_proba(X.iloc[::-1].iloc[:7]), atol=1e-5)
    settings = json.loads((out / "settings.json").read_text())
    assert settings["fingerprint"] == fingerprint(settings["identity"])


def test_old_settings_and_foreign_folders_are_refused(films, pipe, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "settings.json").write_text(json.dumps({"method": "gradcam", "chunk_size": 3}))
    (old / "chunk_000000.csv").write_text("position\n0\n")
    with pytest.raises(ValueError, match="cannot be resumed safely"):
        explain_to_disk(pipe, films.data, old, chunk_size=3)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not made by skmammo"):
        explain_to_disk(pipe, films.data, foreign, chunk_size=3)
    # overwrite=True: the old run's chunk is not trusted, the user's file is kept
    table = explain_to_disk(pipe, films.data, old, chunk_size=3, overwrite=True)
    assert len(table) == 10 and (old / "chunk_000000.npz").exists()
    explain_to_disk(pipe, films.data, foreign, chunk_size=3, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_no_rows_is_a_clear_error_and_writes_nothing(films, pipe, tmp_path):
    # Item 12 of issue 17: pandas' message and a settings.json were left behind.
    with pytest.raises(ValueError, match="X has no rows"):
        explain_to_disk(pipe, films.data.iloc[:0], tmp_path / "empty", chunk_size=3)
    assert not (tmp_path / "empty").exists()


# ------------------------------------------------------------------ fault injection
_KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path

    import joblib
    import pandas as pd

    model, out, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    real_replace, count = os.replace, 0

    def replace(src, dst, *args, **kwargs):
        # Die like kill -9 just before the kill_at-th file lands in ``out``
        # (its temporary file is fully written, the rename never happens).
        global count
        if Path(dst).parent == out:
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
    from skmammo.explain import explain_to_disk

    pipe = joblib.load(model / "pipe.joblib")
    frame = pd.read_pickle(model / "frame.pkl")
    explain_to_disk(pipe, frame, out, method="gradcam", chunk_size=3)
    print("finished without being killed")
""")


def test_killed_runs_resume_to_the_bytes_of_an_uninterrupted_run(saved, pipe, tmp_path):
    frame = pd.read_pickle(saved / "frame.pkl")
    whole = tmp_path / "whole"
    explain_to_disk(pipe, frame, whole, chunk_size=3)
    expected = _files(whole)
    # 4 chunks: the files land in this order (each after its line in the manifest):
    # manifest, manifest, settings.json, then per chunk manifest, npz, manifest, csv,
    # then manifest, explanations.csv, the final manifest (22 in all).
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for kill_at in (1, 3, 9, 14, 22):
        out = tmp_path / f"killed_at_{kill_at}"
        done = subprocess.run(
            [sys.executable, "-c", _KILLED_RUN, str(saved), str(out), str(kill_at)],
            check=False, capture_output=True, text=True, env=env, timeout=600,
        )
        assert done.returncode == -9, (kill_at, done.stdout, done.stderr[-2000:])
        assert not (out / "explanations.csv").exists() or kill_at == 22
        explain_to_disk(pipe, frame, out, chunk_size=3)  # the rerun resumes
        assert _files(out) == expected, kill_at
        assert json.loads((out / MANIFEST).read_text())["complete"] is True
