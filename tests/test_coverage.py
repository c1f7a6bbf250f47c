"""Coverage per child on the hand-made 3x3 world (see tests/analysis_world.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from analysis_world import node_xy, world
from shapely.geometry import Point

from analysis import context, coverage


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def test_compatibility_by_hand():
    m = coverage.compatibility(
        [["ventilator"], ["tube_feeding"], ["suction"], []],
        [3, 10, 20, 5],
        [["ventilator", "suction"], None, ["tube_feeding"]],
        [0, np.nan, np.nan],
        [18, np.nan, np.nan],
    )
    assert m.tolist() == [[2, 1, 0], [0, 1, 2], [0, 1, 0], [2, 2, 2]]


def test_groups_share_one_pass():
    m = np.array([[2, 1, 0], [2, 2, 0], [0, 0, 0], [1, 1, 0]])
    g = coverage.groups(m)
    assert [(f.tolist(), c.tolist()) for f, c in g] == [([0, 1], [0, 1, 3])]


def test_child_access_rows_by_hand(ctx):
    ca = coverage.child_access(ctx, k=3, thresholds={"short_stay_medical": 12})
    ss = ca[ca.service == "short_stay_medical"]
    got = {(r.child_id, r.rank): (r.facility_id, r.minutes, r.basis) for r in ss.itertuples()}
    assert got == {
        ("c1", 1): ("F1", 5.0, "confirmed"),
        ("c1", 2): ("F2", 10.0, "possible"),
        ("c2", 1): ("F3", 5.0, "confirmed"),
        ("c2", 2): ("F2", 10.0, "possible"),
        ("c3", 1): ("F2", 5.0, "possible"),
        ("c4", 1): ("F2", 5.0, "confirmed"),
        ("c4", 2): ("F3", 10.0, "confirmed"),
        ("c4", 3): ("F1", 20.0, "confirmed"),
    }
    per = ss.groupby("child_id").first()
    assert per["n_within"].to_dict() == {"c1": 2, "c2": 2, "c3": 1, "c4": 2}
    assert per["covered"].all()
    assert per["covered_confirmed"].to_dict() == {"c1": True, "c2": True, "c3": False, "c4": True}
    # the numbers re-check on the road layers: node ids and road seconds
    r = ss[(ss.child_id == "c4") & (ss["rank"] == 3)].iloc[0]
    assert (r.child_node, r.facility_node, r.network_s) == (9, 1, 1200.0)
    assert list(ca.columns[:12]) == [
        "child_id",
        "service",
        "rank",
        "facility_id",
        "minutes",
        "network_s",
        "access_s",
        "child_node",
        "facility_node",
        "covered",
        "n_within",
        "basis",
    ]


def test_visiting_nurse_is_searched_from_the_station(ctx):
    ca = coverage.child_access(ctx, k=1, services=["visiting_nurse"])
    assert ca.set_index("child_id")["minutes"].to_dict() == {
        "c1": 5.0,
        "c2": 5.0,
        "c3": 10.0,
        "c4": 10.0,
    }


def test_unreachable_child_gets_one_empty_row():
    layers = world()
    fac = layers["facilities"]
    layers["facilities"] = fac[fac.facility_id.isin(["F1", "V1"])]
    ca = coverage.child_access(context.from_layers(layers), services=["short_stay_medical"])
    r = ca[ca.child_id == "c3"]  # F1 takes 0-18 only
    assert len(r) == 1 and pd.isna(r.iloc[0]["facility_id"])
    assert np.isnan(r.iloc[0]["minutes"]) and not r.iloc[0]["covered"]
    assert r.iloc[0]["n_within"] == 0


def test_access_legs_are_added():
    layers = world()
    kids = layers["children"].copy()
    x, y = node_xy(2)
    # 0.001 deg north of node 2: about 111 m at 20 km/h access speed
    kids.loc[0, "geometry"] = Point(x, y + 0.001)
    layers["children"] = kids
    c = context.from_layers(layers)
    ca = coverage.child_access(c, k=1, services=["short_stay_medical"])
    r = ca[ca.child_id == "c1"].iloc[0]
    assert r.network_s == 300.0
    assert r.access_s == pytest.approx(c.snaps["children"].loc[0, "access_s"])
    assert r.minutes == pytest.approx((300.0 + r.access_s) / 60)


@pytest.mark.parametrize("thresholds", [(4, 6, 12, 25), (1, 5, 10, 30)])
def test_coverage_never_falls_when_threshold_grows(ctx, thresholds):
    prev = -1
    for t in thresholds:
        ca = coverage.child_access(
            ctx, services=["short_stay_medical"], thresholds={"short_stay_medical": t}
        )
        n = ca.groupby("child_id")["covered"].first().sum()
        assert n >= prev
        prev = n


def test_coverage_never_falls_when_a_facility_is_added(ctx):
    before = coverage.child_access(
        ctx, services=["short_stay_medical"], thresholds={"short_stay_medical": 4}
    )
    new = gpd.GeoDataFrame(
        {"facility_id": ["N1"], "name": ["新"], "service": ["short_stay_medical"]},
        geometry=[Point(node_xy(7))],
        crs="EPSG:4326",
    )
    after = coverage.child_access(
        ctx.with_facilities(new),
        services=["short_stay_medical"],
        thresholds={"short_stay_medical": 4},
    )
    b = before.groupby("child_id")["covered"].first()
    a = after.groupby("child_id")["covered"].first()
    assert (a >= b).all()
    assert not b["c3"] and a["c3"]  # the new site (accepts unknown) sits on c3's node


def test_matrix_and_grouped_passes_agree(ctx):
    for s in ("short_stay_medical", "visiting_nurse"):
        a = coverage.service_pass(ctx, s, threshold_s=720, method="matrix")
        b = coverage.service_pass(ctx, s, threshold_s=720, method="groups")
        assert np.array_equal(a.time_s, b.time_s) and np.array_equal(a.fac_pos, b.fac_pos)
        pa = sorted(zip(a.pair_child, a.pair_fac, a.pair_time_s))
        pb = sorted(zip(b.pair_child, b.pair_fac, b.pair_time_s))
        assert pa == pb


def test_bounded_matrix_with_remainder_equals_grouped_passes(monkeypatch):
    # force the prefecture path: the matrix is bounded by the largest threshold of the
    # direction, children short of k inside it are finished by grouped k-nearest passes
    monkeypatch.setattr(coverage, "MATRIX_MAX_CELLS", 0)
    monkeypatch.setattr(coverage, "_direction_limit", lambda ctx, d, thr: thr)
    c = context.from_layers(world())
    for s in ("short_stay_medical", "visiting_nurse"):
        a = coverage.service_pass(c, s, k=3, threshold_s=400, method="matrix")
        assert a.n_remainder > 0  # some children have < k compatible sites within 400 s
        b = coverage.service_pass(c, s, k=3, threshold_s=400, method="groups")
        assert np.array_equal(a.time_s, b.time_s) and np.array_equal(a.fac_pos, b.fac_pos)
        pa = sorted(zip(a.pair_child, a.pair_fac, a.pair_time_s))
        pb = sorted(zip(b.pair_child, b.pair_fac, b.pair_time_s))
        assert pa == pb
        assert a.n_capped == 0


def test_within_lists_are_not_capped(monkeypatch):
    # with k_max = 1 the grouped passes cap the lists; the matrix lists every pair
    from geo import settings

    monkeypatch.setattr(settings, "k_max", 1)
    c = context.from_layers(world())
    a = coverage.service_pass(c, "short_stay_medical", threshold_s=3600, method="matrix")
    b = coverage.service_pass(c, "short_stay_medical", threshold_s=3600, method="groups")
    assert a.n_capped == 0 and b.n_capped > 0
    assert len(a.pair_child) > len(b.pair_child)
    n_ok = (a.compat > 0).sum(axis=1)
    assert np.array_equal(np.bincount(a.pair_child, minlength=len(a.children)), n_ok)


def test_progress_reports_services_and_searches():
    c = context.from_layers(world())
    seen = []
    coverage.child_access(
        c,
        services=["short_stay_medical", "visiting_nurse"],
        progress=lambda step, steps, done, total: seen.append((step, steps, done, total)),
    )
    assert seen[0] == (1, 2, 0, 0)
    # step 1 searches every service's facilities, one batch per direction: the three
    # short-stay sites (to the facility) and the one visiting-nurse station (to the home)
    assert (1, 2, 3, 3) in seen and (1, 2, 1, 1) in seen
    assert seen[-1] == (2, 2, 0, 0)
