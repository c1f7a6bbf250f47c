"""Transition to adulthood: children turning 18 per 圏域 against adult day places (生活介護).

After special-needs high school the main destination is 生活介護 (daily-life care); planners in
the sources see places running short, and the reasons are local: no nurse, no transport (送迎),
no bathing [brief §2, §6 row 18, §8 scenario 14]. This module projects, per area and for each of
the next 1-5 years, how many children on the register turn 18, and compares the cumulative number
with the capacity (定員) of 生活介護 places in the area that have every required capability.

Age model: ``age`` is the age in whole years as recorded. A child aged ``a`` (< 18) turns 18 in
year ``18 - a`` of the projection (a 17-year-old within year 1, a 13-year-old within year 5).
Children already 18 or older are not counted (they are current, not future, demand).

Capabilities (nurse_on_site, transport, bathing; codes of ``data/capabilities.csv``) are read from
capability columns on the facilities or from the ``facility_capabilities`` layer (wide:
``facility_id`` + one column per capability, or long: ``facility_id``, ``capability``,
``value``). Unknown stays unknown: a place with a required capability unknown is *possible*, not
*confirmed*; ``places_confirmed`` counts only places known to have all of them and
``places_possible`` adds the unknown ones. Capacity is the 定員, not the free places.

The numeric core (:func:`projection`) returns raw counts for every area; the counts of children
are shown to a person only through the access gate, :mod:`gate` (small-cell suppression for
planners):
:func:`count_columns` and :func:`sums` declare them and their relations to the gate.

Examples
--------
>>> import pandas as pd
>>> kids = pd.DataFrame({"area_id": ["A", "A", "B"], "age": [17, 15, 16]})
>>> places = pd.DataFrame({"area_id": ["A"], "capacity": [1], "qualifies": ["yes"]})
>>> p = projection(kids, places, years=3)
>>> [str(v) for v in p.loc["A", ["turning_18_y1", "cumulative_y3", "places_confirmed", "flag"]]]
['1', '2', '1', 'exceeds_possible']
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo import settings

logger = logging.getLogger(__name__)

#: Adult age and the service whose places are counted.
ADULT_AGE = 18
ADULT_SERVICE = "life_care"

#: Capabilities a place needs by default (codes of data/capabilities.csv).
DEFAULT_REQUIRE = ("nurse_on_site", "transport", "bathing")

#: Flags, worst first (not counts: never hidden).
FLAGS = {
    "exceeds_possible": "定員（能力不明を含む）を上回る",
    "exceeds_confirmed": "確認済み定員を上回る（能力不明の事業所次第）",
    "": "",
}

_TRUE = {"true", "1", "yes", "y", "あり", "有", "○", "〇", "可", "対応"}
_FALSE = {"false", "0", "no", "n", "なし", "無", "×", "不可", "非対応"}


def _years(years):
    if int(years) != years or not 1 <= int(years) <= 5:
        msg = f"years is {years!r}; expected a whole number of years from 1 to 5."
        raise ValueError(msg)
    return int(years)


def count_columns(years=5):
    """The columns of :func:`projection` that count children (the gate suppresses them)."""
    y = range(1, _years(years) + 1)
    return [f"turning_18_y{k}" for k in y] + [f"cumulative_y{k}" for k in y]


def sums(years=5):
    """Row relations between the count columns, declared to the gate.

    ``cumulative_y1 = turning_18_y1`` and ``cumulative_yk = cumulative_y(k-1) + turning_18_yk``,
    so a hidden yearly count cannot be recovered as the difference of two cumulative ones.
    """
    out = {"cumulative_y1": ["turning_18_y1"]}
    for k in range(2, _years(years) + 1):
        out[f"cumulative_y{k}"] = [f"cumulative_y{k - 1}", f"turning_18_y{k}"]
    return out


def _flag(value):
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    t = str(value).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


def _known_capabilities():
    path = settings.data_dir / "capabilities.csv"
    if not path.exists():
        return set(DEFAULT_REQUIRE)
    return set(pd.read_csv(path, dtype=str, keep_default_na=False)["code"])


def capabilities_of(facilities, capabilities=None, *, require=DEFAULT_REQUIRE):
    """Required capabilities of each facility: True, False or None (unknown) and a verdict.

    Parameters
    ----------
    facilities : DataFrame
        The ``facilities`` layer (``facility_id``; capability columns are used when present).
    capabilities : DataFrame, optional
        The ``facility_capabilities`` layer, wide (``facility_id`` + capability columns) or long
        (``facility_id``, ``capability``, ``value``). It wins over facility columns.
    require : sequence of str
        Capability codes a place needs.

    Returns
    -------
    pandas.DataFrame
        Index of ``facilities``; one column per required capability (True/False/None) and
        ``qualifies``: ``yes`` (all known True), ``no`` (one known False), ``unknown``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["a", "b", "c"], "nurse_on_site": ["あり", None, "なし"]})
    >>> capabilities_of(f, require=["nurse_on_site"])["qualifies"].tolist()
    ['yes', 'unknown', 'no']
    """
    require = list(require)
    known = _known_capabilities()
    bad = [c for c in require if c not in known]
    if bad:
        msg = f"unknown capability {bad}; use codes of data/capabilities.csv ({sorted(known)})."
        raise ValueError(msg)
    out = pd.DataFrame(index=facilities.index)
    for cap in require:
        col = facilities[cap] if cap in facilities.columns else pd.Series(None, index=out.index)
        out[cap] = pd.Series([_flag(v) for v in col], index=out.index, dtype=object)
    if capabilities is not None and len(capabilities) and "facility_id" in capabilities.columns:
        ids = facilities["facility_id"].astype(str)
        if {"capability", "value"} <= set(capabilities.columns):
            for cap in require:
                rows = capabilities[capabilities["capability"] == cap]
                values = dict(zip(rows["facility_id"].astype(str), rows["value"], strict=True))
                got = ids.map(lambda i, v=values: _flag(v.get(i)))
                out[cap] = [g if g is not None else o for g, o in zip(got, out[cap], strict=True)]
        else:
            wide = capabilities.drop_duplicates("facility_id").set_index(
                capabilities["facility_id"].drop_duplicates().astype(str)
            )
            for cap in require:
                if cap in wide.columns:
                    got = ids.map(lambda i, w=wide[cap]: _flag(w.get(i)))
                    out[cap] = [
                        g if g is not None else o for g, o in zip(got, out[cap], strict=True)
                    ]
    verdict = []
    for _, row in out[require].iterrows():
        vals = list(row)
        if any(v is False for v in vals):
            verdict.append("no")
        elif all(v is True for v in vals):
            verdict.append("yes")
        else:
            verdict.append("unknown")
    out["qualifies"] = verdict
    return out


def projection(children, places, *, years=5, areas=None):
    """Children turning 18 per area and year against adult day places (the numeric core).

    Parameters
    ----------
    children : DataFrame
        ``area_id`` and ``age`` (whole years) per child; rows without an area are left out.
    places : DataFrame
        One row per adult day place: ``area_id``, ``capacity`` (定員, null = unknown) and
        ``qualifies`` (``yes``/``no``/``unknown``, from :func:`capabilities_of`).
    years : int, default 5
        Years ahead (1-5).
    areas : DataFrame, optional
        ``area_id`` and ``name`` of every area, so areas without children or places appear.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_id``: ``area_name``; ``turning_18_y1``..``_yN`` (children turning 18
        in year k); ``cumulative_y1``..``_yN`` (turning 18 within k years); ``places_confirmed``
        (capacity of places with every capability), ``places_possible`` (plus places with a
        capability unknown), ``facilities_confirmed``, ``facilities_unknown``,
        ``capacity_unknown`` (qualifying places whose 定員 is unknown); ``short_year`` (first
        year the cumulative number exceeds the confirmed places, 0 = none) and ``flag``
        (:data:`FLAGS`, worst over the horizon).

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.DataFrame({"area_id": ["A"] * 3, "age": [17, 16, 12]})
    >>> places = pd.DataFrame({"area_id": ["A", "A"], "capacity": [1, 5],
    ...                        "qualifies": ["yes", "unknown"]})
    >>> p = projection(kids, places, years=2)
    >>> cols = ["cumulative_y2", "places_confirmed", "places_possible", "short_year", "flag"]
    >>> [str(v) for v in p.loc["A", cols]]
    ['2', '1', '6', '2', 'exceeds_confirmed']
    """
    years = _years(years)
    kids = children[["area_id", "age"]].copy()
    kids = kids[kids["area_id"].notna() & kids["age"].notna()]
    kids["age"] = pd.to_numeric(kids["age"]).astype(int)
    kids["year"] = ADULT_AGE - kids["age"]
    kids = kids[(kids["year"] >= 1) & (kids["year"] <= years)]
    ids = []
    if areas is not None and len(areas):
        ids = list(dict.fromkeys(areas["area_id"].astype(str)))
    names = dict(zip(areas["area_id"].astype(str), areas["name"], strict=False)) if ids else {}
    extra = sorted(
        (set(kids["area_id"].astype(str)) | set(places["area_id"].dropna().astype(str))) - set(ids)
    )
    ids += extra
    table = pd.crosstab(kids["area_id"].astype(str), kids["year"]).reindex(
        index=ids, columns=range(1, years + 1), fill_value=0
    )
    out = pd.DataFrame(index=pd.Index(ids, name="area_id"))
    out["area_name"] = [names.get(i, i) for i in ids]
    for k in range(1, years + 1):
        out[f"turning_18_y{k}"] = table[k].astype("int64")
    cum = table.cumsum(axis=1)
    for k in range(1, years + 1):
        out[f"cumulative_y{k}"] = cum[k].astype("int64")
    pl = places[places["area_id"].notna()].copy()
    pl["area_id"] = pl["area_id"].astype(str)
    cap = pd.to_numeric(pl["capacity"], errors="coerce")
    yes = pl["qualifies"].eq("yes")
    unk = pl["qualifies"].eq("unknown")
    grp = pl["area_id"]
    out["places_confirmed"] = (
        cap.where(yes, 0).fillna(0).groupby(grp).sum().reindex(ids, fill_value=0).astype("int64")
    )
    out["places_possible"] = out["places_confirmed"] + (
        cap.where(unk, 0).fillna(0).groupby(grp).sum().reindex(ids, fill_value=0).astype("int64")
    )
    out["facilities_confirmed"] = yes.groupby(grp).sum().reindex(ids, fill_value=0).astype("int64")
    out["facilities_unknown"] = unk.groupby(grp).sum().reindex(ids, fill_value=0).astype("int64")
    out["capacity_unknown"] = (
        ((yes | unk) & cap.isna()).groupby(grp).sum().reindex(ids, fill_value=0).astype("int64")
    )
    short = np.zeros(len(out), dtype=int)
    flag = []
    for r, (_, row) in enumerate(out.iterrows()):
        demand = [row[f"cumulative_y{k}"] for k in range(1, years + 1)]
        over = [k for k, d in enumerate(demand, start=1) if d > row["places_confirmed"]]
        short[r] = over[0] if over else 0
        if demand[-1] > row["places_possible"] and row["capacity_unknown"] == 0:
            flag.append("exceeds_possible")
        elif over:
            flag.append("exceeds_confirmed")
        else:
            flag.append("")
    out["short_year"] = short
    out["flag"] = flag
    return out


def places_of(facilities, area_ids, capabilities=None, *, require=DEFAULT_REQUIRE):
    """Adult day places (生活介護) with their area, capacity, capabilities and verdict.

    Parameters
    ----------
    facilities : DataFrame
        The ``facilities`` layer.
    area_ids : Series
        ``area_id`` per facility (index of ``facilities``), e.g. ``Context.area_of``.
    capabilities : DataFrame, optional
        The ``facility_capabilities`` layer.
    require : sequence of str
        Capability codes a place needs.

    Returns
    -------
    pandas.DataFrame
        The 生活介護 rows (index kept): ``facility_id``, ``name``, ``area_id``, ``capacity``,
        one column per required capability and ``qualifies``.
    """
    life = facilities[facilities["service"] == ADULT_SERVICE]
    caps = capabilities_of(life, capabilities, require=require)
    out = pd.DataFrame(
        {
            "facility_id": life["facility_id"].astype(str),
            "name": life.get("name"),
            "area_id": area_ids.reindex(life.index),
            "capacity": pd.array(pd.to_numeric(life["capacity"], errors="coerce"), "Int64"),
        },
        index=life.index,
    )
    return pd.concat([out, caps], axis=1)


def _places_in(ctx, area_ids, require):
    """生活介護 places of a context, judged by :func:`analysis.directory.need_status`.

    The capability layer of the resource directory decides; unknown stays unknown.
    """
    from . import directory

    fac = ctx.facilities
    pos = np.flatnonzero((fac["service"] == ADULT_SERVICE).to_numpy())
    life = fac.iloc[pos]
    require = directory.parse_needs(list(require))
    status = directory.need_status(ctx, require, positions=pos) if len(pos) else []
    wide = directory.capability_table(ctx).iloc[pos]
    out = pd.DataFrame(
        {
            "facility_id": life["facility_id"].astype(str),
            "name": life["name"],
            "area_id": area_ids.reindex(life.index),
            "capacity": pd.array(pd.to_numeric(life["capacity"], errors="coerce"), "Int64"),
        },
        index=life.index,
    )
    for cap in require:
        out[cap] = [None if pd.isna(v) else bool(v) for v in wide[cap]]
    verdict = {"confirmed": "yes", "possible": "unknown", "no": "no"}
    out["qualifies"] = [verdict[str(v)] for v in status]
    return out


def transition(ctx, *, area_kind=None, years=5, require=DEFAULT_REQUIRE):
    """Projection of a workspace (thin wrapper of :func:`projection` over a context).

    Parameters
    ----------
    ctx : analysis.context.Context
        Needs the children, facilities, areas and area_members layers (no road network).
    area_kind : str, optional
        Area kind (default: the first of the workspace).
    years : int, default 5
    require : sequence of str
        Capabilities a place needs (default nurse_on_site, transport, bathing).

    Returns
    -------
    (DataFrame, DataFrame)
        The projection per area (:func:`projection`) and the places (:func:`places_of`).
        ``projection.attrs`` holds ``area_kind``, ``years``, ``require`` and ``unknown_note``
        (how many places have a required capability unknown).

    Examples
    --------
    >>> from analysis import context
    >>> proj, places = transition(context.load("data/demo/demo.gpkg"))  # doctest: +SKIP
    """
    kind = area_kind or ctx.default_area_kind()
    if kind is not None and kind not in ctx.area_kinds():
        msg = f"area kind {kind!r} is not in the workspace; its kinds are {ctx.area_kinds()}."
        raise KeyError(msg)
    kids = pd.DataFrame(
        {"area_id": ctx.area_of("children", kind=kind), "age": ctx.children["age"]},
        index=ctx.children.index,
    )
    places = _places_in(ctx, ctx.area_of("facilities", kind=kind), require)
    areas = ctx.areas[ctx.areas["kind"] == kind] if kind else ctx.areas.iloc[0:0]
    proj = projection(kids, places, years=years, areas=areas)
    n_unknown = int((places["qualifies"] == "unknown").sum())
    proj.attrs.update(
        {
            "area_kind": kind,
            "years": int(years),
            "require": list(require),
            "places": len(places),
            "places_unknown": n_unknown,
        }
    )
    if n_unknown:
        logger.debug(
            "%d of %d 生活介護 places have a required capability (%s) unknown: counted as "
            "possible, not confirmed.",
            n_unknown,
            len(places),
            ", ".join(require),
        )
    return proj, places


def atoms(ctx, *, years=5):
    """The projection's counts per municipality atom, for a linked publication of the gate.

    One row per municipality of the workspace (and per combination of areas for children
    without a municipality), with its area of every kind (``area:<kind>`` columns) and the
    count columns of :func:`count_columns`. Summed per area of a kind they give the projection's
    counts, so the gate can suppress the tables of both area kinds jointly (no count revealed
    by differencing two kinds' areas).
    """
    years = _years(years)
    kids = ctx.children
    muni = ctx.municipality_of("children")
    kinds = ctx.area_kinds()
    frame = pd.DataFrame(index=kids.index)
    for kind in kinds:
        frame[f"area:{kind}"] = ctx.area_of("children", kind=kind).astype(object)
    area_cols = list(frame.columns)
    frame[area_cols] = frame[area_cols].where(frame[area_cols].notna(), "_none")
    frame.insert(
        0,
        "municipality_code",
        [
            str(m) if m is not None and not pd.isna(m) else "_none:" + "|".join(map(str, r))
            for m, r in zip(muni, frame[area_cols].to_numpy(), strict=True)
        ],
    )
    age = pd.to_numeric(kids["age"], errors="coerce")
    year = (ADULT_AGE - age).to_numpy()
    for k in range(1, years + 1):
        frame[f"turning_18_y{k}"] = (year == k).astype(int)
    for k in range(1, years + 1):
        frame[f"cumulative_y{k}"] = ((year >= 1) & (year <= k)).astype(int)
    by = ["municipality_code", *area_cols]
    summed = frame.groupby(by, sort=False)[count_columns(years)].sum().reset_index()
    members = ctx.layers.get("area_members")
    munis = ctx.municipalities["code"].astype(str).tolist() if len(ctx.municipalities) else []
    base = pd.DataFrame({"municipality_code": munis})
    for kind in kinds:
        m = {}
        if members is not None and len(members):
            sel = members[members["kind"] == kind]
            m = dict(zip(sel["municipality_code"].astype(str), sel["area_id"], strict=False))
        base[f"area:{kind}"] = base["municipality_code"].map(m).astype(object)
    base[area_cols] = base[area_cols].where(base[area_cols].notna(), "_none")
    out = base.merge(summed, on=by, how="outer")
    for c in count_columns(years):
        out[c] = out[c].fillna(0).astype(int)
    return out


def publication(ctx, who, *, years=5, threshold=None):
    """The gate's linked publication of the projection counts (both area kinds together).

    Pass it as ``linked=`` to :func:`gate.table` with the projection (``area_kind`` column).
    """
    from gate import disclosure
    from gate.core import threshold_for
    from gate.roles import audience

    who = audience(who)
    known = None  # municipalities the audience knows anyway (its scope): not protected
    if who.may_see_individuals:
        every = set(ctx.municipalities["code"].astype(str))
        known = every if who.scope is None else set(who.scope)
    pub = disclosure.linked(
        atoms(ctx, years=years),
        count_columns=count_columns(years),
        sums=sums(years),
        known_municipalities=known,
        threshold=threshold_for(who, threshold),
    )
    pub.members = ctx.layers.get("area_members")
    return pub


def long_form(proj, *, years=None):
    """One row per area and year (for charts), keeping suppression flags of the gate.

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.DataFrame({"area_id": ["A"], "age": [17]})
    >>> places = pd.DataFrame({"area_id": ["A"], "capacity": [2], "qualifies": ["yes"]})
    >>> long_form(projection(kids, places, years=2))["cumulative"].tolist()
    [1, 1]
    """
    years = (
        years
        or proj.attrs.get("years")
        or sum(c.startswith("cumulative_y") and not c.endswith("_suppressed") for c in proj.columns)
    )
    rows = []
    frame = proj.reset_index() if "area_id" not in proj.columns else proj
    for _, row in frame.iterrows():
        for k in range(1, years + 1):
            rec = {
                "area_id": row["area_id"],
                "area_name": row.get("area_name", row["area_id"]),
                "year": k,
                "turning_18": row[f"turning_18_y{k}"],
                "cumulative": row[f"cumulative_y{k}"],
                "places_confirmed": row["places_confirmed"],
                "places_possible": row["places_possible"],
            }
            for col in ("turning_18", "cumulative"):
                flag = f"{col}_y{k}_suppressed"
                if flag in frame.columns:
                    rec[f"{col}_suppressed"] = bool(row[flag])
            rows.append(rec)
    return pd.DataFrame(rows)
