"""Offline address search (住所検索) against the workspace's 位置参照 町丁目 points.

The points are the ``address_points`` layer of a workspace (the demo ships its own; a real
workspace gets them from 国土交通省 位置参照情報 / Geolonia 住所データ through
:func:`geo.importers.addresses.points_from_file`). An address resolves to the point of its
町丁目 (precision a few hundred metres, never the house) or, when only the municipality is
known, to a representative point of the municipality.

Matching is deterministic and forgiving about how an address is written:

* NFKC (全角 digits and letters), spaces dropped, every dash variant read as ``-``;
* 丁目 written in kanji or digits, or as ``2-5-3`` (本町二丁目 = 本町2丁目 = 本町2-5-3);
  番地 / 番 / 号 / の between numbers read as ``-``; 大字 / 字 ignored;
* the prefecture is optional; a municipality may be typed in part (「デモ市」 matches the
  five wards of デモ市, 「かわべ」 matches かわべ市), a designated city's ward alone too;
* several matches give ``status="ambiguous"`` with the candidates for the user to pick;
  nothing gives ``status="not_found"`` with the reason in Japanese and English.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> pts = gpd.GeoDataFrame(
...     {"pref": ["東京都"] * 3, "city": ["立川市"] * 3,
...      "town": ["曙町一丁目", "曙町二丁目", "錦町一丁目"]},
...     geometry=[Point(139.41, 35.70), Point(139.42, 35.70), Point(139.40, 35.69)],
...     crs="EPSG:4326")
>>> hit = geocode("東京都立川市曙町２－５－３", points=pts)
>>> hit.status, hit.town, hit.lat
('found', '曙町二丁目', 35.7)
>>> geocode("立川市曙町", points=pts).status
'ambiguous'
>>> geocode("立川市どこか町", points=pts).level
'municipality'
>>> geocode("大阪市北区", points=pts).status
'not_found'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import workspace
from .errors import WorkspaceError

#: Workspace layer holding the 町丁目 points.
LAYER = "address_points"

#: Columns of :attr:`Geocoded.candidates`.
CANDIDATE_COLUMNS = ["label", "pref", "city", "town", "municipality_code", "lat", "lon", "level"]

_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_DASH = re.compile(r"(?<=\d)[‐‑‒–—―−ｰ－ー]|[‐‑‒–—―−ｰ－ー](?=\d)")


def _kanji_to_int(text):
    """Kanji numeral 1-99 to int (一 -> 1, 十二 -> 12, 二十一 -> 21)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (
            _KANJI_DIGITS.get(ones, 0) if ones else 0
        )
    return int("".join(str(_KANJI_DIGITS[c]) for c in text))


def normalize(text, *, address=False):
    """Return the matching key of an address or a 町丁目 name.

    NFKC, no spaces, dashes as ``-``, the 丁目 number in digits followed by ``-`` (本町二丁目 ->
    本町2-), 番地/番/号/の between numbers as ``-``, no leading 大字/字. With ``address`` a
    trailing number also gets a ``-`` so that 「本町2」 matches 本町2-.

    Examples
    --------
    >>> normalize("本町二丁目")
    '本町2-'
    >>> normalize("本町２丁目５番３号", address=True)
    '本町2-5-3-'
    >>> normalize("大字上野 123")
    '上野123'
    """
    t = unicodedata.normalize("NFKC", str(text or ""))
    t = re.sub(r"\s+", "", t)
    t = re.sub(r"([〇一二三四五六七八九十]+)丁目", lambda m: f"{_kanji_to_int(m.group(1))}丁目", t)
    t = _DASH.sub("-", t)
    t = re.sub(r"丁目|番地|番|号", "-", t)
    t = re.sub(r"(?<=\d)の(?=\d)", "-", t)
    t = re.sub(r"-+", "-", t)
    t = re.sub(r"^(大字|字)", "", t)
    if address and re.search(r"\d$", t):
        t += "-"
    return t


