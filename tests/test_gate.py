"""The one gate (package gate): roles, scope, identity, audit, suppression labels, exports."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

import gate
from gate import AccessDenied, Audience, audit, identity_columns
from geo import workspace


@pytest.fixture
def kids():
    return pd.DataFrame(
        {
            "child_id": ["c1", "c2", "c3"],
            "municipality_code": ["01001", "01002", "01002"],
            "氏名": ["甲", "乙", "丙"],
            "address": ["x", "y", "z"],
            "age": [3, 7, 12],
        },
        index=[10, 11, 12],
    )


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write_metadata(path, {"region": "test"})
    return path


def test_planner_never_gets_child_rows(kids):
    with pytest.raises(AccessDenied, match="aggregates only"):
        gate.table(kids, "planner", what="children")
    with pytest.raises(AccessDenied):
        gate.table(kids, Audience(name="p", role="planner"), what="children")


def test_coordinator_sees_only_scope_without_identity(kids):
    out = gate.table(kids, Audience("c", "coordinator", ("01002",)), what="children")
    assert out.index.tolist() == [11, 12]
    assert "氏名" not in out.columns and "address" not in out.columns
    named = gate.table(
        kids, Audience("d", "disaster", ("01002",)), what="children", include_identity=True
    )
    assert named["氏名"].tolist() == ["乙", "丙"]


def test_planner_may_not_ask_for_identity():
    agg = pd.DataFrame({"area": ["A"], "n": [20]})
    with pytest.raises(AccessDenied, match="names"):
        gate.table(agg, "planner", what="x", include_identity=True, count_columns=["n"])


def test_scoped_user_cannot_see_unscopable_child_table(kids):
    with pytest.raises(AccessDenied, match="municipality_code"):
        gate.table(
            kids.drop(columns="municipality_code"),
            Audience("c", "coordinator", ("01001",)),
            what="children",
        )


def test_aggregates_suppressed_for_planner_not_admin():
    agg = pd.DataFrame({"area": ["A", "B", "C"], "n": [3, 12, 40]})
    planner = gate.table(agg, "planner", what="x", count_columns=["n"])
    assert planner["n"].isna().sum() == 2
    # 「<10」 only where the true value is 1-9; the complement reads 「秘匿」
    assert gate.display(planner)["n"].tolist() == ["<10", "秘匿", "40"]
    assert gate.display(planner, lang="en")["n"].tolist() == ["<10", "suppressed", "40"]
    admin = gate.table(agg, "admin", what="x", count_columns=["n"])
    assert admin["n"].tolist() == [3, 12, 40]


def test_scoped_coordinator_sees_own_rows_and_suppressed_others():
    agg = pd.DataFrame(
        {"municipality_code": ["01001", "01002", "01003"], "n": [3, 4, 40]},
    )
    out = gate.table(agg, Audience("c", "coordinator", ("01001",)), what="x", count_columns=["n"])
    shown = gate.display(out)["n"].tolist()
    assert shown[0] == "3"  # its own municipality, as it is
    assert shown[1] == "<10"  # another municipality's small count
    # with 01001 known, 01002 = total - 01001 - 01003: 01003 must be hidden too
    assert shown[2] == "秘匿"


def test_flags_and_reasons_are_never_hidden():
    agg = pd.DataFrame(
        {
            "area": ["A", "B", "C"],
            "n": [3, 12, 40],
            "severity": [5, 0, 1],
            "reasons": ["x", "", "y"],
        }
    )
    out = gate.display(gate.table(agg, "planner", what="x", count_columns=["n"]))
    assert out["severity"].tolist() == [5, 0, 1]
    assert out["reasons"].tolist() == ["x", "", "y"]


def test_metric_small_counts_for_planner():
    assert gate.metric(3, "planner", what="power") == "<10"
    assert gate.metric(0, "planner", what="power") == "0"
    assert gate.metric(12, "planner", what="power") == "12"
    assert gate.metric(3, "admin", what="power") == "3"
    assert gate.metric(3, Audience("c", "coordinator", ("01001",)), what="p", known=True) == "3"
    assert gate.metric(3, Audience("c", "coordinator", ("01001",)), what="p") == "<10"


def test_unknown_role_is_refused(kids):
    with pytest.raises(AccessDenied, match="Unknown role"):
        gate.table(kids, "guest", what="children")


def test_views_of_child_rows_are_audited(kids, ws):
    session = Audience(name="sato", role="coordinator", scope=("01002",))
    gate.table(kids, session, workspace=ws, what="children")
    gate.table(pd.DataFrame({"area": ["A"], "n": [30]}), session, what="n", count_columns=["n"])
    log = audit.read(ws)
    assert log[["user", "role", "action", "what", "rows"]].values.tolist() == [
        ["sato", "coordinator", "view", "children", 2]
    ]
    assert "scope=01002" in log["detail"].iloc[0]


def test_identity_columns_are_recognised():
    cols = ["child_id", "name", "Address", "保護者氏名", "電話番号", "shelter_name", "所在地"]
    assert identity_columns(pd.DataFrame(columns=cols)) == [
        "name",
        "Address",
        "保護者氏名",
        "電話番号",
    ]


def test_export_neutralises_formulas_and_audits(kids, ws):
    evil = kids.assign(memo=['=HYPERLINK("http://x","y")', "@SUM(A1)", "\tcmd"])
    who = Audience("ito", "disaster", ("01002",))
    data = gate.export(evil, who, fmt="csv", what="call list", workspace=ws)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "child_id,municipality_code,age,memo"
    assert lines[1].endswith("'@SUM(A1)") and lines[2].endswith("'\tcmd")
    book = openpyxl.load_workbook(io.BytesIO(gate.export(evil, who, fmt="xlsx", what="l")))
    cells = [c.value for c in next(iter(book.worksheets))["D"]]
    assert cells[1:] == ["'@SUM(A1)", "'\tcmd"]
    log = audit.read(ws)
    assert log["action"].tolist() == ["export"]
    assert log["rows"].tolist() == [2]
    with pytest.raises(AccessDenied):
        gate.export(kids, "planner", fmt="csv", what="children", workspace=ws)


def test_export_of_suppressed_aggregate_labels_cells():
    agg = pd.DataFrame({"area": ["A", "B", "C"], "n": [3, 12, 40]})
    text = gate.export(agg, "planner", fmt="csv", what="x", count_columns=["n"]).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["A,<10", "B,秘匿", "C,40"]
