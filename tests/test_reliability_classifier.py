"""The classifier's edges (issue 17, items 5, 7 and 12): one sample, two classes, 0..1 crops."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scikeras")

from sklearn.metrics import log_loss  # noqa: E402

from skmammo.models import MammoCNNClassifier  # noqa: E402
from skmammo.utils import check_crops  # noqa: E402

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3)


def _crops(n=24, size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size), dtype=np.uint8)


def test_one_sample_keeps_its_sample_axis():
    X = _crops()
    clf = MammoCNNClassifier(random_state=0, **FAST).fit(X, np.arange(len(X)) % 3)
    proba = clf.predict_proba(X[:1])
    assert proba.shape == (1, 3) and clf.predict(X[:1]).shape == (1,)
    np.testing.assert_allclose(proba, clf.predict_proba(X[:2])[:1], rtol=1e-5, atol=1e-7)
    assert np.isfinite(log_loss([0], proba, labels=[0, 1, 2]))
    clf.set_params(tta=True)
    assert clf.predict_proba(X[:1]).shape == (1, 3)


@pytest.mark.parametrize("labels", [(0, 1), (1, 2), ("benign", "malignant")])
def test_any_two_classes_train_and_predict(labels):
    X = _crops()
    y = np.array(labels)[np.arange(len(X)) % 2]
    clf = MammoCNNClassifier(random_state=0, **FAST).fit(X, y)
    assert clf.classes_.tolist() == list(labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert set(clf.predict(X)) <= set(labels)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.predict_proba(X[:1]).shape == (1, 2)


def test_two_classes_with_the_studys_augmentation_balancing_and_split():
    X = _crops(30)
    y = np.where(np.arange(30) % 3 == 0, "malignant", "benign")
    clf = MammoCNNClassifier(random_state=0, epochs=1, validation_fraction=0.2).fit(X, y)
    assert set(clf.train_class_counts_) == {"benign", "malignant"}
    assert len(set(clf.train_class_counts_.values())) == 1  # undersampled to balance


def test_float_crops_scaled_to_0_1_are_refused():
    X = _crops()
    with pytest.raises(ValueError, match=r"floats between 0 and 1.*0\.\.255"):
        MammoCNNClassifier(random_state=0, **FAST).fit(X / 255.0, np.arange(len(X)) % 3)
    clf = MammoCNNClassifier(random_state=0, **FAST).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="floats between 0 and 1"):
        clf.predict(X / 255.0)
    # floats on the 0..255 scale, and black or 0/1 crops, are accepted
    assert check_crops(X.astype(np.float64), "t").dtype == np.float32
    assert check_crops(np.zeros((1, 8, 8)), "t").max() == 0
    assert check_crops(np.eye(8)[None], "t").max() == 1


def test_learning_rate_never_overrides_the_optimizers_own():
    import keras

    X, y = _crops(), np.arange(24) % 3
    fast = {**FAST, "learning_rate": 1e-4}

    def trained_rate(clf):
        return float(clf.fit(X, y).model_.optimizer.learning_rate)

    assert trained_rate(MammoCNNClassifier(**fast)) == pytest.approx(1e-4)
    # the routed parameter is the more specific one: it wins (a grid over it compares rates)
    assert trained_rate(MammoCNNClassifier(**fast, optimizer__learning_rate=1e-2)) == pytest.approx(
        1e-2)
    # an optimizer object keeps its rate and is not changed
    adam = keras.optimizers.Adam(learning_rate=1e-3)
    assert trained_rate(MammoCNNClassifier(**fast, optimizer=adam)) == pytest.approx(1e-3)
    assert float(adam.learning_rate) == pytest.approx(1e-3)


def test_a_split_by_patient_keeps_every_class_in_training():
    from skmammo.models._split import validation_split

    # one patient holds the only two crops of class 2: a fold that validates on them would
    # leave training without the class (it failed in the label encoder, or lost the class)
    y = np.array([0] * 28 + [1] * 12 + [2] * 2)
    groups = np.array([f"p{i // 2:02d}" for i in range(42)])
    for seed in range(20):
        train, val = validation_split(y, 0.15, seed, groups)
        assert set(y[train]) == {0, 1, 2}
        assert not set(groups[train]) & set(groups[val])
    with pytest.raises(ValueError, match="at most half the patients"):
        validation_split(y, 0.6, 0, groups)
    # too few crops per class for the folds: advice, not scikit-learn's bare message
    few, few_groups = np.arange(18) % 3, np.arange(18)
    with pytest.raises(ValueError, match="validation_groups=False"):
        validation_split(few, 0.15, 0, few_groups)


def test_bad_sample_weight_and_tta_on_oblong_crops_are_clear_errors():
    X, y = _crops(), np.arange(24) % 3
    with pytest.raises(ValueError, match="one finite, non-negative weight per crop: 24 crops"):
        MammoCNNClassifier(**FAST).fit(X, y, sample_weight=np.ones(10))
    oblong = np.random.default_rng(0).integers(0, 256, (24, 32, 48), dtype=np.uint8)
    clf = MammoCNNClassifier(**FAST).fit(oblong, y)
    with pytest.raises(ValueError, match="need square crops, got 32x48"):
        clf.set_params(tta=True).predict_proba(oblong[:2])
