"""The command line as a new user meets it: ``--version``, a bare ``glassnet`` printing its
help, ``python -m glassnet``, and error lines that name the command once."""

from __future__ import annotations

import subprocess
import sys

import pytest

import glassnet
from glassnet import cli


def test_version_flag_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"glassnet {glassnet.__version__}"


def test_bare_glassnet_prints_help_and_exits_zero(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: glassnet") and "train" in out and "playground" in out


def test_python_dash_m_glassnet_is_the_same_command():
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == f"glassnet {glassnet.__version__}"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "--layers", "0"], "glassnet train: --layers must list positive sizes."),
        (["train", "--dataset", "nope"], "glassnet train: unknown data set 'nope'."),
        (["playground", "--port", "-5"], "glassnet playground: the port is out of range."),
        (["summary", "missing.gn"], "glassnet summary: no such file: 'missing.gn'."),
        (["evaluate", "missing.gn"], "glassnet evaluate: no such file: 'missing.gn'."),
        (["plot", "history", "--out", "x.png"], "glassnet plot history: --csv is required"),
        (["plot", "network", "--out", "x.png"], "glassnet plot network: --model is required"),
    ],
)
def test_error_lines_name_the_command_once(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected), err
    assert err.count("glassnet") == 1 and err.count(f"{argv[0]}:") <= 1, err
