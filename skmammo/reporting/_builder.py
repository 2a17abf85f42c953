"""The :class:`ReportBuilder`: checks its inputs, renders the sections, writes HTML and PDF.

What each report shows is an ordered list of sections
(:mod:`skmammo.reporting._summary`, :mod:`skmammo.reporting._case`); the
builder only validates the inputs, hands itself to every section and writes
the rendered files.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from skmammo.reporting._case import CASE_SECTIONS, Case, case_label, case_stem
from skmammo.reporting._common import model_params, versions
from skmammo.reporting._inputs import (
    check_calibration,
    check_cases,
    check_gallery,
    safe_name,
)
from skmammo.reporting._section import lay_out
from skmammo.reporting._summary import SUMMARY_SECTIONS
from skmammo.reporting._templates import pdf_bytes, render
from skmammo.utils import OutputFolder

logger = logging.getLogger(__name__)

__all__ = ["DISCLAIMER", "ReportBuilder"]

DISCLAIMER = (
    "Research software, not a diagnosis. This report was produced by an experimental "
    "machine-learning model for research and teaching; it has not been validated for "
    "clinical use and must not be used to make decisions about any patient."
)


class ReportBuilder:
    """Render the summary report and one case report per explained image.

    The summary report (``report.html``, ``report.pdf``) shows the data set
    and its class counts, the model's parameters and the software versions,
    the metric tables next to the majority baseline, the confusion matrices,
    the ROC curves, the training curves, the repeated-evaluation results, the
    shortcut probes beside the model, the explainer comparison and a gallery
    of overlays grouped by predicted class, misclassified crops framed in red.  Every case report
    (``cases/<case>.html`` and ``.pdf``) shows the film with the ROI circle
    and the crop box, the crop, every explainer's heatmap beside its overlay,
    the class probabilities, the true and predicted class, provenance, the
    date and a plain statement that this is research software, not a
    diagnosis.

    Each report is an ordered list of sections
    (:data:`~skmammo.reporting.SUMMARY_SECTIONS`,
    :data:`~skmammo.reporting.CASE_SECTIONS`): a section whose input is not
    given is left out.  The explainers are the ones ``explanations`` holds,
    named by the explainer registry (:func:`skmammo.explain.get_explainer`).

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
    data_description : str, optional
        The data set's description (a loader's ``DESCR``); its first
        paragraph after the title goes into the model card.
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
        crops, e.g. ``{"gradcam": ..., "lime": ..., "shap": ...}`` (any
        registered method; shown in this order); each
        needs ``heatmaps``, ``probabilities`` and ``images`` aligned with
        ``cases`` (``boxes`` draws the crop box on the film).
    explainer_table : DataFrame, optional
        :func:`skmammo.explain.metrics.compare_explainers` output.
    repeated : RepeatedEvaluation, optional
        :func:`skmammo.evaluation.repeated_evaluation` output.
    shortcuts : mapping, optional
        Shortcut probes: ``"test"`` (:func:`~skmammo.evaluation.shortcut_scores`),
        ``"repeated"`` (:func:`~skmammo.evaluation.shortcut_probes`), ``"paired"``
        (:func:`~skmammo.evaluation.paired_table` of the model against them).
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
    calibration : CalibratedEvaluation, optional
        :func:`skmammo.evaluation.evaluate_calibrated` of the test set (rows
        aligned with ``evaluation``): the summary then compares the model's
        own probabilities with the recalibrated ones, shows the prediction
        sets' coverage and the calibration part in the model card, and every
        case report its recalibrated probabilities and prediction set.
    case_rows : array-like of int, optional
        Each case's row in the test set (needed with ``calibration`` and
        ``cases``).
    sanity : mapping of str to SanityCheck, optional
        Method name to :func:`skmammo.explain.randomization_test` result:
        the summary shows each method's similarity to the trained model's
        maps as layers are randomised, and its verdict.
    gallery_method : str, default="gradcam"
        Explainer of ``explanations`` whose overlays fill the gallery when
        ``gallery`` is not given (the first one given if absent).
    max_gallery : int, default=12
        Most crops shown per predicted class (misclassified ones first).
    created : datetime, optional
        Date printed on the reports (default: now, UTC).
    verbose : int, default=0
        ``0`` is silent; ``>= 1`` shows a progress bar over the case reports
        (the command line passes 1).

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
        data_description: str | None = None,
        splits: Mapping[str, Any] | None = None,
        model: Any = None,
        params: Mapping[str, Any] | None = None,
        history: Mapping[str, Sequence[float]] | None = None,
        explanations: Mapping[str, Any] | None = None,
        explainer_table: pd.DataFrame | None = None,
        repeated: Any = None,
        shortcuts: Mapping[str, Any] | None = None,
        cases: pd.DataFrame | None = None,
        case_target: Any = None,
        gallery: Any = None,
        calibration: Any = None,
        case_rows: Any = None,
        sanity: Mapping[str, Any] | None = None,
        gallery_method: str = "gradcam",
        max_gallery: int = 12,
        created: _dt.datetime | None = None,
        verbose: int = 0,
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
        self.data_description = data_description
        self.splits, self.model, self.params = splits, model, dict(params or {})
        self.history = {str(k): list(v) for k, v in history.items()} if history else None
        self.explainer_table = explainer_table
        self.repeated, self.shortcuts = repeated, dict(shortcuts or {})
        self.gallery, self.gallery_method, self.max_gallery = gallery, gallery_method, int(max_gallery)
        self.created = created or _dt.datetime.now(_dt.timezone.utc)
        self.verbose = verbose
        self.target_names = [str(t) for t in evaluation.target_names]
        self.explanations = dict(explanations or {})
        self.cases = cases
        self.case_target = None if case_target is None else np.asarray(case_target).astype(int)
        self.calibration = calibration
        self.sanity = dict(sanity or {})
        self.case_rows = None if case_rows is None else np.asarray(case_rows, dtype=int)
        check_cases(self)
        check_gallery(self)
        check_calibration(self)
        used: set[str] = set()
        self.case_names = (
            [safe_name(case_stem(r), used) for _, r in self.cases.iterrows()] if self.cases is not None else []
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

    # ------------------------------------------------------------------ context

    def _common(self) -> dict[str, Any]:
        """What every report shows in its title and footer."""
        model_name, params = model_params(self.model)
        found = versions()
        return {
            "title": self.title,
            "dataset": self.dataset,
            "created": self.created.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "disclaimer": DISCLAIMER,
            "model_name": model_name or "(not given)",
            "model_params": params,
            "versions": found,
            "skmammo_version": dict(found).get("skmammo", "unknown"),
            "target_names": self.target_names,
        }

    def summary_context(self) -> dict[str, Any]:
        """Everything the summary template shows, as plain values.

        The title and footer values, and under ``"sections"`` the shown
        sections of :data:`~skmammo.reporting.SUMMARY_SECTIONS` with their
        contexts (see :func:`~skmammo.reporting._section.lay_out`).
        """
        ctx = self._common()
        ctx["n_test"] = len(self.evaluation.y_true)
        ctx["sections"] = lay_out(SUMMARY_SECTIONS, self)
        return ctx

    def case_context(self, i: int) -> dict[str, Any]:
        """Everything case report ``i`` (a row of ``cases``) shows, as plain values."""
        case = Case.of(self, i)
        ctx = self._common()
        ctx["film"], ctx["case"] = case.film, case_label(case.row)  # "mdb226 lesion 2"
        ctx["sections"] = lay_out(CASE_SECTIONS, self, case)
        return ctx

    # ------------------------------------------------------------------ rendering

    def summary_html(self, *, links: str = "pdf") -> str:
        """The summary report as one self-contained HTML string.

        Its list of case reports links every case to its PDF (``links="pdf"``,
        as in ``report.pdf``) or to its HTML (``"html"``, as in ``report.html``).
        """
        return render("report.html", self.summary_context(), links=links)

    def case_html(self, i: int) -> str:
        """Case report ``i`` as one self-contained HTML string."""
        if self.cases is None:
            raise ValueError("no cases were given to the ReportBuilder")
        if not 0 <= i < len(self.cases):
            raise IndexError(f"case {i} out of range: there are {len(self.cases)} cases")
        return render("case.html", self.case_context(i))

    def case_files(self) -> list[str]:
        """The case report files the summary names (relative paths): while :meth:`write`
        renders, exactly those it writes; otherwise ``cases/<case>.pdf`` (see :func:`case_stem`)."""
        files = getattr(self, "_case_files", None)
        if files is not None:
            return list(files)
        return [f"cases/{name}.pdf" for name in self.case_names]

    def write(self, out_dir: str | os.PathLike | OutputFolder, *, pdf: bool = True,
              case_reports: bool = True, overwrite: bool = False) -> dict[str, Any]:
        """Write ``report.html``, ``report.pdf`` and ``cases/<case>.html`` / ``.pdf``.

        Every file is written atomically.  The folder follows skmammo's
        output-folder policy (:class:`skmammo.utils.OutputFolder`): a
        non-empty folder skmammo did not make is refused unless
        ``overwrite=True``; a previous report's files not written again
        (other films' case reports, PDFs after ``pdf=False``) are removed.
        The summary names exactly the case report files written.

        Parameters
        ----------
        out_dir : path or OutputFolder
            Output folder (created if missing).  Given an
            :class:`~skmammo.utils.OutputFolder`, the files are recorded in
            it and the caller finishes it.
        pdf : bool, default=True
            Also render PDFs (WeasyPrint, about a second per page).
        case_reports : bool, default=True
            Write one case report per row of ``cases``.
        overwrite : bool, default=False
            Allow a non-empty folder not made by skmammo (its files are
            kept); ignored for an ``OutputFolder``.

        Returns
        -------
        dict
            ``{"html": Path, "pdf": Path or None, "cases": [Path, ...]}`` (the
            case PDFs, or their HTML when ``pdf=False``).

        Raises
        ------
        FileExistsError
            If ``out_dir`` is not empty and was not made by skmammo.
        """
        from tqdm.auto import tqdm

        owned = not isinstance(out_dir, OutputFolder)
        folder = OutputFolder(out_dir, overwrite=overwrite) if owned else out_dir
        out, write_cases = folder.path, case_reports and self.cases is not None
        self._case_files = [f"cases/{name}.{'pdf' if pdf else 'html'}"
                            for name in (self.case_names if write_cases else [])]
        try:
            context = self.summary_context()
        finally:
            self._case_files = None
        # the same report twice: its case links open the case HTML, resp. the case PDF
        folder.write("report.html", render("report.html", context, links="html"))
        result: dict[str, Any] = {"html": out / "report.html", "pdf": None, "cases": []}
        if pdf:
            result["pdf"] = folder.write("report.pdf", pdf_bytes(render("report.html", context,
                                                                       links="pdf")))
        logger.info("summary report written to %s", out / ("report.pdf" if pdf else "report.html"))

        if write_cases:
            for i in tqdm(range(len(self.cases)), desc="case reports", unit="case",
                          disable=self.verbose <= 0):
                name = self.case_names[i]
                case = self.case_html(i)
                target = folder.write(f"cases/{name}.html", case)
                if pdf:
                    target = folder.write(f"cases/{name}.pdf", pdf_bytes(case))
                result["cases"].append(target)
            logger.info("%d case reports written to %s", len(result["cases"]), out / "cases")
        if owned:
            folder.finish()
        return result
