"""The mammogram frame (see DESIGN.md) and the Bunch the loaders return."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skmammo.utils import TARGET_NAMES

__all__ = ["FRAME_COLUMNS", "SEVERITY_TO_TARGET", "make_bunch"]

#: Columns of the mammogram frame, in order (``target`` is appended in ``frame``).
FRAME_COLUMNS = (
    "image", "x", "y", "radius", "film", "patient", "side", "view", "tissue", "abnormality",
    "severity", "pixel_mm", "lesion",
)
SEVERITY_TO_TARGET = {None: 0, "B": 1, "M": 2}


def make_bunch(rows: list[dict], *, descr: str, return_X_y: bool):
    """Build the loader result from one dict per sample (keys: ``FRAME_COLUMNS``).

    ``data`` is the frame the pipeline consumes (one row per sample), ``frame``
    is the same with a ``target`` column, ``groups`` holds the patient ids for
    grouped cross-validation.  Rows with a ``path`` key instead of ``image``
    give a frame with a ``path`` column (films on disk).
    """
    columns = list(FRAME_COLUMNS)
    if rows and "path" in rows[0]:  # films by reference (loaders' images="path")
        columns[columns.index("image")] = "path"
    data = pd.DataFrame.from_records(rows, columns=columns)
    for column in ("x", "y", "radius", "pixel_mm"):
        data[column] = data[column].astype(np.float64)
    data["lesion"] = data["lesion"].fillna(0).astype(np.int64)
    for column in ("severity", "view"):  # None (not NaN) where unknown
        data[column] = data[column].astype(object).where(data[column].notna(), None)
    target = np.array([SEVERITY_TO_TARGET[s] for s in data["severity"]], dtype=np.int64)
    if return_X_y:
        return data, target
    frame = data.assign(target=target)
    return Bunch(
        frame=frame,
        data=data,
        target=target,
        target_names=list(TARGET_NAMES),
        groups=data["patient"].to_numpy(),
        feature_names=columns,
        DESCR=descr,
    )
