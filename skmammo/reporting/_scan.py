"""The scan report: film scores, then one page per film with its map, candidates and explanations.

:class:`ScanReport` renders ``reports/templates/scan.html`` from a
:class:`~skmammo.scan.FilmScan`, the frame that was scanned, the explained
candidates (:func:`skmammo.scan.explain_candidates`) and the model
file's header (:func:`skmammo.model_file.read_model_info`).  Like the other
reports it is a list of sections (:data:`SCAN_SECTIONS` once,
:data:`SCAN_FILM_SECTIONS` per film), each one :class:`Section` plus one
macro in ``_scan_sections.html``.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from skmammo.datasets._films import film_getter
from skmammo.reporting._builder import DISCLAIMER
from skmammo.reporting._common import label, table, versions
from skmammo.reporting._section import Section, lay_out
from skmammo.reporting._templates import pdf_bytes, render
from skmammo.scan import scanned_films
from skmammo.utils import OutputFolder

__all__ = ["SCAN_FILM_SECTIONS", "SCAN_SECTIONS", "ScanReport"]

logger = logging.getLogger(__name__)

#: Longest side, in pixels, of a film as the report draws it (larger films are shrunk).
SHOWN_SIDE = 800


class ScanReport:
    """Render the HTML and PDF report of a whole-film scan.

    The report opens with the model (classes, window, training data and the
    versions that wrote it, from the model file's header), how the scan
    scores a film and a table of every film's scores; then one page per
    film: the film with its candidates numbered, the scan's abnormality map
    (``1 - P(normal)``, the quantity the candidates are ranked by) over the
    film, the explained candidates' heatmaps placed on the film, the table
    of candidates, and each explained candidate's crop with every method's
    heatmap and overlay.  Every page says it is research software, not a
    diagnosis.

    Parameters
    ----------
    scan : FilmScan
        :meth:`skmammo.pipeline.MammoPipeline.scan` output.
    films : DataFrame
        The frame that was scanned (the films are drawn from it).
    explained : CandidateExplanations, optional
        :func:`skmammo.scan.explain_candidates` of the same scan.
    model_info : dict, optional
        The model file's header (:func:`skmammo.model_file.read_model_info`,
        or a loaded model's ``model_info_``).
    class_names : list of str, optional
        One name per class of ``scan.classes`` (default:
        :func:`skmammo.model_file.class_names`).
    title : str, default="skmammo scan report"
    created : datetime, optional
        Date printed on the report (default: now, UTC).

    Examples
    --------
    >>> report = ScanReport(scan, films, explained=explained)  # doctest: +SKIP
    >>> paths = report.write("scan_out")  # report.html, report.pdf  # doctest: +SKIP
    """

    def __init__(self, scan: Any, films: pd.DataFrame, *, explained: Any = None,
                 model_info: dict | None = None, class_names: list[str] | None = None,
                 title: str = "skmammo scan report", created: _dt.datetime | None = None):
        from skmammo.model_file import class_names as names_of

        self.scan, self.films, self.explained = scan, films, explained
        self.model_info = dict(model_info or {})
        self.class_names = list(class_names or names_of(scan.classes))
        if len(self.class_names) != len(scan.classes):
            raise ValueError(f"class_names has {len(self.class_names)} names for "
                             f"{len(scan.classes)} classes")
        self.title = str(title)
        self.created = created or _dt.datetime.now(_dt.timezone.utc)
        _, self._get = film_getter(films, "scan report")
        rows, ids = scanned_films(films, "scan report")
        self._row = dict(zip(ids.tolist(), rows))
        missing = [f for f in scan.films.tolist() if f not in self._row]
        if missing:
            raise ValueError(f"the scan's film(s) {missing[:3]} are not in films; pass the frame "
                             "that was scanned")

    def name(self, label_: Any) -> str:
        """A class label's name."""
        return self.class_names[list(self.scan.classes.tolist()).index(label_)]

    def context(self) -> dict[str, Any]:
        """Everything the template shows, as plain values."""
        found = versions()
        return {
            "title": self.title, "created": self.created.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "disclaimer": DISCLAIMER, "versions": found,
            "skmammo_version": dict(found).get("skmammo", "unknown"),
            "n_films": len(self.scan), "n_candidates": len(self.scan.candidates),
            "sections": lay_out(SCAN_SECTIONS, self),
            "films": [{"film": str(f), "sections": lay_out(SCAN_FILM_SECTIONS, self, k)}
                      for k, f in enumerate(self.scan.films.tolist())],
        }

    def html(self) -> str:
        """The report as one self-contained HTML string."""
        return render("scan.html", self.context())

    def files(self, *, pdf: bool = True) -> dict[str, str | bytes]:
        """The report's files, rendered in memory: ``report.html`` (and ``report.pdf``)."""
        html = self.html()
        return {"report.html": html, **({"report.pdf": pdf_bytes(html)} if pdf else {})}

    def write(self, out: str | os.PathLike | OutputFolder, *, pdf: bool = True,
              overwrite: bool = False) -> dict[str, Any]:
        """Write ``report.html`` (and ``report.pdf``) into ``out``.

        Both are rendered before either is written, each written atomically.
        ``out`` is a folder under skmammo's output-folder policy
        (:class:`skmammo.utils.OutputFolder`; a path is opened and finished
        here), or an open ``OutputFolder`` left to the caller.

        Returns
        -------
        dict
            ``html`` and ``pdf`` (None without ``pdf``): the paths written.
        """
        if not isinstance(out, OutputFolder):
            with OutputFolder(out, overwrite=overwrite) as folder:
                return self.write(folder, pdf=pdf)
        files = self.files(pdf=pdf)
        return {"html": out.write("report.html", files["report.html"]),
                "pdf": out.write("report.pdf", files["report.pdf"]) if pdf else None}


# -- the opening sections ---------------------------------------------------
def _model(r: ScanReport) -> dict:
    """The model: estimator, classes, window, calibration, training data, versions."""
    info = r.model_info
    window = info.get("window") or {}
    data = info.get("training_data") or {}
    rows = [("estimator", str(info.get("estimator", "–"))),
            ("classes", ", ".join(r.class_names)),
            ("window", (f"{window['window_mm']:g} mm, {window['size']} network pixels "
                        f"(mode {window['mode']})") if window.get("window_mm") else "–"),
            ("recalibrated", ("yes: " + str((info.get("calibration") or {}).get("method")))
             if info.get("recalibrated") else "no"),
            ("training data", str(data.get("description") or "–"))]
    for key in ("rows", "films", "patients", "pixel_mm"):
        if data.get(key) is not None:
            rows.append((f"training {key.replace('_', ' ')}", str(data[key])))
    if data.get("class_counts"):
        rows.append(("training class counts", ", ".join(
            f"{r.class_names[int(k)] if str(k).isdigit() and int(k) < len(r.class_names) else k}"
            f" {v}" for k, v in data["class_counts"].items())))
    if info.get("created"):
        rows.append(("model file written", str(info["created"])))
    written = ", ".join(f"{k} {v}" for k, v in (info.get("versions") or {}).items() if v)
    return {"rows": rows, "written_by": written or "–",
            "versions": ", ".join(f"{k} {v}" for k, v in versions())}


def _rule(r: ScanReport) -> dict:
    """How the scan scored the films and found candidates."""
    e = r.explained
    methods = [label(m) for m in e.methods] if e is not None else []
    distance = r.scan.min_distance
    return {"top_k": r.scan.top_k, "exact": bool(r.scan.exact),
            "apart": "half a window" if distance is None else f"{distance:g} film pixels",
            "min_score": r.scan.min_score,
            "calibrated": bool(r.scan.calibrated), "methods": ", ".join(methods),
            "n_explained": None if e is None else int(e.candidates.groupby("film").size().max()
                                                      if len(e) else 0)}


def _scores(r: ScanReport) -> dict:
    """One row per film: its score per class, its candidates and the top candidate's score."""
    s = r.scan
    frame = pd.DataFrame(s.scores, columns=r.class_names, index=[str(f) for f in s.films])
    counts = s.candidates.groupby("film").size()
    top = s.candidates.groupby("film")["score"].max()
    frame["candidates"] = [int(counts.get(f, 0)) for f in s.films]
    frame["top candidate"] = [top.get(f, np.nan) for f in s.films]
    return {"table": table(frame, index_name="film")}


SCAN_SECTIONS: list[Section] = [
    Section("scan_model", _model, css_class="keep"),
    Section("scan_rule", _rule),
    Section("scan_scores", _scores),
]


# -- one page per film --------------------------------------------------------
def _shown(r: ScanReport, k: int) -> tuple[np.ndarray, float, np.ndarray]:
    """The film as drawn (shrunk to SHOWN_SIDE), its scale and its abnormality map at that size."""
    import cv2

    from skmammo.scan._result import normal_column

    film = r._get(r._row[r.scan.films[k]])
    rows, cols = film.shape
    scale = min(1.0, SHOWN_SIDE / max(rows, cols))
    shape = (max(1, round(rows * scale)), max(1, round(cols * scale)))
    if scale < 1:
        film = cv2.resize(film, shape[::-1], interpolation=cv2.INTER_AREA)
    grid = r.scan.grids[k]
    small = replace(grid, x=(grid.x + 0.5) * shape[1] / cols - 0.5,
                    y=(grid.y + 0.5) * shape[0] / rows - 0.5, shape=shape)
    probs = small.to_map()
    normal = normal_column(r.scan.classes)
    abnormal = 1 - probs[..., normal] if normal is not None else probs.max(axis=-1)
    return film, scale, abnormal


def _film(r: ScanReport, k: int) -> dict:
    """The film, its map and its explained candidates' heatmaps, candidates numbered."""
    import cv2

    from skmammo.reporting._figures_scan import scan_film_figure

    film_id = r.scan.films[k]
    film, scale, abnormal = _shown(r, k)
    found = r.scan.candidates[r.scan.candidates["film"] == film_id]
    e = r.explained
    n_explained = 0 if e is None else int((e.candidates["film"] == film_id).sum())
    boxes = [(rank, c.x0 * scale, c.y0 * scale, c.x1 * scale, c.y1 * scale, rank <= n_explained)
             for rank, c in enumerate(found.itertuples(index=False), start=1)]
    heat = mask = method = None
    if n_explained:
        method = e.methods[0]
        size = film.shape[::-1]
        heat = cv2.resize(e.film_heatmap(film_id, method), size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(e.mask(film_id).astype(np.uint8), size,
                          interpolation=cv2.INTER_NEAREST).astype(bool)
    uri = scan_film_figure(film, abnormal, boxes, heat=heat, heat_mask=mask, method=method,
                           map_label="abnormality, 1 − P(normal)")
    i = r.scan.films.tolist().index(film_id)
    scores = ", ".join(f"{n} {v:.3f}" for n, v in zip(r.class_names, r.scan.scores[i]))
    return {"film": str(film_id), "uri": uri, "scores": scores, "n_candidates": len(found),
            "n_explained": n_explained, "method": label(method) if method else "",
            "shrunk": scale < 1, "peak": float(np.max(abnormal)),
            # film_scores falls back to every window when no window centre is in the breast
            "no_breast": not bool(np.any(r.scan.grids[i].inside))}


def _candidates(r: ScanReport, k: int) -> dict | None:
    """The film's candidates: place, class, abnormality and class probabilities."""
    film_id = r.scan.films[k]
    found = r.scan.candidates[r.scan.candidates["film"] == film_id]
    if found.empty:
        return None
    frame = pd.DataFrame({"x": found["x"].round().astype(int).to_numpy(),
                          "y": found["y"].round().astype(int).to_numpy(),
                          "class": [r.name(c) for c in found["class"]],
                          "abnormality": found["score"].to_numpy()},
                         index=[str(i) for i in range(1, len(found) + 1)])
    for c, n in zip(r.scan.classes.tolist(), r.class_names):
        frame[f"P({n})"] = found[f"p_{c}"].to_numpy()
    return {"table": table(frame, index_name="#")}


def _explanations(r: ScanReport, k: int) -> dict | None:
    """Each explained candidate: per method, the heatmap and its overlay on the crop."""
    from skmammo.explain import get_explainer
    from skmammo.explain.metrics import near_zero
    from skmammo.reporting.figures import explanation_figure

    e = r.explained
    if e is None:
        return None
    film_id = r.scan.films[k]
    rows = np.flatnonzero(e.candidates["film"].to_numpy() == film_id)
    if not len(rows):
        return None
    out = []
    for i in rows:
        c = e.candidates.iloc[i]
        figures = []
        for method, ex in e.explanations.items():
            h = ex.heatmap(i)
            flat = get_explainer(method).signed and near_zero(h)
            one = ex.segments is not None and len(np.unique(ex.segments[i])) == 1
            figures.append({"label": label(method), "seconds": ex.seconds_per_image,
                            "flat": flat, "one_segment": one,
                            "uri": explanation_figure(ex.images[i], h, method, flat=flat,
                                                      label=f"#{c['rank']} {label(method)}")})
        out.append({"rank": int(c["rank"]), "class": r.name(c["class"]),
                    "score": float(c["score"]), "x": f"{c['x']:.0f}", "y": f"{c['y']:.0f}",
                    "box": ", ".join(f"{v:.0f}" for v in ex.boxes[i]), "figures": figures})
    return {"candidates": out}


SCAN_FILM_SECTIONS: list[Section] = [
    Section("scan_film", _film, css_class="page"),
    Section("scan_candidates", _candidates, parent="scan_film"),
    Section("scan_explanations", _explanations, parent="scan_film"),
]
