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
candidates inside a hazard zone at or above a chosen level are excluded. A new site is assumed
to accept every care type and the service's default age range (the plan is to open a capable
site), so a child counts if that age range fits.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Above this many (child, candidate) coverage pairs the greedy heuristic is used.
MILP_MAX_NNZ = 200_000

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


def clusters(x, y, *, eps_m=3000.0, min_samples=3):
    """Cluster points (metric coordinates) with DBSCAN; ``-1`` marks noise.

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
    from sklearn.cluster import DBSCAN

    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if len(pts) == 0:
        return np.zeros(0, dtype=int)
    return DBSCAN(eps=eps_m, min_samples=min_samples).fit_predict(pts)


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
    for i in other:
        rows.append(
            (
                f"facility:{fac['facility_id'].iloc[i]}",
                "facility",
                str(fac["name"].iloc[i]),
                int(fs["node"].iloc[i]),
                float(fs["access_s"].iloc[i]),
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

    Returns
    -------
    geopandas.GeoDataFrame
        One row per chosen site in pick order: ``rank, candidate_id, source, name, node_id,
        service, newly_covered, newly_covered_weight, cumulative_covered, solver,
        uncovered_before`` and the site point (its road node).

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
    sp = coverage.service_pass(ctx, service, threshold_s=thr_s)
    summ = coverage.summary(sp)
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
    ]
    if len(unc) == 0 or len(cand) == 0:
        return gpd.GeoDataFrame(
            pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    # one search bounded by the threshold from each uncovered child's home (they are few)
    d = coverage.direction(service)
    cnode = cand["node"].to_numpy(dtype=np.int64)
    cacc = cand["access_s"].to_numpy(dtype=float)
    u_node = cs["node"].to_numpy()[unc].astype(np.int64)
    u_acc = cs["access_s"].to_numpy(dtype=float)[unc]
    di, ci, tt = [], [], []
    for r in range(len(unc)):
        t = np.asarray(travel.from_node(net, int(u_node[r]), direction=d, limit_s=thr_s))
        door = t[cnode] + cacc + u_acc[r]
        hit = np.flatnonzero(door <= thr_s)
        di.append(np.full(len(hit), r, dtype=np.int64))
        ci.append(hit)
        tt.append(door[hit])
    d_idx = np.concatenate(di) if di else np.zeros(0, np.int64)
    c_idx = np.concatenate(ci) if ci else np.zeros(0, np.int64)
    # a new site takes the service's default age range
    scope = coverage.in_scope(kids["age"].iloc[unc].tolist(), service)
    ok = scope[d_idx]
    d_idx, c_idx = d_idx[ok], c_idx[ok]
    chosen, solver = maximal_covering(
        d_idx, c_idx, n_demand=len(unc), n_cand=len(cand), weights=weights, k=k, method=method
    )
    covered = np.zeros(len(unc), dtype=bool)
    rows = []
    for rank, (j, gain) in enumerate(chosen, start=1):
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
    return gpd.GeoDataFrame(out, geometry=geom, crs="EPSG:4326")


def what_if(ctx, new_sites, *, area_kind=None, role="planner", services=None, thresholds=None):
    """Add facilities and recompute coverage and gaps (before and after).

    Parameters
    ----------
    new_sites : geopandas.GeoDataFrame
        New facilities (``facility_id``, ``service``, optional ``capacity``/``accepts``/ages;
        unknown ``accepts`` stays unknown, so their coverage is only *possible*).

    Returns
    -------
    dict
        ``context`` (the new context), ``child_access`` (after), ``area_gaps_before``,
        ``area_gaps_after`` and ``summary`` (covered children per service, before/after).
    """
    from . import coverage, gaps

    after_ctx = ctx.with_facilities(new_sites)
    services = services or sorted(set(new_sites["service"]))
    before = coverage.child_access(ctx, services=services, thresholds=thresholds)
    after = coverage.child_access(after_ctx, services=services, thresholds=thresholds)

    def _count(ca):
        return ca[ca["rank"] == 1].groupby("service")["covered"].sum()

    summ = pd.DataFrame({"covered_before": _count(before), "covered_after": _count(after)})
    summ["gain"] = summ["covered_after"] - summ["covered_before"]
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
