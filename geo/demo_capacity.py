"""Demo situations for capacity-aware coverage and the 0-5 short-stay gap (brief §8, 7-8).

Hooked at the end of :func:`geo.demo.build`; draws only from its own generator
(``numpy.random.default_rng([seed, STREAM])``), so no existing draw moves.

Situations (asserted by tests/test_gaps_demo.py on a freshly built demo):

- ``full_facility``: (facility_id, area_id): the short stay just across the border of the
  western mountain 圏域 (K05 has none of its own) is full when children are placed by travel
  time, and children of K05 within 60 minutes of it are left "within reach, no place left".
  It is built from the existing built-in records (no new draw).
- ``under6_gap``: (area_id, facility_id, child_ids): young children (ages 0-5) added on the far
  side of しおさい療育園, a short stay for ages 6 and over, more than 60 minutes from every other
  short stay. With all ages they look covered (しおさい is within reach, accepts their care);
  the 0-5 filter (providers accepting their age) shows them uncovered: the under-6 respite gap
  of brief §2 / §8 scenario 8.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Own random stream (``default_rng([seed, STREAM])``).
STREAM = 1605

#: Children added for the 0-5 gap.
UNDER6_IDS = ("D340001", "D340002", "D340003", "D340004", "D340005", "D340006")

SITUATIONS = {
    "full_facility": ("9910000007", "K05"),
    "under6_gap": ("K04", "9910000004", UNDER6_IDS),
}

#: Minutes within which the added children reach the 6+ short stay, and beyond which every
#: other short stay lies (margins around the 60-minute threshold for access legs).
NEAR_MIN, FAR_MIN = 30.0, 62.0

#: Care the added children need (all accepted by the 6+ short stay).
_CARE = (
    ["tube_feeding"],
    ["suction", "tube_feeding"],
    ["gastrostomy"],
    ["tracheostomy", "suction", "gastrostomy"],
    ["oxygen"],
    ["suction", "gastrostomy"],
)


def _short_stay_times(layers, net):
    """Minutes from every node to each short_stay_medical facility (home -> facility)."""
    import geopandas as gpd

    from geo import snap, travel

    fac = layers["facilities"]
    ss = fac[fac["service"] == "short_stay_medical"]
    sn = snap.snap(net, gpd.GeoSeries(ss.geometry.values, crs=fac.crs))
    out = {}
    for fid, node, acc in zip(ss["facility_id"], sn["node"], sn["access_s"], strict=True):
        t, _ = travel.nearest(net, np.array([int(node)], dtype=np.int64), direction="to_facility")
        out[str(fid)] = (np.asarray(t, dtype=float) + float(acc)) / 60.0
    return out


def under6_nodes(times, facility_id, *, near_min=NEAR_MIN, far_min=FAR_MIN):
    """Node positions within ``near_min`` of ``facility_id`` and beyond ``far_min`` of the rest.

    Examples
    --------
    >>> t = {"A": np.array([10.0, 30.0, 50.0]), "B": np.array([90.0, 60.0, 100.0])}
    >>> under6_nodes(t, "A").tolist()
    [0]
    """
    near = times[facility_id] <= near_min
    others = [v for k, v in times.items() if k != facility_id]
    far = np.min(others, axis=0) > far_min if others else np.ones_like(near)
    return np.flatnonzero(near & far)


def add(layers, *, seed=42, net=None):
    """Return ``layers`` with the children of ``under6_gap`` appended (own random stream).

    Parameters
    ----------
    layers : dict of str to DataFrame
        The demo layers built so far (EPSG:4326).
    seed : int
        The demo seed (the stream is ``[seed, STREAM]``).
    net : geo.network.Network, optional
        The network of the road layers when the caller has built it (else built here).

    Returns
    -------
    dict of str to DataFrame
        The same dict; ``children`` gains :data:`UNDER6_IDS` (sorted by ``child_id`` as before).

    Examples
    --------
    >>> layers = add(geo.demo.build(seed=42))  # doctest: +SKIP
    """
    import geopandas as gpd
    import shapely

    from geo.network import network_from_layers

    rng = np.random.default_rng([int(seed), STREAM])
    if net is None:
        net = network_from_layers(layers["roads_nodes"], layers["roads_edges"], geometry=False)
    times = _short_stay_times(layers, net)
    fid = SITUATIONS["under6_gap"][1]
    others = np.min([v for k, v in times.items() if k != fid], axis=0)
    near = np.flatnonzero(times[fid] <= NEAR_MIN)
    if getattr(net, "core", None) is not None:
        near = near[np.asarray(net.core, dtype=bool)[near]]
    # the most isolated nodes near the 6+ facility first; drawn without replacement
    order = near[np.argsort(-others[near], kind="stable")]
    n = len(UNDER6_IDS)
    good = int((others[order] > FAR_MIN).sum())
    if good < n:
        logger.warning(
            "demo: only %d road nodes lie within %g min of %s and more than %g min from every "
            "other short stay; the under-6 gap uses the most isolated ones it has",
            good,
            NEAR_MIN,
            fid,
            FAR_MIN,
        )
    pool = order[: max(n, min(4 * n, good))]
    pick = np.sort(rng.choice(pool, n, replace=False))
    ages = rng.integers(0, 6, len(UNDER6_IDS))
    lon = net.lon[pick] + rng.uniform(-1e-4, 1e-4, len(pick))
    lat = net.lat[pick] + rng.uniform(-1e-4, 1e-4, len(pick))
    munis = layers["municipalities"]
    pts = shapely.points(lon, lat)
    code = [None] * len(pick)
    for c, g in zip(munis["code"], munis.geometry, strict=True):
        inside = shapely.contains(g, pts)
        for i in np.flatnonzero(inside):
            code[i] = str(c)
    kids = layers["children"]
    new = gpd.GeoDataFrame(
        {
            "child_id": list(UNDER6_IDS),
            "age": ages.astype(np.int64),
            "care": [list(c) for c in _CARE[: len(UNDER6_IDS)]],
            "mobility": ["bedridden" if a < 2 else "wheelchair" for a in ages],
            "municipality_code": code,
            "has_evac_plan": rng.uniform(0, 1, len(pick)) < 0.3,
            "last_verified": ["2024-04-01"] * len(pick),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=kids.crs,
    )
    cols = list(kids.columns)
    out = pd.concat([kids, new[cols]], ignore_index=True)
    out = out.sort_values("child_id", kind="stable").reset_index(drop=True)
    layers["children"] = gpd.GeoDataFrame(out, geometry=kids.geometry.name, crs=kids.crs)
    return layers
