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
and the peak resident memory each adds to the process (sampled every 2 ms,
``bench_scan.peak_memory``), and the ratio at once / chunked.  The chunked
scan runs first, so it cannot profit from memory the other has freed.

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

import numpy as np
from bench_scan import peak_memory


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
            folder = Path(tmp) / f"chunks_{label.split()[2]}"
            chunked, chunked_s, chunked_mem = peak_memory(
                lambda f=films, d=folder: scan_to_disk(pipe, f, d, chunk_size=args.chunk_size))
            whole, whole_s, whole_mem = peak_memory(lambda f=films: pipe.scan(f))
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
