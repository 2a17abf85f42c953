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
