"""Road graph readers: real OSM/GraphML samples, drive filtering, one-way streets, maxspeed."""

from __future__ import annotations

import logging
import math

import networkx as nx
import pytest

from geo import roads, workspace

TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="35.0000" lon="139.0000"/>
  <node id="2" lat="35.0000" lon="139.0010"/>
  <node id="3" lat="35.0010" lon="139.0010"/>
  <node id="4" lat="35.0010" lon="139.0000"/>
  <node id="5" lat="35.0020" lon="139.0000"/>
  <node id="6" lat="35.0020" lon="139.0010"/>
  <way id="10"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="tertiary"/><tag k="maxspeed" v="signals"/></way>
  <way id="13"><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="footway"/></way>
  <way id="14"><nd ref="5"/><nd ref="6"/><nd ref="3"/>
    <tag k="building" v="yes"/></way>
  <way id="15"><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="service"/><tag k="service" v="parking_aisle"/></way>
  <way id="16"><nd ref="3"/><nd ref="6"/>
    <tag k="highway" v="residential"/><tag k="access" v="private"/></way>
</osm>
"""


@pytest.fixture(scope="module")
def tachikawa(shared_data):
    return roads.graph_from_file(
        shared_data / "osm_roads" / "tachikawa" / "tachikawa_drive.graphml"
    )


def test_tiny_osm_keeps_only_drivable_ways_and_respects_oneway(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    G = roads.graph_from_file(path, simplify=False)
    assert G.graph["ways_read"] == 7
    assert G.graph["ways_kept"] == 3
    assert set(G.nodes) == {1, 2, 3, 4}  # footway, building, parking aisle, private dropped
    # residential 1-2 both ways; primary 2->3 one way; tertiary 3-4-1 both ways (4 is a bend)
    assert G.has_edge(2, 3) and not G.has_edge(3, 2)
    assert G.has_edge(1, 2) and G.has_edge(2, 1)
    assert G.has_edge(3, 4) and G.has_edge(4, 3) and G.has_edge(4, 1) and G.has_edge(1, 4)
    assert G.number_of_edges() == 7
    e23 = G[2][3][0]
    assert e23["speed_kph"] == pytest.approx(30 * 1.609344)
    assert e23["speed_source"] == "maxspeed"
    assert e23["travel_time"] == pytest.approx(e23["length"] / (30 * 1.609344 / 3.6))
    tert = [d for _, _, d in G.edges(data=True) if d["highway"] == "tertiary"]
    assert tert and all(d["speed_kph"] == 30.0 for d in tert)  # "signals" -> highway table
    for _, _, d in G.edges(data=True):
        assert d["travel_time"] > 0


def test_drive_service_keeps_public_service_roads(tmp_path):
    path = tmp_path / "svc.osm"
    path.write_text(TINY_OSM.replace('v="parking_aisle"', 'v="yes"'), encoding="utf-8")
    assert 5 not in roads.graph_from_file(path, simplify=False).nodes
    assert 5 in roads.graph_from_file(path, network_type="drive_service", simplify=False).nodes


@pytest.mark.shared_data
def test_tachikawa_graphml_counts(tachikawa, caplog):
    G = tachikawa
    assert G.number_of_nodes() == 4106
    assert G.number_of_edges() == 10515
    assert nx.number_strongly_connected_components(G) == 1
    for _, _, d in G.edges(data=True):
        assert d["speed_kph"] > 0
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6))
    from_max = [d for *_, d in G.edges(data=True) if d["speed_source"] == "maxspeed"]
    assert len(from_max) == 1395
    assert {d["speed_kph"] for d in from_max} <= {20.0, 30.0, 40.0, 50.0, 60.0}


@pytest.mark.shared_data
def test_graph_logs_one_line_with_counts(shared_data, caplog):
    with caplog.at_level(logging.INFO, logger="geo.roads"):
        roads.graph_from_file(shared_data / "osm_roads" / "islands" / "uku_highway_drive.osm")
    lines = [r.getMessage() for r in caplog.records if r.name == "geo.roads"]
    assert lines == ["Created road graph with 435 nodes and 1,218 edges from uku_highway_drive.osm"]


@pytest.mark.shared_data
def test_pbf_gives_drivable_graph(shared_data):
    G = roads.graph_from_file(shared_data / "osm_roads" / "islands" / "uku.osm.pbf")
    assert G.graph["ways_read"] == 1228  # every way of the file (coastline, paths, buildings...)
    assert G.graph["ways_kept"] == 770  # the drivable ones, as in uku_highway_drive.osm
    assert (G.number_of_nodes(), G.number_of_edges()) == (435, 1218)
    highways = set()
    for *_, d in G.edges(data=True):
        hw = d["highway"]
        highways.update(hw if isinstance(hw, list) else [hw])
    assert highways <= roads.DRIVE_HIGHWAYS
    assert "path" not in highways


@pytest.mark.shared_data
def test_osm_xml_matches_pbf(shared_data):
    G = roads.graph_from_file(shared_data / "osm_roads" / "islands" / "uku_highway_drive.osm")
    assert G.graph["ways_read"] == 770
    assert G.graph["ways_kept"] == 770
    assert (G.number_of_nodes(), G.number_of_edges()) == (435, 1218)


@pytest.mark.shared_data
def test_workspace_roundtrip(tachikawa, tmp_path):
    nodes, edges = roads.layers_from_graph(tachikawa)
    assert workspace.validate("roads_nodes", nodes) == []
    assert workspace.validate("roads_edges", edges) == []
    assert edges.geometry.notna().all()
    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"roads_nodes": nodes, "roads_edges": edges})
    G2 = roads.graph_from_workspace(path)
    assert G2.number_of_nodes() == 4106
    assert G2.number_of_edges() == 10515
    a = sorted(
        (u, v, k, round(d["travel_time"], 9))
        for u, v, k, d in tachikawa.edges(keys=True, data=True)
    )
    b = sorted(
        (u, v, k, round(d["travel_time"], 9)) for u, v, k, d in G2.edges(keys=True, data=True)
    )
    assert a == b


def test_graph_from_layers_computes_missing_times():
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    nodes = gpd.GeoDataFrame(
        {"osmid": [1, 2], "x": [139.0, 139.001], "y": [35.0, 35.0]},
        geometry=[Point(139.0, 35.0), Point(139.001, 35.0)],
        crs="EPSG:4326",
    )
    edges = pd.DataFrame(
        {"u": [1], "v": [2], "key": [0], "length": [100.0], "highway": ["primary"]}
    )
    G = roads.graph_from_layers(nodes, edges)
    assert G[1][2][0]["travel_time"] == pytest.approx(100 / (40 / 3.6))
    bad = pd.DataFrame({"u": [1], "v": [9], "key": [0], "length": [1.0]})
    with pytest.raises(Exception, match="not an osmid"):
        roads.graph_from_layers(nodes, bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("40", 40.0),
        (40, 40.0),
        ("40 km/h", 40.0),
        ("30 mph", 30 * 1.609344),
        ("40;60", 50.0),
        ("40|60", 50.0),
        (["40", "60"], 50.0),
        ("['30', '50']", 40.0),
        (["signals", "40"], 40.0),
        ("signals", math.nan),
        ("none", math.nan),
        ("JP:urban", math.nan),
        ("walk", math.nan),
        (None, math.nan),
        ("0", math.nan),
    ],
)
def test_parse_maxspeed(value, expected):
    got = roads.parse_maxspeed(value)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


def test_highway_speed_lists_and_unknown():
    table = {"residential": 20.0, "unclassified": 30.0, "road": 20.0}
    assert roads.highway_speed(["unclassified", "residential"], table) == 25.0
    assert roads.highway_speed("busway", table) == 20.0
    G = nx.MultiDiGraph()
    G.add_edge(1, 2, highway="residential", length=100.0)
    roads.add_edge_speeds(G, speeds={"residential": 15})
    assert G[1][2][0]["speed_kph"] == 15.0


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        roads.graph_from_file(tmp_path / "nope.osm")
    p = tmp_path / "roads.shp"
    p.write_text("x")
    with pytest.raises(Exception, match="unknown type"):
        roads.graph_from_file(p)
