"""Coverage per child: the k nearest compatible facilities of each service, by road.

A facility counts for a child only if it accepts **every** care the child needs and the child's
age (:func:`compatibility`). A facility whose ``accepts`` is unknown (``None``) may or may not
accept the child: it counts, but the answer is only ``possible``, never ``confirmed``. A child
who needs no listed care is confirmed by any facility whose age range fits.

The numeric core (:func:`compatibility`, :func:`groups`) works on plain lists and arrays. The
wrapper :func:`child_access` runs one travel-engine pass per group of children that share the
same set of compatible facilities, and returns the ``child_access`` table of ``DESIGN.md``: one
row per child x service x rank with every number needed to re-check a minute on the road layers.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo import codes, travel

from . import matrix

logger = logging.getLogger(__name__)

NONE, POSSIBLE, CONFIRMED = 0, 1, 2
BASIS = {POSSIBLE: "possible", CONFIRMED: "confirmed"}

#: Columns of the ``child_access`` table (the contract), in order.
COLUMNS = [
    "child_id",
    "service",
    "rank",
    "facility_id",
    "minutes",
    "network_s",
    "access_s",
    "child_node",
    "facility_node",
    "covered",
    "n_within",
    "basis",
    "threshold_min",
    "within",
    "covered_confirmed",
    "n_within_confirmed",
    "far",
]


def _num(values, n):
    if values is None:
        return np.full(n, np.nan)
    out = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    return out.to_numpy(dtype=float, na_value=np.nan)


def compatibility(care, age, accepts, age_min, age_max):
    """Return the compatibility of each child with each facility.

    Parameters
    ----------
    care : sequence of list of str
        Care codes each child needs (``None`` or ``[]``: none listed).
    age : sequence of int
        Age of each child in whole years (NaN: unknown, matches any age range).
    accepts : sequence of list of str or None
        Care codes each facility accepts; ``None`` means unknown.
    age_min, age_max : sequence of float
        Age range of each facility, inclusive; NaN means no bound.

    Returns
    -------
    numpy.ndarray of int8, shape (n_children, n_facilities)
        ``0`` incompatible, ``1`` possible (accepts unknown), ``2`` confirmed.

    Examples
    --------
    Child 0 needs a ventilator at age 3, child 1 needs nothing at age 10:

    >>> compatibility([["ventilator"], []], [3, 10],
    ...               [["ventilator", "suction"], ["suction"], None],
    ...               [0, 0, 0], [6, 18, None]).tolist()
    [[2, 0, 1], [0, 2, 2]]
    """
    n_c, n_f = len(care), len(accepts)
    a = _num(age, n_c)
    lo = _num(age_min, n_f)
    hi = _num(age_max, n_f)
    # classes: identical needs and identical facility capabilities are computed once
    need_key = [(frozenset(c or ()), None if np.isnan(x) else float(x)) for c, x in zip(care, a)]
    fac_key = [
        (None if acc is None else frozenset(acc), float(l_), float(h_))
        for acc, l_, h_ in zip(accepts, lo, hi)
    ]
    needs, need_inv = _classes(need_key)
    facs, fac_inv = _classes(fac_key)
    small = np.zeros((len(needs), len(facs)), dtype=np.int8)
    for i, (need, x) in enumerate(needs):
        for j, (acc, l_, h_) in enumerate(facs):
            if x is not None and ((not np.isnan(l_) and x < l_) or (not np.isnan(h_) and x > h_)):
                continue
            if not need:
                small[i, j] = CONFIRMED
            elif acc is None:
                small[i, j] = POSSIBLE
            elif need <= acc:
                small[i, j] = CONFIRMED
    if n_c == 0 or n_f == 0:
        return np.zeros((n_c, n_f), dtype=np.int8)
    return small[np.ix_(need_inv, fac_inv)]


def _classes(keys):
    index = {}
    inv = np.empty(len(keys), dtype=np.int64)
    for i, k in enumerate(keys):
        inv[i] = index.setdefault(k, len(index))
    return list(index), inv


def groups(compat):
    """Group children that share the same compatible facilities (one engine pass each).

    Parameters
    ----------
    compat : numpy.ndarray, shape (n_children, n_facilities)
        Output of :func:`compatibility`.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``(facility_positions, child_positions)`` per group, skipping groups with no compatible
        facility (those children are unreachable for the service). Groups come in order of
        their first child.

    Examples
    --------
    >>> import numpy as np
    >>> [(f.tolist(), c.tolist()) for f, c in groups(np.array([[2, 0], [2, 0], [0, 1]]))]
    [([0], [0, 1]), ([1], [2])]
    """
    compat = np.asarray(compat)
    if compat.size == 0:
        return []
    mask = compat > 0
    _, first, inv = np.unique(mask, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    out = []
    for g in np.argsort(first):
        fac = np.flatnonzero(mask[first[g]])
        if len(fac) == 0:
            continue
        out.append((fac, np.flatnonzero(inv == g)))
    return out


def facility_age_range(facilities):
    """Return ``(age_min, age_max)`` arrays of facilities, falling back to the service defaults.

    A facility with no age bound of its own takes the bound of its service in
    ``data/service_types.csv`` (for example 6-18 for 放課後等デイサービス).
    """
    st = codes.service_types()
    lo = _num(facilities.get("age_min"), len(facilities))
    hi = _num(facilities.get("age_max"), len(facilities))
    svc = facilities["service"].to_numpy()
    dlo = np.array([_float(st["age_min"].get(s)) for s in svc], dtype=float)
    dhi = np.array([_float(st["age_max"].get(s)) for s in svc], dtype=float)
    lo = np.where(np.isnan(lo), dlo, lo)
    hi = np.where(np.isnan(hi), dhi, hi)
    return lo, hi


def _float(v):
    try:
        return np.nan if v is None or pd.isna(v) else float(v)
    except (TypeError, ValueError):
        return np.nan


def thresholds_s(services, thresholds=None):
    """Return the coverage threshold in seconds of each service (defaults from data/)."""
    st = codes.service_types()
    out = {}
    for s in services:
        minutes = (thresholds or {}).get(s)
        if minutes is None:
            minutes = float(st.loc[s, "threshold_min"]) if s in st.index else 30.0
        out[s] = float(minutes) * 60.0
    return out


def direction(service):
    """Return the travel direction of a service (``to_facility`` or ``to_home``)."""
    st = codes.service_types()
    return str(st.loc[service, "direction"]) if service in st.index else "to_facility"


# ---------------------------------------------------------------------------------------------
# the wrapper over a Context


def in_scope(ages, service):
    """Return a bool mask of children whose age is inside the service's default age range.

    A 3-year-old is not in the scope of 生活介護 (18+), so coverage tables do not count them.
    """
    st = codes.service_types()
    a = _num(ages, len(ages))
    lo = _float(st["age_min"].get(service)) if service in st.index else np.nan
    hi = _float(st["age_max"].get(service)) if service in st.index else np.nan
    ok = np.ones(len(a), dtype=bool)
    if not np.isnan(lo):
        ok &= ~(a < lo)
    if not np.isnan(hi):
        ok &= ~(a > hi)
    return ok


#: Up to this many (facilities of a direction x road nodes) the travel matrix is complete (no
#: limit: the k nearest come straight from it); above, it is bounded by the largest threshold of
#: the direction and children with fewer than k compatible facilities inside are finished by
#: one k-nearest pass per compatibility group among those children only.
MATRIX_MAX_CELLS = 50_000_000


class ServicePass:
    """Engine results of one service for the children in its scope (arrays, positions).

    Attributes
    ----------
    service : str
    threshold_s : float
    children : numpy.ndarray of int
        Positions (``iloc``) of the children in scope.
    facilities : numpy.ndarray of int
        Positions (``iloc``) of the facilities of the service.
    compat : numpy.ndarray of int8
        Compatibility (children in scope x facilities of the service).
    time_s : numpy.ndarray of float, shape (n, k)
        Door-to-door seconds to the k nearest compatible facilities (inf = none).
    fac_pos : numpy.ndarray of int, shape (n, k)
        Index into ``facilities`` (-1 = none).
    pair_child, pair_fac, pair_time_s : numpy.ndarray
        Every compatible (child, facility) pair within the threshold, door to door; indices
        into ``children`` and ``facilities``. Complete: no cap.
    n_capped : int
        Children whose within-threshold list was capped (always 0: the lists are exact).
    n_remainder : int
        Children whose k nearest needed a search beyond the matrix limit.
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _direction_limit(ctx, d, threshold_s):
    """Road limit of the shared matrix of a direction: the largest threshold it serves."""
    fa = matrix.facilities_of_direction(ctx, d)
    services = set(ctx.facilities["service"].iloc[fa].tolist()) if fa.size else set()
    thr = thresholds_s(sorted(services)) if services else {}
    return max([float(threshold_s), *thr.values()])


