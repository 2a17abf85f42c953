"""The scan report's film figure: the film, its map, its candidates and their explanations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skmammo.reporting.figures import BOX_COLOUR, _figure, _outlined, figure_to_data_uri

__all__ = ["scan_film_figure"]


def _boxes(ax, boxes: Sequence[tuple], shape: tuple[int, int]) -> None:
    """Number every candidate: ``(rank, x0, y0, x1, y1, explained)`` in shown pixels.

    An explained candidate's window is drawn as a box, numbered at its
    corner; the others as a numbered mark at the window's centre (their
    windows would cover the film).
    """
    from matplotlib.patches import Rectangle

    rows, cols = shape
    label = {"color": "black", "fontsize": 6.5, "ha": "left", "va": "top",
             "bbox": {"boxstyle": "square,pad=0.15", "fc": BOX_COLOUR, "ec": "none"}}
    for rank, x0, y0, x1, y1, explained in boxes:
        if not explained:
            ax.text((x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5, str(rank),
                    **{**label, "ha": "center", "va": "center", "fontsize": 5.5,
                       "bbox": {"boxstyle": "circle,pad=0.2", "fc": "white", "ec": BOX_COLOUR}})
            continue
        x0, y0 = max(x0, 0.0) - 0.5, max(y0, 0.0) - 0.5
        x1, y1 = min(x1, cols) - 0.5, min(y1, rows) - 0.5
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=BOX_COLOUR, lw=1.4,
                               path_effects=_outlined(1.4)))
        ax.text(x0 + 1, y0 + 1, str(rank), **label)


def scan_film_figure(film: np.ndarray, abnormal: np.ndarray, boxes: Sequence[tuple], *,
                     heat: np.ndarray | None = None, heat_mask: np.ndarray | None = None,
                     method: str | None = None, map_label: str = "abnormality") -> str:
    """One film of a scan: the film, its map, and the explained candidates' heatmaps on it.

    Parameters
    ----------
    film : ndarray of shape (rows, cols)
        The film as shown (possibly shrunk for the report).
    abnormal : ndarray of shape (rows, cols)
        The map drawn over the film, in [0, 1] (the abnormality ``1 - P(normal)``).
    boxes : sequence of (rank, x0, y0, x1, y1, explained)
        The candidates' windows in the shown film's pixels, numbered by rank:
        explained ones drawn as boxes, the others as numbered marks at their centre.
    heat : ndarray of shape (rows, cols), optional
        The explained candidates' heatmaps placed on the film
        (:meth:`skmammo.scan._explain.CandidateExplanations.film_heatmap`),
        drawn where ``heat_mask`` is True with ``method``'s colour map.
    heat_mask : ndarray of bool, optional
    method : str, optional
        The registered method of ``heat``.
    map_label : str, default="abnormality"
        The colour bar's label.

    Returns
    -------
    str
        PNG data URI.
    """
    film = np.asarray(film)
    rows, cols = film.shape
    panels = 3 if heat is not None else 2
    fig = _figure(2.45 * panels + 0.6, 2.45 * rows / cols + 0.7)
    axes = [fig.add_subplot(1, panels, k + 1) for k in range(panels)]
    margin = 0.02 * max(rows, cols)  # a window on the film's edge keeps its four sides
    for ax in axes:
        ax.imshow(film, cmap="gray", vmin=0, vmax=255)
        ax.set_xlim(-0.5 - margin, cols - 0.5 + margin)
        ax.set_ylim(rows - 0.5 + margin, -0.5 - margin)
        ax.set_axis_off()
    axes[0].set_title("film, candidates numbered", fontsize=8)
    _boxes(axes[0], boxes, (rows, cols))
    shown = axes[1].imshow(np.asarray(abnormal, dtype=float), cmap="inferno", vmin=0, vmax=1,
                           alpha=0.55)
    axes[1].set_title(f"scan map: {map_label}", fontsize=8)
    bar = fig.colorbar(shown, ax=axes[1], shrink=0.8)
    bar.ax.tick_params(labelsize=6)
    _boxes(axes[1], boxes, (rows, cols))
    if heat is not None:
        from skmammo.explain import get_explainer
        from skmammo.explain._overlay import colour_range

        spec = get_explainer(method)
        inside = np.asarray(heat_mask, bool) if heat_mask is not None else np.ones_like(heat, bool)
        vmin, vmax = colour_range(np.asarray(heat)[inside] if inside.any() else heat, spec.name)
        drawn = axes[2].imshow(np.ma.masked_where(~inside, heat), cmap=spec.cmap, vmin=vmin,
                               vmax=vmax, alpha=0.6)
        axes[2].set_title(f"{spec.label} of the explained candidates", fontsize=8)
        bar = fig.colorbar(drawn, ax=axes[2], shrink=0.8)
        bar.ax.tick_params(labelsize=6)
        _boxes(axes[2], [b for b in boxes if b[5]], (rows, cols))
    return figure_to_data_uri(fig)
