"""The ``skmammo`` command line: sub-commands and one-line errors."""

from __future__ import annotations

import pytest

from skmammo.cli import main


@pytest.mark.mias
def test_fetch_mias_from_a_local_archive(mias_archive, tmp_path, capsys):
    assert main(["-q", "fetch-mias", "--data-home", str(tmp_path), "--url", str(mias_archive)]) == 0
    assert (tmp_path / "mias" / "Info.txt").is_file()
    assert len(list((tmp_path / "mias").glob("mdb*.pgm"))) == 322


def test_fetch_mias_error_is_one_line_without_traceback(tmp_path, capsys):
    status = main(["fetch-mias", "--data-home", str(tmp_path), "--url", str(tmp_path / "nope.tar.gz")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1
    assert err.startswith("skmammo fetch-mias: error:") and "nope.tar.gz" in err
    assert "Traceback" not in err
    assert not (tmp_path / "mias").exists()


def test_help_of_each_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fetch-mias", "--help"])
    assert exit_info.value.code == 0
    assert "SHA-256" in capsys.readouterr().out


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("argv, quiet, verbose", [
    (["demo"], False, 0),
    (["-q", "demo"], True, 0),
    (["demo", "-q"], True, 0),
    (["-v", "-v", "run", "--fetch"], False, 2),
    (["run", "--fetch", "-vv"], False, 2),
    (["-q", "fetch-mias", "--url", "x"], True, 0),
    (["fetch-mias", "--quiet"], True, 0),
])
def test_verbosity_before_or_after_the_sub_command(argv, quiet, verbose):
    from skmammo.cli import build_parser

    args = build_parser().parse_args(argv)
    assert (args.quiet, args.verbose) == (quiet, verbose)


def test_help_states_the_defaults_and_what_runs_cost(capsys):
    import inspect

    from skmammo.cli import _CLASSIFIER_EPOCHS, DEMO_PIPELINE
    from skmammo.evaluation import repeated_evaluation
    from skmammo.models import MammoCNNClassifier

    assert DEMO_PIPELINE["epochs"] == 15
    assert _CLASSIFIER_EPOCHS == inspect.signature(MammoCNNClassifier).parameters["epochs"].default
    n_splits = inspect.signature(repeated_evaluation).parameters["n_splits"].default
    assert "(default: 15)" in _help(["demo", "--help"], capsys).split("--epochs E")[-1]
    run_help = _help(["run", "--help"], capsys)
    assert f"(default: {_CLASSIFIER_EPOCHS})" in run_help.split("--epochs E")[-1]
    assert f"N x {n_splits} times, plus once for the reported model" in run_help
    assert f"(--runs 1: {n_splits + 1} trainings)" in run_help


def test_cli_words_replace_phrases_the_library_still_uses():
    # every Python-API phrase the command translates still occurs in skmammo's sources
    from pathlib import Path

    import skmammo
    from skmammo.cli import _CLI_WORDS

    sources = " ".join(" ".join(p.read_text().split())
                       for p in Path(skmammo.__file__).parent.rglob("*.py"))
    for python, _ in _CLI_WORDS:
        assert python in sources, python


def _error(argv, capsys) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_run_errors_name_the_command_options_and_leave_no_folder(tmp_path, capsys):
    out = tmp_path / "new" / "report"
    err = _error(["run", "--mias", str(tmp_path / "nope"), "--out", str(out)], capsys)
    assert err.startswith("skmammo run: error:") and "nope" in err
    assert "skmammo fetch-mias" in err and "--fetch" in err and "fetch_mias()" not in err
    assert not out.exists()  # the failing run removed the folder it had made

    corrupt = tmp_path / "all-mias.tar.gz"
    corrupt.write_bytes(b"not an archive at all\n" * 10)
    err = _error(["run", "--mias", str(corrupt), "--out", str(out)], capsys)
    assert str(corrupt) in err and "not a readable .tar.gz or .zip archive" in err
    assert not out.exists()

    # the folder that holds the archive: the message names the archive to pass instead
    err = _error(["run", "--mias", str(tmp_path), "--out", str(out)], capsys)
    assert "no Info.txt found" in err and str(corrupt) in err and "pass the archive" in err

    kept = tmp_path / "existing"
    kept.mkdir()
    _error(["run", "--mias", str(tmp_path / "nope"), "--out", str(kept)], capsys)
    assert kept.is_dir()  # a folder the run did not make is kept


def test_fetch_error_names_url_option(tmp_path, capsys):
    # a refused connection on the loopback: no network needed
    err = _error(["fetch-mias", "--data-home", str(tmp_path), "--url",
                  "http://127.0.0.1:9/all-mias.tar.gz"], capsys)
    assert "--url" in err and "url=" not in err


def test_output_folder_discard_only_removes_what_it_made_empty(tmp_path):
    from skmammo.utils import MANIFEST, OutputFolder

    with pytest.raises(RuntimeError), OutputFolder(tmp_path / "a" / "b"):
        raise RuntimeError("the job failed")
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a").is_dir()

    with pytest.raises(RuntimeError), OutputFolder(tmp_path / "c") as out:
        out.write("report.html", "<p>half</p>")
        raise RuntimeError("the job failed")
    assert (tmp_path / "c" / "report.html").is_file() and (tmp_path / "c" / MANIFEST).is_file()

    (tmp_path / "d").mkdir()
    with pytest.raises(RuntimeError), OutputFolder(tmp_path / "d"):
        raise RuntimeError("the job failed")
    assert (tmp_path / "d").is_dir()


@pytest.mark.parametrize("argv, named", [
    (["demo", "--epochs", "0"], "--epochs: 0 is too small"),
    (["demo", "--films", "x"], "--films: 'x' is not a whole number"),
    (["run", "--fetch", "--runs", "-1"], "--runs: -1 is too small"),
    (["demo", "--cases", "-2"], "--cases: -2 is too small"),
    (["demo", "--cases", "0"], "--cases: 0 is too small (at least 1)"),
    (["run", "--fetch", "--explain", "gradcam,grad"], "--explain: unknown explanation method 'grad'"),
    (["demo", "--explain", " , "], "--explain: give at least one method"),
])
def test_bad_counts_are_usage_errors_naming_the_option(argv, named, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err


@pytest.mark.slow
def test_quiet_demo_prints_nothing(tmp_path):
    # the whole command in a fresh process, TensorFlow's start-up included, -q after the
    # sub-command: nothing on stdout or stderr, and the report written
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    done = subprocess.run(
        [sys.executable, "-m", "skmammo.cli", "demo", "-q", "--films", "48", "--epochs", "1",
         "--cases", "1", "--no-pdf", "--out", str(tmp_path / "demo")],
        env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert (tmp_path / "demo" / "report.html").is_file()
