"""Capacity-aware coverage: which children within reach actually get a place.

Coverage by travel time alone says a 10-bed short stay "covers" every child within 60 minutes,
however many. Here children are assigned to compatible facilities within the threshold, up to
each facility's capacity, so a planner sees four kinds of child side by side:

============  ==================================================================================
status        meaning
============  ==================================================================================
placed        assigned to a compatible facility within the threshold that had a place left
no_place      within reach of compatible facilities, all of known capacity and all full
unknown       not placed, but within reach of a compatible facility whose capacity is unknown
              (it may or may not have a place: never counted as infinite, never as zero)
out_of_reach  no compatible facility within the threshold
============  ==================================================================================

Assignment (numeric core :func:`assign`, over the sparse compatible pairs within the threshold
that :func:`analysis.coverage.service_pass` returns) is a global greedy over pairs:

- ``order="travel_time"`` (default): every (child, facility) pair sorted by door-to-door time,
  ties by child position then facility position; walking the list, a child without a place
  takes the pair's facility if it has a place left. The shortest trips are served first, which
  is what a 圏域 shares out when nobody is prioritised, and what AccessMod's capacity analysis
  does (nearest first). It is not an optimum: a child may take the last place of a facility
  that a farther child needed more.
- ``order="need"``: the same walk with pairs sorted by the child's need weight first (highest
  first; :func:`analysis.sites.need_weight`: ventilator 3, other power-dependent 2, triage
  group 3 1.5, else 1), then time. Power-dependent and ventilated children are the ones a
  coordinator places first (brief §3, §8 scenario 3), so this shows who is left without a
  place when they are.

Capacity is in children: ``places = floor(capacity * children_per_place)`` (a short-stay bed
used one week a month serves about four children; the default 1 counts one child per place).
Facilities whose capacity is unknown (NaN) take nobody in the assignment; the children they
reach and who find no other place are ``unknown``.

Examples
--------
>>> r = assign([0, 1, 1], [0, 0, 1], [60.0, 30.0, 90.0], n_children=3, capacity=[1, 1])
>>> r.status.tolist(), r.facility.tolist()
(['no_place', 'placed', 'out_of_reach'], [-1, 0, -1])
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

ORDERS = ("travel_time", "need")

PLACED, NO_PLACE, UNKNOWN, OUT_OF_REACH = "placed", "no_place", "unknown", "out_of_reach"

#: Statuses in the order a planner reads them.
STATUSES = (PLACED, NO_PLACE, UNKNOWN, OUT_OF_REACH)

#: Japanese labels of the statuses (UI, reports).
STATUS_JA = {
    PLACED: "受入枠あり",
    NO_PLACE: "到達圏内だが空きなし",
    UNKNOWN: "定員不明の事業所のみ",
    OUT_OF_REACH: "到達圏外",
}


def _walk_py(walk, pc, pf, pt, left, facility, time_s):
    """Place children along ``walk`` (pair order); fills ``facility``/``time_s``, uses ``left``."""
    remaining = left.sum()
    unplaced = (facility < 0).sum()
    for p in walk:
        if remaining == 0 or unplaced == 0:
            break
        c = pc[p]
        f = pf[p]
        if facility[c] >= 0 or left[f] == 0:
            continue
        facility[c] = f
        time_s[c] = pt[p]
        left[f] -= 1
        remaining -= 1
        unplaced -= 1


#: Walks of up to this many pairs run in plain Python: importing numba and loading the compiled
#: walk costs about a second, more than a short walk in Python (a site suggestion on a
#: prefecture walks a few thousand pairs); longer walks run compiled. Same placements.
WALK_PY_MAX_PAIRS = 100_000

_compiled = {}


def _walk(walk, pc, pf, pt, left, facility, time_s):
    """:func:`_walk_py`, compiled with numba (a dependency) above :data:`WALK_PY_MAX_PAIRS`."""
    if len(walk) <= WALK_PY_MAX_PAIRS:
        _walk_py(walk, pc, pf, pt, left, facility, time_s)
        return
    if "walk" not in _compiled:
        from numba import njit  # imported only for long walks (see WALK_PY_MAX_PAIRS)

        _compiled["walk"] = njit(cache=True, nogil=True)(_walk_py)
    _compiled["walk"](walk, pc, pf, pt, left, facility, time_s)


class Assignment:
    """Result of :func:`assign` (arrays by child position and by facility position).

    Attributes
    ----------
    status : numpy.ndarray of str
        One of :data:`STATUSES` per child.
    facility : numpy.ndarray of int
        Facility position each child is placed at (-1 when not placed).
    time_s : numpy.ndarray of float
        Door-to-door seconds to that facility (NaN when not placed).
    load : numpy.ndarray of int
        Children placed per facility.
    places : numpy.ndarray of float
        Places per facility (``floor(capacity * children_per_place)``; NaN when unknown).
    full : numpy.ndarray of bool
        Facilities of known capacity with no place left (a 0-place facility is full).
    order : str
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)


