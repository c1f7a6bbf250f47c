"""Hazard exposure of points: the worst level (and depth, where known) per hazard type.

One STRtree query over the hazard polygons answers every point at once. Hazard types are taken
from the ``hazards`` layer as it is, so a region where some municipalities have no landslide or
tsunami map still works: a type that is absent gives no column, and :func:`mapped_types` tells
which types have any polygon over an area (to tell "not mapped" from "mapped, zero children").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo import codes


def _tree_pairs(points, polygons):
    """Return (point_pos, polygon_pos) of every point inside (or on) a polygon."""
    if len(points) == 0 or len(polygons) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    tree = shapely.STRtree(polygons)
    pts, polys = tree.query(points, predicate="intersects")
    return pts, polys


def hazard_types(hazards):
    """Return the hazard types present in a hazards layer, in the order of the code table."""
    if hazards is None or len(hazards) == 0:
        return []
    present = set(hazards["hazard_type"].dropna())
    order = list(codes.table("hazard_types").index)
    return [t for t in order if t in present] + sorted(present - set(order))


def point_exposure(points, hazards, *, types=None):
    """Return the worst hazard level and depth of each point, per hazard type.

    Parameters
    ----------
    points : geopandas.GeoSeries or GeoDataFrame
        Points, in the same CRS as ``hazards``.
    hazards : geopandas.GeoDataFrame
        The ``hazards`` layer (``hazard_type``, ``level``, ``depth_m``, ``label``, polygons).
    types : list of str, optional
        Hazard types to report (default: every type present in ``hazards``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``; for each type ``T``: ``T_level`` (int, 0 outside every zone),
        ``T_depth_m`` (the largest known depth, NaN where no polygon gives one) and
        ``T_label`` (label of the worst zone, empty outside). Plus ``max_level`` (the worst
        level over all types) and ``exposed`` (inside any zone).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> hz = gpd.GeoDataFrame({"hazard_type": ["flood", "flood"], "level": [2, 3],
    ...                        "depth_m": [1.0, None], "label": ["0.5-3m", "3-5m"]},
    ...                       geometry=[box(0, 0, 2, 2), box(0, 0, 1, 1)])
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.5, 1.5), Point(5, 5)])
    >>> point_exposure(pts, hz)[["flood_level", "flood_depth_m"]].values.tolist()
    [[3.0, 1.0], [2.0, 1.0], [0.0, nan]]
    """
    geoms = points.geometry if hasattr(points, "geometry") else points
    index = points.index
    if types is None:
        types = hazard_types(hazards)
    out = pd.DataFrame(index=index)
    n = len(index)
    if hazards is None or len(hazards) == 0:
        for t in types:
            out[f"{t}_level"] = 0
            out[f"{t}_depth_m"] = np.nan
            out[f"{t}_label"] = ""
        out["max_level"] = 0
        out["exposed"] = False
        return out
    pcrs = getattr(points, "crs", None)
    if pcrs is not None and hazards.crs is not None and not pcrs.equals(hazards.crs):
        hazards = hazards.to_crs(pcrs)
    pts, polys = _tree_pairs(np.asarray(geoms.values), np.asarray(hazards.geometry.values))
    htype = hazards["hazard_type"].to_numpy()[polys]
    level = pd.to_numeric(hazards["level"], errors="coerce").to_numpy(dtype=float)[polys]
    depth = (
        pd.to_numeric(hazards["depth_m"], errors="coerce").to_numpy(dtype=float)[polys]
        if "depth_m" in hazards
        else np.full(len(polys), np.nan)
    )
    label = (
        hazards["label"].fillna("").astype(str).to_numpy()[polys]
        if "label" in hazards
        else np.full(len(polys), "", dtype=object)
    )
    max_level = np.zeros(n)
    for t in types:
        sel = htype == t
        lv = np.zeros(n)
        dp = np.full(n, np.nan)
        lb = np.full(n, "", dtype=object)
        if sel.any():
            p, lvl, dep, lab = pts[sel], level[sel], depth[sel], label[sel]
            np.maximum.at(lv, p, np.nan_to_num(lvl, nan=0.0))
            ok = ~np.isnan(dep)
            if ok.any():
                dp0 = np.full(n, -np.inf)
                np.maximum.at(dp0, p[ok], dep[ok])
                dp = np.where(np.isfinite(dp0), dp0, np.nan)
            order = np.argsort(lvl, kind="stable")  # worst zone's label wins (written last)
            lb[p[order]] = lab[order]
        out[f"{t}_level"] = lv.astype(int)
        out[f"{t}_depth_m"] = dp
        out[f"{t}_label"] = lb
        max_level = np.maximum(max_level, lv)
    out["max_level"] = max_level.astype(int)
    out["exposed"] = max_level > 0
    return out


def mapped_types(areas, hazards, *, key):
    """Return which hazard types have at least one polygon over each area.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons (municipalities, wards, 圏域), in the CRS of ``hazards``.
    hazards : geopandas.GeoDataFrame
        The ``hazards`` layer.
    key : str
        Column of ``areas`` that names each area.

    Returns
    -------
    pandas.DataFrame
        Index ``areas[key]``, one bool column per hazard type.
    """
    types = hazard_types(hazards)
    out = pd.DataFrame(False, index=pd.Index(areas[key], name=key), columns=types)
    if len(areas) == 0 or not types:
        return out
    if hazards.crs is not None and areas.crs is not None and not areas.crs.equals(hazards.crs):
        hazards = hazards.to_crs(areas.crs)
    a, h = _tree_pairs(np.asarray(areas.geometry.values), np.asarray(hazards.geometry.values))
    ht = hazards["hazard_type"].to_numpy()
    keys = areas[key].to_numpy()
    for ai, hi in zip(a, h):
        out.loc[keys[ai], ht[hi]] = True
    return out
