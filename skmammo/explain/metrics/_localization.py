"""Agreement of heatmaps with the annotated lesions (circles or masks), and the maps to beat."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import Bunch

from skmammo.explain._explanation import Explanation
from skmammo.explain.metrics._common import maps_of, targets_of

__all__ = ["BASELINE_MAPS", "baseline_maps", "centre_prior", "circles_in_crop", "has_lesion_masks",
           "localization", "masks_in_crop", "random_map"]

#: The baseline maps :func:`~skmammo.explain.metrics.compare_explainers` scores
#: beside the methods, by row name, with how reports name them.
BASELINE_MAPS = {"centre_prior": "centre prior (baseline)", "random_map": "random map (baseline)"}


def circles_in_crop(
    boxes: np.ndarray, x: np.ndarray, y: np.ndarray, radius: np.ndarray, crop_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lesion circles from film coordinates to crop coordinates.

    ``boxes`` are the crop boxes ``x0, y0, x1, y1`` (film pixels) of
    ``Explanation.boxes``; the crop of ``crop_shape`` (rows, cols) shows the
    box resized.  A film pixel's centre maps to the crop position of the same
    tissue, as the resizing moves it (the box's pixels run from ``x0`` to
    ``x1 - 1``).  Returns ``x, y, radius`` in crop pixels (NaN stays NaN).
    """
    boxes = np.asarray(boxes, dtype=float)
    sx = crop_shape[1] / (boxes[:, 2] - boxes[:, 0])
    sy = crop_shape[0] / (boxes[:, 3] - boxes[:, 1])
    cx = (np.asarray(x, dtype=float) + 0.5 - boxes[:, 0]) * sx - 0.5
    cy = (np.asarray(y, dtype=float) + 0.5 - boxes[:, 1]) * sy - 0.5
    return cx, cy, np.asarray(radius, dtype=float) * np.sqrt(sx * sy)


def has_lesion_masks(frame: Any) -> bool:
    """Whether ``frame`` annotates its lesions as masks or boxes (:func:`masks_in_crop` can read them).

    True for the frames of :func:`~skmammo.datasets.load_cbis_ddsm` (a mask
    file per lesion) and :func:`~skmammo.datasets.load_vindr_mammo` (boxes);
    False for mini-MIAS, whose lesions are circles.
    """
    columns = set(getattr(frame, "columns", ()))
    return {"film_rows", "film_columns"} <= columns and (
        "mask_path" in columns or {"xmin", "ymin", "xmax", "ymax"} <= columns)


def masks_in_crop(frame: Any, boxes: np.ndarray, crop_shape: tuple[int, int], *,
                  film_masks: Any = None) -> np.ndarray:
    """The frame's lesion masks moved into the crops: one boolean mask per row, crop pixels.

    Each row's mask on its film (:func:`~skmammo.datasets.read_lesion_mask`)
    is cut to its crop box ``x0, y0, x1, y1`` (film pixels, the
    ``Explanation.boxes``; the part of a box beyond the film holds no
    lesion) and resized to ``crop_shape`` as the film is (area averaging to
    shrink, bilinear to enlarge); a crop pixel is lesion where at least half
    of it is, and a lesion too small for that (a single calcification in a
    large crop) keeps its most-covered crop pixels, so it is not lost.  A
    row without a lesion, or whose lesion lies outside its crop, gets an
    all-False mask, which :func:`localization` leaves out.

    Parameters
    ----------
    frame : DataFrame
        A frame for which :func:`has_lesion_masks` holds, rows in the
        order of ``boxes``.
    boxes : array of shape (n, 4)
    crop_shape : (rows, cols)
    film_masks : sequence of bool ndarray, optional
        The rows' masks on their films, when the caller has already read
        them with :func:`~skmammo.datasets.read_lesion_mask`.

    Returns
    -------
    ndarray of shape (n, rows, cols), bool
    """
    import cv2

    from skmammo.datasets import read_lesion_mask

    boxes = np.rint(np.asarray(boxes, dtype=float)).astype(int)
    if len(boxes) != len(frame):
        raise ValueError(f"masks_in_crop: {len(frame)} rows but {len(boxes)} crop boxes")
    height, width = crop_shape
    out = np.zeros((len(boxes), height, width), bool)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        film = read_lesion_mask(frame, i) if film_masks is None else film_masks[i]
        cut = np.zeros((y1 - y0, x1 - x0), np.float32)
        fy0, fx0 = max(y0, 0), max(x0, 0)
        fy1, fx1 = min(y1, film.shape[0]), min(x1, film.shape[1])
        if fy1 > fy0 and fx1 > fx0:
            cut[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0] = film[fy0:fy1, fx0:fx1]
        if not cut.any():
            continue
        shrink = height * width < cut.size
        cover = cv2.resize(cut, (width, height),
                           interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        out[i] = cover >= 0.5 if cover.max() >= 0.5 else cover == cover.max()
    return out


def _lesion_masks(n: int, height: int, width: int, x, y, radius, mask, tolerance: float):
    """Per image: (inside the lesion, inside it with ``tolerance``), or None without a lesion."""
    if mask is not None:
        from scipy.ndimage import distance_transform_edt

        mask = np.asarray(mask)
        if mask.shape != (n, height, width):
            raise ValueError(f"mask must have the heatmaps' shape {(n, height, width)}, got "
                             f"{mask.shape}")
        out = []
        for m in mask.astype(bool):
            if not m.any():
                out.append(None)
            elif tolerance > 0:
                out.append((m, distance_transform_edt(~m) <= tolerance))
            else:
                out.append((m, m))
        return out
    if x is None or y is None or radius is None:
        raise ValueError("localization needs the lesion circles (x, y, radius) or mask=")
    x, y, radius = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (x, y, radius))
    yy, xx = np.mgrid[:height, :width]
    out = []
    for i in range(n):
        if not (np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(radius[i])):
            out.append(None)
            continue
        d = np.hypot(xx - x[i], yy - y[i])
        out.append((d <= radius[i], d <= radius[i] + tolerance))
    return out


