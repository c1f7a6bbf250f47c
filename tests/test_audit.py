"""Audit log: append-only table in the workspace GeoPackage, hash chain, `ikemap audit`."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pyogrio
import pytest

from analysis import audit
from geo import workspace
from geo.errors import WorkspaceError
from ikemap import cli


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write_metadata(path, {"region": "test"})
    return path


def test_records_are_appended_in_order(ws):
    assert audit.read(ws).empty
    ids = [
        audit.record(ws, user="sato", role="coordinator", action="view", what="children", rows=3),
        audit.record(
            ws, user="ito", role="disaster", action="export", what="list", rows=7, detail="csv"
        ),
    ]
    assert ids == [1, 2]
    log = audit.read(ws)
    assert log[["user", "role", "action", "what", "rows"]].values.tolist() == [
        ["sato", "coordinator", "view", "children", 3],
        ["ito", "disaster", "export", "list", 7],
    ]
    assert log["ts"].str.endswith("+00:00").all()
    assert audit.read(ws, limit=1)["user"].tolist() == ["ito"]
    assert audit.verify(ws)


def test_update_and_delete_are_refused(ws):
    audit.record(ws, user="sato", role="coordinator", action="view", what="children", rows=3)
    con = sqlite3.connect(ws)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_log SET rows = 0")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_log")
    con.close()
    assert audit.read(ws)["rows"].tolist() == [3]
    assert not hasattr(audit, "delete") and not hasattr(audit, "update")


def test_tampering_behind_the_triggers_is_detected(ws):
    for n in (1, 2, 3):
        audit.record(ws, user="u", role="admin", action="view", what="children", rows=n)
    con = sqlite3.connect(ws)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute("DELETE FROM audit_log WHERE id = 2")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match="entry 3"):
        audit.verify(ws)


def test_log_survives_workspace_writes_and_is_a_gpkg_table(ws):
    audit.record(ws, user="u", role="admin", action="view", what="children", rows=1)
    workspace.write_metadata(ws, {"more": "x"})
    assert "audit_log" in workspace.layers(ws)
    assert pyogrio.read_dataframe(ws, layer="audit_log")["user"].tolist() == ["u"]
    audit.record(ws, user="v", role="admin", action="view", what="children", rows=2)
    assert audit.verify(ws)


def test_concurrent_appends_are_all_kept(ws):
    def one(i):
        return audit.record(ws, user=f"u{i}", role="admin", action="view", what="x", rows=i)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(40)))
    assert sorted(ids) == list(range(1, 41))
    assert audit.verify(ws)


def test_missing_workspace_is_an_error(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist"):
        audit.record(tmp_path / "none.gpkg", user="u", role="r", action="view", what="x", rows=1)
    assert not (tmp_path / "none.gpkg").exists()


def test_cli_audit_prints_the_log(ws, capsys):
    assert cli.main(["audit", "--workspace", str(ws)]) == 0
    assert "empty" in capsys.readouterr().out
    audit.record(
        ws, user="sato", role="coordinator", action="export", what="children (csv)", rows=5
    )
    assert cli.main(["audit", "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "sato" in out and "export" in out and "rows=5" in out and "intact" in out
