"""The workspace: one region's data in one GeoPackage, with a schema per layer.

A workspace is a single ``.gpkg`` file (it opens directly in QGIS). Layers and their columns are
the contract of ``DESIGN.md``; more columns are welcome and kept. Geometries are stored in
EPSG:4326. In memory, list-valued columns (``care``, ``accepts``, ``hazards_ok``) are Python
lists of codes, with ``None`` meaning *unknown* (a facility whose accepted care is not known);
on disk they are ``;``-joined strings, with NULL for unknown and ``""`` for the empty list.

Examples
--------
>>> from geo import workspace
>>> {"municipalities", "children", "facilities"} <= set(workspace.LAYERS)
True
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from . import codes, settings
from .errors import CRSError, ValidationError, WorkspaceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    """One column of a layer schema.

    Parameters
    ----------
    name : str
        Column name (the contract).
    kind : str
        One of ``str``, ``int``, ``float``, ``bool``, ``date``, ``codes`` (a list of codes).
    required : bool
        Whether a null value is an error.
    table : str or None
        Code table whose codes are the only valid values.
    pattern : str or None
        Regular expression a ``str`` value must match in full.
    lo, hi : float or None
        Inclusive numeric bounds.
    hint : str
        How to fix a wrong value, in the user's terms.
    """

    name: str
    kind: str
    required: bool = True
    table: str | None = None
    pattern: str | None = None
    lo: float | None = None
    hi: float | None = None
    hint: str = ""


@dataclass(frozen=True)
class Layer:
    """Schema of a workspace layer: its id column, columns and geometry types."""

    name: str
    id: str | None
    columns: tuple
    geometry: tuple | None  # allowed geometry types; None = attribute table
    label_ja: str = ""


_MUNI = r"\d{5}"

_C = Column
LAYERS = {
    "municipalities": Layer(
        "municipalities",
        "code",
        (
            _C("code", "str", pattern=_MUNI, hint="use the 5-digit N03 code (N03_007), e.g. 13202"),
            _C("name", "str"),
            _C("pref", "str"),
        ),
        ("Polygon", "MultiPolygon"),
        "市区町村",
    ),
    "areas": Layer(
        "areas",
        "area_id",
        (_C("area_id", "str"), _C("name", "str"), _C("kind", "str")),
        ("Polygon", "MultiPolygon"),
        "圏域",
    ),
    "area_members": Layer(
        "area_members",
        None,
        (
            _C("area_id", "str"),
            _C("kind", "str"),
            _C("municipality_code", "str", pattern=_MUNI, hint="use the 5-digit N03 code"),
        ),
        None,
        "圏域の構成市区町村",
    ),
    "facilities": Layer(
        "facilities",
        "facility_id",
        (
            _C("facility_id", "str"),
            _C("name", "str"),
            _C("service", "str", table="service_types"),
            _C("capacity", "int", required=False, lo=0),
            _C(
                "accepts",
                "codes",
                required=False,
                table="care_types",
                hint="leave empty when unknown; never guess 'accepts'",
            ),
            _C("age_min", "int", required=False, lo=0, hi=120),
            _C("age_max", "int", required=False, lo=0, hi=120),
            _C("has_power", "bool", required=False),
            _C("municipality_code", "str", required=False, pattern=_MUNI),
            _C("source", "str", required=False),
            _C("source_date", "date", required=False),
        ),
        ("Point",),
        "事業所",
    ),
    "shelters": Layer(
        "shelters",
        "shelter_id",
        (
            _C("shelter_id", "str"),
            _C("name", "str"),
            _C("kind", "str", table="shelter_kinds"),
            _C("hazards_ok", "codes", table="hazard_types"),
            _C("has_power", "bool", required=False),
            _C("accepts_medical", "bool", required=False),
            _C("capacity", "int", required=False, lo=0),
        ),
        ("Point",),
        "避難所",
    ),
    "hazards": Layer(
        "hazards",
        "hazard_id",
        (
            _C("hazard_id", "str"),
            _C("hazard_type", "str", table="hazard_types"),
            _C("level", "int", lo=0, hi=99, hint="0 only for a zone without a depth band"),
            _C("label", "str", required=False),
            _C("depth_m", "float", required=False, lo=0),
            _C("source", "str", required=False),
        ),
        ("Polygon", "MultiPolygon"),
        "ハザード区域",
    ),
    "children": Layer(
        "children",
        "child_id",
        (
            _C("child_id", "str"),
            _C("age", "int", lo=0, hi=None, hint="age in whole years"),
            _C("care", "codes", table="care_types"),
            _C("mobility", "str", required=False, table="mobility"),
            _C("municipality_code", "str", required=False, pattern=_MUNI),
            _C("has_evac_plan", "bool", required=False),
            _C("last_verified", "date", required=False),
        ),
        ("Point",),
        "医療的ケア児",
    ),
    "roads_nodes": Layer(
        "roads_nodes",
        "osmid",
        (_C("osmid", "int"), _C("x", "float"), _C("y", "float")),
        ("Point",),
        "道路ノード",
    ),
    "roads_edges": Layer(
        "roads_edges",
        None,
        (
            _C("u", "int"),
            _C("v", "int"),
            _C("key", "int", lo=0),
            _C("length", "float", lo=0),
            _C("speed_kph", "float", lo=0.1),
            _C("travel_time", "float", lo=0),
            _C("highway", "str", required=False),
        ),
        ("LineString", "MultiLineString"),
        "道路リンク",
    ),
    "address_points": Layer(
        "address_points",
        None,
        (
            _C("pref", "str"),
            _C("city", "str"),
            _C("town", "str"),
            _C("municipality_code", "str", required=False, pattern=_MUNI),
        ),
        ("Point",),
        "位置参照（町丁目の代表点）",
    ),
    "facility_capabilities": Layer(
        "facility_capabilities",
        None,
        (
            _C("facility_id", "str"),
            _C("capability", "str", table="capabilities"),
            _C("value", "str", hint="true/false, a whole number, HH:MM-HH:MM or closed, or text"),
            _C("source", "str", required=False),
            _C("source_date", "date", required=False),
        ),
        None,
        "事業所の機能（看護職員・送迎・入浴・営業時間など）",
    ),
    "place_coverage": Layer(
        "place_coverage",
        None,
        (
            _C("facility_id", "str"),
            _C("municipality_code", "str", pattern=_MUNI, hint="use the 5-digit N03 code"),
        ),
        None,
        "窓口・コーディネーターの担当市区町村",
    ),
    "consultations": Layer(
        "consultations",
        None,
        (
            _C("date", "date", hint="YYYY-MM-DD or 和暦"),
            _C("month", "str", pattern=r"\d{4}-\d{2}", hint="YYYY-MM"),
            _C("municipality_code", "str", required=False, pattern=_MUNI),
            _C("area_id", "str", required=False),
            _C("area_kind", "str", required=False),
            _C("category", "str"),
            _C("channel", "str", required=False),
            _C("requester", "str", required=False),
            _C("source_file", "str", required=False),
        ),
        None,
        "相談記録（個人情報なし）",
    ),
    "child_sources": Layer(
        "child_sources",
        None,
        (
            _C("source", "str"),
            _C("record_id", "str"),
            _C("row", "int", required=False),
            _C("child_id", "str", required=False),
            _C("birth_date", "date", required=False),
            _C("age", "int", required=False, lo=0, hi=30),
            _C("municipality_code", "str", required=False, pattern=_MUNI),
            _C("care", "str", required=False, hint="care codes separated by ;"),
            _C("last_verified", "date", required=False),
            _C("lat", "float", required=False),
            _C("lon", "float", required=False),
        ),
        None,
        "名簿の情報源ごとの記録（突合用）",
    ),
}

#: Result layers written back by analyses; their columns are owned by the analysis modules.
RESULT_LAYERS = ("child_access", "area_gaps", "evacuation", "site_suggestions")
LAYERS.update(dict.fromkeys(RESULT_LAYERS))

#: Layers every complete workspace holds.
INPUT_LAYERS = (
    "municipalities",
    "areas",
    "area_members",
    "facilities",
    "shelters",
    "hazards",
    "children",
    "roads_nodes",
    "roads_edges",
)


@dataclass(frozen=True)
class Problem:
    """One problem found in a layer: where it is, what was found and what was expected."""

    layer: str
    row: object
    column: str
    value: object
    expected: str

    def describe(self):
        """Return the problem as one line of text."""
        return (
            f"{self.layer} row {self.row}: {self.column} is {self.value!r}; "
            f"expected {self.expected}."
        )


# ---------------------------------------------------------------------------------------------
# validation


def _is_null(value):
    if value is None:
        return True
    if isinstance(value, list | tuple):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check_value(col, value):
    """Return an 'expected ...' string when ``value`` breaks ``col``, else None."""
    if col.kind == "str":
        if not isinstance(value, str) or not value.strip():
            return "a non-empty text"
        if col.pattern and not re.fullmatch(col.pattern, value):
            return f"text matching {col.pattern}" + (f" ({col.hint})" if col.hint else "")
        if col.table and value not in codes.valid(col.table):
            return f"one of the codes of data/{col.table}.csv: {sorted(codes.valid(col.table))}"
        return None
    if col.kind in ("int", "float"):
        if isinstance(value, bool | np.bool_):
            return f"a number ({col.kind})"
        try:
            num = float(value)
        except (TypeError, ValueError):
            return f"a number ({col.kind})"
        if not np.isfinite(num):
            return "a finite number"
        if col.kind == "int" and num != int(num):
            return "a whole number"
        if col.lo is not None and num < col.lo:
            return f"a number >= {col.lo:g}" + (f" ({col.hint})" if col.hint else "")
        if col.hi is not None and num > col.hi:
            return f"a number <= {col.hi:g}" + (f" ({col.hint})" if col.hint else "")
        return None
    if col.kind == "bool":
        if isinstance(value, bool | np.bool_):
            return None
        return "true or false"
    if col.kind == "date":
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                _dt.date.fromisoformat(value)
            except ValueError:
                return "a real date YYYY-MM-DD"
            return None
        return "a date written YYYY-MM-DD"
    if col.kind == "codes":
        if not isinstance(value, list | tuple):
            return "a list of codes"
        valid = codes.valid(col.table)
        bad = [v for v in value if v not in valid]
        if bad:
            return f"codes of data/{col.table}.csv ({', '.join(sorted(valid))}); unknown: {bad}"
        return None
    msg = f"unknown column kind {col.kind!r}"
    raise AssertionError(msg)


def validate(layer, frame):
    """Check a layer against its schema and return every problem found.

    Parameters
    ----------
    layer : str
        Layer name, a key of :data:`LAYERS`.
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The layer, with list columns as Python lists.

    Returns
    -------
    list of Problem
        Empty when the layer is valid.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> kids = gpd.GeoDataFrame({"child_id": ["c1"], "age": [3], "care": [["wings"]]},
    ...                         geometry=[Point(140, 35)], crs="EPSG:4326")
    >>> [(p.column, p.value) for p in validate("children", kids) if p.row == "c1"]
    [('care', ['wings'])]
    """
    schema = LAYERS.get(layer)
    if layer not in LAYERS:
        msg = f"Unknown layer {layer!r}; expected one of {sorted(LAYERS)}."
        raise KeyError(msg)
    if schema is None:  # result layers: free-form
        return []
    problems = []
    missing = [c.name for c in schema.columns if c.name not in frame.columns]
    for name in missing:
        problems.append(Problem(layer, "-", name, "(missing column)", "the column to be present"))
    ids = frame[schema.id] if schema.id and schema.id in frame.columns else None
    row_ids = _RowIds(ids, frame.index)
    for col in schema.columns:
        if col.name in missing:
            continue
        series = frame[col.name]
        suspects = _suspect_positions(col, series)
        values = series.tolist() if len(suspects) else []
        for pos in suspects:
            rid, value = row_ids[pos], values[pos]
            if _is_null(value):
                if col.required:
                    problems.append(Problem(layer, rid, col.name, None, "a value (required)"))
                continue
            expected = _check_value(col, value)
            if expected:
                problems.append(Problem(layer, rid, col.name, value, expected))
    if ids is not None:
        dup = ids[ids.duplicated(keep="first") & ids.notna()]
        for value in dup.unique():
            problems.append(Problem(layer, value, schema.id, value, "a unique id (it repeats)"))
    if "age_min" in frame.columns and "age_max" in frame.columns:
        lo = pd.to_numeric(frame["age_min"], errors="coerce")
        hi = pd.to_numeric(frame["age_max"], errors="coerce")
        for pos, a, b in zip(range(len(frame)), lo, hi, strict=True):
            if pd.notna(a) and pd.notna(b) and a > b:
                problems.append(
                    Problem(layer, row_ids[pos], "age_max", b, f"age_max >= age_min ({a:g})")
                )
    if layer == "children" and "age" in frame.columns:
        ages = pd.to_numeric(frame["age"], errors="coerce")
        for pos, a in zip(range(len(frame)), ages, strict=True):
            if pd.notna(a) and a > settings.max_child_age:
                problems.append(
                    Problem(layer, row_ids[pos], "age", a, f"an age <= {settings.max_child_age}")
                )
    if schema.geometry is not None:
        problems.extend(_validate_geometry(layer, frame, row_ids, schema.geometry))
    return problems


class _RowIds:
    """Row ids for problem reports, looked up only for the rows that have a problem.

    (A list of every id of a million-row road layer costs seconds and is rarely read.)
    """

    def __init__(self, ids, index):
        self._ids = ids
        self._index = index

    def __getitem__(self, pos):
        if self._ids is None:
            return self._index[pos]
        r = self._ids.iloc[pos]
        return None if _is_null(r) else r


def _suspect_positions(col, series):
    """Positions of the rows that may break ``col``; the rest are valid for sure.

    Numeric columns with a numeric dtype are screened with vectorised comparisons (a road layer
    has hundreds of thousands of rows); text and date columns are screened once per distinct
    value; every other column is checked value by value.
    """
    n = len(series)
    if col.kind in ("str", "date") and (
        series.dtype == object or isinstance(series.dtype, pd.StringDtype)
    ):
        return _suspect_text_positions(col, series)
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )
    if col.kind not in ("int", "float") or not numeric:
        return range(n)
    vals = series.to_numpy(dtype="float64", na_value=np.nan)
    null = np.isnan(vals)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(vals)
        if col.kind == "int":
            ok &= vals == np.round(vals)
        if col.lo is not None:
            ok &= vals >= col.lo
        if col.hi is not None:
            ok &= vals <= col.hi
    bad = ~ok & ~null
    if col.required:
        bad |= null
    return np.flatnonzero(bad).tolist()


def _suspect_text_positions(col, series):
    """:func:`_suspect_positions` of a text or date column: each distinct value checked once.

    Only a value of type ``str`` can pass a text or date check, and a ``str`` is equal (and so
    grouped) only with an equal ``str``; every position whose distinct value fails, and every
    null (when the column is required), is returned for the value-by-value check.
    """
    null = series.isna().to_numpy(dtype=bool)
    try:
        codes_, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists): check every row
        return range(len(series))
    bad_u = np.fromiter(
        (type(u) is not str or _check_value(col, u) is not None for u in uniques),
        dtype=bool,
        count=len(uniques),
    )
    valid = codes_ >= 0
    bad = ~valid & ~null  # (neither grouped nor null: left to the value check)
    if bad_u.any():
        bad[valid] = bad_u[codes_[valid]]
    if col.required:
        bad |= null
    else:
        bad &= ~null
    return np.flatnonzero(bad).tolist()


def _validate_geometry(layer, frame, row_ids, allowed):
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return [Problem(layer, "-", "geometry", "(none)", f"{' or '.join(allowed)} geometries")]
    problems = []
    geoms = frame.geometry
    missing = geoms.isna().to_numpy()
    empty = missing | geoms.is_empty.to_numpy()
    wrong = ~empty & ~geoms.geom_type.isin(allowed).to_numpy()
    for pos in np.flatnonzero(empty | wrong):
        rid, geom = row_ids[pos], geoms.iloc[pos]
        if geom is None or geom.is_empty:
            problems.append(Problem(layer, rid, "geometry", "empty", f"a {allowed[0]}"))
        elif geom.geom_type not in allowed:
            problems.append(Problem(layer, rid, "geometry", geom.geom_type, " or ".join(allowed)))
    return problems


def check_crs(frame, *, context="layer", expected=None):
    """Raise :class:`CRSError` unless ``frame`` is in ``expected`` (default EPSG:4326)."""
    expected = expected or settings.storage_crs
    crs = getattr(frame, "crs", None)
    if crs is None:
        msg = (
            f"{context} has no CRS. Set it with `gdf.set_crs({expected!r})` if the "
            "coordinates are longitude/latitude, or reproject with `to_crs()`."
        )
        raise CRSError(msg)
    if not crs.equals(expected):
        msg = (
            f"{context} is in {crs.to_string()}, but the workspace stores {expected}. "
            f"Use `to_crs({expected!r})` first."
        )
        raise CRSError(msg)


def check(layer, frame, *, context=None):
    """Validate a layer and raise :class:`ValidationError` listing every problem.

    Returns the frame unchanged when it is valid.
    """
    if isinstance(frame, gpd.GeoDataFrame) and LAYERS.get(layer) and LAYERS[layer].geometry:
        check_crs(frame, context=context or f"layer {layer}")
    problems = validate(layer, frame)
    if problems:
        raise ValidationError(problems, context or f"layer {layer}")
    return frame


# ---------------------------------------------------------------------------------------------
# reading and writing


def _list_columns(layer):
    schema = LAYERS.get(layer)
    if schema is None:
        return ()
    return tuple(c.name for c in schema.columns if c.kind == "codes")


_TRUE = {True, "1", "true", "True", "TRUE"}
_FALSE = {False, "0", "false", "False", "FALSE"}


def _to_bool(value):
    if _is_null(value):
        return None
    if isinstance(value, np.bool_ | np.integer):
        value = value.item()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return value  # left as is: validation reports it


def _encode(layer, frame):
    out = frame.copy()
    for name in _list_columns(layer):
        if name in out.columns:
            out[name] = [None if _is_null(v) else ";".join(map(str, v)) for v in out[name]]
    schema = LAYERS.get(layer)
    for col in schema.columns if schema else ():
        if col.kind == "bool" and col.name in out.columns:
            vals = [_to_bool(v) for v in out[col.name]]
            out[col.name] = pd.array([None if v is None else int(v) for v in vals], "Int64")
    for col in out.columns:
        if out[col].dtype == object and col != getattr(out, "_geometry_column_name", None):
            if pd.api.types.infer_dtype(out[col], skipna=True) == "string":
                continue  # text only (a C scan; a road layer has millions of rows)
            vals = out[col].tolist()
            if any(isinstance(v, list | tuple) for v in vals):
                out[col] = [
                    ";".join(map(str, v)) if isinstance(v, list | tuple) else v for v in vals
                ]
    return out


def _decode(layer, frame):
    schema = LAYERS.get(layer)
    if schema is None:
        return frame
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        # one vectorised null test per column (a per-value _is_null is slow on big layers)
        null = pd.isna(s).to_numpy(dtype=bool) if col.kind in ("codes", "str", "date") else None
        if col.kind == "codes":
            frame[col.name] = [
                None if n else ([] if v == "" else str(v).split(";"))
                for v, n in zip(s.tolist(), null, strict=True)
            ]
        elif col.kind == "int":
            frame[col.name] = pd.array(pd.to_numeric(s), dtype="Int64")
        elif col.kind == "float":
            frame[col.name] = pd.to_numeric(s).astype("float64")
        elif col.kind == "bool":
            frame[col.name] = pd.array([_to_bool(v) for v in s], "boolean")
        elif col.kind in ("str", "date"):
            frame[col.name] = pd.Series(
                [
                    None if n else (v if type(v) is str else str(v))
                    for v, n in zip(s.tolist(), null, strict=True)
                ],
                index=frame.index,
                dtype=object,
            )
    return frame


def normalize(layer, frame):
    """Return ``frame`` with the dtypes a workspace read gives (Int64, boolean, lists).

    Writers call it so that a write then a read returns an equal frame.
    """
    out = frame.copy()
    out = _decode(layer, _encode(layer, out))
    return out


def layers(path):
    """Return the names of the layers present in a workspace file."""
    path = Path(path)
    if not path.exists():
        return []
    with gdal_access(path):
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    return [n for n in names if not n.startswith(STAGING_PREFIX)]


def read(path, layer, *, validate_schema=False):
    """Read one layer of a workspace.

    Parameters
    ----------
    path : str or Path
        The workspace GeoPackage.
    layer : str
        Layer name.
    validate_schema : bool, default False
        Raise :class:`ValidationError` if the stored layer breaks its schema.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        A GeoDataFrame in EPSG:4326 for spatial layers, a DataFrame for attribute tables.
        The index is a RangeIndex in stored order.
    """
    path = Path(path)
    if not path.exists():
        msg = (
            f"Workspace {path} does not exist. Create one with "
            f"`ikemap demo --out {path}` or `ikemap import`."
        )
        raise WorkspaceError(msg)
    present = layers(path)
    if layer not in present:
        msg = f"Workspace {path} has no layer {layer!r} (it has: {', '.join(present) or 'none'})."
        raise WorkspaceError(msg)
    schema = LAYERS.get(layer)
    with gdal_access(path):
        frame = _read_with_retry(path, layer)
    if "fid" in frame.columns and (schema is None or "fid" not in [c.name for c in schema.columns]):
        frame = frame.drop(columns="fid")
    frame = _decode(layer, frame)
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is None:
            frame = frame.set_crs(settings.storage_crs)
        frame = frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame
    if validate_schema:
        check(layer, frame, context=f"{path} layer {layer}")
    return frame


#: SQLite messages that mean "another connection is writing right now" (an audit append, an
#: import): the read is retried instead of failing the page.
_TRANSIENT = (
    "database is locked",
    "readonly database",
    "disk i/o error",
    "database is busy",
    # the layer was swapped between GDAL reading its definition and selecting its rows (a
    # writer's in-place replace changed the columns): the next attempt reads the new layer
    "no such column",
)


def _read_with_retry(path, layer, *, attempts=8, pause_s=0.05):
    """Read a layer, retrying briefly while another connection holds a write transaction.

    A GeoPackage is SQLite: while a writer commits, a read-only reader that meets its journal can
    fail with 'attempt to write a readonly database' or 'database is locked'; a reader whose
    layer was replaced (with other columns) between GDAL reading the definition and selecting
    the rows fails with 'no such column'. Those are transient; any other error is raised at
    once.
    """
    for attempt in range(attempts):
        try:
            return pyogrio.read_dataframe(path, layer=layer, use_arrow=False)
        except Exception as exc:  # pyogrio wraps sqlite errors in several types
            text = str(exc).lower()
            if attempt == attempts - 1 or not any(t in text for t in _TRANSIENT):
                raise
            logger.debug("Retrying read of %s layer %s after: %s", path, layer, exc)
            time.sleep(pause_s * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def read_all(path, *, names=INPUT_LAYERS):
    """Read several layers at once into a dict (missing layers are skipped)."""
    present = set(layers(path))
    return {name: read(path, name) for name in names if name in present}


def _arrow_ok(frame):
    """Whether ``frame`` can be written through Arrow with the very table a plain write makes.

    Arrow (``OGR_L_WriteArrowBatch``) writes a road layer of millions of rows several times
    faster than pyogrio's row-by-row writer. It is used when every column has a type both
    writers map to the same GeoPackage column: numbers, booleans (numpy or pandas nullable) and
    text (``object`` columns holding only ``str`` and nulls). Anything else (mixed objects,
    all-null columns, dates) keeps the row-by-row writer, which decides those types itself.
    """
    if len(frame) == 0:
        return False
    geom = getattr(frame, "_geometry_column_name", None)
    for name in frame.columns:
        if name == geom:
            continue
        dtype = frame[name].dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            if pd.api.types.infer_dtype(frame[name], skipna=True) != "string":
                return False
        elif isinstance(dtype, pd.StringDtype | pd.Int64Dtype | pd.BooleanDtype | pd.Float64Dtype):
            continue
        elif not (isinstance(dtype, np.dtype) and dtype.kind in "biuf"):
            return False
    return True


def _write_one(path, layer, frame, *, table=None):
    """Write ``frame`` (encoded with ``layer``'s schema) as GeoPackage table ``table or layer``."""
    frame = _encode(layer, frame)
    name = table or layer
    arrow = _arrow_ok(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        pyogrio.write_dataframe(
            frame, path, layer=name, driver="GPKG", promote_to_multi=False, use_arrow=arrow
        )
    else:
        pyogrio.write_dataframe(
            pd.DataFrame(frame), path, layer=name, driver="GPKG", use_arrow=arrow
        )


def write(path, layer, frame, *, validate_schema=True):
    """Write (or replace) one layer; see :func:`write_layers`."""
    write_layers(path, {layer: frame}, validate_schema=validate_schema)


#: Prefix of the tables a writer stages inside the GeoPackage before swapping them in.
STAGING_PREFIX = "ikemap_staging_"

#: Seconds a writer waits for another writer (or an audit append) before giving up.
WRITE_TIMEOUT_S = 120.0


def write_layers(path, frames, *, validate_schema=True):
    """Write several layers into a workspace atomically, in place.

    Every layer is validated first (all problems reported at once). Each new layer is then
    written *inside the GeoPackage* under a staging name (``ikemap_staging_<layer>``), and one
    SQLite transaction drops the old tables and renames the staged ones. Readers see the old
    layers or the new ones, never a half-written file; other writers (an audit append with
    plain SQL, another import) wait for the transaction. No copy of the workspace is made, so
    nothing with child data is left beside it after a crash: staged tables a crashed writer
    left inside the file are dropped by the next write.

    A new workspace is created the same way (staged tables first, then the swap), so no other
    file ever holds its data; a failed creation removes the file it started.

    Parameters
    ----------
    path : str or Path
        The workspace GeoPackage (created if missing).
    frames : dict of str to DataFrame
        Layer name to frame. Spatial layers must be in EPSG:4326.
    validate_schema : bool, default True
        Check each layer against its schema before writing.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> ws = pathlib.Path(tempfile.mkdtemp()) / "w.gpkg"
    >>> write_layers(ws, {"metadata": pd.DataFrame({"key": ["a"], "value": ["1"]})})
    >>> write_layers(ws, {"metadata": pd.DataFrame({"key": ["a"], "value": ["2"]})})
    >>> metadata(ws), layers(ws)
    ({'a': '2'}, ['metadata'])
    """
    path = Path(path)
    problems = []
    for layer, frame in frames.items():
        if layer not in LAYERS:
            logger.debug("Writing free-form layer %s", layer)
        if isinstance(frame, gpd.GeoDataFrame):
            check_crs(frame, context=f"layer {layer}")
        if validate_schema and layer in LAYERS:
            problems.extend(validate(layer, frame))
    if problems:
        raise ValidationError(problems, f"writing {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(path), gdal_access(path):
        remove_stale_copies(path)
        _replace_in_place(path, frames, created=not path.exists())
    logger.info("Wrote %d layer(s) to %s", len(frames), path)


def _replace_in_place(path, frames, *, created=False):
    if not created:
        _drop_staging(path)
    staged = {}
    try:
        for layer, frame in frames.items():
            table = f"{STAGING_PREFIX}{layer}"
            _retry_locked(lambda t=table, la=layer, f=frame: _write_one(path, la, f, table=t))
            staged[layer] = table
        _retry_locked(lambda: _swap(path, staged))
    except BaseException:
        if created:
            for p in (path, Path(f"{path}-journal")):
                p.unlink(missing_ok=True)
        elif path.exists():
            _drop_staging(path)
        raise


def _retry_locked(fn, *, attempts=100, pause_s=0.1):
    """Run a GDAL write, retrying while another connection holds the database lock."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:  # pyogrio wraps sqlite errors in several types
            text = str(exc).lower()
            if attempt == attempts - 1 or not ("locked" in text or "busy" in text):
                raise
            time.sleep(pause_s)
    raise AssertionError("unreachable")  # pragma: no cover


# Layer swaps go through GDAL's own SQLite (the one pyogrio reads with). Python's sqlite3 is a
# second copy of SQLite in the process: two copies do not see each other's POSIX locks, and a
# connection closed by one drops the locks the other holds (https://sqlite.org/howtocorrupt.html
# section 2.2.1). Writing with both at once from threads of one process corrupts readers' views.

_GDAL_OF_UPDATE_VECTOR = 0x01 | 0x04


@cache
def _gdal():
    """The GDAL library pyogrio uses, through ctypes (same process copy, same SQLite)."""
    import ctypes
    import ctypes.util

    here = Path(pyogrio.__file__).resolve().parent.parent / "pyogrio.libs"
    found = sorted(here.glob("libgdal*")) if here.exists() else []
    name = str(found[0]) if found else ctypes.util.find_library("gdal")
    if not name:
        msg = "GDAL library of pyogrio not found; cannot replace workspace layers in place."
        raise WorkspaceError(msg)
    lib = ctypes.CDLL(name)
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sigs = {
        "GDALOpenEx": (vp, [cp, ctypes.c_uint, vp, vp, vp]),
        "GDALClose": (None, [vp]),
        "GDALDatasetStartTransaction": (ci, [vp, ci]),
        "GDALDatasetCommitTransaction": (ci, [vp]),
        "GDALDatasetRollbackTransaction": (ci, [vp]),
        "GDALDatasetGetLayerCount": (ci, [vp]),
        "GDALDatasetGetLayer": (vp, [vp, ci]),
        "GDALDatasetDeleteLayer": (ci, [vp, ci]),
        "OGR_L_GetName": (cp, [vp]),
        "OGR_L_Rename": (ci, [vp, cp]),
        "CPLGetLastErrorMsg": (cp, []),
        "CPLErrorReset": (None, []),
    }
    for fn, (res, args) in sigs.items():
        getattr(lib, fn).restype = res
        getattr(lib, fn).argtypes = args
    return lib


def _gdal_fail(lib, path, what):
    detail = (lib.CPLGetLastErrorMsg() or b"").decode("utf-8", "replace")
    msg = f"{path}: could not {what}: {detail or 'GDAL gave no reason'}"
    raise WorkspaceError(msg)


def _layer_index(lib, ds):
    return {
        lib.OGR_L_GetName(lib.GDALDatasetGetLayer(ds, i)).decode("utf-8"): i
        for i in range(lib.GDALDatasetGetLayerCount(ds))
    }


@contextmanager
def _gdal_update(path):
    lib = _gdal()
    lib.CPLErrorReset()
    ds = lib.GDALOpenEx(str(path).encode("utf-8"), _GDAL_OF_UPDATE_VECTOR, None, None, None)
    if not ds:
        _gdal_fail(lib, path, "open the workspace for writing")
    try:
        yield lib, ds
    finally:
        lib.GDALClose(ds)


def _transaction(lib, ds, path, steps):
    if lib.GDALDatasetStartTransaction(ds, 0) != 0:
        _gdal_fail(lib, path, "start a transaction")
    try:
        steps()
    except BaseException:
        lib.GDALDatasetRollbackTransaction(ds)
        raise
    if lib.GDALDatasetCommitTransaction(ds) != 0:
        _gdal_fail(lib, path, "commit the layer swap")


def _swap(path, staged):
    """In one transaction: drop each old layer, rename its staged table to the layer's name."""
    with _gdal_update(path) as (lib, ds):

        def steps():
            for layer, table in staged.items():
                index = _layer_index(lib, ds)
                if layer in index and lib.GDALDatasetDeleteLayer(ds, index[layer]) != 0:
                    _gdal_fail(lib, path, f"drop the old layer {layer}")
                new = lib.GDALDatasetGetLayer(ds, _layer_index(lib, ds)[table])
                if lib.OGR_L_Rename(new, layer.encode("utf-8")) != 0:
                    _gdal_fail(lib, path, f"rename the new layer {layer} into place")

        _transaction(lib, ds, path, steps)


def _drop_staging(path):
    """Drop tables a crashed writer staged inside the file (the caller holds the write lock)."""
    stale = [n for n, _ in pyogrio.list_layers(path) if str(n).startswith(STAGING_PREFIX)]
    if not stale:
        return
    with _gdal_update(path) as (lib, ds):

        def steps():
            for table in stale:
                index = _layer_index(lib, ds)
                if table in index and lib.GDALDatasetDeleteLayer(ds, index[table]) != 0:
                    _gdal_fail(lib, path, f"drop the staged table {table}")

        _transaction(lib, ds, path, steps)
    logger.warning("Dropped %d staged table(s) a crashed write left: %s", len(stale), stale)


_LEGACY_COPY = re.compile(r"^\.(?P<stem>.+)-[a-z0-9_]{8}\.gpkg(-journal)?$")


def remove_stale_copies(path):
    """Remove temporary files a killed writer left beside workspace ``path``; return them.

    Earlier versions wrote beside the workspace; what they left after a ``kill -9`` is removed
    here: ``.<name>.ikemap-new-<pid>.gpkg`` files whose process is gone, and the hidden full
    copies ``.<stem>-XXXXXXXX.gpkg`` (older than a minute).
    """
    path = Path(path)
    removed = []
    if not path.parent.exists():
        return removed
    prefix = f".{path.name}.ikemap-new-"
    for p in path.parent.iterdir():
        name = p.name
        if name.startswith(prefix):
            pid = name[len(prefix) :].split(".")[0]
            if pid.isdigit() and not _alive(int(pid)):
                p.unlink(missing_ok=True)
                removed.append(p)
            continue
        m = _LEGACY_COPY.match(name)
        if m and m.group("stem") == path.stem and "-demo-" not in name:
            try:
                old = time.time() - p.stat().st_mtime > 60
            except FileNotFoundError:
                continue
            if old:
                p.unlink(missing_ok=True)
                removed.append(p)
    if removed:
        logger.warning("Removed %d temporary file(s) of a crashed write: %s", len(removed), removed)
    return removed


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _writer_lock(path):
    """One writer per workspace at a time, across threads and processes (``flock``).

    The lock file (``ikemap-locks/<hash of the path>.lock`` in the temp folder) holds no data.
    SQLite's own locks are POSIX locks on the database file, which closing a second
    descriptor on that file would drop, so the lock is never taken on the workspace itself.
    Each call opens the lock file anew, so threads of one process exclude each other too.
    """
    import hashlib
    import tempfile

    path = Path(path)
    key = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()
    held = _HELD.__dict__.setdefault("keys", set())
    if key in held:  # re-entered by the thread that holds it (write_metadata -> write_layers)
        yield
        return
    folder = Path(tempfile.gettempdir()) / "ikemap-locks"
    folder.mkdir(exist_ok=True)
    lock = folder / f"{key}.lock"
    deadline = time.monotonic() + WRITE_TIMEOUT_S
    with open(lock, "a+b") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    msg = f"{path} is being written by another process; try again later."
                    raise WorkspaceError(msg) from None
                time.sleep(0.05)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)


_HELD = threading.local()


def writing(path):
    """Hold the workspace's writer lock for a read-modify-write (re-entrant in one thread).

    ``write_layers`` takes it itself; hold it around reading a layer and writing it back so no
    other writer slips in between (e.g. merging ``metadata``).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> ws = pathlib.Path(tempfile.mkdtemp()) / "w.gpkg"
    >>> with writing(ws):
    ...     write_layers(ws, {"metadata": pd.DataFrame({"key": ["a"], "value": ["1"]})})
    """
    return _writer_lock(Path(path))


# ---------------------------------------------------------------------------------------------
# one SQLite library at a time per file, within this process
#
# pyogrio's GDAL carries its own copy of SQLite; Python's ``sqlite3`` is another. SQLite locks
# files with POSIX locks, which belong to the process: when one copy closes its descriptor on
# the file, the locks the *other* copy holds on it are silently dropped
# (https://sqlite.org/howtocorrupt.html section 2.2). A thread appending an audit entry with
# ``sqlite3`` while another thread reads or writes the same workspace through GDAL can then
# corrupt it (measured: "freelist size is 0 but should be 1", lost tables). So within a
# process, GDAL users of a file share it with each other, and a ``sqlite3`` connection to it
# (:func:`native_sqlite`) has it alone. Other processes are unaffected (their locks work).


class _FileGuard:
    """Shared access for GDAL users, exclusive for Python-sqlite3 users (re-entrant)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = None
        self._waiting = 0
        self._local = threading.local()

    def _depth(self):
        return getattr(self._local, "depth", 0)

    @contextmanager
    def shared(self):
        me = threading.get_ident()
        if self._depth() or self._exclusive == me:
            self._local.depth = self._depth() + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._cond:
            while self._exclusive is not None or self._waiting:
                self._cond.wait()
            self._shared += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        me = threading.get_ident()
        if self._exclusive == me:
            yield
            return
        if self._depth():
            msg = "native_sqlite() inside a GDAL read or write of the same workspace"
            raise WorkspaceError(msg)
        with self._cond:
            self._waiting += 1
            while self._exclusive is not None or self._shared:
                self._cond.wait()
            self._waiting -= 1
            self._exclusive = me
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = None
                self._cond.notify_all()


_GUARDS = {}
_GUARDS_LOCK = threading.Lock()


def _guard(path):
    key = str(Path(path).resolve())
    with _GUARDS_LOCK:
        return _GUARDS.setdefault(key, _FileGuard())


@contextmanager
def gdal_access(path):
    """Hold workspace ``path`` for GDAL/pyogrio use (shared with other GDAL users).

    :func:`read`, :func:`layers`, :func:`metadata` and :func:`write_layers` take it; wrap direct
    ``pyogrio`` calls on a workspace in it too.
    """
    with _guard(path).shared():
        yield


@contextmanager
def native_sqlite(path, *, readonly=False, timeout=30.0):
    """A Python ``sqlite3`` connection to the workspace, safe beside GDAL users in this process.

    Use it for plain-SQL appends (the audit log) and quick SQL reads instead of
    ``sqlite3.connect``: it waits until no thread of this process is reading or writing the
    file through GDAL, and holds them off until the connection is closed (see the note above).
    Transactions are the caller's (``isolation_level=None``: write ``BEGIN IMMEDIATE`` ...).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> ws = pathlib.Path(tempfile.mkdtemp()) / "w.gpkg"
    >>> write_layers(ws, {"metadata": pd.DataFrame({"key": ["a"], "value": ["1"]})})
    >>> with native_sqlite(ws, readonly=True) as con:
    ...     con.execute("SELECT value FROM metadata").fetchone()
    ('1',)
    """
    import sqlite3

    with _guard(path).exclusive():
        if readonly:
            con = sqlite3.connect(
                f"file:{Path(path)}?mode=ro", uri=True, timeout=timeout, isolation_level=None
            )
        else:
            con = sqlite3.connect(Path(path), timeout=timeout, isolation_level=None)
        try:
            yield con
        finally:
            con.close()


def metadata(path):
    """Return the workspace's ``metadata`` table as a dict (empty when absent)."""
    if "metadata" not in layers(path):
        return {}
    with gdal_access(path):
        df = pyogrio.read_dataframe(path, layer="metadata")
    return dict(zip(df["key"], df["value"], strict=True))


def write_metadata(path, values):
    """Merge ``values`` into the workspace's ``metadata`` key/value table (under the lock)."""
    with writing(path):
        merged = {**metadata(path), **{k: str(v) for k, v in values.items()}}
        frame = pd.DataFrame({"key": list(merged), "value": list(merged.values())})
        write_layers(path, {"metadata": frame}, validate_schema=False)
