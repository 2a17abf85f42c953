"""``FilmScan``: what a whole-film scan returns, and the rules that read it.

The scan keeps one coarse grid per film (the class probabilities of the
windows at the scan's stride); the film-resolution maps are interpolated
from it when asked for, film by film, so a scan of many large films stays
small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FilmGrid", "FilmScan", "film_scores", "find_candidates"]

#: Columns of :attr:`FilmScan.candidates` before the per-class probabilities.
CANDIDATE_COLUMNS = ("film", "x", "y", "class", "score", "x0", "y0", "x1", "y1")


@dataclass(frozen=True)
class FilmGrid:
    """The windows of one film: their probabilities and where they sit.

    Attributes
    ----------
    probabilities : ndarray of shape (ny, nx, n_classes), float32
        Class probabilities of the window in grid cell ``(i, j)``.
    x : ndarray of shape (nx,), float64
        Film column (pixels, origin top-left, pixel centres at integers) of
        the centre of the windows in grid column ``j``.
    y : ndarray of shape (ny,), float64
        Film row of the centre of the windows in grid row ``i``.
    side : float
        Side of one window in film pixels.
    inside : ndarray of shape (ny, nx), bool
        Whether the window's centre lies in the breast (the film's largest
        tissue region, :func:`~skmammo.preprocessing.tissue_depth`).
    shape : tuple of int
        ``(rows, cols)`` of the film.
    """

    probabilities: np.ndarray
    x: np.ndarray
    y: np.ndarray
    side: float
    inside: np.ndarray
    shape: tuple[int, int]

    def to_map(self) -> np.ndarray:
        """The probabilities at every film pixel, ``(rows, cols, n_classes)`` float32.

        Bilinear between window centres; a pixel closer to the film's edge
        than the outermost window centre takes the value of that window (the
        window shifted inside the film, never padded).
        """
        rows, cols = self.shape
        ry = _interpolation(np.arange(rows, dtype=np.float64), self.y)
        rx = _interpolation(np.arange(cols, dtype=np.float64), self.x)
        grid = self.probabilities.astype(np.float32)
        out = np.einsum("ri,ijc->rjc", ry, grid)
        return np.einsum("rjc,xj->rxc", out, rx).astype(np.float32)


def _interpolation(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Matrix ``(len(points), len(centres))`` of linear weights, clamped at both ends."""
    weights = np.zeros((len(points), len(centres)), np.float32)
    if len(centres) == 1:
        weights[:, 0] = 1
        return weights
    # fractional index of every point among the centres (the last step may be shorter)
    g = np.interp(points, centres, np.arange(len(centres), dtype=np.float64))
    low = np.minimum(np.floor(g).astype(np.int64), len(centres) - 2)
    frac = (g - low).astype(np.float32)
    rows = np.arange(len(points))
    weights[rows, low] = 1 - frac
    weights[rows, low + 1] += frac
    return weights


class _Maps(Sequence):
    """The film-resolution maps, computed one film at a time on access."""

    def __init__(self, grids: list[FilmGrid]):
        self._grids = grids

    def __len__(self) -> int:
        return len(self._grids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._grids[i].to_map() for i in range(*index.indices(len(self)))]
        return self._grids[index].to_map()