def _matrix_limit(ctx, d, threshold_s):
    """``(complete, limit_s)`` of the shared travel matrix of direction ``d``.

    Complete (no limit) when cheap: a small network, or the CCH engine (its rows are complete
    anyway); else bounded by the largest threshold the direction serves.
    """
    n_dir = matrix.facilities_of_direction(ctx, d).size
    complete = n_dir * ctx.net.n_nodes <= MATRIX_MAX_CELLS or travel.matrix_engine(ctx.net) == "cch"
    return complete, (None if complete else _direction_limit(ctx, d, threshold_s))


def search_services(ctx, services, thresholds_s_, *, progress=None):
    """Search the travel-matrix columns of every facility of ``services``, one batch per direction.

    :func:`service_pass` then finds its columns searched; one batch keeps both cores busy where
    one small batch per service would leave one idle at the end of each.

    Parameters
    ----------
    services : list of str
    thresholds_s_ : dict of str to float
        Threshold in seconds per service (:func:`thresholds_s`).
    progress : callable, optional
        ``progress(done, total)`` while searching.
    """
    fac = ctx.facilities
    if len(ctx.children) == 0 or len(fac) == 0:
        return
    svc = fac["service"].to_numpy()
    for d in sorted({direction(s) for s in services}):
        mine = [s for s in services if direction(s) == d]
        fa = np.flatnonzero(np.isin(svc, mine))
        if fa.size == 0:
            continue
        _, limit = _matrix_limit(ctx, d, max(thresholds_s_[s] for s in mine))
        matrix.search(ctx, direction=d, limit_s=limit, facilities=fa, progress=progress)


