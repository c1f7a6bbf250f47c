"""The numeric road network: arrays only, what the travel engine routes on.

A :class:`Network` holds node positions ``0..n-1`` (with their OSM ids), metric and lon/lat
coordinates, directed edges as ``u``/``v`` position arrays with ``travel_time`` (s) and
``length`` (m), and the ``core`` mask (largest strongly connected component, where points snap).
Compressed sparse row (CSR) adjacency of the forward and reversed graph is built once, lazily,
and cached on the object.

Examples
--------
>>> import numpy as np
>>> net = network_from_arrays(
...     node_ids=[10, 20, 30], lon=[139.0, 139.001, 139.002], lat=[35.0, 35.0, 35.0],
...     u=[0, 1, 1, 2], v=[1, 0, 2, 1], travel_time=[10.0, 10.0, 5.0, 5.0])
>>> net.n_nodes, net.n_edges, int(net.core.sum())
(3, 4, 3)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import IkemapError

logger = logging.getLogger(__name__)

#: At most this many points are snapped by scanning the core nodes when the KD-tree is not
#: built yet (see :meth:`Network.nearest_core`).
SCAN_MAX = 8


@dataclass(frozen=True, eq=False)
class Network:
    """Directed road network as arrays (positions ``0..n_nodes-1``).

    Attributes
    ----------
    node_ids : numpy.ndarray of int64
        OSM id (``roads_nodes.osmid``) per node position.
    x, y : numpy.ndarray of float64
        Metric coordinates in :attr:`crs`.
    lon, lat : numpy.ndarray of float64
        EPSG:4326 coordinates.
    crs : pyproj.CRS
        The metric CRS (UTM zone of the region).
    u, v : numpy.ndarray of int32
        Node positions of each directed edge.
    travel_time : numpy.ndarray of float64
        Seconds per edge.
    length : numpy.ndarray of float64
        Metres per edge.
    edge_geometry : numpy.ndarray of shapely LineString or None
        Edge shapes in :attr:`crs` (for scenarios and isochrones); see :func:`edge_geometries`.
    core : numpy.ndarray of bool
        Node in the largest strongly connected component.
    key : numpy.ndarray of int64 or None
        ``roads_edges.key`` per edge when known.
    edge_geometry_loader : callable or None
        Returns the edge shapes (in :attr:`crs`) when ``edge_geometry`` is None and they are
        needed: a network loaded from a prepared folder (:mod:`geo.prepared`) reads them from
        the workspace only when drawing or intersecting hazards.
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    crs: pyproj.CRS
    u: np.ndarray
    v: np.ndarray
    travel_time: np.ndarray
    length: np.ndarray
    edge_geometry: np.ndarray | None = None
    core: np.ndarray | None = None
    key: np.ndarray | None = None
    edge_geometry_loader: object = None

    def __post_init__(self):
        if self.core is None:
            object.__setattr__(self, "core", largest_scc(len(self.node_ids), self.u, self.v))

    @property
    def n_nodes(self):
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self):
        """Number of directed edges."""
        return len(self.u)

    @cached_property
    def forward(self):
        """CSR adjacency of out-edges: ``(indptr, indices, weights)``; parallel edges -> min."""
        return _csr(self.n_nodes, self.u, self.v, self.travel_time)

    @cached_property
    def reverse(self):
        """CSR adjacency of in-edges (the reversed graph): ``(indptr, indices, weights)``."""
        return _csr(self.n_nodes, self.v, self.u, self.travel_time)

    @cached_property
    def kdtree(self):
        """``(scipy.spatial.cKDTree, positions)`` over the metric coordinates of core nodes."""
        from scipy.spatial import cKDTree

        core, cx, cy = self._core_xy
        return cKDTree(np.column_stack([cx, cy])), core

    @cached_property
    def _core_xy(self):
        """Positions and metric coordinates of the core nodes."""
        core = np.flatnonzero(self.core)
        return core, np.asarray(self.x)[core], np.asarray(self.y)[core]

    def nearest_core(self, x, y):
        """Return ``(distance_m, node)`` of the nearest core node of each metric point.

        The KD-tree (:attr:`kdtree`) answers. A few points (at most :data:`SCAN_MAX`) on a
        network whose tree is not built yet are answered by scanning the core nodes instead:
        building the tree of a prefecture's million nodes takes longer than scanning them for one
        address. The scan gives the tree's answer (the same squared distances; when two nodes are
        (nearly) as near, e.g. two nodes at one place, the tree decides). Larger point sets on a
        prepared network are cached in its folder (:func:`geo.prepared.cached_nearest`), so that a
        workspace's children and facilities are snapped once, not in every process.

        Examples
        --------
        >>> net = network_from_arrays(
        ...     node_ids=[7, 8], lon=[139.0, 139.01], lat=[35.0, 35.0],
        ...     u=[0, 1], v=[1, 0], travel_time=[60.0, 60.0])
        >>> d, node = net.nearest_core(net.x[[1]] + 3.0, net.y[[1]] + 4.0)
        >>> d.tolist(), node.tolist()
        ([5.0], [1])
        """
        x = np.ascontiguousarray(x, dtype=np.float64).ravel()
        y = np.ascontiguousarray(y, dtype=np.float64).ravel()
        if len(x) <= SCAN_MAX and "kdtree" not in self.__dict__:
            hit = self._scan(x, y)
            if hit is not None:
                return hit
        if len(x) > SCAN_MAX and self.__dict__.get("_prepared_dir"):
            from . import prepared

            return prepared.cached_nearest(self, x, y, self._tree_nearest)
        return self._tree_nearest(x, y)

    def _tree_nearest(self, x, y):
        tree, core = self.kdtree
        dist, i = tree.query(np.column_stack([x, y]), k=1)
        return np.asarray(dist, dtype=np.float64), core[i].astype(np.int64)

    def _scan(self, x, y):
        """Nearest core nodes by a full scan; ``None`` when a near tie needs the tree."""
        core, cx, cy = self._core_xy
        dist = np.empty(len(x), dtype=np.float64)
        node = np.empty(len(x), dtype=np.int64)
        d2 = np.empty(len(cx), dtype=np.float64)
        dy = np.empty(len(cy), dtype=np.float64)
        for k, (px, py) in enumerate(zip(x, y)):
            np.subtract(cx, px, out=d2)
            np.multiply(d2, d2, out=d2)
            np.subtract(cy, py, out=dy)
            np.multiply(dy, dy, out=dy)
            np.add(d2, dy, out=d2)  # the tree's squared distance: dx * dx + dy * dy
            j = int(np.argmin(d2))
            best = d2[j]
            if np.count_nonzero(d2 <= best * (1.0 + 1e-9) + 1e-12) != 1:
                return None
            dist[k] = np.sqrt(best)
            node[k] = core[j]
        return dist, node

    def adjacency(self, direction):
        """Return the CSR to search from facilities for a service direction.

        ``to_facility`` (home -> facility) searches the reversed graph from the facilities,
        ``to_home`` (facility -> home) the forward graph.
        """
        if direction == "to_facility":
            return self.reverse
        if direction == "to_home":
            return self.forward
        msg = f"direction is {direction!r}; expected 'to_facility' or 'to_home'."
        raise ValueError(msg)

    @cached_property
    def node_index(self):
        """``pandas.Index`` of ``node_ids`` (``get_indexer`` maps ids to positions)."""
        return pd.Index(self.node_ids)

    def positions(self, node_ids):
        """Return the node positions of OSM ids; raises when an id is not in the network."""
        ids = np.asarray(node_ids, dtype=np.int64)
        pos = self.node_index.get_indexer(ids)
        if (pos < 0).any():
            bad = ids[pos < 0][:5].tolist()
            msg = f"node id(s) {bad} are not nodes of the road network."
            raise IkemapError(msg)
        return pos.astype(np.int64)

    def with_travel_time(self, travel_time):
        """Return a copy of this network with other edge travel times (same topology)."""
        tt = np.asarray(travel_time, dtype=np.float64)
        if tt.shape != self.travel_time.shape:
            msg = f"travel_time has shape {tt.shape}; expected {self.travel_time.shape}."
            raise ValueError(msg)
        return Network(
            node_ids=self.node_ids,
            x=self.x,
            y=self.y,
            lon=self.lon,
            lat=self.lat,
            crs=self.crs,
            u=self.u,
            v=self.v,
            travel_time=tt,
            length=self.length,
            edge_geometry=self.edge_geometry,
            core=None,
            key=self.key,
            edge_geometry_loader=(
                _SubsetLoader(self, None) if self.edge_geometry_loader is not None else None
            ),
        )

    def subset_edges(self, keep):
        """Return a network with only the edges where ``keep`` is True (nodes unchanged)."""
        keep = np.asarray(keep, dtype=bool)
        geom = self.edge_geometry[keep] if self.edge_geometry is not None else None
        loader = None
        if geom is None and self.edge_geometry_loader is not None:
            loader = _SubsetLoader(self, keep)

        out = Network(
            node_ids=self.node_ids,
            x=self.x,
            y=self.y,
            lon=self.lon,
            lat=self.lat,
            crs=self.crs,
            u=self.u[keep],
            v=self.v[keep],
            travel_time=self.travel_time[keep],
            length=self.length[keep],
            edge_geometry=geom,
            core=None,
            key=self.key[keep] if self.key is not None else None,
            edge_geometry_loader=loader,
        )
        # same nodes: the CCH node order saved for the whole network stays a valid (exact)
        # order for this one (a hazard scenario), so geo.cch need not build one again
        order_dir = self.__dict__.get("_prepared_dir") or self.__dict__.get("_cch_order_dir")
        if order_dir is not None:
            out.__dict__["_cch_order_dir"] = order_dir
        return out


