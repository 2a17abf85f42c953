"""``plot_steps``: one film through every preprocessing step (the study's Figure 3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skmammo.datasets._films import PENDING, film_getter, is_by_reference
from skmammo.preprocessing._clahe import CLAHE
from skmammo.preprocessing._denoise import Denoiser
from skmammo.preprocessing._roi import ROICropper

__all__ = ["plot_steps"]


def plot_steps(
    sample: Any,
    *,
    denoiser: Denoiser | None = None,
    clahe: CLAHE | None = None,
    size: int = 224,
    figsize: tuple[float, float] = (15.0, 3.4),
):
    """Draw one sample through ``Denoiser -> CLAHE -> ROICropper``.

    Five panels: the film as scanned, denoised, after CLAHE with both crop
    boxes drawn on it (native in yellow, the study's in cyan), the native crop
    and the study's crop.

    Parameters
    ----------
    sample : DataFrame or Series
        One row of a mammogram frame (a one-row frame or ``frame.iloc[i]``).
    denoiser, clahe : estimator, optional
        The steps to show; default ``Denoiser()`` and ``CLAHE()``.
    size : int, default=224
        Side of the crops.
    figsize : (width, height), default=(15, 3.4)
        In inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not shown; save it with ``fig.savefig(...)``.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.preprocessing import plot_steps
    >>> frame = make_synthetic_mammograms(3, image_size=128, random_state=0).data
    >>> fig = plot_steps(frame.iloc[[1]], size=64)
    >>> len(fig.axes)
    5
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    if isinstance(sample, pd.Series):
        sample = sample.to_frame().T
    if not isinstance(sample, pd.DataFrame) or len(sample) != 1:
        raise ValueError("plot_steps draws one sample: pass frame.iloc[[i]] or frame.iloc[i]")
    sample = sample.copy()
    if is_by_reference(sample):  # one film: read it, the figure shows every step
        sample["image"] = [film_getter(sample, "plot_steps")[1](0)]
        sample = sample.drop(columns=[c for c in ("path", PENDING) if c in sample.columns])
    for column in ("x", "y", "radius"):
        sample[column] = sample[column].astype(np.float64)
    denoiser = Denoiser() if denoiser is None else denoiser
    clahe = CLAHE() if clahe is None else clahe
    denoised = denoiser.fit_transform(sample)
    enhanced = clahe.fit_transform(denoised)
    native = ROICropper(size=size, mode="native").fit(enhanced).crop(enhanced)
    study = ROICropper(size=size, mode="study").fit(enhanced).crop(enhanced)
    native_crop, study_crop = native.images[0], study.images[0]

    name = str(sample["film"].iloc[0]) if "film" in sample.columns else "film"
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1, 5)
    panels = [
        (sample["image"].iloc[0], f"{name}: as scanned"),
        (denoised["image"].iloc[0], f"Denoiser(mode={denoiser._mode()!r})"),
        (enhanced["image"].iloc[0], "CLAHE, crop boxes"),
        (native_crop, "ROICropper native"),
        (study_crop, "ROICropper study"),
    ]
    for ax, (image, title) in zip(axes, panels):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for crops, colour in ((native, "yellow"), (study, "cyan")):
        x0, y0, x1, y1 = crops.boxes[0]
        axes[2].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                    edgecolor=colour, linewidth=1.2))
    return fig
