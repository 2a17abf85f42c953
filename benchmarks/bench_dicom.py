"""Reading one large 16-bit DICOM film and resampling it to 0.2 mm: skmammo against bare pydicom + OpenCV.

One film of 5000 x 3000 pixels (rows x columns), 12 bits stored in 16, a
window centre/width and ``ImagerPixelSpacing`` 0.07 mm, as a digital
mammography detector writes it, is written once (uncompressed, by the
tests' ``write_dicom``).  Then, in the same run, best of ``--repeat``:

- **baseline**: the loop a competent user writes with pydicom and OpenCV:
  ``dcmread``, ``pixel_array``, rescale and the LINEAR window in float32
  (DICOM PS3.3 C.11.2.1.2), rounded to uint8, ``cv2.resize`` with
  ``INTER_AREA`` to 0.2 mm;
- **read_film + Resample**: :func:`skmammo.datasets.read_film` (the
  documented 8-bit rule) then the ``Resample`` film operation the loaders
  queue in a path frame;
- **load_films(images="array")**: the same film through ``load_films``
  with ``pixel_mm=0.2`` (it also reads the header and builds the frame).

Prints seconds per film, the ratios against the baseline (goal: <= 1.2)
and the largest difference between the 8-bit results (at most one grey
level: both round the same window, in float32 against float64).

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_dicom.py [--rows 5000] [--columns 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def baseline(path: str, pixel_mm: float) -> np.ndarray:
    """What a user writes without skmammo: pydicom, NumPy windowing, OpenCV resizing."""
    import pydicom

    ds = pydicom.dcmread(path)
    values = ds.pixel_array.astype(np.float32)
    values = values * np.float32(ds.get("RescaleSlope", 1)) + np.float32(
        ds.get("RescaleIntercept", 0))
    centre, width = float(ds.WindowCenter), float(ds.WindowWidth)
    unit = np.clip((values - (centre - 0.5)) / (width - 1) + 0.5, 0, 1)
    film = np.rint(unit * 255).astype(np.uint8)
    factor = float(ds.ImagerPixelSpacing[0]) / pixel_mm
    size = (round(film.shape[1] * factor), round(film.shape[0] * factor))
    return cv2.resize(film, size, interpolation=cv2.INTER_AREA)


def best_of(function, repeat: int) -> tuple[np.ndarray, float]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return result, min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=3000)
    parser.add_argument("--spacing", type=float, default=0.07, help="ImagerPixelSpacing (mm)")
    parser.add_argument("--pixel-mm", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from dicom_files import write_dicom
    from skmammo.datasets import load_films, read_film
    from skmammo.datasets._resample import Resample

    rng = np.random.default_rng(0)
    rows, columns = args.rows, args.columns
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float32)
    tissue = 1500 + 1800 * np.exp(-(((xx - columns * 0.2) / (columns * 0.5)) ** 2
                                    + ((yy - rows / 2) / (rows * 0.45)) ** 2))
    stored = np.clip(tissue + rng.normal(0, 60, (rows, columns)), 0, 4095).astype(np.uint16)
    del yy, xx, tissue
    with tempfile.TemporaryDirectory() as tmp:
        path = str(write_dicom(Path(tmp) / "film.dcm", stored, bits_stored=12,
                               window=(2600.0, 2400.0), voi_function="LINEAR",
                               imager_spacing=(args.spacing, args.spacing)))
        del stored
        factor = args.spacing / args.pixel_mm
        ours = lambda: Resample(factor)(read_film(path))  # noqa: E731
        loaded = lambda: load_films(path, pixel_mm=args.pixel_mm,  # noqa: E731
                                    images="array").frame["image"].iloc[0]
        for function in (lambda: baseline(path, args.pixel_mm), ours, loaded):
            function()  # warm-up: imports, page cache
        plain, t_base = best_of(lambda: baseline(path, args.pixel_mm), args.repeat)
        film, t_ours = best_of(ours, args.repeat)
        frame_film, t_load = best_of(loaded, args.repeat)
    print(f"film {rows} x {columns}, 12 bits in 16, {args.spacing} mm -> {args.pixel_mm} mm "
          f"({film.shape[0]} x {film.shape[1]}); best of {args.repeat}")
    print(f"  pydicom + OpenCV baseline   {t_base:7.3f} s")
    print(f"  read_film + Resample        {t_ours:7.3f} s   ratio {t_ours / t_base:.2f}")
    print(f"  load_films(images='array')  {t_load:7.3f} s   ratio {t_load / t_base:.2f}")
    print(f"  largest difference to the baseline: read_film "
          f"{np.abs(film.astype(int) - plain).max()} grey level(s), load_films "
          f"{np.abs(frame_film.astype(int) - plain).max()}")


if __name__ == "__main__":
    main()
