"""What the :class:`~skmammo.reporting.ReportBuilder` checks before it renders anything.

Each check reads the builder's inputs and raises a clear error naming the
argument at fault; the builder calls them in ``__init__``, so a report is
never half rendered.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from skmammo.explain import get_explainer

__all__ = ["check_calibration", "check_cases", "check_gallery", "safe_name"]


def safe_name(film: str, used: set[str]) -> str:
    """A file-name-safe, case-insensitively unique name for a case (recorded in ``used``)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", str(film)).strip("._") or "case"
    base = base[:80]
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base}-{n}"
    used.add(name.lower())
    return name


def check_cases(b) -> None:
    """The explanations, cases and their targets agree (a clear error otherwise)."""
    if not b.explanations and b.cases is None:
        return
    if b.cases is None or b.case_target is None or not b.explanations:
        raise ValueError(
            "case reports and the gallery need all three of explanations=, cases= (the "
            "mammogram-frame rows that were explained) and case_target= (their true classes)"
        )
    columns = set(b.cases.columns) if isinstance(b.cases, pd.DataFrame) else set()
    if "film" not in columns or not columns & {"image", "path"}:
        raise TypeError(
            "cases must be a mammogram frame (a DataFrame with a 'film' column and the films "
            "in 'image' or, on disk, in 'path')"
        )
    n = len(b.cases)
    if len(b.case_target) != n:
        raise ValueError(f"case_target has {len(b.case_target)} entries but cases has {n} rows")
    k = len(b.target_names)
    for method, e in b.explanations.items():
        try:
            get_explainer(method)  # the registry says how to draw and describe its maps
        except ValueError as exc:
            raise ValueError(f"explanations[{method!r}]: {exc}; register the method with "
                             "skmammo.explain.register_explainer first") from None
        for attr in ("heatmaps", "probabilities"):
            if getattr(e, attr, None) is None:
                raise TypeError(f"explanations[{method!r}] has no {attr!r}")
        if len(e.heatmaps) != n or np.shape(e.probabilities) != (n, k):
            raise ValueError(
                f"explanations[{method!r}] explains {len(e.heatmaps)} images with probabilities "
                f"of shape {np.shape(e.probabilities)}; cases has {n} rows and there are {k} "
                "classes: explain exactly the rows passed as cases="
            )
    if b._crops() is None:
        raise ValueError(
            "no explanation carries the crops (images=); use explanations from "
            "MammoPipeline.explain or skmammo.explain.explain"
        )

def check_gallery(b) -> None:
    """The gallery explains the whole test set."""
    e = b.gallery
    if e is None:
        return
    n = len(b.evaluation.y_true)
    for attr in ("heatmaps", "probabilities", "images"):
        if getattr(e, attr, None) is None:
            raise TypeError(f"gallery has no {attr!r}; pass an Explanation of the test set with images")
    if len(e.heatmaps) != n or np.shape(e.probabilities) != (n, len(b.target_names)):
        raise ValueError(
            f"gallery explains {len(e.heatmaps)} images but the evaluation has {n} test samples: "
            "explain the whole test set (in the order of y_true) for the gallery"
        )


def check_calibration(b) -> None:
    """The calibrated evaluation covers the test set, and each case has its test row."""
    c = b.calibration
    if c is None:
        return
    for attr in ("calibrated", "raw", "sets", "set_table", "calibration"):
        if not hasattr(c, attr):
            raise TypeError("calibration must be a CalibratedEvaluation from "
                            f"skmammo.evaluation.evaluate_calibrated (missing {attr!r})")
    n = len(b.evaluation.y_true)
    if len(c.sets) != n or not np.array_equal(c.raw.y_true, b.evaluation.y_true):
        raise ValueError(f"calibration scores {len(c.sets)} test rows, the evaluation {n}: "
                         "evaluate the same test set")
    if b.cases is None:
        return
    rows = b.case_rows
    if rows is None or len(rows) != len(b.cases) or rows.min(initial=0) < 0 \
            or rows.max(initial=0) >= n:
        raise ValueError("with calibration= and cases=, pass case_rows=: each case's row in the "
                         f"test set ({len(b.cases)} positions in [0, {n}))")
    if not np.array_equal(np.asarray(b.evaluation.y_true)[rows], b.case_target):
        raise ValueError("case_rows point at test rows whose class differs from case_target")
