"""PLATEAU 3D city model hazard layers (CityGML) into the ``hazards`` layer.

Project PLATEAU (国土交通省) publishes, per municipality, disaster-risk layers as CityGML
files, one per mesh, in a folder per theme: ``fld`` (洪水浸水想定区域, river flood), ``tnm``
(津波浸水想定, tsunami), ``htd`` (高潮浸水想定区域, storm surge), ``ifld`` (内水浸水想定区域,
inland flood) and ``lsld`` (土砂災害警戒区域, landslide). Flood-type layers are
``wtr:WaterBody`` features whose ``lod1MultiSurface`` is a TIN of triangles, one feature per
depth band, with the band in ``uro:rank`` (or the finer ``uro:rankOrg``) inside a
``uro:*RiskAttribute``; landslide zones are ``urf:SedimentDisasterProneArea`` features with
``urf:areaType`` (1 警戒区域, 2 特別警戒区域).

Traps handled here:

- **axis order**: ``srsName`` EPSG:6697 (JGD2011 + T.P. height) lists **lat lon height**; the
  order is taken from the CRS's axis directions, so the JGD2011 plane-rectangular systems (X north)
  work the same way; Z (the water surface, not the depth) is dropped;
- **code lists**: i-UR 2.x/3.x codes and i-UR 1.x codes (PLATEAU 2020-2021) differ; the version
  comes from the ``uro`` namespace of each file and the band from ``data/plateau_ranks.csv``;
  1.x files that carry the band as a generic attribute (``gen:stringAttribute`` such as 浸水ランク
  or 浸水深 with a text like ``0.5m以上3.0m未満``) are read from the text;
- **meshes and triangles**: several files (a folder, or a list) are read at once and the triangles
  are dissolved per hazard type and band across every mesh, so a zone that crosses a mesh edge
  is one polygon; each dissolved polygon part becomes one row;
- ``uro:duration`` (浸水継続時間), where present, gives ``duration_h``;
- scenarios are kept apart: features are dissolved per hazard type, band **and** scenario name
  (``gml:name``, e.g. 計画規模 vs 想定最大規模 of a river), kept in the ``scenario`` column —
  import one scenario's folder, or filter on ``scenario`` afterwards.

Examples
--------
>>> hz, rep = hazards_from_plateau("plateau_fukuoka_tsunami/")  # doctest: +SKIP
>>> hz.groupby("label").size()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import settings
from . import hazards
from .report import ImportReport

logger = logging.getLogger(__name__)

#: PLATEAU theme code -> hazard type of ``data/hazard_types.csv``.
THEMES = {
    "fld": "flood",
    "tnm": "tsunami",
    "htd": "storm_surge",
    "ifld": "inland_flood",
    "lsld": "landslide",
}

#: Risk-attribute element (local name) -> theme.
_ATTRS = {
    "WaterBodyRiverFloodingRiskAttribute": "fld",
    "RiverFloodingRiskAttribute": "fld",
    "WaterBodyTsunamiRiskAttribute": "tnm",
    "TsunamiRiskAttribute": "tnm",
    "WaterBodyHighTideRiskAttribute": "htd",
    "HighTideRiskAttribute": "htd",
    "WaterBodyInlandFloodingRiskAttribute": "ifld",
    "InlandFloodingRiskAttribute": "ifld",
}

#: Generic attribute names (i-UR 1.x) that carry a depth band as text.
_GENERIC_BAND = ("浸水ランク", "浸水深", "浸水深ランク", "想定浸水深", "rank")

_GML = "{http://www.opengis.net/gml}"
_THEME_IN_NAME = re.compile(r"_(fld|tnm|htd|ifld|lsld)[_.]", re.IGNORECASE)


def rank_table():
    """Read ``data/plateau_ranks.csv`` (uro major version, theme, attribute, code -> band).

    Examples
    --------
    >>> t = rank_table()
    >>> t.loc[(2, "tnm", "rank", "4"), ["depth_min_m", "depth_max_m"]].tolist()
    [1.0, 3.0]
    """
    t = pd.read_csv(settings.data_dir / "plateau_ranks.csv", dtype=str, keep_default_na=False)
    t["uro"] = t["uro"].astype(int)
    for c in ("depth_min_m", "depth_max_m"):
        t[c] = pd.to_numeric(t[c].replace("", np.nan))
    return t.set_index(["uro", "hazard", "attribute", "code"]).sort_index()


def _local(tag):
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _uro_major(path):
    """i-UR major version from the file's ``uro`` namespace (2 when it cannot be read)."""
    with open(path, "rb") as fh:
        head = fh.read(8192).decode("utf-8", errors="replace")
    m = re.search(r"xmlns:uro=\"[^\"]*?/uro/(\d+)(?:\.\d+)?\"", head)
    return int(m.group(1)) if m else 2


