"""The study's training protocol on the real mini-MIAS films (no training)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skmammo.preprocessing")
pytest.importorskip("scikeras")

pytestmark = pytest.mark.mias


def test_study_protocol_training_data_on_mias(mias_films):
    from sklearn.pipeline import Pipeline

    from skmammo.models import MammoCNNClassifier
    from skmammo.pipeline import make_pipeline
    from skmammo.study import study_split

    preprocess = Pipeline(make_pipeline(mode="study").steps[:-1])
    X = preprocess.fit_transform(mias_films.frame)
    y = np.asarray(mias_films.target)
    assert X.shape == (316, 224, 224) and X.dtype == np.uint8
    train, val, _ = study_split(y)
    fit = np.sort(np.concatenate([train, val]))
    clf = MammoCNNClassifier(validation_fraction=len(val) / len(fit), balance=None,
                             random_state=0)
    X_tr, y_tr, _, (X_val, y_val) = clf._training_data(X[fit], y[fit])
    # The study's "about 3,500 augmented training images": 221 crops x 16 variants,
    # less exact duplicates; uint8, so about 50 kB each.
    assert len(y_val) == len(val) == 47
    assert 3300 <= len(y_tr) <= 16 * 221
    assert X_tr.dtype == np.uint8 and X_tr.nbytes < 200e6
    # Undersampling (the default) keeps the smallest class's count of every class.
    X_bal, y_bal, _, _ = clf.set_params(balance="undersample")._training_data(X[fit], y[fit])
    counts = np.bincount(y_bal)
    assert len(set(counts)) == 1 and counts[0] == np.bincount(y_tr).min()
