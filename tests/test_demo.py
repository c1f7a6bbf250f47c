"""The fictional demo prefecture デモ県: schema, determinism, road graph, realism, situations.

Travel times are computed here with scipy's Dijkstra on the edge arrays (independently of the
travel engine), so the situations are checked against their definitions in geo.demo.SITUATIONS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo import codes, demo, demo_capacity, workspace

DEEP = 3  # flood level from which roads close in the cut-off situation


@pytest.fixture(scope="module")
def layers():
    return demo.build(seed=42, size="small")


@pytest.fixture(scope="module")
def other_seed():
    return demo.build(seed=7, size="small")


@pytest.fixture(scope="module")
def metric(layers):
    return layers["roads_nodes"].estimate_utm_crs()


class Graph:
    """The road layers as a CSR matrix of travel times plus a KD-tree for snapping."""

    def __init__(self, layers, metric, closed=None):
        nodes, edges = layers["roads_nodes"], layers["roads_edges"]
        self.pos = pd.Series(np.arange(len(nodes)), index=nodes["osmid"].to_numpy())
        u = self.pos[edges["u"].to_numpy()].to_numpy()
        v = self.pos[edges["v"].to_numpy()].to_numpy()
        w = edges["travel_time"].to_numpy(float)
        if closed is not None:
            u, v, w = u[~closed], v[~closed], w[~closed]
        n = len(nodes)
        self.csr = coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
        xy = shapely.get_coordinates(nodes.to_crs(metric).geometry.to_numpy())
        self.tree = cKDTree(xy)
        self.metric = metric

    def snap(self, frame):
        xy = shapely.get_coordinates(frame.to_crs(self.metric).geometry.to_numpy())
        return self.tree.query(xy)

    def nearest_source(self, sources, *, to_sources):
        """Time (s) from every node to the nearest source (or from it) and which source."""
        g = self.csr.T.tocsr() if to_sources else self.csr
        dist, _, src = dijkstra(
            g, indices=np.unique(sources), min_only=True, return_predecessors=True
        )
        return dist, src


@pytest.fixture(scope="module")
def graph(layers, metric):
    return Graph(layers, metric)


# ---------------------------------------------------------------------------------------------
# schema and determinism


def test_every_input_layer_is_present_and_valid(layers):
    # the input layers the analyses need, plus the layers later features add (address points,
    # capabilities, coverage, source lists, ...): every layer the demo writes has a schema
    assert set(workspace.INPUT_LAYERS) <= set(layers)
    assert set(layers) <= set(workspace.LAYERS), set(layers) - set(workspace.LAYERS)
    for name, frame in layers.items():
        problems = workspace.validate(name, frame)
        assert problems == [], [p.describe() for p in problems[:5]]
        schema = workspace.LAYERS[name]
        assert {c.name for c in schema.columns} <= set(frame.columns), name
        assert len(frame) > 0, name
        if schema.geometry:
            assert frame.crs.equals("EPSG:4326"), name


def test_same_seed_gives_identical_layers(layers):
    again = demo.build(seed=42, size="small")
    assert set(again) == set(layers)
    for name in layers:
        if hasattr(layers[name], "geometry"):
            pd.testing.assert_frame_equal(layers[name], again[name])
            assert layers[name].geometry.geom_equals_exact(again[name].geometry, 0).all()
        else:
            pd.testing.assert_frame_equal(layers[name], again[name])


def test_other_seed_changes_children_not_geography(layers, other_seed):
    a, b = layers["children"], other_seed["children"]
    assert not a["child_id"].equals(b["child_id"])
    assert not shapely.equals(a.geometry.to_numpy()[:50], b.geometry.to_numpy()[:50]).all()
    for name in ("municipalities", "areas", "roads_edges", "hazards"):
        pd.testing.assert_frame_equal(layers[name], other_seed[name])


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="Unknown demo size 'huge'"):
        demo.build(size="huge")


def test_written_workspace_round_trips(demo_path, layers):
    meta = workspace.metadata(demo_path)
    assert meta["region"] == "デモ県"
    assert meta["fictional"] == "true"
    assert meta["seed"] == "42" and meta["size"] == "small"
    assert meta["generator_version"] == demo.VERSION
    for name in layers:
        back = workspace.read(demo_path, name)
        expected = workspace.normalize(name, layers[name])
        pd.testing.assert_frame_equal(
            back.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
            check_like=True,  # a GeoPackage stores the geometry column last
        )


def test_written_demo_carries_its_prepared_network(demo_path, tmp_path, monkeypatch):
    # the demo saves W.gpkg.net from the road frames it wrote; it must be the folder a first
    # load would build by reading the layers back, and a load must use it as it is
    import json

    from geo import prepared

    folder = prepared.sidecar(demo_path)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["fingerprint"] == prepared.fingerprint(demo_path)
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(demo_path.read_bytes())
    rebuilt = prepared.load_network(copy)  # no folder beside the copy: built from the layers
    assert json.loads((prepared.sidecar(copy) / "meta.json").read_text(encoding="utf-8")) == {
        **meta,
        "fingerprint": prepared.fingerprint(copy),
    }
    saved = sorted(prepared.sidecar(copy).glob("*.npy"))  # (only what a first load saves)
    assert len(saved) > 10
    for npy in saved:
        a, b = np.load(folder / npy.name), np.load(npy)
        assert a.dtype == b.dtype and np.array_equal(a, b), npy.name
    assert rebuilt.n_edges == meta["n_edges"]

    def no_read(path):
        raise AssertionError("the road layers were read again")

    monkeypatch.setattr(prepared, "read_road_arrays", no_read)
    net = prepared.load_network(demo_path)
    assert net.n_nodes == meta["n_nodes"] and net.n_edges == meta["n_edges"]


def test_write_refuses_to_overwrite_a_real_workspace(tmp_path, layers):
    real = tmp_path / "real.gpkg"
    workspace.write(real, "municipalities", layers["municipalities"])
    with pytest.raises(workspace.WorkspaceError, match="not a demo workspace"):
        demo.write(real, seed=1)


@pytest.mark.parametrize("where", ["road writer", "build"])
def test_a_failed_write_fails_the_demo_and_leaves_no_file(tmp_path, monkeypatch, where):
    # the road layers are written by a forked child while the parent builds the rest: a failure
    # on either side fails the demo and leaves nothing beside the requested path
    out = tmp_path / "demo.gpkg"
    if where == "road writer":
        real = workspace.write_layers

        def failing(path, frames, **kw):
            if "roads_edges" in frames:
                raise OSError("disk full (test)")
            return real(path, frames, **kw)

        monkeypatch.setattr(workspace, "write_layers", failing)
        expected = (workspace.WorkspaceError, "writing the road layers")
    else:

        def failing(layers, **kw):
            raise RuntimeError("planner failed (test)")

        monkeypatch.setattr(demo.demo_planner, "add", failing)
        expected = (RuntimeError, "planner failed")
    with pytest.raises(expected[0], match=expected[1]):
        demo.write(out, seed=1, size=demo.Params("coarse", 1.6, 0.8, 30, 400.0, 150, 0.5, 0.5))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# geography and realism


def test_municipalities_and_two_area_kinds(layers):
    munis = layers["municipalities"]
    assert len(munis) >= 12
    assert munis["code"].str.fullmatch(r"99\d{3}").all()  # prefecture code 99 does not exist
    assert munis["code"].str.startswith("991").sum() >= 2  # wards of the designated city
    assert (munis["pref"] == "デモ県").all()
    members = layers["area_members"]
    kinds = members["kind"].unique()
    assert len(kinds) >= 2
    groupings = []
    for kind in kinds:
        m = members[members["kind"] == kind]
        # each municipality in exactly one area of each kind
        assert sorted(m["municipality_code"]) == sorted(munis["code"])
        groupings.append(
            frozenset(frozenset(g["municipality_code"]) for _, g in m.groupby("area_id"))
        )
    assert max(len(g) for g in groupings) >= 4
    assert groupings[0] != groupings[1]
    # areas are dissolved municipalities
    areas = layers["areas"].set_index("area_id")
    polys = munis.set_index("code").geometry
    for area_id, g in members.groupby("area_id"):
        union = shapely.union_all(polys[g["municipality_code"]].to_numpy())
        assert areas.geometry[area_id].symmetric_difference(union).area < 1e-9, area_id


def test_placed_in_the_open_pacific(layers):
    minx, miny, maxx, maxy = layers["municipalities"].total_bounds
    # east of the Izu-Ogasawara arc and far from Japan's coast: no real land here
    assert minx > 142.5 and maxx < 144.5 and miny > 30.4 and maxy < 31.5


def test_road_graph_is_strongly_connected_with_one_way_streets(layers, graph):
    n, _ = connected_components(graph.csr, directed=True, connection="strong")
    assert n == 1
    edges = layers["roads_edges"]
    one = edges[edges["oneway"]]
    assert len(one) > 100
    pairs = set(zip(edges["u"], edges["v"], strict=True))
    assert not any((v, u) in pairs for u, v in zip(one["u"], one["v"], strict=True))
    two = edges[~edges["oneway"]]
    assert all((v, u) in pairs for u, v in zip(two["u"][:2000], two["v"][:2000], strict=True))


def test_road_hierarchy_and_speeds(layers):
    edges = layers["roads_edges"]
    assert 20_000 <= len(layers["roads_nodes"]) <= 40_000
    kinds = set(edges["highway"])
    for hw in ("motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary"):
        assert hw in kinds
    assert {"residential", "unclassified"} <= kinds
    speeds = codes.road_speeds()
    assert (edges["speed_kph"] == edges["highway"].map(speeds)).all()
    np.testing.assert_allclose(
        edges["travel_time"], edges["length"] / (edges["speed_kph"] / 3.6), rtol=1e-3
    )
    assert not edges.duplicated(["u", "v", "key"]).any()
    # lengths are metres along the line
    metric = edges.estimate_utm_crs()
    sample = edges.iloc[::97]
    np.testing.assert_allclose(sample.to_crs(metric).length, sample["length"], rtol=0.01)


@pytest.mark.parametrize("name", ["children", "facilities", "shelters"])
def test_points_lie_within_500_m_of_a_road_node(layers, graph, name):
    dist, _ = graph.snap(layers[name])
    assert dist.max() < 500


@pytest.mark.parametrize("name", ["children", "facilities"])
def test_municipality_codes_match_the_polygons(layers, name):
    frame = layers[name]
    joined = frame.sjoin(layers["municipalities"][["code", "geometry"]], predicate="within")
    assert len(joined) == len(frame)
    assert (joined["municipality_code"] == joined["code"]).all()


def test_children_are_plausible(layers):
    kids = layers["children"]
    assert 250 <= len(kids) <= 350
    assert kids["child_id"].is_unique
    age = kids["age"]
    assert age.between(0, 18).all()
    assert (age < 5).mean() / 5 > (age >= 13).mean() / 6  # more per year of age under 5
    care = kids["care"]
    share = {c: care.map(lambda lst, c=c: c in lst).mean() for c in codes.valid("care_types")}
    feeding = care.map(lambda lst: "tube_feeding" in lst or "gastrostomy" in lst).mean()
    assert feeding > 0.5 and share["suction"] > 0.4
    assert 0.08 < share["ventilator"] < 0.3  # a minority
    trach = care[care.map(lambda lst: "tracheostomy" in lst)]
    assert trach.map(lambda lst: "suction" in lst).mean() > 0.9
    assert (care.map(len) >= 2).mean() > 0.4  # combinations are common
    assert set(kids["mobility"]) == {"walk", "wheelchair", "bedridden"}
    assert 0.1 < kids["has_evac_plan"].mean() < 0.6
    assert kids["last_verified"].min() >= "2021-01-01"
    # placed by population: the designated city holds many more children than the villages
    city = kids["municipality_code"].str.startswith("991").sum()
    villages = kids["municipality_code"].str.startswith("994").sum()
    assert city > 4 * max(villages, 1)


def test_facilities_cover_every_service(layers):
    fac = layers["facilities"]
    assert set(fac["service"]) == set(codes.valid("service_types"))
    assert fac["facility_id"].is_unique
    assert fac["accepts"].isna().any() and fac["accepts"].notna().any()
    assert fac["capacity"].notna().mean() > 0.7
    assert fac["has_power"].any() and (~fac["has_power"].astype(bool)).any()
    assert (fac["source"] == "demo").all() and fac["source_date"].notna().all()
    dev = fac[fac["service"] == "child_development"]
    assert (dev["age_max"] <= 6).all()


def test_shelters_of_every_kind_with_and_without_power(layers):
    sh = layers["shelters"]
    for kind in codes.valid("shelter_kinds"):
        sub = sh[sh["kind"] == kind]
        assert len(sub) > 0, kind
        if kind != "emergency_site":
            assert sub["has_power"].any() and (~sub["has_power"].astype(bool)).any(), kind
    # a shelter designated for floods does not stand in a flood zone
    hz = layers["hazards"]
    flood = shapely.union_all(hz[hz["hazard_type"] == "flood"].geometry.to_numpy())
    ok = sh[sh["hazards_ok"].map(lambda h: "flood" in h)]
    assert not shapely.intersects(ok.geometry.to_numpy(), flood).any()


def test_hazards_use_the_code_tables(layers):
    hz = layers["hazards"]
    levels = codes.hazard_levels()
    assert {"flood", "landslide", "tsunami"} <= set(hz["hazard_type"])
    for row in hz.drop_duplicates(["hazard_type", "level"]).itertuples():
        assert row.label == levels.loc[(row.hazard_type, row.level), "label"]
    flood = hz[hz["hazard_type"] == "flood"]
    assert flood["level"].max() >= 4 and flood["depth_m"].notna().all()
    assert set(hz[hz["hazard_type"] == "landslide"]["level"]) == {1, 2}
    assert hz[hz["hazard_type"] == "landslide"]["depth_m"].isna().all()
    # the tsunami zone lies on the coast: it touches the sea (outside the prefecture)
    land = shapely.union_all(layers["municipalities"].geometry.to_numpy())
    ts = shapely.union_all(hz[hz["hazard_type"] == "tsunami"].geometry.to_numpy())
    assert ts.buffer(0.002).difference(land).area > 0


# ---------------------------------------------------------------------------------------------
# built-in situations (for two seeds)


def _situation_checks(layers, metric):
    sit = demo.SITUATIONS
    graph = Graph(layers, metric)
    fac, kids, sh, hz = (layers[k] for k in ("facilities", "children", "shelters", "hazards"))
    members = layers["area_members"]
    areas = layers["areas"].set_index("area_id")
    kind = demo.SITUATION_AREA_KIND
    stays = fac[fac["service"] == "short_stay_medical"]

    # a 圏域 with no medical short stay (while the other 圏域 of its kind have one)
    area = sit["area_without_short_stay"]
    assert areas.loc[area, "kind"] == kind
    k_members = members[members["kind"] == kind]
    in_area = set(k_members.loc[k_members["area_id"] == area, "municipality_code"])
    assert not stays["municipality_code"].isin(in_area).any()
    assert not shapely.within(stays.geometry.to_numpy(), areas.geometry[area]).any()
    by_area = k_members.set_index("municipality_code")["area_id"]
    assert set(stays["municipality_code"].map(by_area)) == set(k_members["area_id"]) - {area}

    # the remote village: its children are > 60 min by car from every short stay
    _, stay_nodes = graph.snap(stays)
    to_stay, src = graph.nearest_source(stay_nodes, to_sources=True)
    village = kids[kids["municipality_code"] == sit["remote_village"]]
    assert len(village) >= 2
    _, vnodes = graph.snap(village)
    assert (to_stay[vnodes] > 3600).all(), to_stay[vnodes] / 60

    # ventilator children in deep flood zones
    deep = shapely.union_all(
        hz[(hz["hazard_type"] == "flood") & (hz["level"] >= DEEP)].geometry.to_numpy()
    )
    vent = kids.set_index("child_id").loc[list(sit["ventilator_in_deep_flood"])]
    assert vent["care"].map(lambda c: "ventilator" in c).all()
    assert shapely.within(vent.geometry.to_numpy(), deep).all()
    others = kids[~kids["child_id"].isin(sit["ventilator_in_deep_flood"])]
    in_deep = shapely.within(others.geometry.to_numpy(), deep)
    assert not others["care"][in_deep].map(lambda c: "ventilator" in c).any()

    # one of them is cut off when every road edge crossing a deep flood polygon closes
    edges = layers["roads_edges"]
    tree = shapely.STRtree(edges.geometry.to_numpy())
    hit = tree.query(
        hz[(hz["hazard_type"] == "flood") & (hz["level"] >= DEEP)].geometry.to_numpy(),
        predicate="intersects",
    )[1]
    closed = np.zeros(len(edges), bool)
    closed[hit] = True
    flood = shapely.union_all(hz[hz["hazard_type"] == "flood"].geometry.to_numpy())
    suitable = sh[
        sh["hazards_ok"].map(lambda h: "flood" in h)
        & sh["has_power"].astype(bool)
        & ~shapely.intersects(sh.geometry.to_numpy(), flood)
    ]
    assert len(suitable) > 0
    scenario = Graph(layers, metric, closed=closed)
    _, shelter_nodes = scenario.snap(suitable)
    to_shelter, _ = scenario.nearest_source(shelter_nodes, to_sources=True)
    _, vnode = scenario.snap(vent)
    reach = np.isfinite(to_shelter[vnode])
    cut = list(vent.index).index(sit["cut_off_child"])
    assert not reach[cut]
    assert reach.sum() == len(vent) - 1  # the others still leave by the levee road

    # a welfare shelter without power
    ws = sh.set_index("shelter_id").loc[sit["welfare_shelter_without_power"]]
    assert ws["kind"] == "welfare_shelter" and not bool(ws["has_power"])

    # a facility just across the border that the neighbouring 圏域's children depend on
    fid, dep_area = sit["border_facility"]
    f = fac.set_index("facility_id").loc[fid]
    poly = areas.geometry[dep_area]
    assert not poly.contains(f.geometry) and poly.distance(f.geometry) < 0.02  # about 2 km
    dep_codes = k_members.loc[k_members["area_id"] == dep_area, "municipality_code"]
    dep_kids = kids[kids["municipality_code"].isin(dep_codes)]
    _, knodes = graph.snap(dep_kids)
    f_node = stay_nodes[list(stays["facility_id"]).index(fid)]
    assert (src[knodes] == f_node).sum() >= 5


def test_situations_hold_for_seed_42(layers, metric):
    _situation_checks(layers, metric)


def test_situations_hold_for_another_seed(other_seed, metric):
    _situation_checks(other_seed, metric)


def test_situations_are_documented():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "data" / "README.md").read_text("utf-8")
    for key, value in demo.SITUATIONS.items():
        assert f"`{key}`" in readme, key
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            assert str(v) in readme, (key, v)


def test_a_scaled_parameter_path_keeps_the_situations(metric):
    # the prefecture size runs the same code with denser streets and more sprawl; this smaller,
    # coarser variant checks that the situations do not depend on the small size's numbers
    params = demo.Params("coarse", 1.6, 0.8, 30, 400.0, 150, 0.5, 0.5)
    coarse = demo.build(seed=3, size=params)
    # 150 drawn children plus the under-6 gap situation's fixed children (geo.demo_capacity)
    assert len(coarse["children"]) == 150 + len(demo_capacity.UNDER6_IDS)
    assert len(coarse["roads_nodes"]) < 20_000
    for name, frame in coarse.items():
        assert workspace.validate(name, frame) == [], name
    _situation_checks(coarse, metric)
