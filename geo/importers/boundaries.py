"""Municipality boundaries from 国土数値情報 行政区域 (N03) GeoJSON, Shapefile or GeoPackage.

N03 columns: ``N03_001`` 都道府県名, ``N03_002`` 支庁・振興局名, ``N03_003`` 郡・政令市名,
``N03_004`` 市区町村名 (the ward for a designated city), ``N03_007`` 行政区域コード (5 digits).
Rows without a code (所属未定地, disputed areas) are rejected; the polygons of a municipality
spread over several rows (islands) are dissolved into one; the wards of a designated city stay
separate units, named city + ward (熊本市中央区) with the city in ``city``.

A file already in the workspace schema (``code``, ``name``, ``pref``) is read too.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import shapely

from .. import settings
from . import columns, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

COLUMNS = ["code", "name", "pref", "city", "county", "subprefecture"]


def municipalities_from_file(path):
    """Read municipality polygons (the ``municipalities`` layer) from an N03 file.

    Parameters
    ----------
    path : str or Path
        N03 GeoJSON, Shapefile (CP932 attributes without a .cpg are detected), GeoPackage or
        zip.

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)
        ``code`` (5 digits), ``name``, ``pref``, ``city`` (designated city of a ward),
        ``county`` (郡), ``subprefecture``, polygon in EPSG:4326; one row per code.

    Examples
    --------
    >>> munis, rep = municipalities_from_file("N03-21_13_210101.geojson")  # doctest: +SKIP
    >>> len(munis), rep.rows_rejected  # doctest: +SKIP
    (62, 1)
    """
    report = ImportReport(file=str(path), kind="boundaries", fmt="n03")
    empty = gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in COLUMNS},
        geometry=gpd.GeoSeries([], crs=settings.storage_crs),
    )
    gdf = reading.read_features(path, report, polygons=True)
    if gdf is None:
        return empty, report
    cols = set(gdf.columns)
    if {"N03_001", "N03_004", "N03_007"} <= cols:
        pick = {"code": "N03_007", "pref": "N03_001", "muni": "N03_004"}
    elif {"code", "name", "pref"} <= cols:
        report.fmt = "workspace"
        pick = {"code": "code", "pref": "pref", "muni": "name"}
    else:
        report.error(
            f"{report.name} has neither the N03 columns (N03_001, N03_004, N03_007) nor the "
            f"workspace columns (code, name, pref); it has {sorted(cols - {'geometry'})}. "
            "Download 行政区域 (N03) from 国土数値情報 and give its .geojson or .shp."
        )
        report.rows_read = 0
        return empty, report
    rows = []
    for i, rec in enumerate(gdf.itertuples(index=False)):
        row = reading.row_number(i, vector=True)
        d = rec._asdict()
        code = columns.text(d[pick["code"]])
        name = columns.text(d[pick["muni"]])
        geom = d["geometry"]
        if not code:
            report.reject(
                row,
                pick["code"],
                None,
                f"no municipality code ({name or 'unnamed'}): an area no municipality "
                "administers is left out",
            )
            continue
        if code.isdigit() and len(code) == 6:
            code = code[:5]
        if not (code.isdigit() and len(code) == 5):
            report.reject(row, pick["code"], code, "expected a 5-digit 行政区域コード")
            continue
        if geom is None or geom.is_empty:
            report.reject(row, "geometry", None, "no polygon (or one that cannot be repaired)")
            continue
        gun_or_city = columns.text(d.get("N03_003")) if pick["code"] == "N03_007" else ""
        city = gun_or_city if gun_or_city.endswith("市") else ""
        county = gun_or_city if gun_or_city.endswith("郡") else ""
        if report.fmt == "workspace":
            city = columns.text(d.get("city"))
            county = columns.text(d.get("county"))
        full = f"{city}{name}" if city and not name.startswith(city) else name
        rows.append(
            {
                "code": code,
                "name": full,
                "pref": columns.text(d[pick["pref"]]),
                "city": city or None,
                "county": county or None,
                "subprefecture": columns.text(d.get("N03_002")) or None,
                "geometry": geom,
            }
        )
    report.settle()
    if not rows:
        return empty, report
    frame = pd.DataFrame(rows)
    parts = frame.groupby("code", sort=True)
    geoms = parts["geometry"].agg(lambda g: shapely.union_all(list(g)))
    first = parts[["name", "pref", "city", "county", "subprefecture"]].first()
    names = parts["name"].nunique()
    for code in names[names > 1].index:
        report.warn(f"code {code} has several names {sorted(set(parts.get_group(code)['name']))}")
    out = gpd.GeoDataFrame(
        first.reset_index(), geometry=list(geoms.loc[first.index]), crs=settings.storage_crs
    )
    out = out[COLUMNS + ["geometry"]]
    for col in COLUMNS:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    if len(frame) > len(out):
        report.warn(f"{len(frame)} rows dissolved into {len(out)} municipalities")
    logger.info("Read %d municipalities from %s", len(out), report.name)
    return out, report
