"""Report figures drawn with matplotlib and returned as PNG data URIs.

Every function builds a :class:`matplotlib.figure.Figure` directly (no
``pyplot``, so no global state and no display is touched; PNGs are rendered
with the Agg canvas) and returns a ``data:image/png;base64,...`` string that
an ``<img src=...>`` embeds, keeping the HTML report one self-contained file.
matplotlib is imported on first use.

Examples
--------
>>> import numpy as np
>>> from skmammo.reporting import figures
>>> uri = figures.confusion_matrix_figure(np.array([[5, 1], [0, 4]]), ["a", "b"])
>>> uri.startswith("data:image/png;base64,")
True
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np

# The one drawing of a heatmap on its crop, as the method's registry entry says.
from skmammo.explain._overlay import overlay

__all__ = [
    "array_to_data_uri",
    "case_film_figure",
    "confusion_matrix_figure",
    "explanation_figure",
    "figure_to_data_uri",
    "history_figure",
    "history_names",
    "overlay",
    "roc_figure",
]

#: Colours of the classes normal, benign, malignant, ... (Okabe-Ito: colour-blind safe,
#: and far apart in hue and lightness: blue, orange, reddish purple, bluish green, vermillion).
CLASS_COLOURS = ("#0072B2", "#E69F00", "#CC79A7", "#009E73", "#D55E00")
#: Line styles of the classes, so the curves differ without colour too (and in grey print).
CLASS_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_to_data_uri(fig, *, dpi: int = 130) -> str:
    """Render a matplotlib figure to a PNG data URI.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default=130

    Returns
    -------
    str
        ``"data:image/png;base64,..."``.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def array_to_data_uri(image: np.ndarray) -> str:
    """Encode a ``uint8`` grey (H, W) or RGB (H, W, 3) array as a PNG data URI.

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.reporting.figures import array_to_data_uri
    >>> array_to_data_uri(np.zeros((4, 4), np.uint8))[:22]
    'data:image/png;base64,'
    """
    from PIL import Image

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def confusion_matrix_figure(
    counts: np.ndarray,
    target_names: Sequence[str],
    *,
    normalized: np.ndarray | None = None,
    title: str = "Confusion matrix",
) -> str:
    """Heatmap of a confusion matrix (rows true, columns predicted).

    With ``normalized`` two panels are drawn: counts and row-normalised.
    Non-integer counts (a mean over runs) are printed with one decimal.

    Returns
    -------
    str
        PNG data URI.
    """
    counts = np.asarray(counts, dtype=float)
    panels = [("counts", counts)]
    if normalized is not None:
        panels.append(("row-normalised (recall on the diagonal)", np.asarray(normalized, dtype=float)))
    k = len(target_names)
    fig = _figure(3.6 * len(panels), 3.3)
    # wrapped to the figure's width (about 10 characters per inch at 11 pt): never cut off
    fig.suptitle(textwrap.fill(title, width=int(10 * 3.6 * len(panels))), fontsize=11)
    integer = np.allclose(counts, np.round(counts))
    for j, (name, m) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        vmax = 1.0 if j == 1 else max(float(m.max()), 1.0)
        ax.imshow(m, cmap="Blues", vmin=0, vmax=vmax)
        for r in range(k):
            for c in range(k):
                v = m[r, c]
                text = f"{v:.2f}" if j == 1 else (f"{v:.0f}" if integer else f"{v:.1f}")
                ax.text(c, r, text, ha="center", va="center", fontsize=10,
                        color="white" if v > 0.6 * vmax else "black")
        ax.set_xticks(range(k), target_names, fontsize=8)
        ax.set_yticks(range(k), target_names, fontsize=8)
        ax.set_xlabel("predicted", fontsize=9)
        ax.set_ylabel("true", fontsize=9)
        ax.set_title(name, fontsize=9)
    return figure_to_data_uri(fig)


