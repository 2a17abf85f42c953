"""Scale-out: a fitted pipeline pickles; GridSearchCV, repeated_evaluation and
explain_to_disk run on a real Dask cluster with the results of one process;
batch explanation resumes after a crash."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skmammo.datasets import make_synthetic_mammograms
from skmammo.evaluation import repeated_evaluation
from skmammo.explain import explain_to_disk
from skmammo.pipeline import make_pipeline

distributed = pytest.importorskip("distributed")

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3,
            batch_size=8)
GRID = {"cnn__class_weight": [None, {0: 1, 1: 3, 2: 3}, {0: 3, 1: 1, 2: 1}]}


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """24 synthetic films on disk (96 px), referenced by path."""
    return make_synthetic_mammograms(24, image_size=96, random_state=0,
                                     directory=tmp_path_factory.mktemp("films"))


@pytest.fixture(scope="module")
def fitted(films):
    return make_pipeline(size=32, random_state=0, **FAST).fit(films.data, films.target)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit="2GiB") as local:
        with Client(local) as client:
            yield client


def test_fitted_pipeline_and_classifier_pickle(films, fitted):
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(films.data), fitted.predict_proba(films.data))
    cnn = pickle.loads(pickle.dumps(fitted[-1]))
    crops = fitted[:-1].transform(films.data)
    np.testing.assert_array_equal(cnn.predict_proba(crops), fitted[-1].predict_proba(crops))


def _search():
    return GridSearchCV(make_pipeline(size=32, random_state=0, **FAST), GRID,
                        cv=StratifiedKFold(3, shuffle=True, random_state=0),
                        scoring="neg_log_loss")


@pytest.mark.slow
def test_grid_search_and_explanations_on_a_dask_cluster(films, fitted, cluster, tmp_path):
    local = _search().fit(films.data, films.target)
    # The grid points score differently (log loss: 24 tiny films learn little,
    # so balanced accuracies can tie), so agreeing on the best one means something.
    assert len(set(np.round(local.cv_results_["mean_test_score"], 6))) == 3
    workers = set(cluster.scheduler_info()["workers"])
    assert len(workers) == 2
    with joblib.parallel_backend("dask"):
        remote = _search().fit(films.data, films.target)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], atol=1e-6)
    # The refitted best pipeline came back from the cluster and predicts alike.
    np.testing.assert_allclose(remote.predict_proba(films.data),
                               local.predict_proba(films.data), atol=1e-5)

    # Batch explanation through the cluster: identical to one process.
    here = explain_to_disk(fitted, films.data, tmp_path / "here", chunk_size=5, verbose=0)
    with joblib.parallel_backend("dask"):
        there = explain_to_disk(fitted, films.data, tmp_path / "there", chunk_size=5, verbose=0)
    pd.testing.assert_frame_equal(there, here)
    for k in range(5):
        a = np.load(tmp_path / "here" / f"chunk_{k:06d}.npz")
        b = np.load(tmp_path / "there" / f"chunk_{k:06d}.npz")
        np.testing.assert_allclose(b["heatmaps"], a["heatmaps"], atol=1e-5)
        np.testing.assert_array_equal(b["positions"], np.arange(5 * k, min(5 * k + 5, 24)))
    assert here["film"].tolist() == films.data["film"].tolist()

    # repeated_evaluation through the cluster: the same runs.
    kwargs = dict(n_runs=2, protocol="grouped", groups=films.groups, n_splits=2,
                  random_state=0, verbose=0)
    pipe = make_pipeline(size=32, random_state=0, **FAST)
    local_runs = repeated_evaluation(pipe, films.data, films.target, **kwargs).runs
    with joblib.parallel_backend("dask"):
        remote_runs = repeated_evaluation(pipe, films.data, films.target, **kwargs).runs
    np.testing.assert_allclose(remote_runs["accuracy"], local_runs["accuracy"])
    np.testing.assert_allclose(remote_runs["macro_f1"], local_runs["macro_f1"])


@pytest.mark.slow
def test_scan_to_disk_on_a_dask_cluster(films, fitted, cluster, tmp_path, caplog):
    import logging
    import os
    import re

    from skmammo.scan import scan_to_disk

    here = scan_to_disk(fitted, films.data, tmp_path / "here", chunk_size=5)
    with joblib.parallel_backend("dask"), caplog.at_level(logging.DEBUG, "skmammo.scan"):
        there = scan_to_disk(fitted, films.data, tmp_path / "there", chunk_size=5)
    pids = {int(p) for p in re.findall(r"scanned in [\d.]+ s by process (\d+)", caplog.text)}
    assert len(pids) >= 1 and os.getpid() not in pids  # the workers scanned
    assert there.films.tolist() == films.data["film"].tolist()
    np.testing.assert_allclose(there.scores, here.scores, atol=1e-6)
    pd.testing.assert_frame_equal(there.candidates, here.candidates, atol=1e-6)
    for k in range(5):  # the chunks, scanned on the workers, written by this process
        a = np.load(tmp_path / "here" / f"chunk_{k:06d}.npz")
        b = np.load(tmp_path / "there" / f"chunk_{k:06d}.npz")
        np.testing.assert_allclose(b["probabilities"], a["probabilities"], atol=1e-6)


def _crash_at(pipeline, film, monkeypatch):
    """Make ``pipeline.explain`` fail on ``film`` (a process dying mid-run); the model,
    and so the run's fingerprint, stay the same."""
    explain = pipeline.explain

    def crashing(X, **kwargs):
        if film in set(X["film"]):
            raise RuntimeError("simulated crash")
        return explain(X, **kwargs)

    monkeypatch.setattr(pipeline, "explain", crashing)


