"""Importers on the real public files in ../shared/data, one test per trap of its README."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from geo import workspace
from geo.importers import (
    addresses,
    areas,
    boundaries,
    facilities,
    hazards,
    reading,
    roads,
    shelters,
)

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def tokyo(shared_data):
    munis, rep = boundaries.municipalities_from_file(
        shared_data / "admin_boundaries" / "N03-21_13_210101.geojson"
    )
    return munis, rep


def test_n03_tokyo_drops_the_row_without_code(tokyo):
    munis, rep = tokyo
    rep.check_balance()
    assert (rep.rows_read, rep.rows_accepted, rep.rows_rejected) == (63, 62, 1)
    rej = rep.rejections[0]
    assert rej.field == "N03_007" and rej.value is None and "所属未定地" in rej.reason
    assert munis["code"].is_unique and len(munis) == 62
    assert munis.set_index("code").loc["13202", "name"] == "立川市"
    assert munis.set_index("code").loc["13308", "county"] == "西多摩郡"
    workspace.check("municipalities", munis)


def test_n03_nagasaki_and_cp932_shapefile_without_cpg(shared_data, tmp_path):
    src = gpd.read_file(shared_data / "admin_boundaries" / "N03-21_42_210101.geojson")
    shp = tmp_path / "N03_42.shp"
    src.to_file(shp, encoding="cp932")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    munis, rep = boundaries.municipalities_from_file(shp)
    assert rep.encoding == "cp932" and rep.ok
    assert len(munis) == 21 and munis.set_index("code").loc["42202", "name"] == "佐世保市"


def test_gsi_group_codes_reconcile_with_their_check_digit(shared_data, tokyo):
    munis, _ = tokyo
    sh = gpd.read_file(
        shared_data / "facilities" / "evacuation_sites" / "gsi_shitei_hinanjo_13.geojson"
    )
    codes6 = sh["団体コード"].unique()
    assert len(codes6) > 50
    for c in codes6:
        code, problem, _ = areas.reconcile_code(c)
        assert problem is None and code == c[:5] and code in set(munis["code"])


def test_wam_cp932_trap_and_group_homes_not_a_service(shared_data, tokyo):
    munis, _ = tokyo
    path = shared_data / "facilities" / "group_homes" / "wam_kyodo_seikatsu_enjo_13_cp932.csv"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    fac, rep = facilities.facilities_from_file(path, municipalities=munis)
    assert rep.fmt == "wam" and rep.encoding == "cp932"
    rep.check_balance()
    assert rep.rows_read == 619 and rep.rows_accepted == 0
    assert {r.value for r in rep.rejections} == {"共同生活援助"}


def test_wam_layout_with_a_children_service(shared_data, tokyo, tmp_path):
    """The same 29-column CP932 file with its サービス種別 set to 放課後等デイサービス."""
    munis, _ = tokyo
    path = shared_data / "facilities" / "group_homes" / "wam_kyodo_seikatsu_enjo_13_cp932.csv"
    text = path.read_bytes().decode("cp932").replace('"共同生活援助"', '"放課後等デイサービス"')
    copy = tmp_path / "wam_houkago.csv"
    copy.write_bytes(text.encode("cp932"))
    fac, rep = facilities.facilities_from_file(copy, municipalities=munis)
    rep.check_balance()
    assert rep.rows_read == 619
    assert rep.rows_accepted + rep.rows_rejected == 619 and rep.rows_accepted >= 610
    assert set(fac["service"]) == {"after_school_day"}
    assert fac["accepts"].isna().all()  # no capability given: unknown
    assert fac["facility_id"].is_unique
    workspace.check("facilities", fac.drop(columns="row"))


@pytest.fixture(scope="module")
def nursing(shared_data, tokyo):
    munis, _ = tokyo
    path = shared_data / "facilities" / "home_nursing" / "houmon_kango_13.csv"
    return facilities.facilities_from_file(path, municipalities=munis)


def test_home_nursing_rows_geocoded_to_ireland_are_rejected(nursing):
    fac, rep = nursing
    rep.check_balance()
    assert rep.fmt == "kaigo" and rep.rows_read == 1642
    ireland = [r for r in rep.rejections if r.value == "53.41291,-8.24389"]
    assert sorted(r.row for r in ireland) == [266, 1294]
    assert all("outside Japan" in r.reason for r in ireland)
    assert rep.rows_rejected == 5  # + 中野区 point in Chiba, 町田市 and 港区 points >250 m out
    assert set(fac["service"]) == {"visiting_nurse"}
    assert fac["municipality_code"].notna().all()


def test_home_nursing_nagasaki_point_in_fukuoka(shared_data):
    munis, _ = boundaries.municipalities_from_file(
        shared_data / "admin_boundaries" / "N03-21_42_210101.geojson"
    )
    path = shared_data / "facilities" / "home_nursing" / "houmon_kango_42.csv"
    fac, rep = facilities.facilities_from_file(path, municipalities=munis)
    rep.check_balance()
    bad = [r for r in rep.rejections if r.value == "33.53567,130.46403"]
    assert len(bad) == 1 and "長崎市" in bad[0].reason


def test_gsi_shelters_welfare_hazards_and_linking(shared_data, tokyo):
    munis, _ = tokyo
    d = shared_data / "facilities" / "evacuation_sites"
    a, ra = shelters.shelters_from_file(d / "gsi_shitei_hinanjo_13.geojson", municipalities=munis)
    b, rb = shelters.shelters_from_file(
        d / "gsi_shitei_kinkyu_hinanbasho_13.geojson", municipalities=munis
    )
    for rep, n in ((ra, 3185), (rb, 2252)):
        rep.check_balance()
        assert rep.rows_read == n
    assert (a["kind"] == "welfare_shelter").sum() == 551  # 受入対象者 filled
    flood = b["hazards_ok"].map(lambda h: "flood" in h).sum()
    assert flood == 1333 and b["hazards_ok"].map(lambda h: "tsunami" in h).sum() == 122
    out = shelters.combine([a, b], [ra, rb])
    assert out["hazards_from"].notna().sum() == 1565
    workspace.check("shelters", out)


def test_unclosed_rings_in_tokyo_landslide_are_repaired(shared_data):
    path = shared_data / "hazards" / "tokyo_landslide" / "tokyo_jisuberi.geojson"
    with pytest.raises(shapely.errors.GEOSException):
        gpd.read_file(path)  # the trap: a plain read fails
    hz, rep = hazards.hazards_from_file(path)
    rep.check_balance()
    assert rep.fmt == "tokyo" and rep.rows_accepted == 65
    assert rep.rows_repaired == 7
    assert sorted(r.row for r in rep.repairs) == [43, 45, 46, 54, 55, 56, 57]
    assert hz.geometry.is_valid.all() and set(hz["level"]) == {1}


def test_tokyo_special_warning_zones(shared_data):
    path = shared_data / "hazards" / "tokyo_landslide" / "tokyo_dosekiryu_tokubetsu.geojson"
    hz, rep = hazards.hazards_from_file(path)
    rep.check_balance()
    assert rep.ok and len(hz) == 1688 and set(hz["level"]) == {2}
    workspace.check("hazards", hz)


def test_graph_from_xml_keeps_every_way_but_the_importer_keeps_roads(shared_data, tmp_path):
    osmium = pytest.importorskip("osmium")
    import osmnx as ox

    raw = tmp_path / "uku_raw.osm"
    with osmium.SimpleWriter(str(raw)) as writer:
        for obj in osmium.FileProcessor(str(shared_data / "osm_roads" / "islands" / "uku.osm.pbf")):
            writer.add(obj)
    polluted = ox.graph_from_xml(raw, retain_all=True)
    layers, rep = roads.roads_from_file(raw)
    rep.check_balance()
    edges = layers["roads_edges"]
    assert len(edges) < polluted.number_of_edges()
    polluted_types = {
        str(d.get("highway")) for _, _, d in polluted.edges(data=True) if d.get("highway") is None
    }
    assert polluted_types == {"None"}  # coastlines and buildings became "roads"
    assert edges["highway"].notna().all()
    assert "drivable ways kept" in rep.warnings[0]


def test_tachikawa_graphml_clipped_to_its_city_and_to_nagasaki(shared_data, tokyo, monkeypatch):
    path = shared_data / "osm_roads" / "tachikawa" / "tachikawa_drive.graphml"
    munis, _ = tokyo
    tachikawa = munis[munis["code"] == "13202"]
    layers, rep = roads.roads_from_file(path, clip=tachikawa)
    assert rep.ok and rep.rows_accepted == 10515  # within the 500 m clip buffer
    monkeypatch.setattr(roads, "clip_buffer_m", 0.0)
    layers, rep = roads.roads_from_file(path, clip=tachikawa)
    rep.check_balance()
    assert rep.rows_read == 10515 and 0 < rep.rows_rejected < 10515
    assert all(r.reason.endswith("(clipped)") for r in rep.rejections)
    G = nx.MultiDiGraph()
    G.add_edges_from(zip(layers["roads_edges"]["u"], layers["roads_edges"]["v"], strict=True))
    assert set(G.nodes) <= set(layers["roads_nodes"]["osmid"])
    nagasaki, _ = boundaries.municipalities_from_file(
        path.parents[2] / "admin_boundaries" / "N03-21_42_210101.geojson"
    )
    _, rep = roads.roads_from_file(path, clip=nagasaki)
    assert rep.failed and "no road lies inside" in rep.errors[0]


def test_address_points_resolve_tachikawa_towns(shared_data):
    pts, rep = addresses.points_from_file(
        shared_data / "address_points" / "geolonia_machi_chome_13.csv"
    )
    rep.check_balance()
    assert rep.rows_read == 5405 and rep.rows_rejected == 12  # points without lat/lng
    lookup = addresses.load(pts)
    tach = pts[pts["city"] == "立川市"]
    for town, lat, lon in zip(tach["town"], tach["lat"], tach["lon"], strict=True):
        hit = addresses.geocode_one(f"東京都立川市{town}1-2", lookup)
        assert (hit["lat"], hit["lon"]) == (lat, lon), town
    hit = addresses.geocode_one("八王子市本町２８－４", lookup)  # full-width digits (八王子 CSV)
    assert hit["town"] == "本町"


def test_reading_keeps_row_numbers_of_the_file(shared_data):
    from geo.importers.report import ImportReport

    rep = ImportReport(file="x", kind="facilities")
    path = shared_data / "facilities" / "home_nursing" / "houmon_kango_13.csv"
    table = reading.read_table(path, rep)
    assert table.loc[264, "lat"] == "53.41291"  # spreadsheet row 266 = index 264


_HIGHWAYS = """
import sys
from geo.importers import roads
from geo.importers.report import ImportReport
layers, rep = roads.roads_from_file(sys.argv[1])
edges = layers["roads_edges"]
print(sorted(set(edges["highway"].dropna())))
print(edges[["u", "v", "key", "highway"]].to_csv(index=False))
"""


def test_merged_ways_give_the_same_highway_text_whatever_the_hash_seed(shared_data):
    """The same OSM file gives the same roads layer under two PYTHONHASHSEEDs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    osm = shared_data / "osm_roads" / "islands" / "uku_highway_drive.osm"
    root = Path(__file__).resolve().parent.parent
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [sys.executable, "-c", _HIGHWAYS, str(osm)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert ";" in outs[0]  # the file has merged ways of several highway values
