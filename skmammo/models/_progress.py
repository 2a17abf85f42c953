"""One log line per training epoch: what ``MammoCNNClassifier(verbose=1)`` shows.

Keras's own progress bars (``verbose`` 1 of ``keras.Model.fit``) write to
standard output, redraw in place and cannot be silenced by ``logging``; so
the classifier gives Keras ``verbose=0`` unless asked for more
(``verbose >= 2``), and logs each epoch through skmammo's logger instead::

    epoch 3/15: loss 0.912, accuracy 0.571; val loss 0.884, val accuracy 0.604 (4.1 s)

The ``skmammo`` command shows these lines at its default verbosity and
hides them with ``-q``; in Python, configure ``logging`` (for instance
``logging.basicConfig(level=logging.INFO)``) to see them.
"""

from __future__ import annotations

import logging
import time

import keras

__all__ = ["EpochLogger", "keras_verbose", "progress_callbacks"]

logger = logging.getLogger("skmammo.models")


def keras_verbose(verbose: int) -> int:
    """Keras's own ``verbose`` for skmammo's: its bars only from ``verbose >= 2``."""
    return 1 if (verbose or 0) >= 2 else 0


def _format(logs: dict) -> str:
    """``loss 0.912, accuracy 0.571; val loss 0.884, val accuracy 0.604``."""
    train = [f"{k.replace('_', ' ')} {v:.3f}" for k, v in logs.items()
             if not k.startswith("val_") and k != "learning_rate"]
    val = [f"val {k[4:].replace('_', ' ')} {v:.3f}" for k, v in logs.items()
           if k.startswith("val_")]
    return "; ".join(part for part in (", ".join(train), ", ".join(val)) if part)


class EpochLogger(keras.callbacks.Callback):
    """Log ``epoch k/N: loss ..., val loss ... (s)`` at INFO after every epoch.

    Parameters
    ----------
    epochs : int
        The most epochs of this fit (early stopping may end it sooner).
    log : logging.Logger, optional
        Where to log (default: the ``skmammo.models`` logger).
    """

    def __init__(self, epochs: int, log: logging.Logger | None = None) -> None:
        super().__init__()
        self.epochs = int(epochs)
        self.log = log or logger
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        self.log.info("epoch %d/%d: %s (%.1f s)", epoch + 1, self.epochs, _format(values),
                      time.perf_counter() - self._start)


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def progress_callbacks(verbose: int, epochs: int) -> list:
    """The callbacks ``fit`` adds for ``verbose``: an :class:`EpochLogger` when it is >= 1."""
    return [EpochLogger(epochs)] if (verbose or 0) >= 1 else []
