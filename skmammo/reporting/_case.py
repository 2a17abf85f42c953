"""The sections of a case report (one explained image), in the order they are shown.

Each entry of :data:`CASE_SECTIONS` is a :class:`~skmammo.reporting.Section`
whose ``context(builder, case)`` reads the
:class:`~skmammo.reporting.ReportBuilder` and the :class:`Case` being
reported, and returns the plain values its macro in
``reports/templates/_case_sections.html`` shows, or ``None``.  The
explainers shown are the ones the builder's ``explanations`` hold, in their
order, each named and coloured by its entry in the explainer registry
(:func:`skmammo.explain.get_explainer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from skmammo.datasets import read_film
from skmammo.explain import get_explainer
from skmammo.reporting import figures
from skmammo.reporting._common import heatmap, label, short
from skmammo.reporting._section import Section
from skmammo.reporting._templates import _num

__all__ = ["CASE_SECTIONS", "Case"]


@dataclass(frozen=True)
class Case:
    """One explained image, as every case-report section reads it.

    Attributes
    ----------
    index : int
        Row of the builder's ``cases``.
    row : Series
        That mammogram-frame row.
    proba : ndarray of shape (n_classes,)
        Class probabilities (from the explanations).
    pred, true : int
        Predicted and true class.
    crop : ndarray
        The crop given to the model.
    box : ndarray of shape (4,) or None
        The crop box on the film, when the explanations carry it.
    """

    index: int
    row: pd.Series
    proba: np.ndarray
    pred: int
    true: int
    crop: np.ndarray
    box: np.ndarray | None

    @classmethod
    def of(cls, builder, i: int) -> Case:
        """Case ``i`` of a :class:`~skmammo.reporting.ReportBuilder`."""
        proba = builder._case_proba()[i]
        boxes = builder._boxes()
        return cls(index=i, row=builder.cases.iloc[i], proba=proba, pred=int(proba.argmax()),
                   true=int(builder.case_target[i]), crop=builder._crops()[i],
                   box=None if boxes is None else boxes[i])

    def get(self, column: str) -> Any:
        """The row's value in ``column``; None when missing or NaN."""
        v = self.row.get(column) if column in self.row.index else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    @property
    def film(self) -> str:
        return str(self.row["film"])


def _result(b, case: Case) -> dict:
    """True and predicted class, and the class probabilities."""
    return {
        "true_class": b.target_names[case.true],
        "pred_class": b.target_names[case.pred],
        "correct": case.pred == case.true,
        "probabilities": [
            {"name": n, "p": float(p), "is_pred": j == case.pred, "is_true": j == case.true}
            for j, (n, p) in enumerate(zip(b.target_names, case.proba))
        ],
    }


def _film(b, case: Case) -> dict:
    """The whole film with the lesion circle and the crop box, beside the crop."""
    row = case.row
    if "image" in row.index:
        film = np.asarray(row["image"])
    else:  # a frame of films on disk: read this one film, as scanned
        film = read_film(row["path"], f"film {row['film']}")
    uri = figures.case_film_figure(film, x=case.get("x"), y=case.get("y"), radius=case.get("radius"),
                                   box=case.box, crop=case.crop)
    return {"uri": uri, "film": case.film,
            "has_lesion": case.get("x") is not None and case.get("y") is not None}


def _provenance(b, case: Case) -> dict:
    """The film's annotation, and where the report comes from."""
    def fmt(v):
        if v is None:
            return "–"
        return _num(v, 0) if isinstance(v, (float, np.floating)) else str(v)

    annotation = [(col, fmt(case.get(col))) for col in ("patient", "side", "tissue", "abnormality", "severity")]
    x, y = case.get("x"), case.get("y")
    annotation.append(("lesion centre x, y (px)", "–" if x is None or y is None else f"{x:.0f}, {y:.0f}"))
    annotation.append(("lesion radius (px)", fmt(case.get("radius"))))
    common = b._common()
    return {
        "film": case.film,
        "annotation": annotation,
        "provenance": [("model", common["model_name"]), ("data set", b.dataset), ("film", case.film),
                       ("skmammo", common["skmammo_version"]), ("report date", common["created"])],
    }


def _and(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _explanations(b, case: Case) -> dict:
    """Every explanation's heatmap beside its overlay, in the order given."""
    explainers = []
    shows: dict[str, list[str]] = {}  # what a map shows -> the methods whose maps show it
    for method, e in b.explanations.items():
        h = heatmap(e, case.index, case.pred)
        targets = getattr(e, "targets", None)
        target = case.pred if targets is None or np.ndim(targets) > 1 else int(np.asarray(targets)[case.index])
        name = label(method)
        explainers.append({
            "label": name,
            "uri": figures.explanation_figure(case.crop, h, method, label=name),
            "target": b.target_names[target],
            "seconds": getattr(e, "seconds_per_image", float("nan")),
        })
        shows.setdefault(get_explainer(method).shows, []).append(name)
    described = [{"methods": _and(names), "verb": "shows" if len(names) == 1 else "show",
                  "what": what} for what, names in shows.items()]
    return {"explainers": explainers, "described": described}


def _explainer_params(b, case: Case) -> dict | None:
    """Each explainer's parameters (sample counts, seeds, ...), when it reports them."""
    rows = [
        (label(method), ", ".join(f"{k}={short(v, 70)}" for k, v in params.items()))
        for method, e in b.explanations.items()
        if (params := getattr(e, "params", None) or {})
    ]
    return {"rows": rows} if rows else None


#: The sections of a case report, in order (see :class:`~skmammo.reporting.Section`).
CASE_SECTIONS: list[Section] = [
    Section("result", _result, css_class="keep"),
    Section("film", _film, parent="result"),
    Section("provenance", _provenance),
    Section("explanations", _explanations, css_class="page"),
    Section("explainer_params", _explainer_params, parent="explanations"),
]
