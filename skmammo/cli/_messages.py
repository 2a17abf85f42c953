"""What the ``skmammo`` command says: errors in the command line's words, quiet libraries."""

from __future__ import annotations

import logging
import os

#: Library errors name the Python API; the command line's words for the same thing.
_CLI_WORDS = (
    ("(fetch_mias() downloads it)",
     "(skmammo fetch-mias downloads it, or use --fetch instead of --mias)"),
    ("pass its path as url=...", "pass its path with --url"),
    ("(e.g. shutil.rmtree) and call fetch_mias() again", "(rm -r) and run the command again"),
    ("allow writing into it with overwrite=True (skmammo --force)",
     "allow writing into it with --force"),
    ("allow replacing it with overwrite=True (skmammo --force)", "pass --force to replace it"),
    ("(run_study: calibration=None trains without recalibration)",
     "(--calibration none trains without recalibration)"),
)


def _in_cli_words(message: str) -> str:
    for python, command in _CLI_WORDS:
        message = message.replace(python, command)
    return message


def _quiet_other_libraries(quiet: bool) -> None:
    """Other libraries' log lines only when they matter.

    shap logs every Kernel SHAP iteration at INFO; TensorFlow warns about
    "tf.function retracing" when a model is called on new shapes, which says
    nothing a user of the command can act on.  TensorFlow's C++ start-up lines
    are held back where skmammo imports it (``skmammo.models._quiet``).
    """
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported
    logging.captureWarnings(quiet)  # -q: Python warnings go through logging (root: errors)
