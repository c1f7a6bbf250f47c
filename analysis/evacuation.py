"""Evacuation risk per child: exposure, power dependence, a suitable shelter, triage order.

For every child:

- **exposure** per hazard type (worst level, depth where known; :mod:`analysis.exposure`);
- **power dependence** from ``data/care_types.csv`` (any care with ``power_dependent``);
- **high need**: power-dependent, or bed-bound (``mobility == "bedridden"``);
- the **nearest suitable shelter**: designated for the hazard (``hazards_ok``), outside that
  hazard's zones, with backup power for a power-dependent child; for a high-need child a welfare
  shelter (福祉避難所) is preferred when one is reachable within ``welfare_max_minutes``.
  Minutes are given on the normal network and on the hazard network (roads in zones at or above
  ``hazard_level`` closed, :func:`geo.scenario.scenario`);
- ``isolated`` when the hazard network leaves no suitable shelter reachable: the family must
  leave before the roads close;
- the **primary shelter** (nearest designated or welfare shelter for the hazard, power or not)
  and the **welfare candidate** (nearest suitable welfare shelter), for the two-stage check;
  ``only_unpowered_nearby`` when the shelters within ``nearby_minutes`` all lack power;
- a **triage rank** (:func:`triage_order`) from ``data/triage.csv``: the care priority for the
  disaster (ventilator first, then other power-dependent ...), then the exposure level, then
  isolated first, bed-bound first, no individual evacuation plan first, then ``child_id``.

The hazard a child is assessed for is ``hazard_type`` when given, else the type of the child's
worst exposure (children outside every zone: any hazard type, the shelter need only be outside
the zone types present at the shelter's own site for the hazard types of the workspace).
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

#: Shelter kinds where a child can stay (指定緊急避難場所 are for immediate escape only).
STAY_KINDS = ("designated_shelter", "welfare_shelter")

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
    "exposed",
    "shelter_id",
    "shelter_name",
    "shelter_kind",
    "shelter_has_power",
    "minutes_normal",
    "minutes_hazard",
    "isolated",
    "primary_shelter_id",
    "primary_minutes",
    "primary_has_power",
    "welfare_shelter_id",
    "welfare_minutes",
    "only_unpowered_nearby",
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
        Require backup power (``has_power``).
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
        hp = shelters["has_power"] if "has_power" in shelters else pd.Series(False, shelters.index)
        ok &= hp.fillna(False).astype(bool).to_numpy()
    return ok


# ---------------------------------------------------------------------------------------------
# the wrapper over a Context


class _Nearest:
    """Nearest-shelter searches for many shelter subsets, cached per (network, subset)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.sn = ctx.snaps["shelters"]
        self.cache = {}

    def __call__(self, net, mask, tag):
        from geo import travel

        mask = np.asarray(mask, dtype=bool)
        key = (tag, mask.tobytes())
        if key not in self.cache:
            n_nodes = len(net.node_ids)
            if not mask.any():
                self.cache[key] = (np.full(n_nodes, np.inf), np.full(n_nodes, -1))
            else:
                idx = np.flatnonzero(mask)
                t, p = travel.nearest(
                    net,
                    self.sn["node"].to_numpy()[idx].astype(np.int64),
                    direction="to_facility",
                    offsets_s=self.sn["access_s"].to_numpy(dtype=float)[idx],
                )
                t = np.asarray(t, dtype=float)
                p = np.asarray(p)
                self.cache[key] = (t, np.where(p >= 0, idx[np.clip(p, 0, None)], -1))
        return self.cache[key]


def _child_hazard(exp, types, hazard_type):
    if hazard_type is not None:
        return [hazard_type] * len(exp)
    if not types:
        return [None] * len(exp)
    levels = exp[[f"{t}_level" for t in types]].to_numpy(dtype=float)
    worst = levels.argmax(axis=1)
    return [types[w] if levels[i, w] > 0 else None for i, w in enumerate(worst)]


