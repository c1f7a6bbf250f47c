"""The numeric network: arrays from graphs and layers, CSR adjacency, core, metric CRS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import network, roads
from geo.errors import IkemapError


def small():
    return network.network_from_arrays(
        node_ids=[10, 20, 30, 40],
        lon=[139.0, 139.001, 139.002, 139.003],
        lat=[35.0, 35.0, 35.0, 35.0],
        u=[0, 1, 1, 0, 2, 2],
        v=[1, 0, 2, 1, 1, 3],
        travel_time=[10.0, 10.0, 5.0, 7.0, 5.0, 1.0],
    )


def test_csr_keeps_smallest_parallel_edge_and_reverses():
    net = small()
    indptr, indices, w = net.forward
    assert indptr.tolist() == [0, 1, 3, 5, 5]
    assert indices.tolist() == [1, 0, 2, 1, 3]
    assert w.tolist() == [7.0, 10.0, 5.0, 5.0, 1.0]  # 0->1 twice: 10 and 7, keep 7
    rp, ri, rw = net.reverse
    assert rp.tolist() == [0, 1, 3, 4, 5]
    assert ri.tolist() == [1, 0, 2, 1, 2]
    assert rw.tolist() == [10.0, 7.0, 5.0, 5.0, 1.0]
    assert net.adjacency("to_home") is net.forward
    assert net.adjacency("to_facility") is net.reverse
    with pytest.raises(ValueError, match="direction"):
        net.adjacency("up")


def test_core_and_metric_crs():
    net = small()
    assert net.core.tolist() == [True, True, True, False]  # 3 has no way out
    assert net.crs.to_epsg() == 32654  # UTM 54N at 139 E
    assert net.x[1] - net.x[0] == pytest.approx(91.2, abs=0.5)  # 0.001 deg lon at 35 N
    assert net.length[0] == pytest.approx(91.2, abs=0.5)
    assert net.positions([30, 10]).tolist() == [2, 0]
    with pytest.raises(IkemapError, match="not nodes"):
        net.positions([99])


def test_bad_travel_time_raises():
    with pytest.raises(IkemapError, match="travel_time"):
        network.network_from_arrays(
            node_ids=[1, 2], lon=[139, 139.1], lat=[35, 35], u=[0], v=[1], travel_time=[np.nan]
        )


def test_subset_and_with_travel_time():
    net = small()
    sub = net.subset_edges(np.array([True, True, False, False, True, True]))
    assert sub.n_edges == 4 and sub.n_nodes == 4
    assert sub.core.tolist() == [True, True, False, False]
    slow = net.with_travel_time(net.travel_time * 2)
    assert slow.forward[2].tolist() == [14.0, 20.0, 10.0, 10.0, 2.0]


def test_network_from_layers_without_times_uses_speeds():
    import geopandas as gpd
    from shapely.geometry import Point

    nodes = gpd.GeoDataFrame(
        {"osmid": [5, 6], "x": [139.0, 139.01], "y": [35.0, 35.0]},
        geometry=[Point(139.0, 35.0), Point(139.01, 35.0)],
        crs="EPSG:4326",
    )
    edges = pd.DataFrame(
        {
            "u": [5, 6],
            "v": [6, 5],
            "length": [1000.0, 1000.0],
            "highway": ["primary", "x"],
            "maxspeed": [None, "60"],
        }
    )
    net = network.network_from_layers(nodes, edges)
    assert net.travel_time.tolist() == pytest.approx([90.0, 60.0])
    bad = edges.assign(v=[7, 5])
    with pytest.raises(IkemapError, match="not an osmid"):
        network.network_from_layers(nodes, bad)


@pytest.mark.shared_data
def test_tachikawa_network_from_graph_and_layers_agree(shared_data, tmp_path):
    G = roads.graph_from_file(shared_data / "osm_roads" / "tachikawa" / "tachikawa_drive.graphml")
    a = network.network_from_graph(G)
    nodes, edges = roads.layers_from_graph(G)
    b = network.network_from_layers(nodes, edges)
    assert (a.n_nodes, a.n_edges) == (4106, 10515)
    assert a.core.all()
    assert (a.node_ids == b.node_ids).all()
    np.testing.assert_allclose(a.travel_time, b.travel_time)
    assert a.edge_geometry is not None and len(a.edge_geometry) == 10515
    # edge shapes are metric: their length matches the OSM length within a few percent
    import shapely

    ratio = shapely.length(a.edge_geometry) / a.length
    assert np.median(ratio) == pytest.approx(1.0, abs=0.01)


def _scattered(seed=0, n=400, *, twin=True):
    rng = np.random.default_rng(seed)
    lon = 139.0 + rng.random(n) * 0.05
    lat = 35.0 + rng.random(n) * 0.05
    if twin:
        lon[7], lat[7] = lon[3], lat[3]  # two nodes at one place
    ring = np.arange(n)
    return network.network_from_arrays(
        node_ids=ring + 1,
        lon=lon,
        lat=lat,
        u=np.concatenate([ring, (ring + 1) % n]),
        v=np.concatenate([(ring + 1) % n, ring]),
        travel_time=np.ones(2 * n),
    )


def test_nearest_core_scan_gives_the_tree_answer():
    net = _scattered(twin=False)
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(net.x.min(), net.x.max(), 50), net.x[[5, 9]]])
    y = np.concatenate([rng.uniform(net.y.min(), net.y.max(), 50), net.y[[5, 9]]])
    scanned = [net.nearest_core(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]
    assert "kdtree" not in net.__dict__  # a few points: no tree built
    tree_d, tree_n = net._tree_nearest(x, y)
    assert np.array_equal(np.concatenate([d for d, _ in scanned]), tree_d)  # same floats
    assert np.array_equal(np.concatenate([n for _, n in scanned]), tree_n)
    assert np.concatenate([d for d, _ in scanned])[-2:].tolist() == [0.0, 0.0]


def test_nearest_core_tie_is_left_to_the_tree():
    net = _scattered()
    assert net._scan(net.x[[3]], net.y[[3]]) is None  # nodes 3 and 7 share a place
    d, node = net.nearest_core(net.x[[3]], net.y[[3]])
    assert d.tolist() == [0.0] and node[0] in (3, 7)
    assert node.tolist() == net._tree_nearest(net.x[[3]], net.y[[3]])[1].tolist()


def test_nearest_core_many_points_use_the_tree():
    net = _scattered()
    x, y = net.x[:20] + 1.0, net.y[:20]
    d, node = net.nearest_core(x, y)
    assert "kdtree" in net.__dict__
    assert node.tolist() == net._tree_nearest(x, y)[1].tolist()
