"""Shortcut probes: how far the crop geometry alone goes toward the label.

A crop carries the label when *where* and *how* it was cut differ by class
(normal crops larger, deeper in the breast, with less background than lesion
crops, say).  A network can then score well without looking at tissue.  The
probes measure it: four non-tissue features per sample
(:func:`~skmammo.evaluation.shortcut_features`, in ``_shortcuts.py``), a
simple model on them (:class:`ShortcutProbe`),
and the default probe set evaluated on the same patient-grouped folds as the
network (:func:`shortcut_probes`), ready for
:func:`~skmammo.evaluation.paired_comparison`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import check_is_fitted

from skmammo.evaluation._checks import _predict_proba
from skmammo.evaluation._metrics import evaluate_predictions
from skmammo.evaluation._repeated import (
    RepeatedEvaluation,
    _clone_with_seed,
    repeated_evaluation,
)
from skmammo.evaluation._shortcuts import SHORTCUT_FEATURES, shortcut_features
from skmammo.models._split import calibration_split
from skmammo.preprocessing import ROICropper
from skmammo.utils import TARGET_NAMES

__all__ = ["PROBES", "ShortcutProbe", "shortcut_probes", "shortcut_scores"]

#: The default probe set: name -> (features, model); each feature alone and all four.
PROBES: dict[str, tuple[tuple[str, ...], str]] = {
    f"{name} / {model}": (features, model)
    for name, features in (("side", ("log_side",)), ("depth", ("depth",)),
                           ("vertical", ("vertical",)), ("background", ("background",)),
                           ("all four", SHORTCUT_FEATURES))
    for model in ("logistic", "tree")
}


def _check_probe(features: Any, model: Any) -> tuple[str, ...]:
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    unknown = [f for f in features if f not in SHORTCUT_FEATURES]
    if not features or unknown or len(set(features)) != len(features):
        raise ValueError(f"features must be distinct names among {list(SHORTCUT_FEATURES)}, "
                         f"got {list(features)}")
    if model not in ("logistic", "tree"):
        raise ValueError(f"model must be 'logistic' or 'tree', got {model!r}")
    return features


class ShortcutProbe(ClassifierMixin, BaseEstimator):
    """A classifier that sees only where and how each crop was cut, not the tissue.

    ``fit`` clones and fits the cropper on ``X``, computes
    :func:`shortcut_features` and fits a simple model on the chosen
    features; ``predict`` crops new frames with the fitted cropper.  Its
    balanced accuracy is what crop geometry alone reaches: a probe above
    chance (1/k) means the crops carry the label.

    Parameters
    ----------
    cropper : ROICropper or Pipeline, optional
        The cropper whose crops are probed (cloned; default ``ROICropper()``),
        or a pipeline of film steps ending in one (``pipeline[:-1]``).
        Under :func:`~skmammo.evaluation.repeated_evaluation` its
        ``random_state`` (if it has one) gets the run's seed, as the
        network's cropper does: both see the same crops.
    features : sequence of str, default=SHORTCUT_FEATURES
        Columns of :func:`shortcut_features` the model uses (default all four:
        ``log_side``, ``depth``, ``vertical``, ``background``).
    model : {"logistic", "tree"}, default="logistic"
        ``"logistic"``: standardised features, ``LogisticRegression(class_weight="balanced")``;
        ``"tree"``: ``DecisionTreeClassifier(max_depth=3, class_weight="balanced")``.
    random_state : int, RandomState or None
        Seed of the tree (and of the ``hold_out`` split).
    hold_out : float, optional
        Fit on the training rows less this share of their patients, split
        off exactly as :class:`~skmammo.evaluation.HeldOutCalibration` with
        ``calibration_fraction=hold_out`` and the same ``random_state``
        splits them: the probe then sees the crops of the rows a
        recalibrated network trained on (its cropper fitted on the same
        rows).  Default: every training row.

    Attributes
    ----------
    cropper_ : estimator
        The fitted clone of ``cropper``.
    model_ : estimator
        The fitted model on the features.
    classes_ : ndarray
        The class labels seen in ``fit``.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.evaluation import ShortcutProbe
    >>> b = make_synthetic_mammograms(40, image_size=128, random_state=0)
    >>> probe = ShortcutProbe(features=["log_side"], model="tree", random_state=0)
    >>> probe.fit(b.frame, b.target).predict_proba(b.frame).shape
    (40, 3)
    """

    def __init__(self, cropper: Any = None, features: Sequence[str] = SHORTCUT_FEATURES,
                 model: str = "logistic", random_state: Any = None,
                 hold_out: float | None = None):
        self.cropper = cropper
        self.features = features
        self.model = model
        self.random_state = random_state
        self.hold_out = hold_out

    def _new_model(self, model: str):
        if model == "logistic":
            return Pipeline([("scale", StandardScaler()),
                             ("logistic", LogisticRegression(class_weight="balanced",
                                                             max_iter=1000))])
        return DecisionTreeClassifier(max_depth=3, class_weight="balanced",
                                      random_state=self.random_state)

    def _combos(self) -> list[tuple[tuple[str, ...], str]]:
        return [(_check_probe(self.features, self.model), self.model)]

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> ShortcutProbe:
        """Fit the cropper on ``X``, then the model on the crops' features.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame.
        y : array-like of shape (n_samples,)
            Class labels.
        groups : array-like, optional
            Patient ids of the ``hold_out`` split (default the frame's
            ``patient`` column); unused without ``hold_out``.

        Returns
        -------
        self
        """
        combos = self._combos()
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if self.hold_out is not None:
            train, _ = calibration_split(X, y, groups, self.hold_out, self.random_state)
            X, y = X.iloc[train], y[train]
        self.cropper_ = clone(self.cropper) if self.cropper is not None else ROICropper()
        cropper = self.cropper_
        if isinstance(cropper, Pipeline) and not hasattr(cropper, "crop_boxes") and len(cropper) > 1:
            # film steps: transform the training films once, for the cropper and the features
            X, cropper = cropper[:-1].fit_transform(X, y), cropper[-1]
        cropper.fit(X, y)
        table = shortcut_features(cropper, X)
        self.models_ = {
            (features, model): self._new_model(model).fit(table[list(features)].to_numpy(), y)
            for features, model in combos
        }
        self.classes_ = next(iter(self.models_.values())).classes_
        return self

    @property
    def model_(self):
        """The fitted model of the chosen ``features`` and ``model``."""
        check_is_fitted(self, "models_")
        key = (_check_probe(self.features, self.model), self.model)
        if key not in self.models_:
            raise ValueError(f"features={list(key[0])}, model={key[1]!r} was not fitted")
        return self.models_[key]

    def _table(self, X: pd.DataFrame) -> pd.DataFrame:
        return shortcut_features(self.cropper_, X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities of the model on the crops' features (columns ``classes_``)."""
        model = self.model_
        return model.predict_proba(self._table(X)[list(_check_probe(self.features,
                                                                     self.model))].to_numpy())

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The most probable class of every sample."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X: pd.DataFrame, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` on ``X`` against ``y`` (as any scikit-learn classifier)."""
        return super().score(X, y, sample_weight=sample_weight)