@dataclass
class FilmScan:
    """Result of :meth:`skmammo.pipeline.MammoPipeline.scan`.

    Attributes
    ----------
    films : ndarray of shape (n_films,)
        The film ids (the frame's ``film`` column, else its first row label
        of each film), in the order of their first row.
    classes : ndarray of shape (n_classes,)
        The classifier's ``classes_``.
    grids : list of FilmGrid
        Per film: the windows' probabilities on the scan grid and where the
        windows sit.
    scores : ndarray of shape (n_films, n_classes)
        Film-level scores (:func:`film_scores`).
    candidates : DataFrame
        Findings (:func:`find_candidates`): columns ``film, x, y, class,
        score, x0, y0, x1, y1`` and one probability column per class.
    top_k : int
        ``k`` of the score rule.
    exact : bool
        Whether the windows were evaluated exactly (equal to ``predict_proba``
        up to float rounding) or by the plain fully convolutional pass.
    calibrated : bool
        Whether the window probabilities were recalibrated
        (:meth:`skmammo.evaluation.HeldOutCalibration.scan`) before the
        maps, scores and candidates were made.
    min_distance : float or None
        The candidates' least distance in film pixels (``None``: half a
        window, the default).
    min_score : float
        The candidates' least abnormality.
    """

    films: np.ndarray
    classes: np.ndarray
    grids: list[FilmGrid]
    scores: np.ndarray
    candidates: pd.DataFrame
    top_k: int
    exact: bool
    calibrated: bool = False
    min_distance: float | None = None
    min_score: float = 0.0
    maps: Sequence = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.maps = _Maps(self.grids)

    @classmethod
    def from_grids(cls, films, classes: np.ndarray, grids: list[FilmGrid], *, top_k: int,
                   max_candidates: int, min_distance: float | None, min_score: float,
                   exact: bool, calibrated: bool = False) -> FilmScan:
        """Score the films and find their candidates by the scan's rules.

        :func:`film_scores` per film, then :func:`find_candidates` at least
        ``min_distance`` film pixels apart (``None``: half the film's window).
        """
        scores = (np.stack([film_scores(g, classes, top_k) for g in grids]) if grids
                  else np.empty((0, len(classes))))
        found: list[dict] = []
        for film, grid in zip(films, grids):
            distance = grid.side / 2 if min_distance is None else float(min_distance)
            found += find_candidates(film, grid, classes, max_candidates=int(max_candidates),
                                     min_distance=distance, min_score=float(min_score))
        candidates = pd.DataFrame(found, columns=list(CANDIDATE_COLUMNS)
                                  + [f"p_{c}" for c in classes])
        return cls(films=films, classes=classes, grids=grids, scores=scores,
                   candidates=candidates, top_k=int(top_k), exact=bool(exact),
                   calibrated=bool(calibrated),
                   min_distance=None if min_distance is None else float(min_distance),
                   min_score=float(min_score))

    def __len__(self) -> int:
        return len(self.films)

    @classmethod
    def concat(cls, scans: Sequence[FilmScan]) -> FilmScan:
        """One scan of the films of several, in order (the scans of consecutive chunks).

        Parameters
        ----------
        scans : sequence of FilmScan
            Scans by the same model with the same rules: equal ``classes``,
            ``top_k``, ``exact`` and ``calibrated``.

        Returns
        -------
        FilmScan

        Raises
        ------
        ValueError
            If ``scans`` is empty or they disagree on a rule.
        """
        scans = list(scans)
        if not scans:
            raise ValueError("FilmScan.concat needs at least one scan")
        first = scans[0]
        for i, other in enumerate(scans[1:], 1):
            rules = ("top_k", "exact", "calibrated", "min_distance", "min_score")
            differ = [f"{r} {getattr(other, r)} / {getattr(first, r)}" for r in rules
                      if getattr(other, r) != getattr(first, r)]
            if not np.array_equal(other.classes, first.classes):
                differ.insert(0, f"classes {other.classes.tolist()} / {first.classes.tolist()}")
            if differ:
                raise ValueError(f"FilmScan.concat: scan {i} has other classes or rules than "
                                 f"scan 0 ({', '.join(differ)})")
        found = [s.candidates for s in scans if len(s.candidates)]
        candidates = (pd.concat(found, ignore_index=True) if found
                      else first.candidates.iloc[:0].reset_index(drop=True))
        return cls(films=np.concatenate([s.films for s in scans]), classes=first.classes,
                   grids=[g for s in scans for g in s.grids],
                   scores=np.concatenate([s.scores for s in scans]), candidates=candidates,
                   top_k=first.top_k, exact=first.exact, calibrated=first.calibrated,
                   min_distance=first.min_distance, min_score=first.min_score)

    def to_frame(self) -> pd.DataFrame:
        """The film scores as a table: ``film`` and one column per class."""
        frame = pd.DataFrame(self.scores, columns=[str(c) for c in self.classes])
        frame.insert(0, "film", self.films)
        return frame


