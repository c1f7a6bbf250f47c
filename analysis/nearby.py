"""Coordinator lookup: what a family at one address (or one child) can reach, and in how long.

:func:`nearby` lists every facility compatible with the given care and age within ``minutes``
(default: each service's threshold), by service and sorted by minutes, with ``basis``
(confirmed / possible) and the address's hazard exposure in ``result.attrs["exposure"]``.
:func:`compare` puts two or more candidate addresses side by side (services reachable, nearest
minutes, hazard exposure), and :func:`who_covers` answers "who covers this address?" with the
municipality, its areas and the consultation windows that serve them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import codes

from . import coverage, exposure

COLUMNS = [
    "service",
    "service_ja",
    "facility_id",
    "name",
    "minutes",
    "within",
    "basis",
    "accepts",
    "age_min",
    "age_max",
    "capacity",
    "has_power",
    "node_id",
]


def _point(ctx, lat, lon, child_id):
    import geopandas as gpd
    from shapely.geometry import Point

    if child_id is not None:
        kids = ctx.children
        hit = kids[kids["child_id"] == str(child_id)]
        if hit.empty:
            msg = (
                f"child_id {child_id!r} is not in the children layer of the workspace; "
                "check the id (管理番号) or give --lat/--lon instead."
            )
            raise KeyError(msg)
        row = hit.iloc[0]
        return gpd.GeoDataFrame(geometry=[row.geometry], crs="EPSG:4326"), row
    if lat is None or lon is None:
        msg = "give a point (lat and lon) or a child_id."
        raise ValueError(msg)
    if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        msg = f"lat {lat}, lon {lon} is not a WGS84 coordinate; give degrees (e.g. 35.6, 139.7)."
        raise ValueError(msg)
    return gpd.GeoDataFrame(geometry=[Point(float(lon), float(lat))], crs="EPSG:4326"), None


def _needs_for(needs, service):
    """The capability needs that apply to one service (a list applies to all)."""
    if needs is None:
        return []
    if isinstance(needs, dict):  # per service; "*" applies to every service
        return [*(needs.get("*") or []), *(needs.get(service) or [])]
    return needs


def nearby(
    ctx,
    *,
    lat=None,
    lon=None,
    child_id=None,
    service=None,
    care=None,
    age=None,
    minutes=None,
    needs=None,
):
    """Return every compatible facility within reach of a point or a child, sorted by minutes.

    Parameters
    ----------
    ctx : analysis.context.Context
    lat, lon : float, optional
        The address (WGS84).
    child_id : str, optional
        A child instead of a point (their home, care and age are used unless given).
    service : str or list of str, optional
        Services to list (default: all).
    care : list of str, optional
        Care codes the child needs (a facility must accept all; unknown = possible).
    age : int, optional
        Child's age (a facility's age range, else its service's, must include it).
    minutes : float, optional
        Limit in minutes (default: each service's threshold from data/service_types.csv).
    needs : list of str, or dict of str to list of str, optional
        Capabilities a facility must have (``data/capabilities.csv``, e.g. ``nurse_on_site``,
        ``pediatric_experience``, ``accepts_age0``, ``open_saturday``): a list applies to every
        service, a dict per service (key ``"*"``: every service). A known "no" excludes the
        facility; an unknown value keeps it as ``possible`` (see
        :func:`analysis.directory.need_status`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, sorted by service then minutes; ``attrs["exposure"]`` holds the
        point's exposure per hazard type and ``attrs["snap_m"]`` its distance to the road.

    Examples
    --------
    >>> nearby(ctx, lat=35.0, lon=139.0, care=["tracheostomy", "suction"], age=0,
    ...        minutes=30)  # doctest: +SKIP
    >>> nearby(ctx, lat=35.0, lon=139.0, service=["visiting_nurse", "short_stay_medical"],
    ...        needs={"visiting_nurse": ["pediatric_experience"],
    ...               "short_stay_medical": ["accepts_age0"]})  # doctest: +SKIP
    """
    pt, child = _point(ctx, lat, lon, child_id)
    if child is not None:
        care = list(child["care"] or []) if care is None else care
        age = int(child["age"]) if age is None and pd.notna(child["age"]) else age
    fac = ctx.facilities
    services = [service] if isinstance(service, str) else service
    if services is None:
        services = codes.analysed(fac["service"].tolist())
    bad = [s for s in services if s not in codes.valid("service_types")]
    if bad:
        msg = f"unknown service {bad}; expected codes of data/service_types.csv."
        raise ValueError(msg)
    sn = ctx.snap(pt).iloc[0]
    node, acc = int(sn["node"]), float(sn["access_s"])
    f = _facility_arrays(ctx)
    compat = _compatibility(ctx, f, care, age)
    st = codes.service_types()
    # the compatible facilities of each service (those a need rules out are dropped)
    cand = []
    for s in services:
        idx = np.flatnonzero((f["service"] == s) & (compat > 0))
        wanted = _needs_for(needs, s)
        possible = None  # per facility: a need's value is unknown
        if wanted:
            from . import directory

            need = directory.need_status(ctx, wanted, positions=idx)
            idx, need = idx[need != directory.NO], need[need != directory.NO]
            possible = need == directory.POSSIBLE
        limit = float(minutes if minutes is not None else st.loc[s, "threshold_min"])
        cand.append((s, idx, possible, limit, str(st.loc[s, "direction"])))
    # one search per direction, bounded by the largest limit of its services with a candidate
    reach_s = {}
    for _, idx, _, limit, d in cand:
        if len(idx):
            reach_s[d] = max(reach_s.get(d, 0.0), limit * 60.0)
    minutes_of = {}
    for d, lim in reach_s.items():
        mine = [(s, idx, limit) for s, idx, _, limit, dd in cand if dd == d and len(idx)]
        minutes_of.update(_minutes(ctx.net, f, node, acc, d, max(lim - acc, 0.0), mine))
    rows = []
    for s, idx, possible, limit, _ in cand:
        if not len(idx):
            continue
        t = minutes_of[s]
        keep = np.isfinite(t) & (t <= limit)
        possible = possible[keep] if possible is not None else None
        rows.extend(_rows(f, s, st.loc[s, "label_ja"], idx[keep], t[keep], compat, possible))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.sort_values(["service", "minutes"], kind="stable").reset_index(drop=True)
    ex = exposure.point_exposure(pt, ctx.hazards)
    out.attrs["exposure"] = ex.iloc[0].to_dict()
    out.attrs["snap_m"] = float(sn["snap_m"])
    return out


def prepare(ctx, *, background=True):
    """Make later lookups on ``ctx``'s network answer with the CCH (once per process and network).

    Customises the CCH metrics of single-address lookups (:func:`geo.travel.prepare_node_times`:
    seconds of CPU, a daemon thread by default), for a long-lived process such as the app; the
    answers until then, and those of a network the CCH cannot answer exactly, use the bounded
    Dijkstra. The command line does not call it (a cold lookup would pay the customisation).
    """
    import logging
    import threading

    from geo import travel

    net = ctx.net
    mine = object()
    if net.__dict__.setdefault("_node_times_started", mine) is not mine:
        return  # already started (setdefault is atomic)

    def run():
        try:
            travel.prepare_node_times(net)
        except Exception:  # the lookups keep the Dijkstra
            logging.getLogger(__name__).exception("CCH for lookups not prepared")

    if background:
        threading.Thread(target=run, name="ikemap-lookup-cch", daemon=True).start()
    else:
        run()


def _minutes(net, f, node, acc, direction, limit_s, services):
    """Minutes (access legs included) to each facility ``idx`` of ``services`` [(s, idx, limit)].

    One search for the direction, bounded by ``limit_s``: a CCH query to the facility nodes
    when the process prepared the CCH for lookups (:func:`geo.travel.node_times_engine`), else
    the bounded Dijkstra. The CCH's exact millisecond sums can differ from the Dijkstra's float
    sums in the last bits; when a minute lies within a hair of a rounding half (0.05 min) or of
    its service's limit, where that could change a row, the Dijkstra answers instead, so the
    rows are the same whichever engine runs.
    """
    from geo import travel

    every = np.concatenate([idx for _, idx, _ in services])
    engine = travel.node_times_engine(net, direction)
    while True:
        # the CCH's times are complete: cut by the services' limits below, not at limit_s
        # (a trip a hair over limit_s in one engine and under it in the other is a guarded tie)
        bound = limit_s if engine == "dijkstra" else np.inf
        road = travel.node_times(
            net, node, f["node"][every], direction=direction, limit_s=bound, engine=engine
        )
        out, at = {}, 0
        for s, idx, _ in services:
            out[s] = (road[at : at + len(idx)] + f["access_s"][idx] + acc) / 60
            at += len(idx)
        if engine == "dijkstra" or not any(_ambiguous(out[s], limit) for s, _, limit in services):
            return out
        engine = "dijkstra"


def _ambiguous(minutes, limit, eps=1e-7):
    """True when a last-bits difference could change a row (a minute near a half or the limit)."""
    m = minutes[np.isfinite(minutes)]
    tenth = m * 10.0
    half = np.abs(tenth - np.floor(tenth) - 0.5) < eps
    return bool(half.any() or (np.abs(m - limit) < eps).any())


def _facility_arrays(ctx):
    """The facility columns :func:`nearby` reads, as arrays, cached on the context.

    The cache entry keeps the facilities frame it was made from and is rebuilt when
    ``ctx.facilities`` is another frame.
    """
    fac = ctx.facilities
    hit = ctx._cache.get("nearby_facilities")
    if hit is not None and hit[0] is fac:
        return hit[1]
    fsn = ctx.snaps["facilities"]
    lo, hi = _age_range(fac)
    n = len(fac)
    f = {
        "service": fac["service"].to_numpy(dtype=object),
        "node": fsn["node"].to_numpy(),
        "access_s": fsn["access_s"].to_numpy(dtype=float),
        "node_id": fsn["node_id"].to_numpy(),
        "age_min": lo,
        "age_max": hi,
        "accepts_list": fac["accepts"].tolist(),
        "compat": {},
    }
    for col in ("facility_id", "name", "accepts", "capacity", "has_power"):
        # the values a row of fac.iloc gives (the numpy / pandas scalars of each column)
        arr = fac[col].array if col in fac else None
        f[col] = [None] * n if arr is None else [arr[i] for i in range(n)]
    ctx._cache["nearby_facilities"] = (fac, f)
    return f


def _age_range(fac):
    """The facilities' age ranges (:func:`analysis.coverage.facility_age_range`).

    Computed once per distinct (service, age_min, age_max) of the facilities (a handful), not
    once per facility.
    """
    cols = [c for c in ("service", "age_min", "age_max") if c in fac]
    first = {}
    inv = np.array(
        [first.setdefault(k, len(first)) for k in zip(*(fac[c].tolist() for c in cols))],
        dtype=np.int64,
    )
    _, rows = np.unique(inv, return_index=True)  # the first facility of each distinct key
    lo, hi = coverage.facility_age_range(fac.iloc[rows])
    return lo[inv], hi[inv]


def _compatibility(ctx, f, care, age):
    """Compatibility of one child (care, age) with every facility, cached per (care, age)."""
    key = (tuple(sorted(set(care or []))), repr(age))
    hit = f["compat"].get(key)
    if hit is None:
        hit = coverage.compatibility(
            [care or []],
            [np.nan if age is None else age],
            f["accepts_list"],
            f["age_min"],
            f["age_max"],
        )[0]
        if len(f["compat"]) >= 256:
            f["compat"].clear()
        f["compat"][key] = hit
    return hit


def _rows(f, service, service_ja, idx, minutes, compat, possible):
    """Output rows (dicts of :data:`COLUMNS`) of one service's facilities ``idx``."""
    basis = coverage.BASIS
    out = []
    for k, (i, m) in enumerate(zip(idx.tolist(), minutes.tolist())):
        acc = f["accepts"][i]
        out.append(
            {
                "service": service,
                "service_ja": service_ja,
                "facility_id": f["facility_id"][i],
                "name": f["name"][i],
                "minutes": round(m, 1),
                "within": True,
                "basis": "possible"
                if possible is not None and possible[k]
                else basis[int(compat[i])],
                "accepts": None if acc is None else ";".join(acc),
                "age_min": f["age_min"][i],
                "age_max": f["age_max"][i],
                "capacity": f["capacity"][i],
                "has_power": f["has_power"][i],
                "node_id": int(f["node_id"][i]),
            }
        )
    return out


def compare(ctx, points, *, services=None, care=None, age=None, minutes=None, needs=None):
    """Compare candidate addresses side by side: services reachable and hazard exposure.

    Parameters
    ----------
    points : dict of str to (lat, lon), or DataFrame with ``label``, ``lat``, ``lon``
        Two or more candidate addresses.
    services, care, age, minutes, needs
        As in :func:`nearby` (``services`` may name places such as ``nursery_medical`` and
        ``special_school``; default: the analysed services present).

    Returns
    -------
    pandas.DataFrame
        One column per address; rows ``<service>: 件数`` (compatible facilities within reach),
        ``<service>: 最短分`` (minutes to the nearest, any distance) and one row per hazard type
        (worst level and label), plus ``到達できるサービス数``.

    Examples
    --------
    >>> compare(ctx, {"A": (35.0, 139.0), "B": (35.1, 139.1)},
    ...         services=["short_stay_medical", "visiting_nurse"])  # doctest: +SKIP
    """
    if isinstance(points, pd.DataFrame):
        items = [(r["label"], (r["lat"], r["lon"])) for _, r in points.iterrows()]
    else:
        items = list(points.items())
    if len(items) < 2:
        msg = f"compare needs two or more addresses; got {len(items)}."
        raise ValueError(msg)
    fac = ctx.facilities
    if services is None:
        services = codes.analysed(fac["service"].tolist())
    st = codes.service_types()
    hz_ja = codes.table("hazard_types")["label_ja"]
    types = exposure.hazard_types(ctx.hazards)
    cols = {}
    for label, (lat, lon) in items:
        far = nearby(
            ctx,
            lat=lat,
            lon=lon,
            service=services,
            care=care,
            age=age,
            minutes=10_000,
            needs=needs,
        )
        col = {}
        n_ok = 0
        for s in services:
            limit = float(minutes if minutes is not None else st.loc[s, "threshold_min"])
            sub = far[far["service"] == s]
            n = int((sub["minutes"] <= limit).sum())
            n_ok += n > 0
            col[f"{st.loc[s, 'label_ja']}: {limit:g}分以内の件数"] = n
            col[f"{st.loc[s, 'label_ja']}: 最短分"] = (
                float(sub["minutes"].min()) if len(sub) else np.nan
            )
        col["到達できるサービス数"] = n_ok
        ex = far.attrs["exposure"]
        for t in types:
            lvl = int(ex.get(f"{t}_level", 0))
            lab = ex.get(f"{t}_label", "")
            col[f"{hz_ja.get(t, t)}"] = f"レベル{lvl}（{lab}）" if lvl else "区域外"
        cols[label] = col
    return pd.DataFrame(cols)


def who_covers(ctx, *, lat=None, lon=None, child_id=None):
    """Who covers this address: its municipality, its areas and their windows, one row each.

    When the workspace has contact places (``municipal_window``, ``area_coordinator``,
    ``support_centre``; see :func:`analysis.directory.who_covers` for the full table with hours
    per day class and open-now), ``windows`` lists them: the municipality's windows, on each
    area row the coordinators whose coverage lies inside that area (a coordinator spanning
    areas goes on the first area row), and the centres on the prefecture row, nearest first,
    with minutes and opening hours. A workspace without contact places lists the 相談支援
    offices (service ``consultation``) of each unit instead.

    Returns
    -------
    pandas.DataFrame
        One row per level (``municipality``, each area kind, ``prefecture``) with ``code``,
        ``name`` and ``windows``.
    """
    import geopandas as gpd

    from . import directory

    pt, _ = _point(ctx, lat, lon, child_id)
    rows = []
    munis = ctx.municipalities
    m = gpd.sjoin(pt, munis[["code", "name", "pref", "geometry"]], predicate="intersects")
    code = m["code"].iloc[0] if len(m) else None
    if code is None:
        return pd.DataFrame(rows, columns=["level", "code", "name", "windows"])
    fac = ctx.facilities
    members = ctx.layers["area_members"]
    mine = members[members["municipality_code"] == code]
    area_rows = []
    for r in mine.itertuples():
        area = ctx.areas[(ctx.areas["area_id"] == r.area_id)]
        codes_in = set(members[members["area_id"] == r.area_id]["municipality_code"])
        name = area["name"].iloc[0] if len(area) else r.area_id
        area_rows.append((r.kind, r.area_id, name, codes_in))
    point = (float(pt.geometry.y.iloc[0]), float(pt.geometry.x.iloc[0]))
    has_contacts = fac["service"].isin(list(directory.CONTACT_LEVELS)).any() if len(fac) else False
    if has_contacts:
        w = directory.who_covers(ctx, lat=point[0], lon=point[1])
        w = w[w["facility_id"].notna()]
        covers = directory.covered_municipalities(ctx)

        def _fmt(sub):
            return "; ".join(
                f"{r.name}（{r.minutes:.0f}分、{r.hours}）"
                if np.isfinite(r.minutes)
                else f"{r.name}（{r.hours}）"
                for r in sub.itertuples()
            )

        coords = w[w["level"] == "area"]
        placed = {}
        for fid in coords["facility_id"]:
            inside = [i for i, a in enumerate(area_rows) if set(covers.get(fid, [])) <= a[3]]
            placed.setdefault(inside[0] if inside else 0, []).append(fid)
        muni_text = _fmt(w[w["level"] == "municipality"])
        area_text = [_fmt(coords[coords["facility_id"].isin(placed.get(i, []))])
                     for i in range(len(area_rows))]  # fmt: skip
        pref_text = _fmt(w[w["level"] == "prefecture"])
    else:
        cons = fac[fac["service"] == "consultation"] if len(fac) else fac
        near = (
            nearby(ctx, lat=point[0], lon=point[1], service=["consultation"], minutes=10_000)
            if len(cons)
            else pd.DataFrame(columns=COLUMNS)
        )
        mins = dict(zip(near["facility_id"], near["minutes"]))

        def _windows(mask):
            sub = cons[mask]
            sub = sub.assign(_m=sub["facility_id"].map(mins)).sort_values("_m")
            return "; ".join(f"{r['name']}（{r['_m']:.0f}分）" for _, r in sub.iterrows())

        muni_text = _windows((cons["municipality_code"] == code).to_numpy())
        area_text = [_windows(cons["municipality_code"].isin(a[3]).to_numpy()) for a in area_rows]
        pref_text = _windows(np.ones(len(cons), dtype=bool))
    rows.append(
        {"level": "municipality", "code": code, "name": m["name"].iloc[0], "windows": muni_text}
    )
    for (kind, area_id, name, _), text in zip(area_rows, area_text, strict=True):
        rows.append({"level": kind, "code": area_id, "name": name, "windows": text})
    rows.append(
        {"level": "prefecture", "code": None, "name": m["pref"].iloc[0], "windows": pref_text}
    )
    return pd.DataFrame(rows, columns=["level", "code", "name", "windows"])