def _swap_for(srs):
    """(swap lat/lon?, pyproj CRS or None) for an ``srsName``."""
    m = re.search(r"(\d{4,5})\s*$", srs or "")
    if not m:
        return True, None
    crs = pyproj.CRS.from_epsg(int(m.group(1)))
    axes = crs.axis_info
    swap = bool(axes) and axes[0].direction.lower() in ("north", "south")
    if crs.is_compound:
        crs = crs.sub_crs_list[0]
    return swap, crs


def _ring(text, dim, swap):
    v = np.array(text.split(), dtype=float)
    if dim < 2 or v.size % dim:
        return None
    v = v.reshape(-1, dim)[:, :2]
    return v[:, ::-1] if swap else v


def _polygons(elem, default_dim, swap):
    """Shapely polygons of every gml:Polygon under ``elem`` (holes kept)."""
    out = []
    for poly in elem.iter(f"{_GML}Polygon"):
        rings = []
        for part in ("exterior", "interior"):
            for ring in poly.iter(f"{_GML}{part}"):
                pos = ring.find(f".//{_GML}posList")
                if pos is None or not (pos.text or "").strip():
                    continue
                dim = int(pos.get("srsDimension") or default_dim)
                xy = _ring(pos.text, dim, swap)
                if xy is not None and len(xy) >= 3:
                    rings.append((part, xy))
        ext = [xy for part, xy in rings if part == "exterior"]
        if not ext:
            continue
        holes = [xy for part, xy in rings if part == "interior"]
        out.append(shapely.Polygon(ext[0], holes))
    return out


def _theme_of(path, member):
    m = _THEME_IN_NAME.search(Path(path).name + ".")
    if m:
        return m.group(1).lower()
    for el in member.iter():
        name = _local(el.tag)
        if name in _ATTRS:
            return _ATTRS[name]
        if name == "SedimentDisasterProneArea":
            return "lsld"
    return None


def _band(member, theme, uro, table):
    """(code or text, attribute, depth_min, depth_max, label, duration code) of one feature."""
    found = {}
    generic = None
    for el in member.iter():
        name = _local(el.tag)
        if name in ("rank", "rankOrg", "areaType", "duration") and el.text and el.text.strip():
            found.setdefault(name, el.text.strip())
        elif (
            name in ("stringAttribute", "intAttribute", "genericAttribute")
            and el.get("name") in _GENERIC_BAND
        ):
            val = el.find("{*}value")
            if val is not None and val.text:
                generic = val.text.strip()
    for attr in ("rankOrg", "rank", "areaType"):
        if attr not in found:
            continue
        code = found[attr]
        for ver in (uro, 2 if uro != 2 else 1):
            key = (ver, theme, attr, code)
            if key in table.index:
                row = table.loc[key]
                return (
                    code,
                    attr,
                    row["depth_min_m"],
                    row["depth_max_m"],
                    row["label_ja"],
                    (found.get("duration")),
                )
    if generic is not None:
        if generic in {k[3] for k in table.index if k[1] == theme and k[0] == uro}:
            row = table.loc[(uro, theme, "rank", generic)]
            return generic, "rank", row["depth_min_m"], row["depth_max_m"], row["label_ja"], None
        band = hazards.band_from_text(generic)
        if band:
            return generic, "text", band[0], band[1], generic, found.get("duration")
    value = found.get("rank") or found.get("rankOrg") or found.get("areaType") or generic
    return value, None, None, None, None, found.get("duration")


def _files(path):
    if isinstance(path, (list, tuple)):
        return [Path(p) for p in path]
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".gml", ".xml"))
    return [path]


