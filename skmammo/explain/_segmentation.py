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
