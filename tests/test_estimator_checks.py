"""scikit-learn's own estimator checks over every public skmammo estimator, and the rest.

skmammo's transformers take films (a mammogram frame, an ``(n, H, W)`` stack
or a list of 2-D images), never a 2-D table of features, and the classifier
takes ``(n, H, W)`` crops.  scikit-learn's checks that feed a random 2-D
feature table cannot apply to them: those are listed below with the reason,
run anyway, and must fail (``xfail``); every other check must pass, and the
number that do is asserted, so a check that silently stops running is noticed.
The parts of the contract the generator cannot reach (for the classifier
almost all of it) are tested by hand with films and crops.
"""

from __future__ import annotations

import collections
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from skmammo.datasets import make_synthetic_mammograms
from skmammo.preprocessing import CLAHE, Denoiser, FilmResizer, ROICropper

_TABLE = "feeds a 2-D feature table; skmammo's transformers take films, not features"
_NO_FEATURES = "films have no fixed feature count, so n_features_in_ is not set"

#: The checks that cannot apply to a transformer of films, and why.
NOT_FOR_FILMS = {
    "check_fit_score_takes_y": _TABLE,
    "check_n_features_in_after_fitting": _NO_FEATURES,
    "check_n_features_in": _NO_FEATURES,
    "check_estimators_dtypes": _TABLE,
    "check_complex_data": _TABLE + " (fit is stateless and reads no data)",
    "check_dtype_object": _TABLE,
    "check_estimators_empty_data_messages": _TABLE + " (fit reads no data)",
    "check_pipeline_consistency": _TABLE,
    "check_estimators_nan_inf": _TABLE + " (fit reads no data)",
    "check_estimator_sparse_tag": _TABLE + " (fit reads no data)",
    "check_estimators_pickle": _TABLE,
    "check_f_contiguous_array_estimator": _TABLE,
    "check_transformer_data_not_an_array": _TABLE,
    "check_transformer_general": _TABLE,
    "check_transformer_preserve_dtypes": _TABLE,
    "check_transformers_unfitted_stateless": _TABLE,
    "check_methods_sample_order_invariance": _TABLE,
    "check_methods_subset_invariance": _TABLE,
    "check_dict_unchanged": _TABLE,
    "check_fit_idempotent": _TABLE,
    "check_fit1d": _TABLE + " (fit reads no data)",
    "check_fit2d_predict1d": _TABLE,
}

_FRAME = "fit reads a mammogram frame (window mode learns the lesion windows' depths)"

#: ROICropper(mode="window") learns in fit, so the checks that fit it on a
#: numeric array fail as they should: it refuses anything but a frame.
NOT_FOR_WINDOWS = {
    **NOT_FOR_FILMS,
    **dict.fromkeys(["check_estimators_overwrite_params", "check_dont_overwrite_parameters",
                     "check_estimators_fit_returns_self", "check_readonly_memmap_input",
                     "check_positive_only_tag_during_fit", "check_estimator_sparse_array",
                     "check_estimator_sparse_matrix", "check_fit2d_1sample",
                     "check_fit2d_1feature", "check_fit_check_is_fitted"], _FRAME),
}

TRANSFORMERS = [Denoiser(), CLAHE(), ROICropper(mode="native"), FilmResizer()]


def _statuses(estimator, expected=NOT_FOR_FILMS) -> collections.Counter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None, expected_failed_checks=expected)
    failed = [f"{r['check_name']}: {r['exception']}" for r in results if r["status"] == "failed"]
    assert failed == [], failed
    return collections.Counter(r["status"] for r in results)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_scikit_learn_checks_pass_except_the_documented_ones(estimator):
    counts = _statuses(estimator)
    # 21 of scikit-learn 1.9's checks apply to a transformer of films and pass
    # (cloning, tags, repr, parameters untouched by fit, read-only input, ...).
    assert counts["passed"] >= 20, counts
    assert counts["xfail"] <= len(NOT_FOR_FILMS) + 2, counts


def test_the_window_cropper_passes_the_checks_that_give_it_a_frame_or_none():
    counts = _statuses(ROICropper(), NOT_FOR_WINDOWS)
    # Cloning, tags, repr, get/set_params, no attributes set in __init__ ...
    assert counts["passed"] >= 12, counts


@pytest.fixture(scope="module")
def frame():
    return make_synthetic_mammograms(6, image_size=128, random_state=0).data


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_transformers_on_films_fit_returns_self_no_mutation_pickling(estimator, frame):
    before = frame.copy()
    pixels = [film.copy() for film in frame["image"]]
    est = clone(estimator).set_params(**estimator.get_params())
    assert est.get_params() == estimator.get_params()
    assert est.fit(frame) is est
    out = est.transform(frame)
    pd.testing.assert_frame_equal(frame.drop(columns="image"), before.drop(columns="image"))
    for film, original in zip(frame["image"], pixels):
        np.testing.assert_array_equal(film, original)
    again = pickle.loads(pickle.dumps(est)).transform(frame)
    if isinstance(out, pd.DataFrame):
        for a, b in zip(out["image"], again["image"]):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(out, again)


# ------------------------------------------------------------- the classifier
pytest.importorskip("scikeras")

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3)


def _crops(n=24, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8), np.arange(n) % 3


def test_classifier_gets_one_scikit_learn_check_and_it_passes():
    from skmammo.models import MammoCNNClassifier

    # It declares (n, H, W) input, for which scikit-learn 1.9 yields only the
    # clone check; the tests below cover the rest of the contract.
    counts = _statuses(MammoCNNClassifier(epochs=1))
    assert counts["passed"] >= 1, counts


def test_classifier_contract_by_hand():
    from skmammo.models import MammoCNNClassifier

    X, y = _crops()
    X_before, y_before = X.copy(), y.copy()
    clf = MammoCNNClassifier(random_state=0, **FAST)
    params = clf.get_params()
    assert clone(clf).get_params() == params
    assert clf.set_params(**params) is clf and clf.get_params() == params
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)
    assert clf.fit(X, y) is clf
    np.testing.assert_array_equal(X, X_before)     # inputs are not modified
    np.testing.assert_array_equal(y, y_before)
    assert clf.get_params() == params              # fit changes no parameter
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), proba)
    assert not hasattr(clone(clf), "model_")       # a clone is unfitted
