"""Offline address resolution against 位置参照情報 町丁目 points.

The points are one representative point per 大字・町丁目 (国土交通省 位置参照情報, or the
Geolonia 住所データ derived from it: ``pref, city, town, lat, lng``). An address resolves to the
point of its 町丁目, so precision is the 町丁目 (a few hundred metres), never the house.
Resolution is offline and deterministic:

1. normalise (NFKC, no spaces, hyphen variants to ``-``);
2. find the municipality name (after the prefecture, skipping a 郡 or island name);
3. find the longest 町丁目 name the rest starts with, writing a 丁目 number in kanji
   (曙町2-5-3 and 曙町２丁目 both find 曙町二丁目); 大字/字 prefixes are ignored.

An address that does not resolve is returned with the reason (no municipality, or no 町丁目
of that municipality matches), never dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import columns, places, reading
from .report import ImportReport

_KANJI = "〇一二三四五六七八九"
_DASHES = re.compile(r"[‐‑‒–—―−ｰ－ー](?=\d)|(?<=\d)[‐‑‒–—―−ｰ－ー]")


def kanji_number(n):
    """Write 1-99 in kanji as 丁目 names do (1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一).

    Examples
    --------
    >>> kanji_number(2), kanji_number(12), kanji_number(20)
    ('二', '十二', '二十')
    """
    if n < 10:
        return _KANJI[n]
    tens, ones = divmod(n, 10)
    return (_KANJI[tens] if tens > 1 else "") + "十" + (_KANJI[ones] if ones else "")


def _norm(text):
    t = places.clean_address(text)
    return _DASHES.sub("-", t)


def _strip_aza(text):
    return re.sub(r"^(大字|字)", "", text)


def load(source):
    """Load 位置参照情報 points (a path or an already loaded frame) into a lookup structure.

    Returns
    -------
    dict
        ``cities`` (city name -> list of (town, lat, lon), longest town first), ``prefs``.
    """
    if isinstance(source, dict):
        return source
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        frame, report = points_from_file(source)
        if report.failed:
            from ..errors import IkemapError

            raise IkemapError("; ".join(report.errors))
    cities = {}
    for pref, city, town, lat, lon in zip(
        frame["pref"], frame["city"], frame["town"], frame["lat"], frame["lon"], strict=True
    ):
        if lat is None or lon is None or np.isnan(lat) or np.isnan(lon):
            continue
        key = _norm(city)
        cities.setdefault(key, []).append((_strip_aza(_norm(town)), float(lat), float(lon)))
        pref_key = _norm(f"{pref}{city}")
        cities.setdefault(pref_key, cities[key])
    for towns in cities.values():
        towns.sort(key=lambda t: -len(t[0]))
    prefs = sorted({_norm(p) for p in frame["pref"] if p}, key=len, reverse=True)
    return {"cities": cities, "prefs": prefs, "city_names": sorted(cities, key=len, reverse=True)}


def points_from_file(path):
    """Read 位置参照情報 町丁目 points (Geolonia ``pref, city, town, lat, lng`` or MLIT layout).

    Returns
    -------
    (pandas.DataFrame, ImportReport)
        ``pref``, ``city``, ``town``, ``lat``, ``lon`` (NaN where the file has none).

    Examples
    --------
    >>> pts, rep = points_from_file("geolonia_machi_chome_13.csv")  # doctest: +SKIP
    """
    report = ImportReport(file=str(path), kind="address_points")
    table = reading.read_table(Path(path), report)
    cols = ["pref", "city", "town", "lat", "lon"]
    if table is None:
        return pd.DataFrame(columns=cols), report
    m = columns.resolve(table.columns, "addresses")
    missing = [c for c in cols if c not in m]
    if missing:
        report.error(
            f"{report.name} lacks {missing}: expected 位置参照情報 大字・町丁目 columns "
            "(都道府県名, 市区町村名, 大字町丁目名, 緯度, 経度) or pref, city, town, lat, lng."
        )
        return pd.DataFrame(columns=cols), report
    out = pd.DataFrame({c: table[m[c]].astype(object) for c in cols})
    for c in ("lat", "lon"):
        out[c] = pd.to_numeric(out[c].replace("", None), errors="coerce").astype(float)
    report.rows_accepted = int(out[["lat", "lon"]].notna().all(axis=1).sum())
    for i in np.flatnonzero(out[["lat", "lon"]].isna().any(axis=1)):
        report.reject(
            reading.row_number(out.index[i]), "lat", None, "町丁目 point without coordinates"
        )
    report.settle()
    return out, report


def points_layer(points, municipalities=None):
    """The ``address_points`` workspace layer (read by :mod:`geo.geocode`) from read points.

    ``pref``, ``city``, ``town``, ``municipality_code`` (the municipality whose polygon holds
    the point, or whose name is ``city``; None when neither is known) and point geometry
    (EPSG:4326). Rows without coordinates (rejected by :func:`points_from_file`) are left out.

    Examples
    --------
    >>> pts = pd.DataFrame({"pref": ["東京都"], "city": ["立川市"], "town": ["曙町二丁目"],
    ...                     "lat": [35.70], "lon": [139.41]})
    >>> points_layer(pts)[["city", "town", "municipality_code"]].values.tolist()
    [['立川市', '曙町二丁目', None]]
    """
    import geopandas as gpd

    ok = points["lat"].notna() & points["lon"].notna()
    frame = points.loc[ok].reset_index(drop=True)
    layer = gpd.GeoDataFrame(
        {
            c: frame[c].astype(object).where(frame[c].notna(), None)
            for c in ("pref", "city", "town")
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )
    codes = pd.Series([None] * len(layer), dtype=object)
    if municipalities is not None and len(municipalities) and "code" in municipalities.columns:
        munis = municipalities.to_crs("EPSG:4326") if municipalities.crs else municipalities
        if {"name", "pref"} <= set(munis.columns):
            by_name = dict(zip(zip(munis["pref"], munis["name"]), munis["code"], strict=True))
            keys = zip(layer["pref"], layer["city"], strict=True)
            codes = pd.Series([by_name.get(k) for k in keys], dtype=object)
        missing = codes.isna().to_numpy()
        if missing.any():
            hits = gpd.sjoin(
                layer.loc[missing, ["geometry"]],
                munis[["code", "geometry"]],
                how="left",
                predicate="within",
            )
            hits = hits[~hits.index.duplicated()]
            codes.loc[missing] = hits["code"].to_numpy()
    layer.insert(3, "municipality_code", codes.where(codes.notna(), None).to_numpy())
    return layer


def _chome_variants(rest):
    """The rest of an address as written, and with its leading 丁目 number in kanji."""
    out = [rest]
    m = re.match(r"^(\D+?)(\d{1,2})(丁目|-|番|の|$)", rest)
    if m:
        out.insert(0, f"{m.group(1)}{kanji_number(int(m.group(2)))}丁目{rest[m.end() :]}")
    return out


def geocode_one(address, points):
    """Resolve one address to its 町丁目 point.

    Returns
    -------
    dict
        ``lat``, ``lon`` (None when unresolved), ``city``, ``town`` and ``reason``.

    Examples
    --------
    >>> pts = load(pd.DataFrame({"pref": ["東京都"], "city": ["立川市"], "town": ["曙町二丁目"],
    ...                          "lat": [35.70], "lon": [139.41]}))
    >>> geocode_one("東京都立川市曙町2-5-3", pts)["town"]
    '曙町二丁目'
    >>> geocode_one("立川市どこか町1", pts)["lat"] is None
    True
    """
    pts = load(points)
    text = _norm(address)
    out = {"lat": None, "lon": None, "city": None, "town": None, "reason": None}
    if not text:
        out["reason"] = "no address"
        return out
    rest = text
    for pref in pts["prefs"]:
        if rest.startswith(pref):
            rest = rest[len(pref) :]
            break
    best = None
    for name in pts["city_names"]:
        pos = rest.find(name, 0, 12 + len(name))
        if pos >= 0 and (best is None or (pos, -len(name)) < best[0]):
            best = ((pos, -len(name)), name)
    if best is None:
        out["reason"] = (
            "no municipality of the address points is named in the address; write it as "
            "都道府県 + 市区町村 + 町丁目, or give lat/lon"
        )
        return out
    city = best[1]
    rest = rest[best[0][0] + len(city) :]
    out["city"] = city
    rest = _strip_aza(rest)
    for candidate in _chome_variants(rest):
        for town, lat, lon in pts["cities"][city]:
            if town and candidate.startswith(town):
                out.update(lat=lat, lon=lon, town=town)
                return out
    out["reason"] = (
        f"{city} found but no 町丁目 of the address points matches {rest!r}; check the "
        "town name or give lat/lon"
    )
    return out
