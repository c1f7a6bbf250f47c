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


def _warm_ctx():
    """A fresh context of the world prepared for CCH lookups (as the app's coordinator page
    does), or a skip when the CCH library is missing."""
    from geo import cch, travel

    if not cch.available():
        pytest.skip("pyroutingkit is not installed")
    warm = context.from_layers(world())
    assert travel.node_times_engine(warm.net, "to_facility") == "dijkstra"  # cold: no metric
    # a travel matrix's metrics are not the lookups' (one query at a time per metric)
    travel.matrix(warm.net, [0], [1], direction="to_home", engine="cch")
    assert travel.node_times_engine(warm.net, "to_home") == "dijkstra"
    nearby.prepare(warm, background=False)
    nearby.prepare(warm, background=False)  # once per network
    assert travel.node_times_engine(warm.net, "to_home") == "cch"
    assert travel.node_times_engine(warm.net, "to_facility") == "cch"
    look = travel._lookup_net(warm.net)
    for d in ("to_home", "to_facility"):  # one topology per direction for lookups and matrices
        assert warm.net.__dict__[f"_cch_topo_{d}"] is look.__dict__[f"_cch_topo_{d}"]
    return warm


def test_node_times_engines_agree():
    import numpy as np

    from geo import travel

    net = _warm_ctx().net
    every = np.arange(net.n_nodes)
    for node in range(net.n_nodes):
        for d in ("to_facility", "to_home"):
            ref = travel.from_node(net, node, direction=d, limit_s=700)[[4, 0, 4]]
            for engine in ("dijkstra", "cch"):
                got = travel.node_times(net, node, [4, 0, 4], direction=d, limit_s=700,
                                        engine=engine)  # fmt: skip
                assert got.tolist() == ref.tolist()
            full = travel.node_times(net, node, every, direction=d, engine="cch")
            assert full.tolist() == travel.from_node(net, node, direction=d).tolist()
    with pytest.raises(ValueError, match="engine"):
        travel.node_times(net, 0, [1], direction="to_home", engine="fast")


def test_nearby_with_a_customised_cch_gives_the_same_rows(ctx, monkeypatch):
    """With a customised metric the facility times come from one CCH query per direction; the
    rows are those of the Dijkstra answer. A minute on a service's limit (a tie the last bits of
    a float sum could break either way) is answered by the Dijkstra."""
    from geo import travel

    warm = _warm_ctx()
    used = []
    real = travel.node_times

    def spy(*args, engine="auto", **kw):
        used.append(travel.node_times_engine(args[0], kw["direction"]) if engine == "auto"
                    else engine)  # fmt: skip
        return real(*args, engine=engine, **kw)

    monkeypatch.setattr(travel, "node_times", spy)
    for osmid in range(1, 10):
        lon, lat = node_xy(osmid)
        for dx in (0.0, 0.0013):  # on a node, and off the road (an access leg)
            for opts in (
                {},
                {"minutes": 10_000},
                {"care": ["ventilator"], "age": 3, "minutes": 12},
            ):
                a = nearby.nearby(ctx, lat=lat + dx, lon=lon + dx, **opts)
                b = nearby.nearby(warm, lat=lat + dx, lon=lon + dx, **opts)
                assert a.equals(b) and repr(a.attrs) == repr(b.attrs)
    assert "cch" in used
    used.clear()
    lon, lat = node_xy(2)  # F2 is 10.0 minutes away: on the limit
    r = nearby.nearby(warm, lat=lat, lon=lon, service="short_stay_medical", minutes=10)
    assert r.minutes.max() == 10.0 and used == ["cch", "dijkstra"]
    assert r.equals(nearby.nearby(ctx, lat=lat, lon=lon, service="short_stay_medical", minutes=10))
