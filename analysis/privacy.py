"""Small-cell suppression and role enforcement for outputs that hold child data.

Children who need medical care at home are few (a city may have about ten), so a published count
of 3 ventilator children in one 圏域 identifies families. This module makes every aggregate that
leaves the library for a planner safe:

* **Primary suppression**: a count from 1 to ``threshold - 1`` (default
  :data:`geo.settings.suppression_threshold` = 10, as in NDB open data) is hidden. 0 is shown.
* **Complementary suppression**: more cells are hidden until no hidden cell can be recomputed
  exactly from what is published: the other cells, the row and column totals, totals assumed
  public (a column total over all areas), declared sums between columns, or a second breakdown
  sharing the same margins. The check is exact linear algebra: a hidden cell is safe when it is
  not determined by the published linear equations (it varies in their solution space).
  Complements are picked greedily: cells sharing an equation with the exposed one first, positive
  and small counts before zeros and totals.

Hidden cells are ``pd.NA`` in nullable ``Int64`` columns; :func:`suppress` adds a boolean
``<column>_suppressed`` flag per count column so that *hidden* is told apart from *missing*;
:func:`display` turns a table into text with 「<10」 in hidden cells for the UI and exports.

This module is the engine only: it never decides who sees what. Roles, scopes, identity
columns, the audit log and the joint suppression of everything one audience sees (both 圏域
kinds, breakdowns, an LP audit of the intervals) are in :mod:`gate` (:mod:`gate.core`).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"area": ["A", "B", "C"], "children": [12, 3, 40]})
>>> out = suppress(t, count_columns=["children"])
>>> out["children"].tolist()  # 3 is hidden, and one more so that the total cannot reveal it
[<NA>, <NA>, 40]
>>> display(out)["children"].tolist()
['<10', '<10', '40']
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.linalg

from geo import settings

logger = logging.getLogger(__name__)

#: Suffix of the flag column that marks a suppressed count.
FLAG_SUFFIX = "_suppressed"

# ---------------------------------------------------------------------------------------------
# the suppression engine over a linear system


class _System:
    """Cells with values and the linear equations between them that an outsider knows.

    A cell is *published* unless it is suppressed; a *fixed* cell is known to outsiders whatever
    we do (a total published elsewhere) and is never chosen as a complement.
    """

    def __init__(self):
        self.values = []
        self.margin = []
        self.fixed = []
        self.unknown = []  # missing in the input: unknown to outsiders, not a protected cell
        self.equations = []

    def cell(self, value, *, margin=False, fixed=False):
        missing = value is None or bool(pd.isna(value))
        self.values.append(0 if missing else int(value))
        self.margin.append(margin)
        self.fixed.append(fixed)
        self.unknown.append(missing)
        return len(self.values) - 1

    def equation(self, parts, total):
        """Add ``sum(parts) == total`` when it holds in the data (multi-response sums don't).

        With a missing value among the cells the equation cannot be checked and is kept: it only
        adds unknowns, never information.
        """
        cells = [*parts, total]
        known = not any(self.unknown[i] for i in cells)
        if known and sum(self.values[i] for i in parts) != self.values[total]:
            return False
        terms = [(i, 1.0) for i in parts] + [(total, -1.0)]
        if len(terms) >= 2:
            self.equations.append(terms)
        return True

    def matrix(self):
        a = np.zeros((len(self.equations), len(self.values)))
        for r, terms in enumerate(self.equations):
            for i, coef in terms:
                a[r, i] += coef
        return a


def determined(matrix, hidden, *, tol=1e-9):
    """Which hidden cells the published cells and the equations determine exactly.

    Parameters
    ----------
    matrix : ndarray (equations x cells)
        Coefficients of the homogeneous equations ``matrix @ values == 0``.
    hidden : array of bool (cells)
        Cells whose value an outsider does not see.
    tol : float
        Numerical tolerance.

    Returns
    -------
    ndarray of bool (cells)
        True where a hidden cell has the same value in every solution of the equations.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[1.0, 1.0, -1.0]])   # a + b = total
    >>> determined(m, np.array([True, False, False])).tolist()
    [True, False, False]
    >>> determined(m, np.array([True, True, False])).tolist()
    [False, False, False]
    """
    hidden = np.asarray(hidden, dtype=bool)
    out = np.zeros(hidden.shape, dtype=bool)
    idx = np.flatnonzero(hidden)
    if idx.size == 0:
        return out
    sub = matrix[:, idx]
    if sub.shape[0] == 0 or not np.any(sub):
        return out
    null = scipy.linalg.null_space(sub)
    if null.shape[1] == 0:
        out[idx] = True
        return out
    out[idx] = np.abs(null).max(axis=1) < tol
    return out


def _weights(values, margin):
    """Cost of hiding each cell as a complement: small positive counts first, zeros, totals."""
    top = float(values.max()) + 1.0 if values.size else 1.0
    w = 1.0 + values / top
    w = np.where(values == 0, 2.5, w)
    return np.where(margin, w + 4.0, w)


def _cover(matrix, target, hidden, fixed, weights):
    """Cheapest cells whose hiding leaves ``target`` undetermined (a weighted-L1 LP).

    Looks for a direction ``v`` with ``matrix @ v == 0`` and ``v[target] == 1`` (moving the
    hidden cells along it keeps every published equation true) that touches as few and as cheap
    published cells as possible; fixed cells may not move. Returns the cells to hide, or None.
    """
    from scipy.optimize import linprog

    n = matrix.shape[1]
    w = np.where(hidden, 1e-3, weights)
    cost = np.concatenate([w, w])
    a_eq = np.hstack([matrix, -matrix])
    unit = np.zeros((1, 2 * n))
    unit[0, target] = 1.0
    unit[0, n + target] = -1.0
    a_eq = np.vstack([a_eq, unit])
    b_eq = np.zeros(a_eq.shape[0])
    b_eq[-1] = 1.0
    bounds = [(0.0, 0.0) if f else (0.0, None) for f in fixed] * 2
    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    v = res.x[:n] - res.x[n:]
    return np.flatnonzero((np.abs(v) > 1e-7) & ~hidden)


def _protect(system, threshold):
    """Return the suppression mask of a system: primary cells plus complements."""
    values = np.array(system.values, dtype=np.int64)
    fixed = np.array(system.fixed, dtype=bool)
    unknown = np.array(system.unknown, dtype=bool)
    margin = np.array(system.margin, dtype=bool)
    n = len(values)
    if threshold > 1:
        primary = (values >= 1) & (values < threshold) & ~unknown
    else:
        primary = np.zeros(n, dtype=bool)
    # a total assumed public that is itself small is public nowhere: it is hidden too
    fixed = fixed & ~primary
    suppressed = primary.copy()
    if not suppressed.any():
        return suppressed
    matrix = system.matrix()
    weights = _weights(values.astype(float), margin)
    while True:
        hidden = suppressed | unknown
        exposed = determined(matrix, hidden) & suppressed
        if not exposed.any():
            return suppressed
        target = int(np.flatnonzero(exposed)[0])
        cells = _cover(matrix, target, hidden, fixed, weights)
        if cells is None or cells.size == 0:
            logger.warning(
                "A count of %d cannot be protected: public totals determine it", values[target]
            )
            return suppressed
        suppressed[cells] = True


# ---------------------------------------------------------------------------------------------
# flat tables (one row per area, count columns)


def _threshold(threshold):
    return settings.suppression_threshold if threshold is None else int(threshold)


def _as_count(series, name):
    try:
        out = pd.array(pd.to_numeric(series), dtype="Int64")
    except (TypeError, ValueError) as exc:
        msg = (
            f"suppress: column {name!r} must hold whole counts, got dtype {series.dtype}; "
            "pass only count columns in count_columns."
        )
        raise ValueError(msg) from exc
    if (pd.Series(out).dropna() < 0).any():
        msg = f"suppress: column {name!r} has negative counts; counts must be >= 0."
        raise ValueError(msg)
    return out


def suppress(
    table,
    *,
    count_columns,
    threshold=None,
    by=None,
    column_totals=True,
    sums=None,
    dependents=None,
):
    """Hide small counts and enough other cells that none can be recomputed.

    Parameters
    ----------
    table : DataFrame
        One row per area (or per area and service, ...); other columns are kept as they are.
    count_columns : list of str
        Columns holding counts of children (non-negative whole numbers; NA = missing).
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` are hidden (default
        :data:`geo.settings.suppression_threshold`, 10). ``threshold <= 1`` hides nothing.
    by : str or list of str, optional
        Columns grouping the rows whose column totals are assumed public (e.g. ``"service"`` in
        a long table of area x service). Default: the whole table is one group.
    column_totals : bool, default True
        Assume each count column's total over the rows of a group is public (a prefecture total
        may be shown elsewhere). A total that is itself from 1 to threshold-1 is never public.
    sums : dict of str to list of str, optional
        Declared row relations ``table[total] == sum(table[parts])``, e.g.
        ``{"children": ["covered", "uncovered"]}``. Used only in rows where it holds exactly.
    dependents : dict of str to list of str, optional
        Non-count columns computed from counts (``{"share_covered": ["covered", "children"]}``):
        set to NA in rows where any of their source counts is hidden.

    Returns
    -------
    DataFrame
        Same index and columns; count columns become nullable ``Int64`` with ``pd.NA`` in hidden
        cells, and a boolean ``<column>_suppressed`` column follows each count column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"area": ["A", "B", "C", "D"], "children": [25, 4, 0, 31],
    ...                   "covered": [20, 4, 0, 12], "uncovered": [5, 0, 0, 19]})
    >>> out = suppress(t, count_columns=["children", "covered", "uncovered"],
    ...                sums={"children": ["covered", "uncovered"]})
    >>> out[["children", "covered", "uncovered"]].astype(object).values.tolist()
    [[25, <NA>, <NA>], [<NA>, <NA>, 0], [0, 0, 0], [<NA>, <NA>, <NA>]]
    >>> bool(out.loc[1, "children_suppressed"])
    True
    """
    thr = _threshold(threshold)
    count_columns = list(count_columns)
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        msg = (
            f"suppress: count column(s) {missing} are not in the table "
            f"(it has {list(table.columns)})."
        )
        raise KeyError(msg)
    sums = dict(sums or {})
    for total, parts in sums.items():
        bad = [c for c in [total, *parts] if c not in count_columns]
        if bad:
            msg = f"suppress: sums uses {bad}, which are not in count_columns {count_columns}."
            raise KeyError(msg)
    counts = {c: _as_count(table[c], c) for c in count_columns}
    n = len(table)
    system = _System()
    cell = {c: [system.cell(v) for v in counts[c]] for c in count_columns}
    for total, parts in sums.items():
        for r in range(n):
            system.equation([cell[p][r] for p in parts], cell[total][r])
    if column_totals and n:
        if by is None:
            groups = [np.arange(n)]
        else:
            keys = table[by] if isinstance(by, str) else table[list(by)]
            grouped = pd.DataFrame({"pos": np.arange(n)}, index=table.index).groupby(
                [keys[k].to_numpy() for k in keys]
                if isinstance(keys, pd.DataFrame)
                else keys.to_numpy(),
                dropna=False,
                sort=False,
            )
            groups = [g["pos"].to_numpy() for _, g in grouped]
        for rows in groups:
            for c in count_columns:
                vals = pd.Series(counts[c][rows])
                total = None if vals.isna().any() else int(vals.sum())
                t = system.cell(total, margin=True, fixed=True)
                system.equation([cell[c][r] for r in rows], t)
    mask = _protect(system, thr)
    out = table.copy()
    hidden_any = np.zeros(n, dtype=bool)
    for c in count_columns:
        flags = mask[cell[c]] if n else np.zeros(0, dtype=bool)
        values = counts[c].copy()
        values[flags] = pd.NA
        out[c] = values
        hidden_any |= flags
        pos = out.columns.get_loc(c)
        flag_name = c + FLAG_SUFFIX
        if flag_name in out.columns:
            out = out.drop(columns=flag_name)
        out.insert(pos + 1, flag_name, pd.array(flags, dtype="boolean"))
    for dep, sources in (dependents or {}).items():
        if dep not in out.columns:
            continue
        hide = np.zeros(n, dtype=bool)
        for s in sources:
            hide |= out[s + FLAG_SUFFIX].to_numpy(dtype=bool) if s in count_columns else False
        if hide.any():
            col = out[dep].astype("Float64") if out[dep].dtype.kind in "fiu" else out[dep]
            col = col.copy()
            col[hide] = pd.NA
            out[dep] = col
    logger.info(
        "Suppressed %d of %d count cells (threshold %d)",
        int(mask[: n * len(count_columns)].sum()) if n else 0,
        n * len(count_columns),
        thr,
    )
    return out


# ---------------------------------------------------------------------------------------------
# breakdown tables (rows x columns with margins)

#: Label of the margin row and column of breakdown tables.
TOTAL_LABEL = "計"


def _breakdown_cells(system, table, totals):
    """Add one breakdown's cells and equations; return a dict of cell indices."""
    values = table.apply(lambda s: _as_count(s, s.name)).astype("Int64")
    interior = {
        (r, c): system.cell(values.iloc[i, j])
        for i, r in enumerate(values.index)
        for j, c in enumerate(values.columns)
    }
    col_tot = {}
    for j, c in enumerate(values.columns):
        col = values.iloc[:, j]
        col_tot[c] = system.cell(None if col.isna().any() else int(col.sum()), margin=True)
        system.equation([interior[(r, c)] for r in values.index], col_tot[c])
    for r in values.index:
        system.equation([interior[(r, c)] for c in values.columns], totals["rows"][r])
    system.equation(list(col_tot.values()), totals["grand"])
    return {"interior": interior, "cols": col_tot, "values": values}


def _row_totals(system, tables, row_totals):
    index = next(iter(tables.values())).index
    if row_totals is None:
        first = next(iter(tables.values()))
        first = first.apply(lambda s: _as_count(s, s.name)).astype("Int64")
        row_totals = first.sum(axis=1, skipna=False)
    row_totals = pd.Series(row_totals).reindex(index)
    rows = {r: system.cell(row_totals[r], margin=True) for r in index}
    grand_value = None if row_totals.isna().any() else int(row_totals.sum())
    grand = system.cell(grand_value, margin=True)
    system.equation(list(rows.values()), grand)
    return {"rows": rows, "grand": grand, "values": row_totals}


def _with_margins(built, totals, mask, system):
    values = built["values"]
    out = values.astype("Int64").copy()
    for (r, c), i in built["interior"].items():
        if mask[i]:
            out.loc[r, c] = pd.NA
    out[TOTAL_LABEL] = pd.array(
        [pd.NA if mask[totals["rows"][r]] else system.values[totals["rows"][r]] for r in out.index],
        dtype="Int64",
    )
    bottom = {c: (pd.NA if mask[i] else system.values[i]) for c, i in built["cols"].items()}
    bottom[TOTAL_LABEL] = pd.NA if mask[totals["grand"]] else system.values[totals["grand"]]
    bottom_row = pd.DataFrame([bottom], index=[TOTAL_LABEL]).astype("Int64")
    out = pd.concat([out, bottom_row])
    out.index.name = values.index.name
    hidden = pd.DataFrame(False, index=out.index, columns=out.columns)
    for (r, c), i in built["interior"].items():
        hidden.loc[r, c] = bool(mask[i])
    for r in values.index:
        hidden.loc[r, TOTAL_LABEL] = bool(mask[totals["rows"][r]])
    for c, i in built["cols"].items():
        hidden.loc[TOTAL_LABEL, c] = bool(mask[i])
    hidden.loc[TOTAL_LABEL, TOTAL_LABEL] = bool(mask[totals["grand"]])
    out.attrs["suppressed"] = hidden
    out.attrs["threshold"] = None
    return out


def suppress_breakdown(table, *, threshold=None, row_totals=None):
    """Suppress a (rows x columns) breakdown and publish it with its margins.

    Parameters
    ----------
    table : DataFrame
        Counts, e.g. index = 圏域, columns = age bands (a ``pd.crosstab`` without margins).
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` are hidden (default 10).
    row_totals : Series, optional
        The row totals to publish when they are not the row sums (a child with several care
        types counts once in the total but in several columns); the row equations are then
        dropped where they do not hold.

    Returns
    -------
    DataFrame
        The table plus a margin column and row labelled 「計」, nullable ``Int64``; hidden cells
        are ``pd.NA`` (and True in ``result.attrs["suppressed"]``, a boolean frame of the same
        shape). Margins count as cells: a total can be hidden too.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"0-5": [12, 15], "6-17": [3, 20]}, index=["A", "B"])
    >>> out = suppress_breakdown(t)
    >>> out.astype(object).values.tolist()
    [[<NA>, <NA>, 15], [<NA>, <NA>, 35], [27, 23, 50]]
    """
    return suppress_breakdowns({"_": table}, threshold=threshold, row_totals=row_totals)["_"]


def suppress_breakdowns(tables, *, threshold=None, row_totals=None):
    """Suppress several breakdowns of the same rows together (age band, care type, ...).

    Two breakdowns of the same areas share their row totals: a total hidden in one but shown in
    the other would undo the protection. The tables are solved as one system with shared row
    totals and grand total, so no hidden cell is determined by the tables published together.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Breakdowns with the same index (rows), e.g. ``{"年齢": by_age, "医療的ケア": by_care}``.
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` are hidden (default 10).
    row_totals : Series, optional
        Row totals (default: row sums of the first table).

    Returns
    -------
    dict of str to DataFrame
        Each table with margins, as :func:`suppress_breakdown` returns it.

    Examples
    --------
    >>> import pandas as pd
    >>> age = pd.DataFrame({"0-5": [12, 15], "6-17": [13, 20]}, index=["A", "B"])
    >>> care = pd.DataFrame({"vent": [20, 5], "other": [5, 30]}, index=["A", "B"])
    >>> out = suppress_breakdowns({"age": age, "care": care})
    >>> out["age"].astype(object).values.tolist()
    [[12, 13, 25], [15, 20, 35], [27, 33, 60]]
    >>> out["care"].astype(object).values.tolist()
    [[<NA>, <NA>, 25], [<NA>, <NA>, 35], [25, 35, 60]]
    """
    thr = _threshold(threshold)
    if not tables:
        return {}
    index = next(iter(tables.values())).index
    for name, t in tables.items():
        if not t.index.equals(index):
            msg = (
                f"suppress_breakdowns: table {name!r} has other rows than the first table; "
                "give every breakdown the same index (reindex with fill_value=0)."
            )
            raise ValueError(msg)
    system = _System()
    totals = _row_totals(system, tables, row_totals)
    built = {name: _breakdown_cells(system, t, totals) for name, t in tables.items()}
    mask = _protect(system, thr)
    out = {}
    for name, b in built.items():
        frame = _with_margins(b, totals, mask, system)
        frame.attrs["threshold"] = thr
        out[name] = frame
    return out


# ---------------------------------------------------------------------------------------------
# presentation


def label(threshold=None):
    """Text shown in place of a hidden count, e.g. ``"<10"``.

    Examples
    --------
    >>> label(10)
    '<10'
    """
    return f"<{_threshold(threshold)}"


def is_suppressed(table, column):
    """Boolean Series: which cells of ``column`` were hidden by :func:`suppress`."""
    flag = column + FLAG_SUFFIX
    if flag in table.columns:
        return table[flag].fillna(False).astype(bool)
    hidden = table.attrs.get("suppressed")
    if isinstance(hidden, pd.DataFrame) and column in hidden.columns:
        return hidden[column].astype(bool)
    return pd.Series(False, index=table.index)


def display(table, *, threshold=None):
    """Return the table as text for the UI or an export: hidden counts read 「<10」.

    Flag columns are dropped; other values are kept (counts become strings).

    Examples
    --------
    >>> import pandas as pd
    >>> out = suppress(pd.DataFrame({"n": [5, 50, 60]}), count_columns=["n"])
    >>> display(out)["n"].tolist()
    ['<10', '<10', '60']
    """
    thr = table.attrs.get("threshold") or threshold
    text = label(thr)
    out = table.copy()
    flags = [c for c in out.columns if isinstance(c, str) and c.endswith(FLAG_SUFFIX)]
    hidden_frame = table.attrs.get("suppressed")
    for flag in flags:
        col = flag[: -len(FLAG_SUFFIX)]
        if col not in out.columns:
            continue
        hide = out[flag].fillna(False).to_numpy(dtype=bool)
        out[col] = [
            text if h else ("" if pd.isna(v) else str(v))
            for h, v in zip(hide, out[col], strict=True)
        ]
    out = out.drop(columns=flags)
    if isinstance(hidden_frame, pd.DataFrame):
        for col in out.columns:
            if col in hidden_frame.columns:
                hide = hidden_frame[col].reindex(out.index).fillna(False).to_numpy(dtype=bool)
                out[col] = [
                    text if h else ("" if pd.isna(v) else str(v))
                    for h, v in zip(hide, out[col], strict=True)
                ]
    out.attrs = {}
    return out


def small_counts(table, *, count_columns, threshold=None):
    """Cells of ``count_columns`` holding a published count from 1 to threshold-1.

    Returns a list of ``(index, column, value)``; empty for a safe table. Tests and the app call
    it as a last check before showing a planner output.

    Examples
    --------
    >>> import pandas as pd
    >>> small_counts(pd.DataFrame({"n": [0, 3, 12]}), count_columns=["n"])
    [(1, 'n', 3)]
    """
    thr = _threshold(threshold)
    found = []
    for c in count_columns:
        for idx, v in table[c].items():
            if not pd.isna(v) and 1 <= v < thr:
                found.append((idx, c, int(v)))
    return found


# ---------------------------------------------------------------------------------------------
# roles moved to gate/

_MOVED = {
    "ROLES": "gate.roles",
    "INDIVIDUAL_ROLES": "gate.roles",
    "IDENTITY_ROLES": "gate.roles",
    "IDENTITY_COLUMNS": "gate.roles",
    "IDENTITY_PATTERNS": "gate.roles",
    "INDIVIDUAL_MARKERS": "gate.roles",
    "AccessDenied": "gate.roles",
    "Access": "gate.roles",
    "identity_columns": "gate.roles",
    "is_individual": "gate.roles",
    "scope_filter": "gate.roles",
}


def __getattr__(name):
    """Roles, scope and identity columns live in :mod:`gate.roles` now (old names kept)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
