"""Superpixels for LIME and Kernel SHAP."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

SEGMENTATIONS = ("quickshift", "slic")

# lime's own defaults for quickshift; the study's SLIC settings for SHAP
_DEFAULTS = {
    "quickshift": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},
    "slic": {"n_segments": 100, "compactness": 1.0},
}


def segmentation_params(segmentation, params: dict[str, Any] | None) -> dict[str, Any]:
    if callable(segmentation):
        return dict(params or {})
    if segmentation not in SEGMENTATIONS:
        raise ValueError(
            f"segmentation must be one of {SEGMENTATIONS} or a callable image -> labels; "
            f"got {segmentation!r}"
        )
    return {**_DEFAULTS[segmentation], **(params or {})}


def segment(
    image: np.ndarray,
    segmentation: str | Callable[[np.ndarray], np.ndarray],
    params: dict[str, Any],
    seed: int,
) -> np.ndarray:
    """Label the superpixels of a grey crop, as ``0 .. n_segments - 1``.

    ``"quickshift"`` runs exactly as lime does by default (on the grey image
    turned RGB); ``"slic"`` runs on the grey image (``channel_axis=None``).
    A flat image may come back as a single segment; callers handle that.
    """
    if callable(segmentation):
        labels = np.asarray(segmentation(image, **params))
        if labels.shape != image.shape:
            raise ValueError(
                f"the segmentation function returned shape {labels.shape} for an image of "
                f"shape {image.shape}"
            )
    elif segmentation == "quickshift":
        from skimage.color import gray2rgb
        from skimage.segmentation import quickshift

        rgb = gray2rgb(np.asarray(image, dtype=np.uint8) if image.dtype == np.uint8 else image)
        labels = quickshift(rgb, rng=int(seed), **params)
    else:
        from skimage.segmentation import slic

        labels = slic(
            np.asarray(image, dtype=np.float64),
            channel_axis=None,
            start_label=0,
            **params,
        )
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(image.shape).astype(np.int32)


class SegmentAttributions:
    """Gathers LIME's or Kernel SHAP's per-superpixel weights, image by image.

    Both explain, for every crop, the predicted class, a given class or every
    class (``target`` as checked by ``check_target``), paint each superpixel's
    weight onto its pixels and keep a base value per explained class; this
    collects those into the fields of an :class:`Explanation`.
    """

    def __init__(self, target, n_classes: int):
        self.target = target
        self.n_classes = n_classes
        self.every_class = isinstance(target, str)
        self.heatmaps: list = []
        self.weights: list = []
        self.bases: list = []
        self.targets: list = []
        self.segments: list = []
        self.probabilities: list = []

    def classes(self, i: int, probabilities: np.ndarray) -> list[int]:
        """The classes to explain for image ``i``, given its class probabilities."""
        if self.target is None:
            return [int(np.argmax(probabilities))]
        if self.every_class:
            return list(range(self.n_classes))
        return [int(self.target[i])]

    def add(self, segments: np.ndarray, weights: np.ndarray, bases: np.ndarray,
            probabilities: np.ndarray, classes: list[int]) -> None:
        """One image: ``weights`` (len(classes), n_segments), ``bases`` (len(classes),)."""
        maps = weights[:, segments]
        if self.every_class:
            self.heatmaps.append(maps)
            self.weights.append(weights)
            self.bases.append(bases)
            self.targets.append(np.arange(self.n_classes))
        else:
            self.heatmaps.append(maps[0])
            self.weights.append(weights[0])
            self.bases.append(bases[0])
            self.targets.append(classes[0])
        self.segments.append(segments)
        self.probabilities.append(probabilities)

    def fields(self) -> dict[str, Any]:
        """Keyword arguments of :class:`Explanation` for the images added so far."""
        return {
            "heatmaps": np.asarray(self.heatmaps, dtype=np.float32),
            "targets": np.asarray(self.targets, dtype=int),
            "probabilities": np.asarray(self.probabilities, dtype=np.float32),
            "segments": np.asarray(self.segments),
            "segment_weights": self.weights,
            "base_values": np.asarray(self.bases),
        }
