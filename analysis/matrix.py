"""The child x facility travel matrix: one road search per facility and direction, shared.

Every analysis that needs door-to-door times between children and facilities (coverage, gaps,
E2SFCA, sites, what-if) derives them from :func:`travel_matrix` by array operations instead of
searching the road network again per group of compatible children. A matrix is computed once
per ``(direction, limit, scenario)`` and cached on the context; a what-if context
(:meth:`analysis.context.Context.with_facilities`) reuses the columns of the facilities it
shares with its parent and only searches from the new sites.

Times are **door to door**: the child's access leg + the road time + the facility's access leg
(``geo.snap`` legs), in seconds, in the service direction (``to_facility``: home -> facility;
``to_home``: facility -> home).

Examples
--------
>>> from analysis import context, matrix
>>> ctx = context.load("data/demo/demo.gpkg")  # doctest: +SKIP
>>> m = matrix.travel_matrix(ctx, direction="to_facility", limit_s=3600)  # doctest: +SKIP
>>> m.shape == (len(ctx.children), len(ctx.facilities))  # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
import math
import sys
import time

import numpy as np
from scipy import sparse

from geo import codes, travel

logger = logging.getLogger(__name__)

__all__ = ["dense", "facilities_of_direction", "search", "travel_matrix"]

dense = travel.dense


def facilities_of_direction(ctx, direction):
    """Positions (``iloc``) of the facilities whose service travels in ``direction``.

    A service missing from ``data/service_types.csv`` counts as ``to_facility``.

    Examples
    --------
    >>> facilities_of_direction(ctx, "to_home")  # doctest: +SKIP
    array([ 7,  8, 12])
    """
    travel.check_direction(direction)
    fac = ctx.facilities
    if len(fac) == 0:
        return np.zeros(0, dtype=np.int64)
    st = codes.service_types()
    known = dict(zip(st.index, st["direction"].astype(str), strict=True))
    d = np.array([known.get(s, "to_facility") for s in fac["service"].tolist()], dtype=object)
    return np.flatnonzero(d == direction).astype(np.int64)


class _Progress:
    """Reports searches done: to a callback, and on the CLI's stderr.

    On a terminal one line is redrawn in place (a bar with counts, per cent, elapsed time and
    the time left); otherwise (a log file, CI) a log line every ``every_s`` seconds with the
    same counts. Nothing is shown when the log level hides INFO (``ikemap --quiet``).
    """

    def __init__(self, label, callback, every_s=5.0, stream=None, width=24):
        self.label = label
        self.callback = callback
        self.every_s = every_s
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.start = time.monotonic()
        self.last = self.start
        self.last_bar = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def text(self, done, total, now=None):
        """One line of progress: ``label [####......] 12/40 facility locations (30 %) ...``."""
        now = time.monotonic() if now is None else now
        frac = done / total if total else 1.0
        fill = int(frac * self.width)
        bar = "#" * fill + "." * (self.width - fill)
        elapsed = now - self.start
        line = (
            f"{self.label} [{bar}] {done:,}/{total:,} facility locations "
            f"({frac * 100:.0f} %), {elapsed:.0f} s"
        )
        if 0 < done < total:
            line += f", about {elapsed / done * (total - done):.0f} s left"
        return line

    def __call__(self, done, total):
        if self.callback is not None:
            self.callback(done, total)
        if not logger.isEnabledFor(logging.INFO):
            return
        now = time.monotonic()
        if self.tty:
            if done == total or now - self.last_bar >= 0.2:
                self.last_bar = now
                end = "\n" if done == total else ""
                self.stream.write("\r" + self.text(done, total, now) + end)
                self.stream.flush()
            return
        if done == total or now - self.last >= self.every_s:
            self.last = now
            logger.info("%s", self.text(done, total, now))


def _scenario_key(scenario):
    if scenario is None:
        return None
    if not isinstance(scenario, dict) or "min_level" not in scenario:
        msg = (
            f"scenario is {scenario!r}; expected None or a dict like "
            "{'min_level': 3, 'hazard_types': ['flood']}."
        )
        raise ValueError(msg)
    types = scenario.get("hazard_types")
    return (int(scenario["min_level"]), tuple(sorted(types)) if types else None)


def _plan(ctx, direction, limit_s, scenario, facilities):
    """Checked arguments of :func:`search` / :func:`travel_matrix`."""
    travel.check_direction(direction)
    limit = math.inf if limit_s is None else float(limit_s)
    if math.isnan(limit) or limit < 0:
        msg = f"limit_s is {limit_s!r}; expected seconds >= 0 (or None for no limit)."
        raise ValueError(msg)
    skey = _scenario_key(scenario)
    fac_pos = (
        facilities_of_direction(ctx, direction)
        if facilities is None
        else np.unique(np.asarray(facilities, dtype=np.int64))
    )
    return limit, skey, fac_pos


def _search(ctx, direction, limit, skey, fac_pos, progress, threads):
    """Road columns (children rows, seconds) of the nodes of ``fac_pos``, searched if missing."""
    fsnap = ctx.snaps["facilities"]
    f_node = fsnap["node"].to_numpy(dtype=np.int64)[fac_pos]
    f_acc = fsnap["access_s"].to_numpy(dtype=float)[fac_pos]
    # road times node -> children per facility node, shared by every context on these children
    store = ctx.matrix_store(skey, direction)
    need_nodes = np.unique(f_node)
    have = store.get("limit", -1.0)
    cols = store.setdefault("cols", {})
    road_limit = limit - float(f_acc.min())
    if have < road_limit:
        cols.clear()
        store["limit"] = road_limit
    missing = np.array([n for n in need_nodes.tolist() if n not in cols], dtype=np.int64)
    if missing.size:
        net = ctx.net if skey is None else ctx.scenario(min_level=skey[0], hazard_types=skey[1])
        csnap = ctx.snaps["children"]
        logger.info(
            "Travel matrix %s%s: searching from %d facility node(s), %s",
            direction,
            f" scenario {skey}" if skey else "",
            missing.size,
            "no time limit (complete rows)"
            if math.isinf(store["limit"])
            else f"up to {store['limit'] / 60:.0f} min by road",
        )
        m = travel.matrix(
            net,
            missing,
            csnap["node"].to_numpy(dtype=np.int64),
            direction=direction,
            limit_s=store["limit"],
            target_offsets_s=csnap["access_s"].to_numpy(dtype=float),
            threads=threads,
            progress=_Progress(f"Travel matrix {direction}", progress),
        )
        mc = m.tocsc()
        del m
        for j, node in enumerate(missing.tolist()):
            a, b = mc.indptr[j], mc.indptr[j + 1]
            cols[node] = (mc.indices[a:b].astype(np.int32), mc.data[a:b].copy())
        del mc
    return cols, f_node, f_acc


def search(
    ctx, *, direction, limit_s=None, scenario=None, facilities=None, progress=None, threads=None
):
    """Search the road columns of ``facilities`` into the context's store, in one batch.

    :func:`travel_matrix` then assembles any subset of them without searching again. Callers
    that will ask for several services' matrices (coverage, gaps) search the union first: one
    batch keeps both cores busy to the end, where one small batch per service would not.
    Arguments as :func:`travel_matrix`; returns nothing.

    Examples
    --------
    >>> search(ctx, direction="to_facility", facilities=[0, 3, 7])  # doctest: +SKIP
    """
    limit, skey, fac_pos = _plan(ctx, direction, limit_s, scenario, facilities)
    if len(ctx.children) == 0 or fac_pos.size == 0:
        return
    _search(ctx, direction, limit, skey, fac_pos, progress, threads)


def travel_matrix(
    ctx, *, direction, limit_s=None, scenario=None, facilities=None, progress=None, threads=None
):
    """Door-to-door seconds between every child and every facility, as a sparse matrix.

    One bounded road search per distinct facility node (:func:`geo.travel.matrix`), cached on
    the context per ``(direction, scenario)``: a later call with a smaller limit filters the
    cached one, a larger limit searches again.

    Parameters
    ----------
    ctx : analysis.context.Context
    direction : {"to_facility", "to_home"}
        Service direction (``data/service_types.csv``).
    limit_s : float, optional
        Keep pairs whose door-to-door time is ``<= limit_s``; ``None`` or ``inf`` = every
        reachable pair (a whole-network search per facility: slow on a prefecture).
    scenario : dict, optional
        Hazard scenario ``{"min_level": int, "hazard_types": list or None}``: edges in zones at or
        above that level are closed (:meth:`analysis.context.Context.scenario`).
    facilities : array-like of int, optional
        Facility positions (``iloc``) to search from; default :func:`facilities_of_direction`.
        Other columns stay empty.
    progress : callable, optional
        ``progress(done, total)`` with the facility nodes searched so far.
    threads : int, optional
        Searches at once (default: the CPUs of this process).

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n_children, n_facilities)
        Row = child position, column = facility position (``iloc`` in ``ctx.children`` /
        ``ctx.facilities``). Stored entries are exactly the pairs within the limit, nothing
        capped; a stored ``0.0`` is a real zero (use ``indptr``/``indices``/``data`` or
        :func:`dense`). Columns ascending within a row. The result is cached on the context
        and shared: never modify it in place (slice or copy first). Children or facilities
        far from the roads keep their (long) access legs; they are not dropped.

    Examples
    --------
    >>> m = travel_matrix(ctx, direction="to_facility", limit_s=30 * 60)  # doctest: +SKIP
    >>> d = dense(m)  # inf where no pair within 30 minutes  # doctest: +SKIP
    """
    limit, skey, fac_pos = _plan(ctx, direction, limit_s, scenario, facilities)
    n_c, n_f = len(ctx.children), len(ctx.facilities)
    if n_c == 0 or fac_pos.size == 0:
        return sparse.csr_array((n_c, n_f), dtype=np.float64)
    done_key = ("travel_matrix", skey, direction, limit, fac_pos.tobytes(), id(ctx.facilities))
    if done_key in ctx._cache:
        return ctx._cache[done_key]
    cols, f_node, f_acc = _search(ctx, direction, limit, skey, fac_pos, progress, threads)
    # assemble column by column (CSC), then convert: the conversion walks the columns in
    # order, so every row's columns come out ascending (no sort of all the pairs)
    counts = np.zeros(n_f, dtype=np.int64)
    rows, tt = [], []
    for j, node, acc in zip(fac_pos.tolist(), f_node.tolist(), f_acc.tolist(), strict=True):
        r, t = cols[node]
        t = t + acc
        ok = t <= limit
        if not ok.all():
            r, t = r[ok], t[ok]
        rows.append(r)
        tt.append(t)
        counts[j] = r.size
    indptr = np.zeros(n_f + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    out = sparse.csc_array(
        (np.concatenate(tt), np.concatenate(rows), indptr), shape=(n_c, n_f)
    ).tocsr()
    ctx._cache[done_key] = out  # callers must not modify it
    return out
