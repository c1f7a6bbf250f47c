"""Evacuation risk on the hand-made world (tests/analysis_world.py), worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_world import world

from analysis import context, evacuation, exposure


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


@pytest.fixture(scope="module")
def ev(ctx):
    return evacuation.evacuation(ctx, hazard_level=2).set_index("child_id")


def test_point_exposure_by_hand(ctx):
    ex = exposure.point_exposure(ctx.children, ctx.hazards)
    assert ex["flood_level"].tolist() == [0, 3, 0, 0]  # only c2 (node 6) is in the square
    assert ex["flood_depth_m"].iloc[1] == 4.0 and ex.index.equals(ctx.children.index)


def test_shelter_choice_and_minutes(ev):
    # S3 sits inside the flood square and is never suitable; S1 has no power
    assert ev.loc["c1", "shelter_id"] == "S2" and ev.loc["c1", "minutes_normal"] == 5.0
    # c3 needs power (suction): S2 is 4 edges away although S1 is next door
    assert ev.loc["c3", "shelter_id"] == "S2" and ev.loc["c3", "minutes_normal"] == 20.0
    assert ev.loc["c3", "primary_shelter_id"] == "S1" and ev.loc["c3", "primary_minutes"] == 5.0
    assert not ev.loc["c3", "primary_has_power"]
    # c4: S2 is 10 min normally but 30 min round the west with the square's roads closed; the
    # recommendation is chosen on the hazard network: S1 at 15 min both ways (9 -> 8 -> 7 -> 4)
    assert ev.loc["c4", "shelter_id"] == "S1"
    assert ev.loc["c4", "minutes_normal"] == ev.loc["c4", "minutes_hazard"] == 15.0
    # the welfare candidate is still shown with its minutes on both networks, to the same shelter
    assert ev.loc["c4", "welfare_shelter_id"] == "S2"
    assert (ev.loc["c4", "welfare_minutes"], ev.loc["c4", "welfare_minutes_hazard"]) == (10, 30)


def test_isolated_child_in_deep_flood(ev):
    assert ev["isolated"].to_dict() == {"c1": False, "c3": False, "c2": True, "c4": False}
    assert ev["cut_off"].to_dict() == {"c1": "", "c3": "", "c2": "in_zone", "c4": ""}
    assert np.isnan(ev.loc["c2", "minutes_hazard"]) and "浸水前" in ev.loc["c2", "hazard_reason"]
    # leave before the water: 5 min to S2 on the normal network (6 -> 3)
    assert ev.loc["c2", "leave_minutes"] == 5.0 and np.isnan(ev.loc["c4", "leave_minutes"])
    assert ev.loc[["c1", "c3", "c4"], "hazard_reason"].eq("").all()
    assert ev.loc["c2", "hazard_type"] == "flood" and ev.loc["c2", "hazard_level"] == 3
    assert ev.loc["c2", "depth_m"] == 4.0


def test_power_and_need(ev):
    assert ev["power_dependent"].to_dict() == {"c1": True, "c3": True, "c2": False, "c4": False}
    assert ev.loc["c1", "high_need"] and not ev.loc["c4", "high_need"]


def test_triage_default_and_flood(ctx, ev):
    assert ev["triage_rank"].sort_values().index.tolist() == ["c1", "c3", "c2", "c4"]
    flood = evacuation.evacuation(ctx, hazard_type="flood").set_index("child_id")
    # hazard rows: ventilator, power-dependent, then the rest by exposure (c2 level 3 first)
    assert flood["triage_rank"].sort_values().index.tolist() == ["c1", "c3", "c2", "c4"]
    assert flood.loc["c4", "care_priority"] == flood.loc["c2", "care_priority"] == 3


def test_triage_table_by_disaster():
    care = [["tube_feeding"], ["suction"], ["ventilator"], ["catheterization"], []]
    p = evacuation.care_priority(care, disaster="earthquake_power_outage")
    assert p.tolist() == [5, 2, 1, 6, 7]
    q = evacuation.care_priority(care, disaster="earthquake_power_water_outage")
    assert q.tolist() == [4, 2, 1, 5, 6]  # water outage raises tube feeding
    r = evacuation.care_priority(care, disaster="landslide")  # falls back to the hazard rows
    assert r.tolist() == [3, 2, 1, 3, 3]
    with pytest.raises(ValueError, match="triage.csv"):
        evacuation.care_priority(care, disaster="volcano_and_meteor")


def test_only_unpowered_nearby():
    layers = world()
    sh = layers["shelters"].copy()
    sh["has_power"] = pd.array([False, False, False], dtype="boolean")
    layers["shelters"] = sh
    ev = evacuation.evacuation(context.from_layers(layers)).set_index("child_id")
    # no shelter has power: power-dependent children have no suitable shelter at all
    assert pd.isna(ev.loc["c1", "shelter_id"]) and ev.loc["c1", "only_unpowered_nearby"]
    assert ev.loc["c4", "shelter_id"] in {"S1", "S2"}


def test_call_list_has_ids_and_no_names(ev):
    cl = evacuation.call_list(ev.reset_index())
    assert cl.columns[0] == "優先順位" and "管理番号" in cl.columns
    assert cl["優先順位"].tolist() == [1, 2, 3, 4]
    assert not any("氏名" in c or c == "name" for c in cl.columns)


# --- tiers, cut-off kinds, depth and duration on variants of the world -------------------------


def _with(**changes):
    layers = world()
    layers.update(changes)
    return layers


def test_shelter_tiers_primary_powered_welfare():
    import geopandas as gpd
    from analysis_world import _pts

    sh = world()["shelters"]
    extra = gpd.GeoDataFrame(
        {
            "shelter_id": ["S4", "S5"],
            "name": ["みなみ特別支援学校", "県立二次避難所"],
            "kind": ["designated_welfare_shelter", "secondary_shelter"],
            "hazards_ok": [["flood"], ["flood"]],
            "has_power": pd.array([True, False], dtype="boolean"),
            "accepts_medical": pd.array([True, True], dtype="boolean"),
            "capacity": pd.array([30, 200], dtype="Int64"),
            "is_school": [True, False],
        },
        geometry=_pts([1, 8]),
        crs="EPSG:4326",
    )
    sh = pd.concat([sh.assign(is_school=[True, True, False]), extra], ignore_index=True)
    ctx = context.from_layers(_with(shelters=gpd.GeoDataFrame(sh, crs="EPSG:4326")))
    ev = evacuation.evacuation(ctx, hazard_level=2).set_index("child_id")
    # c1 @2 ventilator: S4 (designated welfare school @1) and S2 (welfare @3) both 5 min; the
    # primary is the designated shelter S1 @4 (10 min), never a welfare tier
    assert ev.loc["c1", "primary_shelter_id"] == "S1"
    assert ev.loc["c1", "welfare_shelter_id"] in {"S2", "S4"}
    assert ev["primary_shelter_id"].isin(["S1"]).all()
    # c3 @7 suction: the unpowered secondary shelter S5 @8 is not its welfare candidate; the
    # powered school S4 @1 is 10 min (7 -> 4 -> 1), nearer than S2 (20 min)
    assert ev.loc["c3", "welfare_shelter_id"] == "S4" and ev.loc["c3", "welfare_is_school"]
    assert ev.loc["c3", "welfare_minutes"] == 10.0 and ev.loc["c3", "shelter_id"] == "S4"
    assert ev.loc["c3", "powered_shelter_id"] == "S4"
    # c4 @9 walks: its welfare candidate may be the unpowered secondary shelter S5 @8 (5 min)
    assert ev.loc["c4", "welfare_shelter_id"] == "S5" and ev.loc["c4", "welfare_minutes"] == 5.0
    assert ev.loc["c4", "powered_shelter_id"] == "S2"


def test_roads_cut_outside_the_zone_is_not_in_zone():
    import geopandas as gpd
    from analysis_world import node_xy
    from shapely.geometry import box

    def around(n, r=0.002):
        x, y = node_xy(n)
        return box(x - r, y - r, x + r, y + r)

    # small zones on nodes 6 and 8 cut every road out of node 9 (c4), which stays dry
    hz = gpd.GeoDataFrame(
        {
            "hazard_id": ["H6", "H8"],
            "hazard_type": ["flood", "flood"],
            "level": pd.array([2, 2], dtype="Int64"),
            "label": ["0.5-3.0m"] * 2,
            "depth_m": [0.5, 0.5],
            "source": ["test"] * 2,
        },
        geometry=[around(6), around(8)],
        crs="EPSG:4326",
    )
    ev = evacuation.evacuation(context.from_layers(_with(hazards=hz)), hazard_level=2)
    ev = ev.set_index("child_id")
    assert ev.loc["c4", "hazard_level"] == 0 and ev.loc["c4", "cut_off"] == "roads_cut"
    assert ev.loc["c2", "cut_off"] == "in_zone"  # c2 lives on node 6, inside a zone
    assert ev.loc["c4", "isolated"] and np.isnan(ev.loc["c4", "minutes_hazard"])
    assert "寸断" in ev.loc["c4", "hazard_reason"] and "寸断" in ev.loc["c4", "cut_off_ja"]
    # its recommendation is still the nearest on the normal network, with minutes
    assert ev.loc["c4", "minutes_normal"] == 10.0 and np.isnan(ev.loc["c4", "leave_minutes"])


def test_no_suitable_shelter_for_the_hazard():
    ctx = context.from_layers(world())
    ev = evacuation.evacuation(ctx, hazard_type="landslide").set_index("child_id")
    # no shelter is designated for landslides
    assert ev["cut_off"].eq("no_shelter").all() and ev["shelter_id"].isna().all()
    assert ev["hazard_reason"].eq("適した避難所なし").all() and not ev["isolated"].any()
    assert ev["no_suitable_within"].all()


def test_no_suitable_within_and_only_unpowered_nearby():
    ctx = context.from_layers(world())
    ev = evacuation.evacuation(ctx, suitable_max_minutes=9, nearby_minutes=6)
    ev = ev.set_index("child_id")
    # c3 (suction, @7): the powered S2 is 20 min away; S1 (unpowered) 5 min
    assert ev.loc["c3", "no_suitable_within"] and ev.loc["c3", "only_unpowered_nearby"]
    assert not ev.loc["c1", "no_suitable_within"]  # S2 is 5 min from c1


def _banded():
    import geopandas as gpd
    from shapely.geometry import box

    # deep band (3-5 m) on the square; a level-0 duration zone (3 days+) over node 6 only
    return gpd.GeoDataFrame(
        {
            "hazard_id": ["H1", "D1"],
            "hazard_type": ["flood", "flood"],
            "level": pd.array([3, 0], dtype="Int64"),
            "label": ["3.0-5.0m", "浸水継続時間 3日以上1週間未満"],
            "depth_m": [3.0, None],
            "source": ["test", "test"],
            "depth_min_m": [3.0, None],
            "depth_max_m": [5.0, None],
            "duration_h": [None, 72.0],
        },
        geometry=[box(139.005, 35.005, 139.025, 35.015), box(139.015, 35.005, 139.025, 35.015)],
        crs="EPSG:4326",
    )


def test_depth_band_and_duration_filters():
    ctx = context.from_layers(_with(hazards=_banded()))
    ev = evacuation.evacuation(ctx, hazard_type="flood").set_index("child_id")
    assert (ev.loc["c2", "depth_min_m"], ev.loc["c2", "depth_max_m"]) == (3.0, 5.0)
    assert ev.loc["c2", "depth_m"] == 3.0 and ev.loc["c2", "duration_h"] == 72.0
    assert np.isnan(ev.loc["c1", "duration_h"]) and ev.loc["c1", "hazard_level"] == 0
    deep = evacuation.evacuation(ctx, hazard_type="flood", depth_min=3.0)
    assert deep["child_id"].tolist() == ["c2"] and deep["triage_rank"].tolist() == [1]
    assert len(evacuation.evacuation(ctx, hazard_type="flood", depth_min=3.5)) == 0
    long = evacuation.evacuation(ctx, hazard_type="flood", duration_min=48)
    assert long["child_id"].tolist() == ["c2"]
    with pytest.raises(ValueError, match="--depth-min"):
        evacuation.filter_rows(ev, depth_min=-1)


def test_duration_zone_alone_is_not_exposure_and_closes_no_road():
    from geo import scenario

    hz = _banded().iloc[[1]]
    ctx = context.from_layers(_with(hazards=hz))
    assert not scenario.closed_edges(ctx.net, hz, min_level=0).any()
    ex = exposure.point_exposure(ctx.children, hz)
    assert ex["flood_level"].tolist() == [0, 0, 0, 0] and not ex["exposed"].any()
    assert ex["flood_duration_h"].iloc[1] == 72.0


def test_no_shelters_and_no_hazards_still_answer():
    layers = world()
    layers.pop("shelters")
    layers.pop("hazards")
    ev = evacuation.evacuation(context.from_layers(layers)).set_index("child_id")
    assert ev["cut_off"].eq("no_shelter").all() and ev["shelter_id"].isna().all()
    assert not ev["exposed"].any() and ev["hazard_reason"].eq("適した避難所なし").all()


def test_child_ids_fast_path_gives_the_same_rows(ctx, ev):
    one = evacuation.evacuation(ctx, hazard_level=2, child_ids=["c4", "c2"]).set_index("child_id")
    assert sorted(one.index) == ["c2", "c4"]
    cols = ["triage_rank", "shelter_id", "minutes_normal", "minutes_hazard", "cut_off"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(one.loc[["c2", "c4"], cols]), pd.DataFrame(ev.loc[["c2", "c4"], cols])
    )


def test_hazard_network_on_the_shared_cch_topology_equals_dijkstra():
    # the hazard network (same nodes, closed arcs dropped) is answered on the whole network's
    # CCH with the closed arcs at infinity: every time equals the Dijkstra reference
    from geo import cch, network, travel

    if not cch.available():
        pytest.skip("pyroutingkit not installed")
    rng = np.random.default_rng(7)
    n, m = 120, 480
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(1, 90_000, m) / 1000.0  # whole milliseconds, many near ties
    net = network.network_from_arrays(
        node_ids=np.arange(n),
        lon=139 + rng.random(n) / 100,
        lat=35 + rng.random(n) / 100,
        u=u,
        v=v,
        travel_time=w,
    )
    keep = rng.random(net.n_edges) > 0.25
    keep[: net.n_edges // 3] = True  # some runs of kept arcs, some of closed ones
    flooded = net.subset_edges(keep)
    assert cch.share_topology(flooded, net)
    assert np.array_equal(flooded.__dict__["_cch_parent"][1], keep)
    sources, targets = rng.integers(0, n, 17), rng.integers(0, n, 60)
    off, toff = rng.integers(0, 5000, 17) / 1000.0, rng.integers(0, 3000, 60) / 1000.0
    for direction in ("to_facility", "to_home"):
        kw = {"direction": direction, "offsets_s": off, "target_offsets_s": toff}
        got = travel.dense(travel.matrix(flooded, sources, targets, engine="cch", **kw))
        ref = travel.dense(travel.matrix(flooded, sources, targets, engine="dijkstra", **kw))
        assert np.isinf(ref).any() and np.isfinite(ref).any()
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
    assert "_cch_topo_to_facility" not in flooded.__dict__  # no topology of its own
    # a network with an arc the whole network lacks is not linked
    bad = network.network_from_arrays(
        node_ids=np.arange(n), lon=net.lon, lat=net.lat, u=[0], v=[1], travel_time=[123.457]
    )
    assert not cch.share_topology(bad, net) and "_cch_parent" not in bad.__dict__


def test_nearest_shelter_ties_go_to_the_first_shelter():
    t = np.array([[5.0, 3.0, 3.0, np.inf], [np.inf, np.inf, np.inf, np.inf]])
    cand = np.array([2, 4, 7, 9])
    got_t, got_p = evacuation._nearest_in(t, np.array([1, 2, 3]), cand)
    assert got_t.tolist() == [3.0, np.inf] and got_p.tolist() == [4, -1]
    got_t, got_p = evacuation._nearest_in(t, np.array([], dtype=int), cand)
    assert np.isinf(got_t).all() and got_p.tolist() == [-1, -1]


def test_a_second_call_reuses_the_shelter_matrices(ctx, ev):
    # another triage table (the disaster page) reads the matrices kept on the context
    keys = [k for k in ctx._cache if k[0] == "evacuation_times"]
    assert keys
    again = evacuation.evacuation(ctx, hazard_level=2, disaster="earthquake_power_outage")
    assert [k for k in ctx._cache if k[0] == "evacuation_times"] == keys
    again = again.set_index("child_id").loc[ev.index]
    for col in ("shelter_id", "minutes_normal", "minutes_hazard", "cut_off"):
        pd.testing.assert_series_equal(again[col], ev[col])


@pytest.mark.parametrize("ids", [["c4", "c2"], ["c1"], ["c3", "c1", "c2", "c4"]])
def test_child_ids_on_a_fresh_context_give_the_same_rows(ev, ids):
    # no matrices kept yet: the children asked for get matrix rows, the others reachability
    fresh = context.from_layers(world())
    one = evacuation.evacuation(fresh, hazard_level=2, child_ids=ids).set_index("child_id")
    assert not [k for k in fresh._cache if k[0] == "evacuation_times"]
    cols = [c for c in ev.columns if c != "geometry"]
    # same values (a bool column may stay object: the other children carry no shelter here)
    pd.testing.assert_frame_equal(
        pd.DataFrame(one.loc[ids, cols]), pd.DataFrame(ev.loc[ids, cols]), check_dtype=False
    )
