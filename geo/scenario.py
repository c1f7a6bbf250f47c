"""Hazard scenarios: the road network with the edges that cross hazard zones removed or slowed.

Only zones of level 1 and above of a hazard type that closes roads (``closes_roads`` in
``data/hazard_types.csv``; not e.g. ``power_restoration``) count. Edges are matched to hazard
polygons with a shapely ``STRtree`` over the edge shapes (in the network's metric CRS). Node
positions never change, so points snapped on the base network keep their ``node`` on every
scenario network and the same engine runs on it.

Examples
--------
>>> closed = closed_edges(net, hazards, min_level=3)  # doctest: +SKIP
>>> flooded = scenario(net, hazards, min_level=3)  # doctest: +SKIP
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyproj
import shapely

from . import codes
from .errors import CRSError, IkemapError
from .network import edge_geometries

logger = logging.getLogger(__name__)


def non_closing_types():
    """Hazard types whose zones never close roads (``closes_roads`` false in the code table)."""
    t = codes.table("hazard_types")
    if "closes_roads" not in t.columns:
        return []
    return list(t.index[t["closes_roads"].str.lower().eq("false")])


def _zones(net, hazards, min_level, hazard_types):
    crs = getattr(hazards, "crs", None)
    if crs is None:
        msg = "hazards have no CRS; read them with geo.workspace.read or set_crs('EPSG:4326')."
        raise CRSError(msg)
    missing = [c for c in ("level",) if c not in hazards.columns]
    if hazard_types is not None and "hazard_type" not in hazards.columns:
        missing.append("hazard_type")
    if missing:
        msg = f"hazards lack column(s) {missing}; expected the workspace 'hazards' layer."
        raise IkemapError(msg)
    level = np.asarray(pd.to_numeric(hazards["level"], errors="coerce"), dtype=float)
    # level 0 = a zone without a depth band (an inundation-duration polygon): never closes roads
    keep = np.nan_to_num(level, nan=-np.inf) >= max(float(min_level), 1.0)
    if "hazard_type" in hazards.columns:
        keep &= ~np.asarray(hazards["hazard_type"].isin(non_closing_types()), dtype=bool)
    if hazard_types is not None:
        types = [hazard_types] if isinstance(hazard_types, str) else list(hazard_types)
        keep &= np.asarray(hazards["hazard_type"].isin(types), dtype=bool)
    zones = hazards.loc[keep]
    if len(zones) == 0:
        return np.zeros(0, dtype=object)
    if not pyproj.CRS.from_user_input(crs).equals(net.crs):
        zones = zones.to_crs(net.crs)
    geoms = np.asarray(zones.geometry.values, dtype=object)
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def closed_edges(net, hazards, *, min_level, hazard_types=None):
    """Mark the edges that cross a hazard polygon at or above a level.

    Parameters
    ----------
    net : geo.network.Network
        The road network.
    hazards : geopandas.GeoDataFrame
        The ``hazards`` layer (``hazard_type``, ``level``, polygons; any CRS, reprojected).
    min_level : int
        Zones with ``level >= min_level`` count.
    hazard_types : str or list of str, optional
        Only these hazard types (all when omitted).

    Returns
    -------
    numpy.ndarray of bool, shape (n_edges,)

    Examples
    --------
    >>> closed_edges(net, hazards, min_level=2, hazard_types=["flood"]).sum()  # doctest: +SKIP
    """
    zones = _zones(net, hazards, min_level, hazard_types)
    out = np.zeros(net.n_edges, dtype=bool)
    if zones.size == 0 or net.n_edges == 0:
        return out
    tree = shapely.STRtree(edge_geometries(net))
    _, hit = tree.query(zones, predicate="intersects")
    out[np.unique(hit)] = True
    return out


def scenario(net, hazards, *, min_level, hazard_types=None, slow_factor=None):
    """Return the network under a hazard scenario.

    Parameters
    ----------
    net : geo.network.Network
    hazards : geopandas.GeoDataFrame
        The ``hazards`` layer.
    min_level : int
        Edges crossing a zone with ``level >= min_level`` are affected.
    hazard_types : str or list of str, optional
        Only these hazard types.
    slow_factor : float, optional
        Multiply the travel time of affected edges by this (> 1 slows); when omitted they are
        removed.

    Returns
    -------
    geo.network.Network
        Same nodes (positions unchanged); ``core`` is recomputed.

    Examples
    --------
    >>> from geo import travel
    >>> flooded = scenario(net, hazards, min_level=3)  # doctest: +SKIP
    >>> travel.nearest(flooded, shelters, direction="to_facility")  # doctest: +SKIP
    """
    closed = closed_edges(net, hazards, min_level=min_level, hazard_types=hazard_types)
    logger.info(
        "Hazard scenario (level >= %s): %s of %s edges %s",
        min_level,
        f"{int(closed.sum()):,}",
        f"{net.n_edges:,}",
        "removed" if slow_factor is None else f"slowed x{slow_factor}",
    )
    if slow_factor is None:
        return net.subset_edges(~closed)
    factor = float(slow_factor)
    if not factor > 0 or not np.isfinite(factor):
        msg = f"slow_factor is {slow_factor!r}; expected a finite number > 0 (e.g. 3)."
        raise ValueError(msg)
    return net.with_travel_time(np.where(closed, net.travel_time * factor, net.travel_time))
