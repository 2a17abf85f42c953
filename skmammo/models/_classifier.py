"""``MammoCNNClassifier``: the study's CNN as a scikit-learn classifier (SciKeras)."""

from __future__ import annotations

import logging
from typing import Any

import skmammo.models._quiet  # noqa: F401  (first: TensorFlow's start-up lines held back)

# isort: split
import keras
import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.utils import check_random_state

from skmammo.models._augmentation import _augment_index, _balance_index, geometric_views
from skmammo.models._network import paper_cnn, sets_learning_rate
from skmammo.models._progress import keras_verbose, progress_callbacks
from skmammo.models._seeding import keras_seeded
from skmammo.models._split import validation_split
from skmammo.models._tags import CNNClassifierTags, EndOfTagsMRO, OneHotLabels
from skmammo.utils import check_crops, check_interval, check_weights

__all__ = ["MammoCNNClassifier"]

logger = logging.getLogger(__name__)

_BALANCE = ("undersample", "oversample", None)


class MammoCNNClassifier(CNNClassifierTags, KerasClassifier, EndOfTagsMRO):
    """The study's CNN trained with the study's protocol, as a scikit-learn classifier.

    A SciKeras ``KerasClassifier`` around :func:`~skmammo.models.paper_cnn`
    taking the ``(n, height, width)`` grey crops of
    :class:`~skmammo.preprocessing.ROICropper` (uint8, or float 0..255;
    float crops scaled to 0..1 are refused, see
    :func:`skmammo.utils.check_crops`).  Any two or more class labels
    train (``{0, 1, 2}``, ``{1, 2}``, strings); they are kept in
    ``classes_`` and ``predict_proba`` has one column per class and one
    row per sample, also for a single sample.
    ``fit`` does, in this order:

    1. a split of about ``validation_fraction`` of the data given to ``fit``
       for early stopping, by patient when ``fit`` gets ``groups`` (stratified
       group k-fold), else stratified by row; before any augmentation, so no
       augmented copy of a validation crop is trained on;
    2. ``augment`` the training part (:func:`skmammo.models.augment`:
       rotations, vertical flips, brightness and contrast, exact duplicates
       removed), kept as uint8;
    3. ``balance`` it (:func:`skmammo.models.balance`);
    4. train with Adam, categorical cross-entropy, ``class_weight`` and early
       stopping on the validation loss (``patience`` epochs, best weights
       restored).

    ``is_classifier`` is True (also for a pipeline ending in it), so
    ``GridSearchCV`` stratifies its folds and probability scorers such as
    ``"roc_auc_ovr"`` and ``"neg_log_loss"`` work.

    Parameters
    ----------
    learning_rate : float or None, default=1e-4
        The optimizer's learning rate (None: its own default); an optimizer
        instance keeps its own, and ``optimizer__learning_rate`` wins over it.
    batch_size : int, default=16
    epochs : int, default=50
        Upper limit; early stopping usually ends training sooner.
    patience : int or None, default=10
        Early stopping patience on the validation loss; the weights of the best
        epoch are restored.  ``None`` (or ``validation_fraction=0``) trains all
        ``epochs``.
    validation_fraction : float, default=0.15
        Share of the data held out for early stopping: by patient with
        ``fit(..., groups=)`` (one of ``round(1 / validation_fraction)``
        stratified group folds), else stratified by class over rows.
    validation_groups : bool, default=True
        Use the ``groups`` given to ``fit`` for that split; False splits by
        row even then (the study's protocol, ``skmammo.study``).
    class_weight : dict, "balanced" or None, default=None
        Class weights of the training loss (on the augmented, balanced
        training part; the validation loss is not weighted).
    augment : bool, default=True
        Augment the training part as the study did.
    balance : {"undersample", "oversample"} or None, default="undersample"
        Class balancing of the (augmented) training part.
    dropout : float, default=0.5
    tta : bool, default=False
        Test-time augmentation: ``predict`` and ``predict_proba`` average the
        class probabilities of the crop's eight rotations and flips (the
        geometric views the training part is augmented with,
        :func:`skmammo.models.geometric_views`), at eight times the
        cost; square crops only.  Only prediction changes, so it can be
        switched on a fitted model with ``set_params(tta=True)``;
        explanations always explain the single view.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the augmentation, the balancing, the initial weights,
        the dropout and the shuffling: the same seed gives the same weights,
        predictions and history on the same machine (tested on CPU).
    deterministic_ops : bool, default=False
        Also switch on TensorFlow's op determinism while a seeded model is
        built and trained (TensorFlow's own guarantee; use it on a GPU).  On
        CPU, seeded runs are bit-identical without it (tested); its cost:
        ``benchmarks/bench_fit.py --with-op-determinism``.
    verbose : int, default=0
        0 silent; 1 one log line per epoch (``skmammo.models`` logger, INFO)
        and a bar for the augmentation; 2 also Keras's own progress bars.
    optimizer, loss, metrics, callbacks, **kwargs
        Passed to SciKeras (routed parameters such as ``optimizer__beta_1``
        or ``fit__validation_batch_size`` work as there).

    Attributes
    ----------
    model_ : keras.Model
        The trained network (best epoch when early stopping).
    history_ : dict of lists
        Per-epoch ``loss``, ``val_loss`` and metrics.
    classes_ : ndarray
        Class labels seen in ``fit``.
    best_epoch_ : int or None
        1-based epoch whose weights were kept (None without early stopping).
    train_class_counts_ : dict
        Samples per class actually trained on (after augmentation and balancing).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.models import MammoCNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, (30, 32, 32), dtype=np.uint8)
    >>> y = np.arange(30) % 3
    >>> clf = MammoCNNClassifier(epochs=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        *,
        learning_rate: float | None = 1e-4,
        batch_size: int = 16,
        epochs: int = 50,
        patience: int | None = 10,
        validation_fraction: float = 0.15,
        validation_groups: bool = True,
        class_weight: dict | str | None = None,
        augment: bool = True,
        balance: str | None = "undersample",
        dropout: float = 0.5,
        tta: bool = False,
        random_state: int | np.random.RandomState | None = None,
        deterministic_ops: bool = False,
        verbose: int = 0,
        optimizer: Any = "adam",
        loss: Any = "categorical_crossentropy",
        metrics: Any = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            batch_size=batch_size,
            epochs=epochs,
            class_weight=class_weight,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            **kwargs,
        )
        self.learning_rate = learning_rate
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.validation_groups = validation_groups
        self.augment = augment
        self.balance = balance
        self.dropout = dropout
        self.tta = tta
        self.deterministic_ops = deterministic_ops

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    @property
    def target_encoder(self) -> OneHotLabels:
        """One-hot labels for any number of classes >= 2 (see :class:`OneHotLabels`)."""
        return OneHotLabels(loss=self.loss)

    # --------------------------------------------------------------- building
    def _keras_build_fn(self, compile_kwargs: dict[str, Any]) -> keras.Model:
        height, width = self.X_shape_[1:3]
        model = paper_cnn((height, width, 3), n_classes=self.n_classes_,
                          dropout=self.dropout, seed=getattr(self, "_network_seed", None))
        if self.learning_rate is not None and sets_learning_rate(self):
            compile_kwargs["optimizer"].learning_rate = float(self.learning_rate)
        model.compile(**compile_kwargs)
        return model

    def _validate_data(self, X=None, y=None, reset: bool = False, y_numeric: bool = False):
        if X is not None:
            X = check_crops(X, "MammoCNNClassifier")
        X, y = super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)
        if reset and X is not None:
            # Accept uint8 and float crops alike at predict time.
            self.X_dtype_ = np.dtype(np.float32)
        return X, y

    # ---------------------------------------------------------------- fitting
    def _check_params(self) -> None:
        check_interval(self.validation_fraction, "validation_fraction", 0, 1, closed="left")
        if self.balance not in _BALANCE:
            raise ValueError(f"balance must be one of {_BALANCE}, got {self.balance!r}")
        if self.patience is not None and (not isinstance(self.patience, (int, np.integer))
                                          or self.patience < 0):
            raise ValueError(f"patience must be a non-negative int or None, got {self.patience!r}")
        if isinstance(self.class_weight, str) and self.class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict, 'balanced' or None, got "
                             f"{self.class_weight!r}")

    def _draw_seeds(self) -> tuple:
        """Seeds of the split, augmentation, balancing and network (Nones when unseeded)."""
        if self.random_state is None:
            return (None,) * 4
        rng = check_random_state(self.random_state)
        return tuple(int(s) for s in rng.randint(0, 2**31 - 1, 4))

    def _training_data(self, X, y, sample_weight=None, seeds=None, groups=None):
        """The arrays ``fit`` trains on: ``(X_train, y_train, sample_weight, (X_val, y_val))``.

        Stratified validation split, then augmentation and balancing of the
        training part, all seeded by ``random_state`` (the validation part is
        None when ``validation_fraction`` is 0).
        """
        X = check_crops(X, "MammoCNNClassifier")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1-D with one label per crop: X has {len(X)} crops, "
                             f"y has shape {y.shape}")
        if seeds is None:
            seeds = self._draw_seeds()
        split_seed, augment_seed, balance_seed, _ = seeds

        train, val = validation_split(y, self.validation_fraction, split_seed,
                                      groups if self.validation_groups else None)
        index = train
        if self.augment:
            if X.dtype != np.uint8:
                X = np.rint(np.clip(X, 0, 255)).astype(np.uint8)
            X_train, y_train, source = _augment_index(X[train], y[train], random_state=augment_seed,
                                                      verbose=self.verbose)
            index = train[source]
        else:
            X_train, y_train = X[train], y[train]
        if self.balance is not None:
            keep = _balance_index(y_train, strategy=self.balance, random_state=balance_seed)
            X_train, y_train, index = X_train[keep], y_train[keep], index[keep]
        if sample_weight is not None:
            sample_weight = check_weights(sample_weight, len(X))[index]
        validation = None if val is None else (X[val], y[val])
        return X_train, y_train, sample_weight, validation

    def fit(self, X, y, sample_weight=None, groups=None, **kwargs) -> MammoCNNClassifier:
        """Split, augment, balance and train (see the class docstring).

        Parameters
        ----------
        X : array-like of shape (n, height, width)
            Grey crops, uint8 or float 0..255.
        y : array-like of shape (n,)
        sample_weight : array-like of shape (n,), default=None
            Carried over to the augmented copies of each crop.
        groups : array-like of shape (n,), default=None
            Patient of every crop: the early-stopping validation part is then
            split off by patient (no woman on both sides); without groups it
            is split by row (logged).  ``MammoPipeline.fit`` passes the
            frame's ``patient`` column by itself.
        **kwargs
            Passed to ``keras.Model.fit`` through SciKeras.

        Returns
        -------
        self : MammoCNNClassifier
        """
        self._check_params()
        seeds = self._draw_seeds()
        self._network_seed = seeds[3]
        X_train, y_train, sample_weight, validation = self._training_data(X, y, sample_weight,
                                                                          seeds, groups)
        classes, counts = np.unique(y_train, return_counts=True)
        logger.info("training on %d crops %s, validating on %d", len(y_train),
                    dict(zip(classes.tolist(), counts.tolist())),
                    0 if validation is None else len(validation[1]))

        self._validation_data = validation
        try:
            super().fit(X_train, y_train, sample_weight=sample_weight, **kwargs)
        finally:
            del self._validation_data
        self.train_class_counts_ = dict(zip(classes.tolist(), counts.tolist()))
        return self

    # SciKeras seeds build and training when ``_random_state`` is set, but maps every
    # RandomState to seed 0 (``randint(low=1)``) and leaves Keras's global SeedGenerator
    # alone.  We seed with our own network seed (drawn from random_state like the
    # other seeds) instead, hiding ``_random_state`` from SciKeras meanwhile.
    def _build_keras_model(self) -> keras.Model:
        return self._with_own_seeding(super()._build_keras_model)

    def _with_own_seeding(self, function, *args, **kwargs):
        seed = getattr(self, "_network_seed", None)
        scikeras_seed = getattr(self, "_random_state", None)
        self._random_state = None
        try:
            if seed is None:
                return function(*args, **kwargs)
            with keras_seeded(seed, self.deterministic_ops):
                return function(*args, **kwargs)
        finally:
            self._random_state = scikeras_seed

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # Hook into SciKeras after its target encoder is fitted: encode the validation part
        # the same way; early stopping and the epoch log for this call only (not pickled).
        data = getattr(self, "_validation_data", None)
        early_stopping = None
        if data is not None and "validation_data" not in kwargs:
            X_val, y_val = data
            kwargs["validation_data"] = (self.feature_encoder_.transform(X_val),
                                         self.target_encoder_.transform(y_val))
            if self.patience is not None:
                early_stopping = keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=int(self.patience), restore_best_weights=True)
        user_callbacks = self._fit_callbacks
        self._fit_callbacks = [*user_callbacks, *filter(None, [early_stopping]),
                               *progress_callbacks(self.verbose, initial_epoch + epochs)]
        kwargs.setdefault("verbose", keras_verbose(self.verbose))
        try:
            self._with_own_seeding(
                super()._fit_keras_model, X, y, sample_weight=sample_weight,
                warm_start=warm_start, epochs=epochs, initial_epoch=initial_epoch, **kwargs,
            )
        finally:
            self._fit_callbacks = user_callbacks
        if early_stopping is not None and self.history_.get("val_loss"):
            self.best_epoch_ = int(np.argmin(self.history_["val_loss"])) + 1
        else:
            self.best_epoch_ = None

    # ------------------------------------------------------------ predicting
    def _predict_raw(self, X, **kwargs):
        kwargs.setdefault("verbose", keras_verbose(self.verbose))
        if not isinstance(self.tta, (bool, np.bool_)):
            raise ValueError(f"tta must be True or False, got {self.tta!r}")
        if not self.tta:
            return super()._predict_raw(X, **kwargs)
        views = geometric_views(check_crops(X, "MammoCNNClassifier"))
        total = sum(super(MammoCNNClassifier, self)._predict_raw(np.ascontiguousarray(v),
                                                                  **kwargs) for v in views)
        return total / len(views)

    # ------------------------------------------------------------ explaining
    def explain(
        self,
        X,
        method: str = "gradcam",
        *,
        target: int | str | None = None,
        random_state: int | np.random.RandomState | None = None,
        batch_size: int = 64,
        **method_params: Any,
    ):
        """Explain the predictions for crops ``X`` (see :mod:`skmammo.explain`).

        Parameters
        ----------
        X : array-like of shape (n, height, width)
            Crops as given to ``predict``.
        method : str, default="gradcam"
            A registered method: ``"gradcam"``, ``"lime"``, ``"shap"`` or one added
            with :func:`skmammo.explain.register_explainer`.
        target : int, "all" or None, default=None
            Column of ``predict_proba`` (position in ``classes_``); None: predicted.
        random_state : int, RandomState instance or None, default=None
        batch_size : int, default=64
            Images per forward pass.
        **method_params
            Passed to the method.

        Returns
        -------
        Explanation
        """
        from skmammo.explain import explain as _explain

        return _explain(self, X, method=method, target=target, random_state=random_state,
                        batch_size=batch_size, **method_params)
