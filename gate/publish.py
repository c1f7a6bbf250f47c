"""The planner publications of a workspace: linked tables built from municipality atoms.

Each function builds, from an analysis context, every table of one view that an audience is
shown at once — both 圏域 kinds, the breakdowns, the related counts — as one
:class:`gate.disclosure.Linked` publication, suppressed together with the LP audit. Pages and
reports then pass their analysis tables through :func:`gate.table` (or
:func:`gate.breakdown`) with ``linked=`` the publication.

* :func:`gaps` — per service: ``children, covered, covered_confirmed, uncovered, unmet_care,
  nearest_elsewhere`` (per area kind), children and uncovered by age band and by care type;
* :func:`children` — children and power-dependent children per area (overview);
* :func:`hazards` — hazard summary per municipality and per area.

The atom of a child is its municipality (``municipality_code``; for a child without one, the
combination of its areas). Atoms exist for every municipality of ``area_members`` even with no
children, so every area appears in every table.

Examples
--------
>>> pub = gaps(ctx, services=["short_stay_medical"], who="planner")  # doctest: +SKIP
>>> gate.table(g, "planner", what="gaps", count_columns=COUNT_COLUMNS, linked=pub)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import disclosure
from .core import threshold_for
from .roles import audience

#: Columns of the gaps table computed from counts: hidden with their sources (numbers inside
#: reasons masked, the reasons themselves kept).
GAP_DEPENDENTS = {
    "coverage_pct": ["covered", "children"],
    "placed_pct": ["placed", "children"],
    "capacity_per_child": ["children"],
    "share_elsewhere_pct": ["nearest_elsewhere", "children"],
    "e2sfca_mean": ["children"],
    "reasons": [
        "children",
        "covered",
        "unmet_care",
        "nearest_elsewhere",
        "placed",
        "no_place",
        "capacity_unknown",
    ],
}


def _known(who, ctx):
    """Municipalities the audience knows anyway (its scope), or None (nothing known)."""
    who = audience(who)
    if not who.may_see_individuals:
        return None
    if who.scope is None:
        return set(ctx.municipalities["code"].astype(str)) if len(ctx.municipalities) else set()
    return set(who.scope)


def _atom_keys(ctx):
    """Per child: its municipality and its area of every kind (``area:<kind>`` columns)."""
    kids = ctx.children
    muni = ctx.municipality_of("children").astype(object).to_numpy()
    keys = pd.DataFrame({"municipality_code": muni}, index=np.arange(len(kids)))
    for kind in ctx.area_kinds():
        keys[disclosure.AREA_PREFIX + kind] = ctx.area_of("children", kind=kind).to_numpy()
    keys["municipality_code"] = [
        str(m) if m is not None and not pd.isna(m) else "_none:" + "|".join(map(str, r))
        for m, r in zip(keys["municipality_code"], keys.iloc[:, 1:].to_numpy(), strict=True)
    ]
    return keys


def _frame_atoms(ctx):
    """One row per municipality of the workspace with its area of every kind."""
    members = ctx.layers.get("area_members")
    munis = ctx.municipalities["code"].astype(str).tolist() if len(ctx.municipalities) else []
    out = pd.DataFrame({"municipality_code": munis})
    for kind in ctx.area_kinds():
        m = {}
        if members is not None and len(members):
            sel = members[members["kind"] == kind]
            m = dict(zip(sel["municipality_code"].astype(str), sel["area_id"], strict=False))
        out[disclosure.AREA_PREFIX + kind] = out["municipality_code"].map(m)
    return out


def _aggregate(indicators, keys, base, group=()):
    """Sum child indicators per atom (+ group), with every workspace municipality present."""
    group = list(group)
    cols = [c for c in indicators.columns if c not in group]
    area_cols = [c for c in keys.columns if c.startswith(disclosure.AREA_PREFIX)]
    frame = pd.concat([keys.reset_index(drop=True), indicators.reset_index(drop=True)], axis=1)
    by = ["municipality_code", *area_cols, *group]
    frame[area_cols] = frame[area_cols].astype(object).where(frame[area_cols].notna(), "_none")
    summed = frame.groupby(by, dropna=False, sort=False)[cols].sum().reset_index()
    base = base.copy()
    base[area_cols] = base[area_cols].astype(object).where(base[area_cols].notna(), "_none")
    if group:
        levels = summed[group].drop_duplicates() if len(summed) else pd.DataFrame(columns=group)
        base = base.merge(levels, how="cross") if len(levels) else base.iloc[:0]
    out = base.merge(summed, on=by, how="outer")
    for c in cols:
        out[c] = out[c].fillna(0).astype(int)
    return out


def gaps(
    ctx,
    *,
    services,
    thresholds=None,
    who="planner",
    threshold=None,
    age_band=None,
    care=None,
    **options,
):
    """The gaps publication of ``services``: both area kinds, breakdowns, linked counts.

    Parameters
    ----------
    ctx : analysis.context.Context
    services : list of str
    thresholds : dict, optional
        Minutes per service (as :func:`analysis.gaps.area_gaps`).
    who : Audience or role
        A scoped coordinator's own municipalities are known (not protected from it).
    threshold : int, optional
        Suppression threshold.
    age_band, care, **options
        As :func:`analysis.gaps.area_gaps` (filters of the counted children; ``order``,
        ``children_per_place``, ``exact``, ``decay`` of the child table): give the same
        values as the table the publication protects.

    Returns
    -------
    gate.disclosure.Linked
        Columns ``children, covered, covered_confirmed, uncovered, unmet_care,
        nearest_elsewhere@<kind>``, ``children_age:<band>``, ``uncovered_age:<band>``,
        ``children_care:<code>``, ``uncovered_care:<code>``; grouped by ``service``.
    """
    from analysis import gaps as _gaps
    from geo import codes

    kinds = ctx.area_kinds()
    keys = _atom_keys(ctx)
    care_codes = list(codes.care_types().index)
    frames = []
    first = None
    per_kind = {}
    band = _gaps.parse_age_band(age_band)
    care_f = _gaps.parse_care(care)

    def _table(kind):
        ct = _gaps.child_table(
            ctx, area_kind=kind, services=services, thresholds=thresholds, **options
        )
        return ct[_gaps.filter_mask(ct, age_band=band, care=care_f)].reset_index(drop=True)

    for kind in kinds:
        per_kind[kind] = _table(kind)
        first = per_kind[kind] if first is None else first
    if first is None:  # no area kinds: nothing to publish per area
        first = _table(None)
    ct = first
    ind = pd.DataFrame({"service": ct["service"].to_numpy()})
    covered = ct["covered"].astype(bool).to_numpy()
    ind["children"] = 1
    ind["covered"] = covered.astype(int)
    ind["covered_confirmed"] = ct["covered_confirmed"].astype(bool).to_numpy().astype(int)
    ind["uncovered"] = (~covered).astype(int)
    ind["unmet_care"] = ct["unmet_care"].astype(bool).to_numpy().astype(int)
    if "status" in ct.columns:
        from analysis import capacity

        status = ct["status"].astype(str).to_numpy()
        ind["placed"] = (status == capacity.PLACED).astype(int)
        ind["no_place"] = (status == capacity.NO_PLACE).astype(int)
        ind["capacity_unknown"] = (status == capacity.UNKNOWN).astype(int)
    if "covered_any_age" in ct.columns:
        any_age = ct["covered_any_age"].astype(bool).to_numpy()
        ind["covered_any_age"] = any_age.astype(int)
        ind["age_limit_loss"] = any_age.astype(int) - covered.astype(int)
    for kind, kct in per_kind.items():
        kct = kct.reset_index(drop=True)
        away = kct["nearest_area"].notna() & (kct["nearest_area"] != kct["area_id"])
        ind[f"nearest_elsewhere@{kind}"] = away.to_numpy().astype(int)
    age = pd.to_numeric(ct["age"], errors="coerce").to_numpy()
    bands = []
    for name, lo, hi in _gaps.AGE_BANDS:
        inside = (age >= lo) & (age <= hi)
        ind[f"children_age:{name}"] = inside.astype(int)
        ind[f"uncovered_age:{name}"] = (inside & ~covered).astype(int)
        bands.append(name)
    for code in care_codes:
        has = np.array([isinstance(c, list | tuple) and code in c for c in ct["care"]], bool)
        ind[f"children_care:{code}"] = has.astype(int)
        ind[f"uncovered_care:{code}"] = (has & ~covered).astype(int)
    atoms = _aggregate(ind, keys.iloc[ct["child"].to_numpy()], _frame_atoms(ctx), ["service"])
    count_columns = [c for c in ind.columns if c != "service"]
    base_counts = list(dict.fromkeys(c.split("@")[0] for c in count_columns))
    sums = {
        "children": ["covered", "uncovered"],
    }
    status_cols = [c for c in ("placed", "no_place", "capacity_unknown") if c in ind.columns]
    if "covered_any_age" in ind.columns:
        sums["covered_any_age"] = ["covered", "age_limit_loss"]
    subsets = {
        "covered": ["covered_confirmed"],
        "uncovered": ["unmet_care"],
        "children": [
            *status_cols,
            *([["covered_any_age"]][0] if "covered_any_age" in ind.columns else []),
            *[c for c in count_columns if c.startswith("nearest_elsewhere@")],
            *[f"children_age:{b}" for b in bands],
            *[f"children_care:{c}" for c in care_codes],
        ],
        **{f"children_age:{b}": [f"uncovered_age:{b}"] for b in bands},
        **{f"children_care:{c}": [f"uncovered_care:{c}"] for c in care_codes},
    }
    # ages partition the children only where every child has an age in a band
    # (then the age breakdown of children adds up to the children of the gap table too: the
    # attacker can sum the shown bands of a hidden total)
    if np.isfinite(age).all() and len(age):
        sums["uncovered"] = [f"uncovered_age:{b}" for b in bands]
        sums["children"] = [sums["children"], [f"children_age:{b}" for b in bands]]
    frames.append(atoms)
    # services counting the same children (same age scope) share their children cells
    members = ct.groupby("service")["child"].apply(lambda x: tuple(sorted(x)))
    same = [list(g.index) for _, g in members.groupby(members) if len(g) > 1]
    pub = disclosure.linked(
        atoms,
        count_columns=base_counts,
        group=["service"],
        equal_groups={"children": same},
        sums=sums,
        subsets=subsets,
        known_municipalities=_known(who, ctx),
        threshold=threshold_for(who, threshold),
    )
    pub.members = ctx.layers.get("area_members")
    pub.dependents = GAP_DEPENDENTS
    pub.breakdowns = {
        "age": list(bands),
        "care": care_codes,
    }
    return pub


def breakdown(pub, tab, who, *, by, measure, kind, service):
    """A gaps breakdown (:func:`analysis.gaps.breakdown` part ``measure``) through the gate.

    Parameters
    ----------
    pub : Linked
        The publication of :func:`gaps` for the breakdown's service.
    tab : DataFrame
        ``children`` or ``uncovered`` table of :func:`analysis.gaps.breakdown` (「計」 margins).
    by : {"age", "care"}
    measure : {"children", "uncovered"}
    kind : str
        The area kind of the rows.
    service : str
        The breakdown's service.
    """
    from .core import breakdown as _breakdown

    columns = {c: f"{measure}_{by}:{c}" for c in tab.columns if c != "計"}
    return _breakdown(
        tab,
        who,
        what=f"breakdown by {by}",
        linked=pub,
        kind=kind,
        columns=columns,
        total_column=measure,
        group=(service,),
    )


def children(ctx, *, who="planner", threshold=None):
    """Children and power-dependent children per municipality atom, published per area.

    Returns
    -------
    gate.disclosure.Linked
        Columns ``n_children`` and ``n_power`` (tables per area kind; ``_total`` rows).
    """
    from geo import codes

    keys = _atom_keys(ctx)
    kids = ctx.children
    ind = pd.DataFrame(
        {
            "n_children": np.ones(len(kids), int),
            "n_power": np.array([bool(codes.power_dependent(c)) for c in kids["care"]], int)
            if len(kids)
            else np.zeros(0, int),
        }
    )
    atoms = _aggregate(ind, keys, _frame_atoms(ctx))
    pub = disclosure.linked(
        atoms,
        count_columns=["n_children", "n_power"],
        subsets={"n_children": ["n_power"]},
        public_totals=["n_children"],
        known_municipalities=_known(who, ctx),
        threshold=threshold_for(who, threshold),
    )
    pub.members = ctx.layers.get("area_members")
    return pub


def hazards(ctx, *, who="planner", threshold=None):
    """The hazard summary publication: per municipality and per area of every kind.

    Columns ``children``, one per hazard type (children in a zone of that type),
    ``no_plan`` and ``no_plan_exposed`` (as :func:`analysis.evacuation.hazard_summary`).
    """
    from analysis import exposure as _exposure

    keys = _atom_keys(ctx)
    kids = ctx.children
    ex = ctx.exposure("children")
    types = _exposure.hazard_types(ctx.hazards)
    plan = kids["has_evac_plan"] if "has_evac_plan" in kids else pd.Series([None] * len(kids))
    no_plan = ~plan.fillna(False).astype(bool).to_numpy()
    exposed = ex["exposed"].to_numpy(dtype=bool) if len(kids) else np.zeros(0, bool)
    ind = pd.DataFrame({"children": np.ones(len(kids), int)})
    for t in types:
        ind[t] = (ex[f"{t}_level"].to_numpy() > 0).astype(int)
    ind["no_plan"] = no_plan.astype(int)
    ind["no_plan_exposed"] = (no_plan & exposed).astype(int)
    atoms = _aggregate(ind, keys, _frame_atoms(ctx))
    pub = disclosure.linked(
        atoms,
        count_columns=["children", *types, "no_plan", "no_plan_exposed"],
        subsets={"children": [*types, "no_plan"], "no_plan": ["no_plan_exposed"]},
        municipalities=True,
        public_totals=["children"],
        known_municipalities=_known(who, ctx),
        threshold=threshold_for(who, threshold),
    )
    pub.members = ctx.layers.get("area_members")
    return pub


#: Site suggestion columns derivable from others (running sums): not shown when suppressing.
SITE_DERIVED = ("cumulative_covered", "placed_after")


def sites(table, who="planner", *, threshold=None):
    """Site suggestions (:func:`analysis.sites.suggest`) as ``who`` may see them.

    ``newly_covered`` (children a site newly covers, e.g. 1 or 2) and the region figures
    ``uncovered_before``/``placed_before`` are counts: hidden when 1-9 (with complements); the
    running sums (``cumulative_covered``, ``placed_after``) would give the hidden ones back by
    differencing and are left out for a suppressed audience. Admins see the table as it is.
    """
    from .core import table as _table

    who = audience(who)
    if who.unsuppressed or (who.may_see_individuals and who.scope is None):
        return table
    out = table.drop(columns=[c for c in SITE_DERIVED if c in table.columns])
    counts = [c for c in ("newly_covered", "uncovered_before", "placed_before") if c in out]
    return _table(
        out,
        who,
        what="site suggestions",
        count_columns=counts,
        threshold=threshold,
        dependents={"newly_covered_weight": ["newly_covered"]},
    )


def what_if(summary, pub, who="planner"):
    """The what-if summary (children per service before/after) consistent with ``pub``.

    Two triples are protected the same way: ``covered_before, covered_after, gain`` (within
    reach) and ``placed_before, placed_after, placed_gain`` (with a place, capacity-aware).
    A *before* figure is the region total of ``covered`` (``placed``) in the gaps publication
    ``pub`` of the same services: hidden exactly when the publication hides that total (else the
    total of children minus it would pin the uncovered); where the publication has no such cell
    it is hidden whenever it is 1-9 or leaves 1-9 children out. A gain is hidden when 1-9, and
    the *after* figure whenever its *before* or gain is hidden or the children it leaves out are
    1-9. ``capacity_unknown_after`` is hidden when 1-9 or when ``placed_after`` is hidden (the
    children total minus the two would otherwise pin the rest).
    """
    from .core import _mark

    who = audience(who)
    if who.unsuppressed or (who.may_see_individuals and who.scope is None):
        return summary
    thr = pub.threshold
    n = len(summary)
    triples = (("covered_before", "covered_after", "gain", "covered"),
               ("placed_before", "placed_after", "placed_gain", "placed"))  # fmt: skip
    names = [c for t in triples for c in t[:3]] + ["capacity_unknown_after"]
    hidden = {c: np.zeros(n, bool) for c in names}
    small = {c: np.zeros(n, bool) for c in names}
    kinds = [k for k in pub.kinds() if k != "municipality"]

    def _value(col, r):
        return int(summary[col].iloc[r]) if col in summary.columns else 0

    for r, service in enumerate(summary.index):
        children_total = None
        for kind in kinds:
            children_total = pub.cells.get((kind, "_total", (service,), "children"), children_total)
        n_children = None if children_total is None else pub.system.values[children_total]
        for before_c, after_c, gain_c, cell in triples:
            if before_c not in summary.columns:
                continue
            total = None
            for kind in kinds:
                total = pub.cells.get((kind, "_total", (service,), cell), total)
            before = _value(before_c, r)
            if total is not None:
                before_hidden = bool(pub.solution.hidden[total])
            else:  # not in the publication: protect it on its own
                rest = None if n_children is None else n_children - before
                before_hidden = 1 <= before < thr or rest is None or 1 <= rest < thr
            gain, after = _value(gain_c, r), _value(after_c, r)
            left = None if n_children is None else n_children - after
            hidden[before_c][r] = before_hidden
            small[before_c][r] = before_hidden and 1 <= before < thr
            hidden[gain_c][r] = 1 <= gain < thr
            small[gain_c][r] = hidden[gain_c][r]
            out_small = left is None or 1 <= left < thr
            hidden[after_c][r] = before_hidden or hidden[gain_c][r] or out_small
            small[after_c][r] = hidden[after_c][r] and 1 <= after < thr
        unknown = _value("capacity_unknown_after", r)
        hidden["capacity_unknown_after"][r] = 1 <= unknown < thr or bool(hidden["placed_after"][r])
        small["capacity_unknown_after"][r] = 1 <= unknown < thr
    cols = [c for c in names if c in summary.columns]
    return _mark(summary, cols, {c: hidden[c] for c in cols}, {c: small[c] for c in cols})
