"""Facilities from WAM NET, 介護サービス情報公表 and generic CSVs, plus capability columns.

Three source formats (``fmt``):

- ``wam``: 障害福祉サービス等情報公表システム open data (WAM NET), CP932, the 29-column layout
  (事業所番号, 事業所の名称, サービス種別, 事業所住所（市区町村）, 事業所緯度, 事業所経度,
  定員 ...).
  サービス種別 is mapped to ikemap's service codes by ``data/wam_services.csv``.
- ``kaigo``: 介護サービス情報公表システム open data for 訪問看護 (事業所番号, 事業所名, 住所,
  緯度, 経度, ...; also the renamed ``jigyosho_no, name, address, lat, lon`` extract).
- ``generic``: a CSV a prefecture fills (DESIGN.md column map, English or Japanese headers):
  ``facility_id`` [事業所番号], ``name``, ``service``, ``lat``/``lon`` or ``address``, optional
  ``capacity``, ``accepts``, ``age_min``, ``age_max``, ``has_power``.

Capability columns (accepts, age range, capacity, power) come from a generic CSV joined on
事業所番号 (:func:`join_capabilities`). Where no capability is given it stays unknown (None):
an empty ``accepts`` never means "accepts everything".

WAM and 介護 ids are ``<事業所番号>-<service>`` because one office (多機能型) often runs several
services under one number; the number itself is kept in ``jigyosho_no``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import codes, settings
from . import addresses, areas, capabilities, columns, places, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

FORMATS = ("wam", "kaigo", "generic", "capabilities")

LAYER_COLUMNS = [
    "facility_id",
    "name",
    "service",
    "capacity",
    "accepts",
    "age_min",
    "age_max",
    "has_power",
    "municipality_code",
    "source",
    "source_date",
    "jigyosho_no",
    "source_service",
    "address",
    "phone",
]

_WAM_REQUIRED = {
    "事業所番号": "facility_id",
    "事業所の名称": "name",
    "サービス種別": "service",
    "事業所緯度": "lat",
    "事業所経度": "lon",
}


@cache
def _service_table():
    df = pd.read_csv(
        settings.data_dir / "wam_services.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    return {columns.normalize(n): (s, r) for n, s, r in zip(df.name, df.service, df.refines_to)}


def service_code(text):
    """Map a サービス種別 (WAM/介護 name, Japanese label or code) to a service code.

    Returns
    -------
    (str or None, str or None)
        The code, or None and the reason it is not imported.

    Examples
    --------
    >>> service_code("放課後等デイサービス")
    ('after_school_day', None)
    >>> service_code("共同生活援助")[0] is None
    True
    """
    key = columns.normalize(text)
    if not key:
        return None, "no service given"
    table = _service_table()
    if key in table:
        code, _ = table[key]
        if not code:
            return None, (
                f"サービス種別 {text} is not one of the services ikemap analyses "
                "(data/wam_services.csv maps it to none)"
            )
        return code, None
    lookup = {
        columns.normalize(k).lower(): v for k, v in codes.label_to_code("service_types").items()
    }
    code = lookup.get(key.lower())
    if code:
        return code, None
    return None, (
        f"unknown サービス種別 {text}; use a name of data/wam_services.csv or a code of "
        f"data/service_types.csv ({', '.join(sorted(codes.valid('service_types')))})"
    )


def refinements(source_service):
    """Services a capability row may set for a facility imported with ``source_service``."""
    _, refines = _service_table().get(columns.normalize(source_service), (None, ""))
    return set(filter(None, (refines or "").split(";")))


def detect_format(headers):
    """Guess the format of a facility table from its headers (wam, kaigo or generic)."""
    norm = {columns.normalize(h) for h in headers}
    if {columns.normalize(k) for k in _WAM_REQUIRED} <= norm:
        return "wam"
    m = columns.resolve(headers, "facilities")
    if "service" not in m and {"facility_id", "name", "lat", "lon"} <= set(m):
        return "kaigo"
    if "service" in m and columns.normalize(m["service"]) == "サービスの種類":
        return "kaigo"
    return "generic"


def is_capability_sheet(headers):
    """True for a table keyed on 事業所番号 with capability columns but no facility location.

    Such a sheet (DESIGN.md: the generic format joined on facility_id) fills capabilities of
    facilities imported from other files; it cannot be a facility list of its own.

    Examples
    --------
    >>> is_capability_sheet(["事業所番号", "受入可能な医療的ケア", "定員"])
    True
    >>> is_capability_sheet(["事業所番号", "事業所名", "サービス種別", "緯度", "経度", "定員"])
    False
    """
    m = columns.resolve(headers, "facilities")
    if "facility_id" not in m:
        return False
    if "name" in m and "service" in m and ({"lat", "lon"} <= set(m) or "address" in m):
        return False
    if set(_CAPABILITY) & set(m):
        return True
    try:
        from . import capabilities
    except ImportError:  # pragma: no cover - the capability module is optional
        return False
    mapped = capabilities.header_map(headers)
    return bool(mapped["capabilities"] or mapped["coverage"])


def capability_sheet(path):
    """True when the table at ``path`` reads as a capability sheet (:func:`is_capability_sheet`)."""
    probe = ImportReport(file=str(path), kind="facilities")
    table = reading.read_table(path, probe)
    return table is not None and is_capability_sheet(list(table.columns))


def _empty():
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LAYER_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.storage_crs))


def facilities_from_file(path, *, fmt=None, municipalities=None, address_points=None):
    """Read a facility file of any supported format into the ``facilities`` layer.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or CP932, detected) or Excel.
    fmt : {"wam", "kaigo", "generic"}, optional
        Source format; detected from the headers when omitted.
    municipalities : geopandas.GeoDataFrame, optional
        The ``municipalities`` layer: points are checked against the municipality their address
        states and get ``municipality_code``.
    address_points : pandas.DataFrame or path, optional
        位置参照情報 points to resolve rows of a generic CSV that give an address only.

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)

    Examples
    --------
    >>> fac, rep = facilities_from_file("houmon_kango_13.csv", fmt="kaigo")  # doctest: +SKIP
    >>> rep.rows_read == rep.rows_accepted + rep.rows_rejected  # doctest: +SKIP
    True
    """
    path = Path(path)
    report = ImportReport(file=str(path), kind="facilities")
    table = reading.read_table(path, report)
    if table is None:
        return _empty(), report
    fmt = fmt or detect_format(table.columns)
    report.fmt = fmt
    capabilities.report_columns(table, report)  # capability and unknown columns, reported
    if fmt == "wam":
        records = _wam_records(table, report)
    elif fmt == "kaigo":
        records = _kaigo_records(table, report)
    elif fmt == "generic":
        records = _generic_records(table, report, address_points, municipalities)
    else:
        msg = f"Unknown facility format {fmt!r}; expected wam, kaigo or generic."
        raise KeyError(msg)
    if records is None:
        report.rows_read = 0
        return _empty(), report
    source = {
        "wam": "WAM 障害福祉サービス等情報公表",
        "kaigo": "介護サービス情報公表",
        "generic": "generic",
    }[fmt]
    return _finish(records, report, municipalities, f"{source}: {path.name}")


def _lookup(table, names):
    norm = {columns.normalize(h): h for h in table.columns}
    return {canon: norm.get(columns.normalize(h)) for h, canon in names.items()}


def _wam_records(table, report):
    cols = _lookup(table, _WAM_REQUIRED)
    missing = [h for h, c in _WAM_REQUIRED.items() if cols[c] is None]
    if missing:
        report.error(
            f"{report.name} lacks the WAM columns {missing}; is it the 障害福祉サービス等情報公表 "
            "open-data CSV? Use --format generic for other tables."
        )
        return None
    extra = _lookup(
        table,
        {
            "事業所住所（市区町村）": "city",
            "事業所住所（番地以降）": "street",
            "定員": "capacity",
            "事業所電話番号": "phone",
        },
    )
    unmapped = _unmapped(table, [v for v in (*cols.values(), *extra.values()) if v])
    records = []
    for i, rec in table.iterrows():
        row = reading.row_number(i)

        def get(c, rec=rec):
            return str(rec[cols[c]]) if cols.get(c) else ""

        def gx(c, rec=rec):
            return str(rec[extra[c]]) if extra.get(c) else ""

        records.append(
            {
                "row": row,
                "jigyosho_no": get("facility_id"),
                "name": get("name"),
                "source_service": get("service"),
                "lat": get("lat"),
                "lon": get("lon"),
                "address": gx("city") + gx("street"),
                "stated_address": gx("city"),
                "capacity": gx("capacity"),
                "phone": gx("phone"),
                "fields": {k: v for k, v in cols.items() if v},
                "extra": unmapped.get(i),
            }
        )
    return records


def _kaigo_records(table, report):
    m = columns.resolve(table.columns, "facilities")
    missing = [c for c in ("facility_id", "name", "lat", "lon") if c not in m]
    if missing:
        report.error(
            f"{report.name} lacks the columns {missing} of 介護サービス情報公表 data "
            "(事業所番号, 事業所名, 緯度, 経度)."
        )
        return None
    unmapped = _unmapped(table, m.values())
    records = []
    for i, rec in table.iterrows():
        addr = columns.cell(rec, m, "address")
        stated = columns.cell(rec, m, "pref_name") + columns.cell(rec, m, "municipality_name")
        records.append(
            {
                "row": reading.row_number(i),
                "jigyosho_no": columns.cell(rec, m, "facility_id"),
                "name": columns.cell(rec, m, "name"),
                "source_service": columns.cell(rec, m, "service") or "訪問看護",
                "lat": columns.cell(rec, m, "lat"),
                "lon": columns.cell(rec, m, "lon"),
                "address": addr + columns.cell(rec, m, "address_extra"),
                "stated_address": stated or addr,
                "capacity": columns.cell(rec, m, "capacity"),
                "phone": columns.cell(rec, m, "phone"),
                "fields": dict(m),
                "extra": unmapped.get(i),
            }
        )
    return records


def _generic_records(table, report, address_points, municipalities):
    m = columns.resolve(table.columns, "facilities")
    missing = [c for c in ("facility_id", "name", "service") if c not in m]
    if not ({"lat", "lon"} <= set(m) or "address" in m):
        missing.append("lat/lon or address")
    if missing:
        report.error(
            f"{report.name} lacks the columns {missing}; a facility CSV needs facility_id "
            "[事業所番号], name [事業所名], service [サービス種別] and lat/lon [緯度/経度] or "
            f"address [住所]. Its columns are {list(table.columns)}."
        )
        return None
    points = addresses.load(address_points) if address_points is not None else None
    unmapped = _unmapped(table, m.values())
    records = []
    for i, rec in table.iterrows():
        row = reading.row_number(i)
        r = {
            "row": row,
            "facility_id": columns.cell(rec, m, "facility_id"),
            "jigyosho_no": columns.cell(rec, m, "facility_id"),
            "name": columns.cell(rec, m, "name"),
            "source_service": columns.cell(rec, m, "service"),
            "lat": columns.cell(rec, m, "lat"),
            "lon": columns.cell(rec, m, "lon"),
            "address": columns.cell(rec, m, "address"),
            "stated_address": columns.cell(rec, m, "address"),
            "phone": columns.cell(rec, m, "phone"),
            "municipality_code_text": columns.cell(rec, m, "municipality_code"),
            "source_date": columns.cell(rec, m, "source_date"),
            "fields": dict(m),
            "extra": unmapped.get(i),
        }
        r.update(_capability_cells(rec, m))
        if not (r["lat"] and r["lon"]) and r["address"]:
            if points is None:
                r["problem"] = (
                    "address",
                    r["address"],
                    "no lat/lon and no address points to resolve the address; give lat/lon "
                    "or import with --address-points (位置参照情報)",
                )
            else:
                hit = addresses.geocode_one(r["address"], points)
                if hit["lat"] is None:
                    r["problem"] = ("address", r["address"], hit["reason"])
                else:
                    r["lat"], r["lon"] = str(hit["lat"]), str(hit["lon"])
        records.append(r)
    del municipalities
    return records


_CAPABILITY = ("capacity", "accepts", "age_min", "age_max", "has_power")

#: A capacity above this (places of one office) is rejected as implausible.
MAX_CAPACITY = 1000

_FIX = {
    "capacity": "write the number of places as a whole number (e.g. 5), or leave the cell "
    "empty when unknown",
    "age_min": "write the youngest age accepted in whole years (e.g. 0), or leave it empty",
    "age_max": "write the oldest age accepted in whole years (e.g. 18), or leave it empty",
    "has_power": "write あり/なし (or true/false), or leave it empty when unknown",
}


def _capability_cells(rec, m):
    return {c: columns.cell(rec, m, c) for c in _CAPABILITY}


def _parse_capabilities(r, report, fields):
    """Parse capability text cells of record ``r`` in place; reject the row on a bad value."""
    row = r["row"]
    ok = True
    for name, parse in (
        ("capacity", columns.parse_int),
        ("age_min", columns.parse_int),
        ("age_max", columns.parse_int),
        ("has_power", columns.parse_bool),
    ):
        text = r.get(name, "")
        try:
            r[name] = parse(text) if text else None
        except ValueError as exc:
            r[name] = None
            report.reject(row, fields.get(name, name), text, f"{exc}; {_FIX[name]}")
            ok = False
    cap = r.get("capacity")
    if cap is not None and cap > MAX_CAPACITY:
        report.reject(
            row,
            fields.get("capacity", "capacity"),
            cap,
            f"a capacity of {cap:,} is implausible for one office (more than {MAX_CAPACITY:,}); "
            "check for extra digits or a total of several offices",
        )
        r["capacity"] = None
        ok = False
    text = r.get("accepts", "")
    got, bad = columns.parse_codes(text, "care_types")
    if bad:
        report.reject(
            row,
            fields.get("accepts", "accepts"),
            text,
            f"unknown care {bad}; use labels or codes of data/care_types.csv "
            f"({', '.join(sorted(codes.valid('care_types')))}), or leave empty when unknown",
        )
        ok = False
    r["accepts"] = got
    for name in ("capacity", "age_min", "age_max"):
        if r.get(name) is not None and r[name] < 0:
            report.reject(row, fields.get(name, name), r[name], "must not be negative")
            ok = False
    lo, hi = r.get("age_min"), r.get("age_max")
    if lo is not None and hi is not None and lo > hi:
        report.reject(row, fields.get("age_max", "age_max"), r["age_max"], "below age_min")
        ok = False
    return ok


def _finish(records, report, municipalities, source):
    names = places.municipality_names(municipalities)
    today = _dt.date.today()
    kept = []
    for r in records:
        row, fields = r["row"], r["fields"]
        if "problem" in r:
            report.reject(row, *r["problem"])
            continue
        for key in ("jigyosho_no", "facility_id"):
            raw = r.get(key)
            if raw:
                r[key] = columns.clean_id(raw)
                if r[key] != raw:
                    report.repair(
                        row,
                        fields.get("facility_id", "facility_id"),
                        raw,
                        f"written {r[key]} (full-width letters and digits normalised, NFKC)",
                    )
        if not r["jigyosho_no"]:
            report.reject(row, fields.get("facility_id", "facility_id"), "", "no 事業所番号 / id")
            continue
        if not r["name"]:
            report.reject(row, fields.get("name", "name"), "", "no name")
            continue
        service, problem = service_code(r["source_service"])
        if problem:
            report.reject(row, fields.get("service", "サービス種別"), r["source_service"], problem)
            continue
        r["service"] = service
        if not _parse_capabilities(r, report, fields):
            continue
        got = _coordinates(r, report, fields)
        if got is None:
            continue
        lat, lon = got
        if r.get("source_date"):
            try:
                r["source_date"] = columns.parse_date(r["source_date"], not_after=today)
            except ValueError as exc:
                report.reject(
                    row, fields.get("source_date", "source_date"), r["source_date"], str(exc)
                )
                continue
        problem = places.coordinate_problem(lat, lon)
        if problem:
            report.reject(row, fields.get("lat", "lat"), f"{lat},{lon}", problem)
            continue
        r["lat"], r["lon"] = lat, lon
        stated = None
        code_text = r.get("municipality_code_text")
        if code_text:
            code, problem, note = areas.reconcile_code(code_text)
            if problem:
                report.reject(row, fields.get("municipality_code"), code_text, problem)
                continue
            if note:
                report.repair(row, fields.get("municipality_code"), code_text, note)
            stated = (code,)
        elif r.get("stated_address"):
            stated, _ = places.municipality_from_address(r["stated_address"], names)
        r["stated"] = stated
        if "facility_id" not in r or not r.get("facility_id"):
            r["facility_id"] = f"{r['jigyosho_no']}-{service}"
        kept.append(r)
    kept = places.keep_located(kept, municipalities, report, fields_of(kept))
    seen = {}
    unique = []
    for r in kept:
        fid = r["facility_id"]
        key = columns.id_key(fid)
        if key in seen:
            first_row, first_id = seen[key]
            same = "" if first_id == fid else f" as {first_id!r} (ids ignore case and width)"
            report.reject(
                r["row"],
                r["fields"].get("facility_id", "facility_id"),
                fid,
                f"duplicate id: the same{same} on row {first_row}; each facility and service once",
            )
            continue
        seen[key] = (r["row"], fid)
        unique.append(r)
    extra_cols = sorted({c for r in unique for c in (r.get("extra") or {})})
    if extra_cols:
        report.warn(
            f"{len(extra_cols)} column(s) that are not facility fields kept in the 'extra' column "
            f"(JSON): {', '.join(extra_cols)}"
        )
    report.settle()
    if not unique:
        return _empty(), report
    frame = pd.DataFrame(
        {
            "facility_id": [r["facility_id"] for r in unique],
            "name": [r["name"] for r in unique],
            "service": [r["service"] for r in unique],
            "capacity": pd.array([r.get("capacity") for r in unique], dtype="Int64"),
            "accepts": [r.get("accepts") for r in unique],
            "age_min": pd.array([r.get("age_min") for r in unique], dtype="Int64"),
            "age_max": pd.array([r.get("age_max") for r in unique], dtype="Int64"),
            "has_power": pd.array([r.get("has_power") for r in unique], dtype="boolean"),
            "municipality_code": [r.get("municipality_code") for r in unique],
            "source": source,
            "source_date": [r.get("source_date") or None for r in unique],
            "jigyosho_no": [r["jigyosho_no"] for r in unique],
            "source_service": [r["source_service"] for r in unique],
            "address": [r.get("address") or None for r in unique],
            "phone": [r.get("phone") or None for r in unique],
            "extra": [_extra_json(r.get("extra")) for r in unique],
            "row": [r["row"] for r in unique],
        }
    )
    for col in ("facility_id", "name", "service", "municipality_code", "source", "source_date"):
        frame[col] = frame[col].astype(object)
    for col in ("jigyosho_no", "source_service", "address", "phone", "extra"):
        frame[col] = frame[col].astype(object)
    geoms = places.points_frame(
        [r["lat"] for r in unique], [r["lon"] for r in unique], frame.index
    ).geometry
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=settings.storage_crs)
    logger.info("Read %d facilities from %s", len(gdf), report.name)
    return gdf, report


def fields_of(records):
    """The header of the latitude column of facility records (for rejections)."""
    return records[0]["fields"].get("lat", "lat") if records else "lat"


def _extra_json(extra):
    """Unmapped cells of a row as JSON text (sorted keys), None when there are none."""
    extra = {k: v for k, v in (extra or {}).items() if v not in (None, "")}
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None


def _unmapped(table, used):
    """Per row, the non-empty cells of columns the format does not map (kept in ``extra``)."""
    cols = [c for c in table.columns if c not in set(used) and c]
    return (
        {idx: {c: rec[c] for c in cols if rec[c]} for idx, rec in table[cols].iterrows()}
        if cols
        else {}
    )


def _coordinates(r, report, fields):
    """Parse lat/lon text (decimal or DMS); None with a rejection when either is unreadable."""
    out = []
    for key in ("lat", "lon"):
        try:
            value, note = columns.parse_coordinate(r[key])
        except ValueError as exc:
            report.reject(r["row"], fields.get(key, key), r[key], str(exc))
            return None
        if note:
            report.repair(r["row"], fields.get(key, key), r[key], note)
        out.append(value)
    if out[0] is None or out[1] is None:
        report.reject(
            r["row"], fields.get("lat", "lat"), f"{r['lat']},{r['lon']}", "coordinates are missing"
        )
        return None
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# capability columns


def capabilities_from_file(path):
    """Read a capability table (generic facility CSV columns) keyed on 事業所番号.

    Returns
    -------
    (pandas.DataFrame, ImportReport)
        ``jigyosho_no``, ``service`` (or None), ``capacity``, ``accepts``, ``age_min``,
        ``age_max``, ``has_power`` (None where a cell is empty), ``row``.
    """
    path = Path(path)
    report = ImportReport(file=str(path), kind="facilities", fmt="capabilities")
    cols = ["jigyosho_no", "service", *_CAPABILITY, "row"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    table = reading.read_table(path, report)
    if table is None:
        return empty, report
    m = columns.resolve(table.columns, "facilities")
    if "facility_id" not in m:
        report.error(
            f"{report.name} has no 事業所番号 (facility_id) column to join capabilities on; its "
            f"columns are {list(table.columns)}."
        )
        report.rows_read = 0
        return empty, report
    used = {m[c] for c in ("facility_id", "service", *_CAPABILITY) if c in m}
    unused = [c for c in table.columns if c not in used]
    if unused:
        report.warn(
            f"columns not used by the capacity/accepts/ages/power join: {', '.join(unused)} "
            "(capability columns such as 看護師配置 or 送迎 are read by "
            "geo.importers.capabilities into facility_capabilities)"
        )
    out = []
    for i, rec in table.iterrows():
        r = {"row": reading.row_number(i), "jigyosho_no": columns.cell(rec, m, "facility_id")}
        r["jigyosho_no"] = columns.clean_id(r["jigyosho_no"])
        r.update(_capability_cells(rec, m))
        if not r["jigyosho_no"]:
            report.reject(r["row"], m["facility_id"], "", "no 事業所番号")
            continue
        text = columns.cell(rec, m, "service")
        r["service"] = None
        if text:
            r["service"], problem = service_code(text)
            if problem:
                report.reject(r["row"], m.get("service"), text, problem)
                continue
        if _parse_capabilities(r, report, m):
            out.append(r)
    report.settle()
    report.tables["fields"] = m
    return (pd.DataFrame(out, columns=cols) if out else empty), report


def join_capabilities(facilities, capabilities, report):
    """Set capability columns of ``facilities`` from a capability table (see module docstring).

    A capability row applies to every facility with its 事業所番号, or, when it names a
    service, to that service only. A 短期入所 row from WAM (which cannot tell 福祉型 from 医療型)
    takes the service the capability row names (医療型短期入所 -> short_stay_medical). Empty
    cells leave the facility's value as it is (unknown stays unknown). A row that matches no
    facility is rejected in ``report`` (whose balance is settled again).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``facilities`` with the capabilities applied (same index).
    """
    out = facilities.copy()
    out["accepts"] = out["accepts"].astype(object)
    numbers = out["jigyosho_no"] if "jigyosho_no" in out else out["facility_id"]
    refined = 0
    for r in capabilities.itertuples(index=False):
        mask = (numbers == r.jigyosho_no).to_numpy()
        if r.service is not None:
            same = (out["service"] == r.service).to_numpy()
            refinable = np.array(
                [r.service in refinements(s) for s in out.get("source_service", out["service"])]
            )
            mask = mask & (same | refinable)
        if not mask.any():
            what = f" with service {r.service}" if r.service else ""
            report.reject(
                r.row,
                "事業所番号",
                r.jigyosho_no,
                f"matches no imported facility{what}; check the number or import its WAM/介護 file",
            )
            continue
        idx = out.index[mask]
        if r.service is not None:
            changed = out.loc[idx, "service"] != r.service
            refined += int(changed.sum())
            out.loc[idx, "service"] = r.service
        for name in ("capacity", "age_min", "age_max", "has_power"):
            value = getattr(r, name)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                out.loc[idx, name] = value
        if r.accepts is not None:
            for i in idx:
                out.at[i, "accepts"] = list(r.accepts)
    if refined:
        report.warn(f"{refined} facility service(s) set from the capability table (e.g. 医療型)")
    if "facility_id" in out and "jigyosho_no" in out:
        sources = out.get("source_service", out["service"])
        new_ids = [
            f"{n}-{s}" if fid == f"{n}-{services_of(src)}" else fid
            for fid, n, s, src in zip(
                out["facility_id"], out["jigyosho_no"], out["service"], sources, strict=True
            )
        ]
        out["facility_id"] = pd.Series(new_ids, index=out.index, dtype=object)
    report.settle()
    return out


def services_of(source_service):
    """The service code a source サービス種別 maps to (None when unmapped)."""
    return service_code(source_service)[0]
