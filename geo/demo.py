"""The fictional demo prefecture デモ県: a complete workspace to learn and test ikemap with.

デモ県 is **fictional**. It is an island prefecture placed in the open Pacific around 31°N 143.5°E,
about 700 km east of the Izu islands, where it overlays no real place; its municipality codes use
the prefecture code 99, which does not exist. It has 19 municipalities (the designated city デモ市
with five wards kept as units, six cities, five towns, three villages), two kinds of 圏域 that group
them differently (five 障害保健福祉圏域, four 二次医療圏), a hierarchical road network,
facilities of every service type, shelters of every kind, flood, landslide and tsunami zones, and
a register of pseudonymous children. ``data/README.md`` describes it for users.

The geography (land, municipalities, areas, hazards, roads) is fixed for a size; the seed draws the
people (children, most facilities and shelters). The built-in situations of :data:`SITUATIONS`
are placed deterministically, so they hold for every seed.

Examples
--------
>>> from geo import demo
>>> layers = demo.build(seed=42)  # doctest: +SKIP
>>> sorted(layers)[:3]  # doctest: +SKIP
['area_members', 'areas', 'children']
>>> demo.SITUATIONS["remote_village"]
'99401'
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import (
    codes,
    demo_addresses,
    demo_capacity,
    demo_disaster,
    demo_places,
    demo_planner,
    settings,
    workspace,
)
from . import demo_people as people
from .demo_geography import AREAS, LOCAL_CRS, MUNICIPALITIES, PREF_NAME, elevation, geography
from .demo_roads import SIZES, Params, roads
from .errors import WorkspaceError

logger = logging.getLogger(__name__)

#: Version of the generator; bump it when the same seed starts giving different layers.
VERSION = "1"

#: First road node id (``roads_nodes.osmid`` = NODE_ID_BASE + node position).
NODE_ID_BASE = 9_900_000_000

#: The built-in situations the analyses must find, by id (they hold for every seed and size).
#:
#: - ``area_without_short_stay``: area_id of a 障害保健福祉圏域 with no 医療型短期入所.
#: - ``remote_village``: code of a mountain village whose children (and village office) are more
#:   than 60 min by car from every short_stay_medical facility.
#: - ``ventilator_in_deep_flood``: child_ids of ventilator users in flood zones of level >= 3
#:   (3 m and deeper); two live at the foot of the levee and can still leave by the levee road.
#: - ``cut_off_child``: the one of them who is cut off: when every road edge crossing a flood
#:   polygon of level >= 3 is closed, no suitable shelter (designated for flood, outside the flood
#:   zone, with power) can be reached.
#: - ``welfare_shelter_without_power``: shelter_id of a 福祉避難所 without backup power.
#: - ``border_facility``: (facility_id, area_id): a short_stay_medical facility just across the
#:   border of the 圏域 area_id (which has none), the nearest one for that 圏域's children.
SITUATIONS = {
    "area_without_short_stay": "K05",
    "remote_village": "99401",
    "ventilator_in_deep_flood": ("D310001", "D310002", "D310003"),
    "cut_off_child": "D310001",
    "welfare_shelter_without_power": "99201-W901",
    "border_facility": ("9910000007", "K05"),
}

#: The area kind of the 圏域 in :data:`SITUATIONS`.
SITUATION_AREA_KIND = "障害保健福祉圏域"

_TO_LONLAT = None


def _transformer():
    global _TO_LONLAT
    if _TO_LONLAT is None:
        _TO_LONLAT = pyproj.Transformer.from_crs(LOCAL_CRS, "EPSG:4326", always_xy=True)
    return _TO_LONLAT


def _lonlat(x, y):
    lon, lat = _transformer().transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def _to_4326(geoms):
    def fn(c):
        lon, lat = _lonlat(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, object), fn)


def _gdf(data, geoms):
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=settings.storage_crs)


def _points(x, y):
    lon, lat = _lonlat(x, y)
    return shapely.points(lon, lat)


def _params(size):
    if isinstance(size, Params):
        return size
    if size not in SIZES:
        msg = f"Unknown demo size {size!r}; expected one of {sorted(SIZES)}."
        raise ValueError(msg)
    return SIZES[size]


# ---------------------------------------------------------------------------------------------
# fixed layers


def _municipalities(geo):
    rows = [(m.code, m.name, PREF_NAME, geo.municipalities[m.code]) for m in MUNICIPALITIES]
    df = pd.DataFrame(rows, columns=["code", "name", "pref", "g"])
    df["kind"] = [m.kind for m in MUNICIPALITIES]
    return _gdf(df.drop(columns="g"), _to_4326(df["g"]))


def _areas(geo):
    rows, members = [], []
    for kind, areas in AREAS.items():
        for area_id, (name, codes_) in areas.items():
            poly = shapely.union_all([geo.municipalities[c] for c in codes_])
            rows.append((area_id, name, kind, poly))
            members.extend((area_id, kind, c) for c in codes_)
    df = pd.DataFrame(rows, columns=["area_id", "name", "kind", "g"])
    areas = _gdf(df.drop(columns="g"), _to_4326(df["g"]))
    return areas, pd.DataFrame(members, columns=["area_id", "kind", "municipality_code"])


def _landslides(net, n):
    """Landslide warning zones (level 1) with special zones (level 2) on slopes near roads."""
    rng = np.random.default_rng(99_7)
    west = np.nonzero(net.x < 15_000)[0]  # the hills and mountains lie west of x = 15 km
    cand = west[elevation(net.x[west], net.y[west]) > 150]
    pick = np.sort(rng.choice(cand, size=min(n, cand.size), replace=False))
    x, y = net.x[pick], net.y[pick]
    # uphill direction from the terrain gradient
    gx = (elevation(x + 50, y) - elevation(x - 50, y)) / 100
    gy = (elevation(x, y + 50) - elevation(x, y - 50)) / 100
    ang = np.arctan2(gy, gx)
    t = np.linspace(0, 2 * np.pi, 25)
    polys = []
    for level, scale, shift in ((1, 1.0, 90.0), (2, 0.45, 70.0)):
        sel = np.ones(pick.size, bool) if level == 1 else rng.uniform(0, 1, pick.size) < 0.45
        a = rng.uniform(110, 230, pick.size) * scale
        b = rng.uniform(50, 110, pick.size) * scale
        cx = x + shift * np.cos(ang)
        cy = y + shift * np.sin(ang)
        ex = a[:, None] * np.cos(t)
        ey = b[:, None] * np.sin(t)
        px = cx[:, None] + ex * np.cos(ang)[:, None] - ey * np.sin(ang)[:, None]
        py = cy[:, None] + ex * np.sin(ang)[:, None] + ey * np.cos(ang)[:, None]
        geoms = shapely.polygons(np.stack([px, py], -1))
        polys.extend((level, g) for g in geoms[sel])
    return polys


def _hazards(geo, slides):
    levels = codes.hazard_levels()
    labels = dict(zip(zip(levels["hazard_type"], levels["level"]), levels["label"], strict=True))
    rows = []

    def add(htype, level, depth, geom, source):
        # mesh speckle (a cell or two) is dropped, as map makers do; slide zones are small
        min_area = 100.0 if htype == "landslide" else 20_000.0
        for part in shapely.get_parts(geom):
            if part.area < min_area:
                continue
            label = labels[(htype, level)]
            rows.append((htype, level, label, depth, source, part))

    for level, depth, geom in geo.flood:
        add("flood", level, depth, geom, "デモ県 洪水浸水想定区域（架空, A31形式）")
    for level, depth, geom in geo.tsunami:
        add("tsunami", level, depth, geom, "デモ県 津波浸水想定（架空, A40形式）")
    for level, geom in slides:
        add("landslide", level, None, geom, "デモ県 土砂災害警戒区域（架空, A33形式）")
    df = pd.DataFrame(rows, columns=["hazard_type", "level", "label", "depth_m", "source", "g"])
    df.insert(0, "hazard_id", [f"H{i + 1:05d}" for i in range(len(df))])
    df["depth_m"] = df["depth_m"].astype("float64")
    return _gdf(df.drop(columns="g"), _to_4326(df["g"]))


def _road_layers(net):
    n = net.x.size
    lon, lat = _lonlat(net.x, net.y)
    osmid = NODE_ID_BASE + np.arange(n, dtype=np.int64)
    nodes = gpd.GeoDataFrame(
        {"osmid": osmid, "x": lon, "y": lat},
        geometry=shapely.points(lon, lat),
        crs=settings.storage_crs,
    )
    speeds = codes.road_speeds()
    length = np.hypot(net.x[net.u] - net.x[net.v], net.y[net.u] - net.y[net.v])
    inv, hw_codes = pd.factorize(net.highway)
    speed = np.array([speeds[h] for h in hw_codes], float)[inv]
    line = np.stack(
        [np.stack([lon[net.u], lat[net.u]], 1), np.stack([lon[net.v], lat[net.v]], 1)], 1
    )
    names = np.where(net.name == "", None, net.name.astype(object, copy=False))
    edges = gpd.GeoDataFrame(
        {
            "u": osmid[net.u],
            "v": osmid[net.v],
            "key": np.zeros(net.u.size, np.int64),
            "length": np.round(length, 2),
            "speed_kph": speed,
            "travel_time": np.round(np.round(length, 2) / (speed / 3.6), 3),
            "highway": net.highway.astype(object),
            "oneway": net.oneway.astype(bool),
            "name": names,
        },
        geometry=shapely.linestrings(line),
        crs=settings.storage_crs,
    )
    return nodes, edges


# ---------------------------------------------------------------------------------------------
# built-in situations (deterministic)


def _deep_flood(geo):
    return shapely.union_all([g for lv, _, g in geo.flood if lv >= 3])


def _any_flood(geo):
    return shapely.union_all([g for _, _, g in geo.flood])


def _nearest_node(net, x, y, mask=None):
    idx = np.arange(net.x.size) if mask is None else np.nonzero(mask)[0]
    d = np.hypot(net.x[idx] - x, net.y[idx] - y)
    return idx[np.argmin(d)]


def _builtin(geo, net):
    """Positions (local metres) and attributes of the built-in situation records."""
    deep = _deep_flood(geo)
    flood = _any_flood(geo)
    munis = geo.municipalities
    sett = {s.key: i for i, s in enumerate(net.settlements)}
    out = {"children": [], "facilities": [], "shelters": []}

    # the cut-off child: deep inside the deep-flood basin of かわべ市
    inner = deep.buffer(-450)
    kaw = net.settlement == sett["kawabe"]
    ok = kaw & shapely.contains_xy(inner, net.x, net.y)
    k = _nearest_node(net, 8000, -600, ok)
    v1 = (net.x[k] + 12, net.y[k] + 9)
    # two children at the foot of the levee: nearest node is on the levee road
    river = geo.river
    lev = net.levee
    pts = []
    for target_x in (0.0, 4500.0):
        order = lev[np.argsort(np.abs(net.x[lev] - target_x))]
        for node in order[:200]:
            p = shapely.Point(net.x[node], net.y[node])
            q = shapely.line_interpolate_point(river, shapely.line_locate_point(river, p))
            dx, dy = net.x[node] - q.x, net.y[node] - q.y
            norm = np.hypot(dx, dy)
            cx, cy = net.x[node] + 38 * dx / norm, net.y[node] + 38 * dy / norm
            d = np.hypot(net.x - cx, net.y - cy)
            d[node] = np.inf
            if deep.contains(shapely.Point(cx, cy)) and d.min() > 75:
                pts.append((cx, cy))
                break
    if len(pts) != 2:
        msg = "demo: no levee-foot position found for the flood situation"
        raise AssertionError(msg)
    ids = SITUATIONS["ventilator_in_deep_flood"]
    care_v = [
        ["ventilator", "tracheostomy", "suction", "gastrostomy"],
        ["ventilator", "tracheostomy", "suction", "tube_feeding", "oxygen"],
        ["ventilator", "suction", "tube_feeding"],
    ]
    for cid, (x, y), care, age, plan in zip(
        ids, [v1, *pts], care_v, (4, 7, 2), (False, True, False), strict=True
    ):
        out["children"].append((cid, x, y, age, care, "bedridden", plan))
    # shelters on high ground at the upstream ends of both levees (suitable for flood)
    for j, up in enumerate(net.levee_up):
        x, y = net.x[up] - 60.0, net.y[up] + (60.0 if j == 0 else -60.0)
        if flood.distance(shapely.Point(x, y)) < 100:
            msg = "demo: levee shelter lies in a flood zone"
            raise AssertionError(msg)
        code = people.municipality_of(munis, np.array([x]), np.array([y]))[0]
        out["shelters"].append(
            (
                f"{code}-D90{j}",
                f"デモ川上流 高台避難所{j + 1}",
                "designated_shelter",
                ["flood", "inland_flood", "landslide", "tsunami", "storm_surge"],
                True,
                True,
                300,
                x,
                y,
            )
        )
    # the welfare shelter without power, in かわべ市 on dry ground
    ok = (
        (net.settlement >= 0)
        & shapely.contains_xy(munis["99201"], net.x, net.y)
        & ~shapely.contains_xy(flood.buffer(150), net.x, net.y)
    )
    k = _nearest_node(net, 8500, -3200, ok)
    out["shelters"].append(
        (
            SITUATIONS["welfare_shelter_without_power"],
            "かわべ特別支援学校（福祉避難所）",
            "welfare_shelter",
            ["flood", "inland_flood", "landslide"],
            False,
            True,
            40,
            net.x[k] + 20,
            net.y[k] + 15,
        )
    )
    # short_stay_medical: all built in, none in the western mountain 圏域 (K05)
    # (id, name, settlement, target km, capacity, accepts (None = unknown; "all" = every code;
    # else every code but these), age_min, age_max): a 0-5 gap at one 重心 facility, one unknown
    every = "all"
    stays = [
        ("9910000001", "デモ県立こども医療センター", "demo", (31.8, 3.0), 10, every, 0, 18),
        ("9910000002", "デモ市北療育医療センター", "demo", (30.5, 7.0), 12, ("dialysis",), 0, None),
        ("9910000003", "みなと市民病院 医療型短期入所", "minato", (31.5, 20.5), 4,
         ("dialysis", "central_venous"), 0, 18),
        ("9910000004", "しおさい療育園", "shiosai", (24.5, -19.0), 6,
         ("ventilator", "nasal_high_flow", "dialysis"), 6, None),
        ("9910000005", "かわべ総合病院 医療型短期入所", "kawabe", (8.5, -2.4), 4, None, 0, None),
        ("9910000006", "きたの こども療育センター", "kitano", (10.0, 21.5), 8,
         ("dialysis",), 0, 18),
    ]  # fmt: skip
    all_care = sorted(codes.valid("care_types"))
    for fid, name, key, (tx, ty), cap, acc, amin, amax in stays:
        k = _nearest_node(net, tx * 1000, ty * 1000, net.settlement == sett[key])
        if acc is not None:
            acc = all_care if acc == every else [c for c in all_care if c not in acc]
        out["facilities"].append(
            (fid, name, "short_stay_medical", cap, acc, amin, amax, True, net.x[k] + 25,
             net.y[k] + 15)
        )  # fmt: skip
    # the border facility: in なかがわ町 (K03), just across the border of にしやま市 (K05)
    nak, nis = munis["99302"], munis["99205"]
    band = nis.buffer(1400).difference(nis.buffer(500))
    ok = (net.settlement < len(sett)) & shapely.contains_xy(band.intersection(nak), net.x, net.y)
    nis_c = net.settlements[sett["nishiyama"]]
    k = _nearest_node(net, nis_c.x_km * 1000, nis_c.y_km * 1000, ok)
    out["facilities"].append(
        (
            SITUATIONS["border_facility"][0],
            "なかがわ療育医療センター",
            "short_stay_medical",
            6,
            sorted(codes.valid("care_types")),
            0,
            None,
            True,
            net.x[k] + 20,
            net.y[k] + 20,
        )
    )
    # children of the western 圏域 who depend on it, and of the remote village
    nis_nodes = np.nonzero(net.settlement == sett["nishiyama"])[0]
    east = nis_nodes[np.argsort(-net.x[nis_nodes])]
    border_kids = [
        ("D320001", 3, ["ventilator", "tracheostomy", "suction", "gastrostomy"], "bedridden", True),
        ("D320002", 6, ["suction", "tube_feeding"], "wheelchair", False),
        ("D320003", 1, ["tube_feeding"], "bedridden", False),
        ("D320004", 10, ["tracheostomy", "suction", "tube_feeding"], "bedridden", True),
        ("D320005", 4, ["suction", "gastrostomy", "oxygen"], "wheelchair", False),
    ]
    for j, (cid, age, care, mob, plan) in enumerate(border_kids):
        k = east[j * 7]
        out["children"].append((cid, net.x[k] + 15, net.y[k] - 10, age, care, mob, plan))
    oku = np.nonzero(net.settlement == sett["okuyama"])[0]
    for j, (cid, age, care) in enumerate(
        [
            ("D330001", 5, ["ventilator", "tracheostomy", "suction", "gastrostomy"]),
            ("D330002", 12, ["tube_feeding", "suction"]),
        ]
    ):
        k = oku[(j * 5) % oku.size]
        out["children"].append((cid, net.x[k] + 10, net.y[k] + 10, age, care, "bedridden", j == 0))
    return out


# ---------------------------------------------------------------------------------------------
# random layers (seeded)


def _children(rng, geo, net, params, builtin):
    deep = _deep_flood(geo)
    n_rand = params.children - len(builtin)
    care = people.care_lists(rng, n_rand)
    age = people.ages(rng, care)
    vent = np.array(["ventilator" in c for c in care])
    weights = net.weight.copy()
    x = np.empty(n_rand)
    y = np.empty(n_rand)
    code = np.empty(n_rand, object)
    for mask, avoid in ((~vent, None), (vent, lambda a, b: shapely.contains_xy(deep, a, b))):
        if mask.any():
            px, py, _, pc = people.place(
                rng, net, weights, int(mask.sum()), geo.municipalities, avoid=avoid
            )
            x[mask], y[mask], code[mask] = px, py, pc
    mob = people.mobility(rng, care, age)
    ct = codes.care_types()
    needs_power = set(ct.index[ct["power_dependent"]])
    power = np.array([bool(needs_power.intersection(c)) for c in care])
    plan = rng.uniform(0, 1, n_rand) < np.where(vent, 0.55, np.where(power, 0.3, 0.15))
    taken = {b[0] for b in builtin}
    pool = 100_000 + rng.choice(900_000, size=n_rand + len(taken), replace=False)
    ids = [f"D{v:06d}" for v in pool if f"D{v:06d}" not in taken][:n_rand]
    bx = np.array([b[1] for b in builtin])
    by = np.array([b[2] for b in builtin])
    df = pd.DataFrame(
        {
            "child_id": ids + [b[0] for b in builtin],
            "age": np.r_[age, [b[3] for b in builtin]].astype(np.int64),
            "care": care + [list(b[4]) for b in builtin],
            "mobility": mob + [b[5] for b in builtin],
            "municipality_code": list(code)
            + list(people.municipality_of(geo.municipalities, bx, by)),
            "has_evac_plan": np.r_[plan, [b[6] for b in builtin]].astype(bool),
            "last_verified": people.verified_dates(rng, n_rand + len(builtin)),
        }
    )
    gx, gy = np.r_[x, bx], np.r_[y, by]
    order = np.argsort(df["child_id"].to_numpy(), kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    return _gdf(df, _points(gx[order], gy[order]))


def _facilities(rng, geo, net, params, builtin):
    types = codes.service_types()
    rows = [tuple(b) for b in builtin]
    services = list(types.index)
    weights = net.weight**1.2
    for s_idx, service in enumerate(services, start=1):
        count = int(round(people.FACILITY_COUNTS.get(service, 0) * params.facilities))
        if count == 0:
            continue
        x, y, _, code = people.place(rng, net, weights, count, geo.municipalities)
        seq = 1 + rng.choice(9_999_999, size=count, replace=False)
        medical = bool(types.loc[service, "medical"])
        for i in range(count):
            lo, hi = people.age_range(rng, service, types)
            rows.append(
                (
                    f"99{s_idx}{seq[i]:07d}",
                    people.facility_name(rng, service, code[i]),
                    service,
                    people.capacity(rng, service),
                    people.accepts(rng, service),
                    lo,
                    hi,
                    bool(rng.uniform() < (0.7 if medical else 0.25)),
                    x[i],
                    y[i],
                )
            )
    cols = ["facility_id", "name", "service", "capacity", "accepts", "age_min", "age_max",
            "has_power", "x", "y"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    x, y = df.pop("x").to_numpy(float), df.pop("y").to_numpy(float)
    df["capacity"] = pd.array(df["capacity"], dtype="Int64")
    df["age_min"] = pd.array(df["age_min"], dtype="Int64")
    df["age_max"] = pd.array(df["age_max"], dtype="Int64")
    df["municipality_code"] = people.municipality_of(geo.municipalities, x, y)
    df["source"] = "demo"
    dates = np.array(["2024-10-01", "2025-01-15", "2025-03-01"])
    df["source_date"] = dates[rng.integers(0, 3, len(df))]
    df.loc[df["facility_id"].str.startswith("991"), "source_date"] = "2025-03-01"
    return _gdf(df, _points(x, y))


def _shelters(rng, geo, net, params, builtin, hazards_local, avoid_xy):
    flood = _any_flood(geo)
    tsun = shapely.union_all([g for _, _, g in geo.tsunami])
    slide = shapely.union_all(hazards_local)
    rows = list(builtin)
    kinds = {"designated_shelter": 60, "emergency_site": 40, "welfare_shelter": 14}
    names = {
        "designated_shelter": ("小学校", "中学校", "公民館", "コミュニティセンター", "体育館"),
        "emergency_site": ("公園", "広場", "グラウンド"),
        "welfare_shelter": ("特別支援学校", "福祉センター", "特別養護老人ホーム", "障害者支援施設"),
    }
    letter = {"designated_shelter": "D", "emergency_site": "E", "welfare_shelter": "W"}
    names_m = {m.code: m.name for m in MUNICIPALITIES}
    ax, ay = avoid_xy

    def avoid(x, y):
        return np.hypot(x - ax, y - ay) < 400

    weights = net.weight**0.6
    for kind, n in kinds.items():
        count = int(round(n * params.shelters))
        x, y, _, code = people.place(rng, net, weights, count, geo.municipalities, avoid=avoid)
        pts = shapely.points(x, y)
        ok = {
            "flood": shapely.distance(pts, flood) > 150,
            "tsunami": shapely.distance(pts, tsun) > 150,
            "landslide": shapely.distance(pts, slide) > 100,
        }
        ok["inland_flood"] = ok["flood"]
        ok["storm_surge"] = ok["tsunami"]
        for i in range(count):
            hz = [h for h in ("flood", "inland_flood", "storm_surge", "tsunami", "landslide")
                  if ok[h][i] and rng.uniform() > 0.1]  # fmt: skip
            power = rng.uniform() < {"designated_shelter": 0.35, "emergency_site": 0.05,
                                     "welfare_shelter": 0.6}[kind]  # fmt: skip
            medical = rng.uniform() < {"designated_shelter": 0.15, "emergency_site": 0.0,
                                       "welfare_shelter": 0.8}[kind]  # fmt: skip
            cap = {"designated_shelter": (100, 800), "emergency_site": (200, 3000),
                   "welfare_shelter": (10, 60)}[kind]  # fmt: skip
            nm = names[kind][rng.integers(len(names[kind]))]
            rows.append(
                (
                    f"{code[i]}-{letter[kind]}{i + 1:03d}",
                    f"{names_m[code[i]]} {_flavour(rng)}{nm}",
                    kind,
                    hz,
                    bool(power),
                    bool(medical),
                    int(rng.integers(*cap)),
                    x[i],
                    y[i],
                )
            )
    cols = ["shelter_id", "name", "kind", "hazards_ok", "has_power", "accepts_medical",
            "capacity", "x", "y"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    x, y = df.pop("x").to_numpy(float), df.pop("y").to_numpy(float)
    df["capacity"] = df["capacity"].astype(np.int64)
    df["municipality_code"] = people.municipality_of(geo.municipalities, x, y)
    return _gdf(df, _points(x, y))


def _flavour(rng):
    return ("第一", "第二", "中央", "東", "西", "南", "北", "市立", "みどり", "さくら")[
        rng.integers(10)
    ]


# ---------------------------------------------------------------------------------------------
# public API


def build(*, seed=42, size="small"):
    """Build every input layer of the fictional デモ県.

    Parameters
    ----------
    seed : int, default 42
        Seed of the people (children, most facilities and shelters). The same seed gives
        identical layers; the geography and the built-in :data:`SITUATIONS` do not depend on it.
    size : {"small", "prefecture"} or Params, default "small"
        ``small``: about 27k road nodes and 300 children, built in seconds; ``prefecture``: about
        1M road nodes and 10,000 children, for benchmarks.

    Returns
    -------
    dict of str to DataFrame
        One frame per layer of ``geo.workspace.INPUT_LAYERS``; spatial layers in EPSG:4326.

    Examples
    --------
    >>> layers = build(seed=1)  # doctest: +SKIP
    >>> len(layers["children"])  # doctest: +SKIP
    300
    """
    params = _params(size)
    geo, net, road_frames = _roads(params)
    layers = _base_layers(seed, params, geo, net, road_frames)
    _finish(layers, seed, params)
    return layers


#: The road layers: :func:`write` writes them in a child process while the rest is built.
ROAD_LAYERS = ("roads_nodes", "roads_edges")


def _roads(params):
    """The geography, the demo road network and the road layers (they draw no random numbers)."""
    geo = geography()
    net = roads(params)
    nodes, edges = _road_layers(net)
    return geo, net, {"roads_nodes": nodes, "roads_edges": edges}


def _base_layers(seed, params, geo, net, road_frames):
    """The layers drawn from the geography, the road network and the seeded people."""
    rng = np.random.default_rng(seed)
    b = _builtin(geo, net)
    munis = _municipalities(geo)
    areas, members = _areas(geo)
    slides = _landslides(net, 120 if params.name == "small" else 360)
    hazards = _hazards(geo, slides)
    slides_local = [g for _, g in slides]
    children = _children(rng, geo, net, params, b["children"])
    facilities = _facilities(rng, geo, net, params, b["facilities"])
    cut = next(c for c in b["children"] if c[0] == SITUATIONS["cut_off_child"])
    shelters = _shelters(rng, geo, net, params, b["shelters"], slides_local, (cut[1], cut[2]))
    layers = {
        "municipalities": munis,
        "areas": areas,
        "area_members": members,
        "facilities": facilities,
        "shelters": shelters,
        "hazards": hazards,
        "children": children,
        "roads_nodes": road_frames["roads_nodes"],
        "roads_edges": road_frames["roads_edges"],
    }
    layers["address_points"] = demo_addresses.layer(seed, net, geo.municipalities, _lonlat)
    return layers


def _finish(layers, seed, params):
    """Add the places, capacity, disaster and planner layers; return the routing network.

    The network (``geo.network.Network`` of the road layers, without edge shapes) is built
    once: the capacity situation searches it and :func:`write` saves it as the prepared folder.
    """
    from .network import network_from_layers

    rnet = network_from_layers(layers["roads_nodes"], layers["roads_edges"], geometry=False)
    demo_places.add(layers, seed=seed)  # directory places, capabilities, coordinator coverage
    demo_capacity.add(layers, seed=seed, net=rnet)  # full short stay, under-6 gap (own RNG)
    demo_disaster.add(layers, seed=seed)  # depth bands, durations, shelter tiers, power (own RNG)
    demo_planner.add(layers, seed=seed)  # consultation log, child source lists (own RNG stream)
    logger.info(
        "Built demo デモ県 (seed %d, size %s): %d children, %d facilities, %d shelters, "
        "%d hazard zones, %s road nodes",
        seed, params.name, len(layers["children"]), len(layers["facilities"]),
        len(layers["shelters"]), len(layers["hazards"]), f"{len(layers['roads_nodes']):,}",
    )  # fmt: skip
    return rnet


def write(path, *, seed=42, size="small"):
    """Build the demo and write it as a workspace GeoPackage.

    An existing file at ``path`` is replaced only if it is itself a demo workspace (its
    metadata says ``fictional=true``); a real workspace is never overwritten.

    Parameters
    ----------
    path : str or Path
        Workspace to write (``.gpkg``).
    seed : int, default 42
    size : {"small", "prefecture"}, default "small"

    Returns
    -------
    Path
        The written workspace.

    Examples
    --------
    >>> write("/tmp/demo.gpkg", seed=42)  # doctest: +SKIP
    PosixPath('/tmp/demo.gpkg')
    """
    path = Path(path)
    params = _params(size)
    if path.exists() and workspace.metadata(path).get("fictional") != "true":
        msg = (
            f"{path} exists and is not a demo workspace; ikemap demo never overwrites a real "
            "workspace. Choose another --out path or delete the file yourself."
        )
        raise WorkspaceError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-demo-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    tmp.unlink()
    try:
        geo, net, roads_ = _roads(params)
        writer = _start_road_writer(tmp, roads_)
        try:
            layers = _base_layers(seed, params, geo, net, roads_)
            del geo, net
            rnet = _finish(layers, seed, params)
        except BaseException:
            _stop_road_writer(writer)
            raise
        _join_road_writer(writer, tmp, roads_)
        workspace.write_layers(tmp, {k: v for k, v in layers.items() if k not in ROAD_LAYERS})
        workspace.write_metadata(
            tmp,
            {
                "region": PREF_NAME,
                "region_en": "Demo prefecture (fictional)",
                "fictional": "true",
                "seed": seed,
                "size": params.name,
                "generator": "geo.demo",
                "generator_version": VERSION,
                "crs": settings.storage_crs,
                "note": "架空の県です。実在の地域・施設・人物とは関係ありません。",
            },
        )
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        for p in (tmp, Path(f"{tmp}-journal")):
            p.unlink(missing_ok=True)
    logger.info("Wrote demo workspace %s", path)
    _save_prepared(path, rnet)
    return path


def _start_road_writer(tmp, frames):
    """Start writing the road layers (the largest) into ``tmp`` in a forked child process.

    GDAL holds the GIL while it writes, so a thread would not overlap the rest of the build;
    a forked child (it shares the frames copy-on-write) uses a second core. The parent writes
    its own layers only after the child has finished (one writer at a time). Without the fork
    start method (Windows) nothing is started: :func:`_join_road_writer` writes in-process.
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    proc = multiprocessing.get_context("fork").Process(
        target=workspace.write_layers, args=(tmp, frames), name="ikemap-demo-roads", daemon=True
    )
    proc.start()
    return proc


