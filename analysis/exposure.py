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

from geo import codes, scenario


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


def _num(hazards, col, n):
    if col in hazards:
        return pd.to_numeric(hazards[col], errors="coerce").to_numpy(dtype=float)
    return np.full(n, np.nan)


def point_exposure(points, hazards, *, types=None):
    """Return the worst hazard level, its depth band and the duration of each point, per type.

    Parameters
    ----------
    points : geopandas.GeoSeries or GeoDataFrame
        Points, in the same CRS as ``hazards``.
    hazards : geopandas.GeoDataFrame
        The ``hazards`` layer (``hazard_type``, ``level``, ``depth_min_m``/``depth_max_m`` or
        ``depth_m``, ``duration_h``, ``label``, polygons).
    types : list of str, optional
        Hazard types to report (default: every type present in ``hazards``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``; for each type ``T``: ``T_level`` (int, 0 outside every zone),
        ``T_depth_min_m`` / ``T_depth_max_m`` (the band of the worst zone the point is in:
        highest level, then deepest lower bound; ``T_depth_max_m`` NaN for an open band or where
        no depth is known), ``T_depth_m`` (= ``T_depth_min_m``, the one meaning of ``depth_m``:
        the band's lower bound; layers without band columns use their ``depth_m``),
        ``T_duration_h`` (the longest inundation duration, lower bound in hours, of any zone of
        that type over the point, level-0 duration zones included; NaN where unknown) and
        ``T_label`` (label of the worst zone, empty outside). Plus ``max_level`` (the worst
        level over the types that close roads, i.e. not ``power_restoration``) and ``exposed``
        (inside any zone of level >= 1 of those types).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> hz = gpd.GeoDataFrame({"hazard_type": ["flood", "flood"], "level": [2, 3],
    ...                        "depth_min_m": [0.5, 3.0], "depth_max_m": [3.0, 5.0],
    ...                        "label": ["0.5-3m", "3-5m"]},
    ...                       geometry=[box(0, 0, 2, 2), box(0, 0, 1, 1)])
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.5, 1.5), Point(5, 5)])
    >>> ex = point_exposure(pts, hz)
    >>> ex[["flood_level", "flood_depth_min_m", "flood_depth_max_m"]].values.tolist()
    [[3.0, 3.0, 5.0], [2.0, 0.5, 3.0], [0.0, nan, nan]]
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
            out[f"{t}_depth_min_m"] = np.nan
            out[f"{t}_depth_max_m"] = np.nan
            out[f"{t}_duration_h"] = np.nan
            out[f"{t}_label"] = ""
        out["max_level"] = 0
        out["exposed"] = False
        return out
    pcrs = getattr(points, "crs", None)
    if pcrs is not None and hazards.crs is not None and not pcrs.equals(hazards.crs):
        hazards = hazards.to_crs(pcrs)
    pts, polys = _tree_pairs(np.asarray(geoms.values), np.asarray(hazards.geometry.values))
    m = len(hazards)
    htype = hazards["hazard_type"].to_numpy()[polys]
    level = pd.to_numeric(hazards["level"], errors="coerce").to_numpy(dtype=float)[polys]
    dmin_all = _num(hazards, "depth_min_m", m)
    dlegacy = _num(hazards, "depth_m", m)
    dmin_all = np.where(np.isnan(dmin_all), dlegacy, dmin_all)
    dmin = dmin_all[polys]
    dmax = _num(hazards, "depth_max_m", m)[polys]
    dur = _num(hazards, "duration_h", m)[polys]
    label = (
        hazards["label"].fillna("").astype(str).to_numpy()[polys]
        if "label" in hazards
        else np.full(len(polys), "", dtype=object)
    )
    level = np.nan_to_num(level, nan=0.0)
    skip = set(scenario.non_closing_types())
    max_level = np.zeros(n)
    for t in types:
        sel = htype == t
        lv = np.zeros(n)
        lo = np.full(n, np.nan)
        hi = np.full(n, np.nan)
        du = np.full(n, np.nan)
        lb = np.full(n, "", dtype=object)
        if sel.any():
            p, lvl = pts[sel], level[sel]
            np.maximum.at(lv, p, lvl)
            ok = ~np.isnan(dur[sel])
            if ok.any():
                d0 = np.full(n, -np.inf)
                np.maximum.at(d0, p[ok], dur[sel][ok])
                du = np.where(np.isfinite(d0), d0, np.nan)
            # the worst zone (highest level, then deepest band) is written last and wins
            z = lvl > 0
            order = np.lexsort((np.nan_to_num(dmin[sel][z], nan=-1.0), lvl[z]))
            pz = p[z][order]
            lb[pz] = label[sel][z][order]
            lo[pz] = dmin[sel][z][order]
            hi[pz] = dmax[sel][z][order]
        out[f"{t}_level"] = lv.astype(int)
        out[f"{t}_depth_m"] = lo
        out[f"{t}_depth_min_m"] = lo
        out[f"{t}_depth_max_m"] = hi
        out[f"{t}_duration_h"] = du
        out[f"{t}_label"] = lb
        if t not in skip:
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
    ag = np.asarray(areas.geometry.values)
    hg = np.asarray(hazards.geometry.values)
    a, h = _tree_pairs(ag, hg)
    inner = ~shapely.touches(ag[a], hg[h])  # a zone that only touches the border maps nothing
    a, h = a[inner], h[inner]
    ht = hazards["hazard_type"].to_numpy()
    keys = areas[key].to_numpy()
    for ai, hi in zip(a, h):
        out.loc[keys[ai], ht[hi]] = True
    return out