#: Field names of :class:`Network`, in order.
FIELDS = (
    "node_ids",
    "x",
    "y",
    "lon",
    "lat",
    "crs",
    "u",
    "v",
    "travel_time",
    "length",
    "edge_geometry",
    "core",
    "key",
    "edge_geometry_loader",
)


def _csr(n, a, b, w):
    """CSR of edges a->b with weight w; parallel edges keep the smallest weight, loops dropped."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    ok = a != b
    a, b, w = a[ok], b[ok], w[ok]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    if len(a):
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w = a[first], b[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, a + 1, 1)
    np.cumsum(indptr, out=indptr)
    return indptr, b.astype(np.int32), w


def largest_scc(n, u, v):
    """Return a bool mask of the nodes in the largest strongly connected component."""
    from scipy import sparse
    from scipy.sparse import csgraph

    if n == 0:
        return np.zeros(0, dtype=bool)
    m = sparse.csr_matrix(
        (np.ones(len(u), dtype=np.int8), (np.asarray(u), np.asarray(v))), shape=(n, n)
    )
    _, labels = csgraph.connected_components(m, directed=True, connection="strong")
    counts = np.bincount(labels)
    return labels == int(np.argmax(counts))


def metric_crs(lon, lat):
    """Return the UTM CRS of the region spanned by ``lon``/``lat`` (its centre's zone)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if len(lon) == 0:
        msg = "cannot pick a metric CRS for an empty road network."
        raise IkemapError(msg)
    w, e = float(np.nanmin(lon)), float(np.nanmax(lon))
    s, n = float(np.nanmin(lat)), float(np.nanmax(lat))
    cx, cy = (w + e) / 2, (s + n) / 2
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(cx, cy, cx, cy),
    )
    if not infos:
        msg = f"no UTM zone found for lon {cx:.4f}, lat {cy:.4f}."
        raise IkemapError(msg)
    return pyproj.CRS.from_epsg(int(infos[0].code))