class _ProbeSet(ShortcutProbe):
    """Every probe of ``probes`` fitted on one cropper fit; ``features``/``model`` pick one.

    Predicts exactly as ``ShortcutProbe(features, model)`` would; the crop
    features of the last frame predicted are kept, so switching probes with
    ``set_params`` (``repeated_evaluation``'s ``variants``) costs no recropping.
    """

    def __init__(self, cropper: Any = None, features: Sequence[str] = SHORTCUT_FEATURES,
                 model: str = "logistic", random_state: Any = None,
                 hold_out: float | None = None, probes: tuple = tuple(PROBES.values())):
        super().__init__(cropper=cropper, features=features, model=model,
                         random_state=random_state, hold_out=hold_out)
        self.probes = probes

    def _combos(self) -> list[tuple[tuple[str, ...], str]]:
        return [(_check_probe(f, m), m) for f, m in self.probes]

    def _table(self, X: pd.DataFrame) -> pd.DataFrame:
        if getattr(self, "_last", (None,))[0] is not X:
            self._last = (X, shortcut_features(self.cropper_, X))
        return self._last[1]


def _probe_items(probes: Mapping[str, tuple] | None) -> list[tuple[str, tuple[str, ...], str]]:
    items = PROBES if probes is None else dict(probes)
    if not items:
        raise ValueError("probes is empty; give at least one name -> (features, model)")
    return [(str(name), _check_probe(f, m), m) for name, (f, m) in items.items()]


