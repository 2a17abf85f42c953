"""Speed and memory of ``MammoPipeline.scan`` on a 1024 x 1024 film, next to window by window.

For each network input size (224 px, the study's; 96 px, the demo's), a
pipeline is fitted for one epoch on a few synthetic 1024-pixel films
(0.2 mm pixels, as mini-MIAS: the 51.2-mm window is 256 film pixels; the
weights barely matter for timing), then one film is scanned, in one run:

- **scan**: ``pipe.scan(film)`` at the default stride (16 network pixels),
  everything included (Denoiser, CLAHE, resizing, breast mask, one fully
  convolutional pass with exact border corrections, scores and candidates);
- **plain**: ``pipe.scan(film, exact=False)`` (the fully convolutional pass
  without the corrections: within a tolerance only);
- **windows**: the baseline: every window of the same grid cut from the same
  preprocessed, resized film and given to the classifier's ``predict_proba``
  in batches of 64 (the preprocessing not counted: in the baseline's favour).

Prints seconds per film, the ratios windows / scan and windows / plain, the
largest probability difference of each against the baseline, and the peak
memory the scan adds to the process (resident set sampled every 2 ms; memory
TensorFlow already holds from earlier calls is reused, so this is a lower
bound) and the process's whole peak after the scans (an upper bound).
Targets (issue 14): scan >= 20x faster than windows at 224 px; under 2 s per
film on 2 cores; under 1 GB per film.

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_scan.py [--repeats 3] [--sizes 224 96]
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import cv2
import numpy as np


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_memory(function):
    """``(result, seconds, peak resident bytes added while function ran)``."""
    start = _rss()
    peak = [start]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    try:
        result = function()
    finally:
        seconds = time.perf_counter() - t0
        done.set()
        watcher.join()
    return result, seconds, max(peak[0], _rss()) - start


def windows_by_hand(pipe, frame, size, stride=16, batch=64):
    """The baseline: every window of the scan's grid, cut and classified one by one."""
    film = pipe[:-2].transform(frame)["image"].iloc[0]
    side = round(51.2 / float(frame["pixel_mm"].iloc[0]))
    factor = size / side
    resized = cv2.resize(film, (round(film.shape[1] * factor), round(film.shape[0] * factor)),
                         interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    t0 = time.perf_counter()
    ny = (resized.shape[0] - size) // stride + 1
    nx = (resized.shape[1] - size) // stride + 1
    crops = np.stack([resized[stride * i:stride * i + size, stride * j:stride * j + size]
                      for i in range(ny) for j in range(nx)])
    probs = pipe[-1].set_params(batch_size=batch).predict_proba(crops)
    return probs.reshape(ny, nx, -1), time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="scan runs (the best counts)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 96])
    args = parser.parse_args(argv)

    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    data = make_synthetic_mammograms(6, image_size=1024, random_state=0)
    film = data.frame.iloc[[1]]
    print(f"film: {film['image'].iloc[0].shape}, pixel_mm={film['pixel_mm'].iloc[0]:g}, "
          f"{os.cpu_count()} cores")
    for size in args.sizes:
        pipe = make_pipeline(size=size, epochs=1, augment=False, validation_fraction=0,
                             random_state=0).fit(data.frame, data.target)
        pipe.scan(film)  # warm-up: TensorFlow's first call traces the graph
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        runs = [peak_memory(lambda p=pipe: p.scan(film)) for _ in range(max(1, args.repeats))]
        scan, scan_s, scan_mem = min(runs, key=lambda r: r[1])
        pipe.scan(film, exact=False)  # warm-up
        runs = [peak_memory(lambda p=pipe: p.scan(film, exact=False))
                for _ in range(max(1, args.repeats))]
        plain, plain_s, plain_mem = min(runs, key=lambda r: r[1])
        # The process's peak so far: TensorFlow, the fitted model, the films and the scans.
        process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        reference, window_s = windows_by_hand(pipe, film, size)
        grid = scan.grids[0]
        assert grid.probabilities.shape == reference.shape, (grid.probabilities.shape,
                                                              reference.shape)
        n = reference.shape[0] * reference.shape[1]
        print(f"\n{size}-px crops: {reference.shape[0]}x{reference.shape[1]} = {n} windows "
              f"at stride 16 ({grid.x[1] - grid.x[0]:.1f} film px)")
        for name, result, seconds, memory in (("scan (exact, default)", scan, scan_s, scan_mem),
                                              ("scan (exact=False)", plain, plain_s, plain_mem)):
            gap = np.abs(result.grids[0].probabilities - reference)
            print(f"  {name:22s} {seconds:7.2f} s/film   peak +{memory / 2**20:5.0f} MB   "
                  f"|dp| vs windows: max {gap.max():.1e}, mean {gap.mean():.1e}")
        print(f"  process peak before / after the scans: {before / 2**20:.0f} / "
              f"{process_peak / 2**20:.0f} MB (TensorFlow, the fit, the films included)")
        print(f"  {'windows, predict_proba':22s} {window_s:7.2f} s/film   (batches of 64)")
        print(f"  ratio windows / scan:  {window_s / scan_s:6.1f}x   (target >= 20x at 224 px)")
        print(f"  ratio windows / plain: {window_s / plain_s:6.1f}x")


if __name__ == "__main__":
    main()
