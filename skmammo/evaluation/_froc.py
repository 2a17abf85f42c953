"""How good is a whole-film scan: FROC of its candidates, ROC AUC of its film scores.

:func:`froc` judges a :class:`~skmammo.scan.FilmScan`'s candidates against the
annotated lesion circles of the frame; :func:`film_roc_auc` ranks its films
(normal against abnormal, malignant against the rest).  Both read any
``FilmScan``: a learned one (:meth:`~skmammo.pipeline.MammoPipeline.scan`)
or the non-learned :func:`~skmammo.scan.baseline_scan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from skmammo.scan._result import normal_column

__all__ = ["FROC_RATES", "FrocResult", "film_roc_auc", "film_targets", "froc"]

#: False positives per film at which :func:`froc` reads the sensitivity.
FROC_RATES = (0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass
class FrocResult:
    """Result of :func:`froc`.

    Attributes
    ----------
    sensitivity : Series
        Sensitivity (share of the located lesions hit) at each rate of false
        positives per film (index ``fp_per_film``).
    mean : float
        Mean of ``sensitivity``: the FROC analysis as one number.
    curve : DataFrame
        The whole curve, one row per distinct candidate score, highest
        first, after a first row ``(inf, 0, 0)``: ``threshold``,
        ``fp_per_film``, ``sensitivity``.
    n_films : int
        Films judged (the scan's films less the excluded ones).
    n_lesions : int
        Located lesions on them.
    excluded_films : list
        Films left out because one of their lesions has no centre or radius.
    n_reachable : int or None
        Located lesions whose circle holds the centre of some window of the
        scan inside the breast.  A candidate is such a centre, so no
        scanner on this grid finds more: the sensitivity is at most
        ``n_reachable / n_lesions``.  None for a scan without its grids.
    """

    sensitivity: pd.Series
    mean: float
    curve: pd.DataFrame
    n_films: int
    n_lesions: int
    excluded_films: list
    n_reachable: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """The sensitivity at each rate as a one-column table."""
        return self.sensitivity.to_frame("sensitivity")


def _film_keys(frame: pd.DataFrame) -> np.ndarray:
    """The film of every row: the ``film`` column, else the row label (as the scan names films)."""
    return (np.asarray(frame["film"], dtype=object) if "film" in frame.columns
            else np.asarray(frame.index, dtype=object))


def _row_targets(frame: pd.DataFrame, y: Any) -> np.ndarray:
    if y is None:
        if "target" not in frame.columns:
            raise ValueError("pass y (0 normal, 1 benign, 2 malignant per row) or a frame with a "
                             "target column (the loaders' frame has one)")
        y = frame["target"]
    y = np.asarray(y)
    if len(y) != len(frame):
        raise ValueError(f"y has {len(y)} labels but the frame has {len(frame)} rows")
    return y


def film_targets(frame: pd.DataFrame, y: Any = None) -> pd.Series:
    """Label of every film: the most severe of its rows (0 normal, 1 benign, 2 malignant).

    Parameters
    ----------
    frame : DataFrame
        A mammogram frame, one row per lesion or normal film.
    y : array-like of shape (n_rows,), optional
        The rows' targets; default the frame's ``target`` column.

    Returns
    -------
    Series
        Indexed by film id, in the order of each film's first row.

    Examples
    --------
    >>> frame = pd.DataFrame({"film": ["a", "a", "b"], "target": [1, 2, 0]})
    >>> film_targets(frame).to_dict()
    {'a': 2, 'b': 0}
    """
    labels = pd.Series(_row_targets(frame, y), index=pd.Index(_film_keys(frame), name="film"))
    return labels.groupby(level=0, sort=False).max()


def _check_films(scan: Any, frame: pd.DataFrame) -> None:
    films = pd.Series(scan.films.tolist(), dtype=object)
    twice = films[films.duplicated()].unique().tolist()
    if twice:
        raise ValueError(f"the scan holds film id(s) {twice[:5]} more than once; each film "
                         "must be scanned once under its own id")
    known = set(_film_keys(frame).tolist())
    missing = [f for f in scan.films.tolist() if f not in known]
    stray = sorted({f for f in scan.candidates["film"].tolist() if f not in known}, key=str)
    if missing or stray:
        raise ValueError(
            f"the scan has films the frame does not annotate: {(missing or stray)[:5]}; pass the "
            "frame the scanned films came from (its film column names them)")


def froc(scan: Any, frame: pd.DataFrame, y: Any = None, *,
         rates: Sequence[float] = FROC_RATES) -> FrocResult:
    """FROC of a scan's candidates against the annotated lesion circles.

    A candidate **hits** a lesion when its centre ``(x, y)`` lies inside the
    lesion's annotated circle (distance to the centre at most ``radius``).
    At a score threshold ``t``, the candidates scoring at least ``t`` are
    kept; a lesion is found when at least one kept candidate hits it (each
    lesion counted once, however many hit it); a kept candidate that hits
    no lesion of its film is a false positive (one that hits an already
    found lesion is not).  Films without lesions contribute false positives
    only.  Sensitivity is found lesions over all located lesions, and the
    false-positive rate is false positives over the films judged.

    The sensitivity at a rate ``r`` is that of the lowest threshold whose
    false-positive rate is at most ``r`` (step interpolation: an operating
    point one can actually choose; never a straight line between two).  A
    curve that ends below ``r`` (the scan reports at most
    ``max_candidates`` per film) keeps its last sensitivity.

    A lesion row (target above 0) without a finite centre or a positive
    radius cannot be hit: its **film is left out** (its lesions, its
    candidates and its count), since its candidates can be neither hits nor
    false positives (``excluded_films``; :func:`~skmammo.datasets.load_mias`
    leaves such lesions out unless ``keep_unlocated=True``).

    Parameters
    ----------
    scan : FilmScan
        Its ``candidates`` need ``film``, ``x``, ``y`` and ``score``.
    frame : DataFrame
        The frame the scanned films came from, one row per lesion (several
        per film) or normal film: ``film``, ``x``, ``y``, ``radius``.
    y : array-like of shape (n_rows,), optional
        The rows' targets; default the frame's ``target`` column.
    rates : sequence of float, default=(0.25, 0.5, 1, 2, 4)
        False positives per film.

    Returns
    -------
    FrocResult

    Raises
    ------
    ValueError
        If the scan has films or candidates of films not in ``frame``.

    Examples
    --------
    >>> from skmammo.scan import baseline_scan
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> films = make_synthetic_mammograms(6, image_size=128, random_state=0)
    >>> result = froc(baseline_scan(films.frame, size=32, stride=4), films.frame)
    >>> result.sensitivity.index.tolist()
    [0.25, 0.5, 1.0, 2.0, 4.0]
    """
    _check_films(scan, frame)
    keys, targets = _film_keys(frame), _row_targets(frame, y)
    scanned = set(scan.films.tolist())
    lesions: dict[Any, list[tuple[float, float, float]]] = {}
    excluded = []
    for key, target, (x, yy, r) in zip(keys, targets,
                                       frame[["x", "y", "radius"]].to_numpy(np.float64)):
        if key not in scanned or target <= 0:
            continue
        if np.isfinite([x, yy, r]).all() and r > 0:
            lesions.setdefault(key, []).append((x, yy, r))
        elif key not in excluded:
            excluded.append(key)
    for key in excluded:
        lesions.pop(key, None)
    n_films = len(scanned) - len(excluded)
    index = {}
    for key, circles in lesions.items():
        for k in range(len(circles)):
            index[(key, k)] = len(index)
    found = np.full(len(index), -np.inf)         # best score of a candidate hitting the lesion
    cands = scan.candidates[~scan.candidates["film"].isin(excluded)]
    scores = cands["score"].to_numpy(np.float64)
    false = np.zeros(len(cands), bool)
    for c, (film, x, yy, s) in enumerate(cands[["film", "x", "y", "score"]].itertuples(
            index=False)):
        hit = False
        for k, (lx, ly, r) in enumerate(lesions.get(film, [])):
            if (x - lx) ** 2 + (yy - ly) ** 2 <= r * r:
                hit = True
                found[index[(film, k)]] = max(found[index[(film, k)]], s)
        false[c] = not hit
    thresholds = np.unique(scores)[::-1]
    fp = np.array([(false & (scores >= t)).sum() for t in thresholds], np.float64)
    tp = np.array([(found >= t).sum() for t in thresholds], np.float64)
    n_lesions = len(index)
    curve = pd.DataFrame({
        "threshold": np.concatenate([[np.inf], thresholds]),
        "fp_per_film": np.concatenate([[0.0], fp / n_films]) if n_films else np.nan,
        "sensitivity": np.concatenate([[0.0], tp / n_lesions]) if n_lesions else np.nan})
    values = []
    for rate in rates:
        ok = curve["fp_per_film"].to_numpy() <= float(rate)
        values.append(float(curve["sensitivity"].to_numpy()[ok].max())
                      if n_lesions and ok.any() else np.nan)
    sensitivity = pd.Series(values, index=pd.Index([float(r) for r in rates],
                                                    name="fp_per_film"), name="sensitivity")
    return FrocResult(sensitivity=sensitivity, mean=float(np.mean(values)), curve=curve,
                      n_films=int(n_films), n_lesions=int(n_lesions), excluded_films=excluded,
                      n_reachable=_reachable(scan, lesions))


def _reachable(scan: Any, lesions: dict[Any, list[tuple[float, float, float]]]) -> int | None:
    """Lesions whose circle holds an in-breast window centre of the scan's grids."""
    grids = list(getattr(scan, "grids", None) or [])
    if len(grids) != len(scan.films):
        return None
    by_film = dict(zip(scan.films.tolist(), grids))
    n = 0
    for film, circles in lesions.items():
        grid = by_film[film]
        rows, cols = np.nonzero(grid.inside)
        cx, cy = np.asarray(grid.x)[cols], np.asarray(grid.y)[rows]
        n += sum(bool(np.any((cx - x) ** 2 + (cy - y) ** 2 <= r * r)) for x, y, r in circles)
    return n


def _column(classes: np.ndarray, label: Any, name: str) -> int | None:
    for i, c in enumerate(np.asarray(classes).tolist()):
        if c == name or (isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                         and c == label):
            return i
    return None


def film_roc_auc(scan: Any, frame: pd.DataFrame, y: Any = None) -> dict[str, float]:
    """Film-level ROC AUCs of a scan's film scores.

    A film is abnormal when any of its rows is a benign or malignant lesion,
    malignant when any is malignant (:func:`film_targets`).  The abnormal
    ranking is ``1 - scores[:, normal]`` (the film's most abnormal windows,
    :func:`~skmammo.scan.film_scores`); the malignant ranking is the
    malignant column (class ``2`` or ``"malignant"``), or the abnormal
    ranking for a scan without one (:func:`~skmammo.scan.baseline_scan`
    does not tell classes apart).

    Parameters
    ----------
    scan : FilmScan
    frame : DataFrame
        The frame the scanned films came from.
    y : array-like of shape (n_rows,), optional
        The rows' targets; default the frame's ``target`` column.

    Returns
    -------
    dict
        ``abnormal_roc_auc`` (normal against abnormal films) and
        ``malignant_roc_auc`` (films with a malignant lesion against the
        rest); NaN where the films hold one kind only.

    Examples
    --------
    >>> from skmammo.scan import baseline_scan
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> films = make_synthetic_mammograms(6, image_size=128, random_state=0)
    >>> sorted(film_roc_auc(baseline_scan(films.frame, size=32), films.frame))
    ['abnormal_roc_auc', 'malignant_roc_auc']
    """
    _check_films(scan, frame)
    labels = film_targets(frame, y).reindex(list(scan.films)).to_numpy()
    scores = np.asarray(scan.scores, np.float64)
    normal = normal_column(scan.classes)
    abnormal = 1 - scores[:, normal] if normal is not None else scores.max(axis=1)
    column = _column(scan.classes, 2, "malignant")
    malignant = scores[:, column] if column is not None else abnormal
    out = {}
    for name, truth, ranking in (("abnormal_roc_auc", labels > 0, abnormal),
                                 ("malignant_roc_auc", labels == 2, malignant)):
        out[name] = (float(roc_auc_score(truth, ranking)) if 0 < truth.sum() < len(truth)
                     else np.nan)
    return out
