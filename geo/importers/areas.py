"""圏域 tables: which area of each kind every municipality belongs to; areas by dissolving.

A table lists a municipality code and an area name per row, in one of two shapes:

- long: ``市区町村コード`` + ``圏域`` (+ ``種別`` for the kind, e.g. 障害保健福祉圏域; without it
  the kind is the file name without its suffix);
- wide: ``市区町村コード`` + one column per kind whose header is the kind
  (``障害保健福祉圏域``, ``二次医療圏`` ...) and whose cells are area names.

Codes may be 5-digit N03 codes (13202) or 6-digit 全国地方公共団体コード with their check digit
(132021): the check digit is verified and the code reconciled to 5 digits. A code that lost its
leading zero in Excel (1100 for 01100) is padded and reported as repaired. Every municipality
of the boundaries must belong to exactly one area of each kind: a municipality missing from a
kind, or listed twice, is an error that names it and the import fails.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .. import settings
from . import columns, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5):
    """Check digit of a 5-digit code (全国地方公共団体コード, JIS X 0402).

    Examples
    --------
    >>> check_digit("13202"), check_digit("13101"), check_digit("42202")
    (1, 6, 9)
    """
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def reconcile_code(text):
    """Reconcile a municipality code to 5 digits.

    Returns
    -------
    (str or None, str or None, str or None)
        The 5-digit code, a problem (the row is rejected) and a repair note.

    Examples
    --------
    >>> reconcile_code("132021")
    ('13202', None, None)
    >>> reconcile_code("132022")[1]
    'check digit is 2 but 13202 has check digit 1 (132021); check the code'
    """
    t = columns.normalize(text)
    if t.endswith(".0"):
        t = t[:-2]
    if not t.isdigit():
        return None, "expected a 5-digit N03 code or a 6-digit 全国地方公共団体コード", None
    if len(t) == 4:
        return "0" + t, None, f"padded to 0{t} (the leading zero was lost)"
    if len(t) == 5:
        return t, None, None
    if len(t) == 6:
        want = check_digit(t[:5])
        if int(t[5]) != want:
            return (
                None,
                f"check digit is {t[5]} but {t[:5]} has check digit {want} ({t[:5]}{want}); "
                "check the code",
                None,
            )
        return t[:5], None, None
    return None, f"expected 5 or 6 digits, got {len(t)}", None


def _same_name(given, name, city):
    g = columns.normalize(given)
    full = columns.normalize(name)
    if g == full:
        return True
    # a ward written without its designated city (中央区 for 熊本市中央区)
    return bool(city) and full == columns.normalize(city) + g


def members_from_file(path, *, municipalities=None, kind=None):
    """Read one 圏域 table into ``area_members`` rows (``area``, ``kind``, ``municipality_code``).

    Row problems (bad code, unknown municipality, name that contradicts the code, duplicate)
    are rejections; completeness is checked over all tables by :func:`areas_from_files`.

    Returns
    -------
    (pandas.DataFrame, ImportReport)
    """
    path = Path(path)
    report = ImportReport(file=str(path), kind="areas")
    cols = ["area", "kind", "municipality_code", "row"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    table = reading.read_table(path, report)
    if table is None:
        return empty, report
    m = columns.resolve(table.columns, "areas")
    if "municipality_code" not in m:
        report.error(
            f"{path.name} has no municipality code column (市区町村コード / municipality_code); "
            f"its columns are {list(table.columns)}."
        )
        return empty, report
    used = {v for k, v in m.items()}
    if "area" in m:
        report.fmt = "long"
        kinds = None
    else:
        kinds = [c for c in table.columns if c not in used and c]
        report.fmt = "wide"
        if not kinds:
            report.error(
                f"{path.name} has no area column: give 圏域 (with 種別 for the kind) or one "
                "column per kind whose header is the kind name (e.g. 障害保健福祉圏域)."
            )
            return empty, report
    default_kind = kind or path.stem
    names = {}
    if municipalities is not None:
        names = {
            c: (n, ci)
            for c, n, ci in zip(
                municipalities["code"],
                municipalities["name"],
                municipalities.get("city", [None] * len(municipalities)),
                strict=True,
            )
        }
    rows = []
    for i, rec in table.iterrows():
        row = reading.row_number(i)
        raw = columns.cell(rec, m, "municipality_code")
        code, problem, repair = reconcile_code(raw)
        if problem:
            report.reject(row, m["municipality_code"], raw, problem)
            continue
        if names and code not in names:
            report.reject(
                row,
                m["municipality_code"],
                raw,
                f"{code} is not a municipality of the boundaries (import the N03 file of the "
                "prefecture first, or correct the code)",
            )
            continue
        given = columns.cell(rec, m, "municipality_name")
        if names and given and not _same_name(given, *names[code]):
            report.reject(
                row,
                m.get("municipality_name", "市区町村名"),
                given,
                f"code {raw} is {names[code][0]} in the boundaries, not {given}",
            )
            continue
        if kinds is None:
            pairs = [(columns.cell(rec, m, "kind") or default_kind, columns.cell(rec, m, "area"))]
        else:
            pairs = [(k, str(rec[k]).strip()) for k in kinds]
        blank = [k for k, a in pairs if not a]
        if blank:
            report.reject(row, m.get("area", blank[0]), "", f"no area name for kind {blank[0]}")
            continue
        if repair:
            report.repair(row, m["municipality_code"], raw, repair)
        for k, a in pairs:
            rows.append({"area": a, "kind": k, "municipality_code": code, "row": row})
    frame = pd.DataFrame(rows, columns=cols) if rows else empty
    report.settle()
    return frame, report


def areas_from_files(paths, municipalities, *, kind=None):
    """Build the ``areas`` and ``area_members`` layers from one or more 圏域 tables.

    Parameters
    ----------
    paths : list of path
        The tables (CSV UTF-8 or CP932, or Excel).
    municipalities : geopandas.GeoDataFrame
        The ``municipalities`` layer; areas are dissolved from its polygons.
    kind : str, optional
        Kind for a long table without a kind column (default: the file name without suffix).

    Returns
    -------
    (dict, list of ImportReport)
        ``{"areas": GeoDataFrame, "area_members": DataFrame}`` and one report per file. A
        municipality missing from a kind, or listed twice, is an error in the report of the
        file that defines the kind (the import must not write the areas).

    Examples
    --------
    >>> layers, reports = areas_from_files(["圏域.csv"], munis)  # doctest: +SKIP
    >>> sorted(layers)  # doctest: +SKIP
    ['area_members', 'areas']
    """
    reports, frames = [], []
    for path in paths:
        frame, rep = members_from_file(path, municipalities=municipalities, kind=kind)
        frame["report"] = len(reports)
        reports.append(rep)
        frames.append(frame)
    members = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    all_codes = list(municipalities["code"]) if municipalities is not None else []
    names = dict(zip(all_codes, municipalities["name"], strict=True)) if all_codes else {}
    if len(members):
        dup = members.duplicated(["kind", "municipality_code"], keep=False)
        for (k, code), grp in members[dup].groupby(["kind", "municipality_code"]):
            where = ", ".join(
                f"{reports[r].name} row {row}" for r, row in zip(grp.report, grp.row, strict=True)
            )
            for r, row in zip(grp.report, grp.row, strict=True):
                reports[r].reject(
                    row,
                    "municipality_code",
                    code,
                    f"{names.get(code, code)} ({code}) is listed {len(grp)} times for kind {k} "
                    f"({where}); a municipality belongs to exactly one area of each kind",
                )
    for rep in reports:
        rep.settle()
    # rows rejected for one kind (duplicates) drop out of every kind of that row
    rejected = {(r, row) for r, rep in enumerate(reports) for row in rep.rejected_rows()}
    if len(members):
        pairs = zip(members["report"], members["row"], strict=True)
        members = members[[(r, row) not in rejected for r, row in pairs]]
    if all_codes:
        kinds_seen = {}
        for r, frame in enumerate(frames):
            for k in frame["kind"].unique() if len(frame) else []:
                kinds_seen.setdefault(k, r)
        for k, r in kinds_seen.items():
            have = set(members.loc[members["kind"] == k, "municipality_code"])
            missing = [c for c in all_codes if c not in have]
            if missing:
                listed = ", ".join(f"{names[c]} ({c})" for c in missing)
                reports[r].error(
                    f"kind {k}: {len(missing)} municipality(ies) of the boundaries belong to no "
                    f"area: {listed}. Add a row for each (every municipality belongs to exactly "
                    "one area of each kind)."
                )
    members = members.reset_index(drop=True)
    members["area_id"] = [f"{k}:{a}" for k, a in zip(members["kind"], members["area"])]
    area_members = pd.DataFrame(
        {
            "area_id": members["area_id"].astype(object),
            "kind": members["kind"].astype(object),
            "municipality_code": members["municipality_code"].astype(object),
        }
    )
    areas = dissolve(area_members, members, municipalities)
    return {"areas": areas, "area_members": area_members}, reports


def dissolve(area_members, members, municipalities):
    """Dissolve municipality polygons into one polygon per area."""
    cols = {"area_id": [], "name": [], "kind": [], "n_municipalities": []}
    geoms = []
    if municipalities is not None and len(area_members):
        poly = dict(zip(municipalities["code"], municipalities.geometry, strict=True))
        names = dict(zip(members["area_id"], members["area"], strict=True))
        for (area_id, k), grp in area_members.groupby(["area_id", "kind"], sort=True):
            parts = [poly[c] for c in grp["municipality_code"] if c in poly]
            cols["area_id"].append(area_id)
            cols["name"].append(names[area_id])
            cols["kind"].append(k)
            cols["n_municipalities"].append(len(grp))
            geoms.append(shapely.union_all(parts))
    frame = pd.DataFrame(cols).astype({"area_id": object, "name": object, "kind": object})
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=settings.storage_crs)
