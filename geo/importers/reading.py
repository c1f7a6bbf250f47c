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

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import safe_io, settings
from ..errors import ValidationError
from . import columns, geometry_check

logger = logging.getLogger(__name__)

#: Encodings tried, in order (the one list lives in :mod:`geo.safe_io`).
ENCODINGS = safe_io.ENCODINGS

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls")

#: Suffixes of vector files (checked by size and magic bytes before GDAL opens them).
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


def detect_encoding(data):
    """Return the first of :data:`ENCODINGS` that decodes ``data`` (bytes), or None.

    Delegates to :func:`geo.safe_io.detect_encoding` (one detection for every reader).

    Examples
    --------
    >>> detect_encoding("立川市".encode("utf-8"))
    'utf-8-sig'
    >>> detect_encoding("①㈱".encode("cp932"))
    'cp932'
    """
    return safe_io.detect_encoding(data)


def _file_errors(report, exc):
    for p in exc.problems:
        where = f" row {p.row}" if p.row not in ("-", None) else ""
        report.error(f"{report.name}{where}: {p.column} is {p.value!r}; expected {p.expected}.")


def check_file(path, report, *, allowed=None):
    """Intake checks of a whole file (exists, size, extension, magic bytes); False on error."""
    path = Path(path)
    if not path.exists():
        report.error(f"{path} does not exist.")
        return False
    if path.is_dir():
        return True
    try:
        safe_io.check_file(path, allowed=allowed)
    except ValidationError as exc:
        _file_errors(report, exc)
        return False
    return True


def _excel_records(path):
    raw = pd.read_excel(path, dtype=str, header=None, keep_default_na=False, na_filter=False)
    cells = [["" if v is None else str(v) for v in row] for row in raw.itertuples(index=False)]
    if not cells:
        return [], []
    header = [h.strip() for h in cells[0]]
    records = [(i + 2, row) for i, row in enumerate(cells[1:]) if any(c.strip() for c in row)]
    return header, records


def read_table(path, report):
    """Read a CSV (UTF-8 or CP932, detected; comma, tab or ``;``) or Excel sheet as strings.

    The intake path of every table importer (CLI import/validate and the app's upload):
    :func:`geo.safe_io.check_file` (size, extension, magic bytes), one encoding detection,
    the delimiter, then the header (blank or repeated names, and two headers giving one
    column of ``report.kind``, e.g. ``age`` and ``年齢``, are errors naming both) and every
    row (a row with too many or too few cells, a cell over
    :data:`geo.safe_io.MAX_FIELD_CHARS` characters or holding control characters such as NUL
    is rejected, naming row and column). A file with a header and no rows gets a note.

    Every cell is a ``str`` (empty string for an empty cell); the index is the spreadsheet row
    minus 2 (so :func:`row_number` gives the row back, also when rows before were rejected
    here). Returns None (with an error in ``report``) when the file cannot be read at all.

    Examples
    --------
    >>> from geo.importers.report import ImportReport
    >>> rep = ImportReport(file="kids.csv", kind="children")
    >>> df = read_table("kids.csv", rep)  # doctest: +SKIP
    """
    path = Path(path)
    allowed = (".csv", ".txt", ".tsv", ".xlsx")
    if not check_file(path, report, allowed=allowed):
        return None
    suffix = path.suffix.lower()
    name = path.name
    if suffix == ".xlsx":
        try:
            header, records = _excel_records(path)
        except (ValueError, OSError, KeyError) as exc:
            report.error(f"{name} cannot be read as an Excel sheet: {exc}")
            return None
        report.encoding = "xlsx"
        got = safe_io.Records(header, [], [], [])
        if not header or not any(header):
            got.errors.append(
                safe_io.Problem(name, 1, "header", "(empty)", "a header row naming the columns")
            )
        width = len(header)
        for row, cells in records:
            cells = [c.strip() for c in cells][:width] + [""] * (width - len(cells))
            problems = safe_io.cell_problems(name, row, header, cells)
            if problems:
                got.bad.extend(problems)
            else:
                got.records.append((row, cells))
    else:
        try:
            text, enc = safe_io.read_text(path)
        except ValidationError as exc:
            _file_errors(report, exc)
            return None
        report.encoding = enc
        if enc == safe_io.CP932_AFTER_BOM:
            report.warn(
                f"{name}: starts with a UTF-8 byte-order mark but its text is CP932 (Shift_JIS); "
                "read as CP932 (check that names read correctly; save it as 'CSV UTF-8' to "
                "avoid this)"
            )
        sep = safe_io.sniff_delimiter(text, suffix=suffix)
        if sep != "," and suffix != ".tsv":
            report.warn(f"{name}: cells separated by {sep!r} (read as such)")
        got = safe_io.read_records(text, name=name, delimiter=sep)
    problems = list(got.errors) + safe_io.header_problems(name, got.header)
    for column, headers in columns.conflicts(got.header, report.kind):
        problems.append(
            safe_io.Problem(
                name,
                1,
                "header",
                " and ".join(repr(h) for h in headers),
                f"one column for {column}: these headers all mean {column}, so one would "
                "win silently; delete or rename the others",
            )
        )
    if problems:
        _file_errors(report, ValidationError(problems, name))
        return None
    for p in got.bad:
        report.reject(p.row, p.column, p.value, f"expected {p.expected}")
    index = [row - 2 for row, _ in got.records]
    frame = pd.DataFrame([c for _, c in got.records], columns=got.header, index=index)
    frame = frame.astype(object)
    report.rows_read = len(got.records) + len({p.row for p in got.bad})
    if report.rows_read == 0:
        report.warn(f"{name} has a header but no data rows: nothing to import")
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
    if not check_file(path, report):
        return None
    if path.suffix.lower() == ".zip":
        try:
            members = safe_io.check_zip(path)
        except ValidationError as exc:
            _file_errors(report, exc)
            return None
        layers = [m for m in members if Path(m).suffix.lower() in (".shp", ".geojson", ".gpkg")]
        if not layers:
            report.error(
                f"{path.name}: the zip holds no Shapefile (.shp with its .shx and .dbf), GeoJSON "
                f"or GeoPackage (it holds {', '.join(members) or 'nothing'}); zip the files of "
                "one layer, or give the GeoJSON itself."
            )
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
            for i in np.flatnonzero(present):
                kind = geoms[i].geom_type
                if kind not in ("Polygon", "MultiPolygon", "GeometryCollection"):
                    report.reject(
                        row_number(i, vector=True),
                        "geometry",
                        kind,
                        f"a polygon; this file has {kind} features (is it a points or lines "
                        "file given where areas are expected?)",
                    )
                    geoms[i] = None
            geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    crs = meta.get("crs")
    if crs is None:
        report.warn(f"{path.name} declares no CRS; its numbers are checked as longitude/latitude.")
    geoms, crs = geometry_check.check_features(geoms, crs, report)
    if geoms is None:
        report.rows_read = 0
        report.rejections.clear()
        return None
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=crs)
    if not gdf.crs.equals(settings.storage_crs):
        gdf = gdf.to_crs(settings.storage_crs)
    return gdf


def is_vector(path):
    """True when ``path`` is read with :func:`read_features` rather than :func:`read_table`."""
    return Path(path).suffix.lower() not in TABLE_SUFFIXES
