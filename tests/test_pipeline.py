"""make_pipeline / MammoPipeline: the whole flow as one scikit-learn classifier."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
)
from sklearn.utils import get_tags

from skmammo.datasets import make_synthetic_mammograms
from skmammo.pipeline import MammoPipeline, make_pipeline


def test_importing_the_pipeline_does_not_import_tensorflow():
    code = ("import sys, skmammo, skmammo.pipeline, skmammo.models, skmammo.models._augmentation; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert out.strip() == "[]"


# The preprocessing transformers are written concurrently; skip until they exist.
pytestmark_preprocessing = pytest.mark.skipif(
    importlib.util.find_spec("skmammo.preprocessing") is None,
    reason="skmammo.preprocessing (Denoiser, CLAHE, ROICropper) not available yet",
)

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3)


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(36, image_size=128, random_state=0)


@pytestmark_preprocessing
def test_the_study_pipeline_is_a_classifier():
    from skmammo.models import MammoCNNClassifier
    from skmammo.preprocessing import CLAHE, Denoiser, ROICropper

    pipe = make_pipeline()
    assert isinstance(pipe, MammoPipeline)
    assert [name for name, _ in pipe.steps] == ["denoise", "clahe", "crop", "cnn"]
    assert [type(step) for _, step in pipe.steps] == [Denoiser, CLAHE, ROICropper,
                                                      MammoCNNClassifier]
    assert pipe.get_params()["crop__size"] == 224
    assert is_classifier(pipe)
    assert get_tags(pipe).estimator_type == "classifier"
    y = np.repeat([0, 1, 2], 10)
    assert isinstance(check_cv(3, y, classifier=is_classifier(pipe)), StratifiedKFold)
    pipe.set_params(cnn__class_weight={0: 1, 1: 2, 2: 3})
    assert pipe.named_steps["cnn"].class_weight == {0: 1, 1: 2, 2: 3}


@pytestmark_preprocessing
def test_grid_search_over_class_weights_with_patient_groups(films):
    pipe = make_pipeline(size=64, random_state=0, **FAST)
    search = GridSearchCV(
        pipe,
        {"cnn__class_weight": [None, {0: 1, 1: 2, 2: 3}, {0: 2, 1: 3, 2: 4}], "cnn__epochs": [1]},
        cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0),
        scoring={"bacc": "balanced_accuracy", "auc": "roc_auc_ovr", "nll": "neg_log_loss"},
        refit="bacc",
        error_score="raise",
    )
    search.fit(films.frame, films.target, groups=films.groups)
    for key in ("mean_test_bacc", "mean_test_auc", "mean_test_nll"):
        assert np.all(np.isfinite(search.cv_results_[key]))
    assert search.best_estimator_.predict_proba(films.frame.iloc[:3]).shape == (3, 3)


@pytestmark_preprocessing
def test_fit_under_metadata_routing_routes_the_patients_as_asked(films):
    import sklearn

    pipe = make_pipeline(size=64, random_state=0, **{**FAST, "validation_fraction": 0.3})
    with sklearn.config_context(enable_metadata_routing=True):
        pipe[-1].set_fit_request(groups=True)
        pipe.fit(films.frame, films.target, groups=films.groups)  # refused cnn__groups before
    assert pipe.predict_proba(films.frame.iloc[:2]).shape == (2, 3)


@pytestmark_preprocessing
def test_integer_cv_is_stratified_for_the_pipeline(films):
    # Rows sorted by class: unstratified KFold(3) would test on one class per
    # fold, and roc_auc_ovr would raise.
    order = np.argsort(films.target, kind="stable")
    frame, y = films.frame.iloc[order], np.asarray(films.target)[order]
    search = GridSearchCV(make_pipeline(size=64, random_state=0, **FAST), {"cnn__epochs": [1]},
                          cv=3, scoring="roc_auc_ovr", error_score="raise")
    search.fit(frame, y)
    assert np.isfinite(search.best_score_)


@pytestmark_preprocessing
def test_same_seed_same_predictions_and_joblib_in_a_new_process(films, tmp_path):
    import joblib

    frame, y = films.frame, films.target
    a = make_pipeline(size=64, random_state=3, epochs=2).fit(frame, y)
    b = make_pipeline(size=64, random_state=3, epochs=2).fit(frame, y)
    proba = a.predict_proba(frame)
    np.testing.assert_array_equal(proba, b.predict_proba(frame))

    joblib.dump(a, tmp_path / "pipe.joblib")
    joblib.dump(frame, tmp_path / "frame.joblib")
    code = textwrap.dedent(f"""
        import os
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import joblib, numpy as np
        pipe = joblib.load({str(tmp_path / "pipe.joblib")!r})
        frame = joblib.load({str(tmp_path / "frame.joblib")!r})
        np.save({str(tmp_path / "p.npy")!r}, pipe.predict_proba(frame))
    """)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), proba)


def test_explain_runs_the_preprocessing_and_attaches_boxes_and_films():
    import pandas as pd
    from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

    from skmammo.preprocessing import Crops

    class Cropper(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def crop(self, X):
            return Crops(images=self.transform(X),
                         boxes=np.array([[i, i, i + 4, i + 4] for i in range(len(X))]))

        def transform(self, X):
            return np.stack([np.full((4, 4), i, np.uint8) for i in range(len(X))])

    class Result:
        boxes = None
        films = None

    class Explaining(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            return self

        def explain(self, X, method="gradcam", **kwargs):
            self.seen_ = (X, method, kwargs)
            return Result()

    frame = pd.DataFrame({"image": [np.zeros((8, 8), np.uint8)] * 3,
                          "film": ["mdb001", "mdb002", "mdb003"]})
    pipe = MammoPipeline([("crop", Cropper()), ("cnn", Explaining())])
    result = pipe.explain(frame, method="lime", random_state=0)
    crops, method, kwargs = pipe.named_steps["cnn"].seen_
    assert crops.shape == (3, 4, 4) and method == "lime" and kwargs == {"random_state": 0}
    np.testing.assert_array_equal(result.boxes[:, 0], [0, 1, 2])
    np.testing.assert_array_equal(result.films, ["mdb001", "mdb002", "mdb003"])
