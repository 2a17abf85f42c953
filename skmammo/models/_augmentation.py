"""Training-time augmentation and class balancing of ``uint8`` crops.

The study's protocol (Balve & Hendrix 2024), applied by
:class:`~skmammo.models.MammoCNNClassifier` to the training part of the data
only, after the validation split:

1. :func:`augment`: every crop in its 4 rotations (0/90/180/270 degrees), each
   also flipped vertically (8 geometric variants), and of each variant a copy
   with a random brightness shift in (-15, 15) and contrast factor in
   (0.5, 1.5) — 16 images per crop;
2. :func:`remove_duplicates`: exact duplicates (same pixels, same label) are
   dropped (a featureless crop looks the same in every rotation);
3. :func:`balance`: undersample every class down to the smallest one (the
   study) or oversample up to the largest.

Everything stays ``uint8`` (about 50 kB per 224x224 crop) and is seeded by
``random_state``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from skmammo.utils import check_crops

__all__ = ["augment", "balance", "geometric_views", "remove_duplicates"]

logger = logging.getLogger(__name__)

_ROTATIONS = (0, 90, 180, 270)


def _check_images(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = check_crops(X, "augment")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one label per crop: X has {len(X)} crops, "
                         f"y has shape {y.shape}")
    if X.dtype != np.uint8:
        raise TypeError(f"crops must be uint8 grey levels, got dtype {X.dtype}; convert with "
                        "np.clip(X, 0, 255).astype(np.uint8)")
    return X, y


def geometric_views(X: np.ndarray, rotations: Sequence[int] = _ROTATIONS,
                    flip: bool = True) -> list[np.ndarray]:
    """The rotations of ``X`` (each followed by its vertical flip when ``flip``).

    The geometric variants of :func:`augment`, in its order (the first view
    is ``X`` itself), and the views averaged by
    ``MammoCNNClassifier(tta=True)``.  ``X`` is one crop ``(H, W)`` or a
    batch ``(n, H, W)``; the views are numpy views, not copies.

    Examples
    --------
    >>> import numpy as np
    >>> views = geometric_views(np.arange(4).reshape(2, 2))
    >>> len(views), views[1].tolist()
    (8, [[2, 3], [0, 1]])
    """
    if X.shape[-2] != X.shape[-1] and any(int(r) % 180 for r in rotations):
        raise ValueError(f"rotations by 90 or 270 degrees (test-time augmentation, augment) "
                         f"need square crops, got {X.shape[-2]}x{X.shape[-1]}")
    views = []
    for r in rotations:
        rotated = np.rot90(X, k=int(r) // 90, axes=(-2, -1))
        views.append(rotated)
        if flip:
            views.append(rotated[..., ::-1, :])
    return views


def augment(
    X: np.ndarray,
    y: np.ndarray,
    *,
    rotations: Sequence[int] = _ROTATIONS,
    flip: bool = True,
    brightness: tuple[float, float] | None = (-15.0, 15.0),
    contrast: tuple[float, float] | None = (0.5, 1.5),
    deduplicate: bool = True,
    random_state: int | np.random.RandomState | None = None,
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Augment ``uint8`` crops the way the study did.

    Each crop gives its rotations by ``rotations`` degrees, each of them also
    flipped vertically when ``flip``; when ``brightness`` or ``contrast`` is
    set, every geometric variant also gets one photometric copy: grey levels
    shifted by a uniform random value in ``brightness``, clipped, then
    stretched around 128 by a uniform random factor in ``contrast``, clipped
    and rounded.  The originals come first, in their order.

    Parameters
    ----------
    X : ndarray of shape (n, height, width), uint8
        Crops (square when rotating by 90 or 270 degrees).
    y : array-like of shape (n,)
        Labels, copied to every variant.
    rotations : sequence of {0, 90, 180, 270}, default=(0, 90, 180, 270)
    flip : bool, default=True
        Add the vertical flip of every rotation.
    brightness : (low, high) or None, default=(-15, 15)
    contrast : (low, high) or None, default=(0.5, 1.5)
    deduplicate : bool, default=True
        Drop exact duplicates (see :func:`remove_duplicates`).
    random_state : int, RandomState instance or None, default=None
        Seeds the brightness and contrast draws.
    verbose : int, default=0
        Show a progress bar when > 0.

    Returns
    -------
    X_aug : ndarray of shape (m, height, width), uint8
    y_aug : ndarray of shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.models import augment
    >>> X = np.random.default_rng(0).integers(0, 256, (5, 32, 32), dtype=np.uint8)
    >>> X_aug, y_aug = augment(X, [0, 1, 2, 1, 0], random_state=0)
    >>> X_aug.shape, X_aug.dtype, np.bincount(y_aug).tolist()
    ((80, 32, 32), dtype('uint8'), [32, 32, 16])
    """
    X_aug, y_aug, _ = _augment_index(
        X, y, rotations=rotations, flip=flip, brightness=brightness, contrast=contrast,
        deduplicate=deduplicate, random_state=random_state, verbose=verbose,
    )
    return X_aug, y_aug


