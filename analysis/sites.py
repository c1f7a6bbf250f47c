"""Site suggestion: where N new sites of a service would newly cover the most children.

Numeric core (:func:`maximal_covering`): the maximal covering location problem (Church & ReVelle
1974) over a sparse coverage relation ``a_ij`` (candidate *j* reaches child *i* within the
service threshold), with need weights ``w_i``::

    maximise    sum_i w_i y_i
    subject to  y_i <= sum_j a_ij x_j      (a child counts only if a chosen site reaches it)
                sum_j x_j <= k
                x_j in {0, 1},  0 <= y_i <= 1

It is solved exactly with HiGHS through :func:`scipy.optimize.milp` (``y`` may stay continuous:
at an optimum it is 0 or 1). Above :data:`MILP_MAX_NNZ` coverage pairs, or if HiGHS fails or
runs out of time, a greedy heuristic takes over: it picks, k times, the candidate with the
largest weight of children not yet covered (the classic (1 - 1/e) approximation). The result
says which solver answered.

Only children not covered today are demand: existing compatible facilities already within the
threshold take a child out. Candidates are existing facilities of other services, road nodes in
populated places (children's homes and DBSCAN clusters of uncovered children), or a user list;
candidates inside a hazard zone at or above a chosen level are excluded.

A new site declares the care it would accept, its age range and its capacity
(:func:`site_defaults` when not given: every care code for a medical service of
``data/service_types.csv`` (``medical = true``), else the commonest ``accepts`` of the
workspace's facilities of the service; the service's age range; the median known capacity of the
service's facilities, which the service table does not carry). A child counts for a site only
if the site accepts every care it needs and its age.

With ``capacitated=True`` the demand is every child in scope without a place today
(:mod:`analysis.capacity`: no place left, out of reach, or only capacity-unknown facilities),
and each chosen site takes at most its capacity (capacitated MCLP)::

    maximise    sum_p w_i(p) z_p
    subject to  sum_{p of child i} z_p <= 1
                sum_{p of site j} z_p <= C_j x_j,   z_p <= x_j(p)
                sum_j x_j <= k,   x_j in {0, 1},   0 <= z_p <= 1

(for a fixed choice of sites the assignment is a bipartite b-matching, so ``z`` comes out whole).
Above :data:`MILP_CAP_MAX_NNZ` pairs, or when HiGHS fails (or its time-limited answer is no
better), the greedy fallback takes, k times, the site whose best ``C_j`` unplaced children weigh
most. The output says which solver answered.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Above this many (child, candidate) coverage pairs the greedy heuristic is used.
MILP_MAX_NNZ = 200_000

#: Above this many (child, candidate) pairs the capacitated problem goes to the greedy fallback
#: (its relaxation is weak: HiGHS needs far longer than for the plain covering problem).
MILP_CAP_MAX_NNZ = 20_000

#: Time limit of one HiGHS solve, in seconds.
MILP_TIME_LIMIT_S = 20.0

#: Need weight per ``triage_group`` of data/care_types.csv (1 = ventilator ... 4); no care = 1.
NEED_WEIGHTS = {1: 3.0, 2: 2.0, 3: 1.5, 4: 1.0}


def need_weight(care):
    """Return the need weight of a child from its care codes (the highest group wins).

    Examples
    --------
    >>> need_weight(["ventilator", "tube_feeding"]), need_weight(["catheterization"])
    (3.0, 1.0)
    """
    from geo import codes

    groups = codes.care_types()["triage_group"]
    best = 1.0
    for c in care or ():
        if c in groups.index:
            best = max(best, NEED_WEIGHTS.get(int(groups[c]), 1.0))
    return best


def greedy_covering(demand_idx, cand_idx, *, n_demand, n_cand, weights, k):
    """Pick ``k`` candidates greedily by the weight of children they newly cover.

    Parameters
    ----------
    demand_idx, cand_idx : array-like of int
        Pairs (child, candidate) where the candidate reaches the child.
    n_demand, n_cand : int
        Sizes.
    weights : array-like of float
        Need weight per child.
    k : int
        Number of sites.

    Returns
    -------
    list of (int, float)
        ``(candidate, gain)`` in the order picked; stops early when nothing more is gained.

    Examples
    --------
    >>> greedy_covering([0, 1, 1, 2], [0, 0, 1, 1], n_demand=3, n_cand=2,
    ...                 weights=[1, 1, 1], k=2)
    [(0, 2.0), (1, 1.0)]
    """
    from scipy import sparse

    w = np.asarray(weights, dtype=float)
    a = sparse.csc_matrix(
        (np.ones(len(demand_idx)), (np.asarray(demand_idx), np.asarray(cand_idx))),
        shape=(n_demand, n_cand),
    )
    a.data[:] = 1.0
    open_ = w.copy()
    picked = []
    for _ in range(k):
        gains = a.T @ open_
        for j, _g in picked:
            gains[j] = -1.0
        j = int(np.argmax(gains)) if n_cand else -1
        if j < 0 or gains[j] <= 0:
            break
        picked.append((j, float(gains[j])))
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        open_[rows] = 0.0
    return picked


def maximal_covering(
    demand_idx, cand_idx, *, n_demand, n_cand, weights, k, method="auto", time_limit_s=None
):
    """Choose up to ``k`` candidates that cover the largest total weight of children.

    Parameters
    ----------
    demand_idx, cand_idx : array-like of int
        Coverage pairs (child, candidate).
    n_demand, n_cand : int
        Sizes.
    weights : array-like of float
        Need weight per child.
    k : int
        Number of sites to choose.
    method : {"auto", "milp", "greedy"}
        ``auto`` solves exactly with HiGHS up to :data:`MILP_MAX_NNZ` pairs, else greedily.
    time_limit_s : float, optional
        HiGHS time limit (default :data:`MILP_TIME_LIMIT_S`).

    Returns
    -------
    chosen : list of (int, float)
        ``(candidate, marginal gain)``, ordered as a greedy sequence over the chosen set
        (the first adds most), so the k-th row says what the k-th site adds.
    solver : str
        ``"highs"`` or ``"greedy"``.

    Examples
    --------
    Greedy would take candidate 0 (covers 4) then one more child (5 in all); the optimum
    takes 1 and 2 (6):

    >>> pairs = ([1, 2, 3, 4, 0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> chosen, solver = maximal_covering(*pairs, n_demand=6, n_cand=3,
    ...                                   weights=[1] * 6, k=2)
    >>> sorted(j for j, _ in chosen), solver
    ([1, 2], 'highs')
    """
    d = np.asarray(demand_idx, dtype=np.int64)
    c = np.asarray(cand_idx, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    k = int(min(k, n_cand))
    if k <= 0 or len(d) == 0:
        return [], "greedy" if method == "greedy" else "highs"
    if method == "greedy" or (method == "auto" and len(d) > MILP_MAX_NNZ):
        return greedy_covering(d, c, n_demand=n_demand, n_cand=n_cand, weights=w, k=k), "greedy"
    chosen = _milp(d, c, n_demand, n_cand, w, k, time_limit_s or MILP_TIME_LIMIT_S)
    if chosen is None:
        logger.warning("HiGHS did not solve the covering problem; using the greedy heuristic")
        return greedy_covering(d, c, n_demand=n_demand, n_cand=n_cand, weights=w, k=k), "greedy"
    # order the chosen set greedily so each row reports its marginal gain
    sel = np.isin(c, chosen)
    remap = {j: i for i, j in enumerate(chosen)}
    order = greedy_covering(
        d[sel],
        np.array([remap[j] for j in c[sel]], dtype=np.int64),
        n_demand=n_demand,
        n_cand=len(chosen),
        weights=w,
        k=len(chosen),
    )
    return [(chosen[i], g) for i, g in order], "highs"


def _milp(d, c, n_demand, n_cand, w, k, time_limit_s):
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    # only demand that some candidate covers matters
    rows = np.unique(d)
    rmap = np.full(n_demand, -1, dtype=np.int64)
    rmap[rows] = np.arange(len(rows))
    m = len(rows)
    # variables: x_0..x_{n_cand-1}, y_0..y_{m-1}
    cost = np.concatenate([np.zeros(n_cand), -w[rows]])
    # y_i - sum_j a_ij x_j <= 0
    a = sparse.coo_matrix(
        (
            np.concatenate([-np.ones(len(d)), np.ones(m)]),
            (np.concatenate([rmap[d], np.arange(m)]), np.concatenate([c, n_cand + np.arange(m)])),
        ),
        shape=(m, n_cand + m),
    ).tocsr()
    card = sparse.csr_matrix(
        (np.ones(n_cand), (np.zeros(n_cand, dtype=int), np.arange(n_cand))),
        shape=(1, n_cand + m),
    )
    cons = [
        LinearConstraint(a, -np.inf, 0.0),
        LinearConstraint(card, 0, k),
    ]
    integrality = np.concatenate([np.ones(n_cand), np.zeros(m)])
    res = milp(
        cost,
        constraints=cons,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s, "disp": False},
    )
    if res.x is None or res.status not in (0, 1):
        return None
    x = res.x[:n_cand]
    chosen = [int(j) for j in np.flatnonzero(x > 0.5)]
    return chosen


def capacitated_covering(
    demand_idx,
    cand_idx,
    *,
    n_demand,
    n_cand,
    weights,
    k,
    capacity,
    time_s=None,
    method="auto",
    time_limit_s=None,
):
    """Choose up to ``k`` sites and place children in them, each site up to its capacity.

    Parameters
    ----------
    demand_idx, cand_idx : array-like of int
        Coverage pairs (child, candidate).
    n_demand, n_cand : int
        Sizes.
    weights : array-like of float
        Need weight per child.
    k : int
        Number of sites.
    capacity : array-like of float
        Places per candidate (whole numbers >= 0).
    time_s : array-like of float, optional
        Travel time per pair (breaks ties: nearer children first).
    method : {"auto", "milp", "greedy"}
        As :func:`maximal_covering`.

    Returns
    -------
    chosen : list of (int, float)
        ``(candidate, weight placed there)``, heaviest first.
    placed_at : numpy.ndarray of int
        Candidate each child is placed at (-1: none).
    solver : str
        ``"highs"`` (optimal), ``"highs_time_limit"`` (HiGHS's best within the time limit,
        better than greedy) or ``"greedy"`` (above :data:`MILP_CAP_MAX_NNZ` pairs, HiGHS failed,
        or its time-limited answer was no better).

    Examples
    --------
    Site 0 reaches children 0-2 but has 1 place; site 1 reaches 1-2 with 2 places. With one
    site, site 1 places two children:

    >>> ch, at, solver = capacitated_covering([0, 1, 2, 1, 2], [0, 0, 0, 1, 1], n_demand=3,
    ...                                       n_cand=2, weights=[1, 1, 1], k=1, capacity=[1, 2])
    >>> ch, at.tolist(), solver
    ([(1, 2.0)], [-1, 1, 1], 'highs')
    """
    d = np.asarray(demand_idx, dtype=np.int64)
    c = np.asarray(cand_idx, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    cap = np.floor(np.nan_to_num(np.asarray(capacity, dtype=float), nan=0.0)).astype(np.int64)
    t = np.zeros(len(d)) if time_s is None else np.asarray(time_s, dtype=float)
    k = int(min(k, n_cand))
    placed_at = np.full(n_demand, -1, dtype=np.int64)
    if k <= 0 or len(d) == 0:
        return [], placed_at, "greedy" if method == "greedy" else "highs"
    chosen, solver = None, "highs"
    if method == "milp" or (method == "auto" and len(d) <= MILP_CAP_MAX_NNZ):
        sol = _milp_capacitated(d, c, n_demand, n_cand, w, k, cap, time_limit_s)
        if sol is None:
            logger.warning("HiGHS did not solve the capacitated problem; using the greedy one")
        else:
            chosen, optimal = sol
            # the relaxation's z may be fractional: place exactly among the chosen sites
            placed_at = _assign_exact(d, c, w, t, cap, chosen, n_demand, time_limit_s)
            if not optimal:
                # time limit: keep HiGHS's incumbent only if it beats the greedy answer
                g_chosen = _greedy_capacitated(d, c, n_demand, n_cand, w, k, cap, t)
                g_at = _place(d, c, w, t, cap, g_chosen, n_demand)
                if w[g_at >= 0].sum() >= w[placed_at >= 0].sum():
                    chosen, placed_at, solver = g_chosen, g_at, "greedy"
                else:
                    solver = "highs_time_limit"
    if chosen is None:
        chosen, solver = _greedy_capacitated(d, c, n_demand, n_cand, w, k, cap, t), "greedy"
        placed_at = _place(d, c, w, t, cap, chosen, n_demand)
    gain = np.bincount(placed_at[placed_at >= 0], weights=w[placed_at >= 0], minlength=n_cand)
    # a site that places nobody is not worth opening (HiGHS may leave x = 1 at no cost)
    order = sorted((j for j in chosen if gain[j] > 0), key=lambda j: (-gain[j], j))
    return [(int(j), float(gain[j])) for j in order], placed_at, solver


def _place(d, c, w, t, cap, chosen, n_demand):
    """Place children in the chosen sites up to capacity: heaviest first, then nearest."""
    from . import capacity as capacity_

    sel = np.isin(c, list(chosen))
    caps = np.zeros(int(c.max()) + 1 if len(c) else 0)
    caps[list(chosen)] = cap[list(chosen)]
    res = capacity_.assign(
        d[sel], c[sel], t[sel], n_children=n_demand, capacity=caps, order="need", weights=w
    )
    return res.facility


def _assign_exact(d, c, w, t, cap, chosen, n_demand, time_limit_s):
    """Place children in the chosen sites for the best total weight (b-matching, HiGHS).

    The nearer pair wins a tie (a tiny time penalty).
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    sel = np.flatnonzero(np.isin(c, list(chosen)))
    placed_at = np.full(n_demand, -1, dtype=np.int64)
    if len(sel) == 0:
        return placed_at
    dd, cc, tt = d[sel], c[sel], t[sel]
    n_p = len(sel)
    rows, rinv = np.unique(dd, return_inverse=True)
    sites_, sinv = np.unique(cc, return_inverse=True)
    eps = 1e-6 * (tt / tt.max() if tt.max() > 0 else np.zeros(n_p))
    res = milp(
        -(w[dd] - eps),
        constraints=[
            LinearConstraint(
                sparse.csr_matrix((np.ones(n_p), (rinv, np.arange(n_p))), (len(rows), n_p)),
                -np.inf,
                1.0,
            ),
            LinearConstraint(
                sparse.csr_matrix((np.ones(n_p), (sinv, np.arange(n_p))), (len(sites_), n_p)),
                -np.inf,
                cap[sites_].astype(float),
            ),
        ],
        integrality=np.ones(n_p),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s or MILP_TIME_LIMIT_S, "disp": False},
    )
    if res.x is None or res.status not in (0, 1):
        return _place(d, c, w, t, cap, chosen, n_demand)
    take = np.flatnonzero(res.x > 0.5)
    placed_at[dd[take]] = cc[take]
    return placed_at


def _greedy_capacitated(d, c, n_demand, n_cand, w, k, cap, t):
    open_ = np.ones(n_demand, dtype=bool)
    chosen = []
    for _ in range(k):
        best, best_gain, best_rows = -1, 0.0, None
        live = open_[d]
        dd, cc, tt = d[live], c[live], t[live]
        order = np.lexsort((tt, -w[dd], cc))
        dd, cc = dd[order], cc[order]
        starts = np.r_[0, np.flatnonzero(np.diff(cc)) + 1] if len(cc) else np.zeros(0, int)
        ends = np.r_[starts[1:], len(cc)] if len(cc) else np.zeros(0, int)
        for a, b in zip(starts, ends, strict=True):
            j = int(cc[a])
            if j in chosen or cap[j] <= 0:
                continue
            rows = dd[a : a + min(b - a, int(cap[j]))]
            g = float(w[rows].sum())
            if g > best_gain:
                best, best_gain, best_rows = j, g, rows
        if best < 0:
            break
        chosen.append(best)
        open_[best_rows] = False
    return chosen


def _milp_capacitated(d, c, n_demand, n_cand, w, k, cap, time_limit_s):
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    rows = np.unique(d)
    rmap = np.full(n_demand, -1, dtype=np.int64)
    rmap[rows] = np.arange(len(rows))
    m, n_p = len(rows), len(d)
    nv = n_cand + n_p  # x_0..x_{n_cand-1}, z_0..z_{n_p-1}
    cost = np.concatenate([np.zeros(n_cand), -w[d]])
    zcol = n_cand + np.arange(n_p)
    one_each = sparse.csr_matrix((np.ones(n_p), (rmap[d], zcol)), shape=(m, nv))
    site_cap = sparse.csr_matrix(
        (
            np.r_[np.ones(n_p), -cap.astype(float)],
            (np.r_[c, np.arange(n_cand)], np.r_[zcol, np.arange(n_cand)]),
        ),
        shape=(n_cand, nv),
    )
    link = sparse.csr_matrix(
        (
            np.r_[np.ones(n_p), -np.ones(n_p)],
            (np.r_[np.arange(n_p), np.arange(n_p)], np.r_[zcol, c]),
        ),
        shape=(n_p, nv),
    )
    card = sparse.csr_matrix(
        (np.ones(n_cand), (np.zeros(n_cand, int), np.arange(n_cand))), shape=(1, nv)
    )
    res = milp(
        cost,
        constraints=[
            LinearConstraint(one_each, -np.inf, 1.0),
            LinearConstraint(site_cap, -np.inf, 0.0),
            LinearConstraint(link, -np.inf, 0.0),
            LinearConstraint(card, 0, k),
        ],
        integrality=np.r_[np.ones(n_cand), np.zeros(n_p)],
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s or MILP_TIME_LIMIT_S, "disp": False},
    )
    if res.x is None or res.status not in (0, 1):
        return None
    return [int(j) for j in np.flatnonzero(res.x[:n_cand] > 0.5)], res.status == 0


