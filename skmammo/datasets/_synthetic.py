"""``make_synthetic_mammograms``: a seeded, learnable stand-in for MIAS."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import cv2
import numpy as np
from sklearn.utils import check_random_state

from skmammo.datasets._frame import make_bunch
from skmammo.utils import atomic_write

__all__ = ["SYNTHETIC_FILM_MM", "make_synthetic_mammograms"]

#: Width of the field a synthetic film shows, in millimetres: ``pixel_mm`` is this
#: divided by ``image_size`` (0.8 mm at 256 pixels, so the default 51.2-mm
#: window of ``ROICropper`` is a quarter of the film's side).  A mini-MIAS
#: film is as wide: 1024 pixels of 0.2 mm.
SYNTHETIC_FILM_MM = 204.8

SYNTHETIC_DESCR = """\
Synthetic mammograms (skmammo)
------------------------------

Films drawn to look like medio-lateral oblique mammograms to the
preprocessing: a dark, slightly noisy background; a breast-shaped region
against the chest wall with textured tissue; a bright label artifact in the
corner outside the breast (for the Denoiser to remove); and at most one
lesion whose class is decided by its shape:

- normal (0): no lesion;
- benign (1): a round or oval mass with a smooth, soft border;
- malignant (2): an irregular mass with spicules radiating from it.

``x``, ``y`` (pixels, origin top-left) and ``radius`` (a circle enclosing the
lesion, spicules included) are known exactly.  Films come in left/right pairs
of one synthetic patient, like MIAS (odd numbers right, even numbers left).
Every film is 204.8 mm wide, as a mini-MIAS film: ``pixel_mm`` is
204.8 / image_size (0.8 at 256).
Not derived from any patient data.
"""


def _smooth_noise(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Zero-mean noise smoothed by a Gaussian, scaled to unit standard deviation."""
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return noise / (noise.std() + 1e-6)


def _breast_mask(rng, size: int, side: str) -> np.ndarray:
    """A half-ellipse against the chest wall (left edge for a left breast, right edge for right)."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    depth = size * rng.uniform(0.55, 0.72)  # how far the breast reaches from the wall
    height = size * rng.uniform(0.36, 0.44)
    centre_row = size * rng.uniform(0.47, 0.55)
    wall_distance = cols if side == "L" else (size - 1 - cols)
    # A slightly irregular skin line: modulate the depth along the rows.
    wobble = 1.0 + 0.04 * np.sin(rows / size * rng.uniform(4, 9) + rng.uniform(0, 2 * np.pi))
    inside = (wall_distance / (depth * wobble)) ** 2 + ((rows - centre_row) / height) ** 2 <= 1.0
    return inside


def _label_artifact(rng, size: int, side: str, breast: np.ndarray) -> np.ndarray:
    """A bright film label with dark 'letters', in the top corner away from the chest wall."""
    label = np.zeros((size, size), np.float32)
    h = int(size * rng.uniform(0.06, 0.09))
    w = int(size * rng.uniform(0.12, 0.18))
    top = int(size * rng.uniform(0.02, 0.05))
    margin = int(size * rng.uniform(0.03, 0.06))
    left = size - margin - w if side == "L" else margin
    label[top : top + h, left : left + w] = rng.uniform(200, 250)
    # Three dark strokes standing in for letters.
    for k in range(3):
        x0 = left + int(w * (0.15 + 0.28 * k))
        label[top + h // 4 : top + 3 * h // 4, x0 : x0 + max(1, w // 12)] = 40
    label[breast] = 0  # never on the breast
    return label


def _benign_lesion(rng, size: int, cx: float, cy: float, r: float) -> tuple[np.ndarray, float]:
    """A round or oval mass with a smooth border; returns (intensity map, enclosing radius)."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    ratio = rng.uniform(0.7, 1.0)
    dx, dy = cols - cx, rows - cy
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    dist = np.sqrt((u / r) ** 2 + (v / (r * ratio)) ** 2)
    profile = np.clip(1.0 - dist, 0.0, 1.0) ** 0.5
    profile = cv2.GaussianBlur(profile.astype(np.float32), (0, 0), max(r / 6.0, 0.8))
    return profile, float(r)


