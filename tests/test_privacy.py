"""Small-cell suppression (primary + complementary): the engine of analysis.privacy.

Roles and the gate are tested in tests/test_access_gate.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import privacy

THR = 10

# ---------------------------------------------------------------------------------------------
# an independent check: which hidden cells do the published numbers determine?


def _determined_by_rank(equations, n_cells, hidden):
    """Cells among ``hidden`` fixed by the equations, by rank (not the module's null space).

    ``equations`` is a list of dicts cell -> coefficient with sum(coef * value) == known. A hidden
    cell i is determined iff the unit vector e_i lies in the row space of the equations
    restricted to the hidden cells: rank([A_h; e_i]) == rank(A_h).
    """
    hidden = list(hidden)
    if not hidden:
        return set()
    pos = {c: k for k, c in enumerate(hidden)}
    rows = []
    for eq in equations:
        row = np.zeros(len(hidden))
        for c, coef in eq.items():
            if c in pos:
                row[pos[c]] += coef
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    base = np.linalg.matrix_rank(a)
    out = set()
    for c, k in pos.items():
        unit = np.zeros(len(hidden))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == base:
            out.add(c)
    return out


def _flat_exposed(original, published, count_columns, *, sums=None, thr=THR):
    """Hidden cells of a flat output an outsider can recompute from published values and totals."""
    n = len(original)
    cells = {}
    for c in count_columns:
        for r in range(n):
            cells[(r, c)] = len(cells)
    hidden = {
        cells[(r, c)] for c in count_columns for r in range(n) if pd.isna(published[c].iloc[r])
    }
    equations = []
    for c in count_columns:
        total = int(original[c].sum())
        if total == 0 or total >= thr:  # a public total (small totals are never public)
            equations.append({cells[(r, c)]: 1.0 for r in range(n)})
    for total, parts in (sums or {}).items():
        for r in range(n):
            eq = {cells[(r, p)]: 1.0 for p in parts}
            eq[cells[(r, total)]] = -1.0
            equations.append(eq)
    return _determined_by_rank(equations, len(cells), hidden)


def _breakdown_equations(tables):
    """Equations of breakdowns published with margins (shared row totals and grand total)."""
    first = next(iter(tables.values()))
    rows = list(first.index[:-1])
    cells = {}

    def cell(key):
        return cells.setdefault(key, len(cells))

    equations = []
    for r in rows:
        cell(("row", r))
    cell(("grand",))
    equations.append({**{cell(("row", r)): 1.0 for r in rows}, cell(("grand",)): -1.0})
    for name, t in tables.items():
        cols = [c for c in t.columns if c != privacy.TOTAL_LABEL]
        for r in rows:
            eq = {cell((name, r, c)): 1.0 for c in cols}
            eq[cell(("row", r))] = -1.0
            equations.append(eq)
        for c in cols:
            eq = {cell((name, r, c)): 1.0 for r in rows}
            eq[cell((name, "col", c))] = -1.0
            equations.append(eq)
        equations.append({**{cell((name, "col", c)): 1.0 for c in cols}, cell(("grand",)): -1.0})
    hidden = set()
    for name, t in tables.items():
        cols = [c for c in t.columns if c != privacy.TOTAL_LABEL]
        for r in rows:
            if pd.isna(t.loc[r, privacy.TOTAL_LABEL]):
                hidden.add(cell(("row", r)))
            for c in cols:
                if pd.isna(t.loc[r, c]):
                    hidden.add(cell((name, r, c)))
        for c in cols:
            if pd.isna(t.loc[privacy.TOTAL_LABEL, c]):
                hidden.add(cell((name, "col", c)))
        if pd.isna(t.loc[privacy.TOTAL_LABEL, privacy.TOTAL_LABEL]):
            hidden.add(cell(("grand",)))
    return equations, len(cells), hidden


counts = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 60))


@st.composite
def flat_tables(draw):
    n = draw(st.integers(1, 7))
    k = draw(st.integers(1, 3))
    data = {f"c{j}": draw(st.lists(counts, min_size=n, max_size=n)) for j in range(k)}
    return pd.DataFrame(data, index=pd.Index([f"area{i}" for i in range(n)], name="area"))


@st.composite
def breakdowns(draw):
    r = draw(st.integers(2, 5))
    c = draw(st.integers(2, 4))
    values = draw(st.lists(counts, min_size=r * c, max_size=r * c))
    arr = np.array(values).reshape(r, c)
    return pd.DataFrame(arr, index=[f"a{i}" for i in range(r)], columns=[f"b{j}" for j in range(c)])


PROPS = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# ---------------------------------------------------------------------------------------------
# properties


@PROPS
@given(flat_tables())
def test_flat_output_has_no_small_count_and_no_derivable_hidden_cell(table):
    cols = list(table.columns)
    out = privacy.suppress(table, count_columns=cols, threshold=THR)
    assert out.index.equals(table.index)
    assert privacy.small_counts(out, count_columns=cols, threshold=THR) == []
    # every primary cell is hidden and flagged, published cells are unchanged
    for c in cols:
        small = table[c].between(1, THR - 1)
        assert out.loc[small, c + privacy.FLAG_SUFFIX].all()
        shown = out[c].notna()
        assert (out.loc[shown, c].astype(int) == table.loc[shown, c]).all()
        assert (out[c].isna() == out[c + privacy.FLAG_SUFFIX]).all()
    assert _flat_exposed(table, out, cols) == set()


@PROPS
@given(flat_tables())
def test_declared_row_sums_do_not_reveal_hidden_cells(table):
    parts = list(table.columns)
    table = table.assign(total=table[parts].sum(axis=1))
    cols = [*parts, "total"]
    out = privacy.suppress(table, count_columns=cols, sums={"total": parts})
    assert privacy.small_counts(out, count_columns=cols) == []
    assert _flat_exposed(table, out, cols, sums={"total": parts}) == set()


@PROPS
@given(breakdowns())
def test_breakdown_with_margins_has_no_small_count_and_no_derivable_cell(table):
    out = privacy.suppress_breakdown(table, threshold=THR)
    assert out.shape == (table.shape[0] + 1, table.shape[1] + 1)
    published = out.stack().dropna()
    assert not published.between(1, THR - 1).any()
    equations, n, hidden = _breakdown_equations({"t": out})
    assert _determined_by_rank(equations, n, hidden) == set()
    # the published values are the true ones
    full = table.copy()
    full[privacy.TOTAL_LABEL] = table.sum(axis=1)
    full.loc[privacy.TOTAL_LABEL] = full.sum(axis=0)
    for r in out.index:
        for c in out.columns:
            if pd.notna(out.loc[r, c]):
                assert out.loc[r, c] == full.loc[r, c]


@PROPS
@given(breakdowns(), st.randoms(use_true_random=False))
def test_second_breakdown_of_the_same_rows_does_not_reveal_cells(table, rnd):
    # a second breakdown with the same row totals (e.g. care type next to age band)
    other = []
    for total in table.sum(axis=1):
        a = rnd.randint(0, int(total))
        other.append([a, int(total) - a])
    second = pd.DataFrame(other, index=table.index, columns=["x", "y"])
    out = privacy.suppress_breakdowns({"age": table, "care": second}, threshold=THR)
    for t in out.values():
        assert not t.stack().dropna().between(1, THR - 1).any()
    assert out["age"][privacy.TOTAL_LABEL].isna().equals(out["care"][privacy.TOTAL_LABEL].isna())
    equations, n, hidden = _breakdown_equations(out)
    assert _determined_by_rank(equations, n, hidden) == set()


# ---------------------------------------------------------------------------------------------
# worked examples


def test_single_small_cell_needs_a_complement_in_its_column():
    t = pd.DataFrame({"children": [12, 3, 40]}, index=["A", "B", "C"])
    out = privacy.suppress(t, count_columns=["children"])
    # 3 is hidden; 12 (the smallest other count) too, else 55 - 12 - 40 = 3
    assert out["children"].isna().tolist() == [True, True, False]
    assert out["children_suppressed"].tolist() == [True, True, False]
    assert out.index.tolist() == ["A", "B", "C"]


def test_zero_is_shown_and_threshold_is_configurable():
    t = pd.DataFrame({"n": [0, 5, 30, 40]})
    assert privacy.suppress(t, count_columns=["n"], threshold=5)["n"].tolist() == [0, 5, 30, 40]
    out = privacy.suppress(t, count_columns=["n"], threshold=6)
    assert out["n"].isna().tolist() == [False, True, True, False]


def test_settings_threshold_is_the_default(monkeypatch):
    from geo import settings as geo_settings

    t = pd.DataFrame({"n": [4, 50, 60]})
    monkeypatch.setattr(geo_settings, "suppression_threshold", 3)
    assert privacy.suppress(t, count_columns=["n"])["n"].tolist() == [4, 50, 60]


def test_missing_input_stays_missing_and_is_not_flagged():
    t = pd.DataFrame({"n": [pd.NA, 20, 30]}, dtype="Int64")
    out = privacy.suppress(t, count_columns=["n"])
    assert out["n"].isna().tolist() == [True, False, False]
    assert out["n_suppressed"].tolist() == [False, False, False]


def test_groups_protect_each_service_separately():
    t = pd.DataFrame(
        {
            "area": ["A", "B", "C", "A", "B", "C"],
            "service": ["s1"] * 3 + ["s2"] * 3,
            "uncovered": [4, 20, 30, 15, 20, 30],
        }
    )
    out = privacy.suppress(t, count_columns=["uncovered"], by="service")
    assert out["uncovered"].isna().tolist() == [True, True, False, False, False, False]


def test_dependent_rates_are_hidden_with_their_counts():
    t = pd.DataFrame({"children": [12, 40, 50], "covered": [3, 30, 45]})
    t["share_covered"] = t["covered"] / t["children"]
    out = privacy.suppress(
        t, count_columns=["children", "covered"], dependents={"share_covered": ["covered"]}
    )
    assert out["covered"].isna().tolist() == [True, True, False]
    assert out["share_covered"].isna().tolist() == [True, True, False]


def test_breakdown_small_cell_is_protected_by_a_rectangle():
    t = pd.DataFrame({"0-5": [12, 15], "6-17": [3, 20]}, index=["A", "B"])
    out = privacy.suppress_breakdown(t)
    assert out.loc["A"].isna().tolist() == [True, True, False]
    assert out.loc["B"].isna().tolist() == [True, True, False]
    assert out.loc[privacy.TOTAL_LABEL].tolist() == [27, 23, 50]
    assert out.attrs["suppressed"].loc["A", "6-17"]


def test_multi_response_breakdown_keeps_given_row_totals():
    # a child with two care types counts in two columns but once in the total
    care = pd.DataFrame({"vent": [12, 20], "suction": [15, 25]}, index=["A", "B"])
    totals = pd.Series([20, 30], index=["A", "B"])
    out = privacy.suppress_breakdown(care, row_totals=totals)
    assert out[privacy.TOTAL_LABEL].tolist()[:2] == [20, 30]
    assert out.notna().all().all()


def test_display_shows_label_and_drops_flags():
    out = privacy.suppress(pd.DataFrame({"n": [5, 50, 60]}), count_columns=["n"])
    shown = privacy.display(out)
    assert shown.columns.tolist() == ["n"]
    assert shown["n"].tolist() == ["<10", "<10", "60"]
    b = privacy.display(privacy.suppress_breakdown(pd.DataFrame({"x": [3, 20], "y": [20, 20]})))
    assert b.iloc[0].tolist() == ["<10", "<10", "23"]


def test_bad_input_is_reported():
    with pytest.raises(KeyError, match="not in the table"):
        privacy.suppress(pd.DataFrame({"n": [1]}), count_columns=["m"])
    with pytest.raises(ValueError, match="negative"):
        privacy.suppress(pd.DataFrame({"n": [-1, 4]}), count_columns=["n"])
    with pytest.raises(ValueError, match="same index"):
        privacy.suppress_breakdowns(
            {"a": pd.DataFrame({"x": [1]}, index=["A"]), "b": pd.DataFrame({"x": [1]}, index=["B"])}
        )


def test_empty_table_gives_empty_result_with_flags():
    out = privacy.suppress(pd.DataFrame({"n": pd.Series([], dtype="Int64")}), count_columns=["n"])
    assert out.columns.tolist() == ["n", "n_suppressed"]
    assert len(out) == 0
