"""Transition to adulthood: a hand-made world whose answers are worked out below.

Two 圏域 of kind 障害保健福祉圏域 (N: municipalities 99001, 99002; S: 99003) and one 二次医療圏 (M
covering all three). Children (age -> year they turn 18):

    N: 17 (y1), 17 (y1), 16 (y2), 14 (y4), 12 (y6, outside 5 years), 18 (already adult)
    S: 15 (y3), 13 (y5), 13 (y5)

生活介護 places (capacity; nurse, transport, bathing):

    L1 N cap 2  yes/yes/yes      -> confirmed
    L2 N cap 5  yes/unknown/yes  -> possible only
    L3 S cap 9  yes/no/yes       -> not counted (no transport)
    L4 S cap -  yes/yes/yes      -> confirmed, capacity unknown
    D1 N after_school_day        -> not a 生活介護 place

N: cumulative y1..y5 = 2, 3, 3, 4, 4; confirmed 2, possible 7 -> short from year 2,
   flag exceeds_confirmed (4 <= 7).
S: cumulative = 0, 0, 1, 1, 3; confirmed 0 (L4 capacity unknown), possible 0 -> short from
   year 3; capacity unknown so only exceeds_confirmed can be said.
M (both): cumulative 2, 3, 4, 5, 7; confirmed 2, possible 7 -> short from year 2,
   exceeds_confirmed.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis import context, transition
from geo import workspace
from ikemap.cli import main

KIDS = [
    ("c1", 17, "99001"),
    ("c2", 17, "99002"),
    ("c3", 16, "99001"),
    ("c4", 14, "99002"),
    ("c5", 12, "99001"),
    ("c6", 18, "99001"),
    ("c7", 15, "99003"),
    ("c8", 13, "99003"),
    ("c9", 13, "99003"),
]


def _layers():
    pts = [Point(143.0 + i * 0.01, 31.0) for i in range(len(KIDS))]
    children = gpd.GeoDataFrame(
        {
            "child_id": [k[0] for k in KIDS],
            "age": pd.array([k[1] for k in KIDS], "Int64"),
            "care": [["suction"]] * len(KIDS),
            "municipality_code": [k[2] for k in KIDS],
        },
        geometry=pts,
        crs="EPSG:4326",
    )
    munis = gpd.GeoDataFrame(
        {
            "code": ["99001", "99002", "99003"],
            "name": ["一町", "二町", "三町"],
            "pref": ["デモ県"] * 3,
        },
        geometry=[box(143 + i, 31, 143.9 + i, 31.9) for i in range(3)],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["N", "S", "M"],
            "name": ["北圏域", "南圏域", "全医療圏"],
            "kind": ["障害保健福祉圏域", "障害保健福祉圏域", "二次医療圏"],
        },
        geometry=[box(143, 31, 145, 32), box(145, 31, 146, 32), box(143, 31, 146, 32)],
        crs="EPSG:4326",
    )
    members = pd.DataFrame(
        {
            "area_id": ["N", "N", "S", "M", "M", "M"],
            "kind": ["障害保健福祉圏域"] * 3 + ["二次医療圏"] * 3,
            "municipality_code": ["99001", "99002", "99003", "99001", "99002", "99003"],
        }
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["L1", "L2", "L3", "L4", "D1"],
            "name": ["生活介護一", "生活介護二", "生活介護三", "生活介護四", "放デイ"],
            "service": ["life_care"] * 4 + ["after_school_day"],
            "capacity": pd.array([2, 5, 9, None, 10], "Int64"),
            "municipality_code": ["99001", "99002", "99003", "99003", "99001"],
        },
        geometry=[Point(143.1, 31.1)] * 5,
        crs="EPSG:4326",
    )
    caps = pd.DataFrame(
        [
            (fid, cap, val, "survey", "2024-04-01")
            for fid, vals in {
                "L1": ("true", "true", "true"),
                "L2": ("true", None, "true"),
                "L3": ("true", "false", "true"),
                "L4": ("true", "true", "true"),
            }.items()
            for cap, val in zip(transition.DEFAULT_REQUIRE, vals, strict=True)
            if val is not None
        ],
        columns=["facility_id", "capability", "value", "source", "source_date"],
    )
    return {
        "children": children,
        "municipalities": munis,
        "areas": areas,
        "area_members": members,
        "facilities": facilities,
        "facility_capabilities": caps,
    }


def _ctx(layers=None):
    layers = layers or _layers()
    full = {name: layers.get(name, context._empty(name)) for name in context.LAYERS}
    full["facility_capabilities"] = layers.get("facility_capabilities")
    return context.Context(layers=full, net=None, snaps={})


def test_projection_per_area_and_year():
    proj, places = transition.transition(_ctx(), area_kind="障害保健福祉圏域", years=5)
    n, s = proj.loc["N"], proj.loc["S"]
    assert [n[f"cumulative_y{k}"] for k in range(1, 6)] == [2, 3, 3, 4, 4]
    assert [n[f"turning_18_y{k}"] for k in range(1, 6)] == [2, 1, 0, 1, 0]
    assert [s[f"cumulative_y{k}"] for k in range(1, 6)] == [0, 0, 1, 1, 3]
    assert (n["places_confirmed"], n["places_possible"]) == (2, 7)
    assert (n["facilities_confirmed"], n["facilities_unknown"]) == (1, 1)
    assert (s["places_confirmed"], s["places_possible"], s["capacity_unknown"]) == (0, 0, 1)
    assert (n["short_year"], n["flag"]) == (2, "exceeds_confirmed")
    assert (s["short_year"], s["flag"]) == (3, "exceeds_confirmed")
    assert places.set_index("facility_id")["qualifies"].to_dict() == {
        "L1": "yes",
        "L2": "unknown",
        "L3": "no",
        "L4": "yes",
    }
    assert proj.attrs["places_unknown"] == 1


def test_other_area_kind_and_horizon():
    proj, _ = transition.transition(_ctx(), area_kind="二次医療圏", years=3)
    m = proj.loc["M"]
    assert [m[f"cumulative_y{k}"] for k in range(1, 4)] == [2, 3, 4]
    assert "cumulative_y4" not in proj.columns
    assert (m["places_confirmed"], m["places_possible"], m["short_year"]) == (2, 7, 2)
    with pytest.raises(ValueError, match="1 to 5"):
        transition.transition(_ctx(), years=6)
    with pytest.raises(KeyError, match="area kind"):
        transition.transition(_ctx(), area_kind="nope")


def test_exceeds_possible_when_no_capacity_is_unknown():
    kids = pd.DataFrame({"area_id": ["A"] * 4, "age": [17, 17, 16, 16]})
    places = pd.DataFrame(
        {"area_id": ["A", "A"], "capacity": [1, 2], "qualifies": ["yes", "unknown"]}
    )
    p = transition.projection(kids, places, years=2)
    assert (p.loc["A", "cumulative_y2"], p.loc["A", "places_possible"]) == (4, 3)
    assert p.loc["A", "flag"] == "exceeds_possible"
    assert p.loc["A", "short_year"] == 1  # 2 > 1 confirmed already in year 1
    ok = transition.projection(kids, places.assign(capacity=[10, 0]), years=2)
    assert (ok.loc["A", "flag"], ok.loc["A", "short_year"]) == ("", 0)


def test_capabilities_unknown_stays_unknown_without_data():
    layers = _layers()
    layers.pop("facility_capabilities")
    proj, places = transition.transition(_ctx(layers), area_kind="障害保健福祉圏域")
    assert set(places["qualifies"]) == {"unknown"}
    assert places["nurse_on_site"].isna().all()
    assert proj["places_confirmed"].tolist() == [0, 0]
    assert proj.loc["N", "places_possible"] == 7  # L1 + L2; S: L3 9 + L4 unknown capacity
    assert proj.loc["S", "places_possible"] == 9
    assert proj.attrs["places_unknown"] == 4


def test_capabilities_wide_layer_and_facility_columns():
    f = pd.DataFrame({"facility_id": ["a", "b", "c"], "transport": ["あり", "×", None]})
    wide = pd.DataFrame({"facility_id": ["c"], "transport": ["○"]})
    got = transition.capabilities_of(f, wide, require=["transport"])
    assert got["transport"].tolist() == [True, False, True]
    assert got["qualifies"].tolist() == ["yes", "no", "yes"]
    assert transition.capabilities_of(f, require=[])["qualifies"].tolist() == ["yes"] * 3
    with pytest.raises(ValueError, match="capabilities.csv"):
        transition.capabilities_of(f, require=["jacuzzi"])


def test_gate_declarations():
    assert transition.count_columns(2) == [
        "turning_18_y1",
        "turning_18_y2",
        "cumulative_y1",
        "cumulative_y2",
    ]
    assert transition.sums(3) == {
        "cumulative_y1": ["turning_18_y1"],
        "cumulative_y2": ["cumulative_y1", "turning_18_y2"],
        "cumulative_y3": ["cumulative_y2", "turning_18_y3"],
    }


def test_long_form_rows():
    proj, _ = transition.transition(_ctx(), area_kind="障害保健福祉圏域", years=2)
    long = transition.long_form(proj)
    assert len(long) == 4
    n2 = long[(long["area_id"] == "N") & (long["year"] == 2)].iloc[0]
    assert (n2["turning_18"], n2["cumulative"], n2["places_confirmed"]) == (1, 3, 2)


@pytest.fixture
def tiny_workspace(tmp_path):
    path = tmp_path / "tiny.gpkg"
    layers = _layers()
    workspace.write_layers(path, layers, validate_schema=False)
    return path


def test_cli_gates_counts_for_a_planner(tiny_workspace, tmp_path, capsys):
    out = tmp_path / "tr.csv"
    chart = tmp_path / "tr.html"
    code = main(
        ["transition", "-w", str(tiny_workspace), "--out", str(out), "--years", "3",
         "--area-kind", "障害保健福祉圏域", "--chart", str(chart)]
    )  # fmt: skip
    assert code == 0
    got = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("area_id")
    # every child count here is 1-9 or 0: a planner never sees a 1-9 value
    for col in transition.count_columns(3):
        assert set(got[col]) <= {"0", "<10", "秘匿"}, col
    assert got.loc["N", "flag"] == "exceeds_confirmed"  # flags are never hidden
    assert got.loc["N", "places_confirmed"] == "2"
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
    printed = capsys.readouterr().out
    assert "北圏域" in printed and "possible" in printed


def test_cli_admin_sees_counts(tiny_workspace, tmp_path):
    out = tmp_path / "tr.csv"
    code = main(["transition", "-w", str(tiny_workspace), "--out", str(out), "--role", "admin",
                 "--area-kind", "障害保健福祉圏域"])  # fmt: skip
    assert code == 0
    got = pd.read_csv(out).set_index("area_id")
    assert got.loc["N", "cumulative_y5"] == 4
    assert got.loc["S", "turning_18_y5"] == 2


def test_cli_bad_input(tiny_workspace, tmp_path, capsys):
    out = str(tmp_path / "x.csv")
    assert main(["transition", "-w", str(tiny_workspace), "--out", out, "--years", "9"]) == 2
    assert "--years" in capsys.readouterr().err
    assert main(["transition", "-w", str(tiny_workspace), "--out", out, "--require", "spa"]) == 2
    assert "capabilities.csv" in capsys.readouterr().err
    assert main(["transition", "-w", str(tmp_path / "none.gpkg"), "--out", out]) == 2


def test_linked_publication_protects_both_area_kinds():
    # 二次医療圏 M = N + S: a planner must not get N's or S's counts by differencing M.
    import gate

    ctx = _ctx()
    pub = transition.publication(ctx, "planner", years=5)
    shown = {}
    for kind in ("障害保健福祉圏域", "二次医療圏"):
        proj, _ = transition.transition(ctx, area_kind=kind, years=5)
        table = proj.reset_index().assign(area_kind=kind)
        shown[kind] = gate.table(
            table, "planner", what="t", count_columns=transition.count_columns(5), linked=pub
        ).set_index("area_id")
    for col in transition.count_columns(5):
        m = shown["二次医療圏"].loc["M", col]
        n, s = shown["障害保健福祉圏域"].loc["N", col], shown["障害保健福祉圏域"].loc["S", col]
        assert pd.isna(m) or (pd.isna(n) and pd.isna(s)) or (not pd.isna(n) and not pd.isna(s))
        for v in (m, n, s):
            assert pd.isna(v) or v == 0 or v >= 10
    atoms = transition.atoms(ctx, years=5).set_index("municipality_code")
    assert atoms.loc["99001", "cumulative_y5"] == 2  # c1 (17), c3 (16); c5 is 12, c6 18
    assert atoms["cumulative_y5"].sum() == 7
