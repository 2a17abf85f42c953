"""The whole-film scan: prepare each film as in ``fit``, slide the window network, read it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from skmammo.datasets._films import film_getter
from skmammo.preprocessing._geometry import window_sides
from skmammo.preprocessing._tissue import tissue_depth
from skmammo.scan._result import (
    FilmGrid,
    FilmScan,
)
from skmammo.utils import check_int, check_interval, film_label

__all__ = ["scan_films"]

logger = logging.getLogger(__name__)


def _parts(pipeline: Any) -> tuple[list, Any, Any]:
    """``(steps before the cropper, the cropper, the classifier)``, checked for a scan."""
    steps = [step for _, _, step in pipeline._iter(with_final=True, filter_passthrough=True)]
    at = [i for i, step in enumerate(steps) if hasattr(step, "crop") and hasattr(step, "mode")]
    if not at or at[0] != len(steps) - 2:
        raise ValueError("scan needs a pipeline whose last two steps are an ROICropper and the "
                         "classifier (skmammo.pipeline.make_pipeline builds one)")
    cropper, classifier = steps[at[0]], steps[-1]
    if cropper.mode != "window":
        raise ValueError(
            f"scan slides one fixed physical window over the film, but this pipeline's "
            f"ROICropper has mode={cropper.mode!r}, whose crops are sized by the annotation "
            "(native) or by the study's resized film (study); train with "
            "make_pipeline(mode='window') to scan films")
    if not hasattr(classifier, "model_"):
        try:
            check_is_fitted(classifier)
        except NotFittedError:
            raise NotFittedError("this pipeline is not fitted yet: call fit before scan (scan "
                                 "needs the trained network, the classifier's model_)") from None
        raise TypeError(f"scan slides a Keras network over the film: the last step must be a "
                        f"fitted MammoCNNClassifier (with model_), got "
                        f"{type(classifier).__name__}")
    return steps[:at[0]], cropper, classifier


def _phases(stride: int, period: int) -> tuple[list[int], int]:
    """Offsets of the passes per axis and the subsampling of each pass's grid."""
    if stride % period == 0:
        return [0], stride // period
    if period % stride == 0:
        return list(range(0, period, stride)), 1
    raise ValueError(f"stride must divide {period} or be a multiple of it (network-input "
                     f"pixels), got {stride}")


def _prepare(get, i: int, where: str, side: int, size: int) -> dict:
    """One film, preprocessed, resized so one window is ``size`` pixels, and its breast."""
    film = get(i)
    rows, cols = film.shape
    if side > min(rows, cols):
        raise ValueError(
            f"{where}: the film ({cols}x{rows} pixels) is smaller than one {side}-pixel window; "
            "scan films at least one window wide, or check the pixel_mm column")
    factor = size / side
    shape = (max(size, round(cols * factor)), max(size, round(rows * factor)))
    shrink = factor < 1
    resized = cv2.resize(film, shape, interpolation=cv2.INTER_AREA if shrink else
                         cv2.INTER_LINEAR)
    return {"resized": resized, "shape": (rows, cols), "depth": tissue_depth(film)}


def window_starts(length: int, size: int, stride: int) -> np.ndarray:
    """Offsets of the windows along one axis of a resized film: every ``stride``, then flush.

    The regular grid's last window can end up to ``stride - 1`` pixels
    before the far edge; one more window, flush with that edge, covers the
    strip, so every pixel of the film lies in some window.
    """
    starts = np.arange(0, length - size + 1, stride)
    return starts if starts[-1] == length - size else np.append(starts, length - size)