def clusters(x, y, *, eps_m=3000.0, min_samples=3):
    """Cluster points (metric coordinates) with DBSCAN; ``-1`` marks noise.

    DBSCAN (Ester et al. 1996) with the labels scikit-learn's ``DBSCAN`` gives: a point is a
    core point when at least ``min_samples`` points (itself included) lie within ``eps_m``
    (``dx*dx + dy*dy <= eps_m*eps_m``); core points within ``eps_m`` of each other share a
    cluster; clusters are numbered in the order of their first core point; a non-core point
    within ``eps_m`` of a core point joins the lowest-numbered such cluster, else it is noise.
    Computed from a k-d tree's neighbour pairs (scipy), without importing scikit-learn (its
    import alone took longer than the rest of a site suggestion on a prefecture).

    Parameters
    ----------
    x, y : array-like of float
        Metric coordinates (metres).
    eps_m : float
        Neighbourhood radius in metres.
    min_samples : int
        Points needed to form a cluster.

    Returns
    -------
    numpy.ndarray of int
        Cluster label per point.

    Examples
    --------
    >>> clusters([0, 10, 20, 5000], [0, 0, 0, 0], eps_m=100, min_samples=2).tolist()
    [0, 0, 0, -1]
    """
    from scipy import sparse
    from scipy.sparse import csgraph
    from scipy.spatial import cKDTree

    px = np.asarray(x, dtype=float).ravel()
    py = np.asarray(y, dtype=float).ravel()
    n = px.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    eps = float(eps_m)
    # candidate pairs from the tree (a hair wider), kept exactly by the squared distance
    pairs = cKDTree(np.column_stack([px, py])).query_pairs(
        eps * (1.0 + 1e-9) + 1e-9, output_type="ndarray"
    )
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    dx, dy = px[i] - px[j], py[i] - py[j]
    keep = dx * dx + dy * dy <= eps * eps
    i, j = i[keep], j[keep]
    core = (np.bincount(i, minlength=n) + np.bincount(j, minlength=n) + 1) >= int(min_samples)
    labels = np.full(n, -1, dtype=np.int64)
    cpos = np.flatnonzero(core)
    if cpos.size == 0:
        return labels
    # clusters: connected components of the core points, numbered by their first point
    slot = np.full(n, -1, dtype=np.int64)
    slot[cpos] = np.arange(cpos.size)
    both = core[i] & core[j]
    g = sparse.coo_matrix(
        (np.ones(int(both.sum())), (slot[i[both]], slot[j[both]])), shape=(cpos.size, cpos.size)
    )
    _, comp = csgraph.connected_components(g, directed=False)
    first = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, comp, cpos)
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    labels[cpos] = rank[comp]
    # border points: the lowest-numbered cluster among their core neighbours
    a, b = np.r_[i, j], np.r_[j, i]
    sel = core[a] & ~core[b]
    best = np.full(n, n, dtype=np.int64)
    np.minimum.at(best, b[sel], labels[a[sel]])
    border = ~core & (best < n)
    labels[border] = best[border]
    return labels