def network_from_arrays(
    *, node_ids, lon, lat, u, v, travel_time, length=None, edge_geometry=None, key=None, crs=None
):
    """Build a :class:`Network` from plain arrays (``u``/``v`` are node positions).

    Parameters
    ----------
    node_ids : array-like of int
        OSM id per node position.
    lon, lat : array-like of float
        EPSG:4326 coordinates per node.
    u, v : array-like of int
        Node positions of each directed edge.
    travel_time : array-like of float
        Seconds per edge (finite, >= 0).
    length : array-like of float, optional
        Metres per edge; the straight-line length when omitted.
    edge_geometry : array-like of LineString in EPSG:4326, optional
        Edge shapes; projected to the metric CRS.
    key : array-like of int, optional
        Edge keys.
    crs : pyproj.CRS, optional
        Metric CRS; estimated (UTM) when omitted.

    Returns
    -------
    Network

    Examples
    --------
    >>> net = network_from_arrays(node_ids=[1, 2], lon=[139.0, 139.01], lat=[35.0, 35.0],
    ...                           u=[0], v=[1], travel_time=[60.0])
    >>> int(net.core.sum())  # one-way: each node is its own strongly connected part
    1
    """
    node_ids = np.asarray(node_ids, dtype=np.int64)
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    u = np.asarray(u, dtype=np.int32)
    v = np.asarray(v, dtype=np.int32)
    tt = np.asarray(travel_time, dtype=np.float64)
    n = len(node_ids)
    if not (len(lon) == len(lat) == n):
        msg = f"lon/lat have {len(lon)}/{len(lat)} values for {n} nodes."
        raise ValueError(msg)
    if not (len(u) == len(v) == len(tt)):
        msg = f"u/v/travel_time lengths differ: {len(u)}/{len(v)}/{len(tt)}."
        raise ValueError(msg)
    if len(u) and (u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n):
        msg = f"edge endpoints must be node positions 0..{n - 1}."
        raise ValueError(msg)
    bad = ~np.isfinite(tt) | (tt < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{int(bad.sum())} edge(s) have a travel_time that is not a finite number >= 0 "
            f"(edge {i}: {tt[i]!r}). Recompute travel times with geo.roads.add_edge_travel_times."
        )
        raise IkemapError(msg)
    if len(np.unique(node_ids)) != n:
        msg = "node ids repeat; every road node needs a unique osmid."
        raise IkemapError(msg)
    crs = metric_crs(lon, lat) if crs is None else pyproj.CRS.from_user_input(crs)
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if length is None:
        length = np.hypot(x[v] - x[u], y[v] - y[u])
    length = np.asarray(length, dtype=np.float64)
    if edge_geometry is not None:
        geoms = np.asarray(edge_geometry, dtype=object)
        missing = shapely.is_missing(geoms)
        if missing.any():
            geoms = geoms.copy()
            geoms[missing] = _straight(lon, lat, u[missing], v[missing])
        edge_geometry = shapely.transform(geoms, lambda c: np.column_stack(tr.transform(*c.T)))
    net = Network(
        node_ids=node_ids,
        x=x,
        y=y,
        lon=lon,
        lat=lat,
        crs=crs,
        u=u,
        v=v,
        travel_time=tt,
        length=length,
        edge_geometry=edge_geometry,
        core=None,
        key=None if key is None else np.asarray(key, dtype=np.int64),
    )
    logger.info(
        "Built network with %s nodes and %s edges (%s in the largest strongly connected part)",
        f"{net.n_nodes:,}",
        f"{net.n_edges:,}",
        f"{int(net.core.sum()):,}",
    )
    return net


