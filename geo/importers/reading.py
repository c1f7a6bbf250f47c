"""Reading the files importers get: encoding detection, tables (CSV/Excel) and vector layers.

Japanese public data comes in two encodings: UTF-8 (with or without a byte-order mark) and
CP932 (Windows-31J, what Excel writes as "Shift_JIS"). ``shift_jis`` proper is not enough:
WAM NET files contain NEC/IBM extension characters such as ``①`` and ``㈱`` that only CP932
decodes. :func:`detect_encoding` tries ``utf-8-sig`` then ``cp932``, in that order.

Vector layers are read with their rings checked: a ring that is not closed (the
``tokyo_jisuberi.geojson`` trap) is closed, an invalid polygon is made valid, and each fix is a
*repair* in the report rather than a fatal error.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import settings

logger = logging.getLogger(__name__)

#: Encodings tried, in order, for text files without a declared encoding.
ENCODINGS = ("utf-8-sig", "cp932")

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls")


def detect_encoding(data):
    """Return the first of :data:`ENCODINGS` that decodes ``data`` (bytes), or None.

    Examples
    --------
    >>> detect_encoding("立川市".encode("utf-8"))
    'utf-8-sig'
    >>> detect_encoding("①㈱".encode("cp932"))
    'cp932'
    """
    for enc in ENCODINGS:
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return None


def decode_file(path, report=None):
    """Return the text of ``path`` decoded with the detected encoding (None when neither fits)."""
    data = Path(path).read_bytes()
    enc = detect_encoding(data)
    if enc is None:
        if report is not None:
            report.error(
                f"{Path(path).name} is neither UTF-8 nor CP932 (Shift_JIS) text. Save it from "
                "Excel as 'CSV UTF-8' or 'CSV (コンマ区切り)' and import it again."
            )
        return None
    if report is not None:
        report.encoding = "utf-8" if enc == "utf-8-sig" else enc
    return data.decode(enc)


def read_table(path, report):
    """Read a CSV (UTF-8 or CP932, detected) or Excel sheet as strings.

    Every cell is a ``str`` (empty string for an empty cell); the index is 0-based, so the
    spreadsheet row of index ``i`` is ``i + 2``. Returns None (with an error in ``report``) when
    the file cannot be read at all.

    Examples
    --------
    >>> from geo.importers.report import ImportReport
    >>> rep = ImportReport(file="kids.csv", kind="children")
    >>> df = read_table("kids.csv", rep)  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        report.error(f"{path} does not exist.")
        return None
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, na_filter=False)
            report.encoding = "xlsx"
        else:
            text = decode_file(path, report)
            if text is None:
                return None
            sep = "\t" if suffix == ".tsv" else ","
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, sep=sep
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        report.error(f"{path.name} cannot be read as a table: {exc}")
        return None
    frame = frame.astype(object)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.map(lambda v: "" if v is None else str(v).strip())
    report.rows_read = len(frame)
    return frame


def row_number(index, *, vector=False):
    """Row number shown to users for 0-based position ``index``."""
    return int(index) + (1 if vector else 2)


def _shapefile_encoding(path):
    """Encoding of a Shapefile's attributes when it has no ``.cpg`` (N03 files are CP932)."""
    path = Path(path)
    if path.suffix.lower() != ".shp" or path.with_suffix(".cpg").exists():
        return None
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return None
    data = dbf.read_bytes()
    header = int.from_bytes(data[8:10], "little") if len(data) > 10 else 0
    enc = detect_encoding(data[header:])
    return "utf-8" if enc == "utf-8-sig" else enc


def _polygonal(geom):
    """Keep the polygonal part of a repaired geometry (make_valid may return a collection)."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def read_features(path, report, *, polygons=False):
    """Read a vector file (GeoJSON, Shapefile, GeoPackage, zip) into a GeoDataFrame in EPSG:4326.

    Rings that do not close are closed and invalid polygons made valid; each such feature is
    recorded as a repair in ``report``. Features whose geometry is missing or cannot be repaired
    keep a ``None`` geometry: the caller rejects them. Returns None (with an error in
    ``report``) when the file cannot be read at all.

    Parameters
    ----------
    path : Path
        The file.
    report : ImportReport
        Receives ``rows_read``, repairs and errors.
    polygons : bool, default False
        Keep only the polygonal part of repaired geometries.

    Examples
    --------
    >>> from geo.importers.report import ImportReport
    >>> rep = ImportReport(file="tokyo_jisuberi.geojson", kind="hazards")
    >>> gdf = read_features("tokyo_jisuberi.geojson", rep, polygons=True)  # doctest: +SKIP
    >>> rep.rows_repaired  # doctest: +SKIP
    7
    """
    path = Path(path)
    if not path.exists():
        report.error(f"{path} does not exist.")
        return None
    enc = _shapefile_encoding(path)
    try:
        with warnings.catch_warnings():
            # unclosed rings are repaired and reported below; GDAL's own warning adds nothing
            warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
            warnings.filterwarnings("ignore", "Several features with id", RuntimeWarning)
            meta, _, wkb, fields = pyogrio.raw.read(path, encoding=enc)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        report.error(f"{path.name} cannot be read as a vector file: {exc}")
        return None
    if enc:
        report.encoding = enc
    n = len(wkb) if wkb is not None else 0
    report.rows_read = n
    data = dict(zip(meta["fields"], fields, strict=True))
    frame = pd.DataFrame(data)
    frame = frame.astype(object).where(frame.notna(), None)
    geoms = np.empty(n, dtype=object)
    if n:
        raw = np.asarray(wkb, dtype=object)
        geoms[:] = shapely.from_wkb(raw, on_invalid="ignore")
        broken = [i for i in range(n) if raw[i] is not None and geoms[i] is None]
        if broken:
            fixed = shapely.from_wkb(raw[broken], on_invalid="fix")
            for i, g in zip(broken, fixed, strict=True):
                geoms[i] = g
                if g is not None:
                    report.repair(
                        row_number(i, vector=True),
                        "geometry",
                        "unclosed or malformed ring",
                        "ring closed (the file's ring did not end where it started)",
                    )
        present = np.array([g is not None for g in geoms])
        invalid = np.zeros(n, dtype=bool)
        invalid[present] = ~shapely.is_valid(geoms[present])
        for i in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(geoms[i])
            geoms[i] = shapely.make_valid(geoms[i])
            report.repair(
                row_number(i, vector=True), "geometry", reason, "made valid (shapely.make_valid)"
            )
        if polygons:
            geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    crs = meta.get("crs")
    if crs is None:
        b = shapely.bounds(geoms[[g is not None for g in geoms]]) if n else np.empty((0, 4))
        if len(b) and (np.nanmin(b[:, 0]) < -180 or np.nanmax(b[:, 2]) > 180):
            report.error(
                f"{path.name} has no coordinate reference system and its coordinates are not "
                "longitude/latitude. Add a .prj file (or save it as GeoJSON in EPSG:4326)."
            )
            return None
        report.warn(f"{path.name} declares no CRS; longitude/latitude (EPSG:4326) assumed.")
        crs = settings.storage_crs
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=crs)
    if not gdf.crs.equals(settings.storage_crs):
        gdf = gdf.to_crs(settings.storage_crs)
    return gdf


def is_vector(path):
    """True when ``path`` is read with :func:`read_features` rather than :func:`read_table`."""
    return Path(path).suffix.lower() not in TABLE_SUFFIXES
