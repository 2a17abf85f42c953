"""MammoCNNClassifier: the study's protocol, scikit-learn compatibility, determinism."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("scikeras")

from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402

from skmammo.models import MammoCNNClassifier  # noqa: E402

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3)


def _noise(n=30, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8), np.arange(n) % 3


def _lesion_crops(frame, size=48, seed=0):
    """Square crops around the lesion (or a random point in the breast for normals)."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for img, x, y, r in zip(frame["image"], frame["x"], frame["y"], frame["radius"]):
        height, width = img.shape
        if np.isnan(x):
            ys, xs = np.nonzero(img > 60)
            i = rng.integers(len(xs))
            x, y, r = xs[i], ys[i], 10
        half = int(max(2 * r, 12))
        x0 = int(np.clip(x - half, 0, width - 2 * half))
        y0 = int(np.clip(y - half, 0, height - 2 * half))
        crop = img[y0 : y0 + 2 * half, x0 : x0 + 2 * half]
        out.append(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(out)


# ---------------------------------------------------------------- the known trap
def test_is_a_classifier_for_scikit_learn():
    clf = MammoCNNClassifier()
    assert is_classifier(clf)
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.classifier_tags is not None and tags.classifier_tags.multi_class
    assert tags.target_tags.required
    assert clf._estimator_type == "classifier"
    y = np.repeat([0, 1, 2], 10)
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)


def test_grid_search_stratifies_and_probability_scorers_work():
    # y sorted by class: unstratified KFold(3) would put one class per test fold
    # and roc_auc_ovr / neg_log_loss would fail (error_score="raise").
    X, _ = _noise(36, 32)
    y = np.repeat([0, 1, 2], 12)
    search = GridSearchCV(
        MammoCNNClassifier(random_state=0, **FAST),
        {"class_weight": [None, {0: 1, 1: 2, 2: 3}]},
        cv=3,
        scoring={"auc": "roc_auc_ovr", "nll": "neg_log_loss", "bacc": "balanced_accuracy"},
        refit=False,
        error_score="raise",
    )
    search.fit(X, y)
    for key in ("mean_test_auc", "mean_test_nll", "mean_test_bacc"):
        assert np.all(np.isfinite(search.cv_results_[key]))
    assert np.all(search.cv_results_["mean_test_nll"] < 0)
    assert len(search.cv_results_["params"]) == 2


# ---------------------------------------------------------------- the protocol
def test_defaults_are_the_study():
    params = MammoCNNClassifier().get_params()
    assert params["learning_rate"] == 1e-4 and params["optimizer"] == "adam"
    assert params["batch_size"] == 16 and params["epochs"] == 50 and params["patience"] == 10
    assert params["loss"] == "categorical_crossentropy"
    assert params["validation_fraction"] == 0.15 and params["augment"] is True
    assert params["balance"] == "undersample" and params["class_weight"] is None


def test_fit_splits_before_augmenting_and_balances():
    X, y = _noise(40, 32)
    y = np.array([0] * 20 + [1] * 12 + [2] * 8)
    clf = MammoCNNClassifier(epochs=2, random_state=0).fit(X, y)
    # validation: ceil(0.15 * 40) = 6 crops; 34 trained on, each into 16 variants,
    # then undersampled to the smallest class (2 * 0.85 * 8 -> 7 malignant crops).
    counts = clf.train_class_counts_
    assert len(set(counts.values())) == 1
    assert counts[2] == 16 * 7
    assert list(clf.history_) == ["loss", "val_loss"] and len(clf.history_["loss"]) == 2
    assert clf.model_.optimizer.learning_rate.numpy() == pytest.approx(1e-4)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_early_stopping_restores_the_best_epoch():
    X, y = _noise(30, 32)
    clf = MammoCNNClassifier(epochs=6, patience=1, augment=False, balance=None,
                             learning_rate=1e-2, random_state=0).fit(X, y)
    val = clf.history_["val_loss"]
    assert clf.best_epoch_ == int(np.argmin(val)) + 1
    assert len(val) <= clf.best_epoch_ + 1  # stopped one epoch after the best
    _, _, _, (X_val, y_val) = clf._training_data(X, y)  # the same seeded split as fit
    loss = clf.model_.evaluate(X_val, np.eye(3)[y_val], verbose=0)
    assert loss == pytest.approx(min(val), rel=1e-4)


def test_class_weight_changes_training():
    X, y = _noise(30, 32)
    base = MammoCNNClassifier(random_state=0, **FAST)
    a = clone(base).fit(X, y).predict_proba(X)
    b = clone(base).set_params(class_weight={0: 1, 1: 1, 2: 10}).fit(X, y).predict_proba(X)
    c = clone(base).set_params(class_weight="balanced").fit(X, y).predict_proba(X)
    assert b[:, 2].mean() > a[:, 2].mean()
    np.testing.assert_allclose(a, c, rtol=1e-5)  # balanced classes: "balanced" is all ones


@pytest.mark.parametrize("deterministic_ops", [True, False])
def test_same_random_state_same_model(deterministic_ops):
    X, y = _noise(30, 32)
    est = MammoCNNClassifier(epochs=2, random_state=42, deterministic_ops=deterministic_ops)
    a = clone(est).fit(X, y)
    b = clone(est).fit(X, y)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert dict(a.history_) == dict(b.history_)
    c = clone(est).set_params(random_state=43).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_seeding_leaves_global_random_states_alone():
    import random

    X, y = _noise(30, 32)
    np.random.seed(5)
    random.seed(5)
    expected = (np.random.rand(), random.random())
    np.random.seed(5)
    random.seed(5)
    MammoCNNClassifier(random_state=0, **FAST).fit(X, y)
    assert (np.random.rand(), random.random()) == expected


