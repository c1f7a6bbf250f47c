"""Where a point is: Japan's plausible range, municipality names in addresses, point checks.

Two checks reject a point (with file, row, field, value and reason): coordinates outside
Japan's plausible range (a geocoder fallback such as 53.41, -8.24 in Ireland), and a point
farther than :data:`tolerance_m` from the municipality its row states (by address, name or
code). The tolerance absorbs the simplification of boundary files: the simplified N03 polygons
put correctly geocoded points up to about 200 m outside their municipality.
"""

from __future__ import annotations

import math
import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import safe_io, settings

#: Latitude and longitude ranges of Japan: the one definition lives in :mod:`geo.safe_io`.
LAT_RANGE = safe_io.LAT_RANGE
LON_RANGE = safe_io.LON_RANGE

#: A point this far (m) outside the municipality its row states is still accepted.
tolerance_m: float = 250.0

_PREF = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")


def in_japan(lat, lon):
    """True when (lat, lon) lies in Japan's plausible range.

    Examples
    --------
    >>> in_japan(35.71, 139.41), in_japan(53.41, -8.24)
    (True, False)
    """
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def coordinate_problem(lat, lon):
    """Return why (lat, lon) cannot be a point in Japan, or None when it can."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return "coordinates are missing"
    if in_japan(lat, lon):
        return None
    if in_japan(lon, lat):
        return "latitude and longitude look swapped; put latitude (20-46) first"
    if abs(lat) > 90 or abs(lon) > 180:
        return (
            "these look like metres (plane rectangular coordinates, EPSG:6669-6687), not "
            "degrees; convert them to latitude/longitude (EPSG:4326)"
        )
    return (
        f"outside Japan (latitude {LAT_RANGE[0]:g}-{LAT_RANGE[1]:g}, longitude "
        f"{LON_RANGE[0]:g}-{LON_RANGE[1]:g}); check the geocoding of this row"
    )


def clean_address(text):
    """NFKC-normalise an address and drop spaces (keeps the characters otherwise)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def municipality_names(municipalities):
    """Map municipality names to codes for address matching.

    Each municipality is known by ``name`` (e.g. 立川市, 熊本市中央区); the wards of a designated
    city are also known together by the city name (``city`` column: 熊本市 -> every ward).

    Returns
    -------
    dict of str to tuple of str
    """
    out = {}
    if municipalities is None or len(municipalities) == 0:
        return out
    cities = municipalities["city"] if "city" in municipalities else [None] * len(municipalities)
    prefs = municipalities["pref"] if "pref" in municipalities else [None] * len(municipalities)
    for code, name, city, pref in zip(
        municipalities["code"], municipalities["name"], cities, prefs, strict=True
    ):
        for key in {clean_address(name), clean_address(f"{pref or ''}{name}")}:
            out.setdefault(key, set()).add(code)
        if isinstance(city, str) and city:
            for key in {clean_address(city), clean_address(f"{pref or ''}{city}")}:
                out.setdefault(key, set()).add(code)
    return {k: tuple(sorted(v)) for k, v in out.items() if k}


def municipality_from_address(address, names, *, window=14):
    """Return (codes, name) of the municipality an address names, or (None, None).

    The earliest municipality name in the first ``window`` characters after the prefecture
    wins, the longest on a tie, so 府中市 in 東京都府中市 is found and 郡 or island names
    before a town (西多摩郡奥多摩町, 八丈島八丈町) are skipped.

    Examples
    --------
    >>> names = {"立川市": ("13202",), "八丈町": ("13401",)}
    >>> municipality_from_address("東京都八丈島八丈町三根", names)
    (('13401',), '八丈町')
    """
    text = clean_address(address)
    if not text or not names:
        return None, None
    m = _PREF.match(text)
    rest = text[m.end() :] if m else text
    best = None
    for name, codes_ in names.items():
        pos = rest.find(name, 0, window + len(name))
        if pos < 0:
            continue
        key = (pos, -len(name))
        if best is None or key < best[0]:
            best = (key, codes_, name)
    if best is None:
        return None, None
    return best[1], best[2]


