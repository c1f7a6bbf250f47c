"""Snapping: nearest core node, access leg, far flag, index kept, CRS checked."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geo import network, settings, snap
from geo.errors import CRSError


@pytest.fixture(scope="module")
def net():
    # 0 <-> 1 two-way; 2 only reachable (1 -> 2): not in the strongly connected core
    return network.network_from_arrays(
        node_ids=[7, 8, 9],
        lon=[139.0, 139.01, 139.02],
        lat=[35.0, 35.0, 35.0],
        u=[0, 1, 1],
        v=[1, 0, 2],
        travel_time=[60.0, 60.0, 60.0],
    )


def test_snap_nearest_core_node_with_access_leg(net):
    pts = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[Point(139.0001, 35.0), Point(139.0199, 35.0), Point(139.01, 35.01)],
        index=["k3", "k1", "k2"],
        crs="EPSG:4326",
    )
    s = snap.snap(net, pts, max_m=500, access_speed_kph=18)
    assert list(s.index) == ["k3", "k1", "k2"]
    assert list(s.columns) == ["node", "node_id", "snap_m", "access_s", "far"]
    assert s["node"].tolist() == [0, 1, 1]  # node 2 is outside the core: never snapped to
    assert s["node_id"].tolist() == [7, 8, 8]
    assert s.loc["k3", "snap_m"] == pytest.approx(9.1, abs=0.2)
    assert s.loc["k1", "snap_m"] == pytest.approx(903, abs=5)
    np.testing.assert_allclose(s["access_s"], s["snap_m"] / 5.0)  # 18 km/h = 5 m/s
    assert s["far"].tolist() == [False, True, True]  # flagged, not dropped


def test_snap_uses_settings(net, monkeypatch):
    pts = gpd.GeoSeries([Point(139.0, 35.001)], crs="EPSG:4326")
    monkeypatch.setattr(settings, "snap_max_m", 50.0)
    monkeypatch.setattr(settings, "access_speed_kph", 36.0)
    s = snap.snap(net, pts)
    assert bool(s["far"].iloc[0])
    assert s["access_s"].iloc[0] == pytest.approx(s["snap_m"].iloc[0] / 10)


def test_snap_crs_errors(net):
    pts = gpd.GeoDataFrame(geometry=[Point(139.0, 35.0)], crs="EPSG:4326")
    with pytest.raises(CRSError, match="to_crs"):
        snap.snap(net, pts.to_crs(3857))
    with pytest.raises(CRSError, match="no CRS"):
        snap.snap(net, gpd.GeoDataFrame(geometry=[Point(139.0, 35.0)]))


def test_snap_empty_keeps_columns(net):
    pts = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    s = snap.snap(net, pts)
    assert len(s) == 0 and list(s.columns) == ["node", "node_id", "snap_m", "access_s", "far"]