def _malignant_lesion(rng, size: int, cx: float, cy: float, r: float) -> tuple[np.ndarray, float]:
    """An irregular core with radiating spicules; returns (intensity map, enclosing radius)."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = cols - cx, rows - cy
    theta = np.arctan2(dy, dx)
    core_r = 0.75 * r * np.ones_like(theta)
    for harmonic in range(2, 7):
        core_r += 0.75 * r * rng.uniform(0.03, 0.1) * np.cos(harmonic * theta + rng.uniform(0, 2 * np.pi))
    core = (np.hypot(dx, dy) <= core_r).astype(np.float32)
    spicules = np.zeros((size, size), np.float32)
    reach = 0.0
    for angle in rng.uniform(0, 2 * np.pi, size=rng.integers(7, 13)):
        length = r * rng.uniform(1.3, 2.0)
        reach = max(reach, length)
        end = (int(round(cx + length * np.cos(angle))), int(round(cy + length * np.sin(angle))))
        thickness = max(1, int(round(r / 10)))
        cv2.line(spicules, (int(round(cx)), int(round(cy))), end, 0.8, thickness, cv2.LINE_AA)
    lesion = np.maximum(core, spicules)
    lesion = cv2.GaussianBlur(lesion, (0, 0), max(r / 14.0, 0.6))
    return lesion, float(reach)


def _write_film(file: Path, image: np.ndarray) -> None:
    """Write ``image`` to ``file`` (PNG or binary PGM) under a temporary name, then rename."""
    if file.suffix == ".pgm":
        rows, cols = image.shape
        data = f"P5\n{cols} {rows}\n255\n".encode("ascii") + image.tobytes()
    else:
        ok, encoded = cv2.imencode(".png", image)
        if not ok:  # pragma: no cover - OpenCV always encodes uint8 grey PNGs
            raise ValueError(f"OpenCV could not encode {file.name}")
        data = encoded.tobytes()
    atomic_write(file, data)


def make_synthetic_mammograms(
    n_samples: int = 300,
    *,
    image_size: int = 256,
    weights: tuple[float, float, float] = (0.4, 0.3, 0.3),
    random_state=None,
    return_X_y: bool = False,
    directory: str | os.PathLike | None = None,
    file_format: str = "png",
):
    """Draw a seeded set of synthetic mammograms in the mammogram-frame format.

    The built-in default data set of the demo and of the fast tests: one row
    per film, every film its own array.  The class is learnable from the
    lesion's shape (see ``DESCR``), and every artifact the preprocessing is
    meant to handle is present.

    Parameters
    ----------
    n_samples : int, default=300
        Number of films.
    image_size : int, default=256
        Side of the square films in pixels (at least 64).
    weights : tuple of 3 floats, default=(0.4, 0.3, 0.3)
        Proportions of normal, benign and malignant films (normalised).
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same films.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    directory : str or path-like, optional
        Write every film to ``directory/<film>.<file_format>`` (created if
        needed; each file written under a temporary name, then renamed) and
        return a frame with a ``path`` column instead of ``image``: films by
        reference, read by the transformers when needed, so any number of
        films fits in memory.  The same seed gives the same pixels either way.
    file_format : {"png", "pgm"}, default="png"
        File format with ``directory``.

    Returns
    -------
    data : Bunch
        ``frame``, ``data``, ``target``, ``target_names``, ``groups`` and
        ``DESCR``, as :func:`load_mias` returns them.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> films = make_synthetic_mammograms(6, image_size=128, random_state=0)
    >>> films.frame.shape, films.frame["image"][0].shape
    ((6, 11), (128, 128))
    >>> import tempfile
    >>> on_disk = make_synthetic_mammograms(6, image_size=128, random_state=0,
    ...                                     directory=tempfile.mkdtemp())
    >>> on_disk.frame["path"][0].endswith("syn0001.png")
    True
    """
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if not isinstance(image_size, numbers.Integral) or image_size < 64:
        raise ValueError(f"image_size must be an integer of at least 64, got {image_size!r}")
    if file_format not in ("png", "pgm"):
        raise ValueError(f"file_format must be 'png' or 'pgm', got {file_format!r}")
    if directory is not None:
        directory = Path(directory).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (3,) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(f"weights must be 3 non-negative proportions, got {weights.tolist()!r}")

    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    size = int(image_size)
    # Exact class counts (largest remainder), shuffled: small sets stay balanced.
    quotas = weights / weights.sum() * n_samples
    counts = np.floor(quotas).astype(int)
    counts[np.argsort(quotas - counts)[::-1][: n_samples - counts.sum()]] += 1
    labels = rng.permutation(np.repeat([0, 1, 2], counts))
    # Every synthetic film shows SYNTHETIC_FILM_MM of breast, whatever its pixel count.
    pixel_mm = SYNTHETIC_FILM_MM / size

    rows = []
    for index, label in enumerate(labels, start=1):
        side = "R" if index % 2 else "L"
        tissue = rng.choice(["F", "G", "D"])
        breast = _breast_mask(rng, size, side)
        density = {"F": 80.0, "G": 100.0, "D": 120.0}[tissue]
        soft_edge = cv2.GaussianBlur(breast.astype(np.float32), (0, 0), size / 40)
        texture = 14.0 * _smooth_noise(rng, (size, size), size / 30) + 6.0 * _smooth_noise(
            rng, (size, size), size / 120
        )
        film = (density + texture) * soft_edge * breast
        film += rng.uniform(0, 8, (size, size)).astype(np.float32)  # background noise
        film = np.maximum(film, _label_artifact(rng, size, side, breast))

        x = y = radius = np.nan
        if label:
            r = size * rng.uniform(0.035, 0.07)
            # A centre well inside the breast and the film: its distance to the skin
            # line and to the film's edge exceeds 2.2 r.
            interior = np.zeros((size + 2, size + 2), np.uint8)
            interior[1:-1, 1:-1] = breast
            distance = cv2.distanceTransform(interior, cv2.DIST_L2, 5)[1:-1, 1:-1]
            inner = distance > 2.2 * r
            candidates = np.flatnonzero(inner)
            cy, cx = np.unravel_index(rng.choice(candidates), breast.shape)
            draw = _benign_lesion if label == 1 else _malignant_lesion
            lesion, radius = draw(rng, size, float(cx), float(cy), r)
            film += rng.uniform(55, 80) * lesion
            x, y = float(cx), float(cy)

        image = np.clip(np.rint(film), 0, 255).astype(np.uint8)
        image.setflags(write=False)
        film_id = f"syn{index:04d}"
        if directory is not None:
            file = directory / f"{film_id}.{file_format}"
            _write_film(file, image)
            where = {"path": str(file)}
        else:
            where = {"image": image}
        rows.append(
            {
                **where,
                "x": x,
                "y": y,
                "radius": radius,
                "film": film_id,
                "patient": f"s{(index + 1) // 2:04d}",
                "side": side,
                "tissue": str(tissue),
                "abnormality": ("NORM", "CIRC", "SPIC")[label],
                "severity": (None, "B", "M")[label],
                "pixel_mm": pixel_mm,
                "lesion": int(label > 0),  # one lesion per abnormal film (0: normal film)
            }
        )
    return make_bunch(rows, descr=SYNTHETIC_DESCR, return_X_y=return_X_y)