def roc_figure(y_true: np.ndarray, y_proba: np.ndarray, target_names: Sequence[str]) -> str:
    """One-vs-rest ROC curve of every class, with its AUC in the legend.

    Returns
    -------
    str
        PNG data URI.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y_true = np.asarray(y_true)
    fig = _figure(4.6, 3.8)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1, label="chance")
    for c, name in enumerate(target_names):
        pos = y_true == c
        if pos.all() or not pos.any():
            continue
        fpr, tpr, _ = roc_curve(pos, y_proba[:, c])
        auc = roc_auc_score(pos, y_proba[:, c])
        ax.plot(fpr, tpr, lw=2, color=CLASS_COLOURS[c % len(CLASS_COLOURS)],
                ls=CLASS_LINESTYLES[c % len(CLASS_LINESTYLES)], label=f"{name} (AUC {auc:.3f})")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curves, one class versus the rest", fontsize=10)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    return figure_to_data_uri(fig)


def history_names(history: Mapping[str, Sequence[float]]) -> list[str]:
    """The quantities :func:`history_figure` plots, in order: the loss first, at most 3.

    >>> history_names({"val_loss": [1.0], "loss": [1.1], "accuracy": [0.5], "val_accuracy": [0.4]})
    ['loss', 'accuracy']
    """
    names = [str(k) for k in history if not str(k).startswith("val_")]
    names.sort(key=lambda k: (k != "loss", k))
    return names[:3]


def history_figure(history: Mapping[str, Sequence[float]]) -> str:
    """Training curves: the quantities of :func:`history_names`, training against validation.

    Parameters
    ----------
    history : mapping of str to sequence of float
        A Keras / SciKeras ``history_`` (``loss``, ``val_loss``, ...).

    Returns
    -------
    str
        PNG data URI.
    """
    from matplotlib.ticker import MaxNLocator

    names = history_names(history)
    fig = _figure(3.4 * max(len(names), 1), 3.0)
    for j, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), j + 1)
        train = np.asarray(history[name], dtype=float)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, lw=2, color=CLASS_COLOURS[0], label="training")
        val = history.get(f"val_{name}")
        if val is not None and len(val):
            ax.plot(np.arange(1, len(val) + 1), np.asarray(val, dtype=float), lw=2, ls="--",
                    color=CLASS_COLOURS[1], label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(str(name), fontsize=10)
        ax.legend(fontsize=8)
    return figure_to_data_uri(fig)


#: The annotated lesion's outline, on the film, the crop and every overlay.
LESION_COLOUR = "#00FF66"
#: The crop box on the film.
BOX_COLOUR = "#FFD000"


def _outlined(lw: float):
    """A dark under-stroke, so a light line stays visible on light and dark pixels alike."""
    from matplotlib import patheffects

    return [patheffects.Stroke(linewidth=lw + 1.6, foreground="black"), patheffects.Normal()]


def _lesion_patch(ax, lesion: Sequence[float] | np.ndarray | None, *, lw: float = 1.6):
    """Draw the annotated lesion (pixels of the image shown): a circle ``(x, y, radius)``,
    or a boolean mask of the image's shape, outlined; the legend handle, None if absent."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    if lesion is not None and np.ndim(lesion) == 2:  # a mask: its outline
        mask = np.asarray(lesion, dtype=bool)
        if not mask.any():
            return None
        # padded by one pixel, so a lesion running into the image's edge is closed there
        padded = np.pad(mask, 1).astype(float)
        rows, cols = np.arange(-1, mask.shape[0] + 1), np.arange(-1, mask.shape[1] + 1)
        contours = ax.contour(cols, rows, padded, levels=[0.5], colors=[LESION_COLOUR],
                              linewidths=lw, linestyles="--")
        contours.set_path_effects(_outlined(lw))
        return Line2D([], [], color=LESION_COLOUR, lw=lw, ls="--", path_effects=_outlined(lw),
                      label="annotated lesion")
    if lesion is None or not np.isfinite(np.asarray(lesion, dtype=float)).all() or lesion[2] <= 0:
        return None
    x, y, r = (float(v) for v in lesion)
    return ax.add_patch(Circle((x, y), r, fill=False, ec=LESION_COLOUR, lw=lw, ls="--",
                               path_effects=_outlined(lw), label="annotated lesion"))