def hazards_from_plateau(path, *, theme=None):
    """Read PLATEAU hazard CityGML (a file, a folder of mesh files, or a list) as hazards.

    Parameters
    ----------
    path : str, Path or list of them
        One ``.gml`` file, a folder (every ``.gml`` below it) or a list of files.
    theme : str, optional
        ``fld``, ``tnm``, ``htd``, ``ifld`` or ``lsld``; taken from each file name
        (``..._tnm_6697_op.gml``) or its attributes when omitted.

    Returns
    -------
    (geopandas.GeoDataFrame, ImportReport)
        The ``hazards`` layer (EPSG:4326), one row per dissolved polygon part of a band, with
        ``depth_min_m`` / ``depth_max_m`` / ``depth_m`` (the lower bound), ``duration_h`` where
        the data has it, ``plateau_code`` (the rank code) and ``source``. Rows read are the
        features (one per band per mesh); a feature whose band cannot be read is rejected.

    Examples
    --------
    >>> hz, rep = hazards_from_plateau("hazards/plateau_fukuoka_tsunami")  # doctest: +SKIP
    >>> sorted(hz["level"].unique())  # doctest: +SKIP
    """
    files = _files(path)
    label = str(path) if not isinstance(path, (list, tuple)) else ", ".join(map(str, path))
    report = ImportReport(file=label, kind="hazards", fmt="plateau")
    if not files:
        report.error(f"{label}: no .gml files found; give a PLATEAU CityGML file or folder.")
        return hazards._empty(), report
    table = rank_table()
    parts = {}  # (hazard_type, level, code, attr) -> list of polygons
    meta = {}
    feature_no = 0
    for f in files:
        if not f.exists():
            report.error(f"{f}: file not found.")
            continue
        uro = _uro_major(f)
        try:
            tree = ET.parse(f)
        except ET.ParseError as exc:
            report.error(f"{f.name}: not readable CityGML/XML ({exc}).")
            continue
        root = tree.getroot()
        env = root.find(f".//{_GML}Envelope")
        srs = env.get("srsName") if env is not None else None
        dim0 = int(env.get("srsDimension") or 3) if env is not None else 3
        for member in root:
            if _local(member.tag) not in ("cityObjectMember", "featureMember"):
                continue
            for feat in member:
                feature_no += 1
                row = f"{f.name}#{feature_no}"
                th = theme or _theme_of(f, feat)
                if th not in THEMES:
                    report.reject(row, "theme", th, f"expected one of {sorted(THEMES)}")
                    continue
                htype = THEMES[th]
                fsrs = srs
                ms = feat.find(f".//{_GML}MultiSurface")
                if ms is not None and ms.get("srsName"):
                    fsrs = ms.get("srsName")
                swap, crs = _swap_for(fsrs)
                code, attr, lo, hi, lab, dur = _band(feat, th, uro, table)
                if attr is None:
                    report.reject(
                        row,
                        "uro:rank",
                        code,
                        f"no depth band for this code in data/plateau_ranks.csv (i-UR {uro}, "
                        f"{th}); add the row from the PLATEAU codelist",
                    )
                    continue
                polys = _polygons(feat, dim0, swap)
                if not polys:
                    report.reject(row, "geometry", None, "no gml:Polygon with a posList")
                    continue
                if htype == "landslide":
                    level = int(code) if str(code) in ("1", "2") else None
                else:
                    level = hazards.level_for_depth(htype, float(lo)) if pd.notna(lo) else None
                if level is None:
                    report.reject(row, "uro:rank", code, f"band falls in no level of {htype}")
                    continue
                nm = feat.find(f"{_GML}name")
                scen = (nm.text or "").strip() if nm is not None else ""
                key = (htype, level, str(code), lab, scen)
                parts.setdefault(key, []).extend(polys)
                d = duration_h = duration_max = None
                if dur:
                    d = hazards.duration_band(dur)
                    if d:
                        duration_h, duration_max = d[0], d[1]
                meta.setdefault(
                    key,
                    {
                        "lo": lo,
                        "hi": hi,
                        "crs": crs,
                        "dur": (duration_h, duration_max),
                        "files": set(),
                    },
                )["files"].add(f.name)
    report.rows_read = feature_no
    report.settle()
    if not parts:
        return hazards._empty(), report
    rows = []
    for k, (key, polys) in enumerate(parts.items()):
        htype, level, code, lab, scen = key
        info = meta[key]
        geoms = shapely.make_valid(np.asarray(polys, dtype=object))
        merged = shapely.union_all(geoms, grid_size=1e-9)
        crs = info["crs"]
        if crs is not None and not crs.equals(pyproj.CRS(settings.storage_crs)):
            to = pyproj.Transformer.from_crs(crs, settings.storage_crs, always_xy=True)
            merged = shapely.transform(
                merged, lambda c, to=to: np.column_stack(to.transform(c[:, 0], c[:, 1]))
            )
        for i, part in enumerate(shapely.get_parts(merged)):
            if part.geom_type != "Polygon" or part.is_empty:
                continue
            rows.append(
                {
                    "hazard_id": f"plateau:{htype}:{code}:{k + 1}:{i + 1}",
                    "hazard_type": htype,
                    "level": level,
                    "label": lab,
                    "depth_m": info["lo"],
                    "source": f"plateau: {', '.join(sorted(info['files']))}"[:250],
                    "depth_min_m": info["lo"],
                    "depth_max_m": info["hi"],
                    "duration_h": info["dur"][0],
                    "duration_max_h": info["dur"][1],
                    "plateau_code": code,
                    "scenario": scen or None,
                    "geometry": part,
                }
            )
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=settings.storage_crs)
    out["level"] = out["level"].astype("Int64")
    for col in ("depth_m", "depth_min_m", "depth_max_m", "duration_h", "duration_max_h"):
        out[col] = pd.to_numeric(out[col]).astype("float64")
    logger.info(
        "Read %d PLATEAU features from %d file(s): %d polygons in %d bands",
        feature_no,
        len(files),
        len(out),
        len(parts),
    )
    return out, report
