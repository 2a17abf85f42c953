"""What a hidden pixel shows: one fill used by Kernel SHAP and the faithfulness metrics."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["baseline_image"]

BASELINES = ("mean", "zero", "blur")


def baseline_image(image: np.ndarray, baseline: str | float | np.ndarray) -> np.ndarray:
    """The image a crop's hidden pixels are taken from, float32 of the crop's shape.

    Parameters
    ----------
    image : ndarray of shape (H, W)
        The crop.
    baseline : {"mean", "zero", "blur"}, float or ndarray of shape (H, W)
        ``"mean"``: the crop's mean grey level; ``"zero"``: black; ``"blur"``:
        the crop under a Gaussian blur (sigma = 1/16 of its larger side); a
        number: that grey level; an array: that image.

    Returns
    -------
    ndarray of shape (H, W), float32

    Examples
    --------
    >>> import numpy as np
    >>> baseline_image(np.array([[0, 2], [4, 6]], np.float32), "mean").tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    if isinstance(baseline, str):
        if baseline == "mean":
            return np.full(image.shape, image.mean(), dtype=np.float32)
        if baseline == "zero":
            return np.zeros(image.shape, dtype=np.float32)
        if baseline == "blur":
            import cv2

            return cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigmaX=max(image.shape) / 16)
        raise ValueError(
            f"baseline must be 'mean', 'zero', 'blur', a grey level or an (H, W) image; "
            f"got {baseline!r}"
        )
    if isinstance(baseline, numbers.Real):
        return np.full(image.shape, float(baseline), dtype=np.float32)
    fill = np.asarray(baseline, dtype=np.float32)
    if fill.shape != image.shape:
        raise ValueError(f"the baseline image has shape {fill.shape}, the crops {image.shape}")
    return fill
