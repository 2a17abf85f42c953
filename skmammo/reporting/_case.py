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

from skmammo.datasets import code_words
from skmammo.datasets._films import film_getter
from skmammo.explain import get_explainer
from skmammo.explain.metrics import (
    EDGE_FLAG,
    border_share,
    circles_in_crop,
    has_lesion_masks,
    masks_in_crop,
    near_zero,
    padding_share,
)
from skmammo.reporting import figures
from skmammo.reporting._common import calibration_text, heatmap, label, short
from skmammo.reporting._section import Section
from skmammo.reporting._templates import _num

__all__ = ["CASE_SECTIONS", "Case", "case_label", "case_stem"]


def _lesion_number(row: pd.Series) -> int | None:
    """The row's ``lesion`` number (the abnormality's place on its film), if the frame has one."""
    v = row.get("lesion") if "lesion" in row.index else None
    try:
        return None if v is None or pd.isna(v) else int(v)
    except (TypeError, ValueError):
        return None


def _centre(row: pd.Series) -> tuple[float, float] | None:
    x, y = (row.get(c) if c in row.index else None for c in ("x", "y"))
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        return None
    return (x, y) if np.isfinite([x, y]).all() else None


def case_stem(row: pd.Series) -> str:
    """The case's name, from the row alone: ``mdb226-lesion2``, ``mdb001`` for a normal film.

    A lesion is named by its film and its ``lesion`` number (the data set's
    own order of abnormalities on that film), or, in a frame without that
    column, by its centre (``mdb226-x512-y300``), so the name never depends
    on which other rows were given or their order.  Rows without a lesion
    keep the film's id.

    Examples
    --------
    >>> import pandas as pd
    >>> case_stem(pd.Series({"film": "mdb226", "x": 1.0, "y": 2.0, "lesion": 2}))
    'mdb226-lesion2'
    >>> case_stem(pd.Series({"film": "f7", "x": 511.6, "y": 300.0}))
    'f7-x512-y300'
    >>> case_stem(pd.Series({"film": "mdb003", "x": float("nan"), "y": float("nan"), "lesion": 0}))
    'mdb003'
    """
    film, lesion = _naming(row)
    return film if lesion is None else f"{film}-{lesion[0]}"


def case_label(row: pd.Series) -> str:
    """How captions name a case: ``"mdb226 lesion 2"``, ``"f7 lesion at x 512, y 300"``, ``"mdb003"``.

    Examples
    --------
    >>> import pandas as pd
    >>> case_label(pd.Series({"film": "mdb226", "x": 1.0, "y": 2.0, "lesion": 2}))
    'mdb226 lesion 2'
    """
    film, lesion = _naming(row)
    return film if lesion is None else f"{film} {lesion[1]}"


