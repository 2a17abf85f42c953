"""The :class:`ReportBuilder`: summary report and case reports, HTML and PDF."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import logging
import os
import platform
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from skmammo.datasets import read_film
from skmammo.reporting import figures
from skmammo.reporting._templates import _num, environment
from skmammo.utils import atomic_write, output_folder

logger = logging.getLogger(__name__)

__all__ = ["DISCLAIMER", "ReportBuilder"]

DISCLAIMER = (
    "Research software, not a diagnosis. This report was produced by an experimental "
    "machine-learning model for research and teaching; it has not been validated for "
    "clinical use and must not be used to make decisions about any patient."
)

METHOD_LABELS = {"gradcam": "Grad-CAM", "lime": "LIME", "shap": "Kernel SHAP", "kernel_shap": "Kernel SHAP"}

_VERSIONED = (
    "skmammo", "numpy", "pandas", "scikit-learn", "scikeras", "keras", "tensorflow-cpu",
    "tensorflow", "opencv-python-headless", "scikit-image", "lime", "shap", "matplotlib",
    "jinja2", "weasyprint",
)  # fmt: skip

_SCALARS = (str, int, float, bool, np.integer, np.floating, np.bool_, type(None))


#: What the columns of :func:`skmammo.explain.metrics.compare_explainers` mean.
EXPLAINER_COLUMNS = {
    "seconds_per_image": "wall-clock seconds to explain one crop",
    "stability_spearman": "rank correlation of the maps of the same crop over seeds (1: identical)",
    "stability_iou": "overlap of the top 20% pixels of the maps over seeds (1: identical)",
    "pointing_game": "share of crops whose map peaks inside the annotated lesion",
    "positive_share": "share of the positive evidence that falls inside the annotated lesion",
    "deletion_auc": "probability of the class as the most important pixels are removed (lower is more faithful)",
    "insertion_auc": "probability of the class as the most important pixels are restored (higher is more faithful)",
    "n_images": "crops explained",
}


_TOKENS = {"f1": "F1", "auc": "AUC", "roc": "ROC", "iou": "IoU", "std": "std"}


def _pretty(name: Any) -> str:
    """``"macro_roc_auc"`` -> ``"macro ROC AUC"``: column and metric names for a reader."""
    return " ".join(_TOKENS.get(w.lower(), w) for w in str(name).replace("_", " ").split())


def _label(method: str) -> str:
    return METHOD_LABELS.get(str(method).lower(), str(method))


def versions() -> list[tuple[str, str]]:
    """Python and installed package versions (read from metadata: nothing is imported)."""
    out = [("python", platform.python_version())]
    for name in _VERSIONED:
        try:
            out.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _model_params(model: Any) -> tuple[str, list[tuple[str, str]]]:
    """The model's class name and its simple parameters (nested steps flattened)."""
    if model is None:
        return "", []
    name = type(model).__name__
    steps = getattr(model, "steps", None)
    if steps:
        name += " (" + " → ".join(f"{n}: {type(s).__name__}" for n, s in steps) + ")"
    try:
        params = model.get_params(deep=True)
    except Exception:  # noqa: BLE001 - a duck-typed model without get_params
        return name, []
    rows = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, _SCALARS) or (
            isinstance(value, (tuple, list, dict)) and len(repr(value)) <= 200
            and all(isinstance(v, _SCALARS) for v in (value.values() if isinstance(value, dict) else value))
        ):
            rows.append((key, _short(value)))
    return name, rows


def _table(df: pd.DataFrame, *, digits: int = 2, index_name: str | None = None) -> dict:
    """A DataFrame as pre-formatted strings for the templates (escaped there)."""
    cells = [[_num(v, digits) for v in row] for row in df.itertuples(index=False)]
    return {
        "index_name": index_name if index_name is not None else (df.index.name or ""),
        "columns": [_pretty(c) for c in df.columns],
        "rows": [(str(i), r) for i, r in zip(df.index, cells)],
    }


def _safe_name(film: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", str(film)).strip("._") or "case"
    base = base[:80]
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base}-{n}"
    used.add(name.lower())
    return name


def _pdf_bytes(html: str) -> bytes:
    # WeasyPrint logs every layout step at INFO: keep its progress out of the user's log
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    progress.setLevel(logging.WARNING)
    try:
        from weasyprint import HTML

        return HTML(string=html).write_pdf()
    finally:
        progress.setLevel(level)


