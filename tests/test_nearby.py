"""Coordinator lookup on the hand-made world (tests/analysis_world.py)."""

from __future__ import annotations

import pytest
from analysis_world import node_xy, world

from analysis import context, nearby


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def test_nearby_point_with_care_and_age(ctx):
    lon, lat = node_xy(2)
    r = nearby.nearby(ctx, lat=lat, lon=lon, care=["ventilator"], age=3, minutes=12)
    assert list(zip(r.facility_id, r.minutes, r.basis)) == [
        ("F1", 5.0, "confirmed"),
        ("F2", 10.0, "possible"),
        ("V1", 5.0, "confirmed"),
    ]
    assert r.attrs["exposure"]["flood_level"] == 0
    # an adult is outside F1's 0-18 range; a service filter keeps one service
    r2 = nearby.nearby(
        ctx, lat=lat, lon=lon, care=["ventilator"], age=20, service="short_stay_medical", minutes=12
    )
    assert r2.facility_id.tolist() == ["F2"]


def test_nearby_child_uses_its_care_and_home(ctx):
    r = nearby.nearby(ctx, child_id="c2", service="short_stay_medical")
    assert r.facility_id.tolist() == ["F3", "F2"]
    with pytest.raises(KeyError, match="child_id"):
        nearby.nearby(ctx, child_id="nobody")


def test_compare_side_by_side(ctx):
    a, b = node_xy(2), node_xy(6)
    t = nearby.compare(
        ctx, {"A": (a[1], a[0]), "B": (b[1], b[0])}, care=["ventilator"], age=3, minutes=6
    )
    assert t.loc["医療型短期入所: 最短分", "A"] == 5.0
    assert t.loc["医療型短期入所: 6分以内の件数", "B"] == 0  # F1 15, F2 10 from node 6
    assert t.loc["洪水浸水想定区域", "A"] == "区域外"
    assert t.loc["洪水浸水想定区域", "B"].startswith("レベル3")
    with pytest.raises(ValueError, match="two or more"):
        nearby.compare(ctx, {"A": (a[1], a[0])})


def test_who_covers(ctx):
    lon, lat = node_xy(1)
    w = nearby.who_covers(ctx, lat=lat, lon=lon)
    assert w["level"].tolist() == ["municipality", "圏域", "prefecture"]
    assert w["name"].tolist() == ["西町", "西圏域", "テスト県"]


def test_repeated_answers_and_a_whatif_context(ctx):
    """The per-context arrays (facility columns, compatibility) give the same answer again; a
    what-if context with an added facility answers with it."""
    lon, lat = node_xy(2)
    first = nearby.nearby(ctx, lat=lat, lon=lon, care=["ventilator"], age=3, minutes=12)
    again = nearby.nearby(ctx, lat=lat, lon=lon, care=["ventilator"], age=3, minutes=12)
    assert first.equals(again) and repr(first.attrs) == repr(again.attrs)  # NaN depths
    other = nearby.nearby(ctx, lat=lat, lon=lon, care=["suction"], age=20, minutes=12)
    assert nearby.nearby(ctx, lat=lat, lon=lon, care=["suction"], age=20, minutes=12).equals(other)
    extra = ctx.facilities[ctx.facilities["facility_id"] == "F1"].copy()
    extra["facility_id"] = "new-1"
    whatif = ctx.with_facilities(extra)
    r = nearby.nearby(whatif, lat=lat, lon=lon, care=["ventilator"], age=3, minutes=12)
    assert r.facility_id.tolist() == ["F1", "new-1", "F2", "V1"]
    assert nearby.nearby(ctx, lat=lat, lon=lon, care=["ventilator"], age=3, minutes=12).equals(
        first
    )


def test_age_range_per_distinct_facility_key(ctx):
    import numpy as np

    from analysis import coverage

    fac = ctx.facilities
    fac = fac.iloc[list(range(len(fac))) * 3]  # repeated rows: the same keys again
    for got, ref in zip(nearby._age_range(fac), coverage.facility_age_range(fac), strict=True):
        assert np.array_equal(got, ref, equal_nan=True)
