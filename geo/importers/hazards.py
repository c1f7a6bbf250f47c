"""Hazard polygons through a small field map per layout; levels from ``data/hazard_levels.csv``.

Layouts (``layout``; detected from the columns when omitted):

========== ============ ================================ =====================================
layout     hazard_type  level field                      values
========== ============ ================================ =====================================
a31        flood        A31a_205, A31a_105, A31_201,     浸水深ランク codes 1-6 (source_code)
                        A31_101
a33        landslide    A33_002 (区域区分)                1 警戒区域, 2 特別警戒区域 (3/4: the
                                                         same before designation)
a40        tsunami      A40_003                          depth band text (1m以上2m未満)
a49        storm_surge  A49_003                          depth band text
tokyo      landslide    kubun (区域区分)                  警戒区域 / 特別警戒区域 (東京都建設局
                                                         layout: genshoname, kubun, new_city)
a31d       flood        A31a_305, A31_301 (浸水継続時間)  duration codes 1-7
                                                         (``data/hazard_durations.csv``)
generic    hazard_type  level, or depth_m, or label      a level, a depth in m or a band text
plateau    per file     uro:rank / rankOrg / areaType    PLATEAU CityGML (fld, tnm, htd, ifld,
                                                         lsld); :mod:`geo.importers.plateau`
========== ============ ================================ =====================================

Depth is kept as data: ``depth_min_m`` / ``depth_max_m`` are the bounds of the zone's depth band
(``depth_max_m`` empty for an open band such as 20 m and deeper) and ``depth_m`` is, for
compatibility, always the band's **lower bound** (= ``depth_min_m``); a generic file that gives an
exact depth gets a band of that one value. ``duration_h`` is the lower bound of the inundation
duration band (hours; ``duration_max_h`` the upper) where the layout has one. A31 duration layers
(``a31d``) come as their own polygons: they are rows of level 0 (a zone without a depth band: it
never closes roads and never counts as exposure, but gives the duration of the points inside).
The 家屋倒壊等氾濫想定区域 layer (A31a_405) uses another code list and is not read.
Invalid rings (unclosed, self-intersecting) are repaired
and counted as repairs, not fatal; features whose geometry cannot be repaired are rejected.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import codes, settings
from . import columns, plateau, reading
from .report import ImportReport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """Field map of one hazard layout."""

    name: str
    hazard_type: str | None
    level_fields: tuple
    how: str  # "code" (source_code of hazard_levels), "depth" (band text), "map"
    values: dict = field(default_factory=dict)
    label_fields: tuple = ()
    description: str = ""


LAYOUTS = {
    "a31": Layout(
        "a31",
        "flood",
        ("A31a_205", "A31a_105", "A31_201", "A31_101"),
        "code",
        label_fields=("A31a_202", "A31a_102", "A31_202", "A31_102"),
        description="国土数値情報 A31 洪水浸水想定区域 (浸水深ランク)",
    ),
    "a33": Layout(
        "a33",
        "landslide",
        ("A33_002",),
        "code",
        values={"3": 1, "4": 2},
        label_fields=("A33_005",),
        description="国土数値情報 A33 土砂災害警戒区域",
    ),
    "a40": Layout(
        "a40",
        "tsunami",
        ("A40_003",),
        "depth",
        description="国土数値情報 A40 津波浸水想定",
    ),
    "a49": Layout(
        "a49",
        "storm_surge",
        ("A49_003",),
        "depth",
        description="国土数値情報 A49 高潮浸水想定区域",
    ),
    "tokyo": Layout(
        "tokyo",
        "landslide",
        ("kubun",),
        "map",
        values={"警戒区域": 1, "特別警戒区域": 2},
        label_fields=("keiryuname", "kashoname", "chikuname"),
        description="東京都 土砂災害警戒区域等 (建設局 shapefile layout)",
    ),
    "a31d": Layout(
        "a31d",
        "flood",
        ("A31a_305", "A31_301"),
        "duration",
        description="国土数値情報 A31 洪水浸水想定区域 (浸水継続時間)",
    ),
    "generic": Layout("generic", None, ("level", "depth_m", "label"), "generic"),
    "plateau": Layout(
        "plateau", None, (), "plateau", description="PLATEAU 3D都市モデル 災害リスク (CityGML)"
    ),
}
LAYOUT_ALIASES = {"tokyo_dosha": "tokyo", "tokyo_landslide": "tokyo", "a31a": "a31"}

LAYER_COLUMNS = [
    "hazard_id",
    "hazard_type",
    "level",
    "label",
    "depth_m",
    "source",
    "depth_min_m",
    "depth_max_m",
    "duration_h",
    "duration_max_h",
]


def detect_layout(headers):
    """Guess the layout from a file's columns; None when no layout fits.

    Examples
    --------
    >>> detect_layout(["A33_001", "A33_002", "geometry"]), detect_layout(["genshoname", "kubun"])
    ('a33', 'tokyo')
    """
    cols = set(headers)
    for name in ("a31", "a31d", "a33", "a40", "a49"):
        if any(f in cols for f in LAYOUTS[name].level_fields):
            return name
    if {"genshoname", "kubun"} <= cols:
        return "tokyo"
    m = columns.resolve(headers, "hazards")
    if "hazard_type" in m and ({"level", "depth_m", "label"} & set(m)):
        return "generic"
    return None


_BAND = re.compile(r"(\d+(?:\.\d+)?)\s*m?\s*(?:以上|[-~〜～])")
_PLAIN = re.compile(r"^(\d+(?:\.\d+)?)\s*m?$")


def depth_from_text(text):
    """Lower bound (m) of a depth band written as text, e.g. 1m以上2m未満 -> 1.0.

    Examples
    --------
    >>> depth_from_text("0.3m以上0.5m未満"), depth_from_text("5m以上"), depth_from_text("0.3m未満")
    (0.3, 5.0, 0.0)
    """
    t = columns.normalize(text)
    m = _BAND.search(t)
    if m:
        return float(m.group(1))
    if "未満" in t:
        return 0.0
    m = _PLAIN.match(t)
    if m:
        return float(m.group(1))
    return None


_NUM = r"(\d+(?:\.\d+)?)"
_LO = re.compile(_NUM + r"\s*(?:m|ｍ|メートル)?\s*以上")
_HI = re.compile(_NUM + r"\s*(?:m|ｍ|メートル)?\s*未満")
_RANGE = re.compile(r"^" + _NUM + r"\s*m?\s*[-~〜～]\s*(?:" + _NUM + r")?\s*m?$")


def band_from_text(text):
    """(lower, upper) bounds in m of a depth band written as text; upper None when open.

    Examples
    --------
    >>> band_from_text("1m以上2m未満"), band_from_text("5m以上"), band_from_text("0.3m未満")
    ((1.0, 2.0), (5.0, None), (0.0, 0.3))
    >>> band_from_text("0.5-3.0m"), band_from_text("20.0m-"), band_from_text("2.3")
    ((0.5, 3.0), (20.0, None), (2.3, 2.3))
    """
    t = columns.normalize("" if text is None else str(text))
    lo, hi = _LO.search(t), _HI.search(t)
    if lo or hi:
        return (float(lo.group(1)) if lo else 0.0), (float(hi.group(1)) if hi else None)
    m = _RANGE.match(t)
    if m:
        return float(m.group(1)), (float(m.group(2)) if m.group(2) else None)
    m = _PLAIN.match(t)
    if m:
        return float(m.group(1)), float(m.group(1))
    return None


def level_band(hazard_type, level):
    """(depth_min_m, depth_max_m) of a level of ``data/hazard_levels.csv`` (None where none).

    Examples
    --------
    >>> level_band("flood", 2), level_band("flood", 6), level_band("landslide", 1)
    ((0.5, 3.0), (20.0, None), (None, None))
    """
    rows = _levels(hazard_type)
    hit = rows[rows["level"] == level]
    if not len(hit):
        return None, None
    lo, hi = hit["depth_min_m"].iloc[0], hit["depth_max_m"].iloc[0]
    return (float(lo) if pd.notna(lo) else None), (float(hi) if pd.notna(hi) else None)


_DURATIONS = {}


def duration_band(code):
    """(duration_min_h, duration_max_h, label_ja) of an inundation-duration code, or None.

    Codes are those of ``data/hazard_durations.csv`` (国土数値情報 A31 浸水継続時間).

    Examples
    --------
    >>> duration_band("3"), duration_band(7)
    ((24.0, 72.0, '1日以上3日未満'), (672.0, None, '4週間以上'))
    """
    if not _DURATIONS:
        t = pd.read_csv(settings.data_dir / "hazard_durations.csv", dtype=str,
                        keep_default_na=False, encoding="utf-8")  # fmt: skip
        for r in t.itertuples():
            hi = float(r.duration_max_h) if r.duration_max_h else None
            _DURATIONS[r.source_code] = (float(r.duration_min_h), hi, r.label_ja)
    text = columns.normalize("" if code is None else str(code))
    if text.endswith(".0"):
        text = text[:-2]
    return _DURATIONS.get(text)


def level_for_depth(hazard_type, depth):
    """The level of ``hazard_type`` whose depth band holds ``depth`` (None when none does)."""
    rows = _levels(hazard_type)
    for lvl, lo, hi in zip(rows["level"], rows["depth_min_m"], rows["depth_max_m"], strict=True):
        if pd.notna(lo) and depth >= lo and (pd.isna(hi) or depth < hi):
            return int(lvl)
    if len(rows) and pd.notna(rows["depth_min_m"]).any() and depth < rows["depth_min_m"].min():
        return int(rows["level"].min())
    return None


_LEVELS = {}


def _levels(hazard_type):
    """Rows of ``data/hazard_levels.csv`` for one hazard type (read once per process)."""
    if hazard_type not in _LEVELS:
        table = codes.hazard_levels()
        _LEVELS[hazard_type] = table[table["hazard_type"] == hazard_type].reset_index(drop=True)
    return _LEVELS[hazard_type]


def _level(layout, hazard_type, value):
    """(level, depth_m or None, problem or None) for one feature's raw value."""
    text = columns.normalize("" if value is None else str(value))
    if text.endswith(".0"):
        text = text[:-2]
    levels = _levels(hazard_type)
    if not text:
        return None, None, "no value"
    if layout.how == "map":
        if text in layout.values:
            return layout.values[text], None, None
        return None, None, f"expected one of {sorted(layout.values)}"
    if layout.how == "code":
        text = str(layout.values.get(text, text))
        hit = levels[levels["source_code"] == text]
        if len(hit):
            lvl = int(hit["level"].iloc[0])
            lo = hit["depth_min_m"].iloc[0]
            return lvl, (float(lo) if pd.notna(lo) else None), None
        return None, None, f"expected a code of {sorted(levels['source_code'])}"
    depth = depth_from_text(text)
    if depth is None:
        return None, None, "expected a depth band such as 1m以上2m未満"
    lvl = level_for_depth(hazard_type, depth)
    if lvl is None:
        return None, None, f"depth {depth} m falls in no level of {hazard_type}"
    return lvl, depth, None


