"""Importing TensorFlow without its C++ start-up lines on standard error.

TensorFlow's first import writes absl, oneDNN and CPU-feature notes straight
to file descriptor 2 (so neither ``logging`` nor ``-q`` can hold them back,
and ``TF_CPP_MIN_LOG_LEVEL`` does not catch all of them).  They say nothing a
user can act on, so skmammo imports TensorFlow once with descriptor 2 pointed
at a temporary file: the lines are logged at DEBUG on the ``skmammo`` logger
(``skmammo -vv`` shows them), and written out as they were if the import
fails.  ``TF_ENABLE_ONEDNN_OPTS`` is left alone: switching oneDNN off would
change the arithmetic and so the seeded numbers.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["import_tensorflow", "stderr_to"]

# ``import skmammo.models._quiet`` before ``import keras`` imports TensorFlow quietly
# (the call at the end of this module).

logger = logging.getLogger("skmammo")


@contextmanager
def stderr_to(file) -> Iterator[None]:
    """Point file descriptor 2 at ``file`` (an open binary file) for a block; restore it after.

    Without a descriptor 2 (a process started with it closed) the block runs as it is.
    """
    _flush_stderr()
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no descriptor 2 to redirect
        yield
        return
    try:
        os.dup2(file.fileno(), 2)
        yield
    finally:
        _flush_stderr()
        os.dup2(saved, 2)
        os.close(saved)


def _flush_stderr() -> None:
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):  # pragma: no cover - a closed sys.stderr
        pass


def _text(file) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace").strip()


def import_tensorflow() -> None:
    """Import TensorFlow and Keras once, holding their start-up lines back (module docstring)."""
    if "tensorflow" in sys.modules:
        return
    with tempfile.TemporaryFile() as held:
        try:
            with stderr_to(held):
                import keras  # noqa: F401
                import tensorflow  # noqa: F401
        except BaseException:
            text = _text(held)
            if text:  # what TensorFlow said before failing is the user's best clue
                sys.stderr.write(text + "\n")
            raise
        text = _text(held)
    if text:
        logger.debug("TensorFlow's start-up messages (held back):\n%s", text)


import_tensorflow()