def _naming(row: pd.Series) -> tuple[str, tuple[str, str] | None]:
    """The film, and the lesion as ``(file-name part, caption part)`` (None: a normal film)."""
    film, number, centre = str(row["film"]), _lesion_number(row), _centre(row)
    if number:
        return film, (f"lesion{number}", f"lesion {number}")
    if centre is not None and number is None:
        x, y = f"{centre[0]:.0f}", f"{centre[1]:.0f}"
        return film, (f"x{x}-y{y}", f"lesion at x {x}, y {y}")
    return film, None


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
        Predicted and true class; the predicted class is the top recalibrated
        probability's when there is a calibration (the summary's prediction).
    crop : ndarray
        The crop given to the model.
    box : ndarray of shape (4,) or None
        The crop box on the film, when the explanations carry it.
    image : ndarray
        The whole film (read once, for frames of films on disk).
    calibrated : ndarray of shape (n_classes,) or None
        Recalibrated probabilities, with the builder's ``calibration``.
    prediction_set : list of str or None
        The classes in the case's prediction set, with ``calibration``.
    film_mask, crop_mask : ndarray or None
        The annotated lesion as a mask on the film and in the crop, for
        frames that hold lesion masks or boxes (CBIS-DDSM, VinDr-Mammo;
        :func:`~skmammo.explain.metrics.has_lesion_masks`); None otherwise,
        and the reports draw the circle.
    """

    index: int
    row: pd.Series
    proba: np.ndarray
    pred: int
    true: int
    crop: np.ndarray
    box: np.ndarray | None
    image: np.ndarray
    calibrated: np.ndarray | None = None
    prediction_set: list[str] | None = None
    film_mask: np.ndarray | None = None
    crop_mask: np.ndarray | None = None

    @classmethod
    def of(cls, builder, i: int) -> Case:
        """Case ``i`` of a :class:`~skmammo.reporting.ReportBuilder`."""
        proba = builder._case_proba()[i]
        boxes = builder._boxes()
        row = builder.cases.iloc[i]
        if "image" in row.index:
            image = np.asarray(row["image"])
        else:  # a frame of films on disk: read this one film as the frame holds it (its
            # pending operations applied: a loader's read-time Resample sets the pixel
            # grid the coordinates are in)
            image = film_getter(builder.cases.iloc[[i]], "case report")[1](0)
        film_mask = crop_mask = None
        if has_lesion_masks(builder.cases):
            from skmammo.datasets import read_lesion_mask

            film_mask = read_lesion_mask(builder.cases, i)
            if boxes is not None:
                crop_mask = masks_in_crop(builder.cases.iloc[[i]], boxes[[i]],
                                          np.shape(builder._crops()[i])[:2],
                                          film_masks=[film_mask])[0]
        calibrated = prediction_set = None
        if builder.calibration is not None:  # the case's own row of the test set
            test_row = int(builder.case_rows[i])
            calibrated = np.asarray(builder.calibration.calibrated.y_proba[test_row], dtype=float)
            prediction_set = builder.calibration.set_labels(test_row)
        reported = proba if calibrated is None else calibrated
        return cls(index=i, row=row, proba=proba, pred=int(reported.argmax()),
                   true=int(builder.case_target[i]), crop=builder._crops()[i],
                   box=None if boxes is None else boxes[i], image=image,
                   calibrated=calibrated, prediction_set=prediction_set,
                   film_mask=film_mask, crop_mask=crop_mask)

    @property
    def circle(self) -> tuple[float, float, float] | None:
        """The annotated lesion ``(x, y, radius)`` in crop pixels; None for a normal film,
        an unknown radius or no crop box (then the crop's place on the film is unknown)."""
        x, y, r = self.get("x"), self.get("y"), self.get("radius")
        if self.box is None or None in (x, y, r):
            return None
        cx, cy, cr = circles_in_crop(np.asarray([self.box], dtype=float), [x], [y], [r],
                                     np.shape(self.crop)[:2])
        out = (float(cx[0]), float(cy[0]), float(cr[0]))
        return out if np.isfinite(out).all() and out[2] > 0 else None

    @property
    def lesion(self) -> tuple[float, float, float] | np.ndarray | None:
        """The annotated lesion as the crop's panels draw it: the mask in the crop where the
        frame holds masks (None when the lesion misses the crop), else :attr:`circle`."""
        if self.crop_mask is not None:
            return self.crop_mask if self.crop_mask.any() else None
        return None if self.film_mask is not None else self.circle

    def get(self, column: str) -> Any:
        """The row's value in ``column``; None when missing or NaN."""
        v = self.row.get(column) if column in self.row.index else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    @property
    def film(self) -> str:
        return str(self.row["film"])


def _result(b, case: Case) -> dict:
    """True and predicted class, the class probabilities (the model's own and, with a
    calibration, the recalibrated ones) and the prediction set."""
    calibrated = case.calibrated if case.calibrated is not None else [None] * len(case.proba)
    out = {
        "true_class": b.target_names[case.true],
        "pred_class": b.target_names[case.pred],
        "correct": case.pred == case.true,
        "probabilities": [
            {"name": n, "p": float(p), "p_cal": None if c is None else float(c),
             "is_pred": j == case.pred, "is_true": j == case.true}
            for j, (n, p, c) in enumerate(zip(b.target_names, case.proba, calibrated))
        ],
        "calibrated": case.calibrated is not None,
        # sigmoid and isotonic recalibration can change the top class; temperature cannot
        "own_pred_class": (None if int(np.argmax(case.proba)) == case.pred
                           else b.target_names[int(np.argmax(case.proba))]),
        "set": None,
    }
    if case.prediction_set is not None:
        out.update(calibration_text(b.calibration.calibration, b.target_names))
        out["set"] = "{" + ", ".join(case.prediction_set) + "}"
        out["set_size"] = len(case.prediction_set)
        out["true_in_set"] = b.target_names[case.true] in case.prediction_set
    return out


def _film(b, case: Case) -> dict:
    """The whole film with the lesion circle and the crop box, beside the crop (circle drawn)."""
    uri = figures.case_film_figure(case.image, x=case.get("x"), y=case.get("y"),
                                   radius=case.get("radius"), box=case.box, crop=case.crop,
                                   crop_circle=case.lesion, film_mask=case.film_mask)
    outline = _outline(case)
    return {"uri": uri, "film": case.film, "label": case_label(case.row),
            "has_lesion": case.get("x") is not None and case.get("y") is not None,
            "circle_on_crop": case.lesion is not None, "outline": outline,
            "outline_text": OUTLINE_TEXT[outline]}


#: How the film's caption names each kind of drawn lesion.
OUTLINE_TEXT = {"circle": "circle, the data set's centre and radius",
                "mask": "outline of the data set's lesion mask",
                "box": "outline of the data set's finding box"}


def _outline(case: Case) -> str:
    """What the green dashed line traces: the data set's circle, mask or box."""
    if case.film_mask is None:
        return "circle"
    return "mask" if case.get("mask_path") else "box"


def _provenance(b, case: Case) -> dict:
    """The film's annotation, and where the report comes from."""
    def fmt(v):
        if v is None:
            return "–"
        return _num(v, 0) if isinstance(v, (float, np.floating)) else str(v)

    annotation = [(col, fmt(case.get(col))) for col in ("patient", "side", "view")]
    annotation += [(name, code_words(col, case.get(col)) or "–") for col, name in
                   (("tissue", "background tissue"), ("abnormality", "abnormality class"),
                    ("severity", "severity"))]
    if _lesion_number(case.row):
        annotation.append(("lesion on this film", f"number {_lesion_number(case.row)}"))
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


def _notes(case: Case, h: np.ndarray, signed: bool) -> tuple[bool, list[str]]:
    """Whether the map is drawn flat, and the warnings shown under it (see
    :mod:`skmammo.explain.metrics._artefacts`)."""
    notes = []
    flat = signed and near_zero(h)
    if flat:
        notes.append("Weights near zero (all below 0.001 in class probability): the model is "
                     "saturated, its output hardly changes when regions are hidden; the map is "
                     "drawn flat rather than stretching noise.")
    if not signed and not np.nan_to_num(h).max(initial=0.0) > 0:
        notes.append("The map is empty: no positive evidence for this class.")
    border, peak = border_share(h), border_share(h, top=0.05)
    if (border > EDGE_FLAG or peak > EDGE_FLAG) and not flat:  # NaN (no positive mass) never is
        where = (f"{border:.0%} of this map's positive weight" if border > EDGE_FLAG
                 else f"{peak:.0%} of its hottest 5% of pixels")
        notes.append(f"Most of this map's weight lies on the crop border ({where} in the outer "
                     "10% frame, 36% of the area): likely an artefact, not tissue.")
    if case.box is not None and not flat:
        pad = padding_share(h, case.box, case.image.shape[:2])
        if pad > EDGE_FLAG:
            notes.append(f"Most of this map's weight lies on padding ({pad:.0%} of its positive "
                         "weight on the part of the crop outside the film): likely an artefact, "
                         "not tissue.")
    return flat, notes


def _panel(b, case: Case, method: str, h: np.ndarray, target: int, kind: str) -> dict:
    spec, name = get_explainer(method), label(method)
    flat, notes = _notes(case, h, spec.signed)
    return {
        "label": name,
        "kind": kind,
        "uri": figures.explanation_figure(case.crop, h, method, label=name, circle=case.lesion,
                                          flat=flat),
        "target": b.target_names[target],
        "notes": notes,
        "flagged": bool(notes),
    }


def _explanations(b, case: Case) -> dict:
    """Every explanation's heatmap beside its overlay, in the order given; for a
    misclassified case also the true class's map, where the explanation holds it."""
    explainers = []
    shows: dict[str, list[str]] = {}  # what a map shows -> the methods whose maps show it
    missing_true = []
    wrong = case.pred != case.true
    for method, e in b.explanations.items():
        h = heatmap(e, case.index, case.pred)
        targets = getattr(e, "targets", None)
        target = case.pred if targets is None or np.ndim(targets) > 1 else int(np.asarray(targets)[case.index])
        panels = [_panel(b, case, method, h, target, "predicted" if target == case.pred else "explained")]
        if wrong and target != case.true:
            if np.ndim(e.heatmaps[case.index]) == 3:  # one map per class: the true class's is there
                panels.append(_panel(b, case, method, heatmap(e, case.index, case.true), case.true, "true"))
            else:
                missing_true.append(label(method))
        for p in panels:
            p["seconds"] = getattr(e, "seconds_per_image", float("nan"))
        explainers.extend(panels)
        shows.setdefault(get_explainer(method).shows, []).append(label(method))
    described = [{"methods": _and(names), "verb": "shows" if len(names) == 1 else "show",
                  "what": what} for what, names in shows.items()]
    return {"explainers": explainers, "described": described, "wrong": wrong,
            "true_class": b.target_names[case.true], "pred_class": b.target_names[case.pred],
            "missing_true": _and(missing_true) if missing_true else "", "n_missing": len(missing_true),
            "n_true": sum(p["kind"] == "true" for p in explainers),
            "circle": case.lesion is not None, "outline": _outline(case)}


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
    Section("explanations", _explanations),  # flows on after the annotation
    Section("explainer_params", _explainer_params, parent="explanations"),
]