@dataclass
class Geocoded:
    """The answer of :func:`geocode` for one address.

    ``status`` is ``found`` (one place: ``lat``/``lon``), ``ambiguous`` (several candidates:
    let the user pick one of :attr:`candidates`) or ``not_found`` (see :attr:`reason`).
    ``level`` is ``town`` (a 町丁目 point) or ``municipality`` (only the municipality matched:
    its representative point). ``note`` says what was not matched when the level is coarser than
    the address asked for.
    """

    query: str
    status: str
    level: str | None = None
    candidates: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CANDIDATE_COLUMNS)
    )
    reason: str = ""
    reason_ja: str = ""
    note: str = ""
    note_ja: str = ""

    def _first(self, col):
        if self.status != "found" or self.candidates.empty:
            return None
        return self.candidates[col].iloc[0]

    @property
    def lat(self):
        """Latitude of the match (None unless ``status == 'found'``)."""
        v = self._first("lat")
        return None if v is None else float(v)

    @property
    def lon(self):
        """Longitude of the match (None unless ``status == 'found'``)."""
        v = self._first("lon")
        return None if v is None else float(v)

    @property
    def label(self):
        """The matched place written out (都道府県 + 市区町村 + 町丁目)."""
        return self._first("label")

    @property
    def town(self):
        """The matched 町丁目 (None at municipality level)."""
        return self._first("town") or None


# ---------------------------------------------------------------------------------------------
# the points


def points_from_workspace(path):
    """Read the ``address_points`` layer of a workspace (cached until the file changes).

    Raises
    ------
    WorkspaceError
        When the workspace has no ``address_points`` layer (with how to add one).

    Examples
    --------
    >>> pts = points_from_workspace("data/demo/demo.gpkg")  # doctest: +SKIP
    """
    path = Path(path)
    if LAYER not in workspace.layers(path):
        msg = (
            f"Workspace {path} has no {LAYER!r} layer, so addresses cannot be resolved offline. "
            "Import 位置参照情報 大字・町丁目 points (pref, city, town, lat, lng) into it, or "
            "search by latitude/longitude."
        )
        raise WorkspaceError(msg)
    return _read(str(path), path.stat().st_mtime)


@lru_cache(maxsize=4)
def _read(path, stamp):
    return workspace.read(path, LAYER)


@dataclass(frozen=True)
class _Index:
    frame: pd.DataFrame  # pref, city, town, municipality_code, lat, lon, town_key
    prefs: tuple  # normalised prefecture names, longest first
    cities: dict  # key (city or alias) -> tuple of canonical city names
    city_points: pd.DataFrame  # one representative row per city


def _index(points):
    key = id(points)
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0] is points:
        return hit[1]
    frame = pd.DataFrame(
        {
            "pref": [str(v or "") for v in points["pref"]],
            "city": [str(v or "") for v in points["city"]],
            "town": [str(v or "") for v in points["town"]],
            "municipality_code": (
                points["municipality_code"]
                .astype(object)
                .where(points["municipality_code"].notna(), None)
                if "municipality_code" in points.columns
                else [None] * len(points)
            ),
        }
    )
    if "geometry" in points.columns:
        frame["lat"] = np.asarray(points.geometry.y, float)
        frame["lon"] = np.asarray(points.geometry.x, float)
    else:
        frame["lat"] = pd.to_numeric(points["lat"], errors="coerce").to_numpy(float)
        frame["lon"] = pd.to_numeric(points["lon"], errors="coerce").to_numpy(float)
    frame = frame[np.isfinite(frame["lat"]) & np.isfinite(frame["lon"])].reset_index(drop=True)
    frame["town_key"] = [normalize(t) for t in frame["town"]]
    frame["city_key"] = [normalize(c) for c in frame["city"]]
    prefs = tuple(sorted({normalize(p) for p in frame["pref"] if p}, key=len, reverse=True))
    cities = {}
    for c in dict.fromkeys(frame["city_key"]):
        names = {c}
        ward = re.match(r"^(.+?[市])(.+[区])$", c)  # 政令市の区: the ward alone too
        if ward:
            names.add(ward.group(2))
        county = re.match(r"^(.+?郡)(.+)$", c)  # 郡 may be left out
        if county:
            names.add(county.group(2))
        for n in names:
            cities.setdefault(n, [])
            if c not in cities[n]:
                cities[n].append(c)
    # a municipality's point: its 町丁目 point nearest the mean of them all
    reps = []
    for _c, sub in frame.groupby("city_key", sort=False):
        d = np.hypot(sub["lat"] - sub["lat"].mean(), sub["lon"] - sub["lon"].mean())
        reps.append(sub.loc[d.idxmin()])
    city_points = pd.DataFrame(reps).set_index("city_key")
    out = _Index(frame, prefs, {k: tuple(v) for k, v in cities.items()}, city_points)
    _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = (points, out)
    return out