def _rank_accuracy(h: np.ndarray, inside: np.ndarray) -> float:
    """Share of the lesion's K pixels among the map's top K (ties shared out evenly)."""
    k = int(inside.sum())
    if k == 0:
        return float("nan")
    flat = h.ravel()
    kth = np.partition(flat, flat.size - k)[flat.size - k]  # the K-th largest value
    above, tied = flat > kth, flat == kth
    slots = k - int(above.sum())  # top-K places left for the tied pixels
    hits = float((above & inside.ravel()).sum())
    hits += slots * (tied & inside.ravel()).sum() / tied.sum()
    return hits / k


def localization(
    explanation: Explanation,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    radius: np.ndarray | None = None,
    *,
    mask: np.ndarray | None = None,
    tolerance: float = 0.0,
    random_state: int = 0,
) -> Bunch:
    """Agreement of the heatmaps with annotated lesions (circles or masks, crop coordinates).

    - pointing game: is the map's maximum inside the lesion (radius plus
      ``tolerance`` pixels)?  On a plateau (LIME / SHAP superpixels) one
      maximal pixel is drawn at random (seeded by ``random_state``), so a
      plateau scores the share of it inside the lesion in expectation, not 1
      as soon as it touches the lesion; a map that is constant (e.g. an
      all-zero Grad-CAM) never scores;
    - positive share, the **relevance mass accuracy** of Arras et al. (2022):
      the share of the positive attribution that falls inside the lesion (0
      when there is none);
    - **relevance rank accuracy** (Arras et al., 2022): with K the lesion's
      pixel count, the share of the lesion among the map's K highest pixels
      (pixels tied at the K-th value share the remaining places evenly, so
      a constant map scores the lesion's area share).

    A map that ignores the lesion scores about the lesion's area share on
    the last two (see :func:`random_map` and :func:`centre_prior` for the
    baselines to read them against).  Images without a lesion (NaN centre
    or radius, or an empty mask) are left out of the means.

    Parameters
    ----------
    explanation : Explanation
    x, y, radius : array of shape (n,), optional
        Circle centre (x = column, y = row) and radius in crop pixels; see
        :func:`circles_in_crop` for circles given on the film.
    mask : bool ndarray of shape (n, H, W), optional
        The lesions as masks instead of circles (an all-False mask: no lesion).
    tolerance : float, default=0.0
        Extra pixels allowed around the lesion for the pointing game.
    random_state : int, default=0
        Seeds the draw among tied maxima (the pointing game on plateaus).

    Returns
    -------
    Bunch
        ``pointing_game``, ``positive_share`` (= relevance mass accuracy)
        and ``rank_accuracy`` (means over lesions), ``n_lesions``, and the
        per-image arrays ``hit``, ``share`` and ``rank`` (NaN without a
        lesion).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.explain import Explanation
    >>> h = np.zeros((1, 8, 8)); h[0, 2, 3] = 1.0
    >>> e = Explanation("gradcam", h, np.array([1]), np.array([[0., 1., 0.]]))
    >>> r = localization(e, [3.0], [2.0], [1.0])
    >>> r.pointing_game, r.positive_share, round(r.rank_accuracy, 3)  # 1 of 5 + 4 of 63 tied
    (1.0, 1.0, 0.251)
    """
    maps = maps_of(explanation)
    n, height, width = maps.shape
    lesions = _lesion_masks(n, height, width, x, y, radius, mask, tolerance)
    hit, share, rank = (np.full(n, np.nan) for _ in range(3))
    rng = np.random.default_rng(random_state)
    for i, lesion in enumerate(lesions):
        if lesion is None:
            continue
        inside, near = lesion
        h = maps[i]
        top = h.max()
        if top > h.min():
            at_top = near[h == top]
            hit[i] = float(at_top[rng.integers(len(at_top))])
        else:
            hit[i] = 0.0
        pos = np.clip(h, 0, None)
        total = pos.sum()
        share[i] = float(pos[inside].sum() / total) if total > 0 else 0.0
        rank[i] = _rank_accuracy(h, inside)
    have = np.isfinite(hit)

    def mean(v):
        return float(np.mean(v[have])) if have.any() else float("nan")

    return Bunch(pointing_game=mean(hit), positive_share=mean(share), rank_accuracy=mean(rank),
                 n_lesions=int(have.sum()), hit=hit, share=share, rank=rank)


