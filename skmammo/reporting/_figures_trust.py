"""Figures of the trust sections: the reliability diagram and the sanity-check curves.

Same conventions as :mod:`skmammo.reporting.figures` (its colours, sizes and
PNG data URIs), kept apart so each module stays small.
"""

from __future__ import annotations

from collections.abc import Mapping

from skmammo.reporting.figures import (
    CLASS_COLOURS,
    CLASS_LINESTYLES,
    _figure,
    figure_to_data_uri,
)

__all__ = ["reliability_figure", "sanity_figure"]


def reliability_figure(table, *, title: str = "Reliability, test set") -> str:
    """The top-label reliability diagram of :func:`skmammo.evaluation.reliability_table`.

    One bar per non-empty bin at its accuracy, the diagonal where a
    calibrated model's bars would end, and each bin's row count on its bar.

    Returns
    -------
    str
        PNG data URI.
    """
    fig = _figure(4.6, 3.8)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1, label="calibrated")
    width = (table["high"] - table["low"]).to_numpy(float)
    ax.bar(table["low"], table["accuracy"], width=width, align="edge", color=CLASS_COLOURS[0],
           alpha=0.75, edgecolor="white", label="accuracy of the bin")
    ax.plot(table["confidence"], table["confidence"], "o", color="black", ms=3,
            label="mean confidence of the bin")
    for low, w, acc, n in zip(table["low"], width, table["accuracy"], table["n"]):
        ax.text(low + w / 2, min(acc, 0.93) + 0.02, str(int(n)), ha="center", fontsize=7)
    ax.set_xlabel("probability of the predicted class")
    ax.set_ylabel("share predicted right")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=8)
    return figure_to_data_uri(fig)


def sanity_figure(tables: Mapping[str, object], *, threshold: float) -> str:
    """Similarity of each method's maps to the trained model's as layers are randomised.

    Parameters
    ----------
    tables : mapping of label to DataFrame
        :func:`skmammo.explain.randomization_test` tables (``layer``,
        ``spearman``, ``ssim``), one per method, rows from the top layer down.
    threshold : float
        The pass line: a method passes when its last Spearman is below it.

    Returns
    -------
    str
        PNG data URI: Spearman (solid) and SSIM (dotted) per method against
        the number of randomised layers, the untouched model at 0.
    """
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot()
    layers: list[str] = []
    for i, (name, t) in enumerate(tables.items()):
        colour = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        steps = list(range(len(t) + 1))
        ax.plot(steps, [1.0, *t["spearman"]], color=colour, ls=CLASS_LINESTYLES[0], marker="o",
                ms=3, label=f"{name}: rank correlation")
        ax.plot(steps, [1.0, *t["ssim"]], color=colour, ls=":", marker="s", ms=2.5,
                label=f"{name}: SSIM")
        if len(t["layer"]) > len(layers):
            layers = list(t["layer"])
    ax.axhline(threshold, color="grey", lw=0.8, ls="--")
    ax.text(0.02, threshold + 0.02, "pass line", color="grey", fontsize=7,
            transform=ax.get_yaxis_transform())
    ax.set_xticks(range(len(layers) + 1))
    ax.set_xticklabels(["trained", *(f"+{name}" for name in layers)], rotation=30, ha="right",
                       fontsize=7)
    ax.set_xlabel("layers randomised, from the top")
    ax.set_ylabel("similarity to the trained model's maps")
    ax.set_ylim(-0.2, 1.05)
    ax.legend(fontsize=7, loc="upper right", ncol=1 if len(tables) < 3 else 2)
    return figure_to_data_uri(fig)
