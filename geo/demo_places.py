"""Directory places and capabilities of the fictional デモ県 (own random stream).

Adds to a built demo the kinds of place families need besides services (nurseries accepting
medical care, special-needs schools, a 医療型障害児入所施設, the prefectural support centre,
a consultation window per municipality, 圏域 coordinators, power points), the capabilities of
every place (nurse on site, transport, bathing, pediatric experience, 0-year-olds, opening
hours, overnight, emergency acceptance, generator, EV power; about one value in five unknown)
and the municipalities each coordinator covers (``place_coverage``).

Random choices use ``default_rng([seed, STREAM])`` only, so the other demo layers never move.
The built-in situations of :data:`SITUATIONS` do not depend on the seed:

- ``life_care_without_nurse``: ``(area_id, facility_id)``: the only 生活介護 of 西部山間圏域
  has no nurse (it has transport; bathing is unknown);
- ``shared_coordinator``: ``(municipality_code, facility_id, n_others)``: きたやま町 shares its
  圏域 coordinator with five other municipalities (one placement);
- ``weekdays_only_centre``: facility_id of the prefectural centre, open Mon-Fri 9:00-17:00;
- ``uncovered_town``: a town no coordinator covers (ひがしはま町).

Examples
--------
>>> from geo import demo_places
>>> demo_places.SITUATIONS["shared_coordinator"][2]
5
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .demo_geography import AREAS, LOCAL_CRS, MUNICIPALITIES

#: Stream id of this module (``default_rng([seed, STREAM])``).
STREAM = 1401
#: Provenance of every demo capability value.
SOURCE, SOURCE_DATE = "デモ県 事業所調査票（架空）", "2025-03-01"

SITUATIONS = {
    "life_care_without_nurse": ("K05", "DP-LC-99205"),
    "shared_coordinator": ("99303", "DP-AC-K05", 5),
    "weekdays_only_centre": "DP-SC-1",
    "uncovered_town": "99301",
}

_NAMES = {m.code: m.name for m in MUNICIPALITIES}
_AREA_KIND = "障害保健福祉圏域"

#: (facility_id, name, service, municipality, capacity, accepts, age_min, age_max)
_PLACES = [
    ("DP-SC-1", "デモ県医療的ケア児支援センター", "support_centre", "99101",
     None, None, None, None),
    ("DP-AC-K01", "デモ市 医療的ケア児等コーディネーター", "area_coordinator", "99101",
     None, None, None, None),
    ("DP-AC-K02", "北部圏域 医療的ケア児等コーディネーター", "area_coordinator", "99202",
     None, None, None, None),
    ("DP-AC-K03", "中部圏域 医療的ケア児等コーディネーター", "area_coordinator", "99201",
     None, None, None, None),
    ("DP-AC-K04", "南部圏域 医療的ケア児等コーディネーター（しおさい市・みなみの市）",
     "area_coordinator", "99203", None, None, None, None),
    ("DP-AC-K05", "西部山間圏域 医療的ケア児等コーディネーター（共同設置）", "area_coordinator",
     "99205", None, None, None, None),
    ("DP-NU-99101", "デモ市立 中央保育園（看護師配置）", "nursery_medical", "99101", 3,
     ["tube_feeding", "suction", "catheterization", "gastrostomy"], 0, 6),
    ("DP-NU-99104", "デモ市立 ひがし保育園", "nursery_medical", "99104", 2,
     ["tube_feeding", "gastrostomy"], 1, 6),
    ("DP-NU-99202", "みなと市 こども園", "nursery_medical", "99202", 2, None, 0, 6),
    ("DP-NU-99201", "かわべ市立 かわべ保育所", "nursery_medical", "99201", 2,
     ["suction", "tube_feeding", "tracheostomy"], 0, 6),
    ("DP-NU-99203", "しおさい幼稚園", "nursery_medical", "99203", 1, ["catheterization"], 3, 6),
    ("DP-NU-99305", "さくら町 さくら保育園", "nursery_medical", "99305", 1, None, 0, 6),
    ("DP-SS-99102", "デモ県立 北特別支援学校", "special_school", "99102", 120,
     ["ventilator", "tracheostomy", "suction", "tube_feeding", "gastrostomy", "oxygen",
      "catheterization"], 6, 18),
    ("DP-SS-99201", "デモ県立 かわべ特別支援学校", "special_school", "99201", 80,
     ["suction", "tube_feeding", "gastrostomy", "catheterization"], 6, 18),
    ("DP-SS-99203", "デモ県立 しおさい特別支援学校", "special_school", "99203", 60, None, 6, 18),
    ("DP-MR-99105", "デモ療育園（医療型障害児入所施設）", "medical_residential", "99105", 40,
     ["ventilator", "tracheostomy", "suction", "oxygen", "tube_feeding", "gastrostomy",
      "central_venous", "catheterization"], 0, None),
    ("DP-LC-99205", "にしやま市 やまなみ 生活介護事業所", "life_care", "99205", 20,
     ["tube_feeding", "gastrostomy"], 18, None),
    ("DP-PW-99101", "デモ市役所 EV給電ステーション", "power_point", "99101",
     None, None, None, None),
    ("DP-PW-99201", "かわべ市 防災センター（発電機）", "power_point", "99201", None, None, None,
     None),
    ("DP-PW-99205", "にしやま市 道の駅（EV給電・発電機）", "power_point", "99205", None, None,
     None, None),
    ("DP-PW-99401", "おくやま村 役場（発電機）", "power_point", "99401", None, None, None, None),
]  # fmt: skip

#: Coverage of the 圏域 coordinators: facility_id -> municipality codes.
_COVERAGE = {
    "DP-AC-K01": AREAS[_AREA_KIND]["K01"][1],  # デモ市: one city as its own unit
    "DP-AC-K02": AREAS[_AREA_KIND]["K02"][1],
    "DP-AC-K03": AREAS[_AREA_KIND]["K03"][1],
    "DP-AC-K04": ("99203", "99206"),  # ひがしはま町 has none yet
    "DP-AC-K05": AREAS[_AREA_KIND]["K05"][1],  # six municipalities, one joint placement
}

_WEEKDAY = {"hours_weekday": "09:00-17:00", "hours_saturday": "closed",
            "hours_sunday_holiday": "closed"}  # fmt: skip
_OFFICE = {"hours_weekday": "08:30-17:15", "hours_saturday": "closed",
           "hours_sunday_holiday": "closed"}  # fmt: skip

#: Fixed capabilities of the built-in places (the rest is unknown).
_FIXED = {
    "DP-SC-1": {**_WEEKDAY, "phone_hours": "平日 9:00-17:00"},
    "DP-AC-K01": {**_OFFICE},
    "DP-AC-K02": {**_OFFICE, "hours_saturday": "09:00-12:00"},
    "DP-AC-K03": {},
    "DP-AC-K04": {**_OFFICE},
    "DP-AC-K05": {"hours_weekday": "09:00-16:00", "hours_saturday": "closed",
                  "hours_sunday_holiday": "closed"},
    "DP-NU-99101": {"nurse_on_site": "true", "staff_nurses": "2", "accepts_age0": "true",
                    "accepted_medical_before": "true",
                    "hours_weekday": "07:30-18:30", "hours_saturday": "07:30-18:30",
                    "hours_sunday_holiday": "closed"},
    "DP-NU-99104": {"nurse_on_site": "true", "accepts_age0": "false",
                    "accepted_medical_before": "true",
                    "hours_weekday": "07:30-18:30", "hours_saturday": "closed"},
    "DP-NU-99202": {"nurse_on_site": "true", "accepted_medical_before": "false"},
    "DP-NU-99201": {"nurse_on_site": "true", "accepts_age0": "true",
                    "hours_weekday": "08:00-18:00"},
    "DP-NU-99203": {"nurse_on_site": "false", "visiting_nurse_support": "true",
                    "hours_weekday": "09:00-14:00"},
    "DP-NU-99305": {},
    "DP-SS-99102": {"nurse_on_site": "true", "staff_nurses": "6", "transport": "true",
                    "welfare_shelter": "true", "generator": "true",
                    "hours_weekday": "08:30-15:30", "hours_saturday": "closed",
                    "hours_sunday_holiday": "closed"},
    "DP-SS-99201": {"nurse_on_site": "true", "staff_nurses": "3", "transport": "true",
                    "welfare_shelter": "true", "generator": "false"},
    "DP-SS-99203": {"nurse_on_site": "true", "transport": "true"},
    "DP-MR-99105": {"nurse_on_site": "true", "overnight": "true", "emergency_acceptance": "true",
                    "accepts_age0": "true", "generator": "true",
                    "hours_weekday": "00:00-24:00", "hours_saturday": "00:00-24:00",
                    "hours_sunday_holiday": "00:00-24:00"},
    "DP-LC-99205": {"nurse_on_site": "false", "transport": "true",
                    "hours_weekday": "09:30-16:00", "hours_saturday": "closed",
                    "hours_sunday_holiday": "closed"},
    "DP-PW-99101": {"ev_charging": "true", "generator": "false",
                    "hours_weekday": "08:30-17:15"},
    "DP-PW-99201": {"generator": "true", "ev_charging": "false"},
    "DP-PW-99205": {"ev_charging": "true", "generator": "true",
                    "hours_weekday": "00:00-24:00", "hours_saturday": "00:00-24:00",
                    "hours_sunday_holiday": "00:00-24:00"},
    "DP-PW-99401": {"generator": "true"},
}  # fmt: skip

#: Capabilities drawn for the random facilities, per service: code -> P(true), P(false).
_DRAWN = {
    "life_care": {"nurse_on_site": (0.45, 0.35), "transport": (0.6, 0.2), "bathing": (0.4, 0.4)},
    "child_development": {"nurse_on_site": (0.4, 0.4), "transport": (0.6, 0.2),
                          "accepts_age0": (0.3, 0.5)},
    "after_school_day": {"nurse_on_site": (0.3, 0.5), "transport": (0.7, 0.1)},
    "daytime_care": {"nurse_on_site": (0.3, 0.5), "transport": (0.5, 0.3)},
    "short_stay_medical": {"accepts_age0": (0.45, 0.35), "overnight": (0.9, 0.0),
                           "emergency_acceptance": (0.4, 0.3), "nurse_on_site": (1.0, 0.0)},
    "short_stay_welfare": {"overnight": (0.9, 0.0), "nurse_on_site": (0.2, 0.6)},
    "visiting_nurse": {"pediatric_experience": (0.45, 0.35), "emergency_acceptance": (0.6, 0.2)},
    "home_medical": {"pediatric_experience": (0.3, 0.4), "emergency_acceptance": (0.7, 0.1)},
    "consultation": {},
}  # fmt: skip

_DAY_HOURS = {
    "life_care": "09:30-16:00",
    "child_development": "09:30-15:30",
    "after_school_day": "10:00-18:00",
    "daytime_care": "09:00-17:00",
    "consultation": "09:00-17:00",
}


def _node_table(layers):
    """Road nodes with metric coordinates, municipality and degree (for placing points)."""
    nodes = layers["roads_nodes"]
    edges = layers["roads_edges"]
    deg = pd.concat([edges["u"], edges["v"]]).value_counts()
    local = nodes.to_crs(LOCAL_CRS)
    munis = layers["municipalities"]
    hit = gpd.sjoin(nodes[["geometry"]], munis[["code", "geometry"]], predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    out = pd.DataFrame(
        {
            "osmid": nodes["osmid"].to_numpy(),
            "x": local.geometry.x.to_numpy(),
            "y": local.geometry.y.to_numpy(),
            "lon": nodes.geometry.x.to_numpy(),
            "lat": nodes.geometry.y.to_numpy(),
        },
        index=nodes.index,
    )
    out["code"] = hit["code"].reindex(nodes.index)
    out["degree"] = out["osmid"].map(deg).fillna(0).astype(int)
    return out[out["code"].notna() & (out["degree"] >= 4)]


def _spot(nodes, code, k):
    """The k-th node (0 = most central) of a municipality, counted from its seed point."""
    m = next(m for m in MUNICIPALITIES if m.code == code)
    sub = nodes[nodes["code"] == code]
    d = np.hypot(sub["x"].to_numpy() - m.x_km * 1000, sub["y"].to_numpy() - m.y_km * 1000)
    order = np.argsort(d, kind="stable")
    row = sub.iloc[order[min(k * 7, len(order) - 1)]]
    return float(row["lon"]), float(row["lat"])


def places(layers):
    """The built-in directory places (seed-independent) as facility rows.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of the demo ``facilities`` layer; source ``demo``.
    """
    nodes = _node_table(layers)
    used = {}
    rows = []
    for fid, name, service, code, cap, acc, lo, hi in _PLACES:
        k = used.get(code, 0) + 1
        used[code] = k
        lon, lat = _spot(nodes, code, k)
        rows.append(
            (fid, name, service, cap, acc, lo, hi, service == "power_point", code, lon, lat)
        )
    for m in MUNICIPALITIES:  # a consultation window at every town hall (the central node)
        lon, lat = _spot(nodes, m.code, 0)
        rows.append(
            (f"DP-MW-{m.code}", f"{m.name} 障害福祉課 相談窓口", "municipal_window",
             None, None, None, None, False, m.code, lon, lat)
        )  # fmt: skip
    cols = ["facility_id", "name", "service", "capacity", "accepts", "age_min", "age_max",
            "has_power", "municipality_code", "lon", "lat"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    for c in ("capacity", "age_min", "age_max"):
        df[c] = pd.array(df[c], dtype="Int64")
    df["has_power"] = df["has_power"].astype(bool)
    df["source"] = "demo"
    df["source_date"] = SOURCE_DATE
    geom = shapely.points(df.pop("lon").to_numpy(), df.pop("lat").to_numpy())
    return gpd.GeoDataFrame(df, geometry=list(geom), crs="EPSG:4326")


def _hours(rng, service):
    day = _DAY_HOURS.get(service)
    out = {}
    if day is None:
        return out
    u = rng.uniform(0, 1, 3)
    out["hours_weekday"] = day if u[0] < 0.85 else None
    out["hours_saturday"] = day if u[1] < 0.35 else ("closed" if u[1] < 0.8 else None)
    out["hours_sunday_holiday"] = "closed" if u[2] < 0.75 else None
    return out


def capabilities(facilities, seed):
    """Capability rows (long table) for every demo facility.

    Fixed for the built-in places; drawn from ``default_rng([seed, STREAM])`` for the others
    (about one value in five unknown).

    Returns
    -------
    pandas.DataFrame
        ``facility_id``, ``capability``, ``value``, ``source``, ``source_date``.
    """
    rng = np.random.default_rng([seed, STREAM])
    rows = []
    for fid, service, power in zip(
        facilities["facility_id"], facilities["service"], facilities["has_power"], strict=True
    ):
        if fid in _FIXED:
            values = dict(_FIXED[fid])
        elif service == "municipal_window":
            values = dict(_OFFICE)
        else:
            values = {}
            for cap, (p_true, p_false) in _DRAWN.get(service, {}).items():
                u = rng.uniform()
                values[cap] = "true" if u < p_true else ("false" if u < p_true + p_false else None)
            values.update(_hours(rng, service))
            if bool(power):
                values["generator"] = "true" if rng.uniform() < 0.7 else None
        rows.extend(
            (fid, cap, v, SOURCE, SOURCE_DATE) for cap, v in values.items() if v is not None
        )
    return pd.DataFrame(
        rows, columns=["facility_id", "capability", "value", "source", "source_date"]
    )


def coverage():
    """``place_coverage`` rows of the demo's 圏域 coordinators."""
    rows = [(fid, c) for fid, codes_ in _COVERAGE.items() for c in codes_]
    return pd.DataFrame(rows, columns=["facility_id", "municipality_code"])


def add(layers, *, seed):
    """Add the directory places, their capabilities and coverage to built demo layers.

    Parameters
    ----------
    layers : dict of str to DataFrame
        The demo layers (``facilities``, ``municipalities``, ``roads_nodes``, ``roads_edges``).
    seed : int
        The demo seed (capabilities of the random facilities use ``[seed, STREAM]``).

    Returns
    -------
    dict
        ``layers`` with ``facilities`` extended and ``facility_capabilities`` and
        ``place_coverage`` added (the same dict, changed in place).

    Examples
    --------
    >>> layers = add(build(seed=42), seed=42)  # doctest: +SKIP
    """
    fac = layers["facilities"]
    extra = places(layers)
    merged = pd.concat([fac, extra[list(fac.columns)]], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=fac.crs)
    layers["facilities"] = merged
    layers["facility_capabilities"] = capabilities(merged, seed)
    layers["place_coverage"] = coverage()
    return layers
