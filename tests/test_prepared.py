"""The prepared network (W.gpkg.net/): built once, reused, rebuilt when the roads change."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analysis_world import EDGE_S, world

from analysis import context, coverage
from geo import network, prepared, workspace


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, world())
    return path


def _same_net(a, b):
    for f in ("node_ids", "x", "y", "lon", "lat", "u", "v", "travel_time", "length", "core"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    for side in ("forward", "reverse"):
        for x, y in zip(getattr(a, side), getattr(b, side), strict=True):
            assert np.array_equal(x, y)


def test_built_once_then_memory_mapped(ws):
    folder = prepared.sidecar(ws)
    assert folder.name == "w.gpkg.net" and not folder.exists()
    a = prepared.load_network(ws)
    assert (folder / "meta.json").exists()
    b = prepared.load_network(ws)
    assert isinstance(b.u, np.memmap) and isinstance(b.forward[0], np.memmap)
    plain = network.network_from_workspace(ws)
    _same_net(a, plain)
    _same_net(b, plain)
    assert b.crs.equals(plain.crs)
    # 12 two-way grid edges, 5 minutes each
    assert b.n_edges == 24 and set(np.asarray(b.travel_time).tolist()) == {EDGE_S}


def test_rebuilt_when_roads_change_and_reused_when_only_rewritten(ws):
    prepared.load_network(ws)
    folder = prepared.sidecar(ws)
    meta0 = json.loads((folder / "meta.json").read_text())
    # other layers written: same roads, fingerprint unchanged, nothing rebuilt
    workspace.write_layers(ws, {"children": world()["children"]})
    prepared.load_network(ws)
    assert json.loads((folder / "meta.json").read_text()) == meta0
    # roads rewritten with the same content: new fingerprint, same hash, arrays reused
    lay = world()
    workspace.write_layers(ws, {"roads_edges": lay["roads_edges"]})
    prepared.load_network(ws)
    meta1 = json.loads((folder / "meta.json").read_text())
    assert meta1["content_hash"] == meta0["content_hash"]
    assert meta1["fingerprint"] != meta0["fingerprint"]
    # slower roads: new hash, new arrays
    edges = lay["roads_edges"].copy()
    edges["travel_time"] = edges["travel_time"] * 2
    workspace.write_layers(ws, {"roads_edges": edges})
    net = prepared.load_network(ws)
    meta2 = json.loads((folder / "meta.json").read_text())
    assert meta2["content_hash"] != meta0["content_hash"]
    assert set(np.asarray(net.travel_time).tolist()) == {2 * EDGE_S}
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".w.gpkg.net")]


def test_unreadable_folder_is_rebuilt(ws):
    prepared.load_network(ws)
    folder = prepared.sidecar(ws)
    (folder / "u.npy").write_bytes(b"garbage")
    net = prepared.load_network(ws)
    _same_net(net, network.network_from_workspace(ws))


def test_context_load_same_answers_and_lazy_roads(ws):
    plain = context.load(ws, prepared=False)
    ctx = context.load(ws)
    assert not dict.__contains__(ctx.layers, "roads_edges")  # not read
    a = coverage.child_access(plain)
    b = coverage.child_access(ctx)
    assert a.equals(b)
    assert len(ctx.layers["roads_edges"]) == 24  # read on demand
    assert ctx.net.edge_geometry is None
    # a hazard scenario reads the shapes once and caches the closed edges beside the workspace
    flooded = ctx.scenario(min_level=3)
    ref = plain.scenario(min_level=3)
    assert np.array_equal(flooded.u, ref.u) and flooded.n_edges < ctx.net.n_edges
    assert list((prepared.sidecar(ws) / "closures").glob("*.npy"))
    again = context.load(ws)
    assert np.array_equal(again.scenario(min_level=3).u, ref.u)
    assert again.net.edge_geometry is None  # from the cache: no shapes read


def test_read_only_folder_still_loads(ws, monkeypatch):
    def fail(*a, **k):
        raise OSError("read-only file system")

    monkeypatch.setattr(prepared, "_save", fail)
    net = prepared.load_network(ws)
    assert not prepared.sidecar(ws).exists()
    _same_net(net, network.network_from_workspace(ws))


def test_workspace_without_roads_says_how_to_import(tmp_path):
    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, {"children": world()["children"]})
    with pytest.raises(Exception, match="roads"):
        context.load(path)


def test_closures_read_in_chunks_equal_the_whole_layer(ws):
    from geo import scenario

    net = prepared.load_network(ws)
    hz = workspace.read(ws, "hazards")
    whole = scenario.closed_edges(network.network_from_workspace(ws), hz, min_level=3)
    got = prepared._closed_in_chunks(net, ws, hz, 3, None, chunk=5)
    assert whole.any() and np.array_equal(got, whole)
    assert net.edge_geometry is None  # never held all shapes


def test_scenario_reuses_the_saved_cch_order_and_answers_exactly(ws):
    from geo import cch, travel

    if not cch.usable(prepared.load_network(ws)):
        pytest.skip("pyroutingkit not installed or travel times not whole milliseconds")
    ctx = context.load(ws)
    # the whole network's CCH order, saved beside the workspace
    everyone = np.arange(ctx.net.n_nodes)
    travel.matrix(ctx.net, [0], everyone, direction="to_facility", engine="cch")
    assert (prepared.sidecar(ws) / "cch_reverse" / "order").exists()
    flooded = ctx.scenario(min_level=3)
    assert flooded.n_edges < ctx.net.n_edges
    assert flooded.__dict__["_cch_order_dir"] == ctx.net.__dict__["_prepared_dir"]
    sources = np.arange(0, ctx.net.n_nodes, 3)
    for direction in ("to_facility", "to_home"):
        got = travel.dense(
            travel.matrix(flooded, sources, everyone, direction=direction, engine="cch")
        )
        ref = travel.dense(
            travel.matrix(flooded, sources, everyone, direction=direction, engine="dijkstra")
        )
        assert np.isinf(ref).any()  # the flood cuts some nodes off
        np.testing.assert_array_equal(got, ref)


def test_snapped_points_cached_in_the_folder(ws):
    net = prepared.load_network(ws)
    rng = np.random.default_rng(0)
    x = rng.uniform(net.x.min(), net.x.max(), 30)
    y = rng.uniform(net.y.min(), net.y.max(), 30)
    calls = []

    def compute(a, b):
        calls.append(len(a))
        return net._tree_nearest(a, b)

    d1, n1 = prepared.cached_nearest(net, x, y, compute)
    d2, n2 = prepared.cached_nearest(net, x, y, compute)
    assert calls == [30]  # the second answer is read from W.gpkg.net/snaps/
    assert np.array_equal(d1, d2) and np.array_equal(n1, n2)
    assert len(list((prepared.sidecar(ws) / "snaps").glob("*.npz"))) == 1
    prepared.cached_nearest(net, x[:-1], y[:-1], compute)  # other points, other entry
    assert calls == [30, 29]
    # a fresh process snaps the context's points from the cache, with the tree's answer
    again = prepared.load_network(ws)
    d3, n3 = again.nearest_core(x, y)
    assert "kdtree" not in again.__dict__
    assert np.array_equal(d3, d1) and np.array_equal(n3, n1)


def test_context_reads_layers_on_first_use(ws):
    plain = context.load(ws, prepared=False)
    ctx = context.load(ws)
    assert not any(dict.__contains__(ctx.layers, n) for n in ("children", "facilities"))
    assert "children" in ctx.layers and "facilities" in ctx.snaps
    assert not dict.__contains__(ctx.snaps, "facilities")
    assert ctx.snaps["facilities"].equals(plain.snaps["facilities"])
    assert dict.__contains__(ctx.layers, "facilities")
    assert not dict.__contains__(ctx.layers, "children")  # still not read
    for name in ("children", "shelters", "hazards", "areas", "municipalities", "area_members"):
        assert ctx.layers[name].equals(plain.layers[name]), name
    assert ctx.snaps["children"].equals(plain.snaps["children"])
    assert ctx.layers.get("no_such_layer") is None
    # a what-if context keeps reading lazily (and shares what was read)
    lazy = context.load(ws)
    extra = plain.facilities.iloc[:1].copy()
    extra["facility_id"] = "new-1"
    whatif = lazy.with_facilities(extra)
    assert len(whatif.facilities) == len(plain.facilities) + 1
    assert len(whatif.snaps["facilities"]) == len(whatif.facilities)
    assert not dict.__contains__(whatif.layers, "children")
    assert whatif.snaps["children"].equals(plain.snaps["children"])
