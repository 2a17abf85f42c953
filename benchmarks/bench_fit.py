"""Wrapper overhead and peak memory of MammoCNNClassifier.fit on the study's protocol.

On mini-MIAS (the study's 316 films, ``Denoiser -> CLAHE -> ROICropper`` crops
of 224x224), the study's 70/15/15 split: ``MammoCNNClassifier.fit`` on the
training + validation part (stratified validation split, augmentation to
about 3,500 crops, undersampling, batch 16, Adam 1e-4) for a fixed number of
epochs, next to a bare ``keras.Model.fit`` of the same network on the same
arrays in the same run.  Prints seconds per epoch (whole fit / epochs, and
the median epoch), their ratio (target: wrapper overhead <= 10%), optionally
the cost of TensorFlow's op determinism, and the peak memory of the fit.  The
contenders run interleaved and the best run of each counts, as the machine may
be shared.

Run::

    .venv/bin/python benchmarks/bench_fit.py [--epochs 5] [--repeats 2] [--archive PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = Path(os.environ.get(
    "SKMAMMO_MIAS_ARCHIVE", REPO.parent / "shared" / "data" / "mias" / "all-mias.tar.gz"))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakRSS:
    """Sample the resident set size every 20 ms while the block runs."""

    def __enter__(self):
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


class EpochTimer:
    """Keras callback recording the wall time of every epoch (made lazily: keras)."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds.append(time.perf_counter() - self._start)

        return _Timer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--mode", default="study", help="ROICropper mode (the study's crops)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each contender (interleaved; the best counts)")
    parser.add_argument("--with-op-determinism", action="store_true",
                        help="also time the bare fit with TensorFlow's op determinism on")
    args = parser.parse_args()

    import keras
    import tensorflow as tf
    from sklearn.pipeline import Pipeline

    from skmammo.datasets import load_mias
    from skmammo.models import MammoCNNClassifier, paper_cnn
    from skmammo.pipeline import make_pipeline
    from skmammo.study import study_split

    load_before = os.getloadavg()[0]
    films = load_mias(args.archive, unit="film", verbose=0)
    t = time.perf_counter()
    preprocess = Pipeline(make_pipeline(size=args.size, mode=args.mode).steps[:-1])
    X = np.asarray(preprocess.fit_transform(films.frame))
    y = np.asarray(films.target)
    t_pre = time.perf_counter() - t
    train, val, _test = study_split(y)
    fit_idx = np.sort(np.concatenate([train, val]))
    X_fit, y_fit = X[fit_idx], y[fit_idx]
    print(f"{len(y)} films -> crops {X.shape} {X.dtype} in {t_pre:.1f} s; "
          f"fit on {len(fit_idx)} (train {len(train)} + validation {len(val)})")

    # Warm up TensorFlow (thread pools, kernels) so neither contender pays for it.
    MammoCNNClassifier(epochs=1, augment=False, balance=None, validation_fraction=0,
                       random_state=0).fit(X_fit[:32, :64, :64], y_fit[:32])
    onehot = np.eye(3, dtype=np.float32)

    def wrapper_fit(deterministic: bool = False) -> tuple[float, list[float], MammoCNNClassifier]:
        timer = EpochTimer()
        clf = MammoCNNClassifier(epochs=args.epochs, patience=None,
                                 validation_fraction=len(val) / len(fit_idx),
                                 random_state=args.seed, deterministic_ops=deterministic,
                                 callbacks=[timer])
        start, cpu = time.perf_counter(), time.process_time()
        clf.fit(X_fit, y_fit)
        return (time.perf_counter() - start, time.process_time() - cpu), timer.seconds, clf

    def bare_fit(arrays, deterministic: bool = False) -> tuple[float, list[float]]:
        X_tr, y_tr, X_va, y_va = arrays
        timer = EpochTimer()
        keras.utils.set_random_seed(args.seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        try:
            model = paper_cnn((args.size, args.size, 3), seed=args.seed)
            model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="categorical_crossentropy")
            start, cpu = time.perf_counter(), time.process_time()
            model.fit(X_tr, onehot[y_tr], batch_size=16, epochs=args.epochs, shuffle=True,
                      validation_data=(X_va, onehot[y_va]), verbose=0, callbacks=[timer])
            return (time.perf_counter() - start, time.process_time() - cpu), timer.seconds
        finally:
            if deterministic:
                # No public API switches it off again; scikeras uses the same call.
                from tensorflow.python.framework import config as tf_config

                tf_config.disable_op_determinism()

    # First wrapper run alone, for its peak memory.
    with PeakRSS() as mem:
        t_wrapper, epochs_wrapper, clf = wrapper_fit()
    assert len(clf.history_["loss"]) == args.epochs
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"MammoCNNClassifier.fit: {t_wrapper[0]:.1f} s for {args.epochs} epochs", flush=True)

    # The same arrays, made the way fit makes them (same seeds).
    t = time.perf_counter()
    X_tr, y_tr, _, (X_va, y_va) = clf._training_data(X_fit, y_fit)
    t_data = time.perf_counter() - t
    arrays = (X_tr, y_tr, X_va, y_va)

    # Interleave the contenders: the machine is shared, so keep the best of each.
    runs = {"wrapper": [(t_wrapper, epochs_wrapper)], "bare": []}
    for r in range(args.repeats):
        runs["bare"].append(bare_fit(arrays))
        print(f"bare keras.Model.fit: {runs['bare'][-1][0][0]:.1f} s", flush=True)
        if r + 1 < args.repeats:
            runs["wrapper"].append(wrapper_fit()[:2])
            print(f"MammoCNNClassifier.fit: {runs['wrapper'][-1][0][0]:.1f} s", flush=True)
    if args.with_op_determinism:
        runs["bare, op determinism on"] = [bare_fit(arrays, deterministic=True)]

    print(f"training crops per epoch: {len(y_tr)} (classes {np.bincount(y_tr).tolist()}), "
          f"validation {len(y_va)}; epochs: {args.epochs}; runs: {args.repeats} each")
    print(f"augmentation + balancing (inside the wrapper's fit): {t_data:.2f} s")
    print(f"{'seconds per epoch':<28} {'wall (fit/epochs)':>18} {'median epoch':>13} "
          f"{'CPU (fit/epochs)':>17}")
    best = {}
    for name, results in runs.items():
        wall = min(sec[0] for sec, _ in results) / args.epochs
        epoch = min(float(np.median(ep)) for _, ep in results)
        cpu = min(sec[1] for sec, _ in results) / args.epochs
        best[name] = (wall, epoch, cpu)
        print(f"{name:<28} {wall:18.2f} {epoch:13.2f} {cpu:17.2f}")
    for name in best:
        if name != "wrapper":
            w, b = best["wrapper"], best[name]
            print(f"ratio wrapper / {name}: {w[0] / b[0]:.3f} wall, {w[1] / b[1]:.3f} median epoch, "
                  f"{w[2] / b[2]:.3f} CPU")
    print(f"load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs (wall times are only comparable on a quiet machine; "
          "CPU times much less sensitive)")
    print(f"peak RSS during MammoCNNClassifier.fit: {mem.peak:.0f} MB "
          f"(before fit {mem.start:.0f} MB: TensorFlow, films, crops; "
          f"fit added {mem.peak - mem.start:.0f} MB); process max RSS then {maxrss:.0f} MB")


if __name__ == "__main__":
    main()