def centre_prior(shape: tuple[int, ...], *, sigma: float = 0.25) -> np.ndarray:
    """A map that ignores the image: a Gaussian peaking at the crop centre.

    The baseline of every lesion-centred crop set (``ROICropper`` in the
    study's mode puts the lesion in the middle): it wins the pointing game
    there without looking at anything.

    Parameters
    ----------
    shape : (n, H, W) or (H, W)
    sigma : float, default=0.25
        Width of the Gaussian as a share of the crop's shorter side.

    Returns
    -------
    ndarray of the given shape, float32, in (0, 1] with 1 at the centre

    Examples
    --------
    >>> m = centre_prior((5, 5))
    >>> float(m[2, 2]), bool(m[0, 0] < m[1, 1] < m[2, 2])
    (1.0, True)
    """
    height, width = shape[-2:]
    yy, xx = np.mgrid[:height, :width]
    s = sigma * min(height, width)
    g = np.exp(-((xx - (width - 1) / 2) ** 2 + (yy - (height - 1) / 2) ** 2) / (2 * s * s))
    return np.broadcast_to((g / g.max()).astype(np.float32), tuple(shape)).copy()


def random_map(shape: tuple[int, ...], *, random_state: Any = 0) -> np.ndarray:
    """A map that ignores image and model: independent uniform noise per pixel, seeded.

    Its pointing game, relevance mass and rank accuracy are, in expectation,
    the lesion's share of the crop's area: the chance level.

    Parameters
    ----------
    shape : (n, H, W) or (H, W)
    random_state : int, RandomState or None, default=0

    Returns
    -------
    ndarray of the given shape, float32, in [0, 1)

    Examples
    --------
    >>> random_map((2, 4, 4), random_state=0).shape
    (2, 4, 4)
    """
    from sklearn.utils import check_random_state

    return check_random_state(random_state).random_sample(tuple(shape)).astype(np.float32)


def baseline_maps(explanation: Explanation, *, random_state: Any = 0) -> dict[str, Explanation]:
    """The centre prior and the random map of the images of ``explanation``.

    Each is an :class:`~skmammo.explain.Explanation` of the same images,
    classes and probabilities (the maps of the explained, or for
    ``target="all"`` the predicted, class), so every metric scores it like a
    method: ``{"centre_prior": ..., "random_map": ...}`` (the keys of
    :data:`BASELINE_MAPS`).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.explain import Explanation
    >>> e = Explanation("gradcam", np.zeros((2, 8, 8)), np.array([1, 2]), np.eye(3)[[1, 2]])
    >>> sorted(baseline_maps(e)), baseline_maps(e)["centre_prior"].heatmaps.shape
    (['centre_prior', 'random_map'], (2, 8, 8))
    """
    shape = maps_of(explanation).shape
    made = {"centre_prior": centre_prior(shape),
            "random_map": random_map(shape, random_state=random_state)}
    return {name: Explanation(method=name, heatmaps=maps, targets=targets_of(explanation),
                              probabilities=explanation.probabilities,
                              images=explanation.images, boxes=explanation.boxes,
                              films=explanation.films)
            for name, maps in made.items()}