def service_pass(
    ctx,
    service,
    *,
    k=None,
    threshold_s=None,
    ignore_care=False,
    ignore_age=False,
    method="auto",
    progress=None,
):
    """Travel results of one service: k nearest compatible facilities and all pairs within.

    Derived from the shared travel matrix of the service's direction
    (:func:`analysis.matrix.travel_matrix`: one search per facility, cached on the context and
    shared by every service, compatibility group and what-if), by array operations.

    Parameters
    ----------
    ctx : analysis.context.Context
    service : str
        Service code.
    k : int, optional
        Nearest facilities per child (default ``geo.settings.k_nearest``).
    threshold_s : float, optional
        Coverage threshold in seconds (default from ``data/service_types.csv``).
    ignore_care : bool, default False
        Treat every facility of the service as compatible (to find children whose care alone
        keeps them out of reach).
    ignore_age : bool, default False
        Ignore the facilities' own age ranges (to measure what an age limit costs).
    method : {"auto", "matrix", "groups"}
        ``matrix``: from the travel matrix (complete when ``auto`` finds the network small
        enough, :data:`MATRIX_MAX_CELLS`, else bounded by the direction's largest threshold);
        ``groups``: the former engine, one multi-source k-nearest and one within pass per group
        of children sharing compatible facilities (:func:`groups`), kept as a cross-check.
    progress : callable, optional
        ``progress(done, total)`` while the matrix is searched.

    Returns
    -------
    ServicePass
    """
    from geo import settings as _settings

    k = int(k or _settings.k_nearest)
    if threshold_s is None:
        threshold_s = thresholds_s([service])[service]
    key = (
        "pass",
        service,
        k,
        float(threshold_s),
        ignore_care,
        ignore_age,
        method,
        id(ctx.facilities),
    )
    if key in ctx._cache:
        return ctx._cache[key]
    kids = ctx.children
    fac_all = ctx.facilities
    ch = np.flatnonzero(in_scope(kids["age"].tolist(), service)) if len(kids) else np.zeros(0, int)
    fa = np.flatnonzero((fac_all["service"] == service).to_numpy()) if len(fac_all) else ch[:0]
    fac = fac_all.iloc[fa]
    lo, hi = facility_age_range(fac) if len(fac) else (np.zeros(0), np.zeros(0))
    care = kids["care"].iloc[ch].tolist()
    if ignore_care:
        care = [[] for _ in care]
    if ignore_age:
        lo, hi = np.full(len(fac), np.nan), np.full(len(fac), np.nan)
    compat = compatibility(care, kids["age"].iloc[ch].tolist(), fac["accepts"].tolist(), lo, hi)
    n = len(ch)
    time_s = np.full((n, k), np.inf)
    fac_pos = np.full((n, k), -1, dtype=np.int64)
    csnap = ctx.snaps["children"]
    fsnap = ctx.snaps["facilities"]
    c_node = csnap["node"].to_numpy()[ch] if n else np.zeros(0, np.int64)
    c_acc = csnap["access_s"].to_numpy(dtype=float)[ch] if n else np.zeros(0)
    f_node = fsnap["node"].to_numpy()[fa] if len(fa) else np.zeros(0, np.int64)
    f_acc = fsnap["access_s"].to_numpy(dtype=float)[fa] if len(fa) else np.zeros(0)
    d = direction(service)
    pairs = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    n_capped = 0
    n_rest = 0
    if method == "groups":
        time_s, fac_pos, pairs, n_capped = _grouped(
            ctx, compat, k, threshold_s, d, c_node, c_acc, f_node, f_acc
        )
    elif method in ("auto", "matrix"):
        if n and len(fa):
            complete, limit = _matrix_limit(ctx, d, threshold_s)
            # the service's own columns: other services' columns are searched when asked for
            # (by search_services first where several services follow) and shared
            m = matrix.travel_matrix(
                ctx, direction=d, limit_s=limit, facilities=fa, progress=progress
            )
            full = matrix.dense(m[ch][:, fa])
            full[compat == 0] = np.inf
            kk = min(k, full.shape[1])
            order = np.argsort(full, axis=1, kind="stable")[:, :kk]
            tk = np.take_along_axis(full, order, axis=1)
            ok = np.isfinite(tk)
            time_s[:, :kk] = np.where(ok, tk, np.inf)
            fac_pos[:, :kk] = np.where(ok, order, -1)
            ci, fj = np.nonzero(full <= threshold_s)
            pairs = (ci, fj, full[ci, fj])
            if not complete:
                # beyond the matrix limit: children short of k (or of every compatible one)
                n_ok = (compat > 0).sum(axis=1)
                short = np.flatnonzero(ok.sum(axis=1) < np.minimum(kk, n_ok))
                n_rest = short.size
                if short.size:
                    t2, p2, _, _ = _grouped(
                        ctx,
                        compat[short],
                        k,
                        None,
                        d,
                        c_node[short],
                        c_acc[short],
                        f_node,
                        f_acc,
                    )
                    time_s[short] = t2
                    fac_pos[short] = p2
    else:
        msg = f"method is {method!r}; expected 'auto', 'matrix' or 'groups'."
        raise ValueError(msg)
    res = ServicePass(
        service=service,
        threshold_s=float(threshold_s),
        k=k,
        direction=d,
        children=ch,
        facilities=fa,
        compat=compat,
        time_s=time_s,
        fac_pos=fac_pos,
        pair_child=np.asarray(pairs[0], dtype=np.int64),
        pair_fac=np.asarray(pairs[1], dtype=np.int64),
        pair_time_s=np.asarray(pairs[2], dtype=float),
        n_capped=n_capped,
        n_remainder=n_rest,
        child_node=c_node,
        child_access_s=c_acc,
        fac_node=f_node,
        fac_access_s=f_acc,
    )
    ctx._cache[key] = res
    return res


