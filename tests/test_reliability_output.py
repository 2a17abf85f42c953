"""The one output-folder policy (utils.OutputFolder) and the reports written under it.

Item 10 of issue 17: ``--no-pdf`` reports named case PDFs that were never
written; a rerun into the same folder left the previous run's case reports
beside the new ones and replaced a user's ``report.html`` without a word.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from skmammo.evaluation import evaluate_predictions
from skmammo.reporting import ReportBuilder
from skmammo.utils import MANIFEST, OutputFolder, output_folder


def _manifest(folder):
    return json.loads((folder / MANIFEST).read_text())


# ------------------------------------------------------------------ OutputFolder
def test_a_foreign_non_empty_folder_is_refused_unless_overwrite(tmp_path):
    (tmp_path / "report.html").write_text("the user's own report")
    with pytest.raises(FileExistsError, match=r"not made by skmammo.*overwrite=True"):
        OutputFolder(tmp_path)
    assert not (tmp_path / MANIFEST).exists()  # refused before writing anything
    with OutputFolder(tmp_path, overwrite=True) as out:
        out.write("summary.csv", "a,b\n")
    assert (tmp_path / "report.html").read_text() == "the user's own report"
    assert _manifest(tmp_path) == {"skmammo_manifest": 1, "complete": True,
                                   "files": ["summary.csv"]}
    OutputFolder(tmp_path)  # now a skmammo folder: accepted without overwrite


def test_a_rerun_removes_only_the_previous_runs_stale_files(tmp_path):
    with OutputFolder(tmp_path) as out:
        for name in ("report.html", "cases/a.html", "cases/b.html", "old/x.csv"):
            out.write(name, name)
    (tmp_path / "mine.txt").write_text("not skmammo's")
    with OutputFolder(tmp_path) as out:
        out.write("report.html", "new")
        out.write("cases/c.html", "new")
        assert _manifest(tmp_path)["complete"] is False  # old and new files, until finish
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert names == [MANIFEST, "cases/c.html", "mine.txt", "report.html"]
    assert not (tmp_path / "old").exists()  # emptied folders go too
    assert _manifest(tmp_path)["files"] == ["cases/c.html", "report.html"]


def test_an_interrupted_run_is_cleaned_by_the_next(tmp_path):
    out = OutputFolder(tmp_path)
    out.write("a.txt", "1")
    target = out.record("b.txt")  # listed first, then written: a kill here leaves no orphan
    (tmp_path / f".{target.name}.abc.part").write_text("half")  # a killed atomic_write
    assert _manifest(tmp_path)["files"] == ["a.txt", "b.txt"]
    with OutputFolder(tmp_path) as again:
        again.write("c.txt", "3")
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "c.txt"]


def test_the_manifest_cannot_name_files_outside_the_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "victim.txt").write_text("keep")
    (tmp_path / "out" / MANIFEST).write_text(json.dumps({"files": ["../victim.txt"]}))
    with pytest.raises(ValueError, match="not a readable skmammo manifest"):
        OutputFolder(tmp_path / "out")
    with pytest.raises(ValueError, match="not a file name inside"):
        OutputFolder(tmp_path / "new").write("../x.txt", "x")
    assert (tmp_path / "victim.txt").read_text() == "keep"


def test_output_folder_passes_an_output_folder_through(tmp_path):
    out = OutputFolder(tmp_path / "run")
    assert output_folder(out) is out
    assert out / "report.html" == tmp_path / "run" / "report.html"
    assert str(out) == str(tmp_path / "run")


# ------------------------------------------------------------------ reports
def _builder(films):
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 4)
    proba = rng.dirichlet(np.ones(3), len(y))
    frame = pd.DataFrame({"film": films,
                          "image": [rng.randint(0, 255, (64, 64)).astype(np.uint8)
                                    for _ in films]})
    n = len(films)
    explanation = SimpleNamespace(
        heatmaps=rng.uniform(size=(n, 16, 16)), probabilities=np.full((n, 3), 1 / 3),
        images=rng.randint(0, 255, (n, 16, 16)).astype(np.uint8),
        boxes=np.tile([0.0, 0.0, 16.0, 16.0], (n, 1)), targets=np.zeros(n, int))
    return ReportBuilder(evaluate_predictions(y, proba), explanations={"gradcam": explanation},
                         cases=frame, case_target=np.zeros(n, int))


def _files_named(html: str) -> list[str]:
    return re.findall(r"cases/[\w.-]+\.(?:pdf|html)", html)


def test_html_only_reports_name_only_files_that_exist(tmp_path):
    builder = _builder(["mdb001", "mdb002"])
    paths = builder.write(tmp_path, pdf=False)
    named = _files_named(paths["html"].read_text())
    assert named == ["cases/mdb001.html", "cases/mdb002.html"]
    assert all((tmp_path / name).is_file() for name in named)
    assert not list(tmp_path.rglob("*.pdf"))
    # without case reports, the summary names none
    paths = builder.write(tmp_path / "none", pdf=False, case_reports=False)
    assert _files_named(paths["html"].read_text()) == []
    # the default (what write() writes by default) is still the PDFs
    assert _files_named(builder.summary_html()) == ["cases/mdb001.pdf", "cases/mdb002.pdf"]


def test_a_rerun_leaves_no_stale_case_report(tmp_path):
    _builder(["mdb001", "mdb002"]).write(tmp_path, pdf=False)
    _builder(["mdb003"]).write(tmp_path, pdf=False)
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == ["mdb003.html"]
    assert _manifest(tmp_path)["files"] == ["cases/mdb003.html", "report.html"]


def test_a_users_report_is_not_replaced_without_overwrite(tmp_path):
    (tmp_path / "report.html").write_text("mine")
    with pytest.raises(FileExistsError, match="not made by skmammo"):
        _builder(["mdb001"]).write(tmp_path, pdf=False)
    assert (tmp_path / "report.html").read_text() == "mine"
    _builder(["mdb001"]).write(tmp_path, pdf=False, overwrite=True)
    assert "mdb001" in (tmp_path / "report.html").read_text()


def test_a_job_hands_its_output_folder_to_the_report(tmp_path):
    # how the CLI and run_study use it: one manifest for the report and the job's own files
    with OutputFolder(tmp_path) as out:
        _builder(["mdb001"]).write(out, pdf=False)
        out.write("study_table_1.csv", "a\n")
        assert _manifest(tmp_path)["complete"] is False  # the job, not write(), finishes
    assert _manifest(tmp_path) == {"skmammo_manifest": 1, "complete": True, "files": [
        "cases/mdb001.html", "report.html", "study_table_1.csv"]}