def places(capacity, *, children_per_place=1.0):
    """Return places per facility: ``floor(capacity * children_per_place)``, NaN kept.

    Examples
    --------
    >>> places([10, None, 3], children_per_place=1.5).tolist()
    [15.0, nan, 4.0]
    """
    cap = pd.to_numeric(pd.Series(list(capacity), dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    if not np.isfinite(children_per_place) or children_per_place <= 0:
        msg = f"children_per_place is {children_per_place!r}; expected a positive number."
        raise ValueError(msg)
    bad = np.isfinite(cap) & (cap < 0)
    if bad.any():
        msg = (
            f"capacity has negative values at positions {np.flatnonzero(bad).tolist()}; "
            "expected places >= 0 (leave unknown capacity empty)."
        )
        raise ValueError(msg)
    return np.floor(cap * float(children_per_place) + 1e-9)


def assign(
    pair_child,
    pair_fac,
    pair_time_s,
    *,
    n_children,
    capacity,
    order="travel_time",
    weights=None,
    children_per_place=1.0,
):
    """Assign children to facilities up to capacity, greedily over the compatible pairs.

    Parameters
    ----------
    pair_child, pair_fac : array-like of int
        Every compatible (child, facility) pair within the threshold (positions, 0-based).
    pair_time_s : array-like of float
        Door-to-door seconds of each pair.
    n_children : int
        Number of children (size of the per-child results).
    capacity : array-like of float
        Capacity per facility (NaN / None: unknown).
    order : {"travel_time", "need"}
        Walk order of the pairs (see the module docstring).
    weights : array-like of float, optional
        Need weight per child (``order="need"``; default 1 for every child).
    children_per_place : float, default 1.0
        Children one place serves.

    Returns
    -------
    Assignment

    Examples
    --------
    Facility 0 has one place; child 1 is nearer (30 s) and takes it, child 0 is left without
    a place; by need, child 0 (weight 3) comes first:

    >>> assign([0, 1], [0, 0], [60.0, 30.0], n_children=2, capacity=[1]).status.tolist()
    ['no_place', 'placed']
    >>> assign([0, 1], [0, 0], [60.0, 30.0], n_children=2, capacity=[1], order="need",
    ...        weights=[3, 1]).status.tolist()
    ['placed', 'no_place']
    """
    if order not in ORDERS:
        msg = f"order is {order!r}; expected one of {ORDERS}."
        raise ValueError(msg)
    pc = np.asarray(pair_child, dtype=np.int64)
    pf = np.asarray(pair_fac, dtype=np.int64)
    pt = np.asarray(pair_time_s, dtype=float)
    if not (len(pc) == len(pf) == len(pt)):
        msg = f"pairs have lengths {len(pc)}, {len(pf)}, {len(pt)}; expected equal lengths."
        raise ValueError(msg)
    pl = places(capacity, children_per_place=children_per_place)
    n_fac = len(pl)
    if len(pf) and (pf.min() < 0 or pf.max() >= n_fac):
        msg = f"pair facility positions outside 0..{n_fac - 1}; capacity needs one per facility."
        raise ValueError(msg)
    known = np.isfinite(pl)
    left = np.where(known, pl, 0).astype(np.int64)
    facility = np.full(n_children, -1, dtype=np.int64)
    time_s = np.full(n_children, np.nan)
    if order == "need":
        w = np.ones(n_children) if weights is None else np.asarray(weights, dtype=float)
        keys = (pf, pc, pt, -w[pc]) if len(pc) else (pf, pc, pt)
    else:
        keys = (pf, pc, pt)
    walk = np.lexsort(keys) if len(pc) else np.zeros(0, dtype=np.int64)
    # only pairs to facilities with a known place can place a child
    walk = walk[known[pf[walk]] & (left[pf[walk]] > 0)] if len(walk) else walk
    _walk(walk.astype(np.int64), pc, pf, pt, left, facility, time_s)
    reach = np.zeros(n_children, dtype=bool)
    reach[pc] = True
    reach_unknown = np.zeros(n_children, dtype=bool)
    reach_unknown[pc[~known[pf]]] = True
    status = np.full(n_children, OUT_OF_REACH, dtype=object)
    status[reach] = NO_PLACE
    status[reach & reach_unknown] = UNKNOWN
    status[facility >= 0] = PLACED
    load = np.bincount(facility[facility >= 0], minlength=n_fac)
    return Assignment(
        status=status,
        facility=facility,
        time_s=time_s,
        load=load,
        places=pl,
        full=known & (load >= np.where(known, pl, np.inf)),
        order=order,
    )


def counts(status):
    """Children per status (every status present, 0 when none).

    Examples
    --------
    >>> counts(["placed", "placed", "unknown"])
    {'placed': 2, 'no_place': 0, 'unknown': 1, 'out_of_reach': 0}
    """
    s = pd.Series(list(status), dtype=object)
    return {k: int((s == k).sum()) for k in STATUSES}


# ---------------------------------------------------------------------------------------------
# the wrapper over a Context


def for_pass(ctx, sp, *, order="travel_time", children_per_place=1.0):
    """Assign the children of one :class:`analysis.coverage.ServicePass` to its facilities.

    Capacity comes from the ``capacity`` column of the facilities layer (unknown stays
    unknown). Cached on the context.
    """
    key = ("capacity", sp.service, sp.threshold_s, id(sp), order, float(children_per_place))
    if key in ctx._cache:
        return ctx._cache[key]
    cap = ctx.facilities["capacity"].iloc[sp.facilities].tolist() if len(sp.facilities) else []
    w = None
    if order == "need":
        from .sites import need_weight

        w = np.array([need_weight(c) for c in ctx.children["care"].iloc[sp.children]])
    res = assign(
        sp.pair_child,
        sp.pair_fac,
        sp.pair_time_s,
        n_children=len(sp.children),
        capacity=cap,
        order=order,
        weights=w,
        children_per_place=children_per_place,
    )
    if sp.n_capped:
        logger.warning(
            "%s: %d children's within lists were capped at k_max; farther facilities of "
            "theirs took no part in the assignment (pass exact=True for exact lists)",
            sp.service,
            sp.n_capped,
        )
    ctx._cache[key] = res
    return res


def child_capacity(
    ctx,
    *,
    services=None,
    thresholds=None,
    order="travel_time",
    children_per_place=1.0,
    exact=False,
):
    """Per child x service: capacity-aware status, the facility placed at, and E2SFCA.

    Parameters
    ----------
    ctx : analysis.context.Context
    services : list of str, optional
        Services (default: every service with a facility).
    thresholds : dict of str to float, optional
        Threshold in minutes per service (default ``data/service_types.csv``).
    order : {"travel_time", "need"}
        Assignment order (module docstring).
    children_per_place : float, default 1.0
        Children one place serves.
    exact : bool, default False
        Exact within lists (one search per facility) even where the engine would cap them.

    Returns
    -------
    pandas.DataFrame
        ``child_id, service, status, status_ja, facility_id, minutes, covered`` (by time),
        ``access`` (E2SFCA places per child), ``threshold_min, order, children_per_place,
        n_capped`` (children whose within list was capped: 0 means exact).

    Examples
    --------
    >>> t = child_capacity(ctx, services=["short_stay_medical"])  # doctest: +SKIP
    >>> t["status"].value_counts()  # doctest: +SKIP
    """
    from . import coverage, gaps

    fac = ctx.facilities
    if services is None:
        services = list(dict.fromkeys(fac["service"].tolist())) if len(fac) else []
    ct = gaps.child_table(
        ctx,
        services=services,
        thresholds=thresholds,
        order=order,
        children_per_place=children_per_place,
        exact=exact,
    )
    thr = coverage.thresholds_s(services, thresholds)
    out = pd.DataFrame(
        {
            "child_id": ct["child_id"].to_numpy(),
            "service": ct["service"].to_numpy(),
            "status": ct["status"].to_numpy(),
            "status_ja": ct["status"].map(STATUS_JA).to_numpy(),
            "facility_id": ct["placed_facility_id"].to_numpy(),
            "minutes": ct["placed_minutes"].to_numpy(),
            "covered": ct["covered"].to_numpy(dtype=bool),
            "access": ct["access"].to_numpy(dtype=float),
            "threshold_min": ct["service"].map(lambda s: thr[s] / 60.0).to_numpy(),
            "order": order,
            "children_per_place": float(children_per_place),
            "n_capped": ct["n_capped"].to_numpy(),
        }
    )
    return out


def facility_load(ctx, *, service, threshold_min=None, order="travel_time", children_per_place=1.0):
    """Per facility of one service: places, children placed, places left, full.

    Returns
    -------
    pandas.DataFrame
        ``facility_id, name, service, capacity, places, placed, left, full, capacity_known``.

    Examples
    --------
    >>> facility_load(ctx, service="short_stay_medical")  # doctest: +SKIP
    """
    from . import coverage

    thr = coverage.thresholds_s([service], {service: threshold_min} if threshold_min else None)
    sp = coverage.service_pass(ctx, service, threshold_s=thr[service])
    res = for_pass(ctx, sp, order=order, children_per_place=children_per_place)
    fac = ctx.facilities.iloc[sp.facilities]
    known = np.isfinite(res.places)
    return pd.DataFrame(
        {
            "facility_id": fac["facility_id"].to_numpy(),
            "name": fac["name"].to_numpy() if "name" in fac else None,
            "service": service,
            "capacity": pd.to_numeric(fac["capacity"], errors="coerce").to_numpy(dtype=float),
            "places": res.places,
            "placed": res.load,
            "left": np.where(known, res.places - res.load, np.nan),
            "full": res.full,
            "capacity_known": known,
            "threshold_min": thr[service] / 60.0,
            "order": order,
        },
        index=fac.index,
    )
