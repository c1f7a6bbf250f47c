"""Travel engine on a graph worked out by hand, and on the real 立川市 graph against networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from geo import network, roads, travel

INF = math.inf

# Six nodes. 0-1 two-way 10 s; 1->2 one-way 5 s; 2-3 two-way 10 s; 3-0 two-way 30 s;
# 3-4 two-way 7 s; 5->0 one-way 4 s (node 5 can leave but never be reached).
EDGES = [
    (0, 1, 10.0),
    (1, 0, 10.0),
    (1, 2, 5.0),
    (2, 3, 10.0),
    (3, 2, 10.0),
    (3, 0, 30.0),
    (0, 3, 30.0),
    (3, 4, 7.0),
    (4, 3, 7.0),
    (5, 0, 4.0),
]


@pytest.fixture(scope="module")
def net():
    u, v, t = zip(*EDGES)
    return network.network_from_arrays(
        node_ids=[100, 101, 102, 103, 104, 105],
        lon=[139.000, 139.001, 139.002, 139.002, 139.003, 138.999],
        lat=[35.000, 35.000, 35.000, 35.001, 35.001, 35.000],
        u=u,
        v=v,
        travel_time=t,
    )


def test_core_is_largest_strongly_connected_part(net):
    assert net.core.tolist() == [True, True, True, True, True, False]


def test_nearest_forward_from_facility(net):
    # to_home: facility -> home on the forward graph. From node 0: 0->1 10, 0->1->2 15,
    # 0->1->2->3 25 (beats 0->3 30), ->4 32; node 5 cannot be reached.
    t, s = travel.nearest(net, [0], direction="to_home")
    assert t.tolist() == [0.0, 10.0, 15.0, 25.0, 32.0, INF]
    assert s.tolist() == [0, 0, 0, 0, 0, -1]


def test_nearest_reversed_to_facility(net):
    # to_facility: home -> facility. From 2 the one-way 1->2 cannot be driven back: 2->3->0 = 40.
    t, s = travel.nearest(net, [0], direction="to_facility")
    assert t.tolist() == [0.0, 10.0, 40.0, 30.0, 37.0, 4.0]
    assert s.tolist() == [0, 0, 0, 0, 0, 0]


def test_nearest_with_offsets_picks_by_total_time(net):
    # A at 0 (offset 20), B at 4 (offset 0). to_home: node 1 from A 30, from B 4->3->0->1 = 47.
    t, s = travel.nearest(net, [0, 4], direction="to_home", offsets_s=[20.0, 0.0])
    assert t.tolist() == [20.0, 30.0, 17.0, 7.0, 0.0, INF]
    assert s.tolist() == [0, 0, 1, 1, 1, -1]


def test_nearest_limit_makes_far_nodes_unreachable(net):
    t, s = travel.nearest(net, [0], direction="to_home", limit_s=15)
    assert t.tolist() == [0.0, 10.0, 15.0, INF, INF, INF]
    assert s.tolist() == [0, 0, 0, -1, -1, -1]


def test_nearest_early_stop_keeps_targets_exact(net):
    t, _ = travel.nearest(net, [0], direction="to_home", targets=[1])
    assert t[1] == 10.0
    assert t[0] == 0.0


# facilities A (node 0), B (node 4), C (node 4, access leg 3 s)
SOURCES = [0, 4, 4]
OFFSETS = [0.0, 0.0, 3.0]


def test_k_nearest_distinct_sources_in_order(net):
    # forward times: A [0,10,15,25,32,inf]; B [37,47,17,7,0,inf]; C = B + 3
    t, s = travel.k_nearest(net, SOURCES, k=2, direction="to_home", offsets_s=OFFSETS)
    assert t.tolist() == [
        [0.0, 37.0],
        [10.0, 47.0],
        [15.0, 17.0],
        [7.0, 10.0],
        [0.0, 3.0],
        [INF, INF],
    ]
    assert s.tolist() == [[0, 1], [0, 1], [0, 1], [1, 2], [1, 2], [-1, -1]]


def test_k_nearest_pads_when_fewer_sources(net):
    t, s = travel.k_nearest(
        net, SOURCES, k=4, direction="to_home", offsets_s=OFFSETS, targets=[3, 3, 5]
    )
    assert t.tolist() == [[7.0, 10.0, 25.0, INF], [7.0, 10.0, 25.0, INF], [INF] * 4]
    assert s.tolist() == [[1, 2, 0, -1], [1, 2, 0, -1], [-1] * 4]


def test_k_nearest_directions_differ(net):
    fwd, _ = travel.k_nearest(net, [0], k=1, direction="to_home", targets=[2, 5])
    rev, _ = travel.k_nearest(net, [0], k=1, direction="to_facility", targets=[2, 5])
    assert fwd[:, 0].tolist() == [15.0, INF]
    assert rev[:, 0].tolist() == [40.0, 4.0]


def test_k_nearest_limit(net):
    t, s = travel.k_nearest(
        net, SOURCES, k=3, direction="to_home", offsets_s=OFFSETS, targets=[0], limit_s=38
    )
    assert t.tolist() == [[0.0, 37.0, INF]]
    assert s.tolist() == [[0, 1, -1]]


def test_k_nearest_equals_brute_force_on_random_graph():
    rng = np.random.default_rng(7)
    n = 60
    u = rng.integers(0, n, 240)
    v = rng.integers(0, n, 240)
    w = rng.uniform(1, 100, 240).round(1)
    net = network.network_from_arrays(
        node_ids=np.arange(n),
        lon=139 + rng.random(n) / 100,
        lat=35 + rng.random(n) / 100,
        u=u,
        v=v,
        travel_time=w,
    )
    sources = rng.integers(0, n, 9)
    offsets = rng.uniform(0, 30, 9)
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
    full = np.full((9, n), np.inf)
    for i, s in enumerate(sources):
        for node, d in nx.single_source_dijkstra_path_length(G, int(s)).items():
            full[i, node] = d + offsets[i]
    t, s = travel.k_nearest(net, sources, k=3, direction="to_home", offsets_s=offsets)
    expect = np.sort(full, axis=0)[:3].T
    np.testing.assert_allclose(t, expect, atol=1e-9)
    got = np.where(s >= 0, full[np.maximum(s, 0), np.arange(n)[:, None]], np.inf)
    np.testing.assert_allclose(got, t, atol=1e-9)
    for row in s:
        real = row[row >= 0]
        assert len(set(real.tolist())) == len(real)


def test_within_caps_and_reports(net):
    # to_home, limit 20: node 0 has A(0); node 2 has A15, B17, C20; node 3 B7, C10;
    # node 4 B0, C3; node 5 nothing. k_max = 1 caps nodes 2, 3 and 4.
    w = travel.within(
        net,
        SOURCES,
        limit_s=20,
        direction="to_home",
        targets=[0, 2, 3, 4, 5],
        offsets_s=OFFSETS,
        k_max=1,
    )
    assert w.target_pos.tolist() == [0, 1, 2, 3]
    assert w.source_pos.tolist() == [0, 0, 1, 1]
    assert w.time_s.tolist() == [0.0, 15.0, 7.0, 0.0]
    assert w.n_capped == 3
    assert w.capped.tolist() == [False, True, True, True, False]


@pytest.mark.parametrize("method", ["labels", "per_source"])
def test_within_methods_on_hand_graph(net, method):
    w = travel.within(
        net,
        SOURCES,
        limit_s=20,
        direction="to_home",
        targets=[0, 2, 3, 4, 5, 2],
        offsets_s=OFFSETS,
        k_max=1,
        method=method,
    )
    assert w.target_pos.tolist() == [0, 1, 2, 3, 5]
    assert w.source_pos.tolist() == [0, 0, 1, 1, 0]
    assert w.n_capped == 4


def test_within_uncapped_lists_every_source(net):
    w = travel.within(
        net, SOURCES, limit_s=20, direction="to_home", targets=[2], offsets_s=OFFSETS, k_max=5
    )
    assert w.source_pos.tolist() == [0, 1, 2]
    assert w.time_s.tolist() == [15.0, 17.0, 20.0]
    assert w.n_capped == 0
    # exactly k_max sources within the limit is not capped
    w = travel.within(
        net, SOURCES, limit_s=20, direction="to_home", targets=[2], offsets_s=OFFSETS, k_max=3
    )
    assert w.n_capped == 0 and len(w.time_s) == 3


def test_from_node_both_directions(net):
    assert travel.from_node(net, 0, direction="to_facility").tolist() == [
        0.0,
        10.0,
        15.0,
        25.0,
        32.0,
        INF,
    ]
    assert travel.from_node(net, 0, direction="to_home").tolist() == [
        0.0,
        10.0,
        40.0,
        30.0,
        37.0,
        4.0,
    ]
    assert travel.from_node(net, 0, direction="to_facility", limit_s=12).tolist() == [
        0.0,
        10.0,
        INF,
        INF,
        INF,
        INF,
    ]


def test_bad_arguments(net):
    with pytest.raises(ValueError, match="direction"):
        travel.nearest(net, [0], direction="both")
    with pytest.raises(ValueError, match="outside"):
        travel.nearest(net, [9], direction="to_home")
    with pytest.raises(ValueError, match="one per source"):
        travel.nearest(net, [0, 1], direction="to_home", offsets_s=[1.0])
    with pytest.raises(ValueError, match="k is 0"):
        travel.k_nearest(net, [0], k=0, direction="to_home")


def test_no_sources_gives_unreachable(net):
    t, s = travel.nearest(net, [], direction="to_home")
    assert np.isinf(t).all() and (s == -1).all()


@pytest.fixture(scope="module")
def tachikawa(shared_data):
    G = roads.graph_from_file(shared_data / "osm_roads" / "tachikawa" / "tachikawa_drive.graphml")
    return G, network.network_from_graph(G)


@pytest.mark.shared_data
def test_tachikawa_equals_networkx_dijkstra(tachikawa):
    G, net = tachikawa
    rng = np.random.default_rng(42)
    origins = rng.choice(net.n_nodes, 10, replace=False)
    R = G.reverse(copy=False)
    pairs = 0
    for o in origins:
        oid = int(net.node_ids[o])
        targets = rng.choice(net.n_nodes, 20, replace=False)
        fwd = nx.single_source_dijkstra_path_length(G, oid, weight="travel_time")
        bwd = nx.single_source_dijkstra_path_length(R, oid, weight="travel_time")
        ours_f = travel.from_node(net, int(o), direction="to_facility")
        ours_b = travel.from_node(net, int(o), direction="to_home")
        for t in targets:
            tid = int(net.node_ids[t])
            assert ours_f[t] == pytest.approx(fwd.get(tid, math.inf), abs=1e-6)
            assert ours_b[t] == pytest.approx(bwd.get(tid, math.inf), abs=1e-6)
            pairs += 2
    assert pairs == 400


@pytest.mark.shared_data
def test_tachikawa_multi_source_equals_networkx(tachikawa):
    G, net = tachikawa
    rng = np.random.default_rng(3)
    sources = rng.choice(net.n_nodes, 12, replace=False)
    ids = [int(i) for i in net.node_ids[sources]]
    R = G.reverse(copy=False)
    dist = nx.multi_source_dijkstra_path_length(R, set(ids), weight="travel_time")
    t, s = travel.nearest(net, sources, direction="to_facility")
    expect = np.array([dist.get(int(i), math.inf) for i in net.node_ids])
    np.testing.assert_allclose(t, expect, atol=1e-6)
    # the reported source really is that far
    per_source = {
        i: nx.single_source_dijkstra_path_length(R, ids[i], weight="travel_time")
        for i in range(len(ids))
    }
    targets = rng.choice(net.n_nodes, 50, replace=False)
    kt, ks = travel.k_nearest(net, sources, k=3, direction="to_facility", targets=targets)
    for row, node in enumerate(targets):
        nid = int(net.node_ids[node])
        allt = sorted(per_source[i].get(nid, math.inf) for i in range(len(ids)))
        np.testing.assert_allclose(kt[row], allt[:3], atol=1e-6)
        for j in range(3):
            assert per_source[int(ks[row, j])][nid] == pytest.approx(kt[row, j], abs=1e-6)


def _random_world(seed, n=80, m=320, n_src=15):
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.integers(1, 60, m).astype(float)  # integer times: many ties
    net = network.network_from_arrays(
        node_ids=np.arange(n),
        lon=139 + rng.random(n) / 100,
        lat=35 + rng.random(n) / 100,
        u=u,
        v=v,
        travel_time=w,
    )
    sources = rng.integers(0, n, n_src)
    offsets = rng.integers(0, 20, n_src).astype(float)
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
    full = np.full((n_src, n), np.inf)
    for i, s in enumerate(sources):
        for node, d in nx.single_source_dijkstra_path_length(G, int(s)).items():
            full[i, node] = d + offsets[i]
    return net, sources, offsets, full


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_within_and_combined_equal_brute_force(seed):
    net, sources, offsets, full = _random_world(seed)
    targets = np.arange(net.n_nodes)
    limit, k_max = 70.0, 4
    w = travel.within(
        net,
        sources,
        limit_s=limit,
        direction="to_home",
        targets=targets,
        offsets_s=offsets,
        k_max=k_max,
    )
    for t in targets:
        col = np.sort(full[:, t][full[:, t] <= limit])
        got = w.time_s[w.target_pos == t]
        np.testing.assert_allclose(got, col[:k_max])
        assert bool(w.capped[t]) == (len(col) > k_max)
        srcs = w.source_pos[w.target_pos == t]
        np.testing.assert_allclose(full[srcs, t], got)
        assert len(set(srcs.tolist())) == len(srcs)
    assert w.n_capped == int(w.capped.sum())
    wp = travel.within(
        net,
        sources,
        limit_s=limit,
        direction="to_home",
        targets=targets,
        offsets_s=offsets,
        k_max=k_max,
        method="per_source",
    )
    np.testing.assert_allclose(wp.time_s, w.time_s)
    assert wp.target_pos.tolist() == w.target_pos.tolist()
    assert wp.capped.tolist() == w.capped.tolist()
    np.testing.assert_allclose(full[wp.source_pos, wp.target_pos], wp.time_s)
    kt, ks, w2 = travel.k_nearest_within(
        net,
        sources,
        k=3,
        limit_s=limit,
        direction="to_home",
        targets=targets,
        offsets_s=offsets,
        k_max=k_max,
    )
    np.testing.assert_allclose(kt, np.sort(full, axis=0)[:3].T)
    np.testing.assert_allclose(w2.time_s, w.time_s)
    assert w2.target_pos.tolist() == w.target_pos.tolist()
    assert w2.n_capped == w.n_capped
    # early stop on a few targets gives the same rows
    few = targets[::7]
    kt3, _, w3 = travel.k_nearest_within(
        net,
        sources,
        k=3,
        limit_s=limit,
        direction="to_home",
        targets=few,
        offsets_s=offsets,
        k_max=k_max,
    )
    np.testing.assert_allclose(kt3, kt[few])
    assert w3.n_capped == int(w.capped[few].sum())


# --- the travel matrix (one search per source), both engines against brute force -----------


@pytest.mark.parametrize("engine", ["dijkstra", "cch"])
@pytest.mark.parametrize("direction", ["to_home", "to_facility"])
def test_matrix_equals_brute_force(engine, direction):
    from geo import cch

    if engine == "cch" and not cch.available():
        pytest.skip("pyroutingkit not installed")
    net, sources, offsets, full = _random_world(4)
    if direction == "to_facility":  # brute force on the reversed graph
        G = nx.MultiDiGraph()
        G.add_nodes_from(range(net.n_nodes))
        G.add_weighted_edges_from(zip(net.v.tolist(), net.u.tolist(), net.travel_time.tolist()))
        full = np.full((len(sources), net.n_nodes), np.inf)
        for i, s in enumerate(sources):
            for node, d in nx.single_source_dijkstra_path_length(G, int(s)).items():
                full[i, node] = d + offsets[i]
    rng = np.random.default_rng(5)
    targets = rng.integers(0, net.n_nodes, 40)
    toff = rng.uniform(0, 3, targets.size).round(3)
    limit = 70.0
    m = travel.matrix(
        net,
        sources,
        targets,
        direction=direction,
        limit_s=limit,
        offsets_s=offsets,
        target_offsets_s=toff,
        engine=engine,
        threads=2,
        chunk=3,
    )
    want = full[:, targets].T + toff[:, None]
    want[want > limit] = np.inf
    got = travel.dense(m)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert m.nnz == int(np.isfinite(want).sum())  # every pair within the limit, nothing more
    for r in range(m.shape[0]):  # columns ascending per row
        cols = m.indices[m.indptr[r] : m.indptr[r + 1]]
        assert np.all(np.diff(cols) > 0)


def test_matrix_keeps_zero_second_pairs_and_reports_progress(net):
    seen = []
    m = travel.matrix(
        net,
        [0, 3, 3],
        [0, 5],
        direction="to_home",
        limit_s=30,
        chunk=1,
        threads=1,
        progress=lambda d, t: seen.append((d, t)),
    )
    # node 0 is its own source at 0 s, 3 -> 0 is 30 s (the limit counts); nothing reaches 5
    assert m.indptr.tolist() == [0, 3, 3]
    assert m.indices.tolist() == [0, 1, 2] and m.data.tolist() == [0.0, 30.0, 30.0]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_cch_is_not_used_on_sub_millisecond_times():
    from geo import cch

    assert cch.ms_weights([0.0004]) is None
    assert cch.ms_weights([1.25, 0.001]).tolist() == [1250, 1]


def test_cch_distances_repeated_targets_and_unreachable(net):
    from geo import cch

    if not cch.available():
        pytest.skip("pyroutingkit not installed")
    # forward from 0: 0->1->2->3 25, ->4 32; node 5 is never reached
    d = cch.distances(net, [0, 0], [4, 4, 0, 5], direction="to_home")
    assert d.tolist() == [[32.0, 32.0, 0.0, INF]] * 2
    # home -> facility 0: from 2 only via 2->3->0 (40 s); 5->0 is 4 s
    d = cch.distances(net, [0], [2, 5], direction="to_facility")
    assert d.tolist() == [[40.0, 4.0]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_from_node_equals_the_kernel_search(seed):
    """from_node (scipy's Dijkstra) gives the compiled kernel's times, bit for bit, with
    zero-weight and parallel edges, self loops and every limit."""
    from geo import _kernels

    rng = np.random.default_rng(seed)
    n, m = 60, 240
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    tt = rng.choice([0.0, 0.1, 0.3, 1.7, 2.0, 30.5], m) + rng.random(m) * (rng.random(m) < 0.5)
    net = network.network_from_arrays(
        node_ids=np.arange(n) + 100,
        lon=139.0 + rng.random(n) * 0.01,
        lat=35.0 + rng.random(n) * 0.01,
        u=u,
        v=v,
        travel_time=tt,
    )
    for node in range(0, n, 7):
        for direction in travel.DIRECTIONS:
            flipped = "to_home" if direction == "to_facility" else "to_facility"
            for limit in (0.0, 2.0, 5.0, 31.0, math.inf):
                ref, _ = _kernels.nearest_kernel(
                    *net.adjacency(flipped),
                    np.array([node], dtype=np.int32),
                    np.zeros(1),
                    limit,
                    np.zeros(n, dtype=np.bool_),
                    0,
                )
                got = travel.from_node(net, node, direction=direction, limit_s=limit)
                assert np.array_equal(got, ref), (node, direction, limit)
