"""HTML and PDF reports: the summary report and one case report per image.

- :class:`ReportBuilder`: renders ``report.html`` / ``report.pdf`` and
  ``cases/<case>.html`` / ``.pdf`` (named by :func:`case_stem`: ``mdb226-lesion2``) from an
  :class:`~skmammo.evaluation.Evaluation`, explanations and the explained
  mammogram-frame rows;
- :class:`ScanReport`: the report of a whole-film scan (``report.html`` /
  ``report.pdf``: film scores, per film its map, candidates and their
  explanations);
- :class:`Section`, :data:`SUMMARY_SECTIONS`, :data:`CASE_SECTIONS`: what the
  reports show, as ordered lists of sections (a new section is one
  :class:`Section` plus one template macro);
- :mod:`skmammo.reporting.figures`: the matplotlib figures, as PNG data URIs;
  :func:`reliability_figure` and :func:`sanity_figure`, the trust sections' figures;
- :data:`DISCLAIMER`: the statement every report carries.

Templates and CSS live in ``reports/templates/`` of the repository and are
installed as the package ``skmammo._templates``.  matplotlib, jinja2 and
WeasyPrint are imported on first use.
"""

from __future__ import annotations

from skmammo.reporting import figures
from skmammo.reporting._builder import DISCLAIMER, ReportBuilder
from skmammo.reporting._case import CASE_SECTIONS, case_label, case_stem
from skmammo.reporting._common import versions
from skmammo.reporting._figures_trust import reliability_figure, sanity_figure
from skmammo.reporting._scan import ScanReport
from skmammo.reporting._section import Section
from skmammo.reporting._summary import SUMMARY_SECTIONS
from skmammo.reporting._templates import template_dir

__all__ = [
    "CASE_SECTIONS", "DISCLAIMER", "SUMMARY_SECTIONS", "ReportBuilder", "ScanReport", "Section",
    "case_label", "case_stem", "figures", "reliability_figure", "sanity_figure", "template_dir",
    "versions",
]