def points_frame(lats, lons, index):
    """A GeoDataFrame of points (EPSG:4326) from lat/lon arrays; NaN gives an empty geometry."""
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    geoms = shapely.points(lons, lats)
    return gpd.GeoDataFrame(geometry=geoms, index=index, crs=settings.storage_crs)


def locate(points, municipalities, *, stated=None, tolerance=None):
    """Find each point's municipality and check it against the municipality its row states.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points in EPSG:4326.
    municipalities : geopandas.GeoDataFrame
        The ``municipalities`` layer (``code``, ``name``, polygon).
    stated : sequence of tuple of str or None, optional
        Per point, the codes the row states (several for a designated city without its ward);
        None where the row states none.
    tolerance : float, optional
        Metres a point may lie outside its (stated) municipality; default :data:`tolerance_m`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``code`` (the municipality the point is taken to be in, or
        None) and ``problem`` (None, or why the point is rejected).
    """
    tol = tolerance_m if tolerance is None else tolerance
    out = pd.DataFrame({"code": None, "problem": None}, index=points.index, dtype=object)
    if municipalities is None or len(municipalities) == 0 or len(points) == 0:
        return out
    metric = municipalities.estimate_utm_crs()
    munis = municipalities[["code", "name", "geometry"]].to_crs(metric).reset_index(drop=True)
    by_code = dict(zip(munis["code"], munis.geometry, strict=True))
    names = dict(zip(munis["code"], munis["name"], strict=True))
    pts = points.to_crs(metric)
    tree = shapely.STRtree(munis.geometry.values)
    geoms = pts.geometry.values
    stated = list(stated) if stated is not None else [None] * len(pts)
    codes_col, problems = [], []
    for geom, want in zip(geoms, stated, strict=True):
        if geom is None or geom.is_empty:
            codes_col.append(None)
            problems.append("coordinates are missing")
            continue
        hits = tree.query(geom, predicate="within")
        inside = munis["code"].iloc[hits[0]] if len(hits) else None
        if want:
            known = [c for c in want if c in by_code]
            if not known:
                codes_col.append(None)
                problems.append(
                    f"its municipality ({', '.join(want)}) is not in the workspace's boundaries "
                    "(outside the region)"
                )
                continue
            if inside in known:
                codes_col.append(inside)
                problems.append(None)
                continue
            dists = {c: by_code[c].distance(geom) for c in known}
            near = min(dists, key=dists.get)
            if dists[near] <= tol:
                codes_col.append(near)
                problems.append(None)
                continue
            where = f"it lies in {names[inside]}" if inside else "it lies in no municipality"
            codes_col.append(None)
            problems.append(
                f"{dists[near] / 1000:,.1f} km outside {names[near]}, the municipality the row "
                f"states ({where}); check the geocoding"
            )
            continue
        if inside is not None:
            codes_col.append(inside)
            problems.append(None)
            continue
        idx = tree.nearest(geom)
        d = munis.geometry.iloc[idx].distance(geom)
        if d <= tol:
            codes_col.append(munis["code"].iloc[idx])
            problems.append(None)
        else:
            codes_col.append(None)
            problems.append(
                f"outside the region's municipalities ({d / 1000:,.1f} km from "
                f"{munis['name'].iloc[idx]})"
            )
    out["code"] = pd.Series(codes_col, index=points.index, dtype=object)
    out["problem"] = pd.Series(problems, index=points.index, dtype=object)
    return out


def keep_located(records, municipalities, report, field):
    """Check importer records (dicts: ``lat``, ``lon``, ``stated``, ``row``) with :func:`locate`.

    Records whose point fails are rejected in ``report`` (under ``field``); the others get
    ``municipality_code`` and are returned. Without municipalities every record is returned.
    """
    if not records or municipalities is None or not len(municipalities):
        return records
    pts = points_frame(
        [r["lat"] for r in records], [r["lon"] for r in records], range(len(records))
    )
    where = locate(pts, municipalities, stated=[r.get("stated") for r in records])
    kept = []
    for r, code, problem in zip(records, where["code"], where["problem"], strict=True):
        if problem:
            report.reject(r["row"], field, f"{r['lat']},{r['lon']}", problem)
        else:
            r["municipality_code"] = code
            kept.append(r)
    return kept
