"""Evacuation risk per child: exposure, power dependence, shelters by tier, cut-off kind, triage.

For every child:

- **exposure** to the hazard it is assessed for (worst level, the depth band ``depth_min_m`` /
  ``depth_max_m`` with ``depth_m`` = the band's lower bound, inundation ``duration_h`` where
  known; :mod:`analysis.exposure`);
- **power dependence** from ``data/care_types.csv`` (any care with ``power_dependent``);
- **high need**: power-dependent, or bed-bound (``mobility == "bedridden"``);
- **shelters by tier** (``data/shelter_kinds.csv``): a shelter is *suitable* when it is designated
  for the hazard (``hazards_ok``) and stands outside that hazard's zones (and, for a
  power-dependent child, is not known to lack backup power where the tier says so; a shelter
  whose ``has_power`` is unknown, as every GSI 指定避難所 of a real import, stays unknown: it is
  neither a powered shelter nor ruled out):

  - ``primary_*``: the nearest suitable 指定避難所 (``designated_shelter``), power or not: the
    first stage of the two-stage system, never a welfare tier;
  - ``powered_*``: the nearest suitable shelter of any stay tier known to have backup power;
  - ``welfare_*``: the nearest suitable welfare-tier shelter (福祉避難所, 指定福祉避難所 incl.
    special-needs schools (``is_school``), 二次避難所), not known to lack power for a
    power-dependent child;
  - ``shelter_*`` (the recommendation): for a high-need child the welfare candidate when it is
    reachable within ``welfare_max_minutes`` and at most ``welfare_extra_minutes`` longer than
    the nearest suitable shelter (direct routing, brief §4.7), otherwise the nearest
    suitable shelter (not known to lack power for a power-dependent child); chosen on the
    **hazard network**
    (roads in zones at or above ``hazard_level`` closed, :func:`geo.scenario.scenario`) when it
    reaches one, else on the normal network;

  each with minutes on the normal network and on the hazard network **to that same shelter**
  (``*_minutes`` / ``*_minutes_hazard``); an empty hazard minute always has a ``hazard_reason``;
- the **cut-off kind** (``cut_off``), never mixed:

  - ``in_zone``: the home is in a zone at or above ``hazard_level`` and the hazard network
    reaches no suitable shelter: leave *before* the water (早期避難); ``leave_minutes`` is the
    trip on the normal network, the least lead time the family needs;
  - ``roads_cut``: the home is outside such a zone, but flooded roads cut it off from every
    suitable shelter;
  - ``no_shelter``: no suitable shelter is reachable even on the normal network;

  ``isolated`` (kept for compatibility) is ``cut_off`` in {``in_zone``, ``roads_cut``};
- ``*_has_power`` of the named shelters: True / False / None (unknown);
- flags ``only_unpowered_nearby`` (the stay shelters within ``nearby_minutes`` are all known to
  lack power; a power-dependent child whose nearby shelters have no known power but some
  unknown gets 「近くの避難所の非常用電源は不明（要確認）」 in ``reason`` instead),
  ``no_suitable_within`` (no suitable shelter within ``suitable_max_minutes``) and
  ``powered_beats_welfare`` (power-dependent child: the nearest powered shelter is nearer than
  the welfare candidate);
- a **triage rank** (:func:`triage_order`) from ``data/triage.csv``: the care priority for the
  disaster (ventilator first, then other power-dependent ...), then the exposure level, then
  cut off first, bed-bound first, no individual evacuation plan first, then ``child_id``.

The hazard a child is assessed for is ``hazard_type`` when given, else the type of the child's
worst exposure among the types that close roads (children outside every zone: any hazard type;
a shelter then need only be outside every zone). :func:`filter_rows` keeps the rows at or above
a depth (band lower bound) or duration and renumbers the call order.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo import codes, settings

logger = logging.getLogger(__name__)

#: Default level at and above which a hazard zone closes the roads crossing it
#: (flood 0.5 m and deeper, landslide special warning zones, tsunami 0.3 m and deeper).
DEFAULT_HAZARD_LEVEL = 2

#: The first stage (一次避難所): where the primary shelter is looked for.
PRIMARY_KINDS = ("designated_shelter",)

#: Welfare tiers (福祉避難所, 指定福祉避難所 incl. special-needs schools, 二次避難所).
WELFARE_KINDS = ("welfare_shelter", "designated_welfare_shelter", "secondary_shelter")

#: Shelter kinds where a child can stay (指定緊急避難場所 are for immediate escape only).
STAY_KINDS = PRIMARY_KINDS + WELFARE_KINDS

#: Cut-off kinds with their labels (CSV ``cut_off`` codes; ``cut_off_ja`` in Japanese).
CUT_OFF = {
    "": ("", ""),
    "in_zone": ("浸水区域内：浸水前に避難（早期避難）", "In the zone: leave before the water"),
    "roads_cut": (
        "区域外だが浸水時に全ての避難所への道路が寸断",
        "Outside the zone, but flooded roads cut off every suitable shelter",
    ),
    "no_shelter": (
        "適した避難所に到達できない（平常時も）",
        "No suitable shelter reachable at all",
    ),
}

#: Why ``*_minutes_hazard`` is empty.
HAZARD_REASONS = {
    "in_zone": "自宅周辺の道路が浸水で通行止め（浸水前に避難）",
    "roads_cut": "浸水で道路が寸断され到達できない",
    "no_shelter": "適した避難所なし",
}

#: Columns of the evacuation table (the contract), in order; hazard columns follow.
COLUMNS = [
    "triage_rank",
    "child_id",
    "municipality_code",
    "age",
    "care",
    "care_ja",
    "mobility",
    "has_evac_plan",
    "power_dependent",
    "high_need",
    "care_priority",
    "hazard_type",
    "hazard_level",
    "hazard_label",
    "depth_m",
    "depth_min_m",
    "depth_max_m",
    "duration_h",
    "exposed",
    "cut_off",
    "cut_off_ja",
    "leave_minutes",
    "shelter_id",
    "shelter_name",
    "shelter_kind",
    "shelter_has_power",
    "minutes_normal",
    "minutes_hazard",
    "hazard_reason",
    "isolated",
    "primary_shelter_id",
    "primary_name",
    "primary_minutes",
    "primary_minutes_hazard",
    "primary_has_power",
    "powered_shelter_id",
    "powered_name",
    "powered_kind",
    "powered_minutes",
    "powered_minutes_hazard",
    "welfare_shelter_id",
    "welfare_name",
    "welfare_kind",
    "welfare_is_school",
    "welfare_has_power",
    "welfare_minutes",
    "welfare_minutes_hazard",
    "only_unpowered_nearby",
    "no_suitable_within",
    "powered_beats_welfare",
    "reason",
]


# ---------------------------------------------------------------------------------------------
# triage (numeric core)


def triage_table(path=None):
    """Read the triage table (``data/triage.csv``): priority per disaster and care code.

    Returns
    -------
    pandas.DataFrame
        Columns ``disaster``, ``care`` (``*`` = any other, including no care), ``priority``
        (1 = call first), ``label_ja``, ``note``.
    """
    path = path or (settings.data_dir / "triage.csv")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df["priority"] = df["priority"].astype(int)
    return df


def disasters(table=None):
    """Disaster types of the triage table (``default``, ``hazard``, earthquake variants ...)."""
    t = triage_table() if table is None else table
    return list(dict.fromkeys(t["disaster"]))


def _rows_for(table, disaster):
    known = set(table["disaster"])
    if disaster in known:
        return table[table["disaster"] == disaster]
    if disaster in codes.valid("hazard_types") and "hazard" in known:
        return table[table["disaster"] == "hazard"]
    if disaster is None or disaster == "default":
        return table[table["disaster"] == "default"]
    msg = (
        f"Unknown disaster type {disaster!r} for the triage table data/triage.csv; expected one "
        f"of {sorted(known)} or a hazard type ({', '.join(sorted(codes.valid('hazard_types')))})."
        " Add rows for it to data/triage.csv."
    )
    raise ValueError(msg)


def care_priority(care, *, disaster=None, table=None):
    """Return the triage priority of each child (the most urgent of its care codes).

    Parameters
    ----------
    care : sequence of list of str
        Care codes per child.
    disaster : str, optional
        A disaster of the triage table (``earthquake_power_outage`` ...), or a hazard type
        (uses the ``hazard`` rows), or ``None``/``"default"``.
    table : DataFrame, optional
        A triage table (default ``data/triage.csv``).

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> care_priority([["tube_feeding"], ["suction"], ["ventilator", "suction"], []],
    ...               disaster="earthquake_power_outage").tolist()
    [5, 2, 1, 7]
    """
    t = triage_table() if table is None else table
    rows = _rows_for(t, disaster)
    prio = dict(zip(rows["care"], rows["priority"], strict=True))
    other = prio.get("*", max(prio.values(), default=1) + 1)
    return np.array([min([prio.get(c, other) for c in (cs or [])] or [other]) for cs in care])


def triage_order(priority, level, *, isolated=None, bedridden=None, no_plan=None, ids=None):
    """Return the call order (1 = first) from the triage keys.

    Sort keys, in order: care priority (ascending), exposure level (descending), isolated
    first, bed-bound first, no individual evacuation plan first, then ``ids``.

    Examples
    --------
    >>> triage_order([2, 1, 2, 3], [1, 0, 3, 5]).tolist()
    [3, 1, 2, 4]
    """
    n = len(priority)
    z = np.zeros(n, dtype=bool)

    def _b(v):
        return z if v is None else np.asarray(v, dtype=bool)

    keys = [
        np.asarray(ids if ids is not None else np.arange(n), dtype=object).astype(str),
        ~_b(no_plan),
        ~_b(bedridden),
        ~_b(isolated),
        -np.asarray(level, dtype=float),
        np.asarray(priority, dtype=float),
    ]
    order = np.lexsort(keys)
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(1, n + 1)
    return rank


# ---------------------------------------------------------------------------------------------
# shelters


def suitable(shelters, shelter_exposure, hazard_type, *, power=False, max_level=0, kinds=None):
    """Return a bool mask of shelters suitable for one hazard type.

    Parameters
    ----------
    shelters : DataFrame
        The ``shelters`` layer.
    shelter_exposure : DataFrame
        :func:`analysis.exposure.point_exposure` of the shelters.
    hazard_type : str or None
        Hazard the shelter must be designated for and outside of (``None``: any designation,
        outside every zone above ``max_level``).
    power : bool
        Leave out shelters known to lack backup power (``has_power`` False); an unknown
        ``has_power`` stays in (unknown is not "no power").
    max_level : int
        Highest level of the hazard zone the shelter may sit in (0: outside).
    kinds : sequence of str, optional
        Shelter kinds allowed (default :data:`STAY_KINDS`).

    Examples
    --------
    >>> import pandas as pd
    >>> sh = pd.DataFrame({"kind": ["designated_shelter", "welfare_shelter", "emergency_site"],
    ...                    "hazards_ok": [["flood"], ["landslide"], ["flood"]],
    ...                    "has_power": [False, True, True]})
    >>> ex = pd.DataFrame({"flood_level": [0, 0, 0], "max_level": [0, 0, 0]})
    >>> suitable(sh, ex, "flood").tolist(), suitable(sh, ex, None, power=True).tolist()
    ([True, False, False], [False, True, False])
    >>> suitable(sh.assign(has_power=None), ex, None, power=True).tolist()
    [True, True, False]
    """
    kinds = STAY_KINDS if kinds is None else kinds
    ok = shelters["kind"].isin(list(kinds)).to_numpy().copy()
    if hazard_type is not None:
        ok &= np.array([hazard_type in (h or []) for h in shelters["hazards_ok"]], dtype=bool)
        col = f"{hazard_type}_level"
        if col in shelter_exposure:
            ok &= shelter_exposure[col].to_numpy(dtype=float) <= max_level
    elif "max_level" in shelter_exposure:
        ok &= shelter_exposure["max_level"].to_numpy(dtype=float) <= max_level
    if power:
        ok &= _power_known(shelters)[1] != 0  # not known to lack power
    return ok


# ---------------------------------------------------------------------------------------------
# the wrapper over a Context


def _shelter_times(ctx, network, cand, c_node, c_acc):
    """Home -> shelter seconds, children x the candidate shelters ``cand`` (dense, ``inf``).

    One :func:`geo.travel.matrix` per network (both access legs, no time limit): every tier's
    nearest shelter is then a masked ``argmin`` over its columns, and the minutes to a chosen
    shelter a lookup, instead of one whole-network search per shelter subset.
    """
    from geo import travel

    n = len(c_node)
    if not len(cand) or not n:
        return np.full((n, len(cand)), np.inf)
    sn = ctx.snaps["shelters"]
    return travel.dense(
        travel.matrix(
            network,
            sn["node"].to_numpy()[cand].astype(np.int64),
            c_node,
            direction="to_facility",
            offsets_s=sn["access_s"].to_numpy(dtype=float)[cand],
            target_offsets_s=c_acc,
        )
    )


def _nearest_in(times, cols, cand):
    """Per row of ``times``: (seconds, shelter position) of the nearest column among ``cols``.

    Ties go to the lowest shelter position (``cand`` ascending); ``inf``/``-1`` when none is
    reachable.
    """
    n = times.shape[0]
    if not len(cols) or not n:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    sub = times[:, cols]
    j = sub.argmin(axis=1)
    t = sub[np.arange(n), j]
    return t, np.where(np.isfinite(t), cand[cols[j]], -1).astype(np.int64)


def _reachable_only(ctx, groups, tiers, row_of, c_node, c_acc, outputs):
    """For the children without matrix rows: 0 where a suitable shelter is reachable, else inf.

    One reachability sweep per (network, suitable set) from the shelters over the reversed
    roads: what the matrix's finiteness would say, without times.
    """
    from geo import _kernels

    sn = ctx.snaps["shelters"]
    s_node = sn["node"].to_numpy().astype(np.int64)
    s_ok = np.isfinite(sn["access_s"].to_numpy(dtype=float))
    seen = {}
    for key, rows in groups.items():
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[row_of[rows] < 0]
        if not rows.size:
            continue
        fit = tiers[key]["fit"] & s_ok if len(s_ok) else np.zeros(0, dtype=bool)
        for network, t_out in outputs:
            mark = (id(network), fit.tobytes())
            if mark not in seen:
                seen[mark] = (
                    _kernels.reach_kernel(
                        *network.adjacency("to_facility")[:2], np.unique(s_node[fit])
                    )
                    if fit.any()
                    else np.zeros(network.n_nodes, dtype=bool)
                )
            ok = seen[mark][c_node[rows]] & np.isfinite(c_acc[rows])
            t_out[rows] = np.where(ok, 0.0, np.inf)


def _child_hazard(exp, types, hazard_type):
    if hazard_type is not None:
        return [hazard_type] * len(exp)
    from geo import scenario as geo_scenario

    skip = set(geo_scenario.non_closing_types())
    types = [t for t in types if t not in skip]
    if not types:
        return [None] * len(exp)
    levels = exp[[f"{t}_level" for t in types]].to_numpy(dtype=float)
    worst = levels.argmax(axis=1)
    return [types[w] if levels[i, w] > 0 else None for i, w in enumerate(worst)]


def _kinds_mask(shelters, kinds):
    return shelters["kind"].isin(list(kinds)).to_numpy(dtype=bool)


def evacuation(
    ctx,
    *,
    hazard_level=None,
    hazard_type=None,
    disaster=None,
    welfare_max_minutes=60.0,
    welfare_extra_minutes=20.0,
    nearby_minutes=30.0,
    suitable_max_minutes=30.0,
    shelter_max_level=0,
    depth_min=None,
    duration_min=None,
    child_ids=None,
):
    """Return the evacuation table: one row per child, sorted by triage rank.

    Parameters
    ----------
    ctx : analysis.context.Context
    hazard_level : int, optional
        Roads in hazard zones at or above this level are closed on the hazard network (default
        :data:`DEFAULT_HAZARD_LEVEL`); a home in such a zone is "in the zone".
    hazard_type : str, optional
        Assess every child for this hazard type and close roads only for it (default: each
        child's worst exposure; roads closed for every hazard type).
    disaster : str, optional
        Triage table rows to use (default: ``hazard_type`` when given, else ``default``), e.g.
        ``earthquake_power_outage`` or ``earthquake_power_water_outage``.
    welfare_max_minutes : float
        A high-need child is sent straight to a welfare-tier shelter reachable within this time
        (direct routing) ...
    welfare_extra_minutes : float
        ... and no more than this much longer than the nearest suitable shelter (a ventilator
        user is not sent 50 minutes away past a powered shelter at the door).
    nearby_minutes : float
        Radius of ``only_unpowered_nearby`` (stay shelters within it all known to lack power)
        and of the unknown-power note of a power-dependent child.
    suitable_max_minutes : float
        ``no_suitable_within`` when no suitable shelter is this close (normal network).
    shelter_max_level : int
        A shelter counts as outside the zone up to this level (0 = outside every zone).
    depth_min, duration_min : float, optional
        Keep only children whose depth band starts at or above ``depth_min`` metres, or whose
        inundation lasts at least ``duration_min`` hours (:func:`filter_rows`).
    child_ids : sequence of str, optional
        Return only these children (their triage rank stays the rank among all children; the
        per-shelter minute searches run only for their shelters — a plan sheet's fast path).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`COLUMNS` plus ``<type>_level`` / ``<type>_depth_min_m`` /
        ``<type>_depth_max_m`` / ``<type>_duration_h`` per hazard type, the child's point,
        indexed like ``ctx.children``, ordered by ``triage_rank``.

    Examples
    --------
    >>> ev = evacuation(ctx, hazard_type="flood", hazard_level=2)  # doctest: +SKIP
    >>> ev[ev.cut_off == "roads_cut"].child_id.tolist()  # doctest: +SKIP
    """
    import geopandas as gpd

    from . import exposure as _exposure

    level = DEFAULT_HAZARD_LEVEL if hazard_level is None else int(hazard_level)
    kids = ctx.children
    shel = ctx.shelters
    types = _exposure.hazard_types(ctx.hazards)
    if hazard_type is not None and hazard_type not in codes.valid("hazard_types"):
        msg = (
            f"hazard type {hazard_type!r} is not in data/hazard_types.csv; expected one of "
            f"{sorted(codes.valid('hazard_types'))}."
        )
        raise ValueError(msg)
    if hazard_type is not None and hazard_type not in types:
        types = [*types, hazard_type]
    exp = _exposure.point_exposure(kids, ctx.hazards, types=types)
    sh_exp = _exposure.point_exposure(shel, ctx.hazards, types=types)
    n = len(kids)
    care = kids["care"].tolist()
    flags = {k: bool(v) for k, v in codes.care_types()["power_dependent"].items()}
    power = np.array(
        [c is not None and any(flags.get(x, False) for x in c) for c in care], dtype=bool
    )
    mob = kids["mobility"] if "mobility" in kids else pd.Series([None] * n, index=kids.index)
    bedridden = mob.eq("bedridden").fillna(False).to_numpy(dtype=bool)
    high = power | bedridden
    htype = _child_hazard(exp, types, hazard_type)

    rows_of = {}
    for i, h in enumerate(htype):
        if h:
            rows_of.setdefault(h, []).append(i)

    def _col(suffix, default):
        out = [default] * n
        for h, rows in rows_of.items():
            for i, value in zip(rows, exp[f"{h}_{suffix}"].iloc[rows], strict=True):
                out[i] = value
        return out

    hlevel = np.array(_col("level", 0), dtype=int)
    hlabel = _col("label", "")
    dmin = np.array(_col("depth_min_m", np.nan), dtype=float)
    dmax = np.array(_col("depth_max_m", np.nan), dtype=float)
    dur = np.array(_col("duration_h", np.nan), dtype=float)
    net = ctx.net
    hnet = (
        ctx.scenario(min_level=level, hazard_types=[hazard_type] if hazard_type else None)
        if len(ctx.hazards)
        else net
    )
    csn = ctx.snaps["children"]
    c_node = csn["node"].to_numpy().astype(np.int64)
    c_acc = csn["access_s"].to_numpy(dtype=float)
    ns = len(shel)
    kinds_primary = _kinds_mask(shel, PRIMARY_KINDS) if ns else np.zeros(0, bool)
    kinds_welfare = _kinds_mask(shel, WELFARE_KINDS) if ns else np.zeros(0, bool)
    spow, sknown = _power_known(shel) if ns else (np.zeros(0, bool), np.zeros(0, np.int8))

    # the shelter tiers of each (hazard type, power-dependent) group of children
    groups = {}
    for i, key in enumerate(zip(htype, power.tolist(), strict=True)):
        groups.setdefault(key, []).append(i)
    tiers = {}
    for h, pw in groups:
        if ns:
            any_ok = suitable(shel, sh_exp, h, max_level=shelter_max_level)
            fit = suitable(shel, sh_exp, h, power=pw, max_level=shelter_max_level)
        else:
            any_ok = fit = np.zeros(0, dtype=bool)
        any_ok, fit = np.asarray(any_ok, bool), np.asarray(fit, bool)
        tiers[(h, pw)] = {
            "fit": fit,
            "welf": fit & kinds_welfare,
            "prim": any_ok & kinds_primary,
            "pow": any_ok & spow,
            "maybe": any_ok & (sknown == 2),  # power unknown
            "any": any_ok,
        }
    used = np.zeros(ns, dtype=bool)
    for t in tiers.values():
        for m in t.values():
            used |= m
    cand = np.flatnonzero(used)
    col = np.full(ns, -1, dtype=np.int64)
    col[cand] = np.arange(len(cand))
    if hnet is not net:
        from geo import cch, travel

        if travel.matrix_engine(hnet) == "cch":
            cch.share_topology(hnet, net)  # the flooded roads: same CCH, closed arcs at inf

    focus = (
        kids["child_id"].isin(list(child_ids)).to_numpy(dtype=bool)
        if child_ids is not None
        else np.ones(n, dtype=bool)
    )
    # children x candidate shelters, kept on the context (the disaster page asks again for
    # another triage table); a few children (a plan sheet) get their own rows only, the others
    # only whether a suitable shelter is reachable at all (their cut-off kind sets the rank)
    cache = getattr(ctx, "_cache", None)
    keys = {  # the normal network's key wins when there is no hazard network
        id(hnet): ("evacuation_times", (level, hazard_type), cand.tobytes()),
        id(net): ("evacuation_times", None, cand.tobytes()),
    }
    every = child_ids is None or (cache is not None and all(k in cache for k in keys.values()))
    have = np.arange(n) if every else np.flatnonzero(focus)

    def _times(network):
        if not every:
            return _shelter_times(ctx, network, cand, c_node[have], c_acc[have])
        if cache is None:
            return _shelter_times(ctx, network, cand, c_node, c_acc)
        key = keys[id(network)]
        if key not in cache:
            cache[key] = _shelter_times(ctx, network, cand, c_node, c_acc)
        return cache[key]

    times_n = _times(net)
    times_h = times_n if hnet is net else _times(hnet)
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[have] = np.arange(len(have))

    def _empty():
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)

    tw_h, pw_h = _empty()  # welfare tier, hazard network
    tf_h, pf_h = _empty()  # suitable (with power for a power-dependent child), hazard network
    tw_n, pw_n = _empty()
    tf_n, pf_n = _empty()
    _, prim = _empty()
    t_pow, powd = _empty()
    t_any, _ = _empty()
    t_maybe, _ = _empty()
    for key, rows in groups.items():
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[row_of[rows] >= 0]
        m = tiers[key]
        sub_n, sub_h = times_n[row_of[rows]], times_h[row_of[rows]]
        for (t_out, p_out), times, name in (
            ((tw_h, pw_h), sub_h, "welf"),
            ((tf_h, pf_h), sub_h, "fit"),
            ((tw_n, pw_n), sub_n, "welf"),
            ((tf_n, pf_n), sub_n, "fit"),
            ((None, prim), sub_n, "prim"),
            ((t_pow, powd), sub_n, "pow"),
            ((t_any, None), sub_n, "any"),
            ((t_maybe, None), sub_n, "maybe"),
        ):
            t, p = _nearest_in(times, col[m[name]], cand)
            if t_out is not None:
                t_out[rows] = t
            if p_out is not None:
                p_out[rows] = p
    if len(have) < n:
        _reachable_only(ctx, groups, tiers, row_of, c_node, c_acc, ((net, tf_n), (hnet, tf_h)))

    lim_w = welfare_max_minutes * 60
    extra_w = welfare_extra_minutes * 60
    rec = np.full(n, -1, dtype=np.int64)
    rest = np.ones(n, dtype=bool)
    for pick, pos in (
        (high & (tw_h <= np.minimum(lim_w, tf_h + extra_w)), pw_h),
        (np.isfinite(tf_h), pf_h),
        (high & (tw_n <= np.minimum(lim_w, tf_n + extra_w)), pw_n),
        (np.isfinite(tf_n), pf_n),
    ):
        take = rest & pick
        rec[take] = pos[take]
        rest &= ~take
    in_zone = np.array([h is not None for h in htype], dtype=bool) & (hlevel >= level)
    cut = np.full(n, "", dtype=object)
    lost = ~np.isfinite(tf_h)
    cut[lost & ~np.isfinite(tf_n)] = "no_shelter"
    cut[lost & np.isfinite(tf_n) & in_zone] = "in_zone"
    cut[lost & np.isfinite(tf_n) & ~in_zone] = "roads_cut"
    welf = pw_n
    near = nearby_minutes * 60
    # every stay shelter nearby known to lack power / none known to have it but some unknown
    unpowered = (t_any <= near) & (t_pow > near) & (t_maybe > near)
    power_unknown = power & (t_pow > near) & (t_maybe <= near)
    no_within = ~(tf_n <= suitable_max_minutes * 60)

    def _minutes(positions, times):
        # minutes to the shelter each row names, read from the children x shelters matrix
        outs = []
        for pos in positions:
            out = np.full(n, np.nan)
            sel = np.flatnonzero((pos >= 0) & focus)
            t = times[row_of[sel], col[pos[sel]]]
            out[sel] = np.where(np.isfinite(t), t / 60, np.nan)
            outs.append(out)
        return outs

    m_rec, m_prim, m_pow, m_welf = _minutes((rec, prim, powd, welf), times_n)
    m_rec_h, m_prim_h, m_pow_h, m_welf_h = _minutes((rec, prim, powd, welf), times_h)
    hz_reason = np.array(
        [
            ""
            if np.isfinite(m_rec_h[i])
            else HAZARD_REASONS.get(cut[i] or ("no_shelter" if rec[i] < 0 else "roads_cut"))
            for i in range(n)
        ],
        dtype=object,
    )
    disaster = disaster or hazard_type or "default"
    prio = care_priority(care, disaster=disaster)
    plan = kids["has_evac_plan"] if "has_evac_plan" in kids else pd.Series([None] * n)
    no_plan = ~plan.fillna(False).astype(bool).to_numpy()
    isolated = np.isin(cut, ["in_zone", "roads_cut"]) & (ns > 0)
    rank = triage_order(
        prio,
        hlevel,
        isolated=isolated,
        bedridden=bedridden,
        no_plan=no_plan,
        ids=kids["child_id"].tolist(),
    )
    labels = codes.care_types()["label_ja"].to_dict()

    def _pick(col, pos, default=None):
        arr = shel[col].to_numpy() if (ns and col in shel) else np.array([default] * max(ns, 1))
        return [arr[p] if p >= 0 else default for p in np.asarray(pos, dtype=int)]

    school = (
        shel["is_school"].fillna(False).astype(bool).to_numpy()
        if ns and "is_school" in shel
        else np.zeros(ns, dtype=bool)
    )
    out = pd.DataFrame(
        {
            "triage_rank": rank,
            "child_id": kids["child_id"].to_numpy(),
            "municipality_code": ctx.municipality_of("children").to_numpy(),
            "age": kids["age"].to_numpy(),
            "care": [";".join(c or []) for c in care],
            "care_ja": ["・".join(labels.get(x, x) for x in (c or [])) for c in care],
            "mobility": mob.to_numpy(),
            "has_evac_plan": plan.to_numpy(),
            "power_dependent": power,
            "high_need": high,
            "care_priority": prio,
            "hazard_type": htype,
            "hazard_level": hlevel,
            "hazard_label": hlabel,
            "depth_m": dmin,
            "depth_min_m": dmin,
            "depth_max_m": dmax,
            "duration_h": dur,
            "exposed": hlevel > 0,
            "cut_off": cut,
            "cut_off_ja": [CUT_OFF[c][0] for c in cut],
            "leave_minutes": np.where(cut == "in_zone", m_rec, np.nan),
            "shelter_id": _pick("shelter_id", rec),
            "shelter_name": _pick("name", rec),
            "shelter_kind": _pick("kind", rec),
            "shelter_has_power": _has_power(spow, sknown, rec),
            "minutes_normal": m_rec,
            "minutes_hazard": m_rec_h,
            "hazard_reason": hz_reason,
            "isolated": isolated,
            "primary_shelter_id": _pick("shelter_id", prim),
            "primary_name": _pick("name", prim),
            "primary_minutes": m_prim,
            "primary_minutes_hazard": m_prim_h,
            "primary_has_power": _has_power(spow, sknown, prim),
            "powered_shelter_id": _pick("shelter_id", powd),
            "powered_name": _pick("name", powd),
            "powered_kind": _pick("kind", powd),
            "powered_minutes": m_pow,
            "powered_minutes_hazard": m_pow_h,
            "welfare_shelter_id": _pick("shelter_id", welf),
            "welfare_name": _pick("name", welf),
            "welfare_kind": _pick("kind", welf),
            "welfare_is_school": [bool(school[p]) if p >= 0 else None for p in welf],
            "welfare_has_power": _has_power(spow, sknown, welf),
            "welfare_minutes": m_welf,
            "welfare_minutes_hazard": m_welf_h,
            "only_unpowered_nearby": unpowered,
            "no_suitable_within": no_within,
            "powered_beats_welfare": power
            & (powd >= 0)
            & (powd != welf)
            & (np.nan_to_num(m_pow, nan=np.inf) < np.nan_to_num(m_welf, nan=np.inf)),
        },
        index=kids.index,
    )
    hz_labels = codes.table("hazard_types")["label_ja"].to_dict()
    out["reason"] = [
        _reason(r, hz_labels, power_unknown=u)
        for r, u in zip(out.itertuples(), power_unknown, strict=True)
    ]
    for t in types:
        for suffix in ("level", "depth_min_m", "depth_max_m", "duration_h"):
            out[f"{t}_{suffix}"] = exp[f"{t}_{suffix}"].to_numpy()
        out[f"{t}_depth_m"] = exp[f"{t}_depth_min_m"].to_numpy()
    out = gpd.GeoDataFrame(out, geometry=kids.geometry, crs=kids.crs)
    out = out[focus].sort_values("triage_rank")
    logger.info(
        "evacuation: %d children, %d exposed, %d power-dependent, %d in zone / %d roads cut "
        "(level >= %d)",
        n,
        int(out["exposed"].sum()),
        int(power.sum()),
        int((cut == "in_zone").sum()),
        int((cut == "roads_cut").sum()),
        level,
    )
    if depth_min is not None or duration_min is not None:
        out = filter_rows(out, depth_min=depth_min, duration_min=duration_min)
    return out


def filter_rows(evac, *, depth_min=None, duration_min=None):
    """Keep the children at or above a depth and/or inundation duration; renumber the call order.

    Parameters
    ----------
    evac : DataFrame
        Output of :func:`evacuation`.
    depth_min : float, optional
        Keep rows whose depth band starts at ``depth_min`` m or deeper (``depth_min_m >= X``:
        "deeper than 3 m" means the whole band is at least 3 m; unknown depth is left out).
    duration_min : float, optional
        Keep rows whose inundation lasts at least ``duration_min`` hours (band lower bound).

    Returns
    -------
    DataFrame
        The kept rows, ``triage_rank`` renumbered 1..n in the same order.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"triage_rank": [1, 2, 3], "depth_min_m": [3.0, 0.5, None],
    ...                    "duration_h": [None, 72.0, 24.0]})
    >>> filter_rows(ev, depth_min=3).triage_rank.tolist()
    [1]
    >>> filter_rows(ev, duration_min=24)["duration_h"].tolist()
    [72.0, 24.0]
    """
    keep = np.ones(len(evac), dtype=bool)
    for col, value in (("depth_min_m", depth_min), ("duration_h", duration_min)):
        if value is None:
            continue
        v = float(value)
        if not np.isfinite(v) or v < 0:
            name = {"depth_min_m": "depth_min (--depth-min, metres)",
                    "duration_h": "duration_min (--duration-min, hours)"}[col]  # fmt: skip
            msg = f"{name} is {value!r}; expected a number >= 0."
            raise ValueError(msg)
        keep &= pd.to_numeric(evac[col], errors="coerce").fillna(-np.inf).to_numpy() >= v
    out = evac[keep].sort_values("triage_rank").copy()
    out["triage_rank"] = np.arange(1, len(out) + 1)
    return out


def _power_known(shelters):
    """(known to have power: bool array, state: int8 array 1 = has, 0 = lacks, 2 = unknown).

    ``has_power`` null, or no such column, is unknown (GSI open data has no power column).
    """
    n = len(shelters)
    if "has_power" not in shelters:
        return np.zeros(n, dtype=bool), np.full(n, 2, dtype=np.int8)
    hp = shelters["has_power"]
    na = hp.isna().to_numpy(dtype=bool)
    yes = hp.where(~na, False).astype(bool).to_numpy(dtype=bool) & ~na
    state = np.where(na, 2, np.where(yes, 1, 0)).astype(np.int8)
    return yes, state


def _has_power(spow, state, positions):
    """``has_power`` of the shelter each row names: True / False / None (unknown or none)."""
    return [None if p < 0 or state[p] == 2 else bool(spow[p]) for p in np.asarray(positions, int)]


def _reason(r, hz_labels=None, *, power_unknown=False):
    parts = []
    if r.care_priority == 1 or "ventilator" in str(r.care).split(";"):
        parts.append("人工呼吸器")
    elif r.power_dependent:
        parts.append("電源依存")
    if r.exposed:
        if hz_labels is None:
            hz_labels = codes.table("hazard_types")["label_ja"].to_dict()
        hz = hz_labels.get(r.hazard_type, r.hazard_type)
        parts.append(
            f"{hz} レベル{r.hazard_level}" + (f"（{r.hazard_label}）" if r.hazard_label else "")
        )
        if _present(r.duration_h):
            parts.append(f"浸水継続{r.duration_h:g}時間以上")
    if r.cut_off:
        parts.append(CUT_OFF[r.cut_off][0])
    if r.shelter_id is None:
        parts.append("適した避難所なし")
    if r.only_unpowered_nearby:
        parts.append("近くの避難所に非常用電源なし")
    elif power_unknown:
        parts.append("近くの避難所の非常用電源は不明（要確認）")
    if r.no_suitable_within:
        parts.append("近くに適した避難所なし")
    if not _truthy(r.has_evac_plan):
        parts.append("個別避難計画なし")
    return "; ".join(parts)


def _present(v):
    try:
        return v is not None and not pd.isna(v)
    except (TypeError, ValueError):
        return True


def _truthy(v):
    if v is None or v is pd.NA:
        return False
    try:
        if pd.isna(v):
            return False
    except (TypeError, ValueError):
        pass
    return bool(v)


#: Call-list columns with their Japanese headers (what the officer phones down).
CALL_LIST = {
    "triage_rank": "優先順位",
    "child_id": "管理番号",
    "municipality_code": "市区町村コード",
    "age": "年齢",
    "care_ja": "医療的ケア",
    "power_dependent": "電源依存",
    "hazard_type": "ハザード種別",
    "hazard_label": "想定",
    "depth_min_m": "浸水深下限(m)",
    "depth_max_m": "浸水深上限(m)",
    "duration_h": "浸水継続(時間以上)",
    "cut_off_ja": "孤立の種類",
    "leave_minutes": "早期避難の所要分",
    "shelter_id": "推奨避難所ID",
    "shelter_name": "推奨避難所",
    "minutes_normal": "所要分（平常時）",
    "minutes_hazard": "所要分（災害時）",
    "hazard_reason": "災害時に到達できない理由",
    "powered_shelter_id": "最寄りの電源あり避難所ID",
    "powered_minutes": "電源あり避難所まで（分）",
    "welfare_shelter_id": "福祉避難所ID",
    "welfare_minutes": "福祉避難所まで（分）",
    "has_evac_plan": "個別避難計画",
    "reason": "理由",
}


def call_list(evac, *, japanese=True):
    """Return the safety-confirmation call list (triage order, ids only, no names).

    Parameters
    ----------
    evac : DataFrame
        Output of :func:`evacuation`.
    japanese : bool, default True
        Japanese column headers.
    """
    cols = [c for c in CALL_LIST if c in evac.columns]
    out = pd.DataFrame(evac[cols]).sort_values("triage_rank")
    for c in ("minutes_normal", "minutes_hazard", "leave_minutes", "powered_minutes",
              "welfare_minutes"):  # fmt: skip
        if c in out:
            out[c] = out[c].round(1)
    return out.rename(columns=CALL_LIST) if japanese else out


def hazard_summary(ctx, *, by="municipality", area_kind=None, role="planner", threshold=None):
    """Children inside each hazard type per municipality (ward) or area, with plan gaps.

    Brief §8 scenario 2. Hazard types come from the workspace; where a type has no polygon over
    a unit at all the cell is NA and ``<type>_mapped`` is False ("no map", not "nobody").

    Returns
    -------
    pandas.DataFrame
        ``unit, name, children, <type>`` (children in a zone of that type) per type,
        ``<type>_mapped``, ``no_plan`` (children without an individual evacuation plan) and
        ``no_plan_exposed`` (of those, inside any zone). True counts (``role`` and
        ``threshold`` are ignored): the access gate (:func:`gate.table` with
        :func:`gate.publish.hazards`) suppresses them for the audience.
    """
    from . import exposure as _exposure

    kids = ctx.children
    ex = ctx.exposure("children")
    types = _exposure.hazard_types(ctx.hazards)
    if by == "municipality":
        units = ctx.municipalities.rename(columns={"code": "unit"})
        unit_of = ctx.municipality_of("children")
    else:
        kind = area_kind or ctx.default_area_kind()
        units = ctx.areas[ctx.areas["kind"] == kind].rename(columns={"area_id": "unit"})
        unit_of = ctx.area_of("children", kind=kind)
    mapped = _exposure.mapped_types(units, ctx.hazards, key="unit")
    plan = kids["has_evac_plan"] if "has_evac_plan" in kids else pd.Series([None] * len(kids))
    no_plan = ~plan.fillna(False).astype(bool).to_numpy()
    rows = []
    for u in units.itertuples():
        sel = (unit_of == u.unit).to_numpy()
        row = {"unit": u.unit, "name": u.name, "children": int(sel.sum())}
        for t in types:
            row[t] = int((ex[f"{t}_level"].to_numpy()[sel] > 0).sum())
            row[f"{t}_mapped"] = bool(mapped.loc[u.unit, t]) if t in mapped.columns else False
        row["no_plan"] = int(no_plan[sel].sum())
        row["no_plan_exposed"] = int((no_plan & ex["exposed"].to_numpy(dtype=bool))[sel].sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    for t in types:
        out[t] = pd.array(out[t], dtype="Int64")
        out.loc[~out[f"{t}_mapped"].astype(bool), t] = pd.NA
    return out
