"""Disclosure control across everything a planner sees (gate.disclosure, gate.publish).

The property test draws small random registers over a few municipalities grouped into two
overlapping 圏域 kinds, publishes them as a planner sees them, and then attacks the published
tables with its own linear programme (scipy's linprog, independent of the gate's HiGHS models):
no count 1..9 of a municipality or an area may be pinned — every such count's feasible interval
given everything published must be at least the protection width wide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import gate
from gate import disclosure

THR = 10
COLS = ["children", "covered", "uncovered", "power"]


def _attack(atoms, tables):
    """Feasible [min, max] of every municipality count and area count given the tables.

    Unknowns: each municipality's children, covered, uncovered, power (>= 0) with
    children = covered + uncovered and power <= children. Every published cell is an equation;
    a 「<10」 cell lies in 1..9; a 「秘匿」 cell is only known to be >= 0 (relaxed).
    """
    munis = atoms["municipality_code"].tolist()
    n = len(munis) * len(COLS)

    def var(m, c):
        return munis.index(m) * len(COLS) + COLS.index(c)

    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for m in munis:
        row = np.zeros(n)
        row[var(m, "children")] = 1
        row[var(m, "covered")] = -1
        row[var(m, "uncovered")] = -1
        a_eq.append(row)
        b_eq.append(0)
        row = np.zeros(n)
        row[var(m, "power")] = 1
        row[var(m, "children")] = -1
        a_ub.append(row)
        b_ub.append(0)
    cells = []  # (coefficient row, true value) of every published area cell
    for kind, table in tables.items():
        shown = gate.display(table)
        for r in range(len(table)):
            unit = table["unit"].iloc[r]
            members = (
                munis
                if unit == "_total"
                else atoms.loc[atoms[f"area:{kind}"] == unit, "municipality_code"].tolist()
            )
            for c in COLS:
                row = np.zeros(n)
                for m in members:
                    row[var(m, c)] = 1
                text = shown[c].iloc[r]
                true = int(atoms.loc[atoms["municipality_code"].isin(members), c].sum())
                cells.append((row, true))
                if text == "<10":
                    a_ub += [row, -row]
                    b_ub += [THR - 1, -1]
                elif text != "秘匿":
                    assert int(text) == true
                    assert not 1 <= true < THR, f"{kind} {unit} {c} = {true} published"
                    a_eq.append(row)
                    b_eq.append(int(text))
    targets = [
        (np.eye(n)[var(m, c)], int(atoms.loc[atoms["municipality_code"] == m, c].iloc[0]))
        for m in munis
        for c in COLS
    ]
    out = []
    for row, true in targets + cells:
        if not 1 <= true < THR:
            continue
        lo = linprog(
            row,
            A_ub=a_ub or None,
            b_ub=b_ub or None,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        hi = linprog(
            -row,
            A_ub=a_ub or None,
            b_ub=b_ub or None,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        assert lo.status == 0, lo.message
        top = np.inf if hi.status == 3 else -hi.fun
        out.append((true, lo.fun, top))
    return out


@st.composite
def registers(draw):
    k = draw(st.integers(3, 6))
    munis = [f"9900{i}" for i in range(k)]
    kind_k = [f"K{draw(st.integers(1, 2))}" for _ in munis]
    kind_m = [f"M{draw(st.integers(1, 3))}" for _ in munis]
    children = [draw(st.integers(0, 30)) for _ in munis]
    covered = [draw(st.integers(0, c)) for c in children]
    power = [draw(st.integers(0, min(c, 6))) for c in children]
    return pd.DataFrame(
        {
            "municipality_code": munis,
            "area:K": kind_k,
            "area:M": kind_m,
            "children": children,
            "covered": covered,
            "uncovered": [c - v for c, v in zip(children, covered, strict=True)],
            "power": power,
        }
    )


@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(registers())
def test_no_count_1_to_9_is_derivable_from_everything_a_planner_sees(atoms):
    pub = disclosure.linked(
        atoms,
        count_columns=COLS,
        sums={"children": ["covered", "uncovered"]},
        subsets={"children": ["power"]},
        public_totals=["children"],
        threshold=THR,
    )
    tables = {kind: pub.table(kind) for kind in ("K", "M")}
    for true, lo, hi in _attack(atoms, tables):
        assert hi - lo >= pub.protection - 1e-6, (true, lo, hi)


def test_two_area_kinds_alone_would_give_a_town_away():
    # K1 = {a, b} = 25 and M1 = {b} = 22 have no small cell, but K1 - M1 = a = 3
    atoms = pd.DataFrame(
        {
            "municipality_code": ["a", "b", "c", "d"],
            "area:K": ["K1", "K1", "K2", "K2"],
            "area:M": ["M2", "M1", "M2", "M2"],
            "children": [3, 22, 15, 20],
        }
    )
    pub = disclosure.linked(atoms, count_columns=["children"], threshold=THR)
    k, m = pub.table("K"), pub.table("M")
    hidden = int(k["children"].isna().sum() + m["children"].isna().sum())
    assert hidden >= 2  # something is withheld although no published cell is small
    assert all(hi - lo >= pub.protection for lo, hi in pub.intervals())


def test_known_municipalities_are_shown_and_not_protected():
    atoms = pd.DataFrame(
        {
            "municipality_code": ["a", "b", "c"],
            "area:K": ["K1", "K2", "K2"],
            "children": [3, 4, 40],
        }
    )
    pub = disclosure.linked(atoms, count_columns=["children"], known_municipalities=["a"])
    k = gate.display(pub.table("K")).set_index("unit")["children"]
    assert k["K1"] == "3"  # the coordinator's own town
    assert k["K2"] == "44"  # b = 4 and c = 40 stay unknown inside it
    assert all(hi - lo >= pub.protection for lo, hi in pub.intervals())


@pytest.fixture(scope="module")
def demo_ctx(demo_path):
    from analysis import context

    return context.load(demo_path)


@pytest.fixture(scope="module")
def demo_pub(demo_ctx):
    from gate import publish

    return publish.gaps(demo_ctx, services=["short_stay_medical"])


def test_demo_planner_gap_tables_both_kinds_are_safe(demo_ctx, demo_pub):
    from analysis import gaps

    service = "short_stay_medical"
    pub = demo_pub
    assert not pub.solution.unprotected
    for kind in demo_ctx.area_kinds():
        g = gaps.area_gaps(demo_ctx, area_kind=kind, services=[service])
        shown = gate.table(g, "planner", what="gaps", linked=pub)
        assert gate.display(shown)["severity"].tolist() == g["severity"].tolist()
        assert (shown["flags"] == g["flags"]).all()  # flags are never hidden
        for c in pub.columns_of(g):
            v = shown[c].dropna().astype(int)
            assert not ((v >= 1) & (v < THR)).any(), c
            small = shown[f"{c}_small"].to_numpy(dtype=bool)
            assert (g[c].to_numpy()[small] >= 1).all() and (g[c].to_numpy()[small] < THR).all()
    # the worst 圏域 (西部山間圏域, no facility) is flagged with its reason for the planner
    k = demo_ctx.area_kinds()[0]
    g = gate.table(
        gaps.area_gaps(demo_ctx, area_kind=k, services=[service]),
        "planner",
        what="gaps",
        linked=pub,
    )
    worst = g.sort_values("severity", ascending=False).iloc[0]
    assert worst["severity"] == 5 and "no_facility" in worst["flags"] and worst["reasons"]


def test_what_if_and_sites_figures_are_counts_too(demo_ctx, demo_pub):
    from gate import publish

    service = "short_stay_medical"
    kind = demo_ctx.area_kinds()[0]
    total = demo_pub.cells[(kind, "_total", (service,), "covered")]
    covered = demo_pub.system.values[total]
    summary = pd.DataFrame(
        {"covered_before": [covered], "covered_after": [covered + 2], "gain": [2]},
        index=pd.Index([service], name="service"),
    )
    shown = gate.display(publish.what_if(summary, demo_pub, "planner"))
    assert shown["gain"].iloc[0] == "<10"  # 2 newly covered children
    assert shown["covered_after"].iloc[0] == "秘匿"  # before + 2 would give the gain back
    before_hidden = bool(demo_pub.solution.hidden[total])
    assert (shown["covered_before"].iloc[0] in ("<10", "秘匿")) == before_hidden
    assert publish.what_if(summary, demo_pub, "admin")["gain"].iloc[0] == 2
    # the capacity-aware figures (children with a place) are counts too
    placed = pd.DataFrame(
        {
            "covered_before": [covered],
            "covered_after": [covered + 12],
            "gain": [12],
            "placed_before": [40],
            "placed_after": [43],
            "placed_gain": [3],
            "capacity_unknown_after": [4],
        },
        index=pd.Index([service], name="service"),
    )
    shown = gate.display(publish.what_if(placed, demo_pub, "planner"))
    assert shown["placed_gain"].iloc[0] == "<10"  # 3 more children with a place
    assert shown["placed_after"].iloc[0] in ("<10", "秘匿")  # 40 + 3 would give the gain back
    assert shown["capacity_unknown_after"].iloc[0] == "<10"
    raw = publish.what_if(placed, demo_pub, "admin")
    assert raw["placed_gain"].iloc[0] == 3 and raw["capacity_unknown_after"].iloc[0] == 4
    sites = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "newly_covered": [12, 2, 1],
            "cumulative_covered": [12, 14, 15],
            "uncovered_before": [40, 40, 40],
        }
    )
    out = gate.display(publish.sites(sites, "planner"))
    assert "cumulative_covered" not in out  # 14 - 12 would give the 2 back
    assert out["newly_covered"].tolist()[1:] == ["<10", "<10"]
    assert list(publish.sites(sites, "admin")["cumulative_covered"]) == [12, 14, 15]
