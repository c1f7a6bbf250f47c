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

from geo import codes

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