_INDEX_CACHE: dict = {}


def _candidates(rows, level):
    rows = pd.DataFrame(rows)
    if rows.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    town = rows["town"] if level == "town" else pd.Series([""] * len(rows), index=rows.index)
    return pd.DataFrame(
        {
            "label": (rows["pref"] + rows["city"] + town).to_numpy(),
            "pref": rows["pref"].to_numpy(),
            "city": rows["city"].to_numpy(),
            "town": town.to_numpy(),
            "municipality_code": rows["municipality_code"].to_numpy(),
            "lat": rows["lat"].to_numpy(float),
            "lon": rows["lon"].to_numpy(float),
            "level": level,
        }
    ).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# search


def geocode(address, *, points=None, workspace=None, limit=30):
    """Resolve one address offline to a 町丁目 (or municipality) point.

    Parameters
    ----------
    address : str
        The address as typed (prefecture optional; 全角/半角, kanji or digit 丁目 alike).
    points : DataFrame or path, optional
        町丁目 points (``pref``, ``city``, ``town`` and a point geometry or ``lat``/``lon``), or
        a 位置参照情報 / Geolonia CSV read by :func:`geo.importers.addresses.points_from_file`.
    workspace : str or Path, optional
        Read the points from this workspace's ``address_points`` layer instead.
    limit : int, default 30
        Most candidates returned when the address is ambiguous.

    Returns
    -------
    Geocoded
        ``status`` found / ambiguous / not_found with the candidates and the reason.

    Examples
    --------
    >>> geocode("デモ県デモ市中央区中央1-2", workspace="data/demo/demo.gpkg").town  # doctest: +SKIP
    '中央一丁目'
    """
    if isinstance(points, str | Path):  # a 位置参照情報 / Geolonia CSV
        from .importers import addresses

        points, report = addresses.points_from_file(points)
        if report.failed:
            raise WorkspaceError("; ".join(report.errors))
    if points is None:
        if workspace is None:
            msg = "geocode needs points= (町丁目 points) or workspace= (a workspace path)."
            raise ValueError(msg)
        points = points_from_workspace(workspace)
    idx = _index(points)
    query = str(address or "")
    text = normalize(query, address=True)
    if not text or text == "-":
        return Geocoded(
            query,
            "not_found",
            reason="no address was given",
            reason_ja="住所を入力してください。",
        )
    rest = text
    pref = None
    for p in idx.prefs:
        if rest.startswith(p):
            pref, rest = p, rest[len(p) :]
            break
    if pref is None:
        m = re.match(r"^(東京都|北海道|京都府|大阪府|.{2,3}県)", rest)
        if m and any(m.group(1) in c for c in idx.cities):
            m = None  # e.g. a municipality whose name holds 県 (none today; be safe)
        if m:
            return Geocoded(
                query,
                "not_found",
                reason=(
                    f"{m.group(1)} is not among the prefectures of the address points "
                    f"({', '.join(idx.prefs) or 'none'}); check the address or the workspace"
                ),
                reason_ja=(
                    f"「{m.group(1)}」はこのワークスペースの位置参照データ"
                    f"（{'、'.join(idx.prefs) or 'なし'}）にありません。"
                    "住所かワークスペースを確認してください。"
                ),
            )
    frame = idx.frame if pref is None else idx.frame[idx.frame["pref"].map(normalize) == pref]
    cities_here = set(frame["city_key"])
    keys = {k: v for k, v in idx.cities.items() if set(v) & cities_here}
    # 1. a municipality the address starts with (the longest name wins)
    hit = max((k for k in keys if rest.startswith(k)), key=len, default=None)
    if hit is not None:
        cities = [c for c in keys[hit] if c in cities_here]
        rest = rest[len(hit) :]
        if len(cities) > 1:  # a ward name shared by two designated cities
            return _ambiguous_cities(query, idx, cities, limit)
        return _in_city(query, idx, cities[0], rest)
    # 2. the address is the start of municipality names (「デモ市」, 「かわべ」, 「デモ県」 alone)
    part = rest.rstrip("-")
    starting = sorted(
        {c for k, v in keys.items() if k.startswith(part) for c in v if c in cities_here}
    )
    if part and len(starting) == 1:
        return _in_city(query, idx, starting[0], "")
    if starting:
        return _ambiguous_cities(query, idx, starting, limit)
    if not part and pref is not None:
        return _ambiguous_cities(query, idx, sorted(cities_here), limit)
    return Geocoded(
        query,
        "not_found",
        reason=(
            f"no municipality of the address points is named in {query!r}; write it as "
            "都道府県 + 市区町村 + 町丁目 (e.g. the names in the candidates), or search by lat/lon"
        ),
        reason_ja=(
            f"「{query}」に位置参照データの市区町村名が見つかりません。"
            "都道府県・市区町村・町丁目の順に入力するか、緯度・経度で検索してください。"
        ),
    )


