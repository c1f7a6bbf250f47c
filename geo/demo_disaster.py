"""Demo content for the disaster officer: depth bands, durations, shelter tiers, power points.

Hooked at the end of :func:`geo.demo.build`; draws only from its own generator
(``numpy.random.default_rng([seed, STREAM])``), so no existing draw moves. It:

- gives every hazard zone its depth band as data: ``depth_min_m`` / ``depth_max_m`` from
  ``data/hazard_levels.csv`` and ``depth_m`` = the band's **lower** bound (the meaning the A31 /
  A40 importers use; the demo used to store the upper bound), and flood zones an inundation
  duration (``duration_h``, lower bound of the band; level >= 3: 1-2 weeks, level 2: 1-3 days,
  level 1: under 12 h) — the deep basins drain slowly;
- marks schools among the shelters (``is_school``) and adds the tiers the generator lacks:
  指定福祉避難所 (``designated_welfare_shelter``; special-needs schools) and 二次避難所
  (``secondary_shelter``), with and without backup power, on dry ground;
- adds a slow power-restoration area (``power_restoration`` hazard zone) over the mountain
  village (the power points themselves are the ``power_point`` places of
  :mod:`geo.demo_places`);
- places the built-in situations of :data:`SITUATIONS`.

Situations (hold for every seed; asserted by tests/test_disaster_demo.py):

- ``powered_beats_welfare``: (child_id, shelter_id): a ventilator user of the western mountain
  圏域 with a powered 指定避難所 next door; the nearest welfare-tier shelter is farther, so the
  nearest powered shelter beats the welfare candidate.
- ``long_duration_flood``: child_id of a ventilator user in the deep flood zone whose home stays
  under water for a week or more (``duration_h >= 168``), who can still leave by the levee road.
- ``slow_power_restoration``: (municipality code, child_id): the mountain village in the slow
  power-restoration area and a power-dependent child living there.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import codes

logger = logging.getLogger(__name__)

#: Own random stream (``default_rng([seed, STREAM])``).
STREAM = 1501

SITUATIONS = {
    "powered_beats_welfare": ("D320001", "99205-P901"),
    "long_duration_flood": "D310002",
    "slow_power_restoration": ("99401", "D330001"),
}

#: Inundation duration per flood level: (duration_h, duration_max_h) — A31 duration codes 5/3/1.
_FLOOD_DURATION = {1: (0.0, 12.0), 2: (24.0, 72.0)}
_DEEP_DURATION = (168.0, 336.0)

_TIERS = {
    # kind: (count, names, share with power, is_school)
    "designated_welfare_shelter": (4, ("特別支援学校", "県立特別支援学校"), 0.5, True),
    "secondary_shelter": (4, ("総合福祉センター", "県立体育館", "市民会館"), 0.5, False),
}


def _metric(frame):
    crs = frame.estimate_utm_crs()
    return frame.to_crs(crs), crs


def _depth_bands(hz):
    lv = codes.hazard_levels()
    lo = {(t, int(v)): a for (t, v), a in lv["depth_min_m"].items()}
    hi = {(t, int(v)): b for (t, v), b in lv["depth_max_m"].items()}
    keys = list(zip(hz["hazard_type"], hz["level"].astype(int), strict=True))
    hz["depth_min_m"] = np.array([lo.get(k, np.nan) for k in keys], dtype=float)
    hz["depth_max_m"] = np.array([hi.get(k, np.nan) for k in keys], dtype=float)
    hz["depth_m"] = hz["depth_min_m"]
    dur = np.full((len(hz), 2), np.nan)
    for i, (t, level) in enumerate(keys):
        if t == "flood":
            dur[i] = _DEEP_DURATION if level >= 3 else _FLOOD_DURATION.get(level, (np.nan,) * 2)
    hz["duration_h"] = dur[:, 0]
    hz["duration_max_h"] = dur[:, 1]
    return hz


def _code_at(munis, pts):
    j = gpd.sjoin(gpd.GeoDataFrame(geometry=pts, crs=munis.crs), munis[["code", "geometry"]])
    j = j[~j.index.duplicated()]
    return j["code"].reindex(range(len(pts))).tolist()


def add(layers, *, seed):
    """Add the disaster content to the demo ``layers`` in place (see the module docstring).

    Examples
    --------
    >>> from geo import demo
    >>> layers = demo.build(seed=1)  # doctest: +SKIP
    >>> layers["hazards"][["depth_min_m", "depth_max_m", "duration_h"]].notna().any().all()
    ...  # doctest: +SKIP
    True
    """
    rng = np.random.default_rng([seed, STREAM])
    hz = _depth_bands(layers["hazards"].copy())
    sh = layers["shelters"].copy()
    sh["is_school"] = sh["name"].str.contains("学校").to_numpy(dtype=bool)
    munis = layers["municipalities"]
    nodes = layers["roads_nodes"]
    nodes_m, crs = _metric(nodes)
    nx, ny = nodes_m.geometry.x.to_numpy(), nodes_m.geometry.y.to_numpy()
    zones = shapely.union_all(hz.to_crs(crs).geometry.to_numpy())
    dry = ~shapely.contains_xy(zones.buffer(200), nx, ny)
    kids = layers["children"].set_index("child_id")
    kid_m = kids.geometry.to_crs(crs)
    # keep far from the deep basin's cut-off child, so that it stays cut off
    cut = kid_m.loc["D310001"]
    far = np.hypot(nx - cut.x, ny - cut.y) > 3000

    rows = []
    for kind, (count, names, p_power, school) in _TIERS.items():
        pick = rng.choice(np.flatnonzero(dry & far), size=count, replace=False)
        for j, k in enumerate(pick):
            rows.append(
                {
                    "kind": kind,
                    "name": names[j % len(names)],
                    "has_power": bool(j % 2 == 0) if j < 2 else bool(rng.uniform() < p_power),
                    "is_school": school,
                    "x": nx[k] + 25.0,
                    "y": ny[k] + 15.0,
                    "letter": "F" if kind == "designated_welfare_shelter" else "S",
                }
            )
    # powered_beats_welfare: a powered designated shelter at the ventilator user's door
    child, sid = SITUATIONS["powered_beats_welfare"]
    c = kid_m.loc[child]
    # on the child's own road node (outside every zone), so that no road, flooded or not, lies
    # between them
    d = np.hypot(nx - c.x, ny - c.y)
    d[shapely.contains_xy(zones, nx, ny)] = np.inf
    k = int(np.argmin(d))
    rows.append(
        {
            "kind": "designated_shelter",
            "name": "にしやま西地区公民館（非常用発電機あり）",
            "has_power": True,
            "is_school": False,
            "x": nx[k] + 8.0,
            "y": ny[k] - 8.0,
            "letter": "P",
            "id": sid,
        }
    )
    new = pd.DataFrame(rows)
    pts = gpd.GeoSeries(shapely.points(new["x"], new["y"]), crs=crs).to_crs(sh.crs)
    code = _code_at(munis, pts)
    seq = {}
    ids = []
    for r, cd in zip(new.itertuples(), code, strict=True):
        if isinstance(getattr(r, "id", None), str):
            ids.append(r.id)
            continue
        seq[(cd, r.letter)] = seq.get((cd, r.letter), 0) + 1
        ids.append(f"{cd}-{r.letter}{seq[(cd, r.letter)]:03d}")
    all_types = ["flood", "inland_flood", "landslide", "tsunami", "storm_surge"]
    add_sh = gpd.GeoDataFrame(
        {
            "shelter_id": ids,
            "name": new["name"].tolist(),
            "kind": new["kind"],
            "hazards_ok": [list(all_types) for _ in ids],
            "has_power": new["has_power"].astype(bool),
            "accepts_medical": [True] * len(ids),
            "capacity": [int(v) for v in rng.integers(20, 200, len(ids))],
            "municipality_code": code,
            "is_school": new["is_school"].astype(bool),
        },
        geometry=pts.to_numpy(),
        crs=sh.crs,
    )
    names_m = dict(zip(munis["code"], munis["name"], strict=True))
    add_sh["name"] = [
        n if n.startswith("にしやま") else f"{names_m.get(cd, '')} {n}"
        for n, cd in zip(add_sh["name"], add_sh["municipality_code"], strict=True)
    ]
    layers["shelters"] = gpd.GeoDataFrame(
        pd.concat([sh, add_sh], ignore_index=True), geometry="geometry", crs=sh.crs
    )

    # slow power restoration: the mountain village (one polygon, level 2 = a week or more)
    code, _child = SITUATIONS["slow_power_restoration"]
    village = munis.loc[munis["code"] == code].geometry
    if len(village):
        row = {
            "hazard_id": "HPWR0001",
            "hazard_type": "power_restoration",
            "level": 2,
            "label": "restoration 1 week+",
            "depth_m": np.nan,
            "source": "デモ県 停電長期化想定区域（架空）",
            "depth_min_m": np.nan,
            "depth_max_m": np.nan,
            "duration_h": np.nan,
            "duration_max_h": np.nan,
        }
        extra = gpd.GeoDataFrame([row], geometry=[village.iloc[0]], crs=hz.crs)
        hz = gpd.GeoDataFrame(pd.concat([hz, extra], ignore_index=True), crs=hz.crs)
    layers["hazards"] = hz
    logger.info("Demo disaster content: %d shelters added (tiers, powered)", len(add_sh))
    return layers
