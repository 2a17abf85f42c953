"""``MammoCNNClassifier(verbose=...)``: one log line per epoch, no Keras bars; TensorFlow's
start-up lines held back."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np

from skmammo.models._quiet import stderr_to


def _crops(n=36, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8), np.arange(n) % 3


def test_verbose_logs_one_line_per_epoch_and_no_keras_bars(caplog, capsys):
    from skmammo.models import MammoCNNClassifier

    X, y = _crops()
    with caplog.at_level(logging.INFO, logger="skmammo"):
        clf = MammoCNNClassifier(epochs=3, patience=None, augment=False, verbose=1,
                                 random_state=0).fit(X, y)
        clf.predict(X[:4])
    epochs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert [m.split(":")[0] for m in epochs] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    for message, loss, val_loss in zip(epochs, clf.history_["loss"], clf.history_["val_loss"]):
        assert f"loss {loss:.3f}" in message and f"val loss {val_loss:.3f}" in message
        assert message.endswith(" s)")
    assert capsys.readouterr().out == ""  # Keras's own bars (stdout) only from verbose=2


def test_silent_by_default(caplog, capsys):
    from skmammo.models import MammoCNNClassifier

    X, y = _crops(seed=1)
    with caplog.at_level(logging.DEBUG, logger="skmammo"):
        MammoCNNClassifier(epochs=2, augment=False, random_state=0).fit(X, y).predict(X[:4])
    assert not [r for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert capsys.readouterr().out == ""


def test_stderr_to_holds_descriptor_2_back_and_restores_it(capfd, tmp_path):
    with open(tmp_path / "held", "w+b") as held:
        with stderr_to(held):
            os.write(2, b"from C code\n")
        os.write(2, b"after\n")
        held.seek(0)
        assert held.read() == b"from C code\n"
    assert capfd.readouterr().err == "after\n"


def test_importing_the_classifier_writes_nothing_to_stderr():
    # a fresh interpreter, without the command line's TF_CPP_MIN_LOG_LEVEL: whatever
    # TensorFlow prints at start-up is held back (the test reads no TensorFlow text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    done = subprocess.run([sys.executable, "-c", "import skmammo.models._classifier"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
