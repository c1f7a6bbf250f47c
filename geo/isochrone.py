"""Isochrones: the area reachable within some minutes, as a polygon for the map.

The reachable edges (both ends within the time) are buffered in the metric CRS and merged; holes
between blocks are filled. ``node`` is the home end of the trip, as in
:func:`geo.travel.from_node`.

Examples
--------
>>> poly = isochrone(net, 42, minutes=15, direction="to_facility")  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon

from . import travel
from .network import edge_geometries


def isochrone(net, node, *, minutes, direction, buffer_m=60.0, fill_holes=True):
    """Return the area reachable within ``minutes`` of a node as a Polygon in EPSG:4326.

    Parameters
    ----------
    net : geo.network.Network
    node : int
        Node position of the home/address.
    minutes : float
        Travel time budget.
    direction : {"to_facility", "to_home"}
        ``to_facility``: places reachable from the node; ``to_home``: places from which the
        node is reached.
    buffer_m : float, default 60
        Half-width of the band drawn around reachable roads.
    fill_holes : bool, default True
        Drop interior rings (the blocks between roads).

    Returns
    -------
    shapely.Polygon
        In EPSG:4326 (a MultiPolygon only if the reachable roads are disjoint after buffering).

    Examples
    --------
    >>> poly = isochrone(net, 0, minutes=10, direction="to_facility")  # doctest: +SKIP
    """
    limit = float(minutes) * 60.0
    t = travel.from_node(net, int(node), direction=direction, limit_s=limit)
    reached = np.isfinite(t)
    edges = np.flatnonzero(reached[net.u] & reached[net.v])
    parts = [shapely.buffer(shapely.points(net.x[reached], net.y[reached]), buffer_m, quad_segs=4)]
    if edges.size:
        geoms = edge_geometries(net)[edges]
        parts.append(shapely.buffer(geoms, buffer_m, quad_segs=4))
    area = shapely.union_all(np.concatenate(parts))
    if fill_holes:
        area = _fill(area)
    tr = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    return shapely.transform(area, lambda c: np.column_stack(tr.transform(*c.T)))


def _fill(geom):
    if geom.geom_type == "Polygon":
        return Polygon(geom.exterior)
    if geom.geom_type == "MultiPolygon":
        return shapely.union_all([Polygon(p.exterior) for p in geom.geoms])
    return geom
