"""Shared fixtures.

The real mini-MIAS archive is read from ``SKMAMMO_MIAS_ARCHIVE`` or from
``../shared/data/mias/all-mias.tar.gz`` beside the repository; it is never
copied into the repository.  Tests that need it are marked ``mias``: they are
skipped when the archive is absent, unless ``SKMAMMO_REQUIRE_MIAS=1`` (set by
``.ci/run``), which turns a missing archive into a failure.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = REPO.parent / "shared" / "data" / "mias" / "all-mias.tar.gz"


def _archive_path() -> Path | None:
    path = Path(os.environ.get("SKMAMMO_MIAS_ARCHIVE", DEFAULT_ARCHIVE))
    return path if path.is_file() else None


def pytest_collection_modifyitems(config, items):
    if _archive_path() is not None:
        return
    if os.environ.get("SKMAMMO_REQUIRE_MIAS") == "1":
        raise pytest.UsageError(
            "SKMAMMO_REQUIRE_MIAS=1 but the MIAS archive was not found: set SKMAMMO_MIAS_ARCHIVE "
            f"or place it at {DEFAULT_ARCHIVE}"
        )
    skip = pytest.mark.skip(reason="mini-MIAS archive not found (set SKMAMMO_MIAS_ARCHIVE)")
    for item in items:
        if "mias" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def mias_archive() -> Path:
    """Path of the real ``all-mias.tar.gz``."""
    path = _archive_path()
    if path is None:
        pytest.skip("mini-MIAS archive not found")
    return path


@pytest.fixture(scope="session")
def mias_dir(mias_archive, tmp_path_factory) -> Path:
    """The archive extracted once per test session into a temporary folder."""
    target = tmp_path_factory.mktemp("mias")
    with tarfile.open(mias_archive) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="session")
def mias_films(mias_dir):
    """The study's 316 usable films, one row per film (``unit="film"``)."""
    from skmammo.datasets import load_mias

    return load_mias(mias_dir, unit="film", verbose=0)


@pytest.fixture(scope="session")
def mias_lesions(mias_dir):
    """117 located lesions plus 207 normal films (``unit="lesion"``)."""
    from skmammo.datasets import load_mias

    return load_mias(mias_dir, unit="lesion", verbose=0)


@pytest.fixture(scope="session")
def mias_all_films(mias_dir):
    """All 322 films, labelled by their first annotation line, nothing left out."""
    from skmammo.datasets import load_mias

    return load_mias(
        mias_dir, unit="film", keep_unlocated=True, keep_mislocated=True, verbose=0
    )


# ------------------------------------------------------------ a toy tabular problem
@pytest.fixture
def toy_frame():
    """Factory: a frame of two films per patient, one informative feature, class by patient."""
    import numpy as np
    import pandas as pd

    def make(n_patients=40, seed=0):
        rng = np.random.RandomState(seed)
        y_patient = rng.choice(3, n_patients, p=[0.5, 0.25, 0.25])
        y = np.repeat(y_patient, 2)
        groups = np.repeat([f"p{i:03d}" for i in range(n_patients)], 2)
        X = pd.DataFrame({
            "feature": y + rng.normal(0, 0.4, len(y)),
            "noise": rng.normal(size=len(y)),
            "film": [f"mdb{i:03d}" for i in range(len(y))],
        })
        return X, y, groups

    return make


@pytest.fixture
def toy_pipe():
    """Factory: a scaled logistic regression on the toy frame's two numeric columns."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    def make():
        return make_pipeline(FunctionTransformer(lambda df: df[["feature", "noise"]].to_numpy()),
                             StandardScaler(), LogisticRegression(max_iter=500))

    return make
