"""Gaps, capacity and E2SFCA on the seed-42 demo: its situations and a PySAL reference.

The demo is built fresh (conftest ``demo_path``), with the situations of geo/demo_capacity.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import capacity, context, coverage, gaps
from geo import codes, demo_capacity

SS = "short_stay_medical"
KIND = "障害保健福祉圏域"


@pytest.fixture(scope="module")
def ctx(demo_path):
    return context.load(demo_path)


@pytest.fixture(scope="module")
def table(ctx):
    return gaps.child_table(ctx, area_kind=KIND)


def _row(g, area):
    return g[g["area_id"] == area].iloc[0]


def test_under6_gap_is_revealed_by_the_0_5_filter(ctx):
    area, fid, ids = demo_capacity.SITUATIONS["under6_gap"]
    kids = ctx.children.set_index("child_id")
    assert (kids.loc[list(ids), "age"] <= 5).all()
    every = gaps.area_gaps(ctx, area_kind=KIND, role="admin", services=[SS])
    young = gaps.area_gaps(ctx, area_kind=KIND, role="admin", services=[SS], age_band="0-5")
    a, y = _row(every, area), _row(young, area)
    # the 6+ short stay is within reach of them, no provider accepting their age is
    assert a.age_limit_loss >= len(ids) and y.age_limit_loss >= len(ids)
    assert "low_coverage" not in a["flags"].split(";")
    assert "low_coverage" in y["flags"].split(";")
    assert y.coverage_pct < 100 - young["max_outside_pct"].iloc[0]
    assert set(young["age_band"]) == {"0-5"} and set(every["age_band"]) == {"all"}
    # the same through the scenario-8 table
    loss = gaps.age_filter_loss(ctx, service=SS, area_kind=KIND, role="admin")
    assert loss.set_index("area_id").loc[area, "loss"] >= len(ids)
    ages_ok = ctx.facilities.set_index("facility_id").loc[fid, "age_min"]
    assert int(ages_ok) == 6


def test_full_facility_leaves_children_within_reach_without_a_place(ctx, table):
    fid, area = demo_capacity.SITUATIONS["full_facility"]
    load = capacity.facility_load(ctx, service=SS).set_index("facility_id")
    assert load.loc[fid, "full"] and load.loc[fid, "placed"] == load.loc[fid, "places"]
    t = table[(table["service"] == SS) & (table["area_id"] == area)]
    assert (t["status"] == "no_place").sum() > 0
    assert (t["status"] == "placed").sum() > 0
    # no place although within reach: the nearest compatible facility of some of them is fid
    sp = coverage.service_pass(ctx, SS)
    near = coverage.summary(sp).set_index("child")["nearest"]
    fac_pos = int(np.flatnonzero(ctx.facilities["facility_id"].to_numpy() == fid)[0])
    no_place = t[t["status"] == "no_place"]["child"]
    assert (near.reindex(no_place) == fac_pos).any()
    g = gaps.area_gaps(ctx, area_kind=KIND, role="admin", services=[SS])
    r = _row(g, area)
    assert r.no_place > 0 and "no_place" in r["flags"].split(";")
    assert r.placed + r.no_place + r.capacity_unknown == r.covered


def _reference(sp, fac, capacity_of, decay):
    """E2SFCA through PySAL access with an independent capacity fill."""
    from access import Access

    dem = pd.DataFrame({"demand": 1.0}, index=pd.Index(np.arange(len(sp.children)), name="c"))
    sup = pd.DataFrame({"cap": capacity_of}, index=pd.Index(np.arange(len(fac)), name="f"))
    cost = pd.DataFrame({"origin": sp.pair_child, "dest": sp.pair_fac, "cost": sp.pair_time_s})
    d0 = sp.threshold_s
    edge = np.exp(-0.5)

    def gauss(t):
        return (np.exp(-0.5 * (t / d0) ** 2) - edge) / (1 - edge)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = Access(
            demand_df=dem,
            demand_index=True,
            demand_value="demand",
            supply_df=sup,
            supply_index=True,
            supply_value="cap",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        if decay == "none":
            res = acc.two_stage_fca(name="r", max_cost=d0)
        else:
            res = acc.enhanced_two_stage_fca(name="r", max_cost=d0, weight_fn=gauss)
    return res["r_cap"].reindex(np.arange(len(sp.children))).fillna(0.0).to_numpy()


def test_e2sfca_matches_pysal_access_for_every_service(ctx, table):
    pytest.importorskip("access")
    fac = ctx.facilities
    services = codes.analysed(fac["service"].tolist())
    assert len(services) >= 8
    for s in services:
        sp = coverage.service_pass(ctx, s)
        f = fac.iloc[sp.facilities]
        cap = pd.to_numeric(f["capacity"], errors="coerce").astype(float)
        own = cap.fillna(cap.median() if cap.notna().any() else 1.0).to_numpy()
        ref = _reference(sp, f, own, "gaussian")
        mine = table[table["service"] == s]["access"].to_numpy()
        assert mine == pytest.approx(ref, rel=1e-9, abs=1e-12), s
        assert sp.n_capped == 0
    # plain 2SFCA for one service too
    sp = coverage.service_pass(ctx, SS)
    ref = _reference(sp, fac.iloc[sp.facilities], gaps.capacity_filled(fac)[sp.facilities], "none")
    mine = gaps.child_table(ctx, area_kind=KIND, services=[SS], decay="none")["access"]
    assert mine.to_numpy() == pytest.approx(ref, rel=1e-9)


def test_unknown_capacity_is_filled_per_service_not_over_all_facilities(ctx, table):
    fac = ctx.facilities
    cap = pd.to_numeric(fac["capacity"], errors="coerce")
    hm = (fac["service"] == "home_medical").to_numpy()
    assert cap[hm].isna().any()
    filled = gaps.capacity_filled(fac)
    assert (filled[hm & cap.isna().to_numpy()] == cap[hm].median()).all()
    # the old fill (median over every facility) gives other ratios on this demo
    assert cap[hm].median() != cap.median()
    sp = coverage.service_pass(ctx, "home_medical")
    wrong = _reference(sp, fac.iloc[sp.facilities], cap.fillna(cap.median())[hm].to_numpy(), "g")
    mine = table[table["service"] == "home_medical"]["access"].to_numpy()
    assert not np.allclose(mine, wrong)


def test_cli_gaps_writes_every_parameter_into_its_output(demo_path, tmp_path, capsys):
    import shutil

    from ikemap import cli

    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_path, ws)
    out = tmp_path / "gaps.csv"
    args = ["gaps", "--workspace", str(ws), "--out", str(out), "--service", SS]
    args += ["--minutes", "45", "--max-outside-pct", "30", "--age-band", "0-5"]
    args += ["--care", "suction,tube_feeding", "--order", "need", "--area-kind", KIND]
    args += ["--role", "admin"]  # counts as they are (the gate path is tested by H1)
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "threshold 45 min" in printed and "N = 30%" in printed and "ages 0-5" in printed
    df = pd.read_csv(out, encoding="utf-8")
    assert list(df.columns[:11]) == [
        "area_id",
        "area_name",
        "area_kind",
        "service",
        "threshold_min",
        "max_outside_pct",
        "age_band",
        "care_filter",
        "order",
        "children_per_place",
        "decay",
    ]
    assert (df["threshold_min"] == 45).all() and (df["max_outside_pct"] == 30).all()
    assert set(df["age_band"]) == {"0-5"} and set(df["care_filter"]) == {"suction,tube_feeding"}
    assert set(df["order"]) == {"need"} and len(df) == 5


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--age-band", "5-3", "LO <= HI"),
        ("--age-band", "young", "LO-HI"),
        ("--care", "wings", "care_types.csv"),
        ("--max-outside-pct", "120", "0 to 100"),
        ("--minutes", "0", "above 0"),
        ("--service", "spa", "service_types.csv"),
        ("--children-per-place", "0", "positive"),
    ],
)
def test_cli_gaps_bad_parameters_fail_with_a_message(tmp_path, capsys, flag, value, says):
    from ikemap import cli

    # the workspace does not exist: the parameters are checked before it is read
    args = ["gaps", "--workspace", str(tmp_path / "none.gpkg"), "--out", str(tmp_path / "g.csv")]
    assert cli.main([*args, flag, value]) == 2
    assert says in capsys.readouterr().err