def _straight(x, y, a, b):
    coords = np.stack([np.c_[x[a], y[a]], np.c_[x[b], y[b]]], axis=1)
    return shapely.linestrings(coords)


def edge_geometries(net):
    """Return the edge shapes in ``net.crs`` (straight segments where the network has none).

    A network with an ``edge_geometry_loader`` (prepared from a workspace) reads its shapes on
    the first call and keeps them.
    """
    if net.edge_geometry is not None:
        return net.edge_geometry
    if net.edge_geometry_loader is not None:
        geoms = net.edge_geometry_loader()
        object.__setattr__(net, "edge_geometry", geoms)
        return geoms
    return _straight(net.x, net.y, net.u, net.v)


def edge_geometries_at(net, edges):
    """Return the shapes of edge positions ``edges`` only: ``edge_geometries(net)[edges]``.

    A network whose shapes are not loaded yet reads just those rows from the workspace when its
    loader can (a prepared network, :mod:`geo.prepared`), so drawing a few routes never reads
    the millions of shapes of a prefecture.
    """
    edges = np.asarray(edges, dtype=np.int64)
    if net.edge_geometry is not None:
        return net.edge_geometry[edges]
    loader = net.edge_geometry_loader
    if loader is not None:
        at = getattr(loader, "at", None)
        if at is not None:
            return at(edges)
        return edge_geometries(net)[edges]
    return _straight(net.x, net.y, np.asarray(net.u)[edges], np.asarray(net.v)[edges])