def _grouped(ctx, compat, k, threshold_s, d, c_node, c_acc, f_node, f_acc):
    """Return the k nearest (with a threshold also the within lists), one pass per group.

    Returns ``(time_s[n, k], fac_pos[n, k], (pair_child, pair_fac, pair_time_s), n_capped)``.
    """
    from geo import settings as _settings

    net = ctx.net
    n = compat.shape[0]
    time_s = np.full((n, k), np.inf)
    fac_pos = np.full((n, k), -1, dtype=np.int64)
    pc, pf, pt = [], [], []
    n_capped = 0
    for gfac, gkids in groups(compat):
        src = f_node[gfac].astype(np.int64)
        off = f_acc[gfac]
        tgt = c_node[gkids].astype(np.int64)
        t, p = travel.k_nearest(net, src, k=k, direction=d, targets=tgt, offsets_s=off)
        t = np.asarray(t, dtype=float).reshape(len(gkids), -1)
        p = np.asarray(p).reshape(len(gkids), -1)
        kk = min(k, t.shape[1])
        ok = p[:, :kk] >= 0
        time_s[gkids, :kk] = np.where(ok, t[:, :kk] + c_acc[gkids, None], np.inf)
        fac_pos[gkids, :kk] = np.where(ok, gfac[np.clip(p[:, :kk], 0, None)], -1)
        if threshold_s is None:
            continue
        w = travel.within(
            net,
            src,
            limit_s=float(threshold_s),
            direction=d,
            targets=tgt,
            offsets_s=off,
            k_max=_settings.k_max,
        )
        wt = np.asarray(w.time_s, dtype=float) + c_acc[gkids][np.asarray(w.target_pos)]
        keep = wt <= threshold_s
        pc.append(gkids[np.asarray(w.target_pos)[keep]])
        pf.append(gfac[np.asarray(w.source_pos)[keep]])
        pt.append(wt[keep])
        n_capped += int(w.n_capped)
    pairs = (
        np.concatenate(pc) if pc else np.zeros(0, np.int64),
        np.concatenate(pf) if pf else np.zeros(0, np.int64),
        np.concatenate(pt) if pt else np.zeros(0),
    )
    return time_s, fac_pos, pairs, n_capped


