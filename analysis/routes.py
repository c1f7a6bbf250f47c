"""Evacuation routes per child: home -> the recommended shelter, avoiding the hazard zones.

For every requested row of :func:`analysis.evacuation.evacuation`:

- when the hazard network (roads in zones at or above ``hazard_level`` closed) reaches the
  recommended shelter, the route on it (``network = "hazard"``, ``status = "ok"``): it avoids
  the flooded roads, and its minutes equal the row's ``minutes_hazard``;
- otherwise the route on the normal network (``network = "normal"``) with ``status`` = the
  row's cut-off kind (``in_zone``: take it before the water comes; ``roads_cut``) and
  ``cut_by``: the closed road links on it (node ids ``u→v``), the reason the child is cut off;
- ``status = "no_route"`` with an empty geometry when no shelter can be reached at all.

:func:`write_gpkg` exports the routes (with the shelters used) as a GeoPackage for QGIS or a
drill; it holds child ids (pseudonymous) and home points, so it leaves the workspace only through
the gate's export for authorised roles.

Examples
--------
>>> r = routes(ctx, child_ids=["D310001"])  # doctest: +SKIP
>>> r[["child_id", "network", "status", "cut_by"]]  # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import route as geo_route
from geo import scenario as geo_scenario

from . import evacuation as _evac

COLUMNS = [
    "child_id",
    "shelter_id",
    "shelter_name",
    "network",
    "status",
    "minutes",
    "minutes_normal",
    "cut_by",
    "reason",
]

_STATUS_JA = {
    "ok": "浸水区域を避ける経路",
    "in_zone": "浸水前に通る経路（浸水時は通行不可）",
    "roads_cut": "平常時の経路（浸水時は寸断）",
    "no_route": "経路なし",
}


def _closed(ctx, level, hazard_type):
    """The edges the hazard network closes (those :meth:`Context.scenario` drops).

    On a prepared network they are the closures cached beside the workspace
    (:func:`geo.prepared.closures`, the ones the scenario was built from), not computed again
    from the edge shapes.
    """
    key = ("route_closed", level, hazard_type)
    if key not in ctx._cache:
        hz = ctx.hazards
        types = [hazard_type] if hazard_type else None
        if not len(hz):
            closed = np.zeros(ctx.net.n_edges, dtype=bool)
        elif ctx.net.edge_geometry_loader is not None and ctx.path is not None:
            from geo import prepared

            sub = hz[hz["hazard_type"].isin(types)] if types else hz
            closed = prepared.closures(ctx.net, ctx.path, sub, min_level=level, hazard_types=types)
        else:
            closed = geo_scenario.closed_edges(ctx.net, hz, min_level=level, hazard_types=types)
        ctx._cache[key] = closed
    return ctx._cache[key]


def routes(ctx, evac=None, *, child_ids=None, hazard_level=None, hazard_type=None):
    """Return the route of each child to its recommended shelter (LineStrings, EPSG:4326).

    Parameters
    ----------
    ctx : analysis.context.Context
    evac : DataFrame, optional
        Rows of :func:`analysis.evacuation.evacuation` (computed with ``hazard_level`` /
        ``hazard_type`` when omitted).
    child_ids : sequence of str, optional
        Only these children (default every row of ``evac``).
    hazard_level, hazard_type
        The scenario; must be the one ``evac`` was computed with.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per child: :data:`COLUMNS` (``minutes`` on the route's network, ``cut_by`` the
        closed links ``u→v`` separated by ``;``, ``reason`` in Japanese) and the route line.
    """
    level = _evac.DEFAULT_HAZARD_LEVEL if hazard_level is None else int(hazard_level)
    if evac is None:
        evac = _evac.evacuation(ctx, hazard_level=level, hazard_type=hazard_type)
    rows = evac if child_ids is None else evac[evac["child_id"].isin(list(child_ids))]
    if child_ids is not None:
        missing = sorted(set(child_ids) - set(rows["child_id"]))
        if missing:
            msg = f"child_id {missing[:5]} not in the evacuation rows (or not in the workspace)."
            raise ValueError(msg)
    net = ctx.net
    hnet = (
        ctx.scenario(min_level=level, hazard_types=[hazard_type] if hazard_type else None)
        if len(ctx.hazards)
        else net
    )
    closed = _closed(ctx, level, hazard_type)
    kids = ctx.children.set_index("child_id")
    kid_snap = ctx.snaps["children"].set_index(ctx.children["child_id"].to_numpy())
    shel = ctx.shelters.reset_index(drop=True)
    s_pos = {sid: i for i, sid in enumerate(shel["shelter_id"])} if len(shel) else {}
    s_snap = ctx.snaps["shelters"].reset_index(drop=True)
    out = []
    groups = {}
    for r in rows.itertuples():
        sid = r.shelter_id if isinstance(r.shelter_id, str) else None
        use_h = sid is not None and np.isfinite(r.minutes_hazard)
        groups.setdefault((sid, use_h), []).append(r)
    for (sid, use_h), members in groups.items():
        if sid is None:
            for r in members:
                out.append(
                    {
                        "child_id": r.child_id,
                        "shelter_id": None,
                        "shelter_name": None,
                        "network": None,
                        "status": "no_route",
                        "minutes": np.nan,
                        "minutes_normal": np.nan,
                        "cut_by": "",
                        "reason": "経路なし（適した避難所に到達できない）",
                        "geometry": None,
                    }
                )
            continue
        s = s_pos[sid]
        network = hnet if use_h else net
        src = [int(kid_snap.loc[r.child_id, "node"]) for r in members]
        paths = geo_route.route_to(network, target=int(s_snap["node"].iloc[s]), sources=src)
        for r, path in zip(members, paths, strict=True):
            home = kids.loc[r.child_id].geometry
            acc = float(kid_snap.loc[r.child_id, "access_s"]) + float(s_snap["access_s"].iloc[s])
            if path is None:
                status, reason, geom, cut, minutes = "no_route", "経路なし", None, "", np.nan
            else:
                geom = geo_route.geometry(network, path, start=home, end=shel.geometry.iloc[s])
                minutes = (path.time_s + acc) / 60
                if use_h:
                    status, cut, reason = "ok", "", _STATUS_JA["ok"]
                else:
                    status = r.cut_off or "roads_cut"
                    hit = geo_route.cut_by(path, closed)
                    ids = net.node_ids
                    cut = ";".join(f"{ids[net.u[e]]}→{ids[net.v[e]]}" for e in hit)
                    if len(hit):
                        first = f"{ids[net.u[hit[0]]]}→{ids[net.v[hit[0]]]}"
                        more = f" ほか{len(hit) - 1}区間" if len(hit) > 1 else ""
                        reason = f"{_STATUS_JA.get(status, '')}: 通行止めの道路 {first}{more}"
                    else:
                        reason = (
                            f"{_STATUS_JA.get(status, '')}: 自宅周辺の道路が通行止め"
                            if status == "in_zone"
                            else _STATUS_JA.get(status, "")
                        )
            out.append(
                {
                    "child_id": r.child_id,
                    "shelter_id": sid,
                    "shelter_name": shel["name"].iloc[s],
                    "network": "hazard" if use_h else "normal",
                    "status": status,
                    "minutes": minutes,
                    "minutes_normal": r.minutes_normal,
                    "cut_by": cut,
                    "reason": reason,
                    "geometry": geom,
                }
            )
    frame = pd.DataFrame(out, columns=[*COLUMNS, "geometry"])
    order = {cid: i for i, cid in enumerate(rows["child_id"])}
    frame = frame.sort_values("child_id", key=lambda c: c.map(order)).reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def write_gpkg(route_rows, path, *, shelters=None):
    """Write routes (and optionally the shelters used) to a GeoPackage; returns the path.

    Layers: ``evacuation_routes`` (LineStrings; rows without a route are kept with an empty
    geometry) and ``shelters_used``.

    Examples
    --------
    >>> write_gpkg(routes(ctx, child_ids=["c1"]), "/tmp/routes.gpkg")  # doctest: +SKIP
    """
    import pyogrio

    from geo import settings

    frame = route_rows.copy()
    frame["geometry"] = [
        g if g is not None else shapely.LineString() for g in frame.geometry.to_numpy()
    ]
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=settings.storage_crs)
    pyogrio.write_dataframe(frame, path, layer="evacuation_routes", driver="GPKG")
    if shelters is not None and len(route_rows):
        used = shelters[shelters["shelter_id"].isin(route_rows["shelter_id"].dropna())]
        if len(used):
            cols = [c for c in ("shelter_id", "name", "kind", "has_power") if c in used]
            pyogrio.write_dataframe(
                used[[*cols, "geometry"]], path, layer="shelters_used", driver="GPKG"
            )
    return path
