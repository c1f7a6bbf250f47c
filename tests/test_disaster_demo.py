"""The disaster officer's demo situations (geo.demo_disaster.SITUATIONS) and the analysis contract
on the seed-42 demo: depth bands as data, tiers, the two cut-off kinds, minutes to the same shelter.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis import context, evacuation
from geo import demo, demo_disaster

SIT = demo_disaster.SITUATIONS


@pytest.fixture(scope="module")
def ctx(demo_path):
    return context.load(demo_path)


@pytest.fixture(scope="module")
def ev(ctx):
    return evacuation.evacuation(ctx, hazard_level=2)


def test_depth_m_is_the_band_lower_bound_everywhere(ctx):
    hz = ctx.hazards
    banded = hz[hz["depth_min_m"].notna()]
    assert len(banded) and (banded["depth_m"] == banded["depth_min_m"]).all()
    open_or_wider = banded["depth_max_m"].isna() | (banded["depth_max_m"] > banded["depth_min_m"])
    assert open_or_wider.all()
    flood = hz[hz["hazard_type"] == "flood"]
    assert (flood.loc[flood["level"] >= 3, "duration_h"] >= 168).all()


def test_powered_shelter_beats_the_welfare_shelter(ev):
    child, sid = SIT["powered_beats_welfare"]
    row = ev.set_index("child_id").loc[child]
    assert row["powered_shelter_id"] == sid and row["powered_beats_welfare"]
    assert row["powered_minutes"] < row["welfare_minutes"]
    # a ventilator user is not sent far past the powered shelter at the door
    assert row["shelter_id"] == sid and row["minutes_hazard"] == pytest.approx(
        row["powered_minutes_hazard"]
    )


def test_long_duration_flood_child(ctx):
    child = SIT["long_duration_flood"]
    long = evacuation.evacuation(ctx, hazard_type="flood", hazard_level=3, duration_min=168)
    row = long.set_index("child_id").loc[child]
    assert row["duration_h"] >= 168 and row["cut_off"] == "" and np.isfinite(row["minutes_hazard"])
    assert (long["duration_h"] >= 168).all() and long["triage_rank"].tolist() == list(
        range(1, len(long) + 1)
    )


def test_slow_power_restoration_village(ctx):
    code, child = SIT["slow_power_restoration"]
    ex = ctx.exposure("children")
    kids = ctx.children.reset_index(drop=True)
    i = kids.index[kids["child_id"] == child][0]
    assert ex["power_restoration_level"].iloc[i] == 2
    assert ctx.municipality_of("children").iloc[i] == code
    # the restoration area is not a zone to evacuate from: it closes no road, exposes nobody
    assert ex["exposed"].iloc[i] == (ex["max_level"].iloc[i] > 0)


def test_two_cut_off_kinds_are_apart(ev):
    level = 2
    in_zone = ev[ev["cut_off"] == "in_zone"]
    roads = ev[ev["cut_off"] == "roads_cut"]
    assert len(in_zone) > 0 and (in_zone["hazard_level"] >= level).all()
    assert (roads["hazard_level"] < level).all()
    assert in_zone["leave_minutes"].notna().all() and roads["leave_minutes"].isna().all()
    assert demo.SITUATIONS["cut_off_child"] in set(in_zone["child_id"])
    assert (ev["isolated"] == ev["cut_off"].isin(["in_zone", "roads_cut"])).all()


def test_hazard_minutes_are_to_the_recommended_shelter_or_have_a_reason(ev):
    has = ev["shelter_id"].notna()
    empty = ev["minutes_hazard"].isna()
    assert (ev.loc[has & empty, "hazard_reason"] != "").all()
    assert (ev.loc[~empty, "hazard_reason"] == "").all()
    # the call list's first ranks: minutes to the shelter they are told, or the reason
    top = ev.sort_values("triage_rank").head(5)
    assert (top["minutes_hazard"].notna() | (top["hazard_reason"] != "")).all()


def test_primary_is_never_a_welfare_tier(ctx, ev):
    kinds = ctx.shelters.set_index("shelter_id")["kind"]
    prim = ev["primary_shelter_id"].dropna()
    assert set(kinds.loc[prim]) == {"designated_shelter"}
    welf = ev["welfare_shelter_id"].dropna()
    assert set(kinds.loc[welf]) <= set(evacuation.WELFARE_KINDS)


def test_depth_filter_keeps_whole_bands(ctx):
    deep = evacuation.evacuation(ctx, hazard_type="flood", hazard_level=3, depth_min=3.0)
    assert len(deep) > 0 and (deep["depth_min_m"] >= 3.0).all()
    ids = set(demo.SITUATIONS["ventilator_in_deep_flood"])
    assert ids <= set(deep["child_id"])


def test_routes_agree_with_the_engine_and_avoid_closed_roads(ctx, ev):
    from analysis import routes
    from geo import scenario

    ids = ev.sort_values("triage_rank")["child_id"].head(12).tolist()
    r = routes.routes(ctx, ev, child_ids=ids, hazard_level=2).set_index("child_id")
    e = ev.set_index("child_id").loc[ids]
    ok = r["status"] == "ok"
    assert ok.any() and (r.loc[~ok, "status"].isin(["in_zone", "roads_cut", "no_route"])).all()
    # a route on the flooded network takes exactly the engine's minutes to the same shelter
    assert np.allclose(r.loc[ok, "minutes"], e.loc[r.index[ok], "minutes_hazard"], atol=1e-6)
    assert (r.loc[ok, "shelter_id"] == e.loc[r.index[ok], "shelter_id"]).all()
    cut = r[r["status"] == "in_zone"]
    assert (cut["cut_by"] != "").all() or len(cut) == 0
    closed = scenario.closed_edges(ctx.net, ctx.hazards, min_level=2)
    assert closed.any()
