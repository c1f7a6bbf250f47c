"""Disclosure control across everything one audience sees: linked tables and an LP audit.

The suppression engine of :mod:`analysis.privacy` protects one table (or breakdowns of the same
rows) at a time. A planner, however, is shown many tables of the same children at once: both
圏域 kinds (障害保健福祉圏域 and 二次医療圏), breakdowns by age band and care type, hazard
summaries, ``covered`` beside ``covered_confirmed``. Subtracting an area of one kind from an
overlapping area of the other gives the children of one town; suppressing each table alone does
not stop that.

Here the *atomic cell* is the finest unit every published table is built from — the municipality
(or, for a child without a municipality code, the combination of its areas). Every published
count is the sum of atomic cells; the atoms themselves are never published. One linear system
holds the atoms, every published cell of every linked table, the declared relations between
columns (``sums``: ``children = covered + uncovered``; ``subsets``: ``covered_confirmed <=
covered``, encoded with a hidden non-negative remainder) and column totals assumed public.

A cell is *sensitive* when its true value is 1..threshold-1 (atoms included). Suppression:

1. every sensitive published cell is hidden (primary; shown as 「<10」);
2. **LP audit**: for every sensitive cell (published or atom) the attacker's feasible interval
   ``[min, max]`` is computed with HiGHS (:func:`scipy.optimize.linprog`) from everything
   published: published cells fixed, hidden cells non-negative, primary cells within
   1..threshold-1 (their label says so). The cell is safe when ``max - min >= protection``
   (default ``threshold // 3``, 3 for 10);
3. an unsafe cell is widened by the cheapest set of further cells to hide (complementary,
   shown as 「秘匿」): a linear programme finds a change of the hidden values, ``protection`` up
   or down for the target, that keeps every published equation true and every value feasible,
   touching as few and as small published cells as possible. Hiding more only widens the other
   intervals, so one pass over the sensitive cells suffices.

Cells the audience knows anyway (a coordinator's own municipalities) are fixed and never
sensitive. Not covered (see docs/privacy.md): the attacker's knowledge that a 「秘匿」 cell is 0
or >= threshold (the audit relaxes it to >= 0), and tables published with other inputs (another
travel-time threshold, another hazard level) — each publication is protected on its own.

Examples
--------
>>> import pandas as pd
>>> atoms = pd.DataFrame({"municipality_code": ["a", "b", "c", "d"],
...                       "area:K": ["K1", "K1", "K2", "K2"],
...                       "area:M": ["M2", "M1", "M2", "M2"],
...                       "children": [3, 22, 15, 20]})
>>> pub = linked(atoms, count_columns=["children"])
>>> # alone, K (25, 35) and M (22, 38) have no small cell, but K1 - M1 = a = 3
>>> from gate import display
>>> display(pub.table("K"))["children"].tolist(), display(pub.table("M"))["children"].tolist()
(['秘匿', '秘匿', '60'], ['22', '38', '60'])
>>> [iv for iv in pub.intervals() if iv[1] - iv[0] < pub.protection]
[]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo import settings

logger = logging.getLogger(__name__)

#: Prefix of the atom columns naming the area of each kind (``area:<kind>``).
AREA_PREFIX = "area:"


def default_protection(threshold):
    """Required width of a sensitive cell's feasible interval (``threshold // 3``, at least 1)."""
    return max(1, int(threshold) // 3)


class System:
    """Cells and the linear equations between them that an outsider knows.

    Cell kinds: *atom* (never published), *published* (shown unless suppressed), *public*
    (assumed known elsewhere, e.g. a column total; hidden only when itself small), *known*
    (the audience knows it anyway; never sensitive), *missing* (NA in the data).
    """

    def __init__(self):
        self.values = []
        self.atom = []
        self.public = []
        self.known = []
        self.missing = []
        self.margin = []
        self.equations = []

    def cell(self, value, *, atom=False, public=False, known=False, margin=False):
        """Add a cell (NA value = missing) and return its index."""
        missing = value is None or bool(pd.isna(value))
        self.values.append(0 if missing else int(value))
        self.atom.append(atom)
        self.public.append(public)
        self.known.append(known and not missing)
        self.missing.append(missing)
        self.margin.append(margin)
        return len(self.values) - 1

    def equation(self, parts, total):
        """Add ``sum(parts) == total`` (kept only when it holds in the data)."""
        cells = [*parts, total]
        known = not any(self.missing[i] for i in cells)
        if known and sum(self.values[i] for i in parts) != self.values[total]:
            return False
        self.equations.append([(i, 1.0) for i in parts] + [(total, -1.0)])
        return True

    def matrix(self):
        """The equations as a sparse matrix (``matrix @ values == 0``)."""
        from scipy.sparse import lil_matrix

        a = lil_matrix((len(self.equations), len(self.values)))
        for r, terms in enumerate(self.equations):
            for i, coef in terms:
                a[r, i] += coef
        return a.tocsr()


@dataclass
class Solution:
    """Which cells are hidden, which were sensitive, and what could not be protected."""

    hidden: np.ndarray
    sensitive: np.ndarray
    unprotected: list = field(default_factory=list)


def _bounds(system, hidden, small_label, threshold):
    """Attacker's bounds per cell: published/known/public-shown fixed; hidden within label."""
    v = np.asarray(system.values, float)
    lo = np.zeros(len(v))
    hi = np.full(len(v), np.inf)
    shown = ~hidden
    lo[shown] = v[shown]
    hi[shown] = v[shown]
    lab = hidden & small_label
    lo[lab] = 1.0
    hi[lab] = threshold - 1.0
    return lo, hi


def _highs(matrix, lo, hi, cost=None, row_lo=None, row_hi=None):
    """A HiGHS model ``row_lo <= matrix @ x <= row_hi``, ``lo <= x <= hi`` (kept for re-solves)."""
    import highspy

    h = _quiet(highspy.Highs)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("solver", "simplex")
    inf = highspy.kHighsInf
    m, n = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.zeros(n) if cost is None else np.asarray(cost, float)
    lp.col_lower_ = np.where(np.isinf(lo), -inf, lo).astype(float)
    lp.col_upper_ = np.where(np.isinf(hi), inf, hi).astype(float)
    lp.row_lower_ = np.zeros(m) if row_lo is None else np.asarray(row_lo, float)
    lp.row_upper_ = np.zeros(m) if row_hi is None else np.asarray(row_hi, float)
    csc = matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    h.passModel(lp)
    return h


_BANNER_SHOWN = []


def _quiet(make):
    """Call ``make()`` with the C-level stdout silenced the first time (HiGHS's banner)."""
    if _BANNER_SHOWN:
        return make()
    import os
    import sys

    _BANNER_SHOWN.append(True)
    try:
        sys.stdout.flush()
        fd = os.dup(1)
    except (OSError, ValueError):  # no real stdout (some test runners): just build it
        return make()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return make()
    finally:
        os.dup2(fd, 1)
        os.close(fd)


def _set_bounds(h, idx, lo, hi):
    import highspy

    idx = np.asarray(idx, np.int32)
    if idx.size == 0:
        return
    inf = highspy.kHighsInf
    lo = np.where(np.isinf(lo), -inf, lo).astype(float)
    hi = np.where(np.isinf(hi), inf, hi).astype(float)
    h.changeColsBounds(idx.size, idx, lo, hi)


def _run(h):
    """Solve; return ``"optimal"``, ``"infeasible"``, ``"unbounded"`` or another status."""
    import highspy

    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return "unbounded"
    return str(status)


class _Audit:
    """The attacker's LP: published cells fixed, hidden cells within their bounds."""

    def __init__(self, matrix, lo, hi):
        self.h = _highs(matrix, lo, hi)
        self.lo = np.asarray(lo, float).copy()
        self.hi = np.asarray(hi, float).copy()

    def update(self, lo, hi):
        changed = np.flatnonzero((lo != self.lo) | (hi != self.hi))
        _set_bounds(self.h, changed, lo[changed], hi[changed])
        self.lo[changed] = lo[changed]
        self.hi[changed] = hi[changed]

    def certify(self, candidates, values, protection):
        """Cells among ``candidates`` shown to move by ``protection`` (a few LPs for many).

        Pushes all remaining candidates up together (then down); every cell the solution moves
        by ``protection`` or more from its true value has a feasible interval at least that
        wide. Returns the candidates not certified this way.
        """
        remaining = np.asarray(candidates, np.int64)
        stale = 0
        sense = -1.0
        while remaining.size and stale < 2:
            sense = -sense
            idx = remaining.astype(np.int32)
            self.h.changeColsCost(idx.size, idx, np.full(idx.size, sense))
            status = _run(self.h)
            x = np.asarray(self.h.getSolution().col_value) if status == "optimal" else None
            self.h.changeColsCost(idx.size, idx, np.zeros(idx.size))
            if x is None:
                stale += 1
                continue
            moved = np.abs(x[remaining] - values[remaining]) >= protection - 1e-6
            stale = 0 if moved.any() else stale + 1
            remaining = remaining[~moved]
        return remaining

    def interval(self, target, *, points=None):
        """``(min, max)`` of a cell; ``points`` (a list) receives the two optimal solutions."""
        out = []
        for sense in (1.0, -1.0):
            self.h.changeColCost(int(target), sense)
            status = _run(self.h)
            value = self.h.getInfo().objective_function_value
            if points is not None and status == "optimal":
                points.append(np.asarray(self.h.getSolution().col_value))
            self.h.changeColCost(int(target), 0.0)
            if status == "unbounded":
                out.append(np.inf)
            elif status != "optimal":
                return (float(self.lo[target]), float(self.hi[target]))
            else:
                out.append(sense * value + 0.0)
        return (float(out[0]), float(out[1]))


def interval(matrix, target, lo, hi):
    """Feasible ``[min, max]`` of cell ``target`` given ``matrix @ x == 0`` and ``lo <= x <= hi``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import csr_matrix
    >>> m = csr_matrix(np.array([[1.0, 1.0, -1.0]]))          # a + b = total
    >>> interval(m, 0, np.array([0, 0, 12.0]), np.array([np.inf, np.inf, 12.0]))
    (0.0, 12.0)
    >>> interval(m, 0, np.array([0, 9.0, 12.0]), np.array([np.inf, 9.0, 12.0]))
    (3.0, 3.0)
    """
    return _Audit(matrix, np.asarray(lo, float), np.asarray(hi, float)).interval(target)


class _Widen:
    """Cheapest published cells to hide so that a target can move by ``step``.

    Variables: the cells ``x`` and each cell's move up/down (``x - v = up - down``); published
    cells may move at the cost of hiding them, hidden cells move (almost) freely within their
    bounds, cells the audience knows or public totals do not move.
    """

    def __init__(self, matrix, values, lo, hi, cost):
        from scipy.sparse import bmat, identity

        n = matrix.shape[1]
        eye = identity(n, format="csr")
        big = bmat([[matrix, None, None], [eye, -eye, eye]], format="csr")
        self.n = n
        self.values = np.asarray(values, float)
        rows = np.concatenate([np.zeros(matrix.shape[0]), self.values])
        cost_all = np.concatenate([np.zeros(n), cost, cost])
        zeros = np.zeros(n)
        infs = np.full(n, np.inf)
        self.h = _highs(
            big,
            np.concatenate([lo, zeros, zeros]),
            np.concatenate([hi, infs, infs]),
            cost=cost_all,
            row_lo=rows,
            row_hi=rows,
        )
        self.lo = np.asarray(lo, float).copy()
        self.hi = np.asarray(hi, float).copy()
        self.cost = np.asarray(cost, float).copy()

    def update(self, lo, hi, cost):
        changed = np.flatnonzero((lo != self.lo) | (hi != self.hi))
        _set_bounds(self.h, changed, lo[changed], hi[changed])
        self.lo[changed] = lo[changed]
        self.hi[changed] = hi[changed]
        changed = np.flatnonzero(cost != self.cost)
        if changed.size:
            for offset in (self.n, 2 * self.n):
                idx = (changed + offset).astype(np.int32)
                self.h.changeColsCost(idx.size, idx, cost[changed].astype(float))
            self.cost[changed] = cost[changed]

    def move(self, target, step):
        """Cells that move when ``target`` moves by ``step`` (None when it cannot)."""
        v = self.values[target] + step
        if not (self.lo[target] <= v <= self.hi[target]):
            return None, np.inf
        _set_bounds(self.h, [target], np.array([v]), np.array([v]))
        status = _run(self.h)
        x = np.asarray(self.h.getSolution().col_value[: self.n])
        price = self.h.getInfo().objective_function_value
        _set_bounds(self.h, [target], self.lo[[target]], self.hi[[target]])
        if status != "optimal":
            return None, np.inf
        return np.flatnonzero(np.abs(x - self.values) > 1e-7), price


def _widen_bounds(system, hidden, small_label, threshold):
    v = np.asarray(system.values, float)
    frozen = np.asarray(system.known, bool) | (np.asarray(system.public, bool) & ~hidden)
    lo = np.where(hidden & small_label, 1.0, 0.0)
    hi = np.where(hidden & small_label, threshold - 1.0, np.inf)
    lo[frozen] = v[frozen]
    hi[frozen] = v[frozen]
    return lo, hi


def _components(matrix):
    """Connected parts of a system: ``(cell_part, equation_part)`` labels.

    Two cells are in one part when an equation links them (directly or through other cells);
    a cell in no equation gets ``-1``. Every LP of the audit and the widening decomposes along
    these parts (no equation crosses two), so each part is solved on its own, much smaller,
    model: the same feasible intervals, a fraction of the time (a planner's gaps publication
    links 9 services, each a separate part unless they count the same children).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m, n = matrix.shape
    inc = matrix.tocoo()
    graph = coo_matrix((np.ones(inc.nnz), (inc.col, inc.row + n)), shape=(n + m, n + m))
    _, label = connected_components(graph, directed=False)
    cell = label[:n].copy()
    in_equation = np.zeros(n, bool)
    in_equation[inc.col] = True
    cell[~in_equation] = -1
    return cell, label[n:]


class _Part:
    """The cells of one connected part, as the ``system`` the bound helpers read."""

    def __init__(self, system, cells):
        self.values = np.asarray(system.values)[cells]
        self.known = np.asarray(system.known, bool)[cells]
        self.public = np.asarray(system.public, bool)[cells]


def _parts(system, matrix, cells_of_interest):
    """``(cells, sub_matrix, part)`` of every part holding one of ``cells_of_interest``."""
    cell_part, eq_part = _components(matrix)
    wanted = np.unique(cell_part[cells_of_interest])
    wanted = wanted[wanted >= 0]
    if wanted.size == 0:
        return
    order = np.argsort(cell_part, kind="stable")
    bounds = np.searchsorted(cell_part[order], wanted, side="left")
    ends = np.searchsorted(cell_part[order], wanted, side="right")
    eq_order = np.argsort(eq_part, kind="stable")
    eq_lo = np.searchsorted(eq_part[eq_order], wanted, side="left")
    eq_hi = np.searchsorted(eq_part[eq_order], wanted, side="right")
    csr = matrix.tocsr()
    for a, b, ea, eb in zip(bounds, ends, eq_lo, eq_hi, strict=True):
        cells = np.sort(order[a:b])
        rows = np.sort(eq_order[ea:eb])
        yield cells, csr[rows][:, cells], _Part(system, cells)


def solve(system, *, threshold=None, protection=None):
    """Suppression pattern of a system: primary cells, then LP audit and widening.

    Every sensitive cell (true value 1..threshold-1, atoms included) gets an LP audit of its
    feasible interval given what is published; a cell narrower than ``protection`` is widened
    by hiding the cheapest published cells that let it move (hiding more only widens the other
    intervals, so one pass suffices). The LPs are HiGHS models re-solved with warm starts, one
    model per connected part of the system (:func:`_components`).

    Returns
    -------
    Solution
        ``hidden`` (bool per cell; atoms always hidden), ``sensitive`` (true value
        1..threshold-1 and not known), ``unprotected`` (cells the public totals pin whatever
        is hidden; logged).
    """
    thr = settings.suppression_threshold if threshold is None else int(threshold)
    prot = default_protection(thr) if protection is None else int(protection)
    v = np.asarray(system.values, np.int64)
    atom = np.asarray(system.atom, bool)
    known = np.asarray(system.known, bool)
    missing = np.asarray(system.missing, bool)
    sensitive = (v >= 1) & (v < thr) & ~known & ~missing if thr > 1 else np.zeros(len(v), bool)
    hidden = (atom & ~known) | sensitive | missing
    small_label = sensitive & ~atom
    unprotected = []
    if not sensitive.any() or not system.equations:
        return Solution(hidden, sensitive, unprotected)
    from analysis import privacy

    matrix = system.matrix()
    weights = privacy._weights(v.astype(float), np.asarray(system.margin, bool))
    # a sensitive cell in no equation keeps its whole label interval (1..threshold-1) or
    # [0, inf) for an atom: nothing to audit
    for cells, sub, part in _parts(system, matrix, np.flatnonzero(sensitive)):
        h = hidden[cells]
        _solve_part(
            sub,
            part,
            h,
            small_label[cells],
            sensitive[cells],
            weights[cells],
            thr,
            prot,
            lambda i, cells=cells: unprotected.append(int(cells[i])),
        )
        hidden[cells] = h
    unprotected.sort()
    return Solution(hidden, sensitive, unprotected)


def _solve_part(matrix, system, hidden, small_label, sensitive, weights, thr, prot, report):
    """:func:`solve` on one connected part; updates ``hidden`` in place."""
    v = np.asarray(system.values, np.int64)
    lo, hi = _bounds(system, hidden, small_label, thr)
    model = _Audit(matrix, lo, hi)
    widen = None
    todo = model.certify(np.flatnonzero(sensitive), v.astype(float), prot)
    done = np.zeros(len(v), bool)
    for t in todo:
        if done[t]:
            continue
        for _ in range(6):
            points = []
            a, b = model.interval(int(t), points=points)
            for x in points:  # an optimum for one cell moves others too: they are safe as well
                done[todo[np.abs(x[todo] - v[todo]) >= prot - 1e-6]] = True
            if b - a >= prot - 1e-6:
                break
            wlo, whi = _widen_bounds(system, hidden, small_label, thr)
            cost = np.where(hidden, 1e-3, weights)
            if widen is None:
                widen = _Widen(matrix, v, wlo, whi, cost)
            else:
                widen.update(wlo, whi, cost)
            best = None
            for step in (prot, -prot):
                cells, price = widen.move(int(t), step)
                if cells is not None and (best is None or price < best[1]):
                    best = (cells, price)
            cells = None if best is None else best[0][~hidden[best[0]]]
            if cells is None or cells.size == 0:
                report(int(t))
                logger.warning("A count of %d cannot be protected: published totals pin it", v[t])
                break
            hidden[cells] = True
            lo, hi = _bounds(system, hidden, small_label, thr)
            model.update(lo, hi)


def audit(system, solution, *, threshold=None, protection=None):
    """``(cell, value, min, max)`` of every sensitive cell, given what the solution publishes.

    Examples
    --------
    >>> s = System()
    >>> a, b = s.cell(3, atom=True), s.cell(40, atom=True)
    >>> t = s.cell(43)
    >>> _ = s.equation([a, b], t)
    >>> audit(s, solve(s))
    [(0, 3, 0.0, 43.0)]
    """
    thr = settings.suppression_threshold if threshold is None else int(threshold)
    small_label = solution.sensitive & ~np.asarray(system.atom, bool)
    lo, hi = _bounds(system, solution.hidden, small_label, thr)
    found = {}
    sensitive = np.flatnonzero(solution.sensitive)
    if system.equations and sensitive.size:
        for cells, sub, _part in _parts(system, system.matrix(), sensitive):
            model = _Audit(sub, lo[cells], hi[cells])
            for i in np.flatnonzero(solution.sensitive[cells]):
                found[int(cells[i])] = model.interval(int(i))
    out = []
    for t in sensitive:
        a, b = found.get(int(t), (float(lo[t]), float(hi[t])))
        out.append((int(t), int(system.values[t]), a, b))
    return out


# ---------------------------------------------------------------------------------------------
# flat tables (one table on its own)


def suppress_flat(
    frame,
    *,
    count_columns,
    threshold=None,
    known=None,
    by=None,
    sums=None,
    dependents=None,
    column_totals=True,
    protection=None,
):
    """Suppress one table (column totals assumed public) with the LP audit.

    Parameters
    ----------
    frame : DataFrame
    count_columns : list of str
    known : array of bool, optional
        Rows the audience knows anyway (shown as they are, never sensitive).
    by, sums, dependents, column_totals
        As :func:`analysis.privacy.suppress`.

    Returns
    -------
    DataFrame
        Hidden counts NA (``Int64``), with ``<col>_suppressed`` and ``<col>_small`` flags.

    Examples
    --------
    >>> import pandas as pd
    >>> out = suppress_flat(pd.DataFrame({"n": [12, 3, 40]}), count_columns=["n"])
    >>> out["n"].tolist(), out["n_small"].tolist()
    ([<NA>, <NA>, 40], [False, True, False])
    """
    from analysis import privacy

    from .core import _mark

    n = len(frame)
    known = np.zeros(n, bool) if known is None else np.asarray(known, bool)
    counts = {c: privacy._as_count(frame[c], c) for c in count_columns}
    system = System()
    cell = {
        c: [system.cell(v, known=bool(k)) for v, k in zip(counts[c], known, strict=True)]
        for c in count_columns
    }
    for total, parts in (sums or {}).items():
        for r in range(n):
            system.equation([cell[p][r] for p in parts], cell[total][r])
    if column_totals and n:
        if by is None:
            groups = [np.arange(n)]
        else:
            keys = [by] if isinstance(by, str) else list(by)
            grouped = pd.DataFrame({"pos": np.arange(n)}).groupby(
                [frame[k].to_numpy() for k in keys], dropna=False, sort=False
            )
            groups = [g["pos"].to_numpy() for _, g in grouped]
        for rows in groups:
            for c in count_columns:
                vals = pd.Series(counts[c][rows])
                total = None if vals.isna().any() else int(vals.sum())
                t = system.cell(total, public=True, margin=True)
                system.equation([cell[c][r] for r in rows], t)
    sol = solve(system, threshold=threshold, protection=protection)
    hidden = {c: sol.hidden[cell[c]] if n else np.zeros(0, bool) for c in count_columns}
    small = {
        c: sol.sensitive[cell[c]] & hidden[c] if n else np.zeros(0, bool) for c in count_columns
    }
    out = _mark(frame, count_columns, hidden, small)
    _dependents(out, dependents, hidden)
    out.attrs["threshold"] = settings.suppression_threshold if threshold is None else threshold
    return out


def _dependents(out, dependents, hidden):
    for dep, sources in (dependents or {}).items():
        if dep not in out.columns:
            continue
        hide = np.zeros(len(out), bool)
        for s in sources:
            if s in hidden:
                hide |= hidden[s]
        if hide.any():
            out[dep] = out[dep].astype(object).where(~hide, None)


# ---------------------------------------------------------------------------------------------
# linked tables built from atomic cells


def area_columns(atoms):
    """The ``area:<kind>`` columns of an atoms frame, as ``{kind: column}``."""
    return {c[len(AREA_PREFIX) :]: c for c in atoms.columns if str(c).startswith(AREA_PREFIX)}


def units_inside(members, scope):
    """Areas whose every member municipality is in ``scope`` (``members``: area_id, code).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"area_id": ["A", "A", "B"], "municipality_code": ["1", "2", "3"]})
    >>> sorted(units_inside(m, ("1", "2")))
    ['A']
    """
    if scope is None:
        return set(members["area_id"].astype(str))
    inside = members["municipality_code"].astype(str).isin([str(s) for s in scope])
    ok = inside.groupby(members["area_id"].astype(str)).all()
    return set(ok[ok].index)


class Linked:
    """A publication: linked tables built from atoms and suppressed together.

    Build it with :func:`linked`. :meth:`table` returns one table (``"municipality"`` or an
    area kind) with hidden counts NA and ``_suppressed``/``_small`` flags; :meth:`apply` puts
    the protected values into an analysis table with the same rows (matched on ``area_id`` and
    the group columns); :meth:`intervals` is the LP audit of the result.
    """

    def __init__(self, system, solution, cells, *, count_columns, group, threshold, protection):
        self.system = system
        self.solution = solution
        self.cells = cells  # {(unit_kind, unit, group_key, column): cell index}
        self.count_columns = list(count_columns)
        self.group = list(group)
        self.threshold = threshold
        self.protection = protection
        self.members = None
        self.unit = "area_id"
        #: Columns computed from counts (hidden with them), e.g. ``{"coverage_pct": [...]}``.
        self.dependents = {}

    def columns_of(self, frame):
        """Count columns of this publication that ``frame`` has."""
        return [c for c in self.count_columns if c in frame.columns]

    def _frame(self, kind):
        rows = {}
        for (k, unit, gkey, col), i in self.cells.items():
            if k != kind:
                continue
            rows.setdefault((unit, gkey), {})[col] = i
        recs = []
        for (unit, gkey), cols in rows.items():
            rec = {"unit": unit}
            rec.update(dict(zip(self.group, gkey, strict=True)))
            for c, i in cols.items():
                hidden = bool(self.solution.hidden[i])
                rec[c] = pd.NA if hidden or self.system.missing[i] else self.system.values[i]
                rec[c + "_suppressed"] = hidden and not self.system.missing[i]
                rec[c + "_small"] = hidden and bool(self.solution.sensitive[i])
            recs.append(rec)
        out = pd.DataFrame(recs)
        for c in out.columns:
            if c in self.count_columns or c.split("@")[0] in self.count_columns:
                out[c] = pd.array(out[c], dtype="Int64")
        out.attrs["threshold"] = self.threshold
        return out

    def table(self, kind):
        """The published table of one unit kind (an area kind, or ``"municipality"``)."""
        return self._frame(kind)

    def kinds(self):
        """Unit kinds this publication holds."""
        return sorted({k for k, *_ in self.cells})

    def apply(self, frame, *, count_columns, who=None, kind=None, unit="area_id"):
        """``frame`` with its count columns replaced by this publication's protected values.

        Rows are matched on ``unit`` (and the group columns). The frame's true counts must
        equal the publication's; a mismatch means the caller linked the wrong data.
        """
        from .core import _mark

        if kind is None:
            kinds = [k for k in self.kinds() if k != "municipality"]
            if "area_kind" in frame.columns and frame["area_kind"].nunique() == 1:
                kind = str(frame["area_kind"].iloc[0])
            elif len(kinds) == 1:
                kind = kinds[0]
            else:
                msg = "Linked.apply: give kind= (the frame has no single area_kind)."
                raise ValueError(msg)
        n = len(frame)
        hidden = {c: np.zeros(n, bool) for c in count_columns}
        small = {c: np.zeros(n, bool) for c in count_columns}
        keys = list(
            zip(
                frame[unit].astype(str),
                *[frame[g] for g in self.group],
                strict=True,
            )
        )
        for r, key in enumerate(keys):
            u, gkey = key[0], tuple(key[1:])
            for c in count_columns:
                src = c if (kind, u, gkey, c) in self.cells else f"{c}@{kind}"
                i = self.cells.get((kind, u, gkey, src))
                if i is None:
                    msg = (
                        f"Linked.apply: no linked cell for {unit}={u} {dict(zip(self.group, gkey))}"
                        f" column {c!r} of kind {kind!r}; build the publication from the same "
                        "data as the table."
                    )
                    raise KeyError(msg)
                raw = frame[c].iloc[r]
                if not pd.isna(raw) and int(raw) != self.system.values[i]:
                    msg = (
                        f"Linked.apply: {c} of {u} is {int(raw)} in the table but "
                        f"{self.system.values[i]} in the linked publication; they must be built "
                        "from the same children."
                    )
                    raise ValueError(msg)
                hidden[c][r] = bool(self.solution.hidden[i]) and not self.system.missing[i]
                small[c][r] = hidden[c][r] and bool(self.solution.sensitive[i])
        out = _mark(frame, count_columns, hidden, small)
        out.attrs["threshold"] = self.threshold
        return out

    def breakdown(self, frame, *, kind, column_of, total_column=None, label="計", group=()):
        """A breakdown table (index = unit, one column per band) with protected values.

        ``column_of`` maps a breakdown column (e.g. ``"0-5"``) to the publication column
        (``"children_age_0-5"``); the margin column/row 「計」 come from ``total_column`` and
        the column totals of the publication. Returns the frame with ``attrs["suppressed"]``
        and ``attrs["small"]`` (boolean frames).
        """
        out = frame.copy().astype(object)
        hidden = pd.DataFrame(False, index=out.index, columns=out.columns)
        small = pd.DataFrame(False, index=out.index, columns=out.columns)
        gkey = tuple(group)
        for r in out.index:
            for c in out.columns:
                src = total_column if c == label else column_of.get(c)
                if src is None:
                    continue
                unit = "_total" if r == label else str(r)
                i = self.cells.get((kind, unit, gkey, src))
                if i is None:
                    continue
                h = bool(self.solution.hidden[i])
                hidden.loc[r, c] = h
                small.loc[r, c] = h and bool(self.solution.sensitive[i])
                out.loc[r, c] = pd.NA if h else self.system.values[i]
        out = out.astype("Int64")
        out.attrs["suppressed"] = hidden
        out.attrs["small"] = small
        out.attrs["threshold"] = self.threshold
        return out

    def intervals(self):
        """LP audit: ``(min, max)`` of every sensitive cell (atoms included)."""
        return [
            (a, b) for _, _, a, b in audit(self.system, self.solution, threshold=self.threshold)
        ]


def linked(
    atoms,
    *,
    count_columns,
    group=(),
    sums=None,
    subsets=None,
    municipalities=False,
    known_municipalities=None,
    threshold=None,
    protection=None,
    public_totals=(),
    equal_groups=None,
):
    """Build and suppress a publication of linked tables from atomic cells.

    Parameters
    ----------
    atoms : DataFrame
        One row per atomic cell (municipality, or municipality x group): ``municipality_code``,
        one ``area:<kind>`` column per area kind giving the area of the atom, the ``group``
        columns (e.g. ``service``) and the count columns. A column named ``<col>@<kind>`` is
        a count published only in that kind's tables (e.g. ``nearest_elsewhere@二次医療圏``).
    count_columns : list of str
    group : list of str
        Columns splitting the publication into independent parts of the same cells (each
        part has its own tables and totals; e.g. one part per service).
    sums : dict of str to list of str (or to a list of such lists)
        Exact relations ``total == sum(parts)`` between columns, true in every atom; a list
        of lists gives several decompositions of one total (``children`` = covered +
        uncovered = the sum of the age bands).
    subsets : dict of str to list of str
        ``part <= total`` relations (each part counts a subset of the total's children).
    municipalities : bool
        Publish the municipality table as well (hazard summary per municipality).
    known_municipalities : collection of str, optional
        Municipalities the audience knows (a scoped coordinator): their atoms and every area
        made only of them are fixed, not protected.
    equal_groups : dict of str to list of lists, optional
        Columns whose atoms are equal across some groups (e.g. ``children`` of services with
        the same age scope count the same children): ``{"children": [[g1, g2], ...]}`` with
        group keys (tuples, or plain values for one group column).
    public_totals : collection of str
        Columns whose total over the region is assumed public elsewhere (e.g. the number of
        registered children); never hidden unless itself small. Other totals are published
        cells like any other (they may be hidden to protect a cell: e.g. a published total of
        covered children next to the public total of children would pin the uncovered ones).

    Returns
    -------
    Linked
    """
    thr = settings.suppression_threshold if threshold is None else int(threshold)
    prot = default_protection(thr) if protection is None else int(protection)
    group = [group] if isinstance(group, str) else list(group)
    kinds = area_columns(atoms)
    known_m = None if known_municipalities is None else {str(m) for m in known_municipalities}
    system = System()
    cells = {}
    sums = dict(sums or {})
    subsets = dict(subsets or {})
    parts_iter = atoms.groupby(group, sort=False, dropna=False) if group else [((), atoms)]
    area_cols = [c for c in atoms.columns if str(c).startswith(AREA_PREFIX)]
    by_group = {}
    for gkey, part in parts_iter:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        part = part.reset_index(drop=True)
        muni = part["municipality_code"].astype(str).to_numpy()
        is_known = np.zeros(len(part), bool) if known_m is None else np.isin(muni, list(known_m))
        atom_cells = {}
        for c in count_columns:
            cols = [c] if c in part.columns else [x for x in part.columns if x.startswith(c + "@")]
            for col in cols:
                atom_cells[col] = [
                    system.cell(v, atom=not municipalities, known=bool(k))
                    for v, k in zip(pd.array(part[col], dtype="Int64"), is_known, strict=True)
                ]
                if municipalities:
                    for r, i in enumerate(atom_cells[col]):
                        cells[("municipality", muni[r], gkey, col)] = i
        keys = list(zip(muni, *[part[c].astype(str) for c in area_cols], strict=True))
        by_group[gkey] = {col: dict(zip(keys, cs, strict=True)) for col, cs in atom_cells.items()}
        for total, parts in sums.items():
            # one decomposition (a list of columns) or several (a list of lists)
            ways = parts if parts and isinstance(parts[0], list | tuple) else [parts]
            for way in ways:
                for r in range(len(part)):
                    system.equation([atom_cells[p][r] for p in way], atom_cells[total][r])
        for total, parts in subsets.items():
            for p in parts:
                for r in range(len(part)):
                    t_v, p_v = system.values[atom_cells[total][r]], system.values[atom_cells[p][r]]
                    rest = system.cell(
                        None
                        if system.missing[atom_cells[total][r]] or system.missing[atom_cells[p][r]]
                        else t_v - p_v,
                        atom=True,
                        known=bool(is_known[r]),
                    )
                    system.missing[rest] = False  # an unknown remainder is still >= 0
                    system.equation([atom_cells[p][r], rest], atom_cells[total][r])
        for col, acells in atom_cells.items():
            only = col.split("@", 1)[1] if "@" in col else None
            for kind, acol in kinds.items():
                if only is not None and only != kind:
                    continue
                area = part[acol].astype(object).where(part[acol].notna(), "_none").astype(str)
                for unit, rows in pd.Series(np.arange(len(part))).groupby(area.to_numpy()):
                    rows = rows.to_numpy()
                    vals = [system.values[acells[r]] for r in rows]
                    miss = any(system.missing[acells[r]] for r in rows)
                    inside = bool(is_known[rows].all())
                    i = system.cell(None if miss else sum(vals), known=inside)
                    system.equation([acells[r] for r in rows], i)
                    cells[(kind, unit, gkey, col)] = i
            if len(acells):
                miss = any(system.missing[i] for i in acells)
                t = system.cell(
                    None if miss else sum(system.values[i] for i in acells),
                    public=col in set(public_totals),
                    margin=True,
                )
                system.equation(list(acells), t)
                for kind in [*kinds, *(["municipality"] if municipalities else [])]:
                    if only is None or only == kind:
                        cells[(kind, "_total", gkey, col)] = t
    for col, sets in (equal_groups or {}).items():
        for members in sets:
            members = [m if isinstance(m, tuple) else (m,) for m in members]
            first = by_group.get(members[0], {}).get(col, {})
            for other in members[1:]:
                cells_other = by_group.get(other, {}).get(col, {})
                for key, i in first.items():
                    if key in cells_other:
                        system.equation([i], cells_other[key])
    sol = solve(system, threshold=thr, protection=prot)
    return Linked(
        system,
        sol,
        cells,
        count_columns=count_columns,
        group=group,
        threshold=thr,
        protection=prot,
    )