def _augment_index(X, y, *, rotations=_ROTATIONS, flip=True, brightness=(-15.0, 15.0),
                   contrast=(0.5, 1.5), deduplicate=True, random_state=None, verbose=0):
    """:func:`augment`, also returning the index of the source crop of every output."""
    X, y = _check_images(X, y)
    rotations = tuple(int(r) % 360 for r in rotations)
    if not rotations or any(r not in _ROTATIONS for r in rotations):
        raise ValueError(f"rotations must be multiples of 90 degrees, got {rotations!r}")
    if X.shape[1] != X.shape[2] and any(r in (90, 270) for r in rotations):
        raise ValueError(f"rotating by 90 or 270 degrees needs square crops, got {X.shape[1:]}")
    for name, rng_ in (("brightness", brightness), ("contrast", contrast)):
        if rng_ is not None and (len(rng_) != 2 or rng_[0] > rng_[1]):
            raise ValueError(f"{name} must be a (low, high) pair or None, got {rng_!r}")
    rng = check_random_state(random_state)
    photometric = brightness is not None or contrast is not None

    n_geometric = len(rotations) * (2 if flip else 1)
    per_image = n_geometric * (2 if photometric else 1)
    n, height, width = X.shape
    # Preallocated uint8 output: originals first, then the variants per crop.
    out = np.empty((n * per_image, height, width), dtype=np.uint8)
    labels = np.empty(n * per_image, dtype=y.dtype)
    source = np.empty(n * per_image, dtype=np.intp)
    out[:n] = X
    labels[:n] = y
    source[:n] = np.arange(n)
    pos = n
    for i in tqdm(range(n), desc="augment", disable=verbose <= 0, leave=False):
        # (n_geometric, H, W), the first one is X[i] itself
        geometric = np.stack(geometric_views(X[i], rotations, flip))
        out[pos : pos + n_geometric - 1] = geometric[1:]
        pos += n_geometric - 1
        if photometric:
            lo_b, hi_b = brightness if brightness is not None else (0.0, 0.0)
            lo_c, hi_c = contrast if contrast is not None else (1.0, 1.0)
            shift = rng.uniform(lo_b, hi_b, size=(n_geometric, 1, 1)).astype(np.float32)
            factor = rng.uniform(lo_c, hi_c, size=(n_geometric, 1, 1)).astype(np.float32)
            img = np.clip(geometric.astype(np.float32) + shift, 0.0, 255.0)
            img = np.clip(factor * (img - 128.0) + 128.0, 0.0, 255.0)
            out[pos : pos + n_geometric] = np.rint(img).astype(np.uint8)
            pos += n_geometric
        labels[n + i * (per_image - 1) : n + (i + 1) * (per_image - 1)] = y[i]
        source[n + i * (per_image - 1) : n + (i + 1) * (per_image - 1)] = i
    if deduplicate:
        keep = _unique_mask(out, labels)
        if not keep.all():
            out, labels, source = out[keep], labels[keep], source[keep]
    logger.debug("augmented %d crops into %d", n, len(out))
    return out, labels, source


def _unique_mask(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    seen: set[tuple] = set()
    keep = np.zeros(len(X), dtype=bool)
    for i in range(len(X)):
        key = (y[i].item() if hasattr(y[i], "item") else y[i],
               hashlib.blake2b(np.ascontiguousarray(X[i]).tobytes(), digest_size=16).digest())
        if key not in seen:
            seen.add(key)
            keep[i] = True
    return keep


def remove_duplicates(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop exact duplicates: crops with identical pixels and the same label.

    The first occurrence is kept, the order is preserved.

    Parameters
    ----------
    X : ndarray of shape (n, height, width)
    y : array-like of shape (n,)

    Returns
    -------
    X_unique, y_unique : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((3, 4, 4), np.uint8); X[1] = 7
    >>> remove_duplicates(X, [0, 0, 0])[0].shape
    (2, 4, 4)
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
    keep = _unique_mask(X, y)
    if keep.all():
        return X, y
    logger.debug("removed %d exact duplicates", int((~keep).sum()))
    return X[keep], y[keep]


def balance(
    X: np.ndarray,
    y: np.ndarray,
    *,
    strategy: str = "undersample",
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Give every class the same number of samples.

    Parameters
    ----------
    X : ndarray of shape (n, ...)
    y : array-like of shape (n,)
    strategy : {"undersample", "oversample"}, default="undersample"
        ``"undersample"`` draws, without replacement, as many samples of every
        class as the smallest class has (the study); ``"oversample"`` keeps
        everything and draws extra samples with replacement until every class
        is as large as the largest.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_bal, y_bal : ndarray
        The kept samples in their original order (oversampled extras appended).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6).reshape(6, 1); y = np.array([0, 0, 0, 0, 1, 2])
    >>> np.bincount(balance(X, y, random_state=0)[1]).tolist()
    [1, 1, 1]
    >>> np.bincount(balance(X, y, strategy="oversample", random_state=0)[1]).tolist()
    [4, 4, 4]
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
    keep = _balance_index(y, strategy=strategy, random_state=random_state)
    return X[keep], y[keep]


def _balance_index(y: np.ndarray, *, strategy: str = "undersample", random_state=None) -> np.ndarray:
    """Indices :func:`balance` keeps."""
    y = np.asarray(y)
    if strategy not in ("undersample", "oversample"):
        raise ValueError(f"strategy must be 'undersample' or 'oversample', got {strategy!r}")
    rng = check_random_state(random_state)
    classes, y_idx = np.unique(y, return_inverse=True)
    members = [np.flatnonzero(y_idx == k) for k in range(len(classes))]
    counts = [len(m) for m in members]
    if strategy == "undersample":
        target = min(counts)
        keep = np.sort(np.concatenate([rng.choice(m, size=target, replace=False)
                                       for m in members]))
    else:
        target = max(counts)
        extra = [rng.choice(m, size=target - len(m), replace=True) for m in members]
        keep = np.concatenate([np.arange(len(y)), *extra])
    logger.debug("balance (%s): %s -> %d per class", strategy, counts, target)
    return keep
