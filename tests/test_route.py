"""Routes home -> shelter on the hand-made world: around the flood, cut-by links, export."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from analysis_world import node_xy, world
from shapely.geometry import Point, box

from analysis import context, evacuation, routes
from geo import network, route


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def test_route_to_by_hand_on_a_line():
    net = network.network_from_arrays(
        node_ids=[10, 20, 30],
        lon=[139.0, 139.001, 139.002],
        lat=[35.0, 35.0, 35.0],
        u=[0, 1, 0, 0],
        v=[1, 2, 2, 1],
        travel_time=[10.0, 20.0, 50.0, 12.0],  # a slower parallel 0->1 edge is ignored
    )
    p, q = route.route_to(net, target=2, sources=[0, 2])
    assert p.nodes.tolist() == [0, 1, 2] and p.edges.tolist() == [0, 1] and p.time_s == 30.0
    assert q.edges.tolist() == [] and q.time_s == 0.0
    assert route.route_to(net, target=0, sources=[2]) == [None]  # one-way streets


def test_route_avoids_the_flood(ctx):
    r = routes.routes(ctx, hazard_level=2).set_index("child_id")
    c4 = r.loc["c4"]
    # 9 -> 8 -> 7 -> 4 on the hazard network: 15 min, = the evacuation row's minutes_hazard
    assert (c4["shelter_id"], c4["network"], c4["status"], c4["minutes"]) == (
        "S1",
        "hazard",
        "ok",
        15.0,
    )
    flood = box(139.005, 35.005, 139.025, 35.015)
    assert not c4.geometry.intersects(flood)
    assert Point(c4.geometry.coords[0]).equals(Point(node_xy(9)))
    assert Point(c4.geometry.coords[-1]).equals(Point(node_xy(4)))


def test_in_zone_child_gets_the_route_to_take_before_the_water(ctx):
    r = routes.routes(ctx, hazard_level=2, child_ids=["c2"]).set_index("child_id")
    c2 = r.loc["c2"]
    assert (c2["network"], c2["status"], c2["minutes"]) == ("normal", "in_zone", 5.0)
    assert c2["cut_by"] == "6→3" and "通行止め" in c2["reason"]
    with pytest.raises(ValueError, match="zz"):
        routes.routes(ctx, child_ids=["zz"])


def _around(n, r=0.002):
    x, y = node_xy(n)
    return box(x - r, y - r, x + r, y + r)


def test_roads_cut_child_gets_the_closed_links():
    layers = world()
    layers["hazards"] = gpd.GeoDataFrame(
        {
            "hazard_id": ["H6", "H8"],
            "hazard_type": ["flood"] * 2,
            "level": pd.array([2, 2], dtype="Int64"),
            "label": ["0.5-3.0m"] * 2,
            "depth_m": [0.5, 0.5],
            "source": ["test"] * 2,
        },
        geometry=[_around(6), _around(8)],
        crs="EPSG:4326",
    )
    ctx = context.from_layers(layers)
    r = routes.routes(ctx, hazard_level=2, child_ids=["c4"]).iloc[0]
    assert r["status"] == "roads_cut" and r["network"] == "normal" and r["minutes"] == 10.0
    assert r["cut_by"] == "9→6;6→3" and "9→6 ほか1区間" in r["reason"]


def test_no_route_and_gpkg_export(ctx, tmp_path):
    ev = evacuation.evacuation(ctx, hazard_type="landslide")
    r = routes.routes(ctx, ev, hazard_type="landslide")
    assert r["status"].eq("no_route").all() and r.geometry.isna().all()
    good = routes.routes(ctx, hazard_level=2)
    out = routes.write_gpkg(good, tmp_path / "r.gpkg", shelters=ctx.shelters)
    back = pyogrio.read_dataframe(out, layer="evacuation_routes")
    assert sorted(back["child_id"]) == ["c1", "c2", "c3", "c4"]
    used = pyogrio.read_dataframe(out, layer="shelters_used")
    assert set(used["shelter_id"]) == set(good["shelter_id"])
    assert np.isclose(back.set_index("child_id").loc["c3", "minutes"], 20.0)


def test_route_shapes_read_only_the_route_rows(tmp_path):
    """A prepared network draws a route from just its edges' rows: same shapes as all rows."""
    from analysis_world import world as _world

    from geo import prepared, workspace

    path = tmp_path / "w.gpkg"
    workspace.write_layers(path, _world())
    net = prepared.load_network(path)
    closed = np.zeros(net.n_edges, dtype=bool)
    closed[::3] = True
    sub = net.subset_edges(~closed)
    slow = net.with_travel_time(np.asarray(net.travel_time) * 2)
    pos = np.array([4, 0, 4, net.n_edges - 1])
    sub_pos = np.array([1, 0, sub.n_edges - 1])
    before = net.edge_geometry_loader.n_edges
    got = network.edge_geometries_at(net, pos)
    got_sub = network.edge_geometries_at(sub, sub_pos)
    got_slow = network.edge_geometries_at(slow, pos)
    assert net.edge_geometry is None and sub.edge_geometry is None  # nothing loaded whole
    full = network.edge_geometries(net)
    assert before == len(full)
    assert [g.wkb for g in got] == [g.wkb for g in full[pos]]
    assert [g.wkb for g in got_slow] == [g.wkb for g in full[pos]]
    assert [g.wkb for g in got_sub] == [g.wkb for g in full[~closed][sub_pos]]
    # a layer with gaps in its feature ids maps positions through the stored fid column
    gappy = prepared.load_network(path).edge_geometry_loader
    col, lo, _ = gappy._layout()
    gappy._layout_cache = (col, lo, False)
    assert [g.wkb for g in gappy.at(pos)] == [g.wkb for g in full[pos]]
    # and the route line is the same either way
    p = route.route_to(sub, target=int(sub.v[0]), sources=[int(sub.u[sub.n_edges - 1])])[0]
    if p is not None:
        fresh = prepared.load_network(path).subset_edges(~closed)
        assert route.geometry(fresh, p).wkb == route.geometry(sub, p).wkb
