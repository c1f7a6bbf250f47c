"""A child register (台帳) CSV or Excel sheet into the ``children`` layer.

Columns (English or Japanese, ``data/column_aliases.csv``): ``child_id`` [管理番号], ``age``
[年齢] (or ``birth_date`` [生年月日]), ``care`` [医療的ケア] (Japanese labels or codes,
separated by ``;``, ``、`` or ``,``), ``lat``/``lon`` [緯度/経度] or ``address`` [住所], optional
``mobility`` [移動], ``has_evac_plan`` [個別避難計画], ``last_verified`` [確認日],
``municipality_code`` [市区町村コード]. UTF-8 or CP932, detected.

Addresses are resolved offline against 位置参照情報 町丁目 points (:mod:`.addresses`). A row whose
address does not resolve is rejected with the reason *and* kept in the side table
``children_unresolved`` (written to the workspace), so nobody silently leaves the register.
Other columns (names, street addresses) are kept as they are: they stay in the workspace.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import codes, settings
from . import addresses, areas, columns, places, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

LAYER_COLUMNS = [
    "child_id",
    "age",
    "care",
    "mobility",
    "municipality_code",
    "has_evac_plan",
    "last_verified",
    "location_source",
]


def _empty():
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LAYER_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.storage_crs))


def _age_from_birth(text, as_of):
    born = _dt.date.fromisoformat(columns.parse_date(text, not_after=as_of))
    years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    return years


def children_from_register(path, *, municipalities=None, address_points=None, as_of=None):
    """Read a child register into the ``children`` layer.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or CP932) or Excel.
    municipalities : geopandas.GeoDataFrame, optional
        Points are checked against the stated municipality (市区町村コード or the address's
        municipality) and get ``municipality_code``.
    address_points : path or DataFrame, optional
        位置参照情報 町丁目 points for rows given by address.
    as_of : datetime.date, optional
        Date ages are computed at from a 生年月日 column (default today).

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)
        The report's ``tables["children_unresolved"]`` lists rows whose address did not resolve.

    Examples
    --------
    >>> kids, rep = children_from_register(
    ...     "register.csv", address_points="machi.csv")  # doctest: +SKIP
    >>> rep.tables["children_unresolved"]  # doctest: +SKIP
    """
    path = Path(path)
    as_of = as_of or _dt.date.today()
    report = ImportReport(file=str(path), kind="children")
    table = reading.read_table(path, report)
    if table is None:
        return _empty(), report
    m = columns.resolve(table.columns, "children")
    missing = [c for c in ("child_id", "care") if c not in m]
    if "age" not in m and "birth_date" not in m:
        missing.append("age (or birth_date)")
    if not ({"lat", "lon"} <= set(m) or "address" in m):
        missing.append("lat/lon or address")
    if missing:
        report.error(
            f"{path.name} lacks the columns {missing}; a register needs child_id [管理番号], "
            "age [年齢], care [医療的ケア] and lat/lon [緯度/経度] or address [住所]. Its columns "
            f"are {list(table.columns)}."
        )
        report.rows_read = 0
        return _empty(), report
    points = addresses.load(address_points) if address_points is not None else None
    names = places.municipality_names(municipalities)
    known = set(m.values())
    extra_cols = [c for c in table.columns if c not in known]
    kept, unresolved = [], []
    for i, rec in table.iterrows():
        row = reading.row_number(i)
        r = {"row": row, "extra": {c: rec[c] or None for c in extra_cols}}
        raw_id = columns.cell(rec, m, "child_id")
        cid = columns.clean_id(raw_id)
        if not cid:
            report.reject(row, m["child_id"], "", "no child id")
            continue
        if cid != raw_id:
            report.repair(
                row, m["child_id"], raw_id, f"written {cid} (full-width letters and digits, NFKC)"
            )
        r["child_id"] = cid
        problems = []
        age_text = columns.cell(rec, m, "age")
        birth_text = columns.cell(rec, m, "birth_date")
        if age_text:
            try:
                r["age"] = columns.parse_int(age_text)
            except ValueError as exc:
                problems.append((m["age"], age_text, f"{exc}; give the age in whole years (4)"))
        elif birth_text:
            try:
                r["age"] = _age_from_birth(birth_text, as_of)
            except ValueError as exc:
                problems.append(
                    (
                        m["birth_date"],
                        birth_text,
                        f"{exc}; give the birth date as 2020-04-01 or 令和2年4月1日",
                    )
                )
        else:
            problems.append(
                (m.get("age", m.get("birth_date", "age")), "", "no age and no birth date")
            )
        age = r.get("age")
        if age is not None and not (0 <= age <= settings.max_child_age):
            problems.append((m.get("age", "age"), age, f"expected 0-{settings.max_child_age}"))
        care_text = columns.cell(rec, m, "care")
        care, bad = columns.parse_codes(care_text, "care_types")
        if bad:
            valid = ", ".join(sorted(codes.valid("care_types")))
            problems.append(
                (
                    m["care"],
                    care_text,
                    f"unknown care {bad}; use Japanese labels or codes ({valid})",
                )
            )
        if care is None and not bad:
            problems.append(
                (
                    m["care"],
                    "",
                    "no care given; write the care the child needs, or なし when none (an "
                    "empty cell is unknown, not 'none')",
                )
            )
        r["care"] = care if care is not None else []
        mob = columns.cell(rec, m, "mobility")
        r["mobility"] = None
        if mob:
            got, bad = columns.parse_codes(mob, "mobility")
            if bad or len(got or []) != 1:
                problems.append(
                    (m["mobility"], mob, f"expected one of {sorted(codes.valid('mobility'))}")
                )
            else:
                r["mobility"] = got[0]
        for name, parse in (
            ("has_evac_plan", columns.parse_bool),
            ("last_verified", lambda t: columns.parse_date(t, not_after=_dt.date.today())),
        ):
            text = columns.cell(rec, m, name)
            try:
                r[name] = parse(text) if text else None
            except ValueError as exc:
                problems.append((m[name], text, str(exc)))
        code_text = columns.cell(rec, m, "municipality_code")
        r["stated"] = None
        if code_text:
            code, problem, note = areas.reconcile_code(code_text)
            if problem:
                problems.append((m["municipality_code"], code_text, problem))
            else:
                r["stated"] = (code,)
                if note:
                    report.repair(row, m["municipality_code"], code_text, note)
        if problems:
            for p in problems:
                report.reject(row, *p)
            continue
        address = columns.cell(rec, m, "address")
        lat_t, lon_t = columns.cell(rec, m, "lat"), columns.cell(rec, m, "lon")
        if lat_t or lon_t:
            got = []
            for key, text in (("lat", lat_t), ("lon", lon_t)):
                try:
                    value, note = columns.parse_coordinate(text)
                except ValueError as exc:
                    report.reject(row, m.get(key, key), text, str(exc))
                    break
                if note:
                    report.repair(row, m.get(key, key), text, note)
                got.append(value)
            if len(got) < 2:
                continue
            r["lat"], r["lon"] = got
            r["location_source"] = "latlon"
        elif address:
            if points is None:
                reason = (
                    "no lat/lon, and no 位置参照 address points to resolve the address: write "
                    "緯度/経度, or import the address points (ikemap import --address-points)"
                )
                hit = {"lat": None, "reason": reason}
            else:
                hit = addresses.geocode_one(address, points)
            if hit["lat"] is None:
                report.reject(row, m["address"], address, f"address not resolved: {hit['reason']}")
                unresolved.append(
                    {"child_id": cid, "row": row, "address": address, "reason": hit["reason"]}
                )
                continue
            r["lat"], r["lon"] = hit["lat"], hit["lon"]
            r["location_source"] = f"address:{hit['city']}{hit['town']}"
            if r["stated"] is None:
                r["stated"], _ = places.municipality_from_address(address, names)
        else:
            report.reject(row, m.get("lat", m.get("address", "lat")), "", "no lat/lon or address")
            continue
        problem = places.coordinate_problem(r["lat"], r["lon"])
        if problem:
            report.reject(row, m.get("lat", "lat"), f"{r['lat']},{r['lon']}", problem)
            continue
        kept.append(r)
    kept = places.keep_located(kept, municipalities, report, m.get("lat", "address"))
    seen, unique = {}, []
    for r in kept:
        key = columns.id_key(r["child_id"])
        if key in seen:
            first_row, first_id = seen[key]
            same = (
                "" if first_id == r["child_id"] else f" as {first_id!r} (ids ignore case and width)"
            )
            report.reject(
                r["row"],
                m["child_id"],
                r["child_id"],
                f"duplicate id: the same{same} on row {first_row}",
            )
            continue
        seen[key] = (r["row"], r["child_id"])
        unique.append(r)
    report.settle()
    report.tables["children_unresolved"] = pd.DataFrame(
        unresolved, columns=["child_id", "row", "address", "reason"]
    ).astype(object)
    if unresolved:
        report.warn(
            f"{len(unresolved)} address(es) not resolved; listed in children_unresolved "
            "(fix the address or give lat/lon)"
        )
    if not unique:
        return _empty(), report
    frame = pd.DataFrame(
        {
            "child_id": [r["child_id"] for r in unique],
            "age": pd.array([r["age"] for r in unique], dtype="Int64"),
            "care": [r["care"] for r in unique],
            "mobility": [r["mobility"] for r in unique],
            "municipality_code": [r.get("municipality_code") for r in unique],
            "has_evac_plan": pd.array([r["has_evac_plan"] for r in unique], dtype="boolean"),
            "last_verified": [r["last_verified"] for r in unique],
            "location_source": [r["location_source"] for r in unique],
        }
    )
    for col in ("child_id", "mobility", "municipality_code", "last_verified", "location_source"):
        frame[col] = frame[col].astype(object)
    for col in extra_cols:
        if col not in frame.columns:
            frame[col] = pd.Series([r["extra"][col] for r in unique], dtype=object)
    geoms = places.points_frame([r["lat"] for r in unique], [r["lon"] for r in unique], frame.index)
    gdf = gpd.GeoDataFrame(frame, geometry=geoms.geometry, crs=settings.storage_crs)
    logger.info("Read %d children from %s", len(gdf), path.name)
    return gdf, report
