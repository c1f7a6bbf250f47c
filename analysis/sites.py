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


def _frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)
