"""Peak memory of scanning many films: ``scan_to_disk`` in chunks against one ``scan``.

A pipeline at the demo's small size is fitted for one epoch on a few
synthetic films, then the same N films (default 48 at 1024 x 1024 pixels,
held in memory as ``make_synthetic_mammograms`` gives them) are scanned in
one run:

- **chunked**: ``scan_to_disk(pipe, films, folder, chunk_size=8)``: each
  chunk of films is preprocessed, scanned, written and released;
- **at once**: ``pipe.scan(films)``: the steps before the cropper
  (``Denoiser``, ``CLAHE``) transform every film of the frame at once.

Then the same with the films on disk (``path`` column, as ``load_films``
gives them), where both read one film at a time.  Prints seconds per film
(measured without ``tracemalloc``, which slows Python code) and the peak
memory of the arrays each holds (``tracemalloc``: NumPy's and
OpenCV's arrays and Python objects), and the ratio at once / chunked.

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_scan_disk.py [--films 48] [--chunk-size 8]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import time
import tracemalloc

import numpy as np


def peak_arrays(function):
    """``(result, seconds, peak bytes of Python objects and NumPy/OpenCV arrays added)``.

    ``tracemalloc`` counts every array NumPy allocates (OpenCV's results
    included) while ``function`` runs; the process's resident set is no
    measure here, as glibc keeps freed film-sized blocks for reuse (it
    varied 10-fold between runs).  TensorFlow's own buffers are not counted
    (the same network runs in both ways).
    """
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    try:
        result = function()
    finally:
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=48)
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--chunk-size", type=int, default=8)
    parser.add_argument("--size", type=int, default=32, help="network input (pixels)")
    args = parser.parse_args(argv)

    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline
    from skmammo.scan import scan_to_disk

    train = make_synthetic_mammograms(12, image_size=args.image_size, random_state=0)
    pipe = make_pipeline(size=args.size, epochs=1, augment=False, balance=None,
                         validation_fraction=0, random_state=0).fit(train.data, train.target)
    pipe.scan(train.data.iloc[:1])  # warm-up: TensorFlow's first call traces the graph
    with tempfile.TemporaryDirectory() as tmp:
        in_memory = make_synthetic_mammograms(args.films, image_size=args.image_size,
                                              random_state=1).data
        on_disk = make_synthetic_mammograms(args.films, image_size=args.image_size,
                                            random_state=1, directory=Path(tmp) / "films").data
        print(f"{args.films} films of {args.image_size} x {args.image_size} pixels "
              f"({args.films * args.image_size ** 2 / 2**20:.0f} MB as uint8), network input "
              f"{args.size} px, chunks of {args.chunk_size}, {os.cpu_count()} cores")
        for label, films in (("films in memory (image)", in_memory),
                             ("films on disk (path)", on_disk)):
            name = label.split()[2]
            # seconds without tracemalloc (it slows Python code), then the memory
            t0 = time.perf_counter()
            scan_to_disk(pipe, films, Path(tmp) / f"timed_{name}", chunk_size=args.chunk_size)
            chunked_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            pipe.scan(films)
            whole_s = time.perf_counter() - t0
            chunked, _, chunked_mem = peak_arrays(
                lambda f=films, d=Path(tmp) / f"traced_{name}": scan_to_disk(
                    pipe, f, d, chunk_size=args.chunk_size))
            whole, _, whole_mem = peak_arrays(lambda f=films: pipe.scan(f))
            gap = np.abs(chunked.scores - whole.scores).max()
            n = len(films)
            print(f"\n{label}:")
            print(f"  chunked (scan_to_disk) {chunked_s / n:6.3f} s/film   peak "
                  f"+{chunked_mem / 2**20:6.0f} MB")
            print(f"  at once (scan)         {whole_s / n:6.3f} s/film   peak "
                  f"+{whole_mem / 2**20:6.0f} MB")
            print(f"  ratio peak at once / chunked: {whole_mem / max(chunked_mem, 1):5.1f}x;"
                  f" time chunked / at once: {chunked_s / whole_s:4.2f}x;"
                  f" largest score difference {gap:.1e}")


if __name__ == "__main__":
    main()