def test_joblib_round_trip_in_a_new_process(tmp_path):
    import joblib

    X, y = _noise(30, 32)
    clf = MammoCNNClassifier(random_state=0, **FAST).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent(f"""
        import os
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import joblib, numpy as np
        clf = joblib.load({str(tmp_path / "clf.joblib")!r})
        np.save({str(tmp_path / "p.npy")!r}, clf.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
    """)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clf.predict_proba(X))


def test_learns_the_synthetic_lesions_clearly_above_chance():
    from skmammo.datasets import make_synthetic_mammograms

    train = make_synthetic_mammograms(90, image_size=128, random_state=1)
    test = make_synthetic_mammograms(60, image_size=128, random_state=2)
    clf = MammoCNNClassifier(epochs=3, learning_rate=1e-3, random_state=0)
    clf.fit(_lesion_crops(train.frame), train.target)
    score = balanced_accuracy_score(test.target, clf.predict(_lesion_crops(test.frame, seed=1)))
    assert score >= 0.7  # chance is 1/3; a constant or broken model scores 1/3


def test_accepts_float_crops_and_refuses_frames_and_bad_shapes():
    X, y = _noise(30, 32)
    clf = MammoCNNClassifier(random_state=0, **FAST).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X.astype(np.float64)), clf.predict_proba(X),
                               rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        clf.predict(np.zeros((2, 32, 32, 3)))
    with pytest.raises(TypeError, match="ROICropper"):
        import pandas as pd

        clf.fit(pd.DataFrame({"image": list(X)}), y)
    with pytest.raises(ValueError, match="validation_fraction"):
        MammoCNNClassifier(validation_fraction=1.5).fit(X, y)
    with pytest.raises(ValueError, match="stratified"):
        MammoCNNClassifier(validation_fraction=0.05).fit(X[:6], y[:6])
    with pytest.raises(ValueError, match="balance"):
        MammoCNNClassifier(balance="smote").fit(X, y)


def test_clone_and_params_round_trip():
    clf = MammoCNNClassifier(epochs=3, class_weight="balanced", optimizer__beta_1=0.8)
    copy = clone(clf)
    assert copy.get_params()["optimizer__beta_1"] == 0.8
    assert copy.get_params()["class_weight"] == "balanced"
    assert not hasattr(copy, "model_")


def test_op_determinism_is_switched_off_after_fit():
    from tensorflow.python.framework import config

    X, y = _noise(30, 32)
    a = MammoCNNClassifier(random_state=0, deterministic_ops=True, **FAST).fit(X, y)
    assert not config.is_op_determinism_enabled()
    b = MammoCNNClassifier(random_state=0, **FAST).fit(X, y)
    # Same seeds; only the kernels differ (deterministic ones), so round-off does too.
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-4, atol=1e-6)


def test_training_data_no_validation_crop_leaks_into_training():
    X, _ = _noise(60, 16)
    y = np.array([0] * 30 + [1] * 18 + [2] * 12)
    weights = np.arange(60, dtype=float)
    clf = MammoCNNClassifier(balance="oversample", random_state=0)
    X_tr, y_tr, w_tr, (X_val, y_val) = clf._training_data(X, y, weights)
    counts = np.bincount(y_val)  # stratified: 15% of 60 = 9, each class within one of 15%
    assert counts.sum() == 9 and np.all(np.abs(counts - 0.15 * np.array([30, 18, 12])) <= 1)
    trained = {x.tobytes() for x in X_tr}
    for crop in X_val:
        for k in range(4):
            assert np.rot90(crop, k).tobytes() not in trained
            assert np.rot90(crop, k)[::-1].tobytes() not in trained
    assert len(set(np.bincount(y_tr))) == 1  # oversampled to the largest class
    # Every training crop carries the weight of the crop it was made from.
    source = {X[i].tobytes(): weights[i] for i in range(60)}
    for x, w in zip(X_tr, w_tr):
        if x.tobytes() in source:
            assert w == source[x.tobytes()]
    assert X_tr.dtype == np.uint8


# ------------------------------------------------------- test-time augmentation
def test_tta_averages_the_eight_views_and_is_invariant_to_them():
    from skmammo.models import geometric_views

    X, y = _noise(30, 32)
    clf = MammoCNNClassifier(**FAST, random_state=0).fit(X, y)
    plain = clf.predict_proba(X[:6])
    per_view = np.stack([clf.predict_proba(np.ascontiguousarray(v)) for v in geometric_views(X[:6])])
    clf.set_params(tta=True)  # a prediction-time switch: no refit
    averaged = clf.predict_proba(X[:6])
    np.testing.assert_allclose(averaged, per_view.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(averaged, plain, atol=1e-4)
    # the average over the whole group of rotations and flips does not change
    # when the crops are rotated or flipped first
    for view in geometric_views(X[:6])[1:]:
        np.testing.assert_allclose(clf.predict_proba(np.ascontiguousarray(view)), averaged,
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X[:6]), averaged.argmax(axis=1))
    clf.set_params(tta="yes")
    with pytest.raises(ValueError, match="tta must be True or False"):
        clf.predict(X[:2])
