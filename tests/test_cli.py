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


@pytest.fixture(scope="module")
def world_workspace(tmp_path_factory):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from analysis_world import world

    from geo import workspace

    path = tmp_path_factory.mktemp("cli") / "w.gpkg"
    workspace.write_layers(path, world())
    return path


def test_nearby_compares_candidate_addresses(world_workspace, tmp_path, capsys):
    # A sits on node 2 (5 min from F1), B on node 6 (inside the flood square).
    argv = ["nearby", "-w", str(world_workspace), "--service", "short_stay_medical"]
    argv += ["--care", "ventilator", "--age", "3"]
    argv += ["--compare", "A:35.00,139.01", "--compare", "B:35.01,139.02"]
    out = tmp_path / "cmp.csv"
    assert cli.main([*argv, "--out", str(out)]) == 0
    table = __import__("pandas").read_csv(out, index_col="item")
    assert list(table.columns) == ["A", "B"]
    fastest = table.loc[[i for i in table.index if "最短" in i][0]]
    assert float(fastest["A"]) == 5.0
    assert float(fastest["B"]) == 10.0
    flood = table.loc[[i for i in table.index if "洪水" in i][0]]
    assert flood["A"] == "区域外"
    assert "レベル3" in flood["B"]


@pytest.mark.parametrize("bad", [["A:35.00"], ["A:35.0,139.0"]])
def test_nearby_compare_errors_are_readable(world_workspace, bad, capsys):
    argv = ["nearby", "-w", str(world_workspace)]
    for b in bad:
        argv += ["--compare", b]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "LABEL:LAT,LON" in err
    assert "Traceback" not in err


def test_evacuation_disaster_triage_rows(world_workspace, tmp_path, capsys):
    out = tmp_path / "ev.csv"
    argv = ["evacuation", "-w", str(world_workspace), "--out", str(out), "--role", "disaster"]
    assert cli.main([*argv, "--disaster", "earthquake_power_outage"]) == 0
    ev = __import__("pandas").read_csv(out)
    assert ev["triage_rank"].tolist() == sorted(ev["triage_rank"])
    assert ev.iloc[0]["child_id"] == "c1"  # the ventilator child is called first
    assert cli.main([*argv, "--disaster", "alien"]) == 2
    err = capsys.readouterr().err
    assert "Unknown disaster type 'alien'" in err
    assert "data/triage.csv" in err


# ---------------------------------------------------------------------------------------------
# the command line under the access gate: a named user or a stated role


def test_child_level_csv_needs_a_role_that_may_see_children(world_workspace, tmp_path, capsys):
    out = tmp_path / "ev.csv"
    argv = ["evacuation", "-w", str(world_workspace), "--out", str(out)]
    assert cli.main(argv) == 2  # default role: planner (the least access)
    err = capsys.readouterr().err
    assert "aggregates only" in err and "--role" in err and "--user" in err
    assert not out.exists()
    assert cli.main([*argv, "--role", "planner"]) == 2
    assert not out.exists()


def test_user_login_from_environment_is_audited(world_workspace, tmp_path, capsys, monkeypatch):
    from gate import audit, users

    path = tmp_path / "users.toml"
    users.add(path, "ito", role="disaster", password="tsunami-2011", rounds=4)
    out = tmp_path / "ev.csv"
    argv = ["evacuation", "-w", str(world_workspace), "--out", str(out)]
    argv += ["--user", "ito", "--users", str(path)]
    monkeypatch.delenv("IKEMAP_PASSWORD", raising=False)
    assert cli.main(argv) == 2
    assert "IKEMAP_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("IKEMAP_PASSWORD", "wrong-password")
    assert cli.main(argv) == 2
    monkeypatch.setenv("IKEMAP_PASSWORD", "tsunami-2011")
    assert cli.main(argv) == 0
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    log = audit.read(world_workspace)
    assert log["action"].tolist()[-3:] == ["login_failed", "login", "export"]
    assert log["user"].iloc[-1] == "ito" and log["what"].iloc[-1].startswith("evacuation")
    assert log["rows"].iloc[-1] == len(__import__("pandas").read_csv(out))


def test_gaps_threshold_one_still_hides_small_counts_for_a_planner(world_workspace, tmp_path):
    import pandas as pd

    from analysis import gaps

    out = tmp_path / "g.csv"
    argv = ["gaps", "-w", str(world_workspace), "--out", str(out), "--threshold", "1"]
    assert cli.main([*argv, "--service", "short_stay_medical"]) == 0
    g = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    for c in gaps.COUNT_COLUMNS:
        if c in g:
            values = pd.to_numeric(g[c], errors="coerce").dropna()
            assert not ((values >= 1) & (values <= 9)).any(), c
    assert {"<10", "秘匿"} & set(g["children"])
    assert cli.main([*argv, "--service", "short_stay_medical", "--role", "admin"]) == 0
    admin = pd.read_csv(out, encoding="utf-8-sig")
    assert pd.to_numeric(admin["children"]).between(1, 9).any()  # the small world's areas