def _label(hazard_type, level):
    hit = _levels(hazard_type)
    hit = hit[hit["level"] == level]
    return hit["label"].iloc[0] if len(hit) else None


def _empty():
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LAYER_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.storage_crs))


def hazards_from_file(path, *, layout=None):
    """Read hazard polygons into the ``hazards`` layer.

    Parameters
    ----------
    path : str or Path
        GeoJSON, Shapefile, GeoPackage or zip.
    layout : str, optional
        One of :data:`LAYOUTS` (``a31``, ``a33``, ``a40``, ``a49``, ``tokyo``, ``generic``);
        detected from the columns when omitted.

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)

    Examples
    --------
    >>> hz, rep = hazards_from_file("tokyo_jisuberi.geojson")  # doctest: +SKIP
    >>> rep.rows_repaired  # doctest: +SKIP
    7
    """
    path = Path(path)
    name = LAYOUT_ALIASES.get(layout, layout) if layout else None
    if name == "plateau" or (
        name is None and (path.is_dir() or path.suffix.lower() in (".gml", ".xml"))
    ):
        return plateau.hazards_from_plateau(path)
    report = ImportReport(file=str(path), kind="hazards")
    gdf = reading.read_features(path, report, polygons=True)
    if gdf is None:
        return _empty(), report
    name = name or detect_layout(gdf.columns)
    if name not in LAYOUTS or name == "plateau":
        report.error(
            f"{path.name}: layout {layout or '(not recognised)'} unknown; give --hazard-layout "
            f"one of {sorted(LAYOUTS)} (columns found: {sorted(set(gdf.columns) - {'geometry'})})"
        )
        report.rows_read = 0
        return _empty(), report
    lay = LAYOUTS[name]
    report.fmt = name
    m = columns.resolve(gdf.columns, "hazards")
    if lay.how == "generic":
        level_field = None
    else:
        level_field = next((f for f in lay.level_fields if f in gdf.columns), None)
        if level_field is None:
            report.error(
                f"{path.name} has none of the {name} level fields {list(lay.level_fields)}."
            )
            report.rows_read = 0
            return _empty(), report
    label_field = next((f for f in lay.label_fields if f in gdf.columns), None)
    rows = []
    labels = {}
    for pos, rec in enumerate(gdf.itertuples(index=False)):
        row = reading.row_number(pos, vector=True)
        d = rec._asdict()
        geom = d["geometry"]
        if lay.how == "generic":
            htext = str(d.get(m.get("hazard_type"), "") or "")
            hazard_type = codes.label_to_code("hazard_types").get(columns.normalize(htext))
            if hazard_type is None:
                report.reject(
                    row,
                    m["hazard_type"],
                    htext,
                    f"unknown hazard type; use {sorted(codes.valid('hazard_types'))}",
                )
                continue
            if "level" in m and d.get(m["level"]) not in (None, ""):
                sub = Layout("generic", hazard_type, (), "code")
                level, depth, problem = _level(sub, hazard_type, d.get(m["level"]))
                source_field = m["level"]
                if problem is None:
                    level_rows = _levels(hazard_type)
                    ok = level in set(level_rows["level"])
                    problem = None if ok else f"expected a level of {sorted(level_rows['level'])}"
            else:
                source_field = m.get("depth_m") or m.get("label") or "level"
                sub = Layout("generic", hazard_type, (), "depth")
                level, depth, problem = _level(sub, hazard_type, d.get(source_field))
            value = d.get(source_field)
        elif lay.how == "duration":
            hazard_type = lay.hazard_type
            source_field = level_field
            value = d.get(level_field)
            band = duration_band(value)
            level, depth = 0, None
            problem = None if band else "expected a duration code 1-7 (data/hazard_durations.csv)"
        else:
            hazard_type = lay.hazard_type
            source_field = level_field
            value = d.get(level_field)
            level, depth, problem = _level(lay, hazard_type, value)
        if problem:
            report.reject(row, source_field, value, problem)
            continue
        if geom is None or geom.is_empty:
            report.reject(row, "geometry", None, "no polygon, or one that cannot be repaired")
            continue
        dur = (None, None)
        if lay.how == "duration":
            dur = band[:2]
            label = f"浸水継続時間 {band[2]}"
            lo = hi = None
        else:
            label = labels.setdefault((hazard_type, level), _label(hazard_type, level))
            lo, hi = level_band(hazard_type, level)
            if lay.how in ("depth", "generic") and depth is not None:
                text_band = band_from_text(value) if isinstance(value, str) else None
                lo, hi = text_band if text_band else (depth, depth)
                if lay.how == "generic" and source_field == m.get("level"):
                    lo, hi = level_band(hazard_type, level)
            if lo is not None:
                depth = lo
        extra = {
            "phenomenon": d.get("genshoname") or d.get("A33_001"),
            "place": d.get(label_field) if label_field else None,
            "municipality_name": d.get("new_city") or d.get("A33_006"),
        }
        rows.append(
            {
                "hazard_id": f"{path.stem}:{row}",
                "hazard_type": hazard_type,
                "level": level,
                "label": label,
                "depth_m": depth,
                "source": f"{name}: {path.name}",
                "depth_min_m": lo,
                "depth_max_m": hi,
                "duration_h": dur[0],
                "duration_max_h": dur[1],
                **{k: (None if v is None else str(v)) for k, v in extra.items()},
                "geometry": geom,
            }
        )
    report.settle()
    if not rows:
        return _empty(), report
    frame = pd.DataFrame(rows)
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=settings.storage_crs)
    out["level"] = out["level"].astype("Int64")
    floats = ("depth_m", "depth_min_m", "depth_max_m", "duration_h", "duration_max_h")
    for col in floats:
        out[col] = pd.to_numeric(out[col]).astype("float64")
    for col in out.columns:
        if col not in ("level", "geometry", *floats):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    if report.rows_repaired:
        report.warn(f"{report.rows_repaired} invalid geometries repaired (kept)")
    logger.info("Read %d hazard polygons from %s (%s)", len(out), path.name, name)
    return out, report
