"""Explanations of a scan's top candidates, cut as the scan's own windows and drawn on the film.

A candidate of :class:`~skmammo.scan.FilmScan` is one window of the scan's
grid.  :func:`explain_candidates` prepares the candidate's film exactly as the
scan did (the steps before the cropper, then the resize that makes one
window ``size`` network pixels: :func:`skmammo.scan._run._prepare`), cuts
that very window out of the resized film, explains it with any registered
method (:func:`skmammo.explain.explain`) and records the window's box in film
pixels, so :meth:`~skmammo.explain.Explanation.to_film` places each heatmap
where the window lies on the film.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from skmammo.datasets._films import film_getter
from skmammo.explain import get_explainer
from skmammo.preprocessing._geometry import window_sides
from skmammo.scan._run import _parts, _prepare, scanned_films
from skmammo.utils import check_int, film_label

__all__ = ["CandidateExplanations", "explain_candidates"]


@dataclass
class CandidateExplanations:
    """The top candidates of a scan, explained: what :func:`explain_candidates` returns.

    Attributes
    ----------
    candidates : DataFrame
        The explained rows of the scan's ``candidates`` (same columns), plus
        ``rank``: the candidate's place on its film (1 = most abnormal).
    explanations : dict of str to Explanation
        Per method (registered name, in the order asked), one
        :class:`~skmammo.explain.Explanation` (None when no candidate was
        explained) whose rows follow
        ``candidates``: the crops (``images``, the windows the scan scored),
        the heatmaps of the candidate's class, ``boxes`` (the windows in film
        pixels) and ``films``.
    shapes : dict
        Film id to the film's ``(rows, cols)``.
    """

    candidates: pd.DataFrame
    explanations: dict
    shapes: dict

    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def methods(self) -> list[str]:
        """The methods' registered names, in order."""
        return list(self.explanations)

    def to_frame(self) -> pd.DataFrame:
        """The explained candidates with each method's seconds per crop (``seconds_<method>``)."""
        frame = self.candidates.copy()
        for method, e in self.explanations.items():
            frame[f"seconds_{method}"] = np.nan if e is None else e.seconds_per_image
        return frame

    def to_film(self, i: int, method: str | None = None) -> np.ndarray:
        """Heatmap of explained candidate ``i`` placed on its film (zero elsewhere).

        Parameters
        ----------
        i : int
            Row of :attr:`candidates`.
        method : str, optional
            A method of :attr:`explanations` (default: the first).

        Returns
        -------
        ndarray of shape (rows, cols), float32
        """
        e = self.explanations[self._method(method)]
        return e.to_film(i, self.shapes[self.candidates["film"].iloc[i]])

    def film_heatmap(self, film: Any, method: str | None = None) -> np.ndarray:
        """All explained candidates of ``film``, placed on it in one map.

        Where two windows overlap, the pixel keeps the value of largest
        magnitude (for unsigned maps, the largest); outside every window it
        is zero.  :meth:`mask` says which pixels a window covers.

        Returns
        -------
        ndarray of shape (rows, cols), float32
        """
        out = np.zeros(self.shapes[film], np.float32)
        for i in np.flatnonzero(self.candidates["film"].to_numpy() == film):
            placed = self.to_film(int(i), method)
            out = np.where(np.abs(placed) > np.abs(out), placed, out)
        return out

    def mask(self, film: Any) -> np.ndarray:
        """Boolean ``(rows, cols)``: the pixels of ``film`` inside an explained window."""
        rows, cols = self.shapes[film]
        out = np.zeros((rows, cols), bool)
        for i in np.flatnonzero(self.candidates["film"].to_numpy() == film):
            boxes = next(iter(self.explanations.values())).boxes
            x0, y0, x1, y1 = (int(round(v)) for v in boxes[i])
            out[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
        return out

    def _method(self, method: str | None) -> str:
        if method is None:
            return self.methods[0]
        name = get_explainer(method).name
        if name not in self.explanations:
            raise ValueError(f"{method!r} was not explained; explained: {self.methods}")
        return name


def _pipeline(model: Any) -> Any:
    """The pipeline of a model: a ``MammoPipeline``, or the one a recalibrating wrapper holds."""
    return getattr(model, "estimator_", model)


def explain_candidates(model: Any, X: pd.DataFrame, scan: Any, *,
                       methods: str | Sequence[str] = "hirescam", n_candidates: int = 3,
                       method_params: Mapping[str, Mapping[str, Any]] | None = None,
                       random_state: int | None = 0, batch_size: int = 64) -> CandidateExplanations:
    """Explain the top candidates of a scan, each in the window the scan scored.

    For every film of ``scan``, its first ``n_candidates`` candidates (most
    abnormal first) are cut as the scan's windows: the film goes through the
    pipeline's steps before the cropper and is resized as in the scan, and
    the candidate's window is taken from the resized film.  Each crop is
    explained for the **candidate's class** (its most probable abnormal
    class, the ``class`` column) with every method of ``methods``, and its
    box in film pixels is recorded for
    :meth:`~skmammo.explain.Explanation.to_film`.  With the exact scan
    (the default) the explanations' ``probabilities`` are the network's
    own probabilities of the candidate windows; a recalibrated model's
    candidates carry recalibrated ones, and its explanations explain the
    network underneath.

    Parameters
    ----------
    model : MammoPipeline or HeldOutCalibration
        The fitted model that made ``scan``.
    X : DataFrame
        The frame that was scanned (films in memory or on disk).
    scan : FilmScan
        The model's scan of ``X``.
    methods : str or sequence of str, default="hirescam"
        Registered explanation methods (:func:`skmammo.explain.get_explainer`):
        ``"gradcam"``, ``"hirescam"``, ``"layercam"``, ``"occlusion"``,
        ``"lime"``, ``"shap"``, ...
    n_candidates : int, default=3
        Candidates explained per film (fewer where the film has fewer).
    method_params : mapping, optional
        Per method name, its parameters, e.g. ``{"lime": {"n_samples": 500}}``.
    random_state : int or None, default=0
        Seeds LIME's and SHAP's sampling.
    batch_size : int, default=64
        As in :func:`skmammo.explain.explain`.

    Returns
    -------
    CandidateExplanations

    Raises
    ------
    ValueError
        A film of ``scan`` that ``X`` does not hold, an unknown method, or
        parameters the method does not take.

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.pipeline import make_pipeline
    >>> films = make_synthetic_mammograms(12, image_size=128, random_state=0)
    >>> pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    >>> pipe = pipe.fit(films.frame, films.target)
    >>> scan = pipe.scan(films.frame.iloc[:2], max_candidates=2)
    >>> explained = explain_candidates(pipe, films.frame.iloc[:2], scan, n_candidates=1)
    >>> len(explained), explained.to_film(0).shape
    (2, (128, 128))
    """
    check_int(n_candidates, "n_candidates", minimum=0)
    names = [methods] if isinstance(methods, str) else list(methods)
    if not names:
        raise ValueError("methods is empty: name at least one explanation method")
    names = list(dict.fromkeys(get_explainer(m).name for m in names))
    params = {get_explainer(k).name: dict(v) for k, v in dict(method_params or {}).items()}
    before, cropper, classifier = _parts(_pipeline(model))
    size = int(cropper.size)

    found = scan.candidates
    # film by film in the scan's order, best first: the crops below are cut in this order
    order: dict = {}
    for film in [*scan.films, *pd.unique(found["film"])]:
        order.setdefault(film, len(order))
    found = found.assign(_film=found["film"].map(order)).sort_values(
        ["_film", "score"], ascending=[True, False], kind="stable").drop(columns="_film")
    chosen = found.groupby("film", sort=False).head(int(n_candidates)).copy()
    chosen.insert(1, "rank", chosen.groupby("film", sort=False).cumcount() + 1)
    chosen = chosen.reset_index(drop=True)

    rows, ids = scanned_films(X, "explain_candidates")
    frame = X.iloc[rows]
    row_of = {film: i for i, film in enumerate(ids.tolist())}
    missing = [f for f in pd.unique(chosen["film"]) if f not in row_of]
    if missing:
        raise ValueError(f"explain_candidates: the scan's film(s) {missing[:3]} are not in X; "
                         "pass the frame that was scanned")
    wanted = [row_of[f] for f in pd.unique(chosen["film"])]
    frame = frame.iloc[wanted]
    for step in before:
        frame = step.transform(frame)
    sides = window_sides(frame, float(cropper.window_mm), int(cropper.window_px))
    _, get = film_getter(frame, "explain_candidates")

    crops, boxes, shapes = [], [], {}
    for k, film in enumerate(pd.unique(chosen["film"])):
        prepared = _prepare(get, k, film_label(frame, k), int(sides[k]), size)
        resized, (rows, cols) = prepared["resized"], prepared["shape"]
        shapes[film] = (rows, cols)
        fx, fy = resized.shape[1] / cols, resized.shape[0] / rows
        for x, y in chosen.loc[chosen["film"] == film, ["x", "y"]].itertuples(index=False):
            # the window centred on the candidate's grid point, in resized pixels
            sx = int(np.clip(round((x + 0.5) * fx - size / 2), 0, resized.shape[1] - size))
            sy = int(np.clip(round((y + 0.5) * fy - size / 2), 0, resized.shape[0] - size))
            crops.append(resized[sy:sy + size, sx:sx + size])
            boxes.append((sx / fx, sy / fy, (sx + size) / fx, (sy + size) / fy))
    classes = list(np.asarray(scan.classes).tolist())
    targets = np.array([classes.index(c) for c in chosen["class"]], dtype=int)
    explanations = {}
    for name in names:
        if not len(chosen):
            explanations[name] = None
            continue
        e = classifier.explain(np.stack(crops), method=name, target=targets,
                               random_state=random_state, batch_size=batch_size,
                               **params.get(name, {}))
        e.boxes = np.asarray(boxes, dtype=np.float64)
        e.films = chosen["film"].to_numpy()
        if e.images is None:
            e.images = np.stack(crops)
        explanations[name] = e
    return CandidateExplanations(candidates=chosen, explanations=explanations, shapes=shapes)