def shortcut_probes(
    X: pd.DataFrame,
    y: Any,
    *,
    groups: Any,
    cropper: Any = None,
    n_runs: int = 10,
    n_splits: int = 5,
    random_state: int | np.random.RandomState | None = None,
    target_names: Sequence[str] | None = None,
    probes: Mapping[str, tuple[Sequence[str], str]] | None = None,
    hold_out: float | None = None,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> dict[str, RepeatedEvaluation]:
    """The shortcut probes on the patient-grouped folds the network is evaluated on.

    Every probe of :data:`PROBES` (each feature alone and all four, with a
    logistic regression and a depth-3 tree) is evaluated with
    :func:`~skmammo.evaluation.repeated_evaluation` (``protocol="grouped"``).
    Called with the same ``groups``, ``n_runs``, ``n_splits`` and
    ``random_state`` as the network's repeated evaluation, the folds are the
    same (they come from the seeds drawn from ``random_state``) and every
    run's cropper gets the same seed, so the results pair fold by fold
    (:func:`~skmammo.evaluation.paired_comparison`).  The cropper is fitted
    once per fold and its features computed once for all probes.

    Parameters
    ----------
    X : DataFrame
        A mammogram frame.
    y : array-like of int
        Classes ``0..k-1``.
    groups : array-like
        Patient ids.
    cropper : ROICropper or Pipeline, optional
        As for :class:`ShortcutProbe` (default ``ROICropper()``).
    n_runs, n_splits : int, default=10, 5
        Repeats of the stratified group k-fold and folds per repeat.
    random_state : int, RandomState or None
        Seed of the run seeds and fold shuffling (as ``repeated_evaluation``).
    target_names : sequence of str, optional
        Class names (default ``normal, benign, malignant``).
    probes : mapping of str to (features, model), optional
        Another probe set (default :data:`PROBES`).
    hold_out : float, optional
        When the network is a :class:`~skmammo.evaluation.HeldOutCalibration`
        (evaluated with ``fit_groups=True``), its ``calibration_fraction``:
        each fold's probes then fit on the rows its network trained on, so
        they see the same crops (:class:`ShortcutProbe`'s ``hold_out``).
    n_jobs : int, optional
        Folds run in parallel (joblib).
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    dict of str to RepeatedEvaluation
        One per probe, in the order of ``probes``.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.evaluation import shortcut_probes
    >>> b = make_synthetic_mammograms(60, image_size=128, random_state=0)
    >>> res = shortcut_probes(b.frame, b.target, groups=b.groups, n_runs=1, n_splits=3,
    ...                       random_state=0)
    >>> list(res)[:2], len(res["side / tree"].runs)
    (['side / logistic', 'side / tree'], 3)
    """
    items = _probe_items(probes)
    (first, features, model), rest = items[0], items[1:]
    probe = _ProbeSet(cropper=cropper, features=features, model=model, hold_out=hold_out,
                      probes=tuple((f, m) for _, f, m in items))
    result = repeated_evaluation(
        probe, X, y, groups=groups, n_runs=n_runs, protocol="grouped", n_splits=n_splits,
        random_state=random_state, target_names=target_names, n_jobs=n_jobs, verbose=verbose,
        variants={name: {"features": f, "model": m} for name, f, m in rest},
        fit_groups=hold_out is not None,
    )
    others, result.variants = result.variants, {}
    return {first: result, **others}


def shortcut_scores(
    X_train: pd.DataFrame,
    y_train: Any,
    X_test: pd.DataFrame,
    y_test: Any,
    *,
    cropper: Any = None,
    random_state: Any = None,
    target_names: Sequence[str] | None = None,
    probes: Mapping[str, tuple[Sequence[str], str]] | None = None,
    hold_out: float | None = None,
    groups: Any = None,
) -> pd.DataFrame:
    """Every probe fitted on one training part and scored on one test part.

    The one-split counterpart of :func:`shortcut_probes` (the cropper is
    fitted once on ``X_train``).

    Parameters
    ----------
    X_train, X_test : DataFrame
        Mammogram frames.
    y_train, y_test : array-like of int
        Classes ``0..k-1``.
    cropper : ROICropper or Pipeline, optional
        As for :class:`ShortcutProbe`.
    random_state : int, RandomState or None
        Seed of the cropper (if it has a ``random_state``) and of the trees.
    target_names : sequence of str, optional
        Class names (default ``normal, benign, malignant``).
    probes : mapping of str to (features, model), optional
        Another probe set (default :data:`PROBES`).
    hold_out : float, optional
        Fit on ``X_train`` less this share of its patients, as a
        :class:`~skmammo.evaluation.HeldOutCalibration` with this
        ``calibration_fraction`` and ``random_state`` splits it
        (:class:`ShortcutProbe`'s ``hold_out``).
    groups : array-like, optional
        Patient ids of ``X_train`` for ``hold_out`` (default its ``patient``
        column).

    Returns
    -------
    DataFrame
        One row per probe (index ``probe``): ``accuracy``,
        ``balanced_accuracy``, ``macro_f1`` on the test part.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.evaluation import shortcut_scores
    >>> b = make_synthetic_mammograms(60, image_size=128, random_state=0)
    >>> X, y = b.frame, b.target
    >>> shortcut_scores(X[:40], y[:40], X[40:], y[40:]).shape
    (10, 3)
    """
    names = list(target_names) if target_names is not None else list(TARGET_NAMES)
    items = _probe_items(probes)
    probe = _ProbeSet(cropper=cropper, features=items[0][1], model=items[0][2],
                      hold_out=hold_out, probes=tuple((f, m) for _, f, m in items))
    if random_state is not None:  # the cropper's seed too, as repeated_evaluation sets it
        probe = _clone_with_seed(probe, random_state)
    probe.fit(X_train, np.asarray(y_train), groups=groups)
    rows = {}
    for name, features, model in items:
        probe.set_params(features=features, model=model)
        proba = _predict_proba(probe, X_test, len(names))
        scores = evaluate_predictions(np.asarray(y_test), proba, y_train=np.asarray(y_train),
                                      target_names=names).scores
        rows[name] = {m: scores[m] for m in ("accuracy", "balanced_accuracy", "macro_f1")}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "probe"
    return table

