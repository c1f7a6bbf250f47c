"""A hand-made world for the analysis tests: a 3x3 road grid, 4 children, a flood square.

Node osmids and positions (5 minutes per edge, both directions)::

    7 (139.00, 35.02)   8 (139.01, 35.02)   9 (139.02, 35.02)
    4 (139.00, 35.01)   5 (139.01, 35.01)   6 (139.02, 35.01)
    1 (139.00, 35.00)   2 (139.01, 35.00)   3 (139.02, 35.00)

Every point sits exactly on a node, so access legs are 0 and minutes are 5 x edges.

Facilities (short_stay_medical unless said):
  F1 @1 accepts ventilator+suction, ages 0-18, capacity 2
  F2 @8 accepts unknown, capacity 4
  F3 @3 accepts tube_feeding, capacity 1
  V1 @5 visiting_nurse accepts ventilator+suction+tube_feeding, capacity 3
Children:
  c1 @2 age 3 ventilator        -> F1 5 min confirmed, F2 10 possible
  c2 @6 age 10 tube_feeding     -> F3 5 confirmed, F2 10 possible
  c3 @7 age 20 suction          -> F2 5 possible (F1 is 0-18)
  c4 @9 age 5 no listed care    -> F2 5, F3 10, F1 20, all confirmed
Areas (kind 圏域): W = column 0 (municipality 99001), E = columns 1-2 (99002).
Hazard: flood level 3 (depth 4.0 m) over the square around nodes 5 and 6.
Shelters: S1 @4 designated, flood, no power; S2 @3 welfare, flood, power;
          S3 @6 designated, flood, power, inside the flood square.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

LON0, LAT0, STEP = 139.0, 35.0, 0.01
EDGE_S = 300.0


def node_xy(osmid):
    i = osmid - 1
    return LON0 + STEP * (i % 3), LAT0 + STEP * (i // 3)


def roads():
    ids = list(range(1, 10))
    nodes = gpd.GeoDataFrame(
        {
            "osmid": ids,
            "x": [node_xy(i)[0] for i in ids],
            "y": [node_xy(i)[1] for i in ids],
        },
        geometry=[Point(node_xy(i)) for i in ids],
        crs="EPSG:4326",
    )
    pairs = []
    for i in ids:
        c, r = (i - 1) % 3, (i - 1) // 3
        if c < 2:
            pairs.append((i, i + 1))
        if r < 2:
            pairs.append((i, i + 3))
    rows = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    edges = gpd.GeoDataFrame(
        {
            "u": [a for a, _ in rows],
            "v": [b for _, b in rows],
            "key": 0,
            "length": 900.0,
            "speed_kph": 10.8,
            "travel_time": EDGE_S,
            "highway": "residential",
        },
        geometry=[LineString([node_xy(a), node_xy(b)]) for a, b in rows],
        crs="EPSG:4326",
    )
    return nodes, edges


def _pts(nodes_):
    return [Point(node_xy(n)) for n in nodes_]


def world():
    nodes, edges = roads()
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2", "F3", "V1"],
            "name": ["病院1", "施設2", "施設3", "訪看1"],
            "service": ["short_stay_medical"] * 3 + ["visiting_nurse"],
            "capacity": pd.array([2, 4, 1, 3], dtype="Int64"),
            "accepts": [
                ["ventilator", "suction"],
                None,
                ["tube_feeding"],
                ["ventilator", "suction", "tube_feeding"],
            ],
            "age_min": pd.array([0, None, None, None], dtype="Int64"),
            "age_max": pd.array([18, None, None, None], dtype="Int64"),
            "has_power": pd.array([True, False, False, None], dtype="boolean"),
            "municipality_code": ["99001", "99002", "99002", "99002"],
            "source": "test",
            "source_date": "2024-04-01",
        },
        geometry=_pts([1, 8, 3, 5]),
        crs="EPSG:4326",
    )
    children = gpd.GeoDataFrame(
        {
            "child_id": ["c1", "c2", "c3", "c4"],
            "age": pd.array([3, 10, 20, 5], dtype="Int64"),
            "care": [["ventilator"], ["tube_feeding"], ["suction"], []],
            "mobility": ["bedridden", "wheelchair", "walk", "walk"],
            "municipality_code": ["99002", "99002", "99001", "99002"],
            "has_evac_plan": pd.array([False, True, None, False], dtype="boolean"),
            "last_verified": [None, "2024-04-01", None, None],
        },
        geometry=_pts([2, 6, 7, 9]),
        crs="EPSG:4326",
    )
    shelters = gpd.GeoDataFrame(
        {
            "shelter_id": ["S1", "S2", "S3"],
            "name": ["小学校", "特別支援学校", "公民館"],
            "kind": ["designated_shelter", "welfare_shelter", "designated_shelter"],
            "hazards_ok": [["flood"], ["flood"], ["flood"]],
            "has_power": pd.array([False, True, True], dtype="boolean"),
            "accepts_medical": pd.array([False, True, False], dtype="boolean"),
            "capacity": pd.array([100, 20, 50], dtype="Int64"),
        },
        geometry=_pts([4, 3, 6]),
        crs="EPSG:4326",
    )
    hazards = gpd.GeoDataFrame(
        {
            "hazard_id": ["H1"],
            "hazard_type": ["flood"],
            "level": pd.array([3], dtype="Int64"),
            "label": ["3.0-5.0m"],
            "depth_m": [4.0],
            "source": ["test"],
        },
        geometry=[box(139.005, 35.005, 139.025, 35.015)],
        crs="EPSG:4326",
    )
    west = box(138.995, 34.995, 139.005, 35.025)
    east = box(139.005, 34.995, 139.025, 35.025)
    municipalities = gpd.GeoDataFrame(
        {"code": ["99001", "99002"], "name": ["西町", "東市"], "pref": ["テスト県"] * 2},
        geometry=[west, east],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["W", "E"], "name": ["西圏域", "東圏域"], "kind": ["圏域", "圏域"]},
        geometry=[west, east],
        crs="EPSG:4326",
    )
    area_members = pd.DataFrame(
        {"area_id": ["W", "E"], "kind": ["圏域", "圏域"], "municipality_code": ["99001", "99002"]}
    )
    return {
        "roads_nodes": nodes,
        "roads_edges": edges,
        "facilities": facilities,
        "children": children,
        "shelters": shelters,
        "hazards": hazards,
        "municipalities": municipalities,
        "areas": areas,
        "area_members": area_members,
    }
