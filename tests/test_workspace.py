"""Workspace schema, validation messages and GeoPackage round trips."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo import workspace
from geo.errors import CRSError, ValidationError, WorkspaceError

SQUARE = Polygon([(140, 35), (140.01, 35), (140.01, 35.01), (140, 35.01)])


def _children(**overrides):
    data = {
        "child_id": ["c1", "c2", "c3"],
        "age": [0, 7, 17],
        "care": [["ventilator", "suction"], ["tube_feeding"], []],
        "mobility": ["bedridden", None, "walk"],
        "municipality_code": ["99101", "99101", None],
        "has_evac_plan": [True, False, None],
        "last_verified": ["2025-04-01", None, "2024-12-31"],
    }
    data.update(overrides)
    pts = [Point(140.001, 35.001), Point(140.002, 35.002), Point(140.003, 35.003)]
    return gpd.GeoDataFrame(data, geometry=pts, crs="EPSG:4326")


def _facilities():
    return gpd.GeoDataFrame(
        {
            "facility_id": ["f1", "f2"],
            "name": ["あおば短期入所", "みどり訪問看護"],
            "service": ["short_stay_medical", "visiting_nurse"],
            "capacity": [4, None],
            "accepts": [["ventilator", "suction"], None],
            "age_min": [0, None],
            "age_max": [18, None],
            "has_power": [True, None],
            "municipality_code": ["99101", "99102"],
            "source": ["test", None],
            "source_date": ["2024-01-01", None],
        },
        geometry=[Point(140.004, 35.004), Point(140.005, 35.005)],
        crs="EPSG:4326",
    )


def _layers():
    muni = gpd.GeoDataFrame(
        {"code": ["99101"], "name": ["テスト区"], "pref": ["テスト県"]},
        geometry=[SQUARE],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["a1"], "name": ["北圏域"], "kind": ["障害保健福祉圏域"]},
        geometry=[SQUARE],
        crs="EPSG:4326",
    )
    members = pd.DataFrame(
        {"area_id": ["a1"], "kind": ["障害保健福祉圏域"], "municipality_code": ["99101"]}
    )
    shelters = gpd.GeoDataFrame(
        {
            "shelter_id": ["s1"],
            "name": ["第一小学校"],
            "kind": ["welfare_shelter"],
            "hazards_ok": [["flood", "landslide"]],
            "has_power": [False],
            "accepts_medical": [True],
            "capacity": [50],
        },
        geometry=[Point(140.006, 35.006)],
        crs="EPSG:4326",
    )
    hazards = gpd.GeoDataFrame(
        {
            "hazard_id": ["h1"],
            "hazard_type": ["flood"],
            "level": [3],
            "label": ["3.0-5.0m"],
            "depth_m": [4.0],
            "source": ["test"],
        },
        geometry=[SQUARE],
        crs="EPSG:4326",
    )
    nodes = gpd.GeoDataFrame(
        {"osmid": [1, 2], "x": [140.0, 140.01], "y": [35.0, 35.0]},
        geometry=[Point(140.0, 35.0), Point(140.01, 35.0)],
        crs="EPSG:4326",
    )
    line = LineString([(140.0, 35.0), (140.01, 35.0)])
    edges = gpd.GeoDataFrame(
        {
            "u": [1, 2],
            "v": [2, 1],
            "key": [0, 0],
            "length": [912.0, 912.0],
            "speed_kph": [40.0, 40.0],
            "travel_time": [82.08, 82.08],
            "highway": ["primary", "primary"],
        },
        geometry=[line, line.reverse()],
        crs="EPSG:4326",
    )
    return {
        "municipalities": muni,
        "areas": areas,
        "area_members": members,
        "facilities": _facilities(),
        "shelters": shelters,
        "hazards": hazards,
        "children": _children(),
        "roads_nodes": nodes,
        "roads_edges": edges,
    }


def test_every_input_layer_round_trips(tmp_path):
    path = tmp_path / "w.gpkg"
    frames = _layers()
    workspace.write_layers(path, frames)
    assert set(workspace.layers(path)) == set(frames)
    for name, frame in frames.items():
        back = workspace.read(path, name, validate_schema=True)
        pd.testing.assert_frame_equal(back, workspace.normalize(name, frame))


def test_arrow_and_row_by_row_writes_make_the_same_tables(tmp_path, monkeypatch):
    # big layers are written through Arrow; the GeoPackage must not tell which writer made it
    import sqlite3

    frames = _layers()
    frames["roads_edges"]["name"] = pd.Series(["国道1号", None], dtype=object)
    frames["roads_edges"]["oneway"] = [True, False]
    assert workspace._arrow_ok(workspace._encode("roads_edges", frames["roads_edges"]))
    arrow, plain = tmp_path / "arrow.gpkg", tmp_path / "plain.gpkg"
    workspace.write_layers(arrow, frames)
    monkeypatch.setattr(workspace, "_arrow_ok", lambda frame: False)
    workspace.write_layers(plain, frames)

    def tables(path):
        with sqlite3.connect(path) as con:
            sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            geoms = sorted(con.execute("SELECT * FROM gpkg_geometry_columns"))
        return sql, geoms

    assert tables(arrow) == tables(plain)
    for name in frames:
        pd.testing.assert_frame_equal(workspace.read(arrow, name), workspace.read(plain, name))


def test_text_columns_screened_per_distinct_value_find_every_bad_row():
    kids = _children(
        child_id=["c1", "c2", "c3"],
        mobility=["flying", "flying", None],
        municipality_code=[99101, "9910", "99101"],
        last_verified=["2025-02-30", None, "2025-02-30"],
    )
    found = [(p.row, p.column, p.value) for p in workspace.validate("children", kids)]
    assert ("c1", "mobility", "flying") in found and ("c2", "mobility", "flying") in found
    assert ("c1", "municipality_code", 99101) in found
    assert ("c2", "municipality_code", "9910") in found
    assert ("c1", "last_verified", "2025-02-30") in found
    assert ("c3", "last_verified", "2025-02-30") in found
    assert not [f for f in found if f[0] == "c3" and f[1] in ("mobility", "municipality_code")]


def test_list_columns_keep_unknown_apart_from_empty(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write(path, "facilities", _facilities())
    workspace.write(path, "children", _children())
    fac = workspace.read(path, "facilities")
    kids = workspace.read(path, "children")
    assert fac["accepts"].tolist() == [["ventilator", "suction"], None]
    assert kids["care"].tolist()[2] == []


def test_valid_layers_have_no_problems():
    for name, frame in _layers().items():
        assert workspace.validate(name, frame) == [], name


def test_unknown_care_code_names_row_column_value_and_table():
    kids = _children(care=[["ventilator"], ["wings"], []])
    with pytest.raises(ValidationError, match=r"children row c2: care is \['wings'\].*care_types"):
        workspace.check("children", kids)


def test_all_problems_are_reported_at_once():
    kids = _children(
        child_id=["c1", "c1", None],
        age=[-1, 7.5, 40],
        mobility=["flying", None, None],
        municipality_code=["9910", None, None],
        has_evac_plan=["yes", None, None],
        last_verified=["2025-13-01", "01/04/2025", None],
    )
    problems = workspace.validate("children", kids)
    found = {(p.row, p.column) for p in problems}
    assert ("c1", "age") in found
    assert ("c1", "mobility") in found
    assert ("c1", "municipality_code") in found
    assert ("c1", "has_evac_plan") in found
    assert ("c1", "last_verified") in found
    assert (None, "child_id") in found
    assert ("c1", "child_id") in found  # duplicate id
    assert (None, "age") in found  # 40 > max child age
    with pytest.raises(ValidationError, match=r"\d+ problem\(s\) found"):
        workspace.check("children", kids)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("service", "massage", r"service is 'massage'; expected one of the codes"),
        ("capacity", -2, r"capacity is -2; expected a number >= 0"),
        ("age_max", 200, r"age_max is 200; expected a number <= 120"),
        ("source_date", "yesterday", r"source_date is 'yesterday'; expected a date"),
        ("has_power", "maybe", r"has_power is 'maybe'; expected true or false"),
        ("accepts", ["ventilator", "magic"], r"accepts is .*unknown: \[.magic.\]"),
        ("name", "", r"name is ''; expected a non-empty text"),
    ],
)
def test_facility_field_errors(column, value, message):
    fac = _facilities()
    fac[column] = pd.Series([value, fac[column].iloc[1]], dtype=object)
    with pytest.raises(ValidationError, match=r"facilities row f1: " + message):
        workspace.check("facilities", fac)


def test_age_range_must_be_ordered():
    fac = _facilities()
    fac["age_min"] = [10, None]
    fac["age_max"] = [5, None]
    with pytest.raises(ValidationError, match=r"age_max is 5.*age_max >= age_min"):
        workspace.check("facilities", fac)


def test_missing_column_and_wrong_geometry():
    kids = _children().drop(columns="care")
    kids.loc[0, "geometry"] = SQUARE
    problems = workspace.validate("children", kids)
    assert any(p.column == "care" and p.value == "(missing column)" for p in problems)
    assert any(p.column == "geometry" and p.value == "Polygon" for p in problems)


def test_empty_geometry_is_a_problem():
    kids = _children()
    kids.loc[1, "geometry"] = Point()
    with pytest.raises(ValidationError, match=r"children row c2: geometry is 'empty'"):
        workspace.check("children", kids)


def test_area_member_code_pattern():
    members = pd.DataFrame({"area_id": ["a"], "kind": ["k"], "municipality_code": ["131016"]})
    with pytest.raises(ValidationError, match=r"municipality_code is '131016'.*5-digit"):
        workspace.check("area_members", members)


def test_wrong_crs_raises_with_the_fix():
    kids = _children().to_crs("EPSG:6677")
    with pytest.raises(CRSError, match=r"EPSG:6677.*to_crs\('EPSG:4326'\)"):
        workspace.check("children", kids)
    with pytest.raises(CRSError, match="to_crs"):
        workspace.write_layers("/tmp/never-written.gpkg", {"children": kids})


def test_missing_crs_raises():
    kids = _children().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="has no CRS"):
        workspace.check("children", kids)


def test_failed_write_leaves_workspace_unchanged(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write(path, "children", _children())
    before = path.read_bytes()
    bad = _facilities()
    bad["service"] = ["nope", "visiting_nurse"]
    with pytest.raises(ValidationError):
        workspace.write_layers(path, {"facilities": _facilities(), "shelters": bad})
    assert path.read_bytes() == before
    assert workspace.layers(path) == ["children"]
    assert not [p for p in tmp_path.iterdir() if p.name != "w.gpkg"]


def test_reading_missing_workspace_or_layer(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist.*ikemap demo"):
        workspace.read(tmp_path / "none.gpkg", "children")
    path = tmp_path / "w.gpkg"
    workspace.write(path, "children", _children())
    with pytest.raises(WorkspaceError, match="has no layer 'facilities' \\(it has: children\\)"):
        workspace.read(path, "facilities")


def test_unknown_layer_name():
    with pytest.raises(KeyError, match="Unknown layer 'kids'"):
        workspace.validate("kids", _children())


def test_metadata_round_trip(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write(path, "children", _children())
    workspace.write_metadata(path, {"region": "テスト県", "fictional": True})
    workspace.write_metadata(path, {"seed": 7})
    assert workspace.metadata(path) == {"region": "テスト県", "fictional": "True", "seed": "7"}


def test_result_layers_are_free_form(tmp_path):
    path = tmp_path / "w.gpkg"
    table = pd.DataFrame({"child_id": ["c1"], "service": ["short_stay_medical"], "minutes": [12.5]})
    workspace.write(path, "child_access", table)
    pd.testing.assert_frame_equal(workspace.read(path, "child_access"), table, check_dtype=False)


# ---------------------------------------------------------------------------------------------
# writes in place: readers never see a broken file, appends are never lost, crashes leave nothing


def _kids(n, offset=0):
    ids = [f"c{offset + i}" for i in range(n)]
    pts = [Point(140.0 + i * 1e-4, 35.0 + offset * 1e-4) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "child_id": ids,
            "age": [i % 18 for i in range(n)],
            "care": [["suction"]] * n,
            "mobility": [None] * n,
            "municipality_code": [None] * n,
            "has_evac_plan": [None] * n,
            "last_verified": [None] * n,
        },
        geometry=pts,
        crs="EPSG:4326",
    )


def test_replacing_a_layer_keeps_the_file_a_valid_geopackage(tmp_path):
    import sqlite3

    import pyogrio

    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"children": _kids(3), "facilities": _facilities()})
    inode = path.stat().st_ino
    workspace.write_layers(path, {"children": _kids(5, offset=100)})
    workspace.write_layers(path, {"children": _kids(4, offset=200)})
    # replaced in place (no copy-and-rename) and nothing staged is left
    assert path.stat().st_ino == inode
    assert sorted(workspace.layers(path)) == ["children", "facilities"]
    kids = workspace.read(path, "children")
    assert kids["child_id"].tolist() == ["c200", "c201", "c202", "c203"]
    assert len(workspace.read(path, "facilities")) == 2
    # the spatial index follows the rename: a bbox read uses it and finds the points
    hit = pyogrio.read_dataframe(path, layer="children", bbox=(139.9, 34.9, 140.1, 35.1))
    assert len(hit) == 4
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        assert "rtree_children_geom" in tables
        assert not [t for t in tables if "staging" in t]
        n = con.execute("SELECT COUNT(*) FROM rtree_children_geom").fetchone()[0]
        assert n == 4
        contents = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
        assert contents == {"children", "facilities"}
    # GDAL itself can still overwrite the renamed layer
    pyogrio.write_dataframe(_kids(2), path, layer="children", driver="GPKG")
    assert len(workspace.read(path, "children")) == 2


_APPEND = """
import sqlite3, sys
for i in range(int(sys.argv[2])):
    con = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO audit_probe (who) VALUES (?)", (f"u{i}",))
    con.execute("COMMIT")
    con.close()
