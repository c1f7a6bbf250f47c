"""The ikemap command line: help, exit codes, readable errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ikemap import cli


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "ikemap", *args], capture_output=True, text=True, timeout=300
    )


def test_help_lists_every_design_command():
    out = _run("--help")
    assert out.returncode == 0
    for cmd in ("demo", "import", "validate", "coverage", "gaps", "evacuation", "sites", "nearby"):
        assert cmd in out.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == cli.EXIT_USAGE
    assert "usage: ikemap" in capsys.readouterr().out


def test_bad_arguments_exit_2():
    out = _run("demo")  # --out missing
    assert out.returncode == 2
    assert "--out" in out.stderr


def test_missing_workspace_is_one_paragraph_without_traceback(tmp_path):
    out = _run("coverage", "--workspace", str(tmp_path / "none.gpkg"), "--out", "x.csv")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("ikemap coverage: ")


def test_validate_missing_file(tmp_path, capsys):
    code = cli.main(["validate", str(tmp_path / "nope.csv"), "--kind", "children"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nope.csv does not exist" in err
    assert "Traceback" not in err


def test_validate_reports_every_bad_row(tmp_path, capsys):
    f = tmp_path / "children.csv"
    f.write_text(
        "child_id,age,care,lat,lon\nc1,3,ventilator,35.0,140.0\nc2,-4,wings,35.1,140.1\n",
        encoding="utf-8",
    )
    code = cli.main(["validate", str(f), "--kind", "children"])
    out = capsys.readouterr().out
    assert code == 2
    assert "c2" in out or "row 2" in out or "row 3" in out
    assert "wings" in out


def test_demo_writes_a_workspace(tmp_path):
    out = _run("demo", "--out", str(tmp_path / "d.gpkg"), "--seed", "3")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "d.gpkg").exists()


@pytest.mark.parametrize("argv", [["--version"]])
def test_version(argv):
    out = _run(*argv)
    assert out.returncode == 0
    assert "ikemap" in out.stdout