def evacuation(
    ctx,
    *,
    hazard_level=None,
    hazard_type=None,
    disaster=None,
    welfare_max_minutes=60.0,
    nearby_minutes=30.0,
    shelter_max_level=0,
):
    """Return the evacuation table: one row per child, sorted by triage rank.

    Parameters
    ----------
    ctx : analysis.context.Context
    hazard_level : int, optional
        Roads in hazard zones at or above this level are closed on the hazard network (default
        :data:`DEFAULT_HAZARD_LEVEL`).
    hazard_type : str, optional
        Assess every child for this hazard type and close roads only for it (default: each
        child's worst exposure; roads closed for every hazard type).
    disaster : str, optional
        Triage table rows to use (default: ``hazard_type`` when given, else ``default``), e.g.
        ``earthquake_power_outage`` or ``earthquake_power_water_outage``.
    welfare_max_minutes : float
        A high-need child is sent to a welfare shelter reachable within this time.
    nearby_minutes : float
        Radius of ``only_unpowered_nearby`` (shelters within it all lack power).
    shelter_max_level : int
        A shelter counts as outside the zone up to this level (0 = outside every zone).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`COLUMNS` plus ``<type>_level`` / ``<type>_depth_m`` per hazard type,
        the child's point, indexed like ``ctx.children``, ordered by ``triage_rank``.

    Examples
    --------
    >>> ev = evacuation(ctx, hazard_type="flood", hazard_level=2)  # doctest: +SKIP
    >>> ev[ev.isolated].child_id.tolist()  # doctest: +SKIP
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
    power = np.array([codes.power_dependent(c) for c in care], dtype=bool)
    mob = kids["mobility"] if "mobility" in kids else pd.Series([None] * n, index=kids.index)
    bedridden = mob.eq("bedridden").fillna(False).to_numpy(dtype=bool)
    high = power | bedridden
    htype = _child_hazard(exp, types, hazard_type)
    hlevel = np.array(
        [exp[f"{h}_level"].iloc[i] if h else 0 for i, h in enumerate(htype)], dtype=int
    )
    hlabel = [exp[f"{h}_label"].iloc[i] if h else "" for i, h in enumerate(htype)]
    depth = np.array(
        [exp[f"{h}_depth_m"].iloc[i] if h else np.nan for i, h in enumerate(htype)], dtype=float
    )
    net = ctx.net
    hnet = (
        ctx.scenario(min_level=level, hazard_types=[hazard_type] if hazard_type else None)
        if len(ctx.hazards)
        else net
    )
    near = _Nearest(ctx)
    csn = ctx.snaps["children"]
    c_node = csn["node"].to_numpy().astype(np.int64)
    c_acc = csn["access_s"].to_numpy(dtype=float)
    is_welfare = shel["kind"].eq("welfare_shelter").to_numpy(dtype=bool) if len(shel) else []
    cols = {
        c: []
        for c in (
            "shelter",
            "t_norm",
            "t_haz",
            "isolated",
            "primary",
            "t_primary",
            "welfare",
            "t_welfare",
            "unpowered",
        )
    }
    masks = {}

    def _masks(h, pw):
        if (h, pw) not in masks:
            if len(shel):
                any_ok = suitable(shel, sh_exp, h, max_level=shelter_max_level)
                fit = suitable(shel, sh_exp, h, power=pw, max_level=shelter_max_level)
            else:
                any_ok = fit = np.zeros(0, dtype=bool)
            fit_w = np.asarray(fit, dtype=bool) & np.asarray(is_welfare, dtype=bool)
            masks[(h, pw)] = (
                near(net, fit, "n"),
                near(hnet, fit, "h"),
                near(net, fit_w, "n"),
                near(hnet, fit_w, "h"),
                near(net, any_ok, "n"),
                near(net, np.asarray(any_ok, bool) & _power_mask(shel), "n"),
            )
        return masks[(h, pw)]

    for i in range(n):
        h = htype[i]
        node, acc = c_node[i], c_acc[i]
        (
            (t_fit, p_fit),
            (t_fit_h, _),
            (t_w, p_w),
            (t_w_h, _),
            (t_any, p_any),
            (t_pow, _),
        ) = _masks(h, bool(power[i]))
        tf, th = t_fit[node] + acc, t_fit_h[node] + acc
        tw, twh = t_w[node] + acc, t_w_h[node] + acc
        # recommended: welfare for high need when reachable in time (hazard network first)
        choose_w = high[i] and min(twh, tw) <= welfare_max_minutes * 60
        shelter = p_w[node] if choose_w else p_fit[node]
        cols["shelter"].append(int(shelter))
        cols["t_norm"].append((tw if choose_w else tf) / 60)
        cols["isolated"].append(not np.isfinite(th))
        cols["primary"].append(int(p_any[node]))
        cols["t_primary"].append((t_any[node] + acc) / 60)
        cols["welfare"].append(int(p_w[node]))
        cols["t_welfare"].append(tw / 60)
        t_any_i, t_pow_i = t_any[node] + acc, t_pow[node] + acc
        cols["unpowered"].append(
            bool(t_any_i <= nearby_minutes * 60 and t_pow_i > nearby_minutes * 60)
        )
    # minutes to the chosen shelter on the hazard network (one search per shelter used)
    from geo import travel

    t_haz = np.full(n, np.nan)
    chosen = np.asarray(cols["shelter"], dtype=int)
    ssn = ctx.snaps["shelters"]
    for s in np.unique(chosen[chosen >= 0]) if n else []:
        # from_node's node is the home end: "to_home" gives the time from every node to it
        t = np.asarray(
            travel.from_node(hnet, int(ssn["node"].iloc[s]), direction="to_home"),
            dtype=float,
        )
        sel = chosen == s
        tt = t[c_node[sel]] + c_acc[sel] + float(ssn["access_s"].iloc[s])
        t_haz[sel] = np.where(np.isfinite(tt), tt / 60, np.nan)
    disaster = disaster or hazard_type or "default"
    prio = care_priority(care, disaster=disaster)
    plan = kids["has_evac_plan"] if "has_evac_plan" in kids else pd.Series([None] * n)
    no_plan = ~plan.fillna(False).astype(bool).to_numpy()
    isolated = np.asarray(cols["isolated"], dtype=bool) & (len(shel) > 0)
    rank = triage_order(
        prio,
        hlevel,
        isolated=isolated,
        bedridden=bedridden,
        no_plan=no_plan,
        ids=kids["child_id"].tolist(),
    )
    labels = codes.care_types()["label_ja"]
    sid = shel["shelter_id"].to_numpy() if len(shel) else np.array([])

    def _pick(arr, pos):
        pos = np.asarray(pos, dtype=int)
        return [arr[p] if p >= 0 else None for p in pos]

    def _fin(vals):
        v = np.asarray(vals, dtype=float)
        return np.where(np.isfinite(v), v, np.nan)

    sname = shel["name"].to_numpy() if len(shel) else np.array([])
    skind = shel["kind"].to_numpy() if len(shel) else np.array([])
    spow = _power_mask(shel) if len(shel) else np.array([], dtype=bool)
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
            "depth_m": depth,
            "exposed": hlevel > 0,
            "shelter_id": _pick(sid, cols["shelter"]),
            "shelter_name": _pick(sname, cols["shelter"]),
            "shelter_kind": _pick(skind, cols["shelter"]),
            "shelter_has_power": _pick(spow, cols["shelter"]),
            "minutes_normal": _fin(cols["t_norm"]),
            "minutes_hazard": t_haz,
            "isolated": isolated,
            "primary_shelter_id": _pick(sid, cols["primary"]),
            "primary_minutes": _fin(cols["t_primary"]),
            "primary_has_power": _pick(spow, cols["primary"]),
            "welfare_shelter_id": _pick(sid, cols["welfare"]),
            "welfare_minutes": _fin(cols["t_welfare"]),
            "only_unpowered_nearby": np.asarray(cols["unpowered"], dtype=bool),
        },
        index=kids.index,
    )
    out["reason"] = [_reason(r) for r in out.itertuples()]
    for t in types:
        out[f"{t}_level"] = exp[f"{t}_level"].to_numpy()
        out[f"{t}_depth_m"] = exp[f"{t}_depth_m"].to_numpy()
    out = gpd.GeoDataFrame(out, geometry=kids.geometry, crs=kids.crs)
    out = out.sort_values("triage_rank")
    logger.info(
        "evacuation: %d children, %d exposed, %d power-dependent, %d isolated (level >= %d)",
        n,
        int(out["exposed"].sum()),
        int(power.sum()),
        int(isolated.sum()),
        level,
    )
    return out


def _power_mask(shelters):
    if "has_power" not in shelters:
        return np.zeros(len(shelters), dtype=bool)
    return shelters["has_power"].fillna(False).astype(bool).to_numpy()


def _reason(r):
    parts = []
    if r.care_priority == 1 or "ventilator" in str(r.care).split(";"):
        parts.append("人工呼吸器")
    elif r.power_dependent:
        parts.append("電源依存")
    if r.exposed:
        hz = codes.table("hazard_types")["label_ja"].get(r.hazard_type, r.hazard_type)
        parts.append(
            f"{hz} レベル{r.hazard_level}" + (f"（{r.hazard_label}）" if r.hazard_label else "")
        )
    if r.isolated:
        parts.append("浸水時に避難先へ到達不能（早期避難）")
    if r.shelter_id is None:
        parts.append("適した避難所なし")
    if r.only_unpowered_nearby:
        parts.append("近くの避難所に非常用電源なし")
    if not _truthy(r.has_evac_plan):
        parts.append("個別避難計画なし")
    return "; ".join(parts)


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
    "isolated": "孤立（早期避難）",
    "shelter_id": "推奨避難所ID",
    "shelter_name": "推奨避難所",
    "minutes_normal": "所要分（平常時）",
    "minutes_hazard": "所要分（災害時）",
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
    for c in ("minutes_normal", "minutes_hazard"):
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
        ``no_plan_exposed`` (of those, inside any zone). Counts suppressed for planners.
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
    if role == "planner" and len(out):
        from . import privacy

        out = privacy.suppress(
            out,
            count_columns=["children", *types, "no_plan", "no_plan_exposed"],
            threshold=threshold,
        )
    return out