# ---------------------------------------------------------------------------------------------
# the wrapper over a Context


def candidates_auto(ctx, *, service, uncovered_idx, eps_m=3000.0, min_samples=3):
    """Default candidates: facilities of other services, cluster seeds and children's nodes.

    Returns
    -------
    pandas.DataFrame
        ``candidate_id``, ``source``, ``name``, ``node`` (position), ``access_s``.
    """
    net = ctx.net
    rows = []
    fac = ctx.facilities
    fs = ctx.snaps["facilities"]
    other = np.flatnonzero((fac["service"] != service).to_numpy()) if len(fac) else []
    if len(other):
        rows.extend(
            zip(
                [f"facility:{v}" for v in fac["facility_id"].to_numpy()[other]],
                ["facility"] * len(other),
                [str(v) for v in fac["name"].to_numpy()[other]],
                fs["node"].to_numpy()[other].astype(np.int64).tolist(),
                fs["access_s"].to_numpy(dtype=float)[other].tolist(),
                strict=True,
            )
        )
    cs = ctx.snaps["children"]
    nodes = cs["node"].to_numpy()[uncovered_idx]
    if len(nodes):
        labels = clusters(net.x[nodes], net.y[nodes], eps_m=eps_m, min_samples=min_samples)
        for lab in sorted(set(labels) - {-1}):
            members = nodes[labels == lab]
            cx, cy = net.x[members].mean(), net.y[members].mean()
            # the cluster member's node closest to the centroid (a populated node on the roads)
            best = members[np.argmin((net.x[members] - cx) ** 2 + (net.y[members] - cy) ** 2)]
            rows.append((f"cluster:{lab}", "cluster", f"クラスタ{lab}", int(best), 0.0))
        for nd in np.unique(nodes):
            rows.append((f"node:{int(net.node_ids[nd])}", "child_node", "", int(nd), 0.0))
    return pd.DataFrame(rows, columns=["candidate_id", "source", "name", "node", "access_s"])


