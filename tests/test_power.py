"""Power sources and slow restoration on the hand-made world (tests/analysis_world.py)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from analysis_world import _pts, node_xy, world
from shapely.geometry import box

from analysis import context, power
from geo import scenario


def _layers():
    layers = world()
    fac = layers["facilities"]
    pp = gpd.GeoDataFrame(
        {
            "facility_id": ["P1"],
            "name": ["道の駅 EV給電"],
            "service": ["power_point"],
            "capacity": pd.array([None], dtype="Int64"),
            "accepts": [None],
            "age_min": pd.array([None], dtype="Int64"),
            "age_max": pd.array([None], dtype="Int64"),
            "has_power": pd.array([True], dtype="boolean"),
            "municipality_code": ["99002"],
            "source": "test",
            "source_date": "2024-04-01",
        },
        geometry=_pts([8]),
        crs="EPSG:4326",
    )
    layers["facilities"] = gpd.GeoDataFrame(pd.concat([fac, pp], ignore_index=True), crs=fac.crs)
    x, y = node_xy(7)
    slow = gpd.GeoDataFrame(
        {
            "hazard_id": ["R1"],
            "hazard_type": ["power_restoration"],
            "level": pd.array([2], dtype="Int64"),
            "label": ["restoration 1 week+"],
            "depth_m": [None],
            "source": ["test"],
        },
        geometry=[box(x - 0.003, y - 0.003, x + 0.003, y + 0.003)],
        crs="EPSG:4326",
    )
    hz = layers["hazards"]
    layers["hazards"] = gpd.GeoDataFrame(pd.concat([hz, slow], ignore_index=True), crs=hz.crs)
    return layers


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(_layers())


def test_sources_are_power_points_powered_facilities_and_shelters(ctx):
    s = power.sources(ctx).set_index("source_id")["kind"].to_dict()
    assert s == {"F1": "facility", "P1": "power_point", "S2": "shelter", "S3": "shelter"}


def test_nearest_power_minutes_by_hand(ctx):
    p = power.nearest_power(ctx).set_index("child_id")
    # c3 @7: the EV point @8 is one edge away, on both networks
    assert p.loc["c3", "power_source_id"] == "P1" and p.loc["c3", "power_minutes"] == 5.0
    assert p.loc["c3", "power_minutes_hazard"] == 5.0
    assert (
        p.loc["c3", "power_restoration_level"] == 2 and p.loc["c1", "power_restoration_level"] == 0
    )
    # c2 lives at the powered shelter S3's node: 0 minutes
    assert p.loc["c2", "power_minutes"] == 0.0


def test_power_points_only_and_the_hazard_detour(ctx):
    p = power.nearest_power(ctx, kinds=["power_point"], hazard_level=2).set_index("child_id")
    # c1 @2 -> P1 @8: 2 -> 5 -> 8 = 10 min; node 5 floods, so 2 -> 1 -> 4 -> 7 -> 8 = 20 min
    assert (p.loc["c1", "power_minutes"], p.loc["c1", "power_minutes_hazard"]) == (10.0, 20.0)
    assert p.loc["c1", "power_source_id_hazard"] == "P1"
    with pytest.raises(ValueError, match="power source kind"):
        power.nearest_power(ctx, kinds=["windmill"])


def test_slow_restoration_list_and_it_closes_no_road(ctx):
    lst = power.slow_restoration_list(ctx)
    assert lst["child_id"].tolist() == ["c3"] and lst["care"].iloc[0] == "suction"
    slow = ctx.hazards[ctx.hazards["hazard_type"] == "power_restoration"]
    assert not scenario.closed_edges(ctx.net, slow, min_level=1).any()
    assert not ctx.exposure("children")["exposed"].iloc[2]  # c3 is in no zone to flee


def test_hazard_minutes_on_the_cch_path_equal_the_dijkstra_ones(monkeypatch):
    # prefecture networks take the CCH-bounded search per source: same rows as the plain one
    from geo import cch, travel

    hazards = world()["hazards"]
    plain = power.nearest_power(context.from_layers(_layers()), hazard_level=2)
    ctx2 = context.from_layers(_layers())
    if not cch.usable(ctx2.net) or not len(hazards):
        pytest.skip("pyroutingkit not installed or travel times not whole milliseconds")
    monkeypatch.setattr(travel, "matrix_engine", lambda net: "cch")
    fast = power.nearest_power(ctx2, hazard_level=2)
    pd.testing.assert_frame_equal(fast, plain)
    assert plain["power_minutes_hazard"].notna().any()


def test_every_child_answer_is_kept_and_callers_get_a_copy(ctx):
    first = power.nearest_power(ctx, hazard_level=2)
    first.insert(1, "municipality_code", "x")  # the disaster page adds a column
    again = power.nearest_power(ctx, hazard_level=2)
    assert "municipality_code" not in again.columns
    pd.testing.assert_frame_equal(again, first.drop(columns="municipality_code"))
    one = power.nearest_power(ctx, hazard_level=2, children=[again["child_id"].iloc[0]])
    pd.testing.assert_frame_equal(one, again.iloc[:1])