def summary(sp):
    """Per-child summary of a :class:`ServicePass` (children in scope, by position).

    Returns
    -------
    pandas.DataFrame
        Columns ``child`` (iloc in the children layer), ``covered``, ``covered_confirmed``,
        ``n_within``, ``n_within_confirmed``, ``nearest`` (iloc in the facilities layer or -1),
        ``nearest_minutes``.
    """
    n = len(sp.children)
    n_within = np.bincount(sp.pair_child, minlength=n) if n else np.zeros(0, int)
    conf = sp.compat[sp.pair_child, sp.pair_fac] == CONFIRMED if len(sp.pair_child) else []
    n_conf = (
        np.bincount(sp.pair_child[conf], minlength=n) if len(sp.pair_child) else np.zeros(n, int)
    )
    first = sp.time_s[:, 0] if n else np.zeros(0)
    # within lists may be capped; the nearest facility decides coverage exactly
    covered = (first <= sp.threshold_s) | (n_within > 0)
    n_within = np.maximum(n_within, covered.astype(int))
    nearest = np.where(sp.fac_pos[:, 0] >= 0, sp.facilities[np.clip(sp.fac_pos[:, 0], 0, None)], -1)
    return pd.DataFrame(
        {
            "child": sp.children,
            "covered": covered,
            "covered_confirmed": n_conf > 0,
            "n_within": n_within,
            "n_within_confirmed": n_conf,
            "nearest": nearest if n else np.zeros(0, int),
            "nearest_minutes": first / 60.0,
        }
    )


