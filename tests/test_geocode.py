"""Offline address search (geo.geocode) on hand-made 町丁目 points and on the demo's own points."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo import geocode, workspace
from geo.errors import WorkspaceError


@pytest.fixture
def points():
    rows = [
        ("東京都", "立川市", "曙町一丁目", 35.701, 139.411),
        ("東京都", "立川市", "曙町二丁目", 35.702, 139.412),
        ("東京都", "立川市", "曙町十二丁目", 35.712, 139.422),
        ("東京都", "立川市", "錦町一丁目", 35.690, 139.400),
        ("東京都", "立川市", "センター町", 35.695, 139.405),
        ("東京都", "西多摩郡瑞穂町", "大字箱根ケ崎", 35.771, 139.354),
        ("熊本県", "熊本市中央区", "水前寺一丁目", 32.79, 130.73),
        ("熊本県", "熊本市北区", "植木町", 32.89, 130.69),
    ]
    return gpd.GeoDataFrame(
        {
            "pref": [r[0] for r in rows],
            "city": [r[1] for r in rows],
            "town": [r[2] for r in rows],
            "municipality_code": ["13202"] * 5 + ["13303", "43101", "43102"],
        },
        geometry=[Point(r[4], r[3]) for r in rows],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    "address",
    [
        "東京都立川市曙町二丁目5-3",
        "東京都立川市曙町２丁目５番３号",
        "立川市曙町2-5-3",
        "東京都 立川市 曙町２－５－３",
        "立川市曙町2",
    ],
)
def test_written_forms_of_one_chome_find_the_same_point(points, address):
    hit = geocode.geocode(address, points=points)
    assert (hit.status, hit.level, hit.town) == ("found", "town", "曙町二丁目")
    assert (hit.lat, hit.lon) == (35.702, 139.412)


def test_chome_number_must_end_where_the_key_ends(points):
    assert geocode.geocode("立川市曙町12-1", points=points).town == "曙町十二丁目"
    assert geocode.geocode("立川市曙町1-12", points=points).town == "曙町一丁目"


def test_a_town_typed_in_part_gives_candidates(points):
    hit = geocode.geocode("立川市曙町", points=points)
    assert hit.status == "ambiguous" and hit.lat is None
    assert set(hit.candidates["town"]) == {"曙町一丁目", "曙町二丁目", "曙町十二丁目"}
    assert set(hit.candidates["label"]) >= {"東京都立川市曙町一丁目"}


def test_long_vowel_mark_is_not_a_dash(points):
    assert geocode.geocode("立川市センター町", points=points).town == "センター町"


def test_municipality_in_part_county_and_ward_aliases(points):
    assert geocode.geocode("立川", points=points).level == "municipality"
    assert geocode.geocode("立川", points=points).label == "東京都立川市"
    assert geocode.geocode("瑞穂町箱根ケ崎", points=points).town == "大字箱根ケ崎"
    assert geocode.geocode("中央区水前寺1-1", points=points).town == "水前寺一丁目"
    hit = geocode.geocode("熊本市", points=points)
    assert hit.status == "ambiguous"
    assert sorted(hit.candidates["city"]) == ["熊本市中央区", "熊本市北区"]
    assert set(hit.candidates["level"]) == {"municipality"}


def test_unknown_town_falls_back_to_the_municipality_with_a_note(points):
    hit = geocode.geocode("立川市どこか町1-1", points=points)
    assert (hit.status, hit.level) == ("found", "municipality")
    assert "どこか町1-1" in hit.note_ja and hit.lat is not None


@pytest.mark.parametrize(
    ("address", "words"),
    [("大阪府大阪市北区", "大阪府"), ("どこにもない市", "市区町村名"), ("   ", "住所を入力")],
)
def test_not_found_says_why_in_japanese(points, address, words):
    hit = geocode.geocode(address, points=points)
    assert hit.status == "not_found" and hit.lat is None
    assert words in hit.reason_ja and hit.reason


def test_workspace_without_points_raises_with_the_fix(tmp_path):
    ws = tmp_path / "w.gpkg"
    workspace.write(
        ws,
        "municipalities",
        gpd.GeoDataFrame(
            {"code": ["13202"], "name": ["立川市"], "pref": ["東京都"]},
            geometry=[Point(139.4, 35.7).buffer(0.01)],
            crs="EPSG:4326",
        ),
    )
    with pytest.raises(WorkspaceError, match="address_points"):
        geocode.geocode("立川市", workspace=ws)


def test_demo_addresses_resolve_out_of_the_box(demo_path):
    ws = demo_path
    pts = workspace.read(ws, "address_points")
    munis = workspace.read(ws, "municipalities")
    assert set(pts["municipality_code"]) == set(munis["code"])
    # every point lies inside its own municipality
    joined = gpd.sjoin(pts, munis[["code", "geometry"]], predicate="within")
    assert (joined["municipality_code"] == joined["code"]).all() and len(joined) == len(pts)
    hit = geocode.geocode("デモ市", workspace=ws)
    assert hit.status == "ambiguous" and len(hit.candidates) == 5
    hit = geocode.geocode("デモ県デモ市中央区1-1", workspace=ws)
    assert (hit.status, hit.level) == ("found", "municipality")
    assert hit.candidates["municipality_code"].iloc[0] == "99101"
    hit = geocode.geocode("デモ県デモ市中央区中央2-3-4", workspace=ws)
    assert (hit.status, hit.town) == ("found", "中央二丁目")
    hit = geocode.geocode("おくやま村", workspace=ws)
    assert hit.candidates["municipality_code"].iloc[0] == "99401"


def test_cli_nearby_address_ambiguous_or_unknown_exits_with_the_reason(demo_path, capsys):
    from ikemap import cli

    rc = cli.main(["nearby", "-w", str(demo_path), "--address", "デモ市"])
    err = capsys.readouterr().err
    assert rc != 0 and "ambiguous" in err and "デモ県デモ市北区" in err
    rc = cli.main(["nearby", "-w", str(demo_path), "--address", "大阪府大阪市北区"])
    err = capsys.readouterr().err
    assert rc != 0 and "not found" in err and "大阪府" in err