def test_explain_to_disk_resumes_after_a_crash(films, fitted, tmp_path, monkeypatch):
    out = tmp_path / "run"
    full = explain_to_disk(fitted, films.data, tmp_path / "whole", chunk_size=4, verbose=0)
    assert len(full) == 24 and list(full["position"]) == list(range(24))
    np.testing.assert_allclose(full[["p_normal", "p_benign", "p_malignant"]].to_numpy(),
                               fitted.predict_proba(films.data), atol=1e-5)

    with monkeypatch.context() as patch:
        _crash_at(fitted, "syn0014", patch)
        with pytest.raises(RuntimeError, match="simulated crash"):
            explain_to_disk(fitted, films.data, out, chunk_size=4, verbose=0)
    # Chunks 0-2 (films 1-12) were written; chunk 3 (films 13-16) crashed; nothing
    # half-written is left.
    names = sorted(p.name for p in out.iterdir() if p.name != ".skmammo-manifest.json")
    assert names == ["chunk_000000.csv", "chunk_000000.npz", "chunk_000001.csv",
                     "chunk_000001.npz", "chunk_000002.csv", "chunk_000002.npz",
                     "settings.json"]
    stamps = {name: (out / name).stat().st_mtime_ns for name in names}

    resumed = explain_to_disk(fitted, films.data, out, chunk_size=4, verbose=0)
    pd.testing.assert_frame_equal(resumed, full)
    for name, stamp in stamps.items():  # finished chunks were not redone
        assert (out / name).stat().st_mtime_ns == stamp
    assert len(list(out.glob("chunk_*.npz"))) == 6
    assert json.loads((out / "settings.json").read_text())["identity"]["chunk_size"] == 4
    pd.testing.assert_frame_equal(pd.read_csv(out / "explanations.csv", dtype={"index": str}),
                                  pd.read_csv(tmp_path / "whole" / "explanations.csv",
                                              dtype={"index": str}))

    with pytest.raises(ValueError, match=r"another run: chunk_size differs \(then 4, now 6\)"):
        explain_to_disk(fitted, films.data, out, chunk_size=6, verbose=0)


def test_explain_to_disk_seeds_chunks_independently_of_n_jobs(films, fitted, tmp_path):
    kwargs = dict(method="lime", chunk_size=3, random_state=7, n_samples=40, verbose=0)
    rows = films.data.iloc[:6]
    one = explain_to_disk(fitted, rows, tmp_path / "one", n_jobs=1, **kwargs)
    two = explain_to_disk(fitted, rows, tmp_path / "two", n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one, two)
    for k in range(2):
        a = np.load(tmp_path / "one" / f"chunk_{k:06d}.npz")["heatmaps"]
        b = np.load(tmp_path / "two" / f"chunk_{k:06d}.npz")["heatmaps"]
        np.testing.assert_allclose(a, b, atol=1e-6)
        assert np.abs(a).max() > 0


def test_explain_to_disk_checks_its_arguments(fitted, films, tmp_path):
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        explain_to_disk(fitted, films.data, tmp_path, chunk_size=0)
    with pytest.raises(TypeError, match="random_state must be an int or None"):
        explain_to_disk(fitted, films.data, tmp_path, random_state=np.random.RandomState(0))
    with pytest.raises(TypeError, match="has no explain"):
        explain_to_disk(object(), films.data, tmp_path)
