"""Drawing heatmaps: the one overlay of a map on its crop, coloured as its method says.

:meth:`Explanation.overlay <skmammo.explain.Explanation.overlay>` and
:func:`skmammo.reporting.figures.overlay` both draw through :func:`overlay`;
the colour map and whether a map is signed come from the method's
:class:`~skmammo.explain.ExplainerSpec`.
"""

from __future__ import annotations

import numpy as np

from skmammo.explain._registry import get_explainer

__all__ = ["colour_range", "overlay"]


def colour_range(heatmap: np.ndarray, method: str) -> tuple[float, float]:
    """``(vmin, vmax)`` of a heatmap's colour scale.

    Signed methods: symmetric around 0, ``±max|h|`` (``±1`` for an all-zero
    map); unsigned methods: ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> colour_range(np.array([[-0.2, 0.1]]), "lime"), colour_range(np.zeros((1, 1)), "gradcam")
    ((-0.2, 0.2), (0.0, 1.0))
    """
    if not get_explainer(method).signed:
        return 0.0, 1.0
    scale = float(np.abs(np.asarray(heatmap, dtype=float)).max()) or 1.0
    return -scale, scale


def overlay(
    crop: np.ndarray,
    heatmap: np.ndarray,
    method: str,
    *,
    alpha: float = 0.4,
    cmap: str | None = None,
) -> np.ndarray:
    """Blend a heatmap onto its grey crop as an RGB ``uint8`` image.

    Unsigned maps (Grad-CAM, in [0, 1]) are drawn as they are; signed maps
    (LIME, SHAP) are scaled by their largest absolute value so that 0 falls
    in the middle of the colour map (with the registered diverging
    ``RdBu_r``: red is evidence for the explained class, blue against).

    Parameters
    ----------
    crop : ndarray of shape (H, W)
        Grey levels 0..255.
    heatmap : ndarray of shape (H, W)
    method : str
        A registered method name or alias (see :func:`~skmammo.explain.get_explainer`).
    alpha : float, default=0.4
        Weight of the heatmap in the blend.
    cmap : str, optional
        Matplotlib colour map; the method's registered one by default.

    Returns
    -------
    ndarray of shape (H, W, 3), uint8

    Examples
    --------
    >>> import numpy as np
    >>> overlay(np.zeros((2, 2)), np.ones((2, 2)), "gradcam").shape
    (2, 2, 3)
    """
    from matplotlib import colormaps

    spec = get_explainer(method)
    h = np.asarray(heatmap, dtype=np.float64)
    crop = np.asarray(crop, dtype=np.float64)
    if crop.shape != h.shape:
        raise ValueError(f"crop shape {crop.shape} does not match heatmap shape {h.shape}")
    if spec.signed:
        scale = np.abs(h).max()
        norm = 0.5 + 0.5 * h / scale if scale > 0 else np.full_like(h, 0.5)
    else:
        norm = np.clip(h, 0.0, 1.0)
    colour = colormaps[cmap or spec.cmap](norm)[..., :3] * 255.0
    grey = np.repeat(np.clip(crop, 0, 255)[..., None], 3, axis=2)
    return np.clip(np.rint((1.0 - alpha) * grey + alpha * colour), 0, 255).astype(np.uint8)
