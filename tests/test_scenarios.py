"""Brief §8 acceptance scenarios 1-8, 11 and 13 and the demo's built-in situations.

Built on the demo workspace (``demo_path`` fixture, seed 42); the situations are looked up through
``geo.demo.SITUATIONS`` so they are found by id, not hard-coded here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import context, coverage, evacuation, gaps, nearby, report

SS = "short_stay_medical"
#: Suction and high flow, with the respiratory care that goes with them (data/triage.csv).
RESPIRATORY = {"suction", "nasal_high_flow", "tracheostomy", "oxygen"}


@pytest.fixture(scope="module")
def demo():
    from geo import demo

    return demo


@pytest.fixture(scope="module")
def ctx(demo_path):
    return context.load(demo_path)


@pytest.fixture(scope="module")
def kind(demo):
    return demo.SITUATION_AREA_KIND


@pytest.fixture(scope="module")
def ev_flood(ctx):
    return evacuation.evacuation(ctx, hazard_type="flood", hazard_level=3)


# --- built-in situations ----------------------------------------------------------------------


def test_area_without_short_stay_is_flagged_first(ctx, demo, kind):
    g = gaps.area_gaps(ctx, area_kind=kind, role="admin", services=[SS])
    area = demo.SITUATIONS["area_without_short_stay"]
    row = g[g.area_id == area].iloc[0]
    assert row["facilities"] == 0 and row["flags"].split(";")[0] == "no_facility"
    assert row["rank"] == g[g["flags"].str.contains("no_facility")]["rank"].min() or (
        row["severity"] == g["severity"].max()
    )


def test_border_facility_is_what_the_area_depends_on(ctx, demo, kind):
    fid, area = demo.SITUATIONS["border_facility"]
    g = gaps.area_gaps(ctx, area_kind=kind, role="admin", services=[SS])
    row = g[g.area_id == area].iloc[0]
    assert "depends_on_neighbour" in row["flags"].split(";")
    ca = coverage.child_access(ctx, services=[SS], k=1)
    in_area = ctx.area_of("children", kind=kind)
    ids = set(ctx.children.loc[in_area == area, "child_id"])
    nearest = ca[ca.child_id.isin(ids)]["facility_id"].value_counts()
    assert nearest.index[0] == fid


def test_remote_village_is_beyond_60_minutes(ctx, demo):
    code = demo.SITUATIONS["remote_village"]
    ca = coverage.child_access(ctx, services=[SS], k=1)
    kids = ctx.children[ctx.municipality_of("children") == code]
    rows = ca[ca.child_id.isin(kids["child_id"])]
    assert len(rows) > 0
    assert (rows["minutes"].fillna(np.inf) > 60).all() and not rows["covered"].any()


def test_ventilator_children_in_deep_flood_and_the_cut_off_one(ev_flood, demo):
    ev = ev_flood.set_index("child_id")
    ids = list(demo.SITUATIONS["ventilator_in_deep_flood"])
    assert (ev.loc[ids, "flood_level"] >= 3).all() and ev.loc[ids, "power_dependent"].all()
    cut = demo.SITUATIONS["cut_off_child"]
    assert ev.loc[cut, "isolated"]
    others = [i for i in ids if i != cut]
    assert not ev.loc[others, "isolated"].any()
    assert ev.loc[others, "minutes_hazard"].notna().all()


def test_welfare_shelter_without_power_is_never_sent_a_power_dependent_child(ev_flood, demo):
    sid = demo.SITUATIONS["welfare_shelter_without_power"]
    pd_children = ev_flood[ev_flood.power_dependent]
    assert sid not in set(pd_children["shelter_id"].dropna())


# --- brief §8 scenarios -------------------------------------------------------------------------


def test_s1_ventilator_users_in_flood_first_with_powered_shelter(ev_flood):
    deep = ev_flood[(ev_flood["flood_level"] >= 2) & ev_flood.power_dependent]
    assert len(deep) > 0
    order = deep.sort_values("triage_rank")
    vent = order["care"].str.split(";").map(lambda c: "ventilator" in c).to_numpy()
    # every ventilator user comes before every other power-dependent child
    assert not np.any(np.diff(vent.astype(int)) > 0)
    chosen = deep[deep["shelter_id"].notna()]
    assert chosen["shelter_has_power"].astype(bool).all()
    assert (chosen["minutes_normal"] > 0).all()


def test_s2_ward_report_by_hazard_type(ctx):
    t = evacuation.hazard_summary(ctx, by="municipality", role="admin")
    types = [c for c in ("flood", "landslide", "tsunami") if c in t.columns]
    assert "flood" in types and len(t) == len(ctx.municipalities)
    # a municipality without a map of a type has NA there, not 0
    for ty in types:
        assert t.loc[~t[f"{ty}_mapped"], ty].isna().all()
    assert (t["no_plan"] <= t["children"]).all()
    import gate
    from gate import publish

    planner = gate.table(
        evacuation.hazard_summary(ctx),
        "planner",
        what="hazards",
        linked=publish.hazards(ctx),
        kind="municipality",
        unit="unit",
    )
    vals = planner["children"].dropna().astype(int)
    assert ((vals == 0) | (vals >= 10)).all()


@pytest.mark.parametrize("disaster", ["earthquake_power_outage", "earthquake_power_water_outage"])
def test_s3_triage_call_list(ctx, disaster):
    ev = evacuation.evacuation(ctx, disaster=disaster).sort_values("triage_rank")
    care = ev["care"].str.split(";")
    tier = np.select(
        [
            care.map(lambda c: "ventilator" in c),
            care.map(lambda c: bool(RESPIRATORY & set(c))),
        ],
        [0, 1],
        2,
    )
    assert not np.any(np.diff(tier) < 0)
    cl = evacuation.call_list(ev)
    assert cl["優先順位"].tolist() == list(range(1, len(ev) + 1))


def test_s4_two_stage_shelters_for_high_need(ev_flood):
    high = ev_flood[ev_flood.high_need]
    assert len(high) > 0
    assert high["primary_shelter_id"].notna().mean() > 0.5
    assert high["welfare_shelter_id"].notna().any()
    assert ev_flood["only_unpowered_nearby"].dtype == bool


def _some_point(ctx):
    fac = ctx.facilities[ctx.facilities.service == "visiting_nurse"].iloc[0]
    return fac.geometry.y, fac.geometry.x


def test_s5_nicu_discharge(ctx):
    lat, lon = _some_point(ctx)
    care = ["tracheostomy", "suction"]
    services = ["visiting_nurse", SS, "child_development"]
    r = nearby.nearby(ctx, lat=lat, lon=lon, care=care, age=0, minutes=30, service=services)
    assert len(r) > 0 and (r["minutes"] <= 30).all()
    assert r.groupby("service")["minutes"].apply(lambda m: m.is_monotonic_increasing).all()
    fac = ctx.facilities.set_index("facility_id")
    for fid in r.facility_id:
        acc = fac.loc[fid, "accepts"]
        assert acc is None or set(care) <= set(acc)
    assert "flood_level" in r.attrs["exposure"]


def test_s6_relocation_comparison(ctx):
    pts = ctx.children.geometry.iloc[:3]
    t = nearby.compare(ctx, {k: (p.y, p.x) for k, p in zip("ABC", pts)})
    assert list(t.columns) == ["A", "B", "C"] and "到達できるサービス数" in t.index


def test_s7_short_stay_gaps_ranked(ctx, kind):
    g = gaps.area_gaps(ctx, area_kind=kind, role="admin", services=[SS], min_coverage_pct=90)
    flagged = g[g.severity > 0]
    assert len(flagged) > 0 and flagged["severity"].is_monotonic_decreasing
    low = g[g["coverage_pct"] < 90]
    assert low["flags"].str.contains("low_coverage").all()


def test_s8_age_0_5_respite_loss(ctx, kind):
    t = gaps.age_filter_loss(ctx, service=SS, area_kind=kind, role="admin")
    assert (t["loss"] >= 0).all() and (t["covered_all_ages"] >= t["covered"]).all()


def test_s11_who_covers(ctx):
    lat, lon = _some_point(ctx)
    w = nearby.who_covers(ctx, lat=lat, lon=lon)
    assert w["level"].iloc[0] == "municipality" and w["level"].iloc[-1] == "prefecture"
    assert len(w) >= 3


def test_s13_small_cells_suppressed(ctx, kind, tmp_path):
    import gate
    from gate import publish

    pub = publish.gaps(ctx, services=[SS])  # what a planner sees goes through the gate
    g = gate.table(
        gaps.area_gaps(ctx, area_kind=kind, services=[SS]), "planner", what="g", linked=pub
    )
    for c in gaps.COUNT_COLUMNS:
        v = g[c].dropna().astype(int)
        assert ((v == 0) | (v >= 10)).all()
    raw = gaps.breakdown(ctx, by="care", service=SS, area_kind=kind)["children"]
    b = publish.breakdown(pub, raw, "planner", by="care", measure="children", kind=kind, service=SS)
    vals = pd.to_numeric(b.stack(), errors="coerce").dropna().astype(int)
    assert ((vals == 0) | (vals >= 10)).all()
    html = report.write(ctx, tmp_path / "r.html").read_text(encoding="utf-8")
    assert not any(cid in html for cid in ctx.children["child_id"])