def _windows(network: Any, films: list[np.ndarray], size: int, stride: int,
             batch_size: int) -> list[np.ndarray]:
    """Class probabilities ``(ny, nx, n_classes)`` of every window of equal-shaped films.

    The regular grid comes from the fully convolutional passes; the flush
    windows at the bottom and right edges (:func:`window_starts`), if any,
    from the network on their crops, window by window.
    """
    rows, cols = films[0].shape
    ys, xs = window_starts(rows, size, stride), window_starts(cols, size, stride)
    ny, nx = (rows - size) // stride + 1, (cols - size) // stride + 1
    period = network.step
    offsets, every = _phases(stride, period)
    out = np.zeros((len(films), ny, nx, network.n_classes), np.float32)
    hop = period * every                     # resized pixels between this pass's windows
    for dy in offsets:
        for dx in offsets:
            my = (rows - dy - size) // hop + 1
            mx = (cols - dx - size) // hop + 1
            if my < 1 or mx < 1:
                continue
            batch = np.stack([f[dy:, dx:] for f in films]).astype(np.float32)[..., None]
            if network.split is not None:
                probs = _exact(network, batch, my, mx, every, batch_size)
            else:
                probs = network(batch)[:, ::every, ::every]
            step = max(1, period // stride)
            sub = out[:, dy // stride::step, dx // stride::step]
            sub[:] = probs[:, :sub.shape[1], :sub.shape[2]]
    if (len(ys), len(xs)) == (ny, nx):
        return list(out)
    full = np.zeros((len(films), len(ys), len(xs), network.n_classes), np.float32)
    full[:, :ny, :nx] = out
    flush = [(k, i, j) for k in range(len(films)) for i in range(len(ys)) for j in range(len(xs))
             if i >= ny or j >= nx]
    for start in range(0, len(flush), batch_size):
        part = flush[start:start + batch_size]
        crops = np.stack([films[k][ys[i]:ys[i] + size, xs[j]:xs[j] + size] for k, i, j in part])
        probs = network.model(crops.astype(np.float32)[..., None], training=False).numpy()
        for (k, i, j), p in zip(part, probs):
            full[k, i, j] = p
    return list(full)


def _exact(network: Any, batch: np.ndarray, my: int, mx: int, hop: int,
           batch_size: int) -> np.ndarray:
    """Shared front over the films, the tail per window (exactly as window by window).

    Windows ``hop`` positions of the front's feature map apart, ``my x mx`` of them.
    """
    features = network.split.front(batch, training=False).numpy()
    block = network.split.block
    n = len(batch)
    view = np.lib.stride_tricks.sliding_window_view(features, (block, block), axis=(1, 2))
    view = view[:, : (my - 1) * hop + 1 : hop, : (mx - 1) * hop + 1 : hop]
    out = []
    for start in range(0, n * my * mx, batch_size):
        # Only this batch's blocks are copied out of the shared feature map.
        b, i, j = np.unravel_index(np.arange(start, min(start + batch_size, n * my * mx)),
                                   (n, my, mx))
        chunk = np.ascontiguousarray(view[b, i, j].transpose(0, 2, 3, 1))
        out.append(network.split.tail(chunk, training=False).numpy())
    return np.concatenate(out).reshape(n, my, mx, -1)


class _Network:
    """The classifier's network in the form a scan uses (built once per scan).

    ``exact``: the fully convolutional pass with border corrections
    (:mod:`skmammo.models._fcn_exact`), or, for networks it does not apply
    to, the shared front and a per-window tail.  Else the plain fully
    convolutional pass.
    """

    def __init__(self, model: Any, exact: bool):
        from skmammo.models._fcn import (
            fully_convolutional,
            network_stride,
            split_network,
        )
        from skmammo.models._fcn_exact import exact_sliding

        self.model = model
        self.stride = network_stride(model)
        self.n_classes = int(model.output_shape[-1])
        self.sliding = exact_sliding(model) if exact else None
        self.split = split_network(model) if exact and self.sliding is None else None
        self.fcn = None if exact else fully_convolutional(model)
        # Resized pixels between the windows of one pass.
        self.step = self.split.step if self.split is not None else self.stride

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.sliding is not None:
            return self.sliding(batch)
        return self.fcn(batch, training=False).numpy()


def _grid(prepared: dict, probs: np.ndarray, size: int, stride: int) -> FilmGrid:
    rows, cols = prepared["shape"]
    r_rows, r_cols = prepared["resized"].shape
    fx, fy = r_cols / cols, r_rows / rows
    x = (window_starts(r_cols, size, stride) + size / 2) / fx - 0.5
    y = (window_starts(r_rows, size, stride) + size / 2) / fy - 0.5
    depth = prepared["depth"]
    signed = depth.signed_depth()
    c = np.clip((x // depth.step).astype(np.int64), 0, signed.shape[1] - 1)
    r = np.clip((y // depth.step).astype(np.int64), 0, signed.shape[0] - 1)
    inside = signed[np.ix_(r, c)] > 0
    return FilmGrid(probabilities=probs, x=x, y=y, side=size / fx, inside=inside,
                    shape=(rows, cols))


def _chunks(prepared: Iterator[tuple[int, dict]], size: int, stride: int,
            batch_size: int) -> Iterator[list[tuple[int, dict]]]:
    """Consecutive films of one resized shape, stacked while their windows fit a batch."""
    chunk: list = []
    windows = 0
    for item in prepared:
        rows, cols = item[1]["resized"].shape
        n = len(window_starts(rows, size, stride)) * len(window_starts(cols, size, stride))
        if chunk and (windows + n > batch_size
                      or chunk[0][1]["resized"].shape != item[1]["resized"].shape):
            yield chunk
            chunk, windows = [], 0
        chunk.append(item)
        windows += n
    if chunk:
        yield chunk


def scanned_films(X: pd.DataFrame, who: str) -> tuple[list[int], np.ndarray]:
    """The first row of every distinct film of ``X``, and the film ids, as a scan names them.

    Rows of one film (one image object or path) are scanned once.  A film's
    id is its ``film`` value, else the row label of its first row (what
    :attr:`FilmScan.films <skmammo.scan.FilmScan>` holds).  Two distinct
    films with one id are refused: their candidates could not be told apart
    (a FROC would match one film's candidates to the other's lesions).
    """
    keys, _ = film_getter(X, who)
    first: dict = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    rows = list(first.values())
    frame = X.iloc[rows]
    ids = (np.asarray(frame["film"]) if "film" in frame.columns
           else np.asarray(frame.index, dtype=object))
    named = pd.Series(ids, dtype=object)
    twice = named[named.duplicated()].unique().tolist()
    if twice:
        raise ValueError(f"{who}: different images share the film id(s) {twice[:3]} (two "
                         "films, or one film's rows holding separate copies of its image); "
                         "give every film its own 'film' id, and all rows of a film the same "
                         "image or path")
    return rows, ids


def scan_films(pipeline: Any, X: Any, *, stride: int | None = None, batch_size: int = 256,
               n_jobs: int | None = None, exact: bool = True, top_k: int = 5,
               max_candidates: int = 10, min_distance: float | None = None,
               min_score: float = 0.0, verbose: int = 0,
               calibrate: Callable[[np.ndarray], np.ndarray] | None = None) -> FilmScan:
    """Slide a fitted window pipeline over whole films: what ``MammoPipeline.scan`` runs.

    Parameters
    ----------
    pipeline : MammoPipeline
        Fitted, ending in ``ROICropper(mode="window")`` and the classifier.
    X : DataFrame
        A mammogram frame (``image`` or ``path``; annotations ignored).
    stride, batch_size, n_jobs, exact, top_k, max_candidates, min_distance, min_score, verbose
        As in :meth:`skmammo.pipeline.MammoPipeline.scan`.
    calibrate : callable, optional
        Maps the network's window probabilities ``(n, n_classes)`` to
        recalibrated ones before the maps, scores and candidates are made
        (:meth:`skmammo.evaluation.HeldOutCalibration.scan` passes its
        recalibration).

    Returns
    -------
    FilmScan

    Examples
    --------
    >>> from skmammo.datasets import make_synthetic_mammograms
    >>> from skmammo.pipeline import make_pipeline
    >>> films = make_synthetic_mammograms(12, image_size=128, random_state=0)
    >>> pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    >>> pipe = pipe.fit(films.frame, films.target)
    >>> result = scan_films(pipe, films.frame.iloc[:2])
    >>> result.scores.shape, result.maps[0].shape
    ((2, 3), (128, 128, 3))
    """
    before, cropper, classifier = _parts(pipeline)
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"scan expects a mammogram frame (columns image or path; x, y and "
                        f"radius are not needed), got {type(X).__name__}")
    check_int(batch_size, "batch_size", minimum=1)
    check_int(top_k, "top_k", minimum=1)
    check_int(max_candidates, "max_candidates", minimum=0)
    check_interval(min_distance, "min_distance", 0, none="half the film's window")
    check_interval(min_score, "min_score", 0, 1)
    if getattr(classifier, "tta", False):
        logger.warning("scan: the classifier's test-time augmentation (tta=True) is not used; "
                       "the scan evaluates each window's single view")
    model = classifier.model_
    size = int(cropper.size)
    if tuple(model.input_shape[1:3]) != (size, size):
        raise ValueError(f"the classifier's network takes {model.input_shape[1:3]} crops but "
                         f"the ROICropper makes {size}-pixel ones; refit the pipeline")
    network = _Network(model, bool(exact))
    stride = network.stride if stride is None else check_int(stride, "stride", minimum=1)
    _phases(stride, network.step)

    rows, ids = scanned_films(X, "scan")
    films = X.iloc[rows]
    for step in before:
        films = step.transform(films)
    sides = window_sides(films, float(cropper.window_mm), int(cropper.window_px))
    _, get = film_getter(films, "scan")
    labels = [film_label(films, i) for i in range(len(films))]

    jobs = (delayed(_prepare)(get, i, labels[i], int(sides[i]), size) for i in range(len(films)))
    if n_jobs in (None, 1) or len(films) < 2:
        prepared = ((i, _prepare(get, i, labels[i], int(sides[i]), size))
                    for i in range(len(films)))
    else:
        done = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator")(jobs)
        prepared = enumerate(done)
    grids: list = [None] * len(films)
    with tqdm(total=len(films), desc="scan", unit="film", disable=not verbose,
              leave=False) as progress:  # closed on an error too
        for chunk in _chunks(prepared, size, stride, int(batch_size)):
            probs = _windows(network, [p["resized"] for _, p in chunk], size, stride,
                             int(batch_size))
            for (i, p), grid in zip(chunk, probs):
                if calibrate is not None:
                    flat = np.asarray(calibrate(grid.reshape(-1, grid.shape[-1])), np.float32)
                    grid = flat.reshape(grid.shape)
                grids[i] = _grid(p, grid, size, stride)
            progress.update(len(chunk))

    classes = np.asarray(classifier.classes_)
    return FilmScan.from_grids(ids, classes, grids, top_k=top_k, max_candidates=max_candidates,
                               min_distance=min_distance, min_score=min_score, exact=exact,
                               calibrated=calibrate is not None)
