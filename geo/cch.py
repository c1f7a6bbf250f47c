"""Customizable contraction hierarchies (RoutingKit's CCH via ``pyroutingkit``) for matrices.

A CCH turns a complete travel matrix (every facility to every child, no time limit) from one
whole-network Dijkstra per facility into one sweep per facility over a preprocessed hierarchy.
Preprocessing has two parts:

- the **topology** (a nested-dissection node order and the chordal supergraph): expensive
  (about a minute per million nodes), depends only on the road layout, and is saved in the
  workspace's prepared folder (:mod:`geo.prepared`) as ``cch_forward/`` and ``cch_reverse/``
  (the same order with every arc reversed, for ``to_facility`` trips);
- the **customisation** for a weight vector (seconds): done once per process and network, one
  metric per query thread (customised at once, one thread each).

A hazard scenario (the same nodes, the closed arcs dropped) linked with :func:`share_topology`
is answered on the whole network's topology, the closed arcs weighted ``INF_WEIGHT``.

Weights are integer milliseconds. The engine is used only when every travel time is a whole
number of milliseconds (the importers and the demo round to 1 ms), so its sums are exact; other
networks use the Dijkstra engine (:func:`geo.travel.matrix` ``engine="dijkstra"``).

Examples
--------
>>> from geo import cch, network
>>> net = network.network_from_arrays(
...     node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
>>> cch.available() and cch.distances(net, [0, 2], [1, 0], direction="to_home").tolist()
[[10.0, 0.0], [5.0, 15.0]]
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

try:  # optional at run time: without it the Dijkstra engine answers
    import pyroutingkit as _rk
except ImportError:  # pragma: no cover - depends on the environment
    _rk = None

__all__ = ["available", "distances", "ms_weights", "share_topology", "usable"]

#: Largest millisecond weight accepted (sums stay far below the uint32 range of the library).
MAX_WEIGHT_MS = 2**31 // 1024


def available():
    """True when ``pyroutingkit`` is installed."""
    return _rk is not None


def ms_weights(travel_time):
    """Travel times as uint32 milliseconds, or ``None`` when they are not whole milliseconds.

    Examples
    --------
    >>> ms_weights([1.5, 0.001]).tolist(), ms_weights([0.0005])
    ([1500, 1], None)
    """
    w = np.asarray(travel_time, dtype=np.float64) * 1000.0
    r = np.rint(w)
    if w.size and (np.abs(w - r).max() > 1e-6 or r.max() > MAX_WEIGHT_MS or r.min() < 0):
        return None
    return r.astype(np.uint32)


def usable(net):
    """True when the CCH engine can answer exactly on ``net`` (library present, ms weights)."""
    if not available() or net.n_edges == 0:
        return False
    if "_cch_ms" not in net.__dict__:
        net.__dict__["_cch_ms"] = ms_weights(net.travel_time)
    return net.__dict__["_cch_ms"] is not None


def _write_topology(folder, order, tail, head, n):
    """RoutingKit's saved topology: raw uint32 files ``order``, ``rank``, ``tail``, ``head``."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        order = np.asarray(order, dtype=np.uint32)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size, dtype=np.uint32)
        order.tofile(tmp / "order")
        rank.tofile(tmp / "rank")
        np.asarray(tail, dtype=np.uint32).tofile(tmp / "tail")
        np.asarray(head, dtype=np.uint32).tofile(tmp / "head")
        np.array([n], dtype=np.uint32).tofile(tmp / "node_count")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _topology(net, direction):
    """The CCH topology of ``net`` for a direction (built, or loaded from the prepared folder)."""
    key = f"_cch_topo_{direction}"
    if key in net.__dict__:
        return net.__dict__[key]
    forward = direction == "to_home"
    tail, head = (net.u, net.v) if forward else (net.v, net.u)
    folder = net.__dict__.get("_prepared_dir")
    sub = Path(folder) / ("cch_forward" if forward else "cch_reverse") if folder else None
    topo = _rk.CCHTopology()
    t = time.perf_counter()
    if sub is not None and (sub / "order").exists():
        topo.load(str(sub))
        how = "loaded"
    else:
        other = Path(folder) / ("cch_reverse" if forward else "cch_forward") if folder else None
        # a network with the same nodes and a subset of the arcs (a hazard scenario) reuses
        # the whole network's order: any order gives exact answers, this one is a good one
        parent = net.__dict__.get("_cch_order_dir")
        saved = [Path(parent) / name / "order" for name in ("cch_forward", "cch_reverse") if parent]
        saved = [f for f in saved if f.exists()]
        if other is not None and (other / "order").exists():
            # same node order (it depends on the road layout only), arcs reversed
            order = np.fromfile(other / "order", dtype=np.uint32)
        elif saved and saved[0].stat().st_size == 4 * int(net.n_nodes):
            order = np.fromfile(saved[0], dtype=np.uint32)
        else:
            logger.info(
                "Building the CCH node order for %s nodes (once per road network; about a "
                "minute per million nodes, saved with the workspace)",
                f"{net.n_nodes:,}",
            )
            tmp = _rk.CCHTopology()
            tmp.build(
                np.asarray(net.u, dtype=np.uint32),
                np.asarray(net.v, dtype=np.uint32),
                np.asarray(net.lat, dtype=np.float32),
                np.asarray(net.lon, dtype=np.float32),
                int(net.n_nodes),
            )
            d = Path(tempfile.mkdtemp(prefix="ikemap-cch-"))
            try:
                tmp.save(str(d))
                order = np.fromfile(d / "order", dtype=np.uint32)
            finally:
                shutil.rmtree(d, ignore_errors=True)
        if sub is not None:
            try:
                _write_topology(sub, order, tail, head, net.n_nodes)
                topo.load(str(sub))
            except OSError as exc:
                logger.warning("Could not save the CCH topology to %s: %s", sub, exc)
                sub = None
        if sub is None:
            d = Path(tempfile.mkdtemp(prefix="ikemap-cch-"))
            try:
                _write_topology(d / "t", order, tail, head, net.n_nodes)
                topo.load(str(d / "t"))
            finally:
                shutil.rmtree(d, ignore_errors=True)
        how = "built"
    logger.info("CCH topology (%s) %s in %.1f s", direction, how, time.perf_counter() - t)
    net.__dict__[key] = topo
    return topo