def _stop_road_writer(proc):
    """Stop the road writer after the build failed (the caller drops the temporary file)."""
    if proc is not None:
        proc.terminate()
        proc.join()


def _join_road_writer(proc, tmp, frames):
    """Wait for the road writer (or write the roads here); a failed child fails the demo."""
    if proc is None:
        workspace.write_layers(tmp, frames)
        return
    proc.join()
    if proc.exitcode != 0:
        msg = (
            f"demo: writing the road layers into {tmp} failed in the writer process (exit "
            f"code {proc.exitcode}; its error is printed above); no workspace was written."
        )
        raise WorkspaceError(msg)


def _save_prepared(path, net):
    """Save the prepared network (``W.gpkg.net/``) of a written demo.

    ``net`` is the network :func:`_finish` built from the road frames: the same folder
    :func:`geo.prepared.load_network` would build on first use by reading the road layers back
    (same arrays, same content hash, keyed by the written file's fingerprint). The CCH node
    order is still computed on first use. A folder that cannot be written is only logged: it is
    rebuilt later.
    """
    from . import prepared

    fp = prepared.fingerprint(path)
    if fp is None:
        return
    meta = {
        "version": prepared.VERSION,
        "fingerprint": fp,
        "content_hash": prepared._content_hash(net),
        "crs": net.crs.to_wkt(),
        "n_nodes": int(net.n_nodes),
        "n_edges": int(net.n_edges),
    }
    folder = prepared.sidecar(path)
    try:
        prepared._save(folder, net, meta)
    except OSError as exc:
        logger.warning("Could not save the prepared network to %s: %s", folder, exc)
        return
    logger.info("Saved the prepared network to %s", folder)
