"""The travel engine: multi-source searches over a :class:`geo.network.Network`, arrays only.

Sources are facilities, one entry each (several may share a node), given as node positions, with
optional per-source offsets (their access legs, seconds). A search runs from the sources:

- ``direction="to_facility"`` (home -> facility) on the **reversed** graph, so ``time_s[j]`` is
  the trip from node ``j`` to the facility;
- ``direction="to_home"`` (facility -> home) on the **forward** graph, so ``time_s[j]`` is the
  trip from the facility to node ``j``.

One call is one pass over the graph for a whole group of compatible facilities, never one search
per child. Unreachable gives ``inf`` times and ``-1`` sources, never a wrong number. The hot loops
are compiled with numba (:mod:`geo._kernels`, imported on first use); the single-point search of
:func:`from_node` runs scipy's Dijkstra, so that a one-address lookup in a fresh process does not
load numba (the times are the same: both settle each node at the minimum of its relaxations).

Examples
--------
>>> from geo import network, travel
>>> net = network.network_from_arrays(
...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
...     u=[0, 1, 2], v=[1, 2, 0], travel_time=[10.0, 20.0, 30.0])
>>> t, s = travel.nearest(net, [0], direction="to_home")
>>> t.tolist(), s.tolist()
([0.0, 10.0, 30.0], [0, 0, 0])
>>> travel.nearest(net, [0], direction="to_facility")[0].tolist()
[0.0, 50.0, 30.0]
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import settings

__all__ = [
    "DIRECTIONS",
    "Within",
    "from_node",
    "k_nearest",
    "node_times",
    "node_times_engine",
    "k_nearest_within",
    "matrix",
    "matrix_engine",
    "dense",
    "nearest",
    "prepare_node_times",
    "within",
]

DIRECTIONS = ("to_facility", "to_home")


def check_direction(direction):
    """Raise ``ValueError`` unless ``direction`` is one of :data:`DIRECTIONS`.

    >>> check_direction("to_home")
    >>> check_direction("home")
    Traceback (most recent call last):
    ...
    ValueError: direction is 'home'; expected 'to_facility' or 'to_home'.
    """
    if direction not in DIRECTIONS:
        msg = f"direction is {direction!r}; expected 'to_facility' or 'to_home'."
        raise ValueError(msg)


class Within(NamedTuple):
    """Sparse ``(target, source, time)`` triples of :func:`within`.

    Attributes
    ----------
    target_pos : numpy.ndarray of int64
        Row in the ``targets`` array given to :func:`within`.
    source_pos : numpy.ndarray of int64
        Row in the ``sources`` array.
    time_s : numpy.ndarray of float64
        Seconds, ``<= limit_s``. Sorted by target, then time.
    n_capped : int
        Targets with more than ``k_max`` sources within the limit (only the ``k_max`` nearest
        are kept for them).
    capped : numpy.ndarray of bool
        Per target: was it capped.
    """

    target_pos: np.ndarray
    source_pos: np.ndarray
    time_s: np.ndarray
    n_capped: int
    capped: np.ndarray


def _sources(net, sources, offsets_s):
    src = np.asarray(sources, dtype=np.int64).ravel()
    if src.size and (src.min() < 0 or src.max() >= net.n_nodes):
        bad = src[(src < 0) | (src >= net.n_nodes)][:5].tolist()
        msg = f"source node position(s) {bad} are outside 0..{net.n_nodes - 1}."
        raise ValueError(msg)
    if offsets_s is None:
        off = np.zeros(src.size, dtype=np.float64)
    else:
        off = np.asarray(offsets_s, dtype=np.float64).ravel()
        if off.shape != src.shape:
            msg = f"offsets_s has {off.size} values for {src.size} sources; give one per source."
            raise ValueError(msg)
        if np.isnan(off).any() or (off < 0).any():
            msg = "offsets_s must be >= 0 seconds (inf drops a source); found NaN or negative."
            raise ValueError(msg)
    return src.astype(np.int32), off


def _targets(net, targets):
    tg = np.asarray(targets, dtype=np.int64).ravel()
    if tg.size and (tg.min() < 0 or tg.max() >= net.n_nodes):
        bad = tg[(tg < 0) | (tg >= net.n_nodes)][:5].tolist()
        msg = f"target node position(s) {bad} are outside 0..{net.n_nodes - 1}."
        raise ValueError(msg)
    is_target = np.zeros(net.n_nodes, dtype=np.bool_)
    is_target[tg] = True
    return tg, is_target, int(is_target.sum())


def _k(k):
    """How many nearest sources to keep: a whole number, at least 1."""
    k = int(k)
    if k < 1:
        msg = f"k is {k}; expected at least 1."
        raise ValueError(msg)
    return k


def _k_max(k_max):
    """The cap of the within lists: ``k_max`` or ``settings.k_max``, at least 1."""
    k_max = settings.k_max if k_max is None else int(k_max)
    if k_max < 1:
        msg = f"k_max is {k_max}; expected at least 1."
        raise ValueError(msg)
    return k_max


def _limit(limit_s):
    limit = math.inf if limit_s is None else float(limit_s)
    if math.isnan(limit) or limit < 0:
        msg = f"limit_s is {limit_s!r}; expected seconds >= 0 (or inf)."
        raise ValueError(msg)
    return limit


def nearest(net, sources, *, direction, offsets_s=None, limit_s=math.inf, targets=None):
    """Time from every node to its nearest source, and which source, in one pass.

    Parameters
    ----------
    net : geo.network.Network
        The road network.
    sources : array-like of int
        Node position of each facility (several may share a node).
    direction : {"to_facility", "to_home"}
        Trip direction; see the module docstring.
    offsets_s : array-like of float, optional
        Seconds added to every time from source ``i`` (its access leg); ``inf`` drops it.
    limit_s : float, default inf
        Times above this are reported as unreachable (``inf``/``-1``); bounds the search.
    targets : array-like of int, optional
        Only these nodes are needed: the search stops once all are settled. Other nodes then
        hold their time only if it was settled before the stop (else ``inf``).

    Returns
    -------
    time_s : numpy.ndarray of float64, shape (n_nodes,)
    source_pos : numpy.ndarray of int64, shape (n_nodes,)
        Row in ``sources`` of the nearest one; ``-1`` where unreachable.

    Examples
    --------
    See the module docstring.
    """
    from . import _kernels

    adj = net.adjacency(direction)
    src, off = _sources(net, sources, offsets_s)
    limit = _limit(limit_s)
    if targets is None:
        is_target = np.zeros(net.n_nodes, dtype=np.bool_)
        n_t = 0
    else:
        _, is_target, n_t = _targets(net, targets)
        if n_t == 0:
            return np.full(net.n_nodes, np.inf), np.full(net.n_nodes, -1, dtype=np.int64)
    dist, who = _kernels.nearest_kernel(*adj, src, off, limit, is_target, n_t)
    return dist, who.astype(np.int64)


def k_nearest(net, sources, *, k, direction, targets=None, offsets_s=None, limit_s=math.inf):
    """The k nearest distinct sources of each target, ascending, in one pass.

    Parameters
    ----------
    net : geo.network.Network
    sources : array-like of int
        Node position per facility; two facilities on one node are two distinct sources.
    k : int
        How many sources per target.
    direction : {"to_facility", "to_home"}
    targets : array-like of int, optional
        Node positions (children's snapped nodes; repeats allowed). All nodes when omitted.
        The search stops once every target holds k sources.
    offsets_s : array-like of float, optional
        Per-source access legs (seconds).
    limit_s : float, default inf
        Sources farther than this are not returned.

    Returns
    -------
    time_s : numpy.ndarray of float64, shape (n_targets, k)
        Ascending per row; ``inf`` padding.
    source_pos : numpy.ndarray of int64, shape (n_targets, k)
        Rows in ``sources``; ``-1`` padding.

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
    >>> t, s = k_nearest(net, [0, 2, 2], k=2, direction="to_home", targets=[1],
    ...                  offsets_s=[0.0, 0.0, 1.0])
    >>> t.tolist(), s.tolist()
    ([[5.0, 6.0]], [[1, 2]])
    """
    from . import _kernels

    k = _k(k)
    adj = net.adjacency(direction)
    src, off = _sources(net, sources, offsets_s)
    limit = _limit(limit_s)
    if targets is None:
        tg = np.arange(net.n_nodes)
        is_target = np.zeros(net.n_nodes, dtype=np.bool_)
        n_t = 0
    else:
        tg, is_target, n_t = _targets(net, targets)
        if tg.size == 0:
            return np.full((0, k), np.inf), np.full((0, k), -1, dtype=np.int64)
    if k == 1:
        dist, who = _kernels.nearest_kernel(*adj, src, off, limit, is_target, n_t)
        return dist[tg][:, None], who[tg].astype(np.int64)[:, None]
    uniq = np.flatnonzero(is_target) if n_t else np.zeros(0, dtype=np.int64)
    lab_d, lab_s, _ = _kernels.klabel_kernel(*adj, src, off, k, 0, limit, uniq)
    return lab_d[tg], lab_s[tg].astype(np.int64)


#: Label cells (nodes x labels) above which :func:`within` switches to per-source searches.
LABEL_CELLS_MAX = 40_000_000


def within(net, sources, *, limit_s, direction, targets, offsets_s=None, k_max=None, method="auto"):
    """Sources within ``limit_s`` of each target, as sparse triples, capped at ``k_max``.

    One k-label pass with ``k = k_max + 1``: a target that holds ``k_max + 1`` sources within
    the limit has more than ``k_max``; its ``k_max`` nearest are kept and it counts as capped.

    Parameters
    ----------
    net : geo.network.Network
    sources : array-like of int
        Node position per facility.
    limit_s : float
        Catchment in seconds (inclusive).
    direction : {"to_facility", "to_home"}
    targets : array-like of int
        Node positions of the targets (repeats allowed).
    offsets_s : array-like of float, optional
        Per-source access legs (seconds).
    k_max : int, optional
        Cap per target; defaults to ``geo.settings.k_max``.
    method : {"auto", "labels", "per_source"}
        ``labels``: one k-label pass (memory ``n_nodes x (k_max + 1)`` labels); ``per_source``:
        one search bounded by ``limit_s`` per source (memory O(n_nodes), work = the sum of the
        sources' catchments). ``auto`` takes ``labels`` unless that needs more than
        :data:`LABEL_CELLS_MAX` label cells. Both give the same triples.

    Returns
    -------
    Within
        ``target_pos`` (row in ``targets``), ``source_pos`` (row in ``sources``), ``time_s``,
        ``n_capped`` and the per-target ``capped`` mask.

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
    >>> w = within(net, [0, 2], limit_s=7, direction="to_home", targets=[1, 0])
    >>> w.target_pos.tolist(), w.source_pos.tolist(), w.time_s.tolist(), w.n_capped
    ([0, 1], [1, 0], [5.0, 0.0], 0)
    """
    from . import _kernels

    k_max = _k_max(k_max)
    limit = _limit(limit_s)
    adj = net.adjacency(direction)
    src, off = _sources(net, sources, offsets_s)
    tg, is_target, n_t = _targets(net, targets)
    kk = k_max + 1
    if tg.size == 0 or src.size == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return Within(empty_i, empty_i.copy(), np.zeros(0), 0, np.zeros(tg.size, dtype=bool))
    kk = min(kk, src.size + 1)  # never more labels than sources (+1 keeps the cap test exact)
    if method == "auto":
        method = _within_method(kk, src.size, net.n_nodes)
    if method == "labels":
        lab_d, lab_s, _ = _kernels.klabel_kernel(
            *adj, src, off, kk, 0, limit, np.flatnonzero(is_target)
        )
        return _within_from_labels(lab_d[tg], lab_s[tg], limit, k_max)
    if method != "per_source":
        msg = f"method is {method!r}; expected 'auto', 'labels' or 'per_source'."
        raise ValueError(msg)
    uniq = np.flatnonzero(is_target)
    slot = np.full(net.n_nodes, -1, dtype=np.int64)
    slot[uniq] = np.arange(uniq.size)
    pt, ps, pd_ = _kernels.per_source_kernel(*adj, src, off, limit, slot)
    # per unique target node: ascending time (ties by source row), first k_max + 1
    order = np.lexsort((ps, pd_, pt))
    pt, ps, pd_ = pt[order], ps[order], pd_[order]
    start = np.searchsorted(pt, np.arange(uniq.size))
    rank = np.arange(pt.size) - start[pt]
    sel = rank < kk
    lab_d = np.full((uniq.size, kk), np.inf)
    lab_s = np.full((uniq.size, kk), -1, dtype=np.int64)
    lab_d[pt[sel], rank[sel]] = pd_[sel]
    lab_s[pt[sel], rank[sel]] = ps[sel]
    row = np.searchsorted(uniq, tg)
    return _within_from_labels(lab_d[row], lab_s[row], limit, k_max)


def _within_method(kk, n_src, n_nodes):
    """Pick the cheaper within method (measured, see bench/README.md).

    The label pass costs about ``n_nodes x kk`` labels, each checked against up to ``kk`` others;
    per-source searches cost ``n_src`` catchments. Labels win only for small ``kk`` with many
    sources, and their memory grows with ``n_nodes x kk``.
    """
    if kk * n_nodes > LABEL_CELLS_MAX:
        return "per_source"
    return "labels" if kk <= 8 and n_src > 4 * kk else "per_source"


def _within_from_labels(lab_d, lab_s, limit, k_max):
    """Sparse triples from per-target label rows (ascending): those <= limit, first k_max."""
    inside = lab_d <= limit
    n_in = inside.sum(axis=1)
    capped = n_in > k_max
    keep = np.minimum(n_in, k_max)
    rows = np.repeat(np.arange(lab_d.shape[0], dtype=np.int64), keep)
    cols = np.arange(rows.size) - np.repeat(np.cumsum(keep) - keep, keep)
    return Within(
        rows,
        lab_s[rows, cols].astype(np.int64),
        lab_d[rows, cols],
        int(capped.sum()),
        capped,
    )


def k_nearest_within(net, sources, *, k, limit_s, direction, targets, offsets_s=None, k_max=None):
    """:func:`k_nearest` and :func:`within` for the same group in one pass.

    The first ``k`` labels of a node are searched without a limit, further ones only within
    ``limit_s``, up to ``max(k, k_max + 1)`` per node. Same results as calling both.

    Returns
    -------
    time_s, source_pos : numpy.ndarray, shape (n_targets, k)
        As :func:`k_nearest` (no limit).
    within : Within
        As :func:`within`.

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
    >>> t, s, w = k_nearest_within(net, [0, 2], k=1, limit_s=12, direction="to_home",
    ...                            targets=[1])
    >>> t.tolist(), w.source_pos.tolist(), w.time_s.tolist()
    ([[5.0]], [1, 0], [5.0, 10.0])
    """
    from . import _kernels

    k = _k(k)
    k_max = _k_max(k_max)
    limit = _limit(limit_s)
    adj = net.adjacency(direction)
    src, off = _sources(net, sources, offsets_s)
    tg, is_target, _ = _targets(net, targets)
    kw = min(k_max + 1, src.size + 1)
    if _within_method(kw, src.size, net.n_nodes) == "per_source":
        t, p = k_nearest(
            net, sources, k=k, direction=direction, targets=targets, offsets_s=offsets_s
        )
        w = within(
            net,
            sources,
            limit_s=limit_s,
            direction=direction,
            targets=targets,
            offsets_s=offsets_s,
            k_max=k_max,
            method="per_source",
        )
        return t, p, w
    kk = max(k, kw)
    lab_d, lab_s, _ = _kernels.klabel_kernel(
        *adj, src, off, kk, k, limit, np.flatnonzero(is_target)
    )
    lab_d = lab_d[tg]
    lab_s = lab_s[tg].astype(np.int64)
    return lab_d[:, :k].copy(), lab_s[:, :k].copy(), _within_from_labels(lab_d, lab_s, limit, k_max)


def from_node(net, node, *, direction, limit_s=math.inf):
    """Trip times between one home node and every node (single-point queries).

    ``node`` is the home end of the trip: ``to_facility`` gives the time from ``node`` to each
    node (forward graph), ``to_home`` the time from each node to ``node`` (reversed graph).

    Parameters
    ----------
    net : geo.network.Network
    node : int
        Node position of the address.
    direction : {"to_facility", "to_home"}
    limit_s : float, default inf
        Bounds the search; nodes beyond are ``inf``.

    Returns
    -------
    numpy.ndarray of float64, shape (n_nodes,)

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 2], v=[1, 2, 0], travel_time=[10.0, 20.0, 30.0])
    >>> from_node(net, 0, direction="to_facility").tolist()
    [0.0, 10.0, 30.0]
    >>> from_node(net, 0, direction="to_home").tolist()
    [0.0, 50.0, 30.0]
    """
    check_direction(direction)
    from scipy.sparse.csgraph import dijkstra

    # the address is the single "source"; searching away from home = the opposite adjacency
    flipped = "to_home" if direction == "to_facility" else "to_facility"
    src, _ = _sources(net, [int(node)], None)
    limit = _limit(limit_s)
    return dijkstra(_csgraph(net, flipped), directed=True, indices=int(src[0]), limit=limit)


def _cch_direction(direction):
    """The :func:`geo.cch.distances` direction that searches away from the home node.

    ``to_facility`` (home -> facility) is a forward search from home: the CCH's ``to_home``
    query (facility -> home, forward graph) with the home node as its source; ``to_home`` is a
    backward search from home: the CCH's ``to_facility`` query.
    """
    return "to_home" if direction == "to_facility" else "to_facility"


def _lookup_net(net):
    """The stand-in network holding the CCH metrics of single-address lookups, or ``None``.

    A shallow copy of ``net`` (same arrays, same CCH topology) without the travel matrices'
    metrics: a metric answers one query at a time, so the lookups (several app sessions at
    once) have their own, behind a lock, and never query a metric a matrix is using.
    """
    return net.__dict__.get("_node_times_net")


def node_times_engine(net, direction):
    """The engine :func:`node_times` takes for ``direction``: ``"cch"`` or ``"dijkstra"``.

    ``cch`` only when :func:`prepare_node_times` customised the lookup metric for that search
    in this process: customising costs seconds, a bounded Dijkstra a fraction of one, so a
    cold lookup (the command line) never customises.
    """
    look = _lookup_net(net)
    if look is None:
        return "dijkstra"  # (checked first: a cold lookup does not import the CCH library)
    return "cch" if f"_cch_metric_{_cch_direction(direction)}_0" in look.__dict__ else "dijkstra"


def prepare_node_times(net, directions=DIRECTIONS):
    """Customise the CCH metrics :func:`node_times` uses (seconds; once per process and network).

    For a process answering many single-address lookups (the app's coordinator page; a
    background thread may run it). Returns the directions now answered by the CCH (none when
    the network has no whole-millisecond times or the library is missing).
    """
    import copy
    import threading

    from . import cch

    if not cch.usable(net):
        return []
    with net.__dict__.setdefault("_node_times_prepare", threading.Lock()):
        look = _lookup_net(net)
        if look is None:
            look = copy.copy(net)
            for key in [k for k in look.__dict__ if k.startswith(("_cch_metric_", "_node_"))]:
                del look.__dict__[key]
            look.__dict__["_node_times_lock"] = threading.Lock()
        for d in directions:
            with look.__dict__["_node_times_lock"]:
                cch.distances(look, [0], [0], direction=_cch_direction(d), threads=1)
        for key, topo in list(look.__dict__.items()):  # one topology for lookups and matrices
            if key.startswith("_cch_topo_"):
                net.__dict__.setdefault(key, topo)
        net.__dict__["_node_times_net"] = look
    return [d for d in directions if node_times_engine(net, d) == "cch"]


def node_times(net, node, targets, *, direction, limit_s=math.inf, engine="auto"):
    """Trip times between one home node and the ``targets`` nodes (one-to-many).

    The same trips as :func:`from_node` read at ``targets``, without a search over the whole
    neighbourhood once :func:`prepare_node_times` customised the CCH for single-address
    lookups (:func:`node_times_engine`).

    Parameters
    ----------
    net : geo.network.Network
    node : int
        Node position of the address (the home end of the trip).
    targets : array-like of int
        Node positions (facilities); repeats allowed.
    direction : {"to_facility", "to_home"}
    limit_s : float, default inf
        Times above it are ``inf``.
    engine : {"auto", "dijkstra", "cch"}
        ``dijkstra``: :func:`from_node` bounded by ``limit_s``; ``cch``: one CCH query
        (:func:`geo.cch.distances`; needs :func:`prepare_node_times`); ``auto``:
        :func:`node_times_engine`.

    Returns
    -------
    numpy.ndarray of float64, shape (n_targets,)
        Seconds. The CCH gives the exact sum of the millisecond weights divided by 1000 (as in
        :func:`matrix`); the Dijkstra sums the float seconds edge by edge, which can differ in
        the last bits (about 1e-11 s on a prefecture's trips).

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 2], v=[1, 2, 0], travel_time=[10.0, 20.0, 30.0])
    >>> node_times(net, 0, [2, 1], direction="to_home", limit_s=40).tolist()
    [30.0, inf]
    """
    check_direction(direction)
    tg = np.asarray(targets, dtype=np.int64).ravel()
    if engine == "auto":
        engine = node_times_engine(net, direction)
    if engine == "dijkstra":
        return np.asarray(from_node(net, node, direction=direction, limit_s=limit_s))[tg]
    if engine != "cch":
        msg = f"engine is {engine!r}; expected 'auto', 'dijkstra' or 'cch'."
        raise ValueError(msg)
    from . import cch

    _sources(net, [int(node)], None)  # the same checks of the node as from_node
    if tg.size and (tg.min() < 0 or tg.max() >= net.n_nodes):
        msg = f"targets must be node positions in 0..{net.n_nodes - 1}."
        raise ValueError(msg)
    look = _lookup_net(net)
    if look is None:
        msg = "no CCH metric for single-address lookups: call prepare_node_times(net) first."
        raise ValueError(msg)
    with look.__dict__["_node_times_lock"]:
        d = _cch_direction(direction)
        t = cch.distances(look, [int(node)], tg, direction=d, threads=1)[0]
    t[~(t <= _limit(limit_s))] = np.inf
    return t


def _csgraph(net, direction):
    """The adjacency searched for ``direction`` as a scipy CSR matrix (cached on the network).

    Built once from :meth:`geo.network.Network.adjacency` (parallel edges already reduced to the
    smallest weight; a zero weight stays an edge), with 32-bit indices so that scipy's Dijkstra
    does not convert them on every call.
    """
    key = f"_csgraph_{direction}"
    graph = net.__dict__.get(key)
    if graph is None:
        from scipy.sparse import csr_matrix

        indptr, indices, weights = net.adjacency(direction)
        idx = np.int32 if len(indices) < np.iinfo(np.int32).max else np.int64
        graph = csr_matrix(
            (
                np.asarray(weights, dtype=np.float64),
                np.asarray(indices, dtype=idx),
                np.asarray(indptr, dtype=idx),
            ),
            shape=(net.n_nodes, net.n_nodes),
        )
        net.__dict__[key] = graph
    return graph


# ---------------------------------------------------------------------------------------------
# the travel matrix: one search per source, every target's time to every source


def default_threads():
    """Worker threads for per-source searches: the CPUs this process may use (at least 1)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def matrix(
    net,
    sources,
    targets,
    *,
    direction,
    limit_s=math.inf,
    offsets_s=None,
    target_offsets_s=None,
    threads=None,
    progress=None,
    chunk=16,
    engine="auto",
):
    """Seconds between every target and every source, as a sparse matrix (one search per source).

    Each source is searched once, bounded by ``limit_s`` (minus its own offset), and the times
    at the target nodes are kept; the target offsets are added and pairs above ``limit_s``
    dropped. Nothing else is capped: every pair within the limit is returned. With
    ``limit_s=inf`` the matrix is complete (every reachable pair).

    Parameters
    ----------
    net : geo.network.Network
    sources : array-like of int
        Node position per facility (repeats allowed).
    targets : array-like of int
        Node position per target (children; repeats allowed).
    direction : {"to_facility", "to_home"}
        Trip direction (see the module docstring).
    limit_s : float, default inf
        Keep pairs whose total time (source offset + road + target offset) is ``<= limit_s``.
    offsets_s : array-like of float, optional
        Per-source access legs (seconds); ``inf`` drops a source.
    target_offsets_s : array-like of float, optional
        Per-target access legs (seconds).
    threads : int, optional
        Searches run at once (the kernels release the GIL); :func:`default_threads` by default.
    progress : callable, optional
        Called as ``progress(done, total)`` (sources searched) from the calling thread.
    chunk : int, default 16
        Sources per task.
    engine : {"auto", "dijkstra", "cch"}
        ``dijkstra``: one bounded search per source (numba). ``cch``: customizable contraction
        hierarchies (:mod:`geo.cch`; complete rows whatever the limit; needs whole-millisecond
        travel times). ``auto`` takes ``cch`` when :func:`geo.cch.usable` and the network has
        a prepared folder or :data:`CCH_MIN_NODES` nodes, else ``dijkstra``. Same pairs.

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n_targets, n_sources)
        Stored entries are exactly the pairs within the limit (a stored ``0.0`` is a real
        zero-second pair: read ``indptr``/``indices``/``data``, not ``!= 0``). Within a row the
        columns are ascending.

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(
    ...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
    ...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
    >>> m = matrix(net, [0, 2], [1, 0], direction="to_home", limit_s=12)
    >>> m.toarray().tolist()  # (targets x sources); 0 where no pair is stored
    [[10.0, 5.0], [0.0, 0.0]]
    >>> m.indices.tolist(), m.data.tolist()  # target 1 holds source 0 at 0 s, not source 1
    ([0, 1, 0], [10.0, 5.0, 0.0])
    """
    from concurrent.futures import ThreadPoolExecutor

    from scipy import sparse

    from . import _kernels

    limit = _limit(limit_s)
    adj = net.adjacency(direction)
    src, off = _sources(net, sources, offsets_s)
    tg, _, _ = _targets(net, targets)
    if target_offsets_s is None:
        toff = np.zeros(tg.size)
    else:
        toff = np.asarray(target_offsets_s, dtype=np.float64).ravel()
        if toff.shape != tg.shape:
            msg = f"target_offsets_s has {toff.size} values for {tg.size} targets."
            raise ValueError(msg)
        if np.isnan(toff).any() or (toff < 0).any():
            msg = "target_offsets_s must be >= 0 seconds; found NaN or negative."
            raise ValueError(msg)
    shape = (tg.size, src.size)
    if tg.size == 0 or src.size == 0:
        return sparse.csr_array(shape, dtype=np.float64)
    threads = default_threads() if threads is None else max(1, int(threads))
    if engine == "auto":
        engine = matrix_engine(net)
    if engine == "cch":
        from . import cch

        uniq, inv = np.unique(tg, return_inverse=True)
        d = cch.distances(net, src, uniq, direction=direction, threads=threads, progress=progress)
        d = d[:, inv] + off[:, None] + toff[None, :]
        d[~(d <= limit)] = np.inf  # also the sources dropped with an inf offset
        rows, cols = np.nonzero(np.isfinite(d.T))
        t = d.T[rows, cols]
        indptr = np.zeros(tg.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=tg.size), out=indptr[1:])
        return sparse.csr_array((t, cols.astype(np.int64), indptr), shape=shape)
    if engine != "dijkstra":
        msg = f"engine is {engine!r}; expected 'auto', 'dijkstra' or 'cch'."
        raise ValueError(msg)
    uniq, inv = np.unique(tg, return_inverse=True)
    slot = np.full(net.n_nodes, -1, dtype=np.int64)
    slot[uniq] = np.arange(uniq.size)
    # the road part can use the limit minus the smallest target leg
    road_limit = limit - float(toff.min())
    starts = list(range(0, src.size, max(1, int(chunk))))

    def run(a):
        b = min(a + chunk, src.size)
        pt, ps, pd_ = _kernels.per_source_kernel(*adj, src[a:b], off[a:b], road_limit, slot)
        return pt, ps + a, pd_

    parts = []
    done = 0
    if threads == 1 or len(starts) == 1:
        results = map(run, starts)
    else:
        pool = ThreadPoolExecutor(max_workers=threads)
        results = pool.map(run, starts)
    try:
        for a, res in zip(starts, results, strict=True):
            parts.append(res)
            done += min(a + chunk, src.size) - a
            if progress is not None:
                progress(done, src.size)
    finally:
        if threads != 1 and len(starts) != 1:
            pool.shutdown()
    p_slot = np.concatenate([p[0] for p in parts])
    p_src = np.concatenate([p[1] for p in parts])
    p_time = np.concatenate([p[2] for p in parts])
    # expand unique target nodes to target rows (several children may share a node)
    by_slot = np.argsort(inv, kind="stable")
    n_per = np.bincount(inv, minlength=uniq.size)
    first = np.concatenate([[0], np.cumsum(n_per)[:-1]])
    reps = n_per[p_slot]
    pair = np.repeat(np.arange(p_slot.size), reps)
    within_slot = np.arange(pair.size) - np.repeat(np.cumsum(reps) - reps, reps)
    rows = by_slot[first[p_slot[pair]] + within_slot]
    cols = p_src[pair]
    t = p_time[pair] + toff[rows]
    ok = t <= limit
    rows, cols, t = rows[ok], cols[ok], t[ok]
    order = np.lexsort((cols, rows))
    rows, cols, t = rows[order], cols[order], t[order]
    indptr = np.zeros(tg.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=tg.size), out=indptr[1:])
    return sparse.csr_array((t, cols.astype(np.int64), indptr), shape=shape)


#: Networks with at least this many nodes use the CCH engine for matrices when it is usable
#: (smaller ones: bounded Dijkstra is as fast and needs no preprocessing).
CCH_MIN_NODES = 200_000


def matrix_engine(net):
    """The engine ``matrix(..., engine="auto")`` uses on ``net``: ``"cch"`` or ``"dijkstra"``."""
    from . import cch

    if not cch.usable(net):
        return "dijkstra"
    if "_prepared_dir" in net.__dict__ or net.n_nodes >= CCH_MIN_NODES:
        return "cch"
    return "dijkstra"


def dense(m, *, fill=math.inf):
    """A sparse travel matrix (:func:`matrix`) as a dense array, ``fill`` where no pair is stored.

    Examples
    --------
    >>> from scipy import sparse
    >>> dense(sparse.csr_array((np.array([0.0]), np.array([1]), np.array([0, 1, 1])),
    ...                        shape=(2, 2))).tolist()
    [[inf, 0.0], [inf, inf]]
    """
    out = np.full(m.shape, fill, dtype=np.float64)
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    out[rows, m.indices] = m.data
    return out