def share_topology(sub, parent):
    """Answer ``sub`` on the CCH topology of ``parent`` (same nodes, a subset of its arcs).

    A hazard scenario (:meth:`analysis.context.Context.scenario`) keeps the nodes and drops the
    closed arcs, in order. Linked, its metric is the parent's weights with the dropped arcs at
    ``INF_WEIGHT`` (an absent arc to the library, so the answers stay exact): no topology is
    loaded or built for it. Returns True when linked (both usable, ``sub``'s arcs an ordered
    sub-list of ``parent``'s), else False and nothing changes.
    """
    if sub is parent or "_cch_parent" in sub.__dict__:
        return "_cch_parent" in sub.__dict__
    if not (usable(parent) and usable(sub)) or sub.n_nodes != parent.n_nodes:
        return False
    from . import _kernels

    base, base_keep = parent.__dict__.get("_cch_parent", (parent, None))
    keep, ok = _kernels.subsequence_mask(
        np.asarray(parent.u, dtype=np.int64),
        np.asarray(parent.v, dtype=np.int64),
        parent.__dict__["_cch_ms"],
        np.asarray(sub.u, dtype=np.int64),
        np.asarray(sub.v, dtype=np.int64),
        sub.__dict__["_cch_ms"],
    )
    if not ok:
        return False
    if base_keep is not None:  # parent is itself linked: a mask over the base's arcs
        full = np.zeros(base_keep.size, dtype=bool)
        full[np.flatnonzero(base_keep)[keep]] = True
        keep = full
    sub.__dict__["_cch_parent"] = (base, keep)
    return True


