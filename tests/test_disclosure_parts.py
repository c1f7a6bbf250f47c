"""The LP audit solves each connected part of a linked publication on its own model."""

from __future__ import annotations

import numpy as np

from gate import disclosure


def _two_tables():
    """Two unrelated tables (a + b = t, c + d = u) and a lone cell e."""
    s = disclosure.System()
    a, b = s.cell(3, atom=True), s.cell(40, atom=True)
    t = s.cell(43)
    s.equation([a, b], t)
    c, d = s.cell(12, atom=True), s.cell(4, atom=True)
    u = s.cell(16)
    s.equation([c, d], u)
    e = s.cell(5)
    return s, (a, b, t, c, d, u, e)


def test_components_follow_the_equations():
    s, (a, b, t, c, d, u, e) = _two_tables()
    cell, eq = disclosure._components(s.matrix())
    assert cell[a] == cell[b] == cell[t] == eq[0]
    assert cell[c] == cell[d] == cell[u] == eq[1]
    assert cell[a] != cell[c]
    assert cell[e] == -1  # in no equation


def test_parts_give_the_whole_systems_intervals():
    s, (a, b, t, c, d, u, e) = _two_tables()
    sol = disclosure.solve(s)
    # a = 3, d = 4 and e = 5 are sensitive; t and u stay published, so each atom's
    # interval is [0, total]
    got = {cell: (lo, hi) for cell, _, lo, hi in disclosure.audit(s, sol)}
    assert got[a] == (0.0, 43.0) and got[d] == (0.0, 16.0)
    assert got[e] == (1.0, 9.0)  # its label's range: no equation narrows it
    whole = disclosure._Audit(
        s.matrix(), *disclosure._bounds(s, sol.hidden, sol.sensitive & ~np.asarray(s.atom), 10)
    )
    for cell in (a, d):
        assert whole.interval(cell) == got[cell]
    assert sol.hidden[[a, b, c, d, e]].all() and not sol.hidden[[t, u]].any()


def test_a_second_decomposition_of_a_total_is_audited():
    """children = covered + uncovered = the age bands: a hidden total must not be the sum of
    shown bands (the planner page showed both; the bands' equation was missing)."""
    import pandas as pd

    atoms = pd.DataFrame(
        {
            "municipality_code": ["a", "b", "c", "d"],
            "area:K": ["K1", "K1", "K2", "K2"],
            "children": [20, 25, 30, 40],
            "covered": [18, 25, 30, 40],
            "uncovered": [2, 0, 0, 0],
            "age:0": [12, 15, 10, 20],
            "age:1": [8, 10, 20, 20],
        }
    )
    cols = ["children", "covered", "uncovered", "age:0", "age:1"]
    pub = disclosure.linked(
        atoms,
        count_columns=cols,
        sums={"children": [["covered", "uncovered"], ["age:0", "age:1"]]},
    )
    hidden = pub.solution.hidden
    k1 = {c: hidden[pub.cells[("K", "K1", (), c)]] for c in cols}
    assert k1["uncovered"]  # 2 children: primary
    # the total may not be recoverable from what is shown
    assert not (k1["children"] and not k1["age:0"] and not k1["age:1"])
    assert not (not k1["children"] and not k1["covered"])
    assert all(b - a >= pub.protection for a, b in pub.intervals())