def case_film_figure(
    film: np.ndarray,
    *,
    x: float | None = None,
    y: float | None = None,
    radius: float | None = None,
    box: Sequence[float] | None = None,
    crop: np.ndarray | None = None,
    crop_circle: Sequence[float] | np.ndarray | None = None,
    film_mask: np.ndarray | None = None,
) -> str:
    """The whole film with the annotated ROI circle and the crop box, beside the crop.

    Coordinates are film pixels, origin top-left (see the mammogram frame).
    The crop box is drawn clipped to the film with a margin around the film,
    so all four sides stay visible when the box runs along the film's edge.

    Parameters
    ----------
    crop_circle : (x, y, radius) or bool ndarray of the crop's shape, optional
        The annotated lesion in crop pixels, a circle
        (:func:`skmammo.explain.metrics.circles_in_crop`) or a mask
        (:func:`skmammo.explain.metrics.masks_in_crop`), outlined on the crop.
    film_mask : bool ndarray of the film's shape, optional
        The annotated lesion as a mask on the film
        (:func:`skmammo.datasets.read_lesion_mask`): its outline is drawn
        instead of the circle of ``x``, ``y``, ``radius``.

    Returns
    -------
    str
        PNG data URI.
    """
    from matplotlib.patches import Rectangle

    film = np.asarray(film)
    fig = _figure(7.0 if crop is not None else 3.8, 3.6)
    ax = fig.add_subplot(1, 2 if crop is not None else 1, 1)
    ax.imshow(film, cmap="gray", vmin=0, vmax=255)
    handles = []
    if film_mask is not None:
        drawn = _lesion_patch(ax, film_mask)
        if drawn is not None:
            handles.append(drawn)
    elif x is not None and y is not None and np.isfinite([x, y]).all():
        r = radius if radius is not None and np.isfinite(radius) and radius > 0 else 8.0
        handles.append(_lesion_patch(ax, (x, y, r)))
    rows, cols = film.shape[:2]
    margin = 0.03 * max(rows, cols)  # room for a box drawn on the film's edge
    ax.set_xlim(-0.5 - margin, cols - 0.5 + margin)
    ax.set_ylim(rows - 0.5 + margin, -0.5 - margin)
    if box is not None and np.isfinite(np.asarray(box, dtype=float)).all():
        # the box's pixels run from x0 to x1 - 1: its outline lies on their outer edges,
        # clipped to the film so a box reaching past the edge (padding) is drawn where it is seen
        x0, y0, x1, y1 = (float(v) for v in box)
        x0, y0 = max(x0, 0.0) - 0.5, max(y0, 0.0) - 0.5
        x1, y1 = min(x1, cols) - 0.5, min(y1, rows) - 0.5
        handles.append(ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=BOX_COLOUR,
                                              lw=1.8, clip_on=False, path_effects=_outlined(1.8),
                                              label="crop box")))
    ax.set_title("whole film", fontsize=9)
    ax.set_axis_off()
    if handles:
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                  fontsize=7, frameon=False)
    if crop is not None:
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.imshow(np.asarray(crop), cmap="gray", vmin=0, vmax=255)
        ax2.set_title(f"crop given to the model ({crop.shape[1]}×{crop.shape[0]} px)", fontsize=9)
        drawn = _lesion_patch(ax2, crop_circle)
        if drawn is not None:
            ax2.legend(handles=[drawn], loc="lower center", bbox_to_anchor=(0.5, -0.14),
                       fontsize=7, frameon=False)
        ax2.set_xlim(-0.5, crop.shape[1] - 0.5)
        ax2.set_ylim(crop.shape[0] - 0.5, -0.5)
        ax2.set_axis_off()
    return figure_to_data_uri(fig)


def explanation_figure(
    crop: np.ndarray,
    heatmap: np.ndarray,
    method: str,
    *,
    label: str = "",
    circle: Sequence[float] | np.ndarray | None = None,
    flat: bool = False,
) -> str:
    """A heatmap with its colour bar beside its overlay on the crop (the study's Figure 8).

    The colour map and scale come from the method's registry entry (see
    :func:`skmammo.explain.get_explainer`): signed maps symmetric around 0,
    unsigned maps on [0, 1].

    Parameters
    ----------
    crop : ndarray of shape (H, W)
    heatmap : ndarray of shape (H, W)
    method : str
        A registered method name or alias.
    label : str, default=""
        Title prefix, e.g. ``get_explainer(method).label``.
    circle : (x, y, radius) or bool ndarray (H, W), optional
        The annotated lesion in crop pixels, a circle or a mask, outlined on
        both panels.
    flat : bool, default=False
        The map's weights are near zero
        (:func:`skmammo.explain.metrics.near_zero`): draw it on the fixed
        scale ``±NEAR_ZERO`` and the overlay without colour, instead of
        stretching the colours to noise.

    Returns
    -------
    str
        PNG data URI.
    """
    from skmammo.explain import get_explainer
    from skmammo.explain._overlay import colour_range
    from skmammo.explain.metrics import NEAR_ZERO

    spec = get_explainer(method)
    h = np.asarray(heatmap, dtype=float)
    fig = _figure(6.4, 2.9)
    ax = fig.add_subplot(1, 2, 1)
    vmin, vmax = (-NEAR_ZERO, NEAR_ZERO) if flat and spec.signed else colour_range(h, spec.name)
    im = ax.imshow(h, cmap=spec.cmap, vmin=vmin, vmax=vmax)
    # the CAMs are scaled to their own peak: two maps' colours compare places, not strengths
    bar_label = ("weight (+ for, − against the class)" if spec.signed
                 else "share of this map's peak")
    ax.set_title(f"{label} heatmap".strip() + (" (flat: weights near zero)" if flat else ""), fontsize=9)
    ax.set_axis_off()
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.ax.tick_params(labelsize=7)
    cb.set_label(bar_label, fontsize=7)
    ax2 = fig.add_subplot(1, 2, 2)
    ax2.imshow(overlay(crop, np.zeros_like(h) if flat else h, method))
    ax2.set_title(f"{label} overlay on the crop".strip(), fontsize=9)
    for a in (ax, ax2):
        a.set_xlim(-0.5, h.shape[1] - 0.5)
        a.set_ylim(h.shape[0] - 0.5, -0.5)
        drawn = _lesion_patch(a, circle, lw=1.3)
    if drawn is not None:
        ax2.legend(handles=[drawn], loc="lower center", bbox_to_anchor=(0.5, -0.16), fontsize=7,
                   frameon=False)
    ax2.set_axis_off()
    return figure_to_data_uri(fig)
