"""Power in a disaster: the nearest power source per child, slow restoration (brief §8 scenario 16).

A **power source** is any place where a family can run or charge a ventilator, a suction unit or
an oxygen concentrator:

- a power point: a place of the ``power_point`` service type (``data/service_types.csv``:
  EV charging / power supply, a generator lent or run on site), imported like any facility
  (generic CSV with サービス種別 = 電源確保拠点);
- a facility with backup power (``facilities.has_power``);
- a stay shelter with backup power (``shelters.has_power``).

Slow power restoration (停電長期化想定区域, an "optional area layer" of brief §6 row 10) is a
zone of the ``hazards`` layer with ``hazard_type = power_restoration`` (level 1: three days or
more, level 2: a week or more); it never closes roads and is not an exposure to evacuate from.

Minutes are home -> source on the normal network and, to the same source, on the hazard network
(roads in zones at or above ``hazard_level`` closed).

Examples
--------
>>> p = nearest_power(ctx)  # doctest: +SKIP
>>> slow_restoration_list(ctx).head()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import codes

#: Power-source kinds and their labels.
KINDS = {
    "power_point": "電源確保拠点",
    "facility": "非常用電源のある事業所",
    "shelter": "非常用電源のある避難所",
}


def sources(ctx):
    """Return every power source: ``source_id``, ``name``, ``kind``, ``layer``, ``row``, point.

    Examples
    --------
    >>> sources(ctx)["kind"].value_counts()  # doctest: +SKIP
    """
    import geopandas as gpd

    rows = []
    fac = ctx.facilities
    if len(fac):
        hp = fac["has_power"].fillna(False).astype(bool) if "has_power" in fac else False
        is_pp = fac["service"].eq("power_point")
        sel = (is_pp | hp).to_numpy(dtype=bool)
        for pos in np.flatnonzero(sel):
            r = fac.iloc[pos]
            rows.append(
                (
                    str(r["facility_id"]),
                    r.get("name"),
                    "power_point" if r["service"] == "power_point" else "facility",
                    "facilities",
                    pos,
                    r.geometry,
                )
            )
    sh = ctx.shelters
    if len(sh) and "has_power" in sh:
        from .evacuation import STAY_KINDS

        sel = sh["has_power"].fillna(False).astype(bool) & sh["kind"].isin(list(STAY_KINDS))
        for pos in np.flatnonzero(sel.to_numpy(dtype=bool)):
            r = sh.iloc[pos]
            rows.append(
                (str(r["shelter_id"]), r.get("name"), "shelter", "shelters", pos, r.geometry)
            )
    frame = pd.DataFrame(rows, columns=["source_id", "name", "kind", "layer", "row", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def nearest_power(ctx, *, hazard_level=None, hazard_type=None, kinds=None, children=None):
    """Minutes from each child's home to the nearest power source, normal and hazard network.

    Parameters
    ----------
    ctx : analysis.context.Context
    hazard_level : int, optional
        Level at and above which zones close roads (default
        :data:`analysis.evacuation.DEFAULT_HAZARD_LEVEL`).
    hazard_type : str, optional
        Close roads only for this hazard type.
    kinds : sequence of str, optional
        Power-source kinds to use (default all of :data:`KINDS`).
    children : sequence of str, optional
        Only these child ids (default every child).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``ctx.children`` (rows of ``children`` only): ``child_id``,
        ``power_dependent``, ``power_source_id``, ``power_source_name``, ``power_source_kind``,
        ``power_minutes`` (normal network), ``power_minutes_hazard`` (to the same source; NaN
        when the flooded roads cut it off), ``power_source_id_hazard`` /
        ``power_source_name_hazard`` / ``power_minutes_hazard_nearest`` (the nearest source
        still reachable on the hazard network) and ``power_restoration_level`` (0 outside a
        slow restoration area).

    Examples
    --------
    >>> nearest_power(ctx, children=["c1"])  # doctest: +SKIP
    """
    from .evacuation import DEFAULT_HAZARD_LEVEL

    level = DEFAULT_HAZARD_LEVEL if hazard_level is None else int(hazard_level)
    if children is not None or getattr(ctx, "_cache", None) is None:
        return _nearest_power(
            ctx, level=level, hazard_type=hazard_type, kinds=kinds, children=children
        )
    # every child: kept on the context (the disaster page lists it twice: nearest power and the
    # slow restoration list); callers get a copy
    key = ("nearest_power", level, hazard_type, tuple(kinds) if kinds is not None else None)
    if key not in ctx._cache:
        ctx._cache[key] = _nearest_power(
            ctx, level=level, hazard_type=hazard_type, kinds=kinds, children=None
        )
    return ctx._cache[key].copy()


def _nearest_power(ctx, *, level, hazard_type, kinds, children):
    """:func:`nearest_power` for a resolved hazard level."""
    from geo import travel

    kids = ctx.children
    sel = np.ones(len(kids), dtype=bool)
    if children is not None:
        sel = kids["child_id"].isin(list(children)).to_numpy(dtype=bool)
    src = sources(ctx)
    if kinds is not None:
        bad = set(kinds) - set(KINDS)
        if bad:
            msg = f"power source kind(s) {sorted(bad)} unknown; expected some of {list(KINDS)}."
            raise ValueError(msg)
        src = src[src["kind"].isin(list(kinds))].reset_index(drop=True)
    idx = kids.index[sel]
    n = len(idx)
    csn = ctx.snaps["children"].loc[idx]
    c_node = csn["node"].to_numpy().astype(np.int64)
    c_acc = csn["access_s"].to_numpy(dtype=float)
    best = np.full(n, -1)
    best_h = np.full(n, -1)
    t_n = np.full(n, np.inf)
    t_h = np.full(n, np.nan)
    t_hb = np.full(n, np.nan)
    if len(src):
        snaps = []
        for layer in ("facilities", "shelters"):
            part = src[src["layer"] == layer]
            if len(part):
                s = ctx.snaps[layer].iloc[part["row"].to_numpy()]
                snaps.append(
                    pd.DataFrame(
                        {"node": s["node"].to_numpy(), "access_s": s["access_s"].to_numpy()},
                        index=part.index,
                    )
                )
        sn = pd.concat(snaps).loc[src.index]
        s_node = sn["node"].to_numpy().astype(np.int64)
        s_acc = sn["access_s"].to_numpy(dtype=float)
        t, p = travel.nearest(ctx.net, s_node, direction="to_facility", offsets_s=s_acc)
        t_n = np.asarray(t, dtype=float)[c_node] + c_acc
        best = np.asarray(p)[c_node]
        hnet = (
            ctx.scenario(min_level=level, hazard_types=[hazard_type] if hazard_type else None)
            if len(ctx.hazards)
            else ctx.net
        )
        th, ph = travel.nearest(hnet, s_node, direction="to_facility", offsets_s=s_acc)
        th = np.asarray(th, dtype=float)[c_node] + c_acc
        best_h = np.asarray(ph)[c_node]
        t_hb = np.where(np.isfinite(th), th, np.nan)
        # the hazard-network time to the normal network's nearest source, one search per source
        # over the hazard network; on a CCH network the exact CCH times first say which of its
        # children it reaches and how far, so that the search stops there (the times are the
        # search's own, as before)
        on_cch = travel.matrix_engine(hnet) == "cch"
        if on_cch and hnet is not ctx.net:
            from geo import cch

            cch.share_topology(hnet, ctx.net)
        for s in np.unique(best[best >= 0]):
            rows = best == s
            if on_cch:
                from geo import cch

                nodes = c_node[rows]
                bound = cch.distances(
                    hnet, [int(s_node[s])], nodes, direction="to_facility", threads=1
                )[0]
                road = np.full(nodes.size, np.inf)
                reach = np.isfinite(bound)
                if reach.any():
                    t_to, _ = travel.nearest(
                        hnet,
                        [int(s_node[s])],
                        direction="to_facility",
                        targets=nodes[reach],
                        limit_s=float(bound[reach].max()) * (1 + 1e-9) + 1e-3,
                    )
                    road[reach] = np.asarray(t_to, dtype=float)[nodes[reach]]
            else:
                t_to = travel.from_node(hnet, int(s_node[s]), direction="to_home")
                road = np.asarray(t_to, dtype=float)[c_node[rows]]
            tt = road + c_acc[rows] + s_acc[s]
            t_h[rows] = np.where(np.isfinite(tt), tt, np.nan)
    ex = ctx.exposure("children")
    pr = (
        ex["power_restoration_level"].to_numpy()[sel]
        if "power_restoration_level" in ex
        else np.zeros(n, dtype=int)
    )

    def pick(col, which=best):
        return [src[col].iloc[b] if b >= 0 else None for b in which]

    return pd.DataFrame(
        {
            "child_id": kids["child_id"].to_numpy()[sel],
            "power_dependent": [codes.power_dependent(c) for c in kids["care"].to_numpy()[sel]],
            "power_source_id": pick("source_id"),
            "power_source_name": pick("name"),
            "power_source_kind": pick("kind"),
            "power_minutes": np.where(np.isfinite(t_n), t_n / 60, np.nan),
            "power_minutes_hazard": t_h / 60,
            "power_source_id_hazard": pick("source_id", best_h),
            "power_source_name_hazard": pick("name", best_h),
            "power_minutes_hazard_nearest": t_hb / 60,
            "power_restoration_level": pr.astype(int),
        },
        index=idx,
    )


def slow_restoration_list(ctx, *, min_level=1, hazard_level=None, hazard_type=None):
    """Scenario 16: power-dependent children in slow-restoration areas, nearest power first.

    Parameters
    ----------
    ctx : analysis.context.Context
    min_level : int, default 1
        Restoration level at and above which a child is listed (1: 3 days+, 2: a week+).
    hazard_level, hazard_type
        As :func:`nearest_power`.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`nearest_power` for power-dependent children with
        ``power_restoration_level >= min_level``, the care codes added, sorted by restoration
        level (worst first), then minutes to power (farthest first). Empty (with the columns)
        when the workspace has no ``power_restoration`` zone.

    Examples
    --------
    >>> slow_restoration_list(ctx)[["child_id", "power_minutes"]]  # doctest: +SKIP
    """
    p = nearest_power(ctx, hazard_level=hazard_level, hazard_type=hazard_type)
    keep = p["power_dependent"] & (p["power_restoration_level"] >= int(min_level))
    out = p[keep.to_numpy(dtype=bool)].copy()
    care = ctx.children.loc[out.index, "care"]
    out.insert(1, "care", [";".join(c or []) for c in care])
    return out.sort_values(["power_restoration_level", "power_minutes"], ascending=[False, False])
