"""Repairs of SciKeras for the classifier: scikit-learn tags (>= 1.6) and two-class labels."""

from __future__ import annotations

import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from sklearn.base import BaseEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import ClassifierTags

__all__ = ["CNNClassifierTags", "EndOfTagsMRO", "OneHotLabels"]


class CNNClassifierTags:
    """The tags of a classifier of ``(n, height, width)`` crops, first in the MRO."""

    def __sklearn_tags__(self):
        # scikeras 0.13 puts BaseEstimator before ClassifierMixin in the MRO, and
        # BaseEstimator.__sklearn_tags__ (scikit-learn >= 1.7) does not call
        # super(): ClassifierMixin's tags never apply and estimator_type stays
        # None.  Set the classifier tags here explicitly.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False, poor_score=True)
        tags.target_tags.required = True
        tags.target_tags.multi_output = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    def _more_tags(self) -> dict:
        # Old-style tags, for scikit-learn 1.6 (1.7 and later use __sklearn_tags__).
        return {"poor_score": True, "multioutput": False, "multilabel": False,
                "non_deterministic": self.random_state is None}


class EndOfTagsMRO:
    """Ends the MRO so that ``ClassifierMixin.__sklearn_tags__``'s ``super()`` call works.

    scikit-learn 1.6 falls back to its old tag machinery for scikeras (which
    defines ``_more_tags``) and then calls every ``__sklearn_tags__`` of the
    MRO; ``ClassifierMixin`` sits after ``BaseEstimator`` there, and its
    ``super().__sklearn_tags__()`` would reach ``object``.
    """

    def __sklearn_tags__(self):
        return BaseEstimator.__sklearn_tags__(self)


class OneHotLabels(ClassifierLabelEncoder):
    """SciKeras's label encoder, one-hot for two classes too, and 2-D probabilities always.

    SciKeras encodes a two-class ``y`` as one column (for a sigmoid output),
    which does not fit the network's softmax over ``n_classes_`` units (a
    Keras shape error), and squeezes the probabilities of one sample to
    shape ``(n_classes,)``.  Any two labels (``{1, 2}``, strings ...) are
    one-hot encoded here like three, and kept in ``classes_`` as given.
    """

    def fit(self, y: np.ndarray) -> OneHotLabels:
        super().fit(y)
        if self._target_type == "binary":
            steps = self._final_encoder.steps
            onehot = OneHotEncoder(sparse_output=False, dtype=steps[-1][1].dtype,
                                   categories=self.categories)
            self._final_encoder = make_pipeline(steps[0][1], onehot).fit(y)
            self._target_type = "multiclass"
        return self

    def inverse_transform(self, y: np.ndarray, return_proba: bool = False) -> np.ndarray:
        if return_proba:
            y = np.asarray(y)
            return y.reshape(len(y), -1) if y.ndim else y
        return super().inverse_transform(y, return_proba=False)
