"""Gaps per area on the hand-made world (tests/analysis_world.py), worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_world import world

from analysis import context, gaps


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def _row(g, area, service):
    return g[(g.area_id == area) & (g.service == service)].iloc[0]


def test_area_gaps_by_hand(ctx):
    g = gaps.area_gaps(ctx, role="admin", thresholds={"short_stay_medical": 12}, decay="none")
    w = _row(g, "W", "short_stay_medical")
    e = _row(g, "E", "short_stay_medical")
    assert (w.children, w.covered, w.covered_confirmed, w.facilities, w.capacity) == (
        1,
        1,
        0,
        1,
        2.0,
    )
    assert (e.children, e.covered, e.facilities, e.capacity) == (3, 3, 2, 5.0)
    # c3 (west) is nearest to F2 (east): the west depends on its neighbour
    assert w.nearest_elsewhere == 1 and w.share_elsewhere_pct == 100.0
    assert "depends_on_neighbour" in w["flags"].split(";")
    # 2SFCA by hand: R_F1 = 2/1, R_F2 = 4/4, R_F3 = 1/2
    # A_c1 = 2 + 1 = 3, A_c2 = 0.5 + 1, A_c3 = 1, A_c4 = 1 + 0.5
    assert w.e2sfca_mean == pytest.approx(1.0)
    assert e.e2sfca_mean == pytest.approx((3 + 1.5 + 1.5) / 3)
    vn = _row(g, "W", "visiting_nurse")
    assert vn.facilities == 0 and vn["flags"].split(";")[0] == "no_facility" and vn.severity == 5
    assert g["rank"].tolist() == sorted(g["rank"])
    assert g["severity"].is_monotonic_decreasing


def test_unmet_care_and_low_coverage():
    layers = world()
    fac = layers["facilities"]
    layers["facilities"] = fac[fac.facility_id != "F2"]  # only F1 (vent+suction, 0-18), F3
    c = context.from_layers(layers)
    g = gaps.area_gaps(
        c, role="admin", services=["short_stay_medical"], thresholds={"short_stay_medical": 12}
    )
    w = _row(g, "W", "short_stay_medical")
    # c3 (20, suction) is 10 min from F1 but F1 takes 0-18 only; no care is the reason: age is
    assert w.covered == 0 and w.unmet_care == 0 and "low_coverage" in w["flags"]
    e = _row(g, "E", "short_stay_medical")
    # c4 (no care) reaches F3 in 10; c1 F1 5; c2 F3 5 -> all covered
    assert e.covered == 3 and e.unmet_care == 0
    # make c2 need suction as well: F3 (tube feeding) is within reach but cannot meet it
    kids = layers["children"].copy()
    kids.at[1, "care"] = ["tube_feeding", "suction"]
    layers["children"] = kids
    g2 = gaps.area_gaps(
        context.from_layers(layers),
        role="admin",
        services=["short_stay_medical"],
        thresholds={"short_stay_medical": 6},
    )
    e2 = _row(g2, "E", "short_stay_medical")
    assert e2.unmet_care == 1 and e2["flags"].split(";")[0] == "unmet_care"


def test_planner_output_is_suppressed(ctx):
    import gate
    from gate import publish

    thr = {"short_stay_medical": 12}
    g = gaps.area_gaps(ctx, thresholds=thr)
    services = sorted(set(g["service"]))
    pub = publish.gaps(ctx, services=services, thresholds=thr)
    shown = gate.table(g, "planner", what="gaps", linked=pub)
    # every area has fewer than 10 children: the counts are hidden, flags kept
    assert shown["children"].isna().all() and shown["children_suppressed"].all()
    assert shown["coverage_pct"].isna().all()
    assert (shown["facilities"] >= 0).all() and (shown["severity"] == g["severity"]).all()
    # a planner cannot lower the threshold (ikemap gaps --threshold 1); an admin sees counts
    pub1 = publish.gaps(ctx, services=services, thresholds=thr, threshold=1)
    assert gate.table(g, "planner", what="gaps", linked=pub1)["children"].isna().all()
    assert gate.table(g, "admin", what="gaps", linked=pub1)["children"].notna().all()


def test_breakdown_by_age(ctx):
    b = gaps.breakdown(ctx, service="short_stay_medical", role="admin")
    ch = b["children"]
    assert ch.loc["E", "0-5"] == 2 and ch.loc["E", "6-11"] == 1 and ch.loc["W", "18+"] == 1
    assert ch.loc["計", "計"] == 4
    from gate import publish

    raw = gaps.breakdown(ctx, service="short_stay_medical", by="care")
    pub = publish.gaps(ctx, services=["short_stay_medical"])
    hidden = publish.breakdown(
        pub,
        raw["children"],
        "planner",
        by="care",
        measure="children",
        kind=ctx.default_area_kind(),
        service="short_stay_medical",
    )
    assert pd.isna(hidden.loc["E", "ventilator"])


def test_children_hidden_in_one_service_is_hidden_in_every_service_of_the_same_scope(
    ctx, monkeypatch
):
    # short stay and visiting nursing both count every age: the same children per area
    import gate
    from gate import publish
    from geo import settings

    monkeypatch.setattr(settings, "suppression_threshold", 3)
    thr = {"short_stay_medical": 12}
    raw = gaps.area_gaps(ctx, thresholds=thr)
    pub = publish.gaps(ctx, services=sorted(set(raw["service"])), thresholds=thr)
    g = gate.table(raw, "planner", what="gaps", linked=pub)
    for _, rows in g.groupby("area_id"):
        flags = rows["children_suppressed"].tolist()
        assert all(flags) or not any(flags)
        # children = covered + uncovered cannot give a hidden cell back
        shown = rows[~rows["children_suppressed"]]
        assert not (shown["covered_suppressed"] ^ shown["uncovered_suppressed"]).any()


def test_unknown_capacity_counts_as_the_median_of_its_own_service():
    # F2's capacity unknown: short_stay_medical knows F1 = 2 and F3 = 1 -> 1.5 (the median over
    # every facility, with V1 = 3, would be 2). 2SFCA at 12 minutes by hand:
    # R_F1 = 2/1 (c1), R_F2 = 1.5/4 (c1..c4), R_F3 = 1/2 (c2, c4); A_c3 = R_F2 = 0.375
    layers = world()
    fac = layers["facilities"].copy()
    fac["capacity"] = pd.array([2, None, 1, 3], dtype="Int64")
    layers["facilities"] = fac
    c = context.from_layers(layers)
    assert gaps.capacity_filled(fac).tolist() == [2.0, 1.5, 1.0, 3.0]
    g = gaps.area_gaps(
        c, role="admin", services=["short_stay_medical"], thresholds={"short_stay_medical": 12},
        decay="none",
    )  # fmt: skip
    w = _row(g, "W", "short_stay_medical")
    e = _row(g, "E", "short_stay_medical")
    assert w.e2sfca_mean == pytest.approx(0.375)
    # E: c1 = 2 + 0.375, c2 = 0.5 + 0.375, c4 = 0.375 + 0.5
    assert e.e2sfca_mean == pytest.approx((2.375 + 0.875 + 0.875) / 3)
    # the capacity column stays the known capacity: unknown is never 0 nor infinite there either
    assert e.capacity == 1.0 and e.capacity_unknown_facilities == 1


def test_gap_parameters_are_checked():
    with pytest.raises(ValueError, match="disagree"):
        gaps.outside_limit(max_outside_pct=10, min_coverage_pct=80)
    with pytest.raises(ValueError, match="0 to 100"):
        gaps.outside_limit(max_outside_pct=-1)
    assert gaps.parse_age_band("all") is None and gaps.parse_age_band("6-11") == (6, 11)
    with pytest.raises(ValueError, match="LO-HI"):
        gaps.parse_age_band("baby")
    with pytest.raises(ValueError, match="care_types.csv"):
        gaps.parse_care(["ventilator", "wings"])
