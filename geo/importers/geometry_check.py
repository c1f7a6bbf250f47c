"""Every geometry checked against where it claims to be (shared by every vector importer).

GDAL labels every GeoJSON without a ``crs`` member EPSG:4326, so a declared CRS proves
nothing: the numbers are checked. After reprojection from a declared projected CRS, every
feature must lie in Japan's plausible longitude/latitude range
(:data:`geo.safe_io.LAT_RANGE`, :data:`geo.safe_io.LON_RANGE`). Otherwise:

* numbers far beyond degrees (|x| > 180 or |y| > 90) are metres: when the whole file is
  metric and declares no projected CRS the file is an error naming the likely JGD2011 plane
  rectangular zone (EPSG:6669-6687), chosen by where the numbers land in each zone (and, when
  the region's municipalities are known, which zone puts them in the region);
* a feature whose x lies in the latitude range and y in the longitude range has its axes
  swapped (polygons as well as points) and is rejected;
* any other feature is rejected as outside Japan;
* when the region's municipalities are known (:func:`region_hint`), a feature that touches
  none of them (beyond :data:`region_margin_deg`) is rejected, naming the nearest one.

A rejected feature keeps ``None`` as geometry so the importer leaves it out; the reason is in
the report under ``geometry``.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np
import shapely

from .. import safe_io

#: JGD2011 plane rectangular coordinate systems (平面直角座標系) I-XIX.
PLANE_ZONES = {
    6669 + i: f"JGD2011 / Japan Plane Rectangular CS {roman}"
    for i, roman in enumerate(
        [
            "I",
            "II",
            "III",
            "IV",
            "V",
            "VI",
            "VII",
            "VIII",
            "IX",
            "X",
            "XI",
            "XII",
            "XIII",
            "XIV",
            "XV",
            "XVI",
            "XVII",
            "XVIII",
            "XIX",
        ]
    )
}

#: A feature this far (degrees, about 2 km) from every municipality of the region is outside it.
region_margin_deg: float = 0.02

_REGION = contextvars.ContextVar("ikemap_region", default=None)


@contextlib.contextmanager
def region_hint(municipalities):
    """Within the block, vector reads check features against these municipalities.

    Examples
    --------
    >>> with region_hint(None):
    ...     pass
    """
    token = _REGION.set(
        municipalities if municipalities is not None and len(municipalities) else None
    )
    try:
        yield
    finally:
        _REGION.reset(token)


def classify(bounds):
    """Classify feature bounds (n x 4: minx, miny, maxx, maxy) as lon/lat in Japan.

    Returns
    -------
    numpy.ndarray of str
        ``ok``, ``swapped``, ``metric`` or ``outside`` per row (``missing`` for NaN bounds).

    Examples
    --------
    >>> classify(np.array([[139.0, 35.0, 139.1, 35.1], [35.0, 139.0, 35.1, 139.1],
    ...                    [-30000.0, -37000.0, -29000.0, -36000.0], [2.3, 48.8, 2.4, 48.9]]))
    array(['ok', 'swapped', 'metric', 'outside'], dtype='<U8')
    """
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    lat0, lat1 = safe_io.LAT_RANGE
    lon0, lon1 = safe_io.LON_RANGE
    out = np.full(len(b), "outside", dtype="<U8")
    with np.errstate(invalid="ignore"):
        ok = (b[:, 0] >= lon0) & (b[:, 2] <= lon1) & (b[:, 1] >= lat0) & (b[:, 3] <= lat1)
        swapped = (b[:, 0] >= lat0) & (b[:, 2] <= lat1) & (b[:, 1] >= lon0) & (b[:, 3] <= lon1)
        metric = (np.abs(b[:, [0, 2]]) > 180).any(axis=1) | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)
    out[metric] = "metric"
    out[swapped] = "swapped"
    out[ok] = "ok"
    out[np.isnan(b).any(axis=1)] = "missing"
    return out


def likely_zones(x, y, *, region=None, limit=3):
    """EPSG codes of JGD2011 plane rectangular zones that put metric point (x, y) in Japan.

    With ``region`` (municipalities), only zones that put it near the region's bounds are
    returned, nearest to the region's centre first; without, every zone that lands in Japan
    (in EPSG order: metric numbers alone cannot tell the zone).

    Examples
    --------
    >>> import geopandas as gpd
    >>> tama = gpd.GeoDataFrame(geometry=[shapely.box(139.2, 35.6, 139.6, 35.8)], crs=4326)
    >>> likely_zones(-30000.0, -37000.0, region=tama)[0]
    6677
    >>> islands = gpd.GeoDataFrame(geometry=[shapely.box(139.2, 35.6, 139.6, 35.8),
    ...     shapely.box(142.1, 27.0, 142.3, 27.2), shapely.box(153.9, 24.2, 154.0, 24.3)], crs=4326)
    >>> likely_zones(-38082.0, -32925.0, region=islands)[0]  # 立川市 in 東京都 with its islands
    6677
    >>> len(likely_zones(-30000.0, -37000.0)) > 10
    True
    """
    from pyproj import Transformer

    hits = []
    for epsg in PLANE_ZONES:
        t = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
        lon, lat = t.transform(x, y)
        if not np.isfinite([lon, lat]).all():
            continue
        if not (
            safe_io.LON_RANGE[0] <= lon <= safe_io.LON_RANGE[1]
            and safe_io.LAT_RANGE[0] <= lat <= safe_io.LAT_RANGE[1]
        ):
            continue
        hits.append((epsg, lon, lat))
    if region is not None and len(region):
        minx, miny, maxx, maxy = region.total_bounds
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        m = 0.5
        inside = [h for h in hits if minx - m <= h[1] <= maxx + m and miny - m <= h[2] <= maxy + m]
        # nearest to a municipality first (a prefecture with far islands, such as 東京都 with
        # 小笠原, has its bounding-box centre in the sea), then nearest to the centre
        geoms = np.asarray(region.to_crs(4326).geometry.values if region.crs else region.geometry)
        near = {
            h[0]: float(shapely.distance(geoms, shapely.Point(h[1], h[2])).min()) for h in inside
        }
        hits = sorted(inside, key=lambda h: (near[h[0]], (h[1] - cx) ** 2 + (h[2] - cy) ** 2))
        return [h[0] for h in hits[:limit]]
    return [h[0] for h in hits]


def _zone_text(zones, *, narrowed):
    if not zones:
        return "a projected CRS (e.g. a JGD2011 plane rectangular zone, EPSG:6669-6687)"
    if not narrowed:
        return (
            "a JGD2011 plane rectangular zone (EPSG:6669-6687; the numbers fit "
            f"{len(zones)} zones: import --boundaries first, or validate with --workspace, and "
            "the likely zone is named)"
        )
    first = f"EPSG:{zones[0]} ({PLANE_ZONES[zones[0]]})"
    rest = ", ".join(f"EPSG:{z}" for z in zones[1:])
    return f"most likely {first}" + (f"; or {rest}" if rest else "") + " (EPSG:6669-6687)"


def _describe(geom):
    b = shapely.bounds(geom)
    return f"x {b[0]:.6g}..{b[2]:.6g}, y {b[1]:.6g}..{b[3]:.6g}"


def check_features(geoms, crs, report, *, row_offset=1):
    """Check raw feature geometries against Japan (and the region); reproject when declared.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries (None allowed)
        The features as read, in the file's coordinates.
    crs : str or None
        The CRS GDAL reports (GeoJSON without ``crs``: EPSG:4326 whatever the numbers).
    report : ImportReport
        Rejections (row, ``geometry``, value, reason) and file errors go here.
    row_offset : int, default 1
        Row number of the first feature.

    Returns
    -------
    (numpy.ndarray or None, str)
        The geometries in EPSG:4326 (rejected features set to None) and that CRS, or None
        when the whole file is an error (metric numbers without a projected CRS).

    Examples
    --------
    >>> from geo.importers.report import ImportReport
    >>> rep = ImportReport(file="h.geojson", kind="hazards")
    >>> sq = shapely.box(-30000, -37000, -29000, -36000)
    >>> got, _ = check_features(np.array([sq], dtype=object), "EPSG:4326", rep)
    >>> got is None, "plane rectangular zone" in rep.errors[0]
    (True, True)
    """
    from pyproj import CRS

    geoms = np.asarray(geoms, dtype=object).copy()
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    declared = CRS.from_user_input(crs) if crs else None
    projected = declared is not None and declared.is_projected
    if projected and present.any():
        from pyproj import Transformer

        t = Transformer.from_crs(declared, "EPSG:4326", always_xy=True)
        geoms[present] = shapely.transform(
            geoms[present], lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
    target = "EPSG:4326" if projected or declared is None else crs
    bounds = np.full((len(geoms), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geoms[present])
    kind = classify(bounds)
    kind[~present] = "missing"
    metric = kind == "metric"
    if metric.any() and metric.sum() == present.sum() and not projected:
        cx = float(np.nanmedian((bounds[metric, 0] + bounds[metric, 2]) / 2))
        cy = float(np.nanmedian((bounds[metric, 1] + bounds[metric, 3]) / 2))
        region = _REGION.get()
        zones = likely_zones(cx, cy, region=region)
        where = _zone_text(zones, narrowed=region is not None)
        said = f"declares {crs}" if crs else "declares no CRS"
        report.error(
            f"{report.name}: coordinates are metres, not longitude/latitude (around x {cx:,.0f}, "
            f"y {cy:,.0f}) but the file {said} (GDAL reads every GeoJSON without a 'crs' member "
            f"as EPSG:4326). The data is in {where}. Declare its CRS (QGIS: Layer CRS, then"
            " Export > Save Features As EPSG:4326) and import again."
        )
        return None, target
    for pos in np.flatnonzero(kind != "ok"):
        k = kind[pos]
        if k == "missing":
            continue
        row = int(pos) + row_offset
        where = _describe(geoms[pos])
        if k == "swapped":
            reason = (
                "longitude and latitude are swapped (a GeoJSON position is [longitude, "
                "latitude]); swap the axes (QGIS: Processing > Swap X and Y coordinates)"
            )
        elif k == "metric":
            reason = (
                "metres, not longitude/latitude, among degree features; reproject this "
                "feature from its plane rectangular zone (EPSG:6669-6687)"
            )
        elif projected:
            reason = (
                f"outside Japan after reprojecting from the declared {crs}: the declared CRS "
                "is probably wrong"
            )
        else:
            reason = (
                f"outside Japan (longitude {safe_io.LON_RANGE[0]:g}-{safe_io.LON_RANGE[1]:g}, "
                f"latitude {safe_io.LAT_RANGE[0]:g}-{safe_io.LAT_RANGE[1]:g})"
            )
        report.reject(row, "geometry", where, reason)
        geoms[pos] = None
    region = _REGION.get()
    if region is not None:
        _check_region(geoms, region, report, row_offset=row_offset)
    return geoms, target


def _check_region(geoms, municipalities, report, *, row_offset):
    """Reject features that touch none of the region's municipalities (beyond the margin)."""
    munis = municipalities.to_crs("EPSG:4326") if municipalities.crs else municipalities
    polys = munis.geometry.to_numpy()
    tree = shapely.STRtree(polys)
    present = np.flatnonzero([g is not None for g in geoms])
    if not len(present):
        return
    grown = shapely.buffer(shapely.envelope(geoms[present]), region_margin_deg)
    hit_geom, _ = tree.query(grown, predicate="intersects")
    near = set(present[np.unique(hit_geom)].tolist())
    for pos in present:
        if pos in near:
            continue
        idx = tree.nearest(geoms[pos])
        d_km = shapely.distance(geoms[pos], polys[idx]) * 111.0
        report.reject(
            int(pos) + row_offset,
            "geometry",
            _describe(geoms[pos]),
            f"outside the region's municipalities (about {d_km:,.0f} km from "
            f"{munis['name'].iloc[idx]}); is the file for another area?",
        )
        geoms[pos] = None
