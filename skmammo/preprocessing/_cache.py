"""A bounded memory of film operations already done: each film is denoised once per setting.

Cross-validation, variants and probes send the same films through
``Denoiser`` and ``CLAHE`` again and again (on mini-MIAS, a 2-fold run with
test-time augmentation and probes denoised each of the 322 films five
times: a third of its time).  Both steps are pure functions of the film and
their parameters, so their results are kept, in this process, for films
that cannot change:

- only films of a mammogram frame (the pipeline's case), only read-only
  arrays whose memory is read-only all the way down (``load_mias`` and
  every step's output are; a writable array is never cached);
- keyed by the film object and the step's parameters (``n_jobs`` and
  ``verbose`` left out), so a film's entries go when the film is freed;
- least recently used first out beyond ``SKMAMMO_FILM_CACHE_MB`` megabytes
  (default 1024; ``0`` turns the memory off).

The results are the very arrays the first call returned (read-only), so
nothing but time changes.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from typing import Any, Hashable

import numpy as np

__all__ = ["FILM_CACHE", "FilmCache", "operation_key"]

#: The environment variable holding the memory's size in megabytes.
CACHE_ENV = "SKMAMMO_FILM_CACHE_MB"


def _budget() -> int:
    value = os.environ.get(CACHE_ENV, "1024")
    try:
        megabytes = float(value)
    except ValueError:
        raise ValueError(f"{CACHE_ENV} must be a number of megabytes, got {value!r}") from None
    return max(0, int(megabytes * 2**20))


def immutable(film: Any) -> bool:
    """True for a read-only array whose memory nothing can write (bases checked to the end)."""
    while isinstance(film, np.ndarray):
        if film.flags.writeable:
            return False
        film = film.base
    return film is None or isinstance(film, bytes)


def _frozen(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    hash(value)  # TypeError for anything unhashable: no key
    return value


def operation_key(estimator: Any) -> Hashable | None:
    """The key of an estimator's film operation: its class and parameters (not n_jobs, verbose).

    ``None`` when a parameter is unhashable (the operation is then never cached).
    """
    params = estimator.get_params(deep=False)
    try:
        frozen = tuple(sorted((k, _frozen(v)) for k, v in params.items()
                              if k not in ("n_jobs", "verbose")))
    except TypeError:
        return None
    return (type(estimator).__module__, type(estimator).__qualname__, frozen)


class FilmCache:
    """Results of film operations, by (film object, operation key), least recently used out.

    Parameters
    ----------
    max_bytes : int
        The most bytes of results held; 0 holds nothing.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[tuple[int, Hashable], np.ndarray] = OrderedDict()
        self._watched: dict[int, weakref.finalize] = {}
        self._bytes = 0
        # Re-entrant: freeing an array (an evicted result, or anything the cyclic garbage
        # collector frees at an allocation) runs _forget in the thread holding the lock.
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """Bytes of the results held."""
        return self._bytes

    def get(self, film: np.ndarray, key: Hashable) -> np.ndarray | None:
        """The result stored for ``film`` and ``key``, or ``None``."""
        with self._lock:
            out = self._entries.get((id(film), key))
            if out is not None:
                self._entries.move_to_end((id(film), key))
            return out

    def put(self, film: np.ndarray, key: Hashable, out: np.ndarray) -> None:
        """Store ``out`` (made read-only) for ``film`` and ``key`` if both can be trusted."""
        if not self.max_bytes or out.nbytes > self.max_bytes or not immutable(film):
            return
        out.setflags(write=False)
        with self._lock:
            film_id = id(film)
            if film_id not in self._watched:
                self._watched[film_id] = weakref.finalize(film, self._forget, film_id)
            previous = self._entries.pop((film_id, key), None)
            self._bytes -= 0 if previous is None else previous.nbytes
            self._entries[(film_id, key)] = out
            self._bytes += out.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    def _forget(self, film_id: int) -> None:
        """Drop every result of a film that was freed (its id may be reused)."""
        with self._lock:
            self._watched.pop(film_id, None)
            for entry in [e for e in self._entries if e[0] == film_id]:
                self._bytes -= self._entries.pop(entry).nbytes

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            for watcher in self._watched.values():
                watcher.detach()
            self._watched.clear()
            self._entries.clear()
            self._bytes = 0


#: The process's memory of film operations (``SKMAMMO_FILM_CACHE_MB``, read at import).
FILM_CACHE = FilmCache(_budget())
