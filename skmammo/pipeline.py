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
    every crop came from.  Build it with :func:`make_pipeline`.

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
        part, also inside ``GridSearchCV`` (no metadata routing needed).

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
        if (key not in params and hasattr(X, "columns") and "patient" in X.columns
                and final not in (None, "passthrough")
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
