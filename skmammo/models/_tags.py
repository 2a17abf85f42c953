"""scikit-learn tags for the SciKeras classifier, repaired for scikit-learn >= 1.6."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags

__all__ = ["CNNClassifierTags", "EndOfTagsMRO"]


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
