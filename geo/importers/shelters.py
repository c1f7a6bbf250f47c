"""Shelters from 国土地理院 指定緊急避難場所・指定避難所 data (GeoJSON or CSV) and municipal lists.

- 指定緊急避難場所 (emergency evacuation sites) carry one flag per hazard (洪水, 崖崩れ、土石流
  及び地滑り, 高潮, 地震, 津波, 大規模な火事, 内水氾濫, 火山現象; "1" = designated). The flags map
  to hazard codes through ``data/shelter_hazards.csv``; a flag whose row there has no hazard
  code is kept in ``other_hazards`` (none today: every GSI flag has a code).
- 指定避難所 (designated shelters) have no flags; a shelter whose 受入対象者 is filled
  (要配慮者, 高齢者, 障害者 ...) is a ``welfare_shelter`` (福祉避難所-type). When the emergency
  sites of the same municipality are imported too, a shelter at the same facility (same
  共通ID up to the last three characters, 指定緊急避難場所との住所同一 = 1) takes its hazards.
- A municipal list (名称, 緯度, 経度, 施設種別, 対応している災害の種別) is read the same way.

Points are checked against the municipality of their address (住所), else the 団体コード.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import codes, settings
from . import areas, columns, places, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

LAYER_COLUMNS = [
    "shelter_id",
    "name",
    "kind",
    "hazards_ok",
    "has_power",
    "accepts_medical",
    "capacity",
    "municipality_code",
    "address",
    "accepts_people",
    "other_hazards",
    "hazards_from",
    "source",
]


@cache
def _hazard_flags():
    df = pd.read_csv(settings.data_dir / "shelter_hazards.csv", dtype=str, keep_default_na=False)
    return dict(zip(df["label"], df["hazard_type"], strict=True))


def hazards_from_text(text):
    """Split a hazard list (対応している災害の種別) into hazard codes and other hazards.

    Known labels are matched whole first, so 崖崩れ、土石流及び地滑り is one hazard even though it
    contains a 、.

    Examples
    --------
    >>> hazards_from_text("洪水・崖崩れ、土石流及び地滑り・地震")
    (['flood', 'landslide', 'earthquake'], [])
    """
    text = columns.normalize(text)
    rest = text
    found, other = [], []
    flags = _hazard_flags()
    labels = {columns.normalize(k): k for k in flags}
    labels.update({columns.normalize(k): k for k in codes.label_to_code("hazard_types")})
    for key in sorted(labels, key=len, reverse=True):
        if key and key in rest:
            label = labels[key]
            code = flags.get(label) or codes.label_to_code("hazard_types").get(label)
            (found if code else other).append((text.find(key), code or label))
            rest = rest.replace(key, "・")
    for item in codes.split_list(rest) or []:
        other.append((text.find(item), item))
    found = [c for _, c in sorted(found)]
    other = [c for _, c in sorted(other)]
    return list(dict.fromkeys(found)), list(dict.fromkeys(other))


def _kind_from_text(text):
    t = columns.normalize(text)
    lookup = {columns.normalize(k): v for k, v in codes.label_to_code("shelter_kinds").items()}
    if t in lookup:
        return lookup[t]
    if "福祉避難所" in t:
        return "welfare_shelter"
    if "避難所" in t:
        return "designated_shelter"
    if "避難場所" in t:
        return "emergency_site"
    return None


def _empty():
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LAYER_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.storage_crs))


def shelters_from_file(path, *, municipalities=None):
    """Read a GSI shelter file (GeoJSON/CSV) or a municipal shelter list into ``shelters``.

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)

    Examples
    --------
    >>> sh, rep = shelters_from_file("gsi_shitei_hinanjo_13.geojson")  # doctest: +SKIP
    >>> sorted(sh["kind"].unique())  # doctest: +SKIP
    ['designated_shelter', 'welfare_shelter']
    """
    path = Path(path)
    report = ImportReport(file=str(path), kind="shelters")
    if reading.is_vector(path):
        table = reading.read_features(path, report)
        if table is None:
            return _empty(), report
        lats = [g.y if g is not None and g.geom_type == "Point" else None for g in table.geometry]
        lons = [g.x if g is not None and g.geom_type == "Point" else None for g in table.geometry]
        table = pd.DataFrame(table.drop(columns="geometry"))
        vector = True
    else:
        table = reading.read_table(path, report)
        if table is None:
            return _empty(), report
        vector = False
    m = columns.resolve(table.columns, "shelters")
    flags = [c for c in table.columns if columns.normalize(c) in _flag_keys()]
    if not vector:
        if not {"lat", "lon"} <= set(m):
            report.error(
                f"{path.name} has no 緯度/経度 (lat/lon) columns; its columns are "
                f"{list(table.columns)}."
            )
            report.rows_read = 0
            return _empty(), report
        lats = [columns.cell(r, m, "lat") for _, r in table.iterrows()]
        lons = [columns.cell(r, m, "lon") for _, r in table.iterrows()]
    if "name" not in m:
        report.error(f"{path.name} has no name column (施設・場所名 / 名称 / name).")
        report.rows_read = 0
        return _empty(), report
    unused = [c for c in table.columns if c and c not in set(m.values()) | set(flags)]
    if unused:
        report.warn(f"columns not imported (no shelter field reads them): {', '.join(unused)}")
    if flags:
        report.fmt = "gsi_emergency_site"
    elif "accepts_people" in m:
        report.fmt = "gsi_shelter"
    else:
        report.fmt = "generic"
    names = places.municipality_names(municipalities)
    kept = []
    for pos, (idx, rec) in enumerate(table.iterrows()):
        row = reading.row_number(idx, vector=vector)
        name = columns.cell(rec, m, "name")
        if not name:
            report.reject(row, m["name"], "", "no name")
            continue
        try:
            lat = columns.parse_coordinate(lats[pos])[0] if lats[pos] is not None else None
            lon = columns.parse_coordinate(lons[pos])[0] if lons[pos] is not None else None
        except ValueError as exc:
            report.reject(row, m.get("lat", "geometry"), f"{lats[pos]},{lons[pos]}", str(exc))
            continue
        problem = places.coordinate_problem(lat, lon)
        if problem:
            report.reject(row, m.get("lat", "geometry"), f"{lat},{lon}", problem)
            continue
        people = columns.cell(rec, m, "accepts_people")
        hazards_ok, other = [], []
        if flags:
            kind = "emergency_site"
            for col in flags:
                if columns.normalize(rec[col]) in ("1", "○", "〇"):
                    code = _hazard_flags().get(col) or _flag_keys()[columns.normalize(col)]
                    (hazards_ok if code else other).append(code or col)
        elif report.fmt == "gsi_shelter":
            kind = "welfare_shelter" if people else "designated_shelter"
        else:
            text = columns.cell(rec, m, "kind")
            kind = _kind_from_text(text) if text else "designated_shelter"
            if kind is None:
                valid = ", ".join(sorted(codes.valid("shelter_kinds")))
                report.reject(
                    row, m["kind"], text, f"unknown shelter kind; use 指定避難所 etc. or {valid}"
                )
                continue
            if people and kind == "designated_shelter":
                kind = "welfare_shelter"
        if "hazards_ok" in m:
            got, more = hazards_from_text(columns.cell(rec, m, "hazards_ok"))
            hazards_ok += got
            other += more
        caps = {}
        bad = False
        for field_, parse in (
            ("has_power", columns.parse_bool),
            ("accepts_medical", columns.parse_bool),
            ("capacity", columns.parse_int),
        ):
            text = columns.cell(rec, m, field_)
            try:
                caps[field_] = parse(text)
            except ValueError as exc:
                report.reject(row, m[field_], text, str(exc))
                bad = True
        if bad:
            continue
        address = columns.cell(rec, m, "address")
        stated, _ = places.municipality_from_address(address, names) if address else (None, None)
        group = columns.cell(rec, m, "group_code")
        if stated is None and group:
            code, problem, _ = areas.reconcile_code(group)
            stated = (code,) if code else None
        sid = columns.clean_id(columns.cell(rec, m, "shelter_id")) or f"{path.stem}:{row}"
        kept.append(
            {
                "row": row,
                "shelter_id": sid,
                "name": name,
                "kind": kind,
                "hazards_ok": list(dict.fromkeys(hazards_ok)),
                "other_hazards": ";".join(dict.fromkeys(other)) or None,
                "accepts_people": people or None,
                "address": address or None,
                "same_address": columns.cell(rec, m, "same_address") == "1",
                "lat": lat,
                "lon": lon,
                "stated": stated,
                **caps,
            }
        )
    kept = places.keep_located(kept, municipalities, report, m.get("lat", "geometry"))
    seen, unique = {}, []
    for r in kept:
        key = columns.id_key(r["shelter_id"])
        if key in seen:
            report.reject(
                r["row"],
                m.get("shelter_id", "shelter_id"),
                r["shelter_id"],
                f"duplicate id (first on row {seen[key]}; ids ignore case and width)",
            )
            continue
        seen[key] = r["row"]
        unique.append(r)
    report.settle()
    if not unique:
        return _empty(), report
    frame = pd.DataFrame(
        {
            "shelter_id": [r["shelter_id"] for r in unique],
            "name": [r["name"] for r in unique],
            "kind": [r["kind"] for r in unique],
            "hazards_ok": [r["hazards_ok"] for r in unique],
            "has_power": pd.array([r.get("has_power") for r in unique], dtype="boolean"),
            "accepts_medical": pd.array(
                [r.get("accepts_medical") for r in unique], dtype="boolean"
            ),
            "capacity": pd.array([r.get("capacity") for r in unique], dtype="Int64"),
            "municipality_code": [r.get("municipality_code") for r in unique],
            "address": [r["address"] for r in unique],
            "accepts_people": [r["accepts_people"] for r in unique],
            "other_hazards": [r["other_hazards"] for r in unique],
            "hazards_from": None,
            "source": f"{report.fmt}: {path.name}",
            "same_address": [r["same_address"] for r in unique],
            "row": [r["row"] for r in unique],
        }
    )
    for col in frame.columns:
        if frame[col].dtype.kind in "OU" or str(frame[col].dtype) in ("str", "string"):
            frame[col] = frame[col].astype(object)
    geoms = places.points_frame([r["lat"] for r in unique], [r["lon"] for r in unique], frame.index)
    gdf = gpd.GeoDataFrame(frame, geometry=geoms.geometry, crs=settings.storage_crs)
    logger.info("Read %d shelters from %s", len(gdf), path.name)
    return gdf, report


@cache
def _flag_keys():
    return {columns.normalize(k): v for k, v in _hazard_flags().items()}


def combine(frames, reports):
    """Concatenate shelter layers, reject ids seen in an earlier file, link shelters to sites.

    A 指定避難所 whose 共通ID (without its last three characters) equals an emergency site's and
    whose address is the same as that site's takes the site's ``hazards_ok`` (``hazards_from``
    records the site id).

    Returns
    -------
    geopandas.GeoDataFrame
    """
    parts = []
    seen = set()
    for frame, rep in zip(frames, reports, strict=True):
        if not len(frame):
            continue
        dup = frame["shelter_id"].isin(seen)
        for row, sid in zip(frame.loc[dup, "row"], frame.loc[dup, "shelter_id"], strict=True):
            rep.reject(row, "shelter_id", sid, "id already imported from an earlier shelter file")
        seen |= set(frame["shelter_id"])
        parts.append(frame[~dup])
        rep.settle()
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.storage_crs)
    sites = out[out["kind"] == "emergency_site"]
    by_facility = {
        sid[:-3]: (sid, hz)
        for sid, hz in zip(sites["shelter_id"], sites["hazards_ok"], strict=True)
        if len(sid) > 3
    }
    hazards_from = list(out["hazards_from"])
    hazards_ok = list(out["hazards_ok"])
    for i, (sid, kind, same) in enumerate(
        zip(out["shelter_id"], out["kind"], out["same_address"], strict=True)
    ):
        if kind == "emergency_site" or not same or len(sid) <= 3:
            continue
        hit = by_facility.get(sid[:-3])
        if hit and not hazards_ok[i]:
            hazards_ok[i] = list(hit[1])
            hazards_from[i] = hit[0]
    out["hazards_ok"] = pd.Series(hazards_ok, index=out.index, dtype=object)
    out["hazards_from"] = pd.Series(hazards_from, index=out.index, dtype=object)
    return out.drop(columns=["same_address", "row"])
