"""LIME (Ribeiro et al., 2016) through the ``lime`` package, batched and seeded."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import numpy as np
from tqdm.auto import tqdm

from skmammo.explain._explanation import Explanation
from skmammo.explain._model import (
    check_images,
    check_target,
    masked_predict_fn,
    n_classes,
    predict_fn,
    resolve_model,
    seeds_for,
)
from skmammo.explain._segmentation import SegmentAttributions, segment
from skmammo.explain._segmentation import segmentation_params as _seg_params
from skmammo.utils import DEPRECATED, renamed

logger = logging.getLogger(__name__)

__all__ = ["lime"]


def _explainer_class():
    from lime.lime_image import LimeImageExplainer

    class _BatchedLimeImageExplainer(LimeImageExplainer):
        """lime's image explainer with the perturbed images built in bulk.

        ``data_labels`` draws the same on/off matrix from the same random
        state as lime's and fills switched-off segments with the same
        ``fudged_image``, but instead of building each perturbed image in a
        Python loop it hands the on/off matrix to a compiled function that
        builds the grey images inside the graph, in large batches.
        """

        def data_labels(self, image, fudged_image, segments, classifier_fn, num_samples, batch_size=10):
            n_features = np.unique(segments).shape[0]
            data = self.random_state.randint(0, 2, num_samples * n_features).reshape(
                (num_samples, n_features)
            )
            data[0, :] = 1
            labels = classifier_fn(data, segments, image[..., 0], fudged_image[..., 0])
            return data, labels

    return _BatchedLimeImageExplainer


def lime(
    estimator: Any,
    X: np.ndarray,
    *,
    target: int | str | np.ndarray | None = None,
    n_samples: int = 1000,
    segmentation: str | Callable[[np.ndarray], np.ndarray] = "quickshift",
    segmentation_params: dict[str, Any] | None = None,
    baseline: float | None = None,
    kernel_width: float = 0.25,
    random_state: int | np.random.RandomState | None = None,
    batch_size: int = 64,
    predict_batch_size: int = 128,
    verbose: int = 0,
    num_samples: int = DEPRECATED,
    hide_color: float | None = DEPRECATED,
) -> Explanation:
    """LIME heatmaps for a batch of crops, with the ``lime`` package.

    Each crop is cut into superpixels (quickshift with lime's defaults, or
    SLIC); ``n_samples`` perturbed copies switch random segments off
    (filled with the segment's mean, as lime does by default, or the grey
    level ``baseline``); a weighted ridge model fitted by lime on the network's
    probabilities gives each segment a weight.  The perturbed images are built
    inside a compiled graph from lime's on/off matrix and sent through the
    network in batches of ``predict_batch_size``.

    ``random_state`` seeds everything (segmentation, sampling, lime's
    regression): the same seed gives the same explanation.

    Parameters
    ----------
    estimator : keras.Model or fitted MammoCNNClassifier
    X : ndarray of shape (n, H, W)
        Crops (uint8 grey levels).
    target : None, int, array of int, or "all"
        Class to explain: the predicted one by default.
    n_samples : int, default=1000
        Perturbed images per crop (lime's ``num_samples``).
    segmentation : {"quickshift", "slic"} or callable, default="quickshift"
        Superpixel algorithm; a callable takes the grey crop and returns labels.
    segmentation_params : dict, optional
        Overrides: quickshift ``kernel_size=4, max_dist=200, ratio=0.2``;
        SLIC ``n_segments=100, compactness=1``.
    baseline : float, optional
        Grey level of switched-off segments (lime's ``hide_color``); None
        (default) fills each with its own mean grey level.
    kernel_width : float, default=0.25
        lime's kernel width.
    random_state : int, RandomState or None
    batch_size : int, default=64
        Unused by LIME beyond setting a lower bound for ``predict_batch_size``.
    predict_batch_size : int, default=128
        Perturbed images per forward pass.
    verbose : int, default=0
        1 shows a progress bar over the images.
    num_samples, hide_color
        Old names of ``n_samples`` and ``baseline`` (FutureWarning; removed in
        skmammo 0.3).

    Returns
    -------
    Explanation
        ``heatmaps`` hold each segment's weight on its pixels.

    Examples
    --------
    >>> e = lime(clf, crops[:2], n_samples=200, random_state=0)  # doctest: +SKIP
    >>> e.segment_weights[0].shape  # doctest: +SKIP
    """
    n_samples = renamed("lime", "n_samples", n_samples, 1000, "num_samples", num_samples)
    baseline = renamed("lime", "baseline", baseline, None, "hide_color", hide_color)
    model = resolve_model(estimator)
    X = check_images(X, model)
    n, k = len(X), n_classes(model)
    t = check_target(target, n, k)
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2, got {n_samples!r}")
    seg_params = _seg_params(segmentation, segmentation_params)
    predict = predict_fn(model, max(int(predict_batch_size), int(batch_size)))
    masked_predict = masked_predict_fn(model, max(int(predict_batch_size), int(batch_size)))
    seeds = seeds_for(random_state, n)
    explainer_cls = _explainer_class()
    from skimage.color import gray2rgb

    results = SegmentAttributions(t, k)
    start = time.perf_counter()
    all_probs = predict(X)
    for i in tqdm(range(n), disable=not verbose, desc="LIME", unit="image"):
        image = np.asarray(X[i])
        if image.dtype != np.uint8:
            image = np.clip(image, 0, 255).astype(np.float32)
        labels_ = segment(image, segmentation, seg_params, int(seeds[i]))
        rs = np.random.RandomState(int(seeds[i]))
        explainer = explainer_cls(kernel_width=kernel_width, random_state=rs)
        p = all_probs[i]
        wanted = results.classes(i, p)
        exp = explainer.explain_instance(
            gray2rgb(image),
            classifier_fn=masked_predict,
            labels=wanted,
            hide_color=baseline,
            top_labels=None,
            num_features=100000,
            num_samples=int(n_samples),
            batch_size=max(int(predict_batch_size), int(batch_size)),
            segmentation_fn=lambda _img, _labels=labels_: _labels,
            random_seed=int(seeds[i]) % 1000,
        )
        n_seg = int(labels_.max()) + 1
        w = np.zeros((len(wanted), n_seg))
        for j, c in enumerate(wanted):
            for seg_id, value in exp.local_exp[c]:
                w[j, seg_id] = value
        results.add(labels_, w, np.array([exp.intercept[c] for c in wanted]), p, wanted)
    elapsed = time.perf_counter() - start
    return Explanation(
        method="lime",
        params={
            "n_samples": int(n_samples),
            "segmentation": segmentation if isinstance(segmentation, str) else repr(segmentation),
            "segmentation_params": seg_params,
            "baseline": baseline,
            "kernel_width": kernel_width,
            "random_state": random_state if isinstance(random_state, (int, np.integer)) else None,
        },
        images=X,
        seconds_per_image=elapsed / n,
        **results.fields(),
    )