def _weights(net):
    """(network whose topology answers for ``net``, its uint32 ms weights for ``net``)."""
    link = net.__dict__.get("_cch_parent")
    if link is None:
        return net, net.__dict__["_cch_ms"]
    base, keep = link
    w = base.__dict__["_cch_ms"].copy()
    w[~keep] = np.uint32(_rk.INF_WEIGHT)
    return base, w


def _metrics(net, direction, count, threads):
    """The first ``count`` customised metrics of a direction (one per query thread).

    Missing ones are customised at once, one thread each (the library releases the GIL); a
    lone one uses ``threads`` threads.
    """
    keys = [f"_cch_metric_{direction}_{slot}" for slot in range(count)]
    missing = [k for k in keys if k not in net.__dict__]
    if missing:
        base, w = _weights(net)
        topo = _topology(base, direction)
        t = time.perf_counter()

        def make(n_threads):
            m = _rk.CCHMetric(topo)
            m.customize(w, int(n_threads))
            return m

        if len(missing) == 1:
            made = [make(threads)]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=len(missing)) as pool:
                made = list(pool.map(make, [1] * len(missing)))
        for k, m in zip(missing, made, strict=True):
            net.__dict__[k] = m
        logger.info(
            "CCH customised (%s, %d metric(s)) in %.1f s",
            direction,
            len(missing),
            time.perf_counter() - t,
        )
    return [net.__dict__[k] for k in keys]


def distances(net, sources, targets, *, direction, threads=None, progress=None, chunk=32):
    """Road seconds from every source to every target (facility -> home or home -> facility).

    Parameters
    ----------
    net : geo.network.Network
        A network where :func:`usable` is true.
    sources, targets : array-like of int
        Node positions (facilities, children).
    direction : {"to_facility", "to_home"}
        ``to_home``: facility -> home on the forward graph; ``to_facility``: home -> facility
        (searched from the facility on the reversed graph).
    threads : int, optional
        Query threads (default: the CPUs of this process); each has its own customised metric
        (the library's queries on one metric are not thread-safe).
    progress : callable, optional
        ``progress(done, total)``.

    Returns
    -------
    numpy.ndarray of float64, shape (n_sources, n_targets)
        Seconds (exact sums of millisecond weights); ``inf`` where unreachable.
    """
    if not usable(net):
        msg = "the CCH engine needs pyroutingkit and travel times in whole milliseconds."
        raise ValueError(msg)
    src = np.asarray(sources, dtype=np.uint32).ravel()
    tg = np.asarray(targets, dtype=np.uint32).ravel()
    out = np.full((src.size, tg.size), np.inf)
    if src.size == 0 or tg.size == 0:
        return out
    # the library crashes on repeated targets and on concurrent queries of one metric: unique
    # targets, and one customised metric per query thread (queries release the GIL)
    import queue
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from .travel import default_threads

    uniq, inv = np.unique(tg, return_inverse=True)
    uniq = np.ascontiguousarray(uniq, dtype=np.uint32)
    threads = default_threads() if threads is None else max(1, int(threads))
    threads = min(threads, -(-src.size // chunk))
    free = queue.Queue()
    for metric in _metrics(net, direction, threads, threads):
        free.put(metric)
    inf = int(_rk.INF_WEIGHT)

    def run(a):
        metric = free.get()
        try:
            part = np.ascontiguousarray(src[a : a + chunk])
            d = metric.distances_many_to_many(part, uniq)
        finally:
            free.put(metric)
        block = d.astype(np.float64) / 1000.0
        block[d >= inf] = np.inf
        out[a : a + part.size] = block[:, inv]
        return part.size

    done = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for fut in as_completed([pool.submit(run, a) for a in range(0, src.size, chunk)]):
            done += fut.result()
            if progress is not None:
                progress(done, src.size)
    return out