class ReportBuilder:
    """Render the summary report and one case report per explained image.

    The summary report (``report.html``, ``report.pdf``) shows the data set
    and its class counts, the model's parameters and the software versions,
    the metric tables next to the majority baseline, the confusion matrices,
    the ROC curves, the training curves, the repeated-evaluation results, the
    explainer comparison and a gallery of overlays grouped by predicted
    class, misclassified crops framed in red.  Every case report
    (``cases/<film>.html`` and ``.pdf``) shows the film with the ROI circle
    and the crop box, the crop, every explainer's heatmap beside its overlay,
    the class probabilities, the true and predicted class, provenance, the
    date and a plain statement that this is research software, not a
    diagnosis.

    The HTML is one self-contained file (figures are PNG data URIs, the CSS
    is inline); the PDF is rendered from the same HTML with WeasyPrint.
    Templates are autoescaped: film ids and any text passed in are shown as
    text, never interpreted as markup.

    Parameters
    ----------
    evaluation : Evaluation
        Test-set metrics from :func:`skmammo.evaluation.evaluate` (printed as
        they are).
    title : str, default="skmammo report"
    dataset : str, default="unnamed data set"
        Name or short description of the data set (e.g. ``"mini-MIAS"``).
    splits : mapping of str to array-like of int, optional
        Labels per split, for the class-count table, e.g.
        ``{"train": y_train, "test": y_test}`` (default: the test labels).
    model : estimator, optional
        The fitted pipeline; its class, steps and simple parameters are listed.
    params : mapping, optional
        More parameters to list (e.g. the command line's options).
    history : mapping of str to list of float, optional
        Training history (``classifier.history_``): training curves.
    explanations : mapping of str to Explanation, optional
        Method name to :class:`~skmammo.explain.Explanation` of the case
        crops, e.g. ``{"gradcam": ..., "lime": ..., "shap": ...}``; each
        needs ``heatmaps``, ``probabilities`` and ``images`` aligned with
        ``cases`` (``boxes`` draws the crop box on the film).
    explainer_table : DataFrame, optional
        :func:`skmammo.explain.metrics.compare_explainers` output.
    repeated : RepeatedEvaluation, optional
        :func:`skmammo.evaluation.repeated_evaluation` output.
    cases : DataFrame, optional
        Mammogram-frame rows of the explained crops (``image``, ``film`` and,
        when annotated, ``x``, ``y``, ``radius``); one case report each.
    case_target : array-like of int, optional
        True classes of ``cases``.
    gallery : Explanation, optional
        Grad-CAM (or any) explanation of the **whole test set**, aligned with
        ``evaluation.y_true`` and carrying ``images``: the gallery then shows
        the test set (the study's Figure 9).  Default: the overlays of
        ``explanations[gallery_method]`` on the case crops.
    gallery_method : str, default="gradcam"
        Explainer of ``explanations`` whose overlays fill the gallery when
        ``gallery`` is not given (the first one given if absent).
    max_gallery : int, default=12
        Most crops shown per predicted class (misclassified ones first).
    created : datetime, optional
        Date printed on the reports (default: now, UTC).
    verbose : int, default=1
        ``0`` silences the progress bar over case reports.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from skmammo.evaluation import evaluate_predictions
    >>> from skmammo.reporting import ReportBuilder
    >>> ev = evaluate_predictions([0, 1, 2, 0], np.eye(3)[[0, 1, 1, 0]])
    >>> html = ReportBuilder(ev, dataset="toy").summary_html()
    >>> "Research software, not a diagnosis" in html
    True
    >>> paths = ReportBuilder(ev).write(tempfile.mkdtemp(), pdf=False)  # doctest: +SKIP
    """

    def __init__(
        self,
        evaluation,
        *,
        title: str = "skmammo report",
        dataset: str = "unnamed data set",
        splits: Mapping[str, Any] | None = None,
        model: Any = None,
        params: Mapping[str, Any] | None = None,
        history: Mapping[str, Sequence[float]] | None = None,
        explanations: Mapping[str, Any] | None = None,
        explainer_table: pd.DataFrame | None = None,
        repeated: Any = None,
        cases: pd.DataFrame | None = None,
        case_target: Any = None,
        gallery: Any = None,
        gallery_method: str = "gradcam",
        max_gallery: int = 12,
        created: _dt.datetime | None = None,
        verbose: int = 1,
    ) -> None:
        for attr in ("y_true", "y_pred", "table", "summary", "confusion", "confusion_normalized",
                     "target_names"):
            if not hasattr(evaluation, attr):
                raise TypeError(
                    f"evaluation must be an Evaluation from skmammo.evaluation.evaluate (missing "
                    f"{attr!r}); got {type(evaluation).__name__}"
                )
        self.evaluation = evaluation
        self.title = str(title)
        self.dataset = str(dataset)
        self.splits = splits
        self.model = model
        self.params = dict(params or {})
        self.history = {str(k): list(v) for k, v in history.items()} if history else None
        self.explainer_table = explainer_table
        self.repeated = repeated
        self.gallery = gallery
        self.gallery_method = gallery_method
        self.max_gallery = int(max_gallery)
        self.created = created or _dt.datetime.now(_dt.timezone.utc)
        self.verbose = verbose
        self.target_names = [str(t) for t in evaluation.target_names]
        self.explanations = dict(explanations or {})
        self.cases = cases
        self.case_target = None if case_target is None else np.asarray(case_target).astype(int)
        self._check_cases()
        self._check_gallery()
        used: set[str] = set()
        self.case_names = (
            [_safe_name(f, used) for f in self.cases["film"]] if self.cases is not None else []
        )

    # ------------------------------------------------------------------ checks

    def _check_cases(self) -> None:
        if not self.explanations and self.cases is None:
            return
        if self.cases is None or self.case_target is None or not self.explanations:
            raise ValueError(
                "case reports and the gallery need all three of explanations=, cases= (the "
                "mammogram-frame rows that were explained) and case_target= (their true classes)"
            )
        columns = set(self.cases.columns) if isinstance(self.cases, pd.DataFrame) else set()
        if "film" not in columns or not columns & {"image", "path"}:
            raise TypeError(
                "cases must be a mammogram frame (a DataFrame with a 'film' column and the films "
                "in 'image' or, on disk, in 'path')"
            )
        n = len(self.cases)
        if len(self.case_target) != n:
            raise ValueError(f"case_target has {len(self.case_target)} entries but cases has {n} rows")
        k = len(self.target_names)
        for method, e in self.explanations.items():
            for attr in ("heatmaps", "probabilities"):
                if getattr(e, attr, None) is None:
                    raise TypeError(f"explanations[{method!r}] has no {attr!r}")
            if len(e.heatmaps) != n or np.shape(e.probabilities) != (n, k):
                raise ValueError(
                    f"explanations[{method!r}] explains {len(e.heatmaps)} images with probabilities "
                    f"of shape {np.shape(e.probabilities)}; cases has {n} rows and there are {k} "
                    "classes: explain exactly the rows passed as cases="
                )
        if self._crops() is None:
            raise ValueError(
                "no explanation carries the crops (images=); use explanations from "
                "MammoPipeline.explain or skmammo.explain.explain"
            )

    def _check_gallery(self) -> None:
        e = self.gallery
        if e is None:
            return
        n = len(self.evaluation.y_true)
        for attr in ("heatmaps", "probabilities", "images"):
            if getattr(e, attr, None) is None:
                raise TypeError(f"gallery has no {attr!r}; pass an Explanation of the test set with images")
        if len(e.heatmaps) != n or np.shape(e.probabilities) != (n, len(self.target_names)):
            raise ValueError(
                f"gallery explains {len(e.heatmaps)} images but the evaluation has {n} test samples: "
                "explain the whole test set (in the order of y_true) for the gallery"
            )

    def _crops(self) -> np.ndarray | None:
        for e in self.explanations.values():
            if getattr(e, "images", None) is not None:
                return np.asarray(e.images)
        return None

    def _boxes(self) -> np.ndarray | None:
        for e in self.explanations.values():
            if getattr(e, "boxes", None) is not None:
                return np.asarray(e.boxes, dtype=float)
        return None

    def _case_proba(self) -> np.ndarray:
        return np.asarray(next(iter(self.explanations.values())).probabilities, dtype=float)

    @staticmethod
    def _heatmap(e, i: int, pred: int) -> np.ndarray:
        h = np.asarray(e.heatmaps[i], dtype=float)
        return h[pred] if h.ndim == 3 else h

    # ------------------------------------------------------------------ context

    def _common(self) -> dict[str, Any]:
        model_name, model_params = _model_params(self.model)
        return {
            "title": self.title,
            "dataset": self.dataset,
            "created": self.created.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "disclaimer": DISCLAIMER,
            "model_name": model_name or "(not given)",
            "model_params": model_params,
            "extra_params": [(str(k), _short(v)) for k, v in self.params.items()],
            "versions": versions(),
            "skmammo_version": dict(versions()).get("skmammo", "unknown"),
            "target_names": self.target_names,
        }

    def _class_counts(self) -> dict:
        splits = self.splits if self.splits is not None else {"test": self.evaluation.y_true}
        k = len(self.target_names)
        rows = {}
        for name, labels in splits.items():
            counts = np.bincount(np.asarray(labels, dtype=int), minlength=k)[:k]
            rows[str(name)] = [*counts.tolist(), int(counts.sum())]
        df = pd.DataFrame.from_dict(rows, orient="index", columns=[*self.target_names, "total"])
        if len(df) > 1:
            df.loc["all"] = df.sum()
        return _table(df, index_name="split")

    def _gallery(self) -> dict | None:
        if self.gallery is not None:  # an explanation of the whole test set
            e = self.gallery
            method = str(getattr(e, "method", "gradcam"))
            crops = np.asarray(e.images)
            # the evaluation's predictions, so the gallery agrees with the metric tables
            ev = self.evaluation
            proba = np.asarray(ev.y_proba if getattr(ev, "y_proba", None) is not None else e.probabilities,
                               dtype=float)
            truth = np.asarray(ev.y_true)
            films = getattr(e, "films", None)
            films = [str(f) for f in films] if films is not None else [f"#{i}" for i in range(len(truth))]
            scope = f"the test set ({len(truth)} crops)"
        elif self.explanations:
            method = self.gallery_method if self.gallery_method in self.explanations else next(iter(self.explanations))
            e = self.explanations[method]
            crops, proba, truth = self._crops(), self._case_proba(), self.case_target
            films = [str(f) for f in self.cases["film"]]
            scope = f"the {len(truth)} explained crops"
        else:
            return None
        from PIL import Image

        pred = np.asarray(self.evaluation.y_pred) if self.gallery is not None else proba.argmax(axis=1)
        groups = []
        for c, cname in enumerate(self.target_names):
            idx = np.flatnonzero(pred == c)
            wrong = truth[idx] != c
            order = idx[np.lexsort((-proba[idx, c], ~wrong))]  # misclassified first, then by confidence
            items = []
            for i in order[: self.max_gallery]:
                img = figures.overlay(crops[i], self._heatmap(e, i, c), method)
                thumb = np.asarray(Image.fromarray(img).resize((128, 128), Image.Resampling.BILINEAR))
                items.append({
                    "uri": figures.array_to_data_uri(thumb),
                    "film": films[i],
                    "true": self.target_names[int(truth[i])],
                    "p": proba[i, c],
                    "wrong": bool(truth[i] != c),
                })
            groups.append({"name": cname, "n": len(idx), "n_wrong": int(wrong.sum()),
                           "shown": len(items), "items": items})
        return {"method": _label(method), "groups": groups, "scope": scope}

    def _explainer_table(self) -> dict | None:
        df = self.explainer_table
        if df is None:
            return None
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"explainer_table must be a DataFrame, got {type(df).__name__}")
        if isinstance(df.index, pd.RangeIndex) and len(df.columns) and not pd.api.types.is_numeric_dtype(df.iloc[:, 0]):
            df = df.set_index(df.columns[0])  # e.g. a "method" column
        df = df.rename(index=lambda m: _label(m) if isinstance(m, str) else m)
        table = _table(df, digits=3, index_name=df.index.name or "method")
        table["notes"] = [(_pretty(c), EXPLAINER_COLUMNS[c]) for c in df.columns if c in EXPLAINER_COLUMNS]
        return table

    def _repeated(self) -> dict | None:
        rep = self.repeated
        if rep is None:
            return None
        from skmammo.evaluation import SUMMARY_METRICS

        keys = [*SUMMARY_METRICS, *(f"{m}_{c}" for m in ("recall", "f1") for c in self.target_names),
                "baseline_accuracy", "baseline_balanced_accuracy", "baseline_macro_f1"]
        summary = rep.summary.loc[[k for k in keys if k in rep.summary.index], ["mean", "std", "ci_low", "ci_high"]]
        summary = summary.rename(columns={"ci_low": "95% low", "ci_high": "95% high"})
        summary.index = [_pretty(i) for i in summary.index]
        runs = rep.runs
        return {
            "study": self._study_tables(rep),
            "protocol": rep.protocol,
            "n_rows": len(runs),
            "n_runs": int(runs["run"].nunique()),
            "n_folds": int(runs["fold"].nunique()),
            "n_test": _num(float(runs["n_test"].mean()), 0 if runs["n_test"].nunique() == 1 else 1),
            "table": _table(summary, index_name="metric"),
            "confusion": figures.confusion_matrix_figure(
                rep.confusion_mean, self.target_names, title="Mean confusion matrix over runs"
            ),
        }

    def _study_tables(self, rep) -> list[tuple[str, dict]] | None:
        """The study's Tables 1-3 beside ours, for a study-protocol evaluation."""
        if rep.protocol != "study" or len(self.target_names) != 3:
            return None
        from skmammo.study import compare_with_study

        captions = {
            "summary": "The study's scores and ours, both from the mean confusion matrix",
            "per_class": "Per class: the study's and ours (ROC AUC: the study's from one run, "
                         "ours the mean over runs)",
            "confusion": "Mean confusion matrices, rows true, columns predicted",
        }
        out = []
        for name, df in compare_with_study(rep).items():
            df = df.copy()
            df.columns = [" ".join(map(_pretty, c)) if isinstance(c, tuple) else c
                          for c in df.columns]
            df.index = [_pretty(i) for i in df.index]
            out.append((captions[name], _table(df, digits=3, index_name="")))
        return out

    def summary_context(self) -> dict[str, Any]:
        """Everything the summary template shows, as plain values."""
        ev = self.evaluation
        summary = ev.summary.copy()
        summary.index = [_pretty(i) for i in summary.index]
        ctx = self._common()
        proba = getattr(ev, "y_proba", None)
        ctx.update({
            "n_test": len(ev.y_true),
            "class_counts": self._class_counts(),
            "summary_table": _table(summary, index_name="metric"),
            "class_table": _table(ev.table, index_name="class"),
            "baseline_class": self.target_names[getattr(ev, "baseline_class", 0)],
            "confusion": figures.confusion_matrix_figure(
                ev.confusion, self.target_names, normalized=ev.confusion_normalized,
                title=f"Confusion matrix, test set of {len(ev.y_true)}",
            ),
            "roc": figures.roc_figure(ev.y_true, proba, self.target_names) if proba is not None else None,
            "history": figures.history_figure(self.history) if self.history else None,
            "history_wide": bool(self.history) and any(
                not k.startswith("val_") and k != "loss" for k in self.history
            ),
            "explainer_table": self._explainer_table(),
            "repeated": self._repeated(),
            "gallery": self._gallery(),
            "cases": [
                {"film": str(f), "file": f"cases/{n}.pdf"}
                for f, n in zip(self.cases["film"], self.case_names)
            ] if self.cases is not None else [],
        })
        return ctx

    def case_context(self, i: int) -> dict[str, Any]:
        """Everything case report ``i`` (a row of ``cases``) shows, as plain values."""
        row = self.cases.iloc[i]
        proba = self._case_proba()[i]
        pred = int(proba.argmax())
        true = int(self.case_target[i])
        crop = self._crops()[i]
        boxes = self._boxes()

        def get(col):
            v = row.get(col) if col in row.index else None
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

        if "image" in row.index:
            film = np.asarray(row["image"])
        else:  # a frame of films on disk: read this one film, as scanned
            film = read_film(row["path"], f"film {row['film']}")
        film_fig = figures.case_film_figure(
            film, x=get("x"), y=get("y"), radius=get("radius"),
            box=None if boxes is None else boxes[i], crop=crop,
        )
        explainers = []
        params: list[tuple[str, str]] = []
        for method, e in self.explanations.items():
            h = self._heatmap(e, i, pred)
            targets = getattr(e, "targets", None)
            target = pred if targets is None or np.ndim(targets) > 1 else int(np.asarray(targets)[i])
            explainers.append({
                "label": _label(method),
                "uri": figures.explanation_figure(crop, h, method, label=_label(method)),
                "target": self.target_names[target],
                "seconds": getattr(e, "seconds_per_image", float("nan")),
            })
            method_params = getattr(e, "params", None) or {}
            if method_params:
                params.append(
                    (_label(method), ", ".join(f"{k}={_short(v, 70)}" for k, v in method_params.items()))
                )
        def fmt(v):
            if v is None:
                return "–"
            return _num(v, 0) if isinstance(v, (float, np.floating)) else str(v)

        annotation = [(col, fmt(get(col))) for col in ("patient", "side", "tissue", "abnormality", "severity")]
        x, y = get("x"), get("y")
        annotation.append(("lesion centre x, y (px)", "–" if x is None or y is None else f"{x:.0f}, {y:.0f}"))
        annotation.append(("lesion radius (px)", fmt(get("radius"))))
        ctx = self._common()
        ctx.update({
            "film": str(row["film"]),
            "annotation": annotation,
            "true_class": self.target_names[true],
            "pred_class": self.target_names[pred],
            "correct": pred == true,
            "probabilities": [
                {"name": n, "p": float(p), "is_pred": j == pred, "is_true": j == true}
                for j, (n, p) in enumerate(zip(self.target_names, proba))
            ],
            "film_figure": film_fig,
            "has_lesion": get("x") is not None and get("y") is not None,
            "explainers": explainers,
            "explainer_params": params,
        })
        return ctx

    # ------------------------------------------------------------------ rendering

    def summary_html(self) -> str:
        """The summary report as one self-contained HTML string."""
        return environment().get_template("report.html").render(**self.summary_context())

    def case_html(self, i: int) -> str:
        """Case report ``i`` as one self-contained HTML string."""
        if self.cases is None:
            raise ValueError("no cases were given to the ReportBuilder")
        if not 0 <= i < len(self.cases):
            raise IndexError(f"case {i} out of range: there are {len(self.cases)} cases")
        return environment().get_template("case.html").render(**self.case_context(i))

    def write(self, out_dir: str | os.PathLike, *, pdf: bool = True, case_reports: bool = True) -> dict[str, Any]:
        """Write ``report.html``, ``report.pdf`` and ``cases/<film>.html`` / ``.pdf``.

        Files are written under a temporary name and renamed, so an
        interrupted run leaves no half-written report.

        Parameters
        ----------
        out_dir : path
            Output folder (created if missing).
        pdf : bool, default=True
            Also render PDFs (WeasyPrint, about a second per page).
        case_reports : bool, default=True
            Write one case report per row of ``cases``.

        Returns
        -------
        dict
            ``{"html": Path, "pdf": Path or None, "cases": [Path, ...]}`` (the
            case PDFs, or their HTML when ``pdf=False``).
        """
        from tqdm.auto import tqdm

        out = output_folder(out_dir)
        if case_reports and self.cases is not None:
            output_folder(out / "cases")

        html = self.summary_html()
        atomic_write(out / "report.html", html.encode("utf-8"))
        result: dict[str, Any] = {"html": out / "report.html", "pdf": None, "cases": []}
        if pdf:
            atomic_write(out / "report.pdf", _pdf_bytes(html))
            result["pdf"] = out / "report.pdf"
        logger.info("summary report written to %s", out / ("report.pdf" if pdf else "report.html"))

        if case_reports and self.cases is not None:
            for i in tqdm(range(len(self.cases)), desc="case reports", unit="case",
                          disable=self.verbose <= 0):
                name = self.case_names[i]
                case = self.case_html(i)
                atomic_write(out / "cases" / f"{name}.html", case.encode("utf-8"))
                target = out / "cases" / f"{name}.{'pdf' if pdf else 'html'}"
                if pdf:
                    atomic_write(target, _pdf_bytes(case))
                result["cases"].append(target)
            logger.info("%d case reports written to %s", len(result["cases"]), out / "cases")
        return result