def child_access(ctx, *, k=3, services=None, thresholds=None, progress=None):
    """Return the ``child_access`` table: k nearest compatible facilities per child and service.

    Parameters
    ----------
    ctx : analysis.context.Context
    k : int, default 3
        Facilities kept per child and service.
    services : list of str, optional
        Service codes (default: every service with at least one facility).
    thresholds : dict of str to float, optional
        Coverage threshold in minutes per service (default ``data/service_types.csv``).
    progress : callable, optional
        ``progress(step, total_steps, done, total)``: service ``step`` of ``total_steps``, with
        ``done`` of ``total`` facility locations searched (the app shows it in ``st.status``;
        the command line logs the counts to stderr anyway). The facilities of every service
        are searched in step 1, one batch per direction.

    Returns
    -------
    pandas.DataFrame
        One row per child x service x rank (columns :data:`COLUMNS`). A child in a service's
        age scope with no reachable compatible facility gets one row, rank 1, with an empty
        facility and ``minutes`` NaN. ``minutes = (network_s + access_s) / 60``; ``network_s``
        is the road time between ``child_node`` and ``facility_node`` (ids of
        ``roads_edges.u/v``) in the service's direction; ``access_s`` the two access legs.
        ``covered``, ``n_within`` and their ``_confirmed`` variants are per child and service;
        ``basis`` and ``within`` belong to the row's facility.

    Examples
    --------
    >>> ca = child_access(ctx, k=2)  # doctest: +SKIP
    >>> ca.groupby("service")["covered"].mean()  # doctest: +SKIP
    """
    if services is None:
        # services only: nurseries, schools, contacts and power points are directory places
        services = codes.analysed(ctx.facilities["service"].tolist()) if len(ctx.facilities) else []
    thr = thresholds_s(services, thresholds)
    kids = ctx.children
    fac = ctx.facilities
    csnap = ctx.snaps["children"]
    fsnap = ctx.snaps["facilities"]
    frames = []
    for step, s in enumerate(services, start=1):
        cb = None
        if progress is not None:

            def cb(done, total, step=step):
                progress(step, len(services), done, total)

            cb(0, 0)
        if step == 1:
            # every service's facilities in one batch per direction (both cores busy to the end)
            search_services(ctx, services, thr, progress=cb)
        sp = service_pass(ctx, s, k=k, threshold_s=thr[s], progress=cb)
        summ = summary(sp)
        n = len(sp.children)
        if n == 0:
            continue
        kk = sp.time_s.shape[1]
        ranks = np.tile(np.arange(1, kk + 1), n)
        child_rep = np.repeat(np.arange(n), kk)
        fp = sp.fac_pos.ravel()
        t = sp.time_s.ravel()
        keep = (fp >= 0) | (ranks == 1)
        child_rep, ranks, fp, t = child_rep[keep], ranks[keep], fp[keep], t[keep]
        has = fp >= 0
        fi = np.where(has, sp.facilities[np.clip(fp, 0, None)], 0)
        ci = sp.children[child_rep]
        acc = np.where(
            has, sp.child_access_s[child_rep] + sp.fac_access_s[np.clip(fp, 0, None)], np.nan
        )
        comp = sp.compat[child_rep, np.clip(fp, 0, None)] if len(fp) else np.zeros(0, int)
        minutes = np.where(has, t / 60.0, np.nan)
        fnode = fsnap["node_id"].to_numpy()[fi] if len(fi) else np.zeros(0, np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "child_id": kids["child_id"].to_numpy()[ci],
                    "service": s,
                    "rank": ranks.astype(int),
                    "facility_id": np.where(has, fac["facility_id"].to_numpy()[fi], None),
                    "minutes": minutes,
                    "network_s": np.where(has, t - acc, np.nan),
                    "access_s": acc,
                    "child_node": csnap["node_id"].to_numpy()[ci],
                    "facility_node": pd.array(
                        [int(x) if h else pd.NA for x, h in zip(fnode, has)], dtype="Int64"
                    ),
                    "covered": summ["covered"].to_numpy()[child_rep],
                    "n_within": summ["n_within"].to_numpy()[child_rep],
                    "basis": np.where(has, [BASIS.get(int(c)) for c in comp], None),
                    "threshold_min": sp.threshold_s / 60.0,
                    "within": has & (t <= sp.threshold_s),
                    "covered_confirmed": summ["covered_confirmed"].to_numpy()[child_rep],
                    "n_within_confirmed": summ["n_within_confirmed"].to_numpy()[child_rep],
                    "far": csnap["far"].to_numpy(dtype=bool)[ci],
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: [] for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    logger.info(
        "child_access: %d rows for %d children and %d services",
        len(out),
        out["child_id"].nunique(),
        len(services),
    )
    return out[COLUMNS]
