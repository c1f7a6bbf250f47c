"""Snapping points to the road network with a KD-tree on metric coordinates.

A point joins the graph at its nearest node of the largest strongly connected component (the part
that can both reach and be reached), plus an access leg at a configurable speed. A point farther
than a configurable distance is flagged (``far``), never dropped.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from geo import network
>>> net = network.network_from_arrays(
...     node_ids=[7, 8], lon=[139.0, 139.01], lat=[35.0, 35.0],
...     u=[0, 1], v=[1, 0], travel_time=[60.0, 60.0])
>>> pts = gpd.GeoDataFrame(geometry=[Point(139.0005, 35.0)], index=["c1"], crs="EPSG:4326")
>>> s = snap(net, pts)
>>> s.loc["c1", "node_id"], round(s.loc["c1", "snap_m"]), bool(s.loc["c1", "far"])
(np.int64(7), 46, False)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import CRSError


def _lonlat(points):
    """Return (lon, lat) arrays of a GeoDataFrame/GeoSeries in EPSG:4326, else raise CRSError."""
    crs = getattr(points, "crs", None)
    if crs is None:
        msg = (
            "points have no CRS. Set it with `gdf.set_crs('EPSG:4326')` if the coordinates are "
            "longitude/latitude, or reproject with `to_crs('EPSG:4326')`."
        )
        raise CRSError(msg)
    if not pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_epsg(4326)):
        msg = (
            f"points are in {pyproj.CRS.from_user_input(crs).to_string()}, but snapping expects "
            "EPSG:4326 (longitude/latitude). Use `to_crs('EPSG:4326')` first."
        )
        raise CRSError(msg)
    geoms = points.geometry.values if hasattr(points, "geometry") else points.values
    geoms = np.asarray(geoms, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        idx = list(points.index[bad][:5])
        msg = f"{int(bad.sum())} point(s) have no geometry (index {idx}); geocode or drop them."
        raise ValueError(msg)
    if not (shapely.get_type_id(geoms) == 0).all():
        geoms = shapely.centroid(geoms)
    return shapely.get_x(geoms), shapely.get_y(geoms)


def snap(net, points, *, max_m=None, access_speed_kph=None):
    """Snap points to their nearest core node and compute the access leg.

    Parameters
    ----------
    net : geo.network.Network
        The road network.
    points : geopandas.GeoDataFrame or GeoSeries
        Points in EPSG:4326 (other geometries use their centroid).
    max_m : float, optional
        Distance (m) beyond which a point is flagged ``far``; ``geo.settings.snap_max_m``.
    access_speed_kph : float, optional
        Speed of the access leg; ``geo.settings.access_speed_kph``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``node`` (position, always in ``net.core``), ``node_id``,
        ``snap_m``, ``access_s`` (``snap_m`` / access speed) and ``far``.

    Raises
    ------
    geo.errors.CRSError
        When ``points`` has no CRS or is not in EPSG:4326.

    Examples
    --------
    See the module docstring.
    """
    max_m = settings.snap_max_m if max_m is None else float(max_m)
    speed = settings.access_speed_kph if access_speed_kph is None else float(access_speed_kph)
    if not speed > 0:
        msg = f"access_speed_kph is {speed!r}; expected a speed > 0 km/h."
        raise ValueError(msg)
    lon, lat = _lonlat(points)
    cols = ["node", "node_id", "snap_m", "access_s", "far"]
    if len(lon) == 0:
        return pd.DataFrame(
            {
                "node": np.zeros(0, np.int64),
                "node_id": np.zeros(0, np.int64),
                "snap_m": np.zeros(0),
                "access_s": np.zeros(0),
                "far": np.zeros(0, bool),
            },
            index=points.index,
        )[cols]
    if not net.core.any():
        msg = "the road network has no nodes to snap to."
        raise ValueError(msg)
    tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    snap_m, node = net.nearest_core(x, y)
    return pd.DataFrame(
        {
            "node": node,
            "node_id": net.node_ids[node],
            "snap_m": snap_m,
            "access_s": snap_m / (speed / 3.6),
            "far": snap_m > max_m,
        },
        index=points.index,
    )[cols]
