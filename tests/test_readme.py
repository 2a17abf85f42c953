"""The README's Python blocks run as written.

The synthetic blocks (the Quick tour) always run, in order, in one namespace,
from an empty folder; the blocks that read mini-MIAS (``load_mias`` /
``fetch_mias``) run when the archive is there (``SKMAMMO_MIAS_ARCHIVE``, see
conftest.py), never downloading anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def _needs_mias(code: str) -> bool:
    return "load_mias(" in code or "fetch_mias(" in code


def test_the_readme_has_a_runnable_tour_and_a_mias_block():
    blocks = _blocks()
    assert any(not _needs_mias(b) for b in blocks) and any(_needs_mias(b) for b in blocks)
    for block in blocks:
        compile(block, str(README), "exec")  # every block is valid Python
        if _needs_mias(block):
            # the real path the reader must give, not a file the clone lacks
            assert 'os.environ.get("SKMAMMO_MIAS_ARCHIVE"' in block


def test_the_synthetic_blocks_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for block in _blocks():
        if not _needs_mias(block):
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    # what the tour's comments promise
    assert namespace["explanation"].heatmaps.shape == (6, 64, 64)
    assert namespace["explanation"].boxes.shape == (6, 4)
    assert set(namespace["search"].best_params_) == {"cnn__class_weight"}
    assert namespace["applied"].scores.shape == (3, 3)  # saved, loaded, applied to PNG films
    assert list(tmp_path.iterdir()) == []  # the tour writes no files


@pytest.mark.mias
def test_the_mias_blocks_run_with_the_archive(mias_archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKMAMMO_MIAS_ARCHIVE", str(mias_archive))
    namespace: dict = {"__name__": "__readme__"}
    for block in _blocks():
        if _needs_mias(block):
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    # the README's table: 117 lesions + 207 normal films, 207 / 66 / 51
    assert np.bincount(namespace["mias"].target).tolist() == [207, 66, 51]
