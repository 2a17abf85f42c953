"""The installed package: import cost, version and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import skmammo
from skmammo.cli import main


def test_import_does_not_pull_in_tensorflow():
    code = (
        "import sys, skmammo, skmammo.datasets, skmammo.cli; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'shap', 'lime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skmammo {skmammo.__version__}"
    assert main([]) == 0
    assert "Research software, not a diagnosis" in capsys.readouterr().out


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("skmammo")
    out = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("usage: skmammo")


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skmammo.nothing  # noqa: B018
