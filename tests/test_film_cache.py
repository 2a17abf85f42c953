"""The memory of film operations: same results, computed once, only for films that cannot change."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

from skmammo.datasets import make_synthetic_mammograms
from skmammo.preprocessing import CLAHE, Denoiser
from skmammo.preprocessing._cache import FILM_CACHE, FilmCache, _budget, immutable, operation_key


@pytest.fixture
def frame():
    FILM_CACHE.clear()
    yield make_synthetic_mammograms(6, image_size=96, random_state=0).frame
    FILM_CACHE.clear()


class CountingDenoiser(Denoiser):
    calls = 0

    def _denoise(self, film):
        CountingDenoiser.calls += 1
        return super()._denoise(film)


def test_a_frame_is_denoised_once_per_setting_and_gives_the_same_films(frame):
    CountingDenoiser.calls = 0
    first = CountingDenoiser().fit_transform(frame)
    films = len({id(im) for im in frame["image"]})
    assert CountingDenoiser.calls == films
    again = CountingDenoiser(n_jobs=2, verbose=0).transform(frame)  # n_jobs is not the setting
    assert CountingDenoiser.calls == films
    assert all(a is b for a, b in zip(first["image"], again["image"]))
    other = CountingDenoiser(threshold=60).transform(frame)
    assert CountingDenoiser.calls == 2 * films
    assert any(not np.array_equal(a, b) for a, b in zip(first["image"], other["image"]))
    # the remembered result is what a fresh computation gives, and cannot be written
    FILM_CACHE.clear()
    fresh = Denoiser().transform(frame)
    assert all(np.array_equal(a, b) for a, b in zip(first["image"], fresh["image"]))
    assert not first["image"].iloc[0].flags.writeable
    # CLAHE on the remembered denoised films is remembered in turn
    equalised = CLAHE().transform(fresh)
    assert all(a is b for a, b in zip(equalised["image"], CLAHE().transform(fresh)["image"]))


def test_writable_films_and_stacks_are_never_remembered(frame):
    writable = frame.assign(image=[np.array(im) for im in frame["image"]])
    assert immutable(frame["image"].iloc[0]) and not immutable(writable["image"].iloc[0])
    first = Denoiser().transform(writable)
    assert len(FILM_CACHE) == 0
    writable["image"].iloc[0][:] = 0  # the reason: the film changed after the first call
    second = Denoiser().transform(writable)
    assert second["image"].iloc[0].max() == 0 and first["image"].iloc[0].max() > 0
    stack = np.stack([np.asarray(im) for im in frame["image"]])
    stack.setflags(write=False)
    Denoiser().transform(stack)
    assert len(FILM_CACHE) == 0
    # a read-only view of writable memory is writable underneath: not remembered
    view = np.array(frame["image"].iloc[0])[:]
    view.setflags(write=False)
    assert not immutable(view)


def test_entries_go_with_their_film_and_beyond_the_budget():
    cache = FilmCache(max_bytes=3 * 100)
    films = [np.full((10, 10), i, np.uint8) for i in range(4)]
    for film in films:
        film.setflags(write=False)
        cache.put(film, "op", film + 1)
    assert len(cache) == 3 and cache.nbytes == 300       # the oldest went first
    assert cache.get(films[0], "op") is None and cache.get(films[3], "op")[0, 0] == 4
    assert cache.get(films[3], "other") is None
    del films[3], film
    gc.collect()
    assert len(cache) == 2 and cache.nbytes == 200       # freed film, freed entries
    off = FilmCache(0)
    off.put(films[0], "op", films[0] + 1)
    assert len(off) == 0


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SKMAMMO_FILM_CACHE_MB", "0.5")
    assert _budget() == 2**19
    monkeypatch.setenv("SKMAMMO_FILM_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="SKMAMMO_FILM_CACHE_MB must be a number"):
        _budget()


def test_operation_keys_name_the_class_and_the_setting():
    assert operation_key(Denoiser()) == operation_key(Denoiser(n_jobs=4, verbose=1))
    assert operation_key(Denoiser()) != operation_key(Denoiser(threshold=21))
    assert operation_key(CLAHE(tile_grid_size=[8, 8])) == operation_key(CLAHE(tile_grid_size=(8, 8)))
    assert operation_key(Denoiser()) != operation_key(CountingDenoiser())


def test_a_film_freed_while_the_memory_is_busy_does_not_block_it():
    # evicting a result that is itself a remembered film frees it inside put(): its
    # entries must go without waiting for the lock put() holds
    cache = FilmCache(max_bytes=250)
    film = np.zeros((10, 10), np.uint8)
    film.setflags(write=False)
    middle = film + 1
    cache.put(film, "a", middle)          # middle: read-only, soon held only by the memory
    cache.put(middle, "b", middle + 1)    # a result of the result
    del middle
    other = np.ones((10, 20), np.uint8)
    other.setflags(write=False)
    # two evictions, the first frees middle: put() must return (a daemon thread, so that a
    # deadlock fails this test instead of hanging the suite)
    worker = threading.Thread(target=cache.put, args=(other, "a", other + 1), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "FilmCache.put deadlocked on a freed film"
    assert len(cache) == 1 and cache.nbytes == 200
