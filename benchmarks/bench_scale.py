"""Batch explanation of many films on disk through a Dask cluster, with bounded memory and resume.

What it does:

1. writes ``--n`` synthetic films (``--image-size`` pixels, PNG) to disk with
   ``make_synthetic_mammograms(directory=...)``: the frame holds paths only;
2. fits the pipeline (``Denoiser -> CLAHE -> ROICropper -> CNN``) on the first
   ``--train`` films, read from disk;
3. starts a ``LocalCluster`` (``--workers`` processes, one thread each,
   127.0.0.1) in this process and runs ``explain_to_disk`` in a separate
   *driver* process connected to it, under ``joblib.parallel_backend("dask")``;
4. kills the driver (SIGKILL, no clean-up) once a third of the chunks are on
   disk, starts it again and lets it finish: the rerun skips the finished
   chunks;
5. prints the peak RSS of each driver run and of every worker, next to the
   size the films would take in memory, and checks the result: one table
   line per film, every heatmap finite.

Run::

    .venv/bin/python benchmarks/bench_scale.py                 # 1,000 films, ~5 min on 2 cores
    .venv/bin/python benchmarks/bench_scale.py --n 200 --image-size 256   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

FAST = dict(epochs=2, augment=False, balance=None, validation_fraction=0, learning_rate=1e-3,
            batch_size=16)


def _peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def driver(args: argparse.Namespace) -> None:
    """One driver run: load the fitted pipeline, explain everything left, report."""
    import pickle

    import joblib
    import pandas as pd
    from distributed import Client

    from skmammo.explain import explain_to_disk

    work = Path(args.work)
    frame = pd.read_pickle(work / "frame.pkl")
    with open(work / "pipeline.pkl", "rb") as handle:
        pipeline = pickle.load(handle)
    loaded = _peak_rss_mib()  # Python, TensorFlow, the pipeline and the frame of paths
    start = time.perf_counter()
    with Client(args.scheduler), joblib.parallel_backend("dask"):
        table = explain_to_disk(pipeline, frame, work / "out", method="gradcam",
                                chunk_size=args.chunk_size, verbose=0)
    sys.stdout.write(json.dumps({"seconds": time.perf_counter() - start, "rows": len(table),
                                 "driver_peak_rss_mib": _peak_rss_mib(),
                                 "driver_loaded_rss_mib": loaded}) + "\n")


def _worker_peak(dask_worker=None) -> float:
    return _peak_rss_mib()


def main(args: argparse.Namespace) -> None:
    import pickle

    import numpy as np
    from distributed import Client, LocalCluster

    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    films = make_synthetic_mammograms(args.n, image_size=args.image_size, random_state=0,
                                      directory=work / "films")
    on_disk = sum(p.stat().st_size for p in (work / "films").iterdir()) / 2**20
    in_memory = args.n * args.image_size ** 2 / 2**20
    print(f"{args.n} films of {args.image_size}x{args.image_size} written in "
          f"{time.perf_counter() - t:.1f} s: {on_disk:.0f} MiB of PNG on disk, "
          f"{in_memory:.0f} MiB as uint8 arrays in memory")
    films.data.to_pickle(work / "frame.pkl")

    t = time.perf_counter()
    train = slice(0, args.train)
    pipeline = make_pipeline(size=args.size, random_state=0, **FAST)
    pipeline.fit(films.data.iloc[train], films.target[train])
    with open(work / "pipeline.pkl", "wb") as handle:
        pickle.dump(pipeline, handle)
    print(f"pipeline fitted on {args.train} films from disk in {time.perf_counter() - t:.1f} s "
          f"(crops {args.size} px); this process's peak RSS so far {_peak_rss_mib():.0f} MiB")

    n_chunks = -(-args.n // args.chunk_size)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        command = [sys.executable, __file__, "--driver", "--scheduler", cluster.scheduler_address,
                   "--work", str(work), "--chunk-size", str(args.chunk_size)]
        out = work / "out"

        # Run 1: killed once a third of the chunks are on disk.
        t = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        kill_at = max(1, n_chunks // 3)
        while child.poll() is None:
            done = len(list(out.glob("chunk_*.csv"))) if out.exists() else 0
            if done >= kill_at:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.2)
        child.wait()
        first = time.perf_counter() - t
        finished = sorted(out.glob("chunk_*.csv"))
        leftovers = list(out.glob(".*tmp"))
        print(f"run 1: driver killed (SIGKILL) after {first:.1f} s with {len(finished)} of "
              f"{n_chunks} chunks finished; half-written files left: {len(leftovers)}")
        stamps = {p.name: p.stat().st_mtime_ns for p in finished}

        # Run 2: resumes.
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        untouched = sum((out / name).stat().st_mtime_ns == stamp for name, stamp in stamps.items())
        left = max(1, args.n - len(finished) * args.chunk_size)
        print(f"run 2: resumed, {n_chunks - len(finished)} chunks explained in "
              f"{report['seconds']:.1f} s ({report['seconds'] / left * 1000:.1f} ms "
              f"per film); the {untouched} chunks of run 1 were not redone; "
              f"{report['rows']} table lines")
        print(f"peak RSS: driver {report['driver_peak_rss_mib']:.0f} MiB "
              f"({report['driver_loaded_rss_mib']:.0f} MiB before the first chunk); workers "
              + ", ".join(f"{v:.0f} MiB" for v in client.run(_worker_peak).values())
              + f" (films in memory would be {in_memory:.0f} MiB)")

    import pandas as pd

    table = pd.read_csv(out / "explanations.csv")
    heatmaps = [np.load(p)["heatmaps"] for p in sorted(out.glob("chunk_*.npz"))]
    assert len(table) == args.n and table["position"].tolist() == list(range(args.n))
    assert sum(len(h) for h in heatmaps) == args.n and all(np.isfinite(h).all() for h in heatmaps)
    print(f"checked: {len(table)} lines, {sum(len(h) for h in heatmaps)} finite heatmaps "
          f"in {len(heatmaps)} files under {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="films (default 1000)")
    parser.add_argument("--image-size", type=int, default=512, help="film side (default 512)")
    parser.add_argument("--size", type=int, default=64, help="crop side (default 64)")
    parser.add_argument("--train", type=int, default=100, help="films to fit on (default 100)")
    parser.add_argument("--chunk-size", type=int, default=50, help="rows per chunk (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    parser.add_argument("--work", default=None, help="working folder (default: a new temp one)")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scheduler", default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.driver:
        driver(arguments)
    else:
        main(arguments)
