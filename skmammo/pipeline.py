"""``make_pipeline``: the study's whole flow as one scikit-learn estimator.

``Denoiser -> CLAHE -> ROICropper -> MammoCNNClassifier``, with the step names
``"denoise"``, ``"clahe"``, ``"crop"`` and ``"cnn"`` (so ``cnn__class_weight``,
``crop__size`` ... work in ``GridSearchCV``); ``mode="study"`` puts a
``"resize"`` step (``FilmResizer``) first, as the study did.  Importing this module does not
import TensorFlow; :func:`make_pipeline` does.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn import get_config
from sklearn.pipeline import Pipeline

from skmammo.preprocessing import (
    CLAHE,
    SCALE_COLUMNS,
    STUDY_SIDE,
    Denoiser,
    FilmResizer,
    ROICropper,
)

__all__ = ["MammoPipeline", "make_pipeline"]


class MammoPipeline(Pipeline):
    """A scikit-learn ``Pipeline`` of mammogram transformers ending in a classifier.

    Exactly a :class:`sklearn.pipeline.Pipeline` (same parameters, ``fit``,
    ``predict_proba``, ``GridSearchCV`` ...), plus :meth:`explain`, which
    explains the classifier's predictions on films and keeps track of where
    every crop came from, and :meth:`scan`, which slides the fitted window
    classifier over whole films without annotations.  Build it with
    :func:`make_pipeline`.

    Examples
    --------
    >>> from skmammo.pipeline import make_pipeline
    >>> pipe = make_pipeline(size=224, epochs=30)
    >>> [name for name, _ in pipe.steps]
    ['denoise', 'clahe', 'crop', 'cnn']
    """

    def fit(self, X, y=None, **params: Any) -> MammoPipeline:
        """Fit every step; the classifier's early stopping splits by patient when it can.

        As :meth:`sklearn.pipeline.Pipeline.fit`, plus: when ``X`` is a frame
        with a ``patient`` column and the final estimator's ``fit`` takes
        ``groups`` (:class:`~skmammo.models.MammoCNNClassifier` does), the
        patients are passed on as ``<last step>__groups``, so its
        early-stopping validation part holds other women than its training
        part, also inside ``GridSearchCV`` (no metadata routing needed).  With
        scikit-learn's metadata routing switched on, which refuses prefixed
        parameters, route them yourself: ``fit(X, y, groups=...)`` after
        ``pipe[-1].set_fit_request(groups=True)``.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame.
        y : array-like of shape (n_samples,)
        **params
            Step parameters as in scikit-learn (``cnn__sample_weight=...``).

        Returns
        -------
        self : MammoPipeline
        """
        name, final = self.steps[-1]
        key = f"{name}__groups"
        # under scikit-learn's metadata routing, prefixed parameters are refused: there the
        # user routes groups (fit(X, y, groups=...) with set_fit_request(groups=True))
        if (key not in params and hasattr(X, "columns") and "patient" in X.columns
                and final not in (None, "passthrough")
                and not get_config().get("enable_metadata_routing", False)
                and "groups" in inspect.signature(final.fit).parameters):
            params[key] = np.asarray(X["patient"])
        return super().fit(X, y, **params)

    def explain(self, X, method: str = "gradcam", **kwargs: Any):
        """Explain the predictions for the samples of a mammogram frame.

        Runs ``X`` through every step but the last (``transform``; the
        cropping step's ``crop``, which also says where each crop came
        from), asks the classifier to explain the resulting crops, and
        attaches to the result the crop boxes (``x0, y0, x1, y1`` in the
        original films' pixels, also behind a ``FilmResizer``) and the film
        ids, so the heatmaps can be placed back on the whole films.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame (see ``DESIGN.md``).
        method : str, default="gradcam"
            A registered explanation method (``skmammo.explain.EXPLAINERS``:
            ``"gradcam"``, ``"lime"``, ``"shap"`` and any you register).
        **kwargs
            Passed to the classifier's ``explain`` (``target``,
            ``random_state``, ``batch_size``, method parameters).

        Returns
        -------
        Explanation
            With ``boxes`` and ``films`` set.
        """
        boxes = None
        Xt = X
        for _, _, step in self._iter(with_final=False, filter_passthrough=True):
            if boxes is None and hasattr(step, "crop"):
                # One pass: the crops and their boxes (films on disk are read once).
                crops = step.crop(Xt)
                boxes = _to_original_pixels(crops.boxes, Xt)
                Xt = crops.images
            else:
                Xt = step.transform(Xt)
        result = self._final_estimator.explain(Xt, method=method, **kwargs)
        if boxes is not None and hasattr(result, "boxes"):
            result.boxes = boxes
        if hasattr(X, "columns") and "film" in X.columns and hasattr(result, "films"):
            result.films = np.asarray(X["film"])
        return result

    def scan(self, X, *, stride: int | None = None, batch_size: int = 256,
             n_jobs: int | None = None, exact: bool = True, top_k: int = 5,
             max_candidates: int = 10, min_distance: float | None = None,
             min_score: float = 0.0, verbose: int = 0):
        """Slide the fitted window classifier over whole films, no annotation needed.

        Every distinct film of ``X`` goes through the steps before the
        cropper (``Denoiser``, ``CLAHE``) as in ``fit``, is resized so that
        one window (``window_mm`` of the cropper, ``pixel_mm`` of the frame)
        is ``size`` pixels, and the network is evaluated on every window at
        ``stride`` resized pixels, windows kept inside the film.  Columns
        ``x``, ``y``, ``radius`` are not needed and, when present, ignored.
        See :doc:`/scanning` for the rules and the measured tolerance.

        Parameters
        ----------
        X : DataFrame
            A mammogram frame with ``image`` (or ``path``); ``film`` names the
            films, ``pixel_mm`` sizes the window.
        stride : int or None, default=None
            Step between windows in network-input pixels; None is the
            network's own stride (16 for the study's network: 3.7 mm with
            the default 51.2-mm window at ``size=224``).  Must divide 16 or
            be a multiple of it (smaller strides cost one pass per phase).
        batch_size : int, default=256
            Windows per forward pass: films of one resized shape are stacked
            while their windows fit (one film at least); where the exact
            scan falls back to a per-window tail, it runs in batches of this
            many windows.
        n_jobs : int or None, default=None
            Films read, preprocessed and resized in parallel (threads).
        exact : bool, default=True
            True: every window's probabilities equal ``predict_proba`` of the
            window cut from the resized film, up to float rounding: one
            fully convolutional pass with exact corrections at the window
            borders (at about 1.1-1.4x the cost of the plain pass; networks
            it does not fit fall back to a shared front and a per-window
            tail).  False: the plain fully convolutional pass, within the
            tolerance stated in :doc:`/scanning`.
        top_k : int, default=5
            Windows averaged in a film's score (:func:`skmammo.scan.film_scores`).
        max_candidates : int, default=10
            Most candidates per film.
        min_distance : float or None, default=None
            Film pixels between two candidates; None is half a window side.
        min_score : float, default=0.0
            Lowest abnormality of a candidate.
        verbose : int, default=0
            ``> 0`` shows a progress bar.

        Returns
        -------
        FilmScan
            ``maps``, ``scores``, ``candidates`` (see :class:`skmammo.scan.FilmScan`).

        Raises
        ------
        ValueError
            A pipeline whose cropper is not in window mode, a film smaller
            than one window, a stride that does not divide 16 nor is a
            multiple of it.
        sklearn.exceptions.NotFittedError
            The pipeline is not fitted.
        """
        from skmammo.scan import scan_films

        return scan_films(self, X, stride=stride, batch_size=batch_size, n_jobs=n_jobs,
                          exact=exact, top_k=top_k, max_candidates=max_candidates,
                          min_distance=min_distance, min_score=min_score, verbose=verbose)


def _to_original_pixels(boxes: np.ndarray, frame: Any) -> np.ndarray:
    """Boxes found on resized films, back in the original films' pixels.

    A ``FilmResizer`` step records its factors in the frame's ``scale_x`` /
    ``scale_y`` columns; without them the boxes are already in film pixels.
    """
    if not hasattr(frame, "columns") or not set(SCALE_COLUMNS) <= set(frame.columns):
        return boxes
    scales = frame[list(SCALE_COLUMNS)].to_numpy(np.float64)
    return boxes / np.tile(scales, 2)


def make_pipeline(
    *,
    size: int = 224,
    mode: str = "window",
    memory: Any = None,
    **cnn_params: Any,
) -> MammoPipeline:
    """Build the study's pipeline: ``Denoiser``, ``CLAHE``, ``ROICropper``, the CNN.

    Parameters
    ----------
    size : int, default=224
        Side of the square crops ``ROICropper`` produces (and the network's
        input size).
    mode : {"window", "native", "study"}, default="window"
        ``"window"``: every step at the film's full resolution,
        ``Denoiser()`` and label-free windows (``ROICropper(mode="window")``:
        one physical window per sample, lesions at a seeded offset, normal
        windows at matched depths in the breast).
        ``"native"``: the same with crops sized and centred by the annotated
        lesion, whose size alone tells the class (for comparison).
        ``"study"``: the study's exactly: ``FilmResizer(224)`` shrinks each
        whole film first, then ``Denoiser(mode="study")``, ``CLAHE`` and
        ``ROICropper(mode="study")`` all work at 224 pixels.
    memory : str, joblib.Memory or None, default=None
        Cache the fitted transformers (``Pipeline(memory=...)``); useful in a
        grid search over CNN parameters only, where the preprocessing of every
        fold is the same.
    **cnn_params
        Parameters of :class:`~skmammo.models.MammoCNNClassifier`
        (``epochs``, ``class_weight``, ``random_state``, ...).

    Returns
    -------
    MammoPipeline
        Steps ``"denoise"``, ``"clahe"``, ``"crop"``, ``"cnn"`` (after
        ``"resize"`` in study mode); a classifier for scikit-learn
        (``is_classifier`` is True).

    Examples
    --------
    >>> from sklearn.base import is_classifier
    >>> from skmammo.pipeline import make_pipeline
    >>> pipe = make_pipeline(size=64, epochs=5, random_state=0)
    >>> is_classifier(pipe), pipe.get_params()["cnn__epochs"]
    (True, 5)
    """
    from skmammo.models import MammoCNNClassifier

    if mode in ("window", "native"):
        steps = [("denoise", Denoiser())]
    elif mode == "study":
        steps = [("resize", FilmResizer(side=STUDY_SIDE)), ("denoise", Denoiser(mode="study"))]
    else:
        raise ValueError(f"mode must be 'window', 'native' or 'study', got {mode!r}")
    steps += [
        ("clahe", CLAHE()),
        ("crop", ROICropper(size=size, mode=mode)),
        ("cnn", MammoCNNClassifier(**cnn_params)),
    ]
    return MammoPipeline(steps, memory=memory)
