"""Speed of Denoiser -> CLAHE -> ROICropper on all 322 mini-MIAS films, next to a bare loop.

Reads the archive once (not timed), then runs, interleaved and ``--repeats``
times (the best run of each counts, as the machine may be shared):

- skmammo: ``Denoiser(n_jobs)``, ``CLAHE(n_jobs)``, ``ROICropper(n_jobs)`` on
  the mammogram frame (one row per film, 322 rows);
- bare: a plain serial Python loop over the same films calling OpenCV and
  numpy directly (the same mask, CLAHE, crop and resize, written inline),
  checked to give identical crops.

Prints seconds per film for each step and in total, the whole database, and
the ratios skmammo / bare (with ``n_jobs=1``: the wrappers' overhead; with
``--n-jobs``: what a user gets).  Targets on 2 cores: whole database under
10 s with ``n_jobs=2``, no more than 1.3x the bare loop.  ``--artifacts``
also counts, on all 322 films, the far bright blobs and mdb006's label
pixels that the study's method and skmammo's leave (slow: the study's
251-pixel dilation, ~0.3 s per film).

Run::

    .venv/bin/python benchmarks/bench_preprocessing.py [--n-jobs 2] [--repeats 3]
        [--artifacts] [--archive PATH]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = Path(os.environ.get(
    "SKMAMMO_MIAS_ARCHIVE", REPO.parent / "shared" / "data" / "mias" / "all-mias.tar.gz"))


# -- the bare loop: the same work, written inline with OpenCV ----------------
def _ellipse(size):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _bare_drop_far(body, bright, near, halo):
    bright = (bright & (body > 0)).astype(np.uint8)
    n, labels = cv2.connectedComponents(bright, connectivity=8)
    if n > 1:
        touching = np.bincount(labels[(near > 0) & (bright > 0)], minlength=n) > 0
        touching[0] = True
        far = ~touching[labels]
        if far.any():
            body[cv2.dilate(far.astype(np.uint8), _ellipse(halo)) > 0] = 0


def bare_denoise(film):
    """The default Denoiser on a 1024-pixel film (mask at 512, sizes 15/15/5/150 at 1024)."""
    rows, cols = film.shape
    small = cv2.resize(film, (cols // 2, rows // 2), interpolation=cv2.INTER_AREA)
    body = (small > 20).astype(np.uint8)
    body = cv2.morphologyEx(body, cv2.MORPH_OPEN, _ellipse(9))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(body, connectivity=8)
    body = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    contours, _ = cv2.findContours(body, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    body = np.zeros_like(body)
    cv2.drawContours(body, contours, -1, 1, cv2.FILLED)
    body = cv2.dilate(body, _ellipse(3))
    level, otsu = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    otsu = cv2.morphologyEx(otsu, cv2.MORPH_CLOSE, _ellipse(5))
    otsu = cv2.morphologyEx(otsu, cv2.MORPH_OPEN, _ellipse(5))
    contours, _ = cv2.findContours(otsu, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    core = np.zeros_like(otsu)
    cv2.drawContours(core, [max(contours, key=cv2.contourArea)], -1, 1, cv2.FILLED)
    near = cv2.dilate(core, _ellipse(2 * round(15 * 0.5) + 1))
    for cut in sorted({level, max(level, 150)}):
        _bare_drop_far(body, small > cut, near, 3)
    body[core > 0] = 1
    mask = cv2.resize(body, (cols, rows), interpolation=cv2.INTER_NEAREST)
    return np.where(mask > 0, film, 0).astype(np.uint8)


def bare_crop(film, x, y, r, size=224):
    """ROICropper(mode="native") for one row."""
    if math.isnan(x):
        small = film[::4, ::4]
        mask = (small > 20).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        mask = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
        depth = cv2.distanceTransform(np.pad(mask, 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        row, col = np.unravel_index(int(np.argmax(depth)), depth.shape)
        x, y, side = min(col * 4 + 2, 1023), min(row * 4 + 2, 1023), 256
    else:
        side = max(96, math.ceil(3.0 * r))
    half = side // 2
    col, row = math.floor(x + 0.5), math.floor(y + 0.5)
    x0, y0, x1, y1 = col - half, row - half, col + half + 1, row + half + 1
    crop = film[max(y0, 0):min(y1, 1024), max(x0, 0):min(x1, 1024)]
    pads = [max(-y0, 0), max(y1 - 1024, 0), max(-x0, 0), max(x1 - 1024, 0)]
    if any(pads):
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_CONSTANT, value=0)
    inter = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=inter)


def run_bare(frame):
    t0 = time.perf_counter()
    denoised = [bare_denoise(f) for f in frame["image"]]
    t1 = time.perf_counter()
    clahe = [cv2.createCLAHE(2.0, (8, 8)).apply(f) for f in denoised]
    t2 = time.perf_counter()
    crops = np.stack([bare_crop(f, x, y, r)
                      for f, x, y, r in zip(clahe, frame["x"], frame["y"], frame["radius"])])
    t3 = time.perf_counter()
    return crops, (t1 - t0, t2 - t1, t3 - t2)


def run_skmammo(frame, n_jobs):
    from skmammo.preprocessing import CLAHE, Denoiser, ROICropper

    t0 = time.perf_counter()
    denoised = Denoiser(n_jobs=n_jobs).fit_transform(frame)
    t1 = time.perf_counter()
    enhanced = CLAHE(n_jobs=n_jobs).fit_transform(denoised)
    t2 = time.perf_counter()
    crops = ROICropper(n_jobs=n_jobs).fit_transform(enhanced)
    t3 = time.perf_counter()
    return crops, (t1 - t0, t2 - t1, t3 - t2)


# -- artifact counts ---------------------------------------------------------
def far_blob(cleaned, breast, level=150, pixels=50, distance=15):
    """Is there a blob of >= 50 pixels above 150 more than 15 pixels from ``breast``?"""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        (cleaned > level).astype(np.uint8), connectivity=8)
    big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= pixels]
    if not big:
        return False
    dist = cv2.distanceTransform((breast == 0).astype(np.uint8), cv2.DIST_L2,
                                 cv2.DIST_MASK_PRECISE)
    near = np.bincount(labels[dist <= distance], minlength=n) > 0
    return any(not near[i] for i in big)


def artifact_counts(frame, n_jobs):
    from joblib import Parallel, delayed

    from skmammo.preprocessing import Denoiser, study_mask

    films = dict(zip(frame["film"], frame["image"]))
    names = list(films)
    label_box = (slice(0, 116), slice(627, 725))
    for mode in ("study", "native"):
        t = time.perf_counter()
        cleaned = Denoiser(mode=mode, n_jobs=n_jobs).fit_transform([films[f] for f in names])
        seconds = time.perf_counter() - t

        def measure(film, out):
            breast = study_mask(film, dilate=False)
            return far_blob(out, breast), float(np.mean(out[breast > 0] == film[breast > 0]))

        measured = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(measure)(films[f], o) for f, o in zip(names, cleaned))
        blobs = [f for f, (b, _) in zip(names, measured) if b]
        kept = min(k for _, k in measured)
        label = int(np.sum(cleaned[names.index("mdb006")][label_box] > 150))
        print(f"Denoiser(mode={mode!r}): {len(blobs)} of {len(names)} films with a far "
              f"bright blob{': ' + ' '.join(blobs) if blobs else ''}; mdb006 label pixels "
              f"kept {label} of {int(np.sum(films['mdb006'][label_box] > 150))}; study breast "
              f"region kept >= {kept:.4f}; {seconds / len(names):.3f} s per film", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--artifacts", action="store_true",
                        help="also count the artifacts both Denoiser methods leave")
    args = parser.parse_args()

    from skmammo.datasets import load_mias

    t = time.perf_counter()
    frame = load_mias(args.archive, unit="film", keep_unlocated=True, keep_mislocated=True,
                      verbose=0).data
    print(f"{len(frame)} films read from {args.archive} in {time.perf_counter() - t:.1f} s "
          f"(not timed below); load average {os.getloadavg()[0]:.2f}", flush=True)

    contenders = {"bare loop": lambda: run_bare(frame),
                  "skmammo n_jobs=1": lambda: run_skmammo(frame, 1),
                  f"skmammo n_jobs={args.n_jobs}": lambda: run_skmammo(frame, args.n_jobs)}
    warm = frame.iloc[:8]                 # first calls allocate; not timed
    run_bare(warm)
    run_skmammo(warm, args.n_jobs)
    best: dict[str, np.ndarray] = {}
    outputs = {}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            crops, times = run()
            times = np.array(times)
            outputs[name] = crops
            if name not in best or times.sum() < best[name].sum():
                best[name] = times
    reference = outputs["bare loop"]
    for name, crops in outputs.items():
        same = np.array_equal(crops, reference)
        if not same:
            print(f"WARNING: {name} crops differ from the bare loop's "
                  f"({np.mean(crops != reference):.4%} of pixels)")

    n = len(frame)
    print(f"\nseconds per film (best of {args.repeats}), {n} films, crops {reference.shape}")
    print(f"{'':22s} {'Denoiser':>9s} {'CLAHE':>9s} {'ROICropper':>11s} {'total':>9s} "
          f"{'whole DB s':>11s} {'ratio':>7s}")
    bare = best["bare loop"].sum()
    for name, times in best.items():
        d, c, r = times / n
        print(f"{name:22s} {d:9.4f} {c:9.4f} {r:11.4f} {times.sum() / n:9.4f} "
              f"{times.sum():11.2f} {times.sum() / bare:7.2f}")
    ours = best[f"skmammo n_jobs={args.n_jobs}"].sum()
    overhead = best["skmammo n_jobs=1"].sum() / bare
    print(f"\nwhole database with n_jobs={args.n_jobs}: {ours:.2f} s (target < 10 s); "
          f"skmammo n_jobs=1 / bare loop: {overhead:.2f}x, skmammo n_jobs={args.n_jobs} / "
          f"bare loop: {ours / bare:.2f}x (target <= 1.3x); load average "
          f"{os.getloadavg()[0]:.2f}")
    if args.artifacts:
        print()
        artifact_counts(frame, args.n_jobs)


if __name__ == "__main__":
    main()