def _user_candidates(ctx, candidates):
    import geopandas as gpd

    cand = candidates
    if not isinstance(cand, gpd.GeoDataFrame):
        cand = gpd.GeoDataFrame(
            cand, geometry=gpd.points_from_xy(cand["lon"], cand["lat"]), crs="EPSG:4326"
        )
    sn = ctx.snap(cand)
    ids = cand["candidate_id"] if "candidate_id" in cand else [f"user:{i}" for i in cand.index]
    names = cand["name"] if "name" in cand else [""] * len(cand)
    return pd.DataFrame(
        {
            "candidate_id": list(ids),
            "source": "user",
            "name": list(names),
            "node": sn["node"].to_numpy(),
            "access_s": sn["access_s"].to_numpy(),
        }
    )


def suggest(
    ctx,
    *,
    service,
    k,
    candidates=None,
    exclude_hazard_level=None,
    threshold_min=None,
    method="auto",
    eps_m=3000.0,
    min_samples=3,
    accepts=None,
    capacity=None,
    age_min=None,
    age_max=None,
    capacitated=False,
    order="travel_time",
):
    """Suggest ``k`` new sites of ``service`` that newly cover the most need-weighted children.

    Parameters
    ----------
    ctx : analysis.context.Context
    service : str
        Service code.
    k : int
        Number of new sites.
    candidates : DataFrame or GeoDataFrame, optional
        A user list (``lat``/``lon`` or points; optional ``candidate_id``, ``name``). Default:
        :func:`candidates_auto` (facilities of other services, DBSCAN cluster seeds of
        uncovered children, the road nodes uncovered children live at).
    exclude_hazard_level : int, optional
        Drop candidates inside any hazard zone at or above this level.
    threshold_min : float, optional
        Coverage threshold (default: the service's).
    method : {"auto", "milp", "greedy"}
        Solver (see :func:`maximal_covering`).
    accepts : list of str, optional
        Care codes a new site would accept (default :func:`site_defaults`).
    capacity : float, optional
        Places of a new site (default :func:`site_defaults`; unknown when the workspace has no
        known capacity of the service, then ``capacitated`` cannot be used).
    age_min, age_max : float, optional
        Age range of a new site (default the service's).
    capacitated : bool, default False
        Demand = children without a place today; each site takes at most ``capacity`` children
        (capacitated MCLP). Otherwise demand = children out of reach, sites without limit.
    order : {"travel_time", "need"}
        Order of today's capacity assignment (``capacitated`` only).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per chosen site in pick order: ``rank, candidate_id, source, name, node_id,
        service, newly_covered, newly_covered_weight, cumulative_covered, solver,
        uncovered_before, capacitated, site_capacity, site_accepts, site_age_min,
        site_age_max, placed_before, placed_after`` and the site point (its road node).
        ``newly_covered`` counts children newly placed when ``capacitated``;
        ``placed_before``/``placed_after`` are children of the service with a place, without
        and with the chosen sites (capacity-aware, ``order``). ``attrs["defaults"]`` says which
        site attributes came from :func:`site_defaults`.

    Examples
    --------
    >>> suggest(ctx, service="short_stay_medical", k=2)  # doctest: +SKIP
    """
    import geopandas as gpd

    from geo import travel

    from . import coverage, exposure

    thr_s = coverage.thresholds_s([service], {service: threshold_min} if threshold_min else None)[
        service
    ]
    from . import capacity as capacity_

    sp = coverage.service_pass(ctx, service, threshold_s=thr_s)
    summ = coverage.summary(sp)
    site = site_defaults(ctx, service)
    given = {"accepts": accepts, "capacity": capacity, "age_min": age_min, "age_max": age_max}
    defaulted = sorted(key for key, v in given.items() if v is None)
    site.update({key: v for key, v in given.items() if v is not None})
    if site["accepts"] is not None:
        site["accepts"] = sorted(set(site["accepts"]))
    today = capacity_.for_pass(ctx, sp, order=order)
    if capacitated:
        if site["capacity"] is None or not np.isfinite(float(site["capacity"])):
            msg = (
                f"capacitated siting of {service} needs a capacity per new site: the workspace "
                "has no known capacity of this service; give capacity=N."
            )
            raise ValueError(msg)
        unc = sp.children[today.status != capacity_.PLACED]
    else:
        unc = sp.children[~summ["covered"].to_numpy()]
    if candidates is None:
        cand = candidates_auto(
            ctx, service=service, uncovered_idx=unc, eps_m=eps_m, min_samples=min_samples
        )
    else:
        cand = _user_candidates(ctx, candidates)
    cand = cand.drop_duplicates("node", keep="first").reset_index(drop=True)
    net = ctx.net
    if exclude_hazard_level is not None and len(cand) and len(ctx.hazards):
        pts = gpd.GeoSeries(
            gpd.points_from_xy(net.lon[cand["node"]], net.lat[cand["node"]]), crs="EPSG:4326"
        )
        ex = exposure.point_exposure(pts, ctx.hazards)
        cand = cand[(ex["max_level"] < int(exclude_hazard_level)).to_numpy()].reset_index(drop=True)
    kids = ctx.children
    weights = np.array([need_weight(c) for c in kids["care"].iloc[unc]]) if len(unc) else []
    cs = ctx.snaps["children"]
    columns = [
        "rank",
        "candidate_id",
        "source",
        "name",
        "node_id",
        "service",
        "newly_covered",
        "newly_covered_weight",
        "cumulative_covered",
        "solver",
        "uncovered_before",
        "capacitated",
        "site_capacity",
        "site_accepts",
        "site_age_min",
        "site_age_max",
        "placed_before",
        "placed_after",
    ]
    placed_before = int((today.status == capacity_.PLACED).sum())
    if len(unc) == 0 or len(cand) == 0:
        empty = gpd.GeoDataFrame(
            pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
        empty.attrs["defaults"] = defaulted
        return empty
    # candidate x child door-to-door times within the threshold: one bounded search per
    # candidate through the shared matrix engine (geo.travel.matrix), every pair, no cap
    d = coverage.direction(service)
    cnode = cand["node"].to_numpy(dtype=np.int64)
    cacc = cand["access_s"].to_numpy(dtype=float)
    u_node = cs["node"].to_numpy()[unc].astype(np.int64)
    u_acc = cs["access_s"].to_numpy(dtype=float)[unc]
    m = travel.matrix(
        net, cnode, u_node, direction=d, limit_s=thr_s, offsets_s=cacc, target_offsets_s=u_acc
    )
    d_idx = np.repeat(np.arange(len(unc), dtype=np.int64), np.diff(m.indptr))
    c_idx = np.asarray(m.indices, dtype=np.int64)
    t_idx = np.asarray(m.data, dtype=float)
    # a new site takes the children whose care and age it accepts (its declared profile)
    comp = coverage.compatibility(
        kids["care"].iloc[unc].tolist(),
        kids["age"].iloc[unc].tolist(),
        [site["accepts"]],
        [site["age_min"]],
        [site["age_max"]],
    )[:, 0]
    ok = comp[d_idx] > 0
    d_idx, c_idx, t_idx = d_idx[ok], c_idx[ok], t_idx[ok]
    placed_at = None
    if capacitated:
        chosen, placed_at, solver = capacitated_covering(
            d_idx,
            c_idx,
            n_demand=len(unc),
            n_cand=len(cand),
            weights=weights,
            k=k,
            capacity=np.full(len(cand), float(site["capacity"])),
            time_s=t_idx,
            method=method,
        )
    else:
        chosen, solver = maximal_covering(
            d_idx, c_idx, n_demand=len(unc), n_cand=len(cand), weights=weights, k=k, method=method
        )
    placed_after = _placed_after(ctx, service, thr_s, cand, chosen, site, order)
    covered = np.zeros(len(unc), dtype=bool)
    rows = []
    for rank, (j, gain) in enumerate(chosen, start=1):
        if placed_at is not None:
            new = np.flatnonzero(placed_at == j)
        else:
            new = np.unique(d_idx[(c_idx == j)])
            new = new[~covered[new]]
        covered[new] = True
        nd = int(cand["node"].iloc[j])
        rows.append(
            {
                "rank": rank,
                "candidate_id": cand["candidate_id"].iloc[j],
                "source": cand["source"].iloc[j],
                "name": cand["name"].iloc[j],
                "node_id": int(net.node_ids[nd]),
                "service": service,
                "newly_covered": len(new),
                "newly_covered_weight": float(gain),
                "cumulative_covered": int(covered.sum()),
                "solver": solver,
                "uncovered_before": len(unc),
                "capacitated": bool(capacitated),
                "site_capacity": np.nan if site["capacity"] is None else float(site["capacity"]),
                "site_accepts": ",".join(site["accepts"]) if site["accepts"] is not None else "",
                "site_age_min": site["age_min"],
                "site_age_max": site["age_max"],
                "placed_before": placed_before,
                "placed_after": placed_after,
                "_lon": float(net.lon[nd]),
                "_lat": float(net.lat[nd]),
            }
        )
    out = pd.DataFrame(rows, columns=[*columns, "_lon", "_lat"])
    geom = gpd.points_from_xy(out.pop("_lon"), out.pop("_lat"), crs="EPSG:4326")
    logger.info(
        "sites: %d of %d uncovered children covered by %d new %s sites (%s, %d candidates)",
        int(covered.sum()),
        len(unc),
        len(out),
        service,
        solver,
        len(cand),
    )
    res = gpd.GeoDataFrame(out, geometry=geom, crs="EPSG:4326")
    res.attrs["defaults"] = defaulted
    return res


def site_defaults(ctx, service):
    """The profile of a new site of ``service`` when the planner declares none.

    ``accepts``: every care code (data/care_types.csv) for a medical service of
    data/service_types.csv, else the commonest known ``accepts`` among the workspace's
    facilities of the service (``[]`` when none is known); ``age_min``/``age_max``: the
    service's range; ``capacity``: the median known capacity of the service's facilities
    (``None`` when none is known: data/service_types.csv carries no capacity).

    Examples
    --------
    >>> site_defaults(ctx, "short_stay_medical")  # doctest: +SKIP
    {'accepts': ['catheterization', ...], 'capacity': 6.0, 'age_min': 0.0, 'age_max': nan}
    """
    from geo import codes

    from .coverage import _float

    st = codes.service_types()
    row = st.loc[service] if service in st.index else None
    medical = row is not None and str(row.get("medical")).strip().lower() in ("true", "1")
    fac = ctx.facilities
    mine = fac[fac["service"] == service] if len(fac) else fac
    if medical:
        accepts = sorted(codes.valid("care_types"))
    else:
        known = [tuple(sorted(a)) for a in mine.get("accepts", []) if isinstance(a, list)]
        accepts = list(pd.Series(known).value_counts().index[0]) if known else []
    cap = pd.to_numeric(mine["capacity"], errors="coerce") if len(mine) else pd.Series([])
    return {
        "accepts": accepts,
        "capacity": float(cap.median()) if cap.notna().any() else None,
        "age_min": _float(row.get("age_min")) if row is not None else np.nan,
        "age_max": _float(row.get("age_max")) if row is not None else np.nan,
    }


def _placed_after(ctx, service, thr_s, cand, chosen, site, order):
    """Children of ``service`` with a place once the chosen candidates are open."""
    import geopandas as gpd

    from . import capacity as capacity_
    from . import coverage

    if not chosen:
        sp = coverage.service_pass(ctx, service, threshold_s=thr_s)
        return int((capacity_.for_pass(ctx, sp, order=order).status == capacity_.PLACED).sum())
    net = ctx.net
    nodes = cand["node"].to_numpy()[[j for j, _ in chosen]]
    new = gpd.GeoDataFrame(
        {
            "facility_id": [f"new:{cand['candidate_id'].iloc[j]}" for j, _ in chosen],
            "name": [str(cand["name"].iloc[j]) for j, _ in chosen],
            "service": service,
            "capacity": pd.array(
                [None if site["capacity"] is None else site["capacity"]] * len(chosen),
                dtype="Float64",
            ),
            "accepts": [site["accepts"]] * len(chosen),
            "age_min": site["age_min"],
            "age_max": site["age_max"],
        },
        geometry=gpd.points_from_xy(net.lon[nodes], net.lat[nodes]),
        crs="EPSG:4326",
    )
    after = ctx.with_facilities(new)
    sp = coverage.service_pass(after, service, threshold_s=thr_s)
    return int((capacity_.for_pass(after, sp, order=order).status == capacity_.PLACED).sum())


def what_if(
    ctx,
    new_sites,
    *,
    area_kind=None,
    role="planner",
    services=None,
    thresholds=None,
    order="travel_time",
    fill_defaults=False,
):
    """Add facilities and recompute coverage, places and gaps (before and after).

    Parameters
    ----------
    new_sites : geopandas.GeoDataFrame
        New facilities (``facility_id``, ``service``, optional ``capacity``/``accepts``/ages;
        unknown ``accepts`` stays unknown, so their coverage is only *possible*; unknown
        ``capacity`` stays unknown, so the children they alone reach are ``unknown``, not
        placed).
    order : {"travel_time", "need"}
        Capacity assignment order (:mod:`analysis.capacity`).
    fill_defaults : bool, default False
        Fill a new site's missing ``accepts``/``capacity``/ages from :func:`site_defaults`.

    Returns
    -------
    dict
        ``context`` (the new context), ``child_access`` (after), ``area_gaps_before``,
        ``area_gaps_after`` and ``summary`` per service: ``covered_before, covered_after,
        gain`` (within reach) and ``placed_before, placed_after, placed_gain`` (with a place),
        ``capacity_unknown_after`` (children only capacity-unknown facilities reach).

    Examples
    --------
    >>> r = what_if(ctx, new)  # doctest: +SKIP
    >>> r["summary"]  # doctest: +SKIP
    """
    from . import capacity as capacity_
    from . import coverage, gaps

    new_sites = new_sites.copy()
    if fill_defaults:
        for svc, idx in new_sites.groupby("service").groups.items():
            prof = site_defaults(ctx, svc)
            for col in ("accepts", "capacity", "age_min", "age_max"):
                if col not in new_sites.columns:
                    new_sites[col] = None
                for i in idx:
                    v = new_sites.at[i, col]
                    if v is None or (not isinstance(v, list) and pd.isna(v)):
                        new_sites.at[i, col] = prof[col]
    after_ctx = ctx.with_facilities(new_sites)
    services = services or sorted(set(new_sites["service"]))
    before = coverage.child_access(ctx, services=services, thresholds=thresholds)
    after = coverage.child_access(after_ctx, services=services, thresholds=thresholds)

    def _count(ca):
        return ca[ca["rank"] == 1].groupby("service")["covered"].sum()

    def _placed(c):
        thr = coverage.thresholds_s(services, thresholds)
        out = {}
        for s in services:
            sp = coverage.service_pass(c, s, threshold_s=thr[s])
            st_ = capacity_.for_pass(c, sp, order=order).status
            out[s] = ((st_ == capacity_.PLACED).sum(), (st_ == capacity_.UNKNOWN).sum())
        return out

    pb, pa = _placed(ctx), _placed(after_ctx)
    summ = pd.DataFrame({"covered_before": _count(before), "covered_after": _count(after)})
    summ = summ.reindex(services)
    summ["gain"] = summ["covered_after"] - summ["covered_before"]
    summ["placed_before"] = [pb[s][0] for s in summ.index]
    summ["placed_after"] = [pa[s][0] for s in summ.index]
    summ["placed_gain"] = summ["placed_after"] - summ["placed_before"]
    summ["capacity_unknown_after"] = [pa[s][1] for s in summ.index]
    return {
        "context": after_ctx,
        "child_access": after,
        "area_gaps_before": gaps.area_gaps(
            ctx, area_kind=area_kind, role=role, services=services, thresholds=thresholds
        ),
        "area_gaps_after": gaps.area_gaps(
            after_ctx, area_kind=area_kind, role=role, services=services, thresholds=thresholds
        ),
        "summary": summ.fillna(0).astype(int),
    }