class _SubsetLoader:
    """Shapes of a network derived from ``parent`` (``keep``: its edges, None: all of them)."""

    def __init__(self, parent, keep):
        self.parent = parent
        self.keep = keep

    def __call__(self):
        geoms = edge_geometries(self.parent)
        return geoms if self.keep is None else geoms[self.keep]

    def at(self, edges):
        edges = np.asarray(edges, dtype=np.int64)
        if self.keep is not None:
            edges = np.flatnonzero(self.keep)[edges]
        return edge_geometries_at(self.parent, edges)


def network_from_layers(nodes, edges, *, geometry=True):
    """Build a :class:`Network` from the workspace layers ``roads_nodes`` and ``roads_edges``.

    No networkx graph is built, so a prefecture-sized network loads in seconds.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame or pandas.DataFrame
        ``osmid`` and ``x``/``y`` (lon/lat; or a Point geometry in EPSG:4326).
    edges : geopandas.GeoDataFrame or pandas.DataFrame
        ``u``, ``v`` (osmids), ``travel_time`` (or ``length`` and ``speed_kph``/``highway``/
        ``maxspeed`` to compute it), optional ``length``, ``key`` and geometry.
    geometry : bool, default True
        Keep the edge shapes (projected); False leaves ``edge_geometry`` None (straight
        segments are used where shapes are needed).

    Returns
    -------
    Network

    Examples
    --------
    >>> net = network_from_layers(nodes, edges)  # doctest: +SKIP
    """
    from .workspace import check_crs

    for frame, name in ((nodes, "roads_nodes"), (edges, "roads_edges")):
        if hasattr(frame, "crs") and hasattr(frame, "geometry"):
            check_crs(frame, context=f"layer {name}")
    for frame, name, cols in (
        (nodes, "roads_nodes", ("osmid",)),
        (edges, "roads_edges", ("u", "v")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            msg = f"layer {name} lacks column(s) {missing}; it has {list(frame.columns)}."
            raise IkemapError(msg)
    ids = np.asarray(nodes["osmid"], dtype=np.int64)
    if "x" in nodes.columns and "y" in nodes.columns:
        lon = np.asarray(nodes["x"], dtype=np.float64)
        lat = np.asarray(nodes["y"], dtype=np.float64)
    else:
        lon = shapely.get_x(nodes.geometry.values)
        lat = shapely.get_y(nodes.geometry.values)
    index = pd.Index(ids)
    eu = index.get_indexer(np.asarray(edges["u"], dtype=np.int64))
    ev = index.get_indexer(np.asarray(edges["v"], dtype=np.int64))
    bad = (eu < 0) | (ev < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"roads_edges has {int(bad.sum())} edge(s) whose u or v is not an osmid of "
            f"roads_nodes (row {i}: {edges['u'].iloc[i]} -> {edges['v'].iloc[i]}). "
            "Re-import the roads."
        )
        raise IkemapError(msg)
    length = (
        pd.to_numeric(edges["length"]).to_numpy(dtype=float) if "length" in edges.columns else None
    )
    if "travel_time" in edges.columns and pd.to_numeric(edges["travel_time"]).notna().all():
        tt = pd.to_numeric(edges["travel_time"]).to_numpy(dtype=float)
    else:
        tt = _travel_time_from_columns(edges, length)
    geoms = None
    if geometry and hasattr(edges, "geometry") and getattr(edges, "_geometry_column_name", None):
        geoms = np.asarray(edges.geometry.values, dtype=object)
    key = np.asarray(edges["key"], dtype=np.int64) if "key" in edges.columns else None
    return network_from_arrays(
        node_ids=ids,
        lon=lon,
        lat=lat,
        u=eu,
        v=ev,
        travel_time=tt,
        length=length,
        edge_geometry=geoms,
        key=key,
    )


def _travel_time_from_columns(edges, length):
    from . import codes
    from .roads import highway_speed, parse_maxspeed

    if length is None:
        msg = "roads_edges has neither travel_time nor length; re-import the roads."
        raise IkemapError(msg)
    if "speed_kph" in edges.columns and pd.to_numeric(edges["speed_kph"]).notna().all():
        speed = pd.to_numeric(edges["speed_kph"]).to_numpy(dtype=float)
    else:
        table = codes.road_speeds()
        ms = edges["maxspeed"].tolist() if "maxspeed" in edges.columns else [None] * len(edges)
        hw = edges["highway"].tolist() if "highway" in edges.columns else [None] * len(edges)
        speed = np.array([parse_maxspeed(m) for m in ms])
        nan = np.isnan(speed)
        speed[nan] = [highway_speed(h, table) for h, m in zip(hw, nan) if m]
    return length / (speed / 3.6)


def network_from_graph(G, *, geometry=True):
    """Build a :class:`Network` from a road graph of :mod:`geo.roads`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        EPSG:4326 graph with ``travel_time`` on every edge.
    geometry : bool, default True
        Keep the edge shapes.

    Returns
    -------
    Network

    Examples
    --------
    >>> from geo import roads
    >>> net = network_from_graph(roads.graph_from_file("tachikawa_drive.graphml"))  # doctest: +SKIP
    """
    crs = G.graph.get("crs", settings.storage_crs)
    if not pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_epsg(4326)):
        import osmnx as ox

        G = ox.project_graph(G, to_crs="EPSG:4326")
    ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    lon = np.array([float(d["x"]) for _, d in G.nodes(data=True)])
    lat = np.array([float(d["y"]) for _, d in G.nodes(data=True)])
    index = pd.Index(ids)
    m = G.number_of_edges()
    eu = np.empty(m, dtype=np.int64)
    ev = np.empty(m, dtype=np.int64)
    keys = np.empty(m, dtype=np.int64)
    tt = np.empty(m, dtype=np.float64)
    length = np.full(m, np.nan)
    geoms = np.empty(m, dtype=object) if geometry else None
    for i, (a, b, k, d) in enumerate(G.edges(keys=True, data=True)):
        eu[i] = a
        ev[i] = b
        keys[i] = k if isinstance(k, int | np.integer) else i
        if "travel_time" not in d:
            msg = f"edge {a}->{b} has no travel_time; build the graph with geo.roads first."
            raise IkemapError(msg)
        tt[i] = float(d["travel_time"])
        length[i] = float(d.get("length", np.nan))
        if geometry:
            geoms[i] = d.get("geometry")
    pu = index.get_indexer(eu)
    pv = index.get_indexer(ev)
    if np.isnan(length).any():
        length = None
    return network_from_arrays(
        node_ids=ids,
        lon=lon,
        lat=lat,
        u=pu,
        v=pv,
        travel_time=tt,
        length=length,
        edge_geometry=geoms,
        key=keys,
    )


def network_from_workspace(path, *, geometry=True):
    """Read the road layers of a workspace into a :class:`Network`.

    Examples
    --------
    >>> net = network_from_workspace("data/demo/demo.gpkg")  # doctest: +SKIP
    """
    from . import workspace

    nodes = workspace.read(path, "roads_nodes")
    edges = workspace.read(path, "roads_edges")
    return network_from_layers(nodes, edges, geometry=geometry)
