"""Hazard scenarios on a hand-made grid with one hazard square; isochrones hold what is reached."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geo import isochrone, network, scenario, travel
from geo.errors import CRSError


def grid():
    """3 x 3 grid, 0.001 deg apart, every street two-way, 10 s per block. Position = 3*row + col."""
    lon, lat, u, v = [], [], [], []
    for r in range(3):
        for c in range(3):
            lon.append(139.0 + 0.001 * c)
            lat.append(35.0 + 0.001 * r)
    for r in range(3):
        for c in range(3):
            p = 3 * r + c
            if c < 2:
                u += [p, p + 1]
                v += [p + 1, p]
            if r < 2:
                u += [p, p + 3]
                v += [p + 3, p]
    return network.network_from_arrays(
        node_ids=np.arange(9) + 100, lon=lon, lat=lat, u=u, v=v, travel_time=[10.0] * len(u)
    )


@pytest.fixture(scope="module")
def net():
    return grid()


@pytest.fixture(scope="module")
def hazards():
    # a small square on the middle of the street between node 3 (row 1, col 0) and node 4 (centre)
    return gpd.GeoDataFrame(
        {"hazard_id": ["h1"], "hazard_type": ["flood"], "level": [3]},
        geometry=[box(139.0004, 35.0009, 139.0006, 35.0011)],
        crs="EPSG:4326",
    )


def test_closed_edges_are_the_crossing_street(net, hazards):
    closed = scenario.closed_edges(net, hazards, min_level=3)
    pairs = sorted(zip(net.u[closed].tolist(), net.v[closed].tolist()))
    assert pairs == [(3, 4), (4, 3)]
    assert not scenario.closed_edges(net, hazards, min_level=4).any()
    assert not scenario.closed_edges(net, hazards, min_level=1, hazard_types=["landslide"]).any()
    assert scenario.closed_edges(net, hazards.to_crs(3857), min_level=1).sum() == 2


def test_scenario_removes_and_detours(net, hazards):
    before = travel.from_node(net, 3, direction="to_facility")[4]
    flooded = scenario.scenario(net, hazards, min_level=3)
    assert flooded.n_edges == net.n_edges - 2
    assert flooded.n_nodes == net.n_nodes
    after = travel.from_node(flooded, 3, direction="to_facility")[4]
    assert (before, after) == (10.0, 30.0)  # around the block: 3 -> 0 -> 1 -> 4
    t, s = travel.nearest(flooded, [4], direction="to_facility")
    assert t[3] == 30.0 and s[3] == 0


def test_scenario_slows(net, hazards):
    slow = scenario.scenario(net, hazards, min_level=3, slow_factor=2.5)
    assert slow.n_edges == net.n_edges
    assert travel.from_node(slow, 3, direction="to_home")[4] == 25.0
    with pytest.raises(ValueError, match="slow_factor"):
        scenario.scenario(net, hazards, min_level=3, slow_factor=0)


def test_scenario_needs_crs(net, hazards):
    bare = gpd.GeoDataFrame(hazards.drop(columns="geometry"), geometry=list(hazards.geometry))
    assert bare.crs is None
    with pytest.raises(CRSError):
        scenario.closed_edges(net, bare, min_level=1)


def test_isochrone_contains_reachable_nodes(net):
    pts = [Point(x, y) for x, y in zip(net.lon, net.lat)]
    small = isochrone.isochrone(net, 4, minutes=10 / 60, direction="to_facility", buffer_m=30)
    inside = [small.contains(p) for p in pts]
    assert inside == [False, True, False, True, True, True, False, True, False]
    big = isochrone.isochrone(net, 4, minutes=20 / 60, direction="to_facility", buffer_m=30)
    assert all(big.contains(p) for p in pts)
    assert big.area > small.area
    assert big.geom_type == "Polygon"
