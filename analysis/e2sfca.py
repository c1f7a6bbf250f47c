"""Enhanced two-step floating catchment area (E2SFCA) accessibility over sparse triples.

The numeric core works on ``(child, facility, seconds)`` triples, such as those
:func:`geo.travel.within` returns, so it can be checked by hand on a 3x3 matrix (the
spopt/access style). Only compatible pairs should be passed: a facility competes only for the
children it can serve.

Method (Luo & Qi 2009; Gaussian decay after Dai 2010):

1. Supply-to-demand ratio of facility *j*:
   ``R_j = S_j / sum_i D_i * f(t_ij)`` over the children *i* within the catchment.
2. Accessibility of child *i*: ``A_i = sum_j R_j * f(t_ij)``.

``S_j`` is capacity (places), ``D_i`` the demand weight of a child (1 by default), ``f`` the
decay. ``A_i`` reads "places per child". The invariant ``sum_i D_i * A_i = sum_j S_j`` holds
whenever every facility reaches at least one child with a positive weight (each facility's
capacity is shared out exactly), which the tests assert.

Decays (``t`` travel time, ``d0`` the catchment, both in seconds):

- ``gaussian`` (default):
  ``f(t) = (exp(-0.5 (t/d0)^2) - exp(-0.5)) / (1 - exp(-0.5))`` for ``t <= d0`` and ``0`` beyond, so
  ``f(0) = 1`` and ``f(d0) = 0`` (a Gaussian that reaches zero at the catchment edge).
- ``step``: three equal zones of the catchment weighted ``1.0, 0.68, 0.22`` (Luo & Qi's
  10/20/30-minute weights scaled to the catchment), ``0`` beyond.
- ``none``: ``1`` inside the catchment (plain 2SFCA).
"""

from __future__ import annotations

import numpy as np

DECAYS = ("gaussian", "step", "none")

#: Weights of the three zones of the stepped decay (Luo & Qi 2009).
STEP_WEIGHTS = (1.0, 0.68, 0.22)


def decay(time_s, catchment_s, *, kind="gaussian"):
    """Return the decay weight of each travel time (0 outside the catchment).

    Parameters
    ----------
    time_s : array-like of float
        Travel times in seconds (``inf`` allowed).
    catchment_s : float or array-like of float
        Catchment size in seconds (a scalar or one value per time).
    kind : {"gaussian", "step", "none"}
        The decay function; see the module docstring.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> decay([0, 1800, 3600, 4000], 3600).round(3).tolist()
    [1.0, 0.701, 0.0, 0.0]
    >>> decay([0, 1300, 2500, 3600], 3600, kind="step").tolist()
    [1.0, 0.68, 0.22, 0.22]
    """
    t = np.asarray(time_s, dtype=float)
    d0 = np.broadcast_to(np.asarray(catchment_s, dtype=float), t.shape)
    inside = np.isfinite(t) & (t <= d0) & (d0 > 0)
    out = np.zeros(t.shape, dtype=float)
    if kind == "gaussian":
        edge = np.exp(-0.5)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = (np.exp(-0.5 * (t / d0) ** 2) - edge) / (1.0 - edge)
        out[inside] = g[inside]
    elif kind == "step":
        with np.errstate(divide="ignore", invalid="ignore"):
            zone = np.floor(3.0 * t / d0)
        zone = np.clip(np.nan_to_num(zone, nan=2.0), 0, 2).astype(int)
        out[inside] = np.asarray(STEP_WEIGHTS)[zone[inside]]
    elif kind == "none":
        out[inside] = 1.0
    else:
        msg = f"Unknown decay {kind!r}; expected one of {DECAYS}."
        raise ValueError(msg)
    return out


def e2sfca(
    demand_idx,
    supply_idx,
    time_s,
    *,
    n_demand,
    n_supply,
    capacity,
    catchment_s,
    demand=None,
    kind="gaussian",
):
    """Compute E2SFCA accessibility from sparse (demand, supply, time) triples.

    Parameters
    ----------
    demand_idx, supply_idx : array-like of int
        Positions of the child and of the facility of each pair (0-based).
    time_s : array-like of float
        Travel time of each pair in seconds.
    n_demand, n_supply : int
        Number of children and of facilities (sizes of the results).
    capacity : array-like of float
        Capacity ``S_j`` per facility (length ``n_supply``); NaN counts as 0.
    catchment_s : float or array-like of float
        Catchment in seconds (a scalar, or one per pair).
    demand : array-like of float, optional
        Demand weight ``D_i`` per child (default 1).
    kind : {"gaussian", "step", "none"}
        Decay, see :func:`decay`.

    Returns
    -------
    access : numpy.ndarray of float
        ``A_i`` per child (places per child), 0 for a child no facility reaches.
    ratio : numpy.ndarray of float
        ``R_j`` per facility; NaN for a facility that reaches no child.

    Examples
    --------
    Two children, one facility of 10 places reached by both at zero minutes:

    >>> a, r = e2sfca([0, 1], [0, 0], [0.0, 0.0], n_demand=2, n_supply=1,
    ...               capacity=[10], catchment_s=1800)
    >>> a.tolist(), r.tolist()
    ([5.0, 5.0], [5.0])
    """
    di = np.asarray(demand_idx, dtype=np.int64)
    sj = np.asarray(supply_idx, dtype=np.int64)
    t = np.asarray(time_s, dtype=float)
    cap = np.nan_to_num(np.asarray(capacity, dtype=float), nan=0.0)
    if cap.shape != (n_supply,):
        msg = f"capacity has shape {cap.shape}; expected ({n_supply},), one value per facility."
        raise ValueError(msg)
    dem = np.ones(n_demand) if demand is None else np.asarray(demand, dtype=float)
    w = decay(t, catchment_s, kind=kind)
    weighted = (
        np.bincount(sj, weights=dem[di] * w, minlength=n_supply) if len(sj) else np.zeros(n_supply)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted > 0, cap / weighted, np.nan)
    contrib = np.nan_to_num(ratio[sj]) * w if len(sj) else np.zeros(0)
    access = np.bincount(di, weights=contrib, minlength=n_demand) if len(di) else np.zeros(n_demand)
    return access, ratio
