"""Safe exports: CSV for Excel, Excel workbooks and GeoPackages, as bytes for download buttons.

* CSV is UTF-8 with a byte-order mark, so Japanese Excel opens it without mojibake.
* A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
  full-width forms) gets a leading apostrophe, so a spreadsheet never runs it as a formula (CSV
  injection); column names are treated the same way.
* Child-level tables (with a ``child_id`` column) lose name, address, phone and birth-date
  columns unless ``include_identity=True`` is asked by an authorised role; the pseudonymous
  ``child_id`` stays.
* Suppressed counts are written as 「<10」 (true value 1-9) or 「秘匿」 (hidden to protect
  another cell), never as blanks (:func:`gate.display`).

These writers only serialise. What a person may take away is decided by
:func:`gate.export`, the one export function of app, command line and reports (role,
scope, suppression, audit log); :func:`export_for` is its older name.

Examples
--------
>>> import pandas as pd
>>> data = to_csv_bytes(pd.DataFrame({"名前": ["=1+1"], "n": [3]}))
>>> data.startswith(BOM)
True
>>> data.decode("utf-8-sig").splitlines()
['名前,n', "'=1+1,3"]
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from . import roles

logger = logging.getLogger(__name__)

#: First characters that make a spreadsheet read a cell as a formula or command.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

#: Byte-order mark that starts every CSV export.
BOM = "\ufeff".encode()

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
}


def neutralise(value):
    """Return ``value`` with a leading apostrophe when a spreadsheet would run it.

    Examples
    --------
    >>> neutralise("=cmd|' /C calc'!A0"), neutralise("-5"), neutralise("ok"), neutralise(-5)
    ("'=cmd|' /C calc'!A0", "'-5", 'ok', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _flatten(value):
    if isinstance(value, list | tuple | np.ndarray):
        return ";".join(map(str, value))
    return value


#: :func:`pandas.api.types.infer_dtype` kinds whose cells :func:`_flatten` and
#: :func:`neutralise` leave as they are (no text, no list).
_PLAIN_KINDS = frozenset(
    {"empty", "boolean", "integer", "floating", "mixed-integer-float", "decimal", "complex",
     "datetime64", "datetime", "date", "timedelta64", "timedelta", "time", "period", "interval"}
)  # fmt: skip


#: The same first characters as a regular expression (one pass of pyarrow over a column).
_FORMULA_START = "^[=+\\-@\t\r＝＋－＠]"


def _formula_start(arr):
    """Bool array: the cell (text or missing) starts with a :data:`FORMULA_PREFIXES` character."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow comes with pandas' string support
        pa = None
    if pa is not None:
        try:
            text = pa.array(arr, type=pa.string(), from_pandas=True)
        except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: pandas below
            pass
        else:
            hit = pc.fill_null(pc.match_substring_regex(text, _FORMULA_START), False)
            return hit.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    hit = pd.Series(arr, dtype=object).str.startswith(FORMULA_PREFIXES, na=False)
    return hit.to_numpy(dtype=bool)


def _neutralise_column(s):
    """``[neutralise(_flatten(v)) for v in s]`` as an object array, whole-column when it can.

    A column of text (and missing values) gets its apostrophes from one vectorised
    ``startswith``; a column with no text and no lists is returned as it is; anything else
    (lists, text mixed with numbers ...) takes the cell-by-cell path. Same cells either way.

    Examples
    --------
    >>> import pandas as pd
    >>> _neutralise_column(pd.Series(["=1", None, "a", "－2"], dtype=object)).tolist()
    ["'=1", None, 'a', "'－2"]
    >>> _neutralise_column(pd.Series([["a", "b"], "@x", 3])).tolist()
    ['a;b', "'@x", 3]
    """
    arr = s.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(arr, skipna=True)
    if kind in _PLAIN_KINDS:  # numbers, booleans, dates, missing: nothing to neutralise
        return arr.copy()
    if kind != "string":  # lists, or text mixed with other values: cell by cell
        out = np.empty(len(arr), dtype=object)
        out[:] = [neutralise(_flatten(v)) for v in arr]
        return out
    # text and missing values only: the missing ones stay as they are
    out = arr.copy()
    hit = _formula_start(arr)
    if hit.any():
        out[hit] = "'" + out[hit]
    return out


def prepare(frame, *, include_identity=False, role=None, keep_geometry=False, numbers=False):
    """The table as it leaves ikemap: identity dropped, counts labelled, cells neutralised.

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame
        Any table. Point geometries become ``lon``/``lat`` columns, others WKT, unless
        ``keep_geometry``.
    include_identity : bool, default False
        Keep names and addresses of a child-level table (requires ``role`` in
        :data:`gate.roles.IDENTITY_ROLES`).
    role : str, optional
        Role asking for identity columns.
    keep_geometry : bool, default False
        Keep the geometry column (GeoPackage export).

    Returns
    -------
    DataFrame
    """
    if include_identity and role not in roles.IDENTITY_ROLES:
        msg = (
            "Names and addresses may be exported only by "
            f"{', '.join(sorted(roles.IDENTITY_ROLES))} roles "
            f"(asked by {role or 'an unknown role'}); export with child_id only."
        )
        raise roles.AccessDenied(msg)
    out = frame.copy()
    if roles.is_individual(out) and not include_identity:
        drop = roles.identity_columns(out)
        if drop:
            out = out.drop(columns=drop)
    if any(isinstance(c, str) and c.endswith("_suppressed") for c in out.columns) or (
        isinstance(out.attrs.get("suppressed"), pd.DataFrame)
    ):
        from . import core as gate

        geom = out.geometry if isinstance(out, gpd.GeoDataFrame) else None
        out = gate.display(pd.DataFrame(out), numbers=numbers)
        if geom is not None and keep_geometry:
            out = gpd.GeoDataFrame(out, geometry=geom.name, crs=geom.crs)
    named = any(n is not None for n in out.index.names)
    out = out.reset_index(drop=not named)
    if isinstance(out, gpd.GeoDataFrame) and not keep_geometry:
        geom = out.geometry
        name = geom.name
        plain = pd.DataFrame(out.drop(columns=name))
        if len(geom) and geom.notna().all() and (geom.geom_type == "Point").all():
            if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
                geom = geom.to_crs("EPSG:4326")
            plain["lon"] = geom.x.round(7)
            plain["lat"] = geom.y.round(7)
        else:
            plain["geometry_wkt"] = [None if g is None else g.wkt for g in geom]
        out = plain
    for col in out.columns:
        if isinstance(out, gpd.GeoDataFrame) and col == out.geometry.name:
            continue
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = pd.Series(_neutralise_column(s), index=out.index, dtype=object)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(frame, *, include_identity=False, role=None):
    """CSV (UTF-8 with BOM, comma, header) of a table, safe to open in Excel.

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.DataFrame({"child_id": ["c1"], "氏名": ["山田"], "age": [4]})
    >>> to_csv_bytes(kids).decode("utf-8-sig").splitlines()
    ['child_id,age', 'c1,4']
    """
    out = prepare(frame, include_identity=include_identity, role=role)
    text = out.to_csv(index=False, lineterminator="\r\n")
    return BOM + text.encode("utf-8")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name, used):
    base = _SHEET_BAD.sub("_", str(name)).strip("'") or "Sheet"
    base = base[:31]
    candidate, k = base, 2
    while candidate.lower() in used:
        suffix = f"_{k}"
        candidate = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(candidate.lower())
    return candidate


def to_excel_bytes(frames, *, include_identity=False, role=None):
    """An Excel workbook (.xlsx) of one table or a dict of sheet name to table.

    Header row frozen and bold, Japanese headers kept, formula-like text neutralised, columns
    sized to their content.

    Examples
    --------
    >>> import io, pandas as pd, openpyxl
    >>> data = to_excel_bytes({"圏域": pd.DataFrame({"name": ["=SUM(A1)"], "n": [12]})})
    >>> ws = openpyxl.load_workbook(io.BytesIO(data))["圏域"]
    >>> ws["A2"].value, ws["A2"].data_type, ws.freeze_panes
    ("'=SUM(A1)", 's', 'A2')
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if isinstance(frames, pd.DataFrame):
        frames = {"data": frames}
    buf = io.BytesIO()
    used = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in frames.items():
            sheet = _sheet_name(name, used)
            out = prepare(frame, include_identity=include_identity, role=role, numbers=True)
            out = out.astype({c: object for c in out.columns if out[c].dtype.kind == "b"})
            out.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for j, col in enumerate(out.columns, start=1):
                sample = [str(col)] + [str(v) for v in out[col].head(200).tolist()]
                width = max(len(s.encode("utf-8")) * 0.7 for s in sample)
                ws.column_dimensions[get_column_letter(j)].width = min(max(8, width + 2), 60)
            # openpyxl reads any text starting with "=" as a formula: force text type
            for row in ws.iter_rows(min_row=1):
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
    return buf.getvalue()


def to_gpkg_bytes(frame, layer="export", *, include_identity=False, role=None):
    """A GeoPackage file (bytes) holding one layer, for QGIS.

    Examples
    --------
    >>> import geopandas as gpd, io, pyogrio
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"facility_id": ["f1"]}, geometry=[Point(140, 36)], crs=4326)
    >>> data = to_gpkg_bytes(g, "facilities")
    >>> data[:15]
    b'SQLite format 3'
    """
    out = prepare(frame, include_identity=include_identity, role=role, keep_geometry=True)
    with tempfile.TemporaryDirectory(prefix="ikemap-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        if isinstance(out, gpd.GeoDataFrame):
            pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", promote_to_multi=False)
        else:
            pyogrio.write_dataframe(pd.DataFrame(out), path, layer=layer, driver="GPKG")
        return path.read_bytes()


WRITERS = {
    "csv": to_csv_bytes,
    "xlsx": to_excel_bytes,
    "gpkg": to_gpkg_bytes,
}


def export_for(session, frame, *, fmt, workspace, what, include_identity=False, **options):
    """Older name of :func:`gate.export` (same arguments, same gate).

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.DataFrame({"child_id": ["c1", "c2"], "municipality_code": ["01001", "01002"]})
    >>> export_for("planner", kids, fmt="csv", workspace=None, what="children")
    Traceback (most recent call last):
    ...
    gate.roles.AccessDenied: The planner role sees aggregates only ...
    """
    from . import core as gate

    return gate.export(
        frame,
        session,
        fmt=fmt,
        workspace=workspace,
        what=what,
        include_identity=include_identity,
        **options,
    )