def _ambiguous_cities(query, idx, cities, limit):
    rows = [idx.city_points.loc[c] for c in cities[:limit]]
    return Geocoded(
        query,
        "ambiguous",
        level="municipality",
        candidates=_candidates(rows, "municipality"),
        reason=f"{len(cities)} municipalities match; pick one",
        reason_ja=f"{len(cities)}件の市区町村が当てはまります。候補から選んでください。",
    )


def _in_city(query, idx, city, rest):
    towns = idx.frame[idx.frame["city_key"] == city]
    rep = idx.city_points.loc[city]
    whole = Geocoded(
        query, "found", level="municipality", candidates=_candidates([rep], "municipality")
    )
    rest = re.sub(r"^(大字|字)", "", rest)
    if not rest.strip("-"):
        return whole
    keys = towns["town_key"]
    # a 町丁目 the rest starts with (the longest wins)
    ok = [_starts(rest, k) for k in keys]
    if any(ok):
        best = towns[ok].assign(_n=keys[ok].str.len()).sort_values("_n", ascending=False)
        return Geocoded(
            query, "found", level="town", candidates=_candidates([best.iloc[0]], "town")
        )
    part = rest.rstrip("-")
    starting = towns[[k.startswith(part) for k in keys]]
    if len(starting) == 1:
        return Geocoded(
            query, "found", level="town", candidates=_candidates([starting.iloc[0]], "town")
        )
    if len(starting) > 1:
        return Geocoded(
            query,
            "ambiguous",
            level="town",
            candidates=_candidates(starting.to_dict("records"), "town"),
            reason=f"{len(starting)} 町丁目 of {rep['city']} match; pick one",
            reason_ja=f"{rep['city']}の{len(starting)}件の町丁目が当てはまります。候補から選んでください。",
        )
    whole.note = (
        f"no 町丁目 of {rep['city']} matches {rest.rstrip('-')!r}; the municipality's "
        "representative point is used"
    )
    whole.note_ja = (
        f"「{rest.rstrip('-')}」に当たる{rep['city']}の町丁目は位置参照データにありません。"
        "市区町村の代表点で検索します。"
    )
    return whole


def _starts(rest, key):
    """``rest`` starts with ``key``; a key ending in a digit ends there (中央1 is not 中央12)."""
    if not key or not rest.startswith(key):
        return False
    return not (key[-1].isdigit() and rest[len(key) : len(key) + 1].isdigit())