"""


def test_readers_see_old_or_new_never_an_error_while_a_writer_replaces(tmp_path):
    import sqlite3
    import subprocess
    import sys
    import threading

    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"children": _kids(20), "facilities": _facilities()})
    with sqlite3.connect(path) as con:  # an audit table appended to with plain SQL (as H1's)
        con.execute("CREATE TABLE audit_probe (id INTEGER PRIMARY KEY, who TEXT)")
    errors, sizes = [], set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                kids = workspace.read(path, "children")
                sizes.add(len(kids))
                workspace.read(path, "facilities")
            except Exception as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    # audit appends with plain SQL from another process (another session, the CLI)
    appender = subprocess.Popen([sys.executable, "-c", _APPEND, str(path), "15"])
    try:
        for k in range(5):
            frame = _kids(20 if k % 2 else 30, offset=k)
            if k % 2:
                frame["氏名"] = "x"  # the columns change too: readers still see old or new
            workspace.write_layers(path, {"children": frame})
    finally:
        assert appender.wait(timeout=120) == 0
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert sizes <= {20, 30}
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT COUNT(*) FROM audit_probe").fetchone()[0] == 15
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [p.name for p in tmp_path.iterdir()] == ["w.gpkg"]


_CRASH = """
import os, sys
import geopandas as gpd
from shapely.geometry import Point
from geo import workspace

