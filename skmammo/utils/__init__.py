"""The ground floor: checks, atomic writing and the class names every layer shares.

Nothing here imports another part of skmammo, so every sub-package may
import from it (see ``docs/design.md`` for the import order).
"""

from skmammo.utils._deprecation import DEPRECATED, renamed
from skmammo.utils._fingerprint import (
    RunMismatchError,
    check_same_run,
    check_stored_run,
    fingerprint,
    model_digest,
    rows_digest,
    run_identity,
)
from skmammo.utils._io import atomic_write
from skmammo.utils._output import MANIFEST, OutputFolder, output_folder
from skmammo.utils._validation import (
    TARGET_NAMES,
    as_uint8,
    check_crops,
    check_frame,
    check_image,
    check_int,
    check_interval,
    check_positive,
    check_weights,
    film_label,
)

__all__ = [
    "DEPRECATED",
    "MANIFEST",
    "TARGET_NAMES",
    "OutputFolder",
    "RunMismatchError",
    "as_uint8",
    "atomic_write",
    "check_crops",
    "check_frame",
    "check_image",
    "check_int",
    "check_interval",
    "check_positive",
    "check_same_run",
    "check_stored_run",
    "check_weights",
    "film_label",
    "fingerprint",
    "model_digest",
    "output_folder",
    "renamed",
    "rows_digest",
    "run_identity",
]
