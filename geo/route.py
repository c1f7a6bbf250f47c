"""Routes (line geometry) from homes to a shelter, on the normal or the hazard network.

The travel engine (:mod:`geo.travel`) returns times only; this module rebuilds the paths with
``scipy.sparse.csgraph.dijkstra`` (predecessors) on the same directed network, one search per
target (searched on the reversed graph, so every home routed to that target shares it).
Parallel edges keep the fastest, as in the engine, so a route's time equals the engine's time.

:func:`route_to` gives one path; :func:`cut_by` lists the closed edges of a normal-network path
(which flooded road cut a child off). :mod:`analysis.routes` builds routes for evacuation rows.

Examples
--------
>>> r = route_to(net, target=4, sources=[0])  # doctest: +SKIP
>>> r[0].edges, r[0].time_s  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from .network import edge_geometries_at


@dataclass(frozen=True)
class Path:
    """One path: node positions, edge positions (into the network it was found on), seconds."""

    nodes: np.ndarray
    edges: np.ndarray
    time_s: float


def _best_edges(net):
    """(csgraph of the reversed graph, sorted keys u*n+v, edge position per key)."""
    from scipy.sparse import csr_matrix

    n = net.n_nodes
    u = np.asarray(net.u, dtype=np.int64)
    v = np.asarray(net.v, dtype=np.int64)
    t = np.asarray(net.travel_time, dtype=float)
    ok = u != v
    pos = np.flatnonzero(ok)
    order = np.lexsort((t[pos], v[pos], u[pos]))
    pos = pos[order]
    key = u[pos] * n + v[pos]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    pos, key = pos[first], key[first]
    # a zero-time edge would vanish from a sparse matrix: give it a tiny positive weight
    w = np.maximum(t[pos], 1e-9)
    rev = csr_matrix((w, (v[pos], u[pos])), shape=(n, n))
    return rev, key, pos


_CACHE = {}


def _graph(net):
    k = id(net)
    hit = _CACHE.get(k)
    if hit is None or hit[0] is not net:
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = (net, _best_edges(net))
        _CACHE[k] = hit
    return hit[1]


def route_to(net, *, target, sources):
    """Fastest paths from each source node to one target node (home -> shelter direction).

    Parameters
    ----------
    net : geo.network.Network
    target : int
        Node position of the destination.
    sources : sequence of int
        Node positions of the starts.

    Returns
    -------
    list of Path or None
        One per source; ``None`` when the target cannot be reached.

    Examples
    --------
    >>> from geo import network
    >>> net = network.network_from_arrays(node_ids=[1, 2, 3], lon=[139.0, 139.001, 139.002],
    ...     lat=[35.0, 35.0, 35.0], u=[0, 1, 0], v=[1, 2, 2], travel_time=[10.0, 20.0, 50.0])
    >>> p = route_to(net, target=2, sources=[0])[0]
    >>> p.nodes.tolist(), p.edges.tolist(), p.time_s
    ([0, 1, 2], [0, 1], 30.0)
    """
    from scipy.sparse.csgraph import dijkstra

    rev, key, pos = _graph(net)
    n = net.n_nodes
    dist, pred = dijkstra(rev, directed=True, indices=int(target), return_predecessors=True)
    out = []
    tt = np.asarray(net.travel_time, dtype=float)
    for s in sources:
        s = int(s)
        if not np.isfinite(dist[s]):
            out.append(None)
            continue
        nodes = [s]
        while nodes[-1] != target:
            nodes.append(int(pred[nodes[-1]]))
        nodes = np.asarray(nodes, dtype=np.int64)
        k = nodes[:-1] * n + nodes[1:]
        edges = pos[np.searchsorted(key, k)]
        out.append(Path(nodes=nodes, edges=edges, time_s=float(tt[edges].sum())))
    return out


def cut_by(path, closed):
    """Edge positions of ``path`` (found on the normal network) that the hazard closes.

    Parameters
    ----------
    path : Path
    closed : numpy.ndarray of bool
        :func:`geo.scenario.closed_edges` of the same network.

    Examples
    --------
    >>> import numpy as np
    >>> cut_by(Path(np.array([0, 1, 2]), np.array([3, 5]), 1.0), np.arange(6) == 5).tolist()
    [5]
    """
    return path.edges[np.asarray(closed, dtype=bool)[path.edges]]


def geometry(net, path, *, start=None, end=None):
    """The path as a LineString in EPSG:4326, with the access legs to ``start``/``end`` points.

    Parameters
    ----------
    net : geo.network.Network
        The network the path was found on.
    path : Path
    start, end : shapely Point in EPSG:4326, optional
        The home and the destination (drawn as straight access legs).
    """
    to4326 = pyproj.Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    # only the path's edges: a prepared network reads just those rows of the workspace
    geoms = edge_geometries_at(net, path.edges)
    coords = []
    if start is not None:
        coords.append((start.x, start.y))
    if len(path.edges):
        for g in geoms:
            c = np.asarray(shapely.get_coordinates(g))
            x, y = to4326.transform(c[:, 0], c[:, 1])
            coords.extend(zip(np.atleast_1d(x), np.atleast_1d(y), strict=True))
    else:
        node = int(path.nodes[0])
        coords.append((float(net.lon[node]), float(net.lat[node])))
    if end is not None:
        coords.append((end.x, end.y))
    clean = [coords[0]] + [c for a, c in zip(coords, coords[1:]) if c != a]
    if len(clean) == 1:
        clean = clean * 2
    return shapely.LineString(clean)