path = sys.argv[1]
kids = gpd.GeoDataFrame({"child_id": ["x1"], "age": [3], "care": [["suction"]],
                        "mobility": [None], "municipality_code": [None],
                        "has_evac_plan": [None], "last_verified": [None]},
                        geometry=[Point(140, 35)], crs="EPSG:4326")


def die(*a, **k):
    os._exit(9)  # killed between staging the new table and swapping it in

workspace._swap = die
workspace.write_layers(path, {"children": kids})
"""


def test_killed_writers_leave_no_copy_and_the_next_write_cleans_up(tmp_path):
    import os
    import sqlite3
    import subprocess
    import sys

    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    path = old_dir / "w.gpkg"
    workspace.write_layers(path, {"children": _kids(3)})
    # a hidden full copy left by the old copy-and-replace writer after a kill -9
    legacy = old_dir / ".w-abcd1234.gpkg"
    legacy.write_bytes(path.read_bytes())
    old = legacy.stat().st_mtime - 3600
    os.utime(legacy, (old, old))
    created = new_dir / "new.gpkg"
    # one writer killed while replacing a layer, one while creating a new workspace
    procs = [subprocess.Popen([sys.executable, "-c", _CRASH, str(p)]) for p in (path, created)]
    assert [p.wait(timeout=120) for p in procs] == [9, 9]
    # the replaced layer is still the old one and nothing lies outside the files
    assert workspace.read(path, "children")["child_id"].tolist() == ["c0", "c1", "c2"]
    assert workspace.layers(path) == ["children"]
    assert sorted(p.name for p in new_dir.iterdir()) == ["new.gpkg"]
    assert workspace.layers(created) == []  # only the staged table, hidden from readers
    workspace.write_layers(path, {"facilities": _facilities()})
    workspace.write_layers(created, {"children": _kids(2)})
    assert sorted(p.name for p in old_dir.iterdir()) == ["w.gpkg"]
    for p in (path, created):
        with sqlite3.connect(p) as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master")]
        assert not [t for t in tables if t.startswith(workspace.STAGING_PREFIX)]
    assert workspace.layers(created) == ["children"]


def test_failure_in_the_middle_of_a_write_leaves_the_layers_as_they_were(tmp_path, monkeypatch):
    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"children": _kids(3)})
    calls = []
    real = workspace._write_one

    def flaky(p, layer, frame, **kw):
        calls.append(layer)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real(p, layer, frame, **kw)

    monkeypatch.setattr(workspace, "_write_one", flaky)
    frames = {
        "metadata": pd.DataFrame({"key": ["a"], "value": ["1"]}),
        "children": _kids(1, offset=50),
    }
    with pytest.raises(OSError, match="disk full"):
        workspace.write_layers(path, frames, validate_schema=False)
    assert calls == ["metadata", "children"]
    assert workspace.layers(path) == ["children"]
    assert workspace.read(path, "children")["child_id"].tolist() == ["c0", "c1", "c2"]
    assert [p.name for p in tmp_path.iterdir()] == ["w.gpkg"]
    import pyogrio

    assert [n for n, _ in pyogrio.list_layers(path)] == ["children"]


def test_plain_sql_appends_in_this_process_beside_gdal_readers_and_writers(tmp_path):
    """native_sqlite keeps Python's sqlite3 and GDAL's SQLite from breaking each other's locks.

    Without it (a bare sqlite3.connect in a thread) this run corrupts the file: tables vanish
    and 'freelist size is 0 but should be 1' (two SQLite copies in one process).
    """
    import threading

    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"children": _kids(20)})
    with workspace.native_sqlite(path) as con:
        con.execute("CREATE TABLE audit_probe (id INTEGER PRIMARY KEY, who TEXT)")
    errors = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                workspace.read(path, "children")
            except Exception as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(repr(exc))

    def appender():
        for i in range(15):
            try:
                with workspace.native_sqlite(path) as con:
                    con.execute("BEGIN IMMEDIATE")
                    con.execute("INSERT INTO audit_probe (who) VALUES (?)", (f"u{i}",))
                    con.execute("COMMIT")
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=appender))
    for t in threads:
        t.start()
    try:
        for k in range(4):
            workspace.write_layers(path, {"children": _kids(20 if k % 2 else 30, offset=k)})
    finally:
        threads[-1].join()
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    with workspace.native_sqlite(path, readonly=True) as con:
        assert con.execute("SELECT COUNT(*) FROM audit_probe").fetchone()[0] == 15
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_concurrent_metadata_merges_lose_nothing(tmp_path):
    import threading

    path = tmp_path / "w.gpkg"
    workspace.write_metadata(path, {"region": "test"})
    errors = []

    def merge(i):
        try:
            workspace.write_metadata(path, {f"k{i}": i})
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=merge, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert workspace.metadata(path) == {"region": "test", **{f"k{i}": str(i) for i in range(6)}}
