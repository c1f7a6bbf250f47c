"""位置参照 address points of the fictional デモ県, so addresses resolve offline out of the box.

One representative point per 町丁目 (as 国土交通省 位置参照情報 gives them): the wards and cities
get 町 names with 一丁目 to 三丁目 (``本町一丁目``), the towns and villages 大字 names (``上野``).
Each point lies on a street node of its own municipality. The points use their own random stream
(``default_rng([seed, 1101])``), so they never move the other demo layers.

Examples
--------
>>> from geo import demo_addresses
>>> demo_addresses.TOWN_NAMES["ward"][0]
'中央'
"""

from __future__ import annotations

import numpy as np
import shapely

from .demo_geography import MUNICIPALITIES, PREF_NAME
from .demo_people import municipality_of

#: Stream id of the address points (``default_rng([seed, STREAM])``).
STREAM = 1101

#: 町 / 大字 names by municipality kind (a municipality draws several of them).
TOWN_NAMES = {
    "ward": ("中央", "本町", "栄町", "旭町", "緑町", "若葉", "駅前", "桜台", "港町", "山手"),
    "city": ("本町", "栄町", "旭町", "緑町", "若葉", "駅前", "桜台", "港町", "山手", "元町"),
    "town": ("上野", "下野", "中原", "新田", "宮前", "東原", "西原", "川端"),
    "village": ("上野", "中野", "奥谷", "平沢", "大平", "宮ノ下"),
}

_KANJI = "〇一二三四五六七八九"


def address_points(seed, net, munis):
    """Return the demo's 町丁目 points: ``pref``, ``city``, ``town``, ``municipality_code``, x, y.

    Parameters
    ----------
    seed : int
        The demo seed (the points draw from ``default_rng([seed, STREAM])``).
    net : geo.demo_roads.RoadNet
        The demo road network (local metres); points sit on its nodes.
    munis : dict of str to Polygon
        Municipality polygons in the same local metres, by code.

    Returns
    -------
    list of dict
        One dict per point with ``pref``, ``city``, ``town``, ``municipality_code``, ``x``,
        ``y`` (local metres).

    Examples
    --------
    >>> pts = address_points(42, net, geo.municipalities)  # doctest: +SKIP
    >>> pts[0]["town"]  # doctest: +SKIP
    '中央一丁目'
    """
    rng = np.random.default_rng([seed, STREAM])
    code = municipality_of(munis, net.x, net.y)
    rows = []
    for m in MUNICIPALITIES:
        inside = np.flatnonzero(code == m.code)
        if inside.size == 0:
            continue
        populated = inside[net.weight[inside] > 0]
        pool = populated if populated.size >= 4 else inside
        names = TOWN_NAMES[m.kind]
        n_towns = {"ward": 4, "city": 4, "town": 3, "village": 3}[m.kind]
        # 中央 first in a ward (so 「中央区中央一丁目」 exists), the rest drawn
        picked = [names[0]] if m.kind == "ward" else []
        rest = [n for n in names if n not in picked]
        picked += [rest[i] for i in rng.choice(len(rest), n_towns - len(picked), replace=False)]
        for name in picked:
            centre = int(rng.choice(pool))
            if m.kind in ("ward", "city"):
                for k in range(1, int(rng.integers(2, 4)) + 1):
                    # the k-th 丁目 about 350 m east of the previous one, on a node of the town
                    d = np.hypot(net.x[pool] - (net.x[centre] + 350 * (k - 1)),
                                 net.y[pool] - net.y[centre])  # fmt: skip
                    node = int(pool[np.argmin(d)])
                    rows.append(_row(m, f"{name}{_KANJI[k]}丁目", net.x[node], net.y[node]))
            else:
                rows.append(_row(m, name, net.x[centre], net.y[centre]))
    return rows


def _row(m, town, x, y):
    return {
        "pref": PREF_NAME,
        "city": m.name,
        "town": town,
        "municipality_code": m.code,
        "x": float(x),
        "y": float(y),
    }


def layer(seed, net, munis, to_lonlat):
    """Return the ``address_points`` layer (EPSG:4326 GeoDataFrame) of the demo.

    ``to_lonlat(x, y) -> (lon, lat)`` converts the demo's local metres.

    Examples
    --------
    >>> pts = layer(42, net, geo.municipalities, demo._lonlat)  # doctest: +SKIP
    >>> list(pts.columns)  # doctest: +SKIP
    ['pref', 'city', 'town', 'municipality_code', 'geometry']
    """
    import geopandas as gpd

    rows = address_points(seed, net, munis)
    lon, lat = to_lonlat([r["x"] for r in rows], [r["y"] for r in rows])
    data = {c: [r[c] for r in rows] for c in ("pref", "city", "town", "municipality_code")}
    return gpd.GeoDataFrame(data, geometry=shapely.points(lon, lat), crs="EPSG:4326")