def normal_column(classes: np.ndarray) -> int | None:
    """Position of the normal class (label 0 or ``"normal"``) in ``classes``, else None."""
    for i, label in enumerate(np.asarray(classes).tolist()):
        if label == "normal" or (isinstance(label, (int, np.integer)) and not isinstance(
                label, bool) and label == 0):
            return i
    return None


def film_scores(grid: FilmGrid, classes: np.ndarray, top_k: int) -> np.ndarray:
    """Film-level score per class from one film's windows inside the breast.

    The rule: for each abnormal class, the mean of the ``top_k`` highest
    window probabilities; for the normal class, the mean of the ``top_k``
    *lowest* (a film is as abnormal as its most abnormal windows, and as
    normal as its least normal ones).  The maximum alone rests on one
    window; the mean over the breast dilutes a lesion a few windows wide
    among hundreds of normal ones.  Windows whose centre is outside the
    breast are left out (all windows when no centre is inside).

    Parameters
    ----------
    grid : FilmGrid
    classes : ndarray of shape (n_classes,)
        The classifier's ``classes_``; the normal class is the label ``0``
        or ``"normal"`` (none: every column takes the top-k mean).
    top_k : int

    Returns
    -------
    scores : ndarray of shape (n_classes,), float64
    """
    probs = grid.probabilities.reshape(-1, grid.probabilities.shape[-1])
    inside = grid.inside.reshape(-1)
    if inside.any():
        probs = probs[inside]
    k = min(int(top_k), len(probs))
    ordered = np.sort(probs, axis=0)
    scores = ordered[-k:].mean(axis=0)
    normal = normal_column(classes)
    if normal is not None:
        scores[normal] = ordered[:k, normal].mean()
    return scores.astype(np.float64)


def find_candidates(film: Any, grid: FilmGrid, classes: np.ndarray, *, max_candidates: int,
                    min_distance: float, min_score: float) -> list[dict]:
    """Findings on one film: local maxima of the abnormality map, non-maximum suppressed.

    The abnormality of a window is ``1 - P(normal)`` when the classes hold a
    normal class (else its highest class probability); its class is the
    most probable abnormal class.  Windows are visited from the most
    abnormal down; one becomes a candidate when its centre is in the
    breast, its abnormality is at least ``min_score`` and no earlier
    candidate lies within ``min_distance`` film pixels; at most
    ``max_candidates`` per film.

    Parameters
    ----------
    film : object
        The film's id, copied into every row.
    grid : FilmGrid
    classes : ndarray of shape (n_classes,)
    max_candidates : int
    min_distance : float
        In film pixels.
    min_score : float

    Returns
    -------
    list of dict
        One per candidate, most abnormal first: ``film, x, y`` (the window's
        centre, film pixels), ``class``, ``score`` (the abnormality),
        ``x0, y0, x1, y1`` (the window) and ``p_<class>`` per class.
    """
    probs = grid.probabilities
    normal = normal_column(classes)
    others = [c for c in range(probs.shape[-1]) if c != normal] or [0]
    abnormal = 1 - probs[..., normal] if normal is not None else probs.max(axis=-1)
    order = np.argsort(-abnormal, axis=None, kind="stable")
    chosen: list[dict] = []
    half = grid.side / 2
    for flat in order:
        if len(chosen) >= max_candidates:
            break
        i, j = np.unravel_index(flat, abnormal.shape)
        score = float(abnormal[i, j])
        if score < min_score:
            break
        if not grid.inside[i, j]:
            continue
        x, y = float(grid.x[j]), float(grid.y[i])
        if any((c["x"] - x) ** 2 + (c["y"] - y) ** 2 < min_distance ** 2 for c in chosen):
            continue
        label = classes[others[int(np.argmax(probs[i, j, others]))]]
        row = {"film": film, "x": x, "y": y, "class": label, "score": score,
               "x0": x + 0.5 - half, "y0": y + 0.5 - half, "x1": x + 0.5 + half,
               "y1": y + 0.5 + half}
        row.update({f"p_{c}": float(p) for c, p in zip(classes, probs[i, j])})
        chosen.append(row)
    return chosen
