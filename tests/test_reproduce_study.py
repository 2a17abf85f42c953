"""The study's protocol and the honest one on the real mini-MIAS, end to end but tiny.

``skmammo run --protocol study`` and ``examples/reproduce_study.py`` with one
epoch and one or two trainings: the numbers are meaningless, the plumbing
(study tables, variants, explainer table, generated Markdown) is real.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmammo.cli import main

pytestmark = [pytest.mark.mias, pytest.mark.slow]


def _example():
    path = Path(__file__).resolve().parents[1] / "examples" / "reproduce_study.py"
    spec = importlib.util.spec_from_file_location("reproduce_study", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reproduce_study"] = module
    spec.loader.exec_module(module)
    return module


def test_cli_study_protocol_writes_the_studys_tables_beside_ours(mias_archive, tmp_path):
    out = tmp_path / "study"
    assert main(["-q", "run", "--mias", str(mias_archive), "--protocol", "study", "--runs", "1",
                 "--epochs", "1", "--cases", "1", "--explain", "gradcam", "--no-pdf",
                 "--out", str(out)]) == 0
    summary = pd.read_csv(out / "study_summary.csv", index_col=0)
    assert summary.loc["accuracy", "study"] == pytest.approx(0.775)
    confusion = pd.read_csv(out / "study_confusion.csv", index_col=0, header=[0, 1])
    ours = confusion["ours"].to_numpy()
    assert ours.sum() == pytest.approx(48)  # the study's 48 test films, one run
    assert summary.loc["accuracy", "ours"] == pytest.approx(np.trace(ours) / 48)
    assert (out / "report.html").is_file() and len(list((out / "cases").glob("*.html"))) == 1
    html = (out / "report.html").read_text()
    assert "Grad-CAM" in html and "Kernel SHAP" not in html  # --explain gradcam only


def test_example_honest_part_writes_generated_markdown(mias_archive, tmp_path):
    example = _example()
    docs = tmp_path / "docs"
    assert example.main(["--part", "honest", "--mias", str(mias_archive), "--out",
                         str(tmp_path / "out"), "--docs", str(docs), "--folds", "2",
                         "--repeats", "1", "--epochs", "1", "--size", "64",
                         "--explain", "2"]) == 0
    text = (docs / "honest.md").read_text()
    assert text.startswith("<!-- written by examples/reproduce_study.py --part honest")
    assert "+ test-time augmentation" in text and "| gradcam |" in text and "| shap |" in text
    assert "2-fold stratified group cross-validation run once (2 trainings)" in text
    assert "Command: `python examples/reproduce_study.py --part honest" in text
    assert "| side / tree |" in text and "| majority baseline |" in text
    assert "clipped to [0, 1]" in text and "network (window crops)" in text
    runs = pd.read_csv(tmp_path / "out" / "honest" / "runs.csv")
    assert len(runs) == 2 and runs["n_test"].sum() == 324  # every row tested once
    explainers = pd.read_csv(tmp_path / "out" / "honest" / "explainers.csv", index_col=0)
    assert list(explainers.index) == ["gradcam", "lime", "shap", "centre_prior", "random_map"]
    assert (explainers["n_images"] == 2).all()
