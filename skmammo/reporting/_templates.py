"""Find and load the jinja2 templates shipped in ``reports/templates/``.

The folder ``reports/templates/`` of the repository is installed as the
package ``skmammo._templates`` (``[tool.setuptools.package-dir]`` in
``pyproject.toml``), so one lookup serves an editable install and a wheel.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "skmammo._templates"
REQUIRED = (
    "report.html", "case.html", "base.html", "_macros.html", "_layout.html", "_summary_sections.html",
    "_case_sections.html", "scan.html", "_scan_sections.html", "report.css",
)


def template_dir() -> Path:
    """The folder holding the report templates.

    Raises
    ------
    FileNotFoundError
        When the package data is missing (a broken install); the message
        says how to reinstall.
    """
    try:
        spec = importlib.util.find_spec(TEMPLATE_PACKAGE)
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location)
        if all((path / name).is_file() for name in REQUIRED):
            return path
    raise FileNotFoundError(
        f"the report templates ({', '.join(REQUIRED)}) were not found in the package "
        f"{TEMPLATE_PACKAGE} (searched: {locations or 'nothing, the package is not installed'}); "
        "reinstall skmammo (pip install --force-reinstall skmammo, or pip install -e . in a "
        "checkout made before the templates were packaged)"
    )


@lru_cache(maxsize=1)
def environment():
    """The jinja2 environment: autoescaping on for every template, strict undefined."""
    import jinja2

    path = template_dir()
    logger.debug("report templates from %s", path)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path)),
        autoescape=True,  # film ids and user text never become markup, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["prob"] = _prob
    env.filters["plural"] = _plural
    return env


def render(template: str, context: dict, **extra) -> str:
    """Render one of the report templates with ``context`` (and ``extra`` values)."""
    return environment().get_template(template).render(**context, **extra)


def pdf_bytes(html: str) -> bytes:
    """The PDF WeasyPrint renders from a report's HTML.

    Relative links (the summary's links to ``cases/...``) stay relative in
    the PDF: no base URL is given, so a moved folder keeps working links.
    """
    # WeasyPrint logs every layout step at INFO: keep its progress out of the user's log
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    progress.setLevel(logging.WARNING)
    try:
        from weasyprint import HTML

        return HTML(string=html).write_pdf()
    finally:
        progress.setLevel(level)


def _num(value, digits: int = 2) -> str:
    """Format a number for a table: NaN and None as an en dash, integers without decimals."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    return f"{v:.{digits}f}"


def _pct(value, digits: int = 1) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if math.isnan(v) else f"{100 * v:.{digits}f}%"


def _prob(value, digits: int = 3) -> str:
    """A probability or a p-value that never rounds to a misleading 0 or 1.

    One rule for every such number, an exact 0 or 1 included (a float32
    softmax saturates, a test's p-value is never exactly 1):
    ``"< 0.001"``, ``"> 0.999"``, else ``digits`` decimals.

    >>> _prob(1.0), _prob(0.9996), _prob(0.0), _prob(0.25)
    ('> 0.999', '> 0.999', '< 0.001', '0.250')
    """
    v = float(value)
    if math.isnan(v):
        return "–"
    low = 10.0**-digits
    if v < low:
        return f"< {low:.{digits}f}"
    if v > 1 - low:
        return f"> {1 - low:.{digits}f}"
    return f"{v:.{digits}f}"


def _plural(n, word: str, plural: str | None = None) -> str:
    """``"1 run"``, ``"5 runs"``: a count and its noun, in the right number.

    >>> _plural(1, "repeat"), _plural(3, "repeat"), _plural(2, "patient-grouped fold")
    ('1 repeat', '3 repeats', '2 patient-grouped folds')
    """
    n = int(n)
    return f"{n} {word if n == 1 else (plural or word + 's')}"
