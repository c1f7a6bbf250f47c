"""Exports: BOM, formula neutralisation, identity columns, Excel layout, GeoPackage, audit."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from analysis import audit, export, privacy
from geo import workspace

NASTY = ["=1+1", "+81-3-1234", "-2", "@SUM(A1)", "\tx", "\ry", "＝HYPERLINK()", "ok", "a=b"]


def _csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_starts_with_bom_and_keeps_japanese():
    data = export.to_csv_bytes(pd.DataFrame({"圏域": ["北部"], "人数": [12]}))
    assert data.startswith(b"\xef\xbb\xbf")
    assert _csv_rows(data) == [["圏域", "人数"], ["北部", "12"]]


def test_csv_neutralises_formula_cells_and_headers():
    frame = pd.DataFrame({"text": NASTY, "=bad": range(len(NASTY))})
    rows = _csv_rows(export.to_csv_bytes(frame))
    assert rows[0] == ["text", "'=bad"]
    got = [r[0] for r in rows[1:]]
    expected = ["'" + v for v in NASTY[:7]] + ["ok", "a=b"]
    # csv.reader turns the lone \r of a quoted field back into \r; compare exactly
    assert got == expected
    # numbers are numbers, not text: a negative count is not prefixed
    rows = _csv_rows(export.to_csv_bytes(pd.DataFrame({"n": [-3, 4]})))
    assert rows[1:] == [["-3"], ["4"]]


def test_child_exports_drop_identity_unless_authorised():
    kids = pd.DataFrame(
        {"child_id": ["c1"], "氏名": ["山田"], "住所": ["市内"], "age": [4], "care": [["suction"]]}
    )
    assert _csv_rows(export.to_csv_bytes(kids)) == [
        ["child_id", "age", "care"],
        ["c1", "4", "suction"],
    ]
    named = export.to_csv_bytes(kids, include_identity=True, role="disaster")
    assert _csv_rows(named)[0] == ["child_id", "氏名", "住所", "age", "care"]
    with pytest.raises(privacy.AccessDenied):
        export.to_csv_bytes(kids, include_identity=True, role="planner")
    # facility names are not personal data: kept in non-child tables
    fac = pd.DataFrame({"facility_id": ["f1"], "name": ["=evil"]})
    assert _csv_rows(export.to_csv_bytes(fac))[1] == ["f1", "'=evil"]


def test_suppressed_counts_are_exported_as_label():
    out = privacy.suppress(
        pd.DataFrame({"area": ["A", "B", "C"], "n": [3, 20, 30]}), count_columns=["n"]
    )
    rows = _csv_rows(export.to_csv_bytes(out))
    assert rows == [["area", "n"], ["A", "<10"], ["B", "<10"], ["C", "30"]]


def test_points_become_lon_lat_columns():
    g = gpd.GeoDataFrame({"facility_id": ["f1"]}, geometry=[Point(139.5, 35.25)], crs=4326)
    assert _csv_rows(export.to_csv_bytes(g)) == [
        ["facility_id", "lon", "lat"],
        ["f1", "139.5", "35.25"],
    ]


def test_excel_sheets_are_neutralised_with_frozen_japanese_header():
    frames = {
        "圏域別/集計": pd.DataFrame({"圏域": NASTY, "人数": range(len(NASTY))}),
        "kids": pd.DataFrame({"child_id": ["c1"], "氏名": ["山田"]}),
    }
    book = openpyxl.load_workbook(io.BytesIO(export.to_excel_bytes(frames)))
    assert book.sheetnames == ["圏域別_集計", "kids"]
    ws = book["圏域別_集計"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["圏域", "人数"]
    values = [ws.cell(row=i + 2, column=1).value for i in range(len(NASTY))]
    assert values[0] == "'=1+1" and values[3] == "'@SUM(A1)" and values[-1] == "a=b"
    assert all(ws.cell(row=i + 2, column=1).data_type == "s" for i in range(len(NASTY)))
    assert [c.value for c in book["kids"][1]] == ["child_id"]


def test_gpkg_export_keeps_geometry_and_drops_identity(tmp_path):
    g = gpd.GeoDataFrame(
        {"child_id": ["c1"], "name": ["山田"], "age": [4]}, geometry=[Point(140, 36)], crs=4326
    )
    data = export.to_gpkg_bytes(g, "children")
    assert data.startswith(b"SQLite format 3")
    (tmp_path / "out.gpkg").write_bytes(data)
    back = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="children")
    assert "name" not in back.columns and back["child_id"].tolist() == ["c1"]
    assert back.geometry.iloc[0].equals(Point(140, 36))


def test_export_for_gates_scopes_and_audits(tmp_path):
    ws = tmp_path / "w.gpkg"
    workspace.write_metadata(ws, {"region": "test"})
    kids = pd.DataFrame(
        {
            "child_id": ["c1", "c2", "c3"],
            "municipality_code": ["01001", "01002", "01002"],
            "氏名": ["a", "b", "c"],
        }
    )
    s = privacy.Access(name="ito", role="disaster", scope=("01002",))
    data = export.export_for(
        s, kids, fmt="csv", workspace=ws, what="evacuation list", include_identity=True
    )
    assert [r[0] for r in _csv_rows(data)[1:]] == ["c2", "c3"]
    with pytest.raises(privacy.AccessDenied):
        export.export_for("planner", kids, fmt="xlsx", workspace=ws, what="children")
    log = audit.read(ws)
    assert log[["user", "action", "what", "rows"]].values.tolist() == [
        ["ito", "export", "evacuation list (csv)", 2]
    ]
    assert "identity" in log["detail"].iloc[0]
    with pytest.raises(ValueError, match="not supported"):
        export.export_for(s, kids, fmt="pdf", workspace=ws, what="x")
