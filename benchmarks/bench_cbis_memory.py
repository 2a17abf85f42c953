"""Peak memory of ``load_cbis_ddsm(..., images="path")`` on a CBIS-DDSM tree of N films.

A tree laid out as the NBIA Data Retriever delivers it (descriptive folders,
``metadata.csv``, the four case-description CSVs; by default 3,000 films,
each with one abnormality whose ROI mask and crop are separate series) is
written to a temporary folder with small films (by path only the films'
headers are read; the masks are read whole, one at a time, to place the
lesion).  Then, each in a fresh Python process so that one does not inherit
the other's memory:

- **baseline**: ``pandas.read_csv`` of the same four CSVs and ``metadata.csv``
  (what any loader must at least hold);
- **load_cbis_ddsm**: the frame by path, at ``pixel_mm=0.2``.

Prints for each the peak of Python objects and NumPy arrays allocated while
it runs (``tracemalloc``) and the process's peak resident set (``ru_maxrss``,
interpreter and imported libraries included), the ratio of the two, and
whether the loader's peak RSS is under the issue's goal of 500 MB.

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_cbis_memory.py [--films 3000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL_MB = 500

CHILD = r"""
import json, resource, sys, time, tracemalloc
root, what = sys.argv[1], sys.argv[2]
import pandas as pd
from skmammo.datasets import load_cbis_ddsm
import skmammo.datasets._dicom, pydicom, cv2  # imported before measuring, in both runs
names = ["mass_case_description_train_set.csv", "mass_case_description_test_set.csv",
         "calc_case_description_train_set.csv", "calc_case_description_test_set.csv",
         "metadata.csv"]
tracemalloc.start()
t0 = time.perf_counter()
if what == "baseline":
    import os
    tables = [pd.read_csv(os.path.join(root, n), dtype=str) for n in names
              if os.path.exists(os.path.join(root, n))]
    rows = sum(len(t) for t in tables)
else:
    rows = len(load_cbis_ddsm(root, pixel_mm=0.2, images="path").frame)
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
print(json.dumps({"rows": rows, "seconds": seconds, "traced": peak, "rss": rss}))
"""


def measure(root: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), what], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=64, help="film height in pixels")
    parser.add_argument("--columns", type=int, default=48, help="film width in pixels")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE.parent / "tests"))
    from cbis_files import Abnormality, Case, write_cbis_tree

    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        cases = [Case(f"P_{i:05d}", kind="mass" if i % 2 else "calc",
                      split="train" if i % 5 else "test", side="LEFT" if i % 3 else "RIGHT",
                      view="CC" if i % 4 else "MLO", shape=(args.rows, args.columns),
                      abnormalities=[Abnormality((4, 6, 4 + i % 20, 6 + i % 30),
                                                 pathology=("MALIGNANT", "BENIGN",
                                                            "BENIGN_WITHOUT_CALLBACK")[i % 3])])
                 for i in range(args.films)]
        root = write_cbis_tree(Path(folder) / "CBIS", cases, layout="nbia")
        print(f"wrote {args.films} films ({args.rows} x {args.columns}) with masks and crops "
              f"in {time.perf_counter() - t0:.0f} s")
        base = measure(root, "baseline")
        load = measure(root, "load")
    mb = 1024 * 1024
    for label, result in (("baseline (pandas: CSVs + metadata)", base),
                          ("load_cbis_ddsm(images='path')", load)):
        print(f"{label:34s} {result['rows']:6d} rows {result['seconds']:7.1f} s   traced peak "
              f"{result['traced'] / mb:7.1f} MB   peak RSS {result['rss'] / mb:7.1f} MB")
    print(f"ratio load / baseline: traced {load['traced'] / max(base['traced'], 1):5.1f}x, "
          f"RSS {load['rss'] / max(base['rss'], 1):5.2f}x; goal: peak RSS under {GOAL_MB} MB: "
          f"{'met' if load['rss'] < GOAL_MB * mb else 'NOT met'}")


if __name__ == "__main__":
    main()
