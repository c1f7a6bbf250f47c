"""Gaps per area: coverage, capacity and E2SFCA accessibility per area and service, with flags.

For every area of one kind (圏域, 二次医療圏, municipalities ...) and every service, counting the
children in the service's age scope (:func:`analysis.coverage.in_scope`):

- ``children``, ``covered`` (a compatible facility within the threshold, confirmed or possible),
  ``covered_confirmed``, ``uncovered``, ``coverage_pct``;
- ``facilities`` and ``capacity`` of the service located in the area (capacity: known values);
- ``e2sfca_mean``: mean E2SFCA accessibility (places per child, :mod:`analysis.e2sfca`) of the
  area's children; unknown capacity counts as the service's median known capacity (or 1);
- ``unmet_care``: uncovered children who would be covered if care needs were ignored (some
  facility within reach, none accepts their care);
- ``nearest_elsewhere``: children whose nearest compatible facility lies in another area, and
  ``share_elsewhere_pct``;
- ``flags`` / ``reasons`` / ``severity``, ranked by severity (5 = worst):

  ====  ===================  ==========================================================
  sev   flag                 when
  ====  ===================  ==========================================================
  5     no_facility          children in scope, no facility of the service in the area
  4     unmet_care           some children's care is accepted by no facility within reach
  3     low_coverage         coverage below ``min_coverage_pct`` (default 80 %)
  2     low_capacity         capacity per child below half the regional ratio
  1     depends_on_neighbour over ``max_elsewhere_pct`` (default 50 %) use another area
  ====  ===================  ==========================================================

The tables hold true counts: an analysis never decides who sees them. Everything a person is
shown passes the access gate (:func:`gate.table` with the planner publication
:func:`gate.publish.gaps`), which suppresses small counts for the audience.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo import codes, settings

from . import capacity as capacity_
from . import coverage, e2sfca

logger = logging.getLogger(__name__)

#: Severity of each flag (higher = worse).
SEVERITY = {
    "no_facility": 5,
    "unmet_care": 4,
    "low_coverage": 3,
    "no_place": 3,
    "low_capacity": 2,
    "depends_on_neighbour": 1,
}

#: Age bands of the breakdowns (inclusive lower, upper), labelled as in the tables.
AGE_BANDS = (("0-5", 0, 5), ("6-11", 6, 11), ("12-17", 12, 17), ("18+", 18, 200))

#: Child-count columns of the gaps table (suppressed for planners).
COUNT_COLUMNS = [
    "children",
    "covered",
    "covered_confirmed",
    "uncovered",
    "unmet_care",
    "nearest_elsewhere",
    "placed",
    "no_place",
    "capacity_unknown",
    "covered_any_age",
    "age_limit_loss",
]

#: Parameter columns of the gaps table (the same value in every row; also ``attrs``).
PARAMETER_COLUMNS = [
    "threshold_min",
    "max_outside_pct",
    "age_band",
    "care_filter",
    "order",
    "children_per_place",
    "decay",
]

#: Default N of "more than N % of children outside the threshold".
MAX_OUTSIDE_PCT = 20.0


def outside_limit(*, max_outside_pct=None, min_coverage_pct=None):
    """Return N (%) from either form of the limit, checked.

    Examples
    --------
    >>> outside_limit(), outside_limit(min_coverage_pct=90), outside_limit(max_outside_pct=5)
    (20.0, 10.0, 5.0)
    """
    both = max_outside_pct is not None and min_coverage_pct is not None
    if both and abs(float(max_outside_pct) - (100.0 - float(min_coverage_pct))) > 1e-9:
        msg = (
            f"max_outside_pct={max_outside_pct} and min_coverage_pct={min_coverage_pct} "
            "disagree; give one of them."
        )
        raise ValueError(msg)
    n = (
        float(max_outside_pct)
        if max_outside_pct is not None
        else 100.0 - float(min_coverage_pct)
        if min_coverage_pct is not None
        else MAX_OUTSIDE_PCT
    )
    if not 0.0 <= n <= 100.0:
        msg = f"N (share of children outside, %) is {n:g}; expected 0 to 100."
        raise ValueError(msg)
    return n


def parse_age_band(band):
    """Return ``(lo, hi)`` ages (inclusive) from ``None``, ``"all"``, ``"0-5"``, ``"18+"``, a pair.

    Examples
    --------
    >>> parse_age_band("0-5"), parse_age_band((6, 11)), parse_age_band("18+"), parse_age_band(None)
    ((0, 5), (6, 11), (18, None), None)
    """
    if band is None or (isinstance(band, str) and band.strip().lower() in ("", "all", "全年齢")):
        return None
    try:
        if isinstance(band, str):
            t = band.strip()
            if t.endswith("+"):
                lo, hi = int(t[:-1]), None
            else:
                a, b = t.split("-")
                lo, hi = int(a), int(b)
        else:
            lo, hi = band
            lo, hi = int(lo), None if hi is None else int(hi)
    except (TypeError, ValueError):
        msg = f"age band {band!r}; expected 'LO-HI' (e.g. '0-5'), 'LO+' (e.g. '18+') or 'all'."
        raise ValueError(msg) from None
    if lo < 0 or (hi is not None and hi < lo):
        msg = f"age band {band!r}; expected 0 <= LO <= HI."
        raise ValueError(msg)
    return lo, hi


def band_label(band):
    """Text of a parsed age band: ``"0-5"``, ``"18+"`` or ``"all"``."""
    if band is None:
        return "all"
    lo, hi = band
    return f"{lo}+" if hi is None else f"{lo}-{hi}"


def parse_care(care):
    """Return a sorted list of care codes (checked against data/care_types.csv) or ``None``.

    Examples
    --------
    >>> parse_care("suction,ventilator"), parse_care(None)
    (['suction', 'ventilator'], None)
    """
    if care is None:
        return None
    items = care.split(",") if isinstance(care, str) else list(care)
    items = sorted({str(c).strip() for c in items if str(c).strip()})
    if not items:
        return None
    valid = codes.valid("care_types")
    bad = [c for c in items if c not in valid]
    if bad:
        msg = f"care filter {bad} not in data/care_types.csv; expected codes from {sorted(valid)}."
        raise ValueError(msg)
    return items


def filter_mask(ct, *, age_band=None, care=None):
    """Rows of a :func:`child_table` inside an age band and needing any of ``care``."""
    keep = np.ones(len(ct), dtype=bool)
    if age_band is not None:
        lo, hi = age_band
        age = pd.to_numeric(ct["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        keep &= age >= lo
        if hi is not None:
            keep &= age <= hi
    if care:
        want = set(care)
        keep &= np.array([bool(want.intersection(c or ())) for c in ct["care"]], dtype=bool)
    return keep


def capacity_filled(fac):
    """Capacity per facility for E2SFCA, unknown values filled per service.

    An unknown capacity counts as the median known capacity of facilities of the **same
    service** (1 when none of that service is known), as documented in docs/analyses.md.

    Returns
    -------
    numpy.ndarray of float
        One value per row of ``fac``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"service": ["a", "a", "a", "b", "b"],
    ...                   "capacity": [4, 8, None, 30, None]})
    >>> capacity_filled(f).tolist()
    [4.0, 8.0, 6.0, 30.0, 30.0]
    """
    cap = pd.to_numeric(fac["capacity"], errors="coerce").astype(float)
    med = cap.groupby(fac["service"].to_numpy()).transform("median")
    return cap.fillna(med).fillna(1.0).to_numpy(dtype=float)


def child_table(
    ctx,
    *,
    area_kind=None,
    services=None,
    thresholds=None,
    decay="gaussian",
    order="travel_time",
    children_per_place=1.0,
    exact=False,
):
    """Per child x service: area, coverage, capacity status and E2SFCA (before aggregation).

    Parameters
    ----------
    order, children_per_place
        Capacity assignment (:func:`analysis.capacity.assign`).
    exact : bool, default False
        Exact within lists (``coverage.service_pass(method="matrix")``) even where the engine
        would cap them at ``settings.k_max``; otherwise ``n_capped`` says how many children's
        lists were capped (their E2SFCA and assignment miss the farther facilities).

    Returns
    -------
    pandas.DataFrame
        ``child`` (iloc), ``child_id``, ``area_id``, ``service``, ``age``, ``care``,
        ``covered``, ``covered_confirmed``, ``unmet_care``, ``covered_any_age`` (covered if
        facilities' own age limits were ignored), ``nearest_area``, ``access`` (E2SFCA),
        ``status`` (:data:`analysis.capacity.STATUSES`), ``placed_facility_id``,
        ``placed_minutes``, ``n_capped`` (per service).

    Examples
    --------
    >>> t = child_table(ctx, services=["short_stay_medical"])  # doctest: +SKIP
    """
    fac = ctx.facilities
    if services is None:
        services = codes.analysed(fac["service"].tolist()) if len(fac) else []
    thr = coverage.thresholds_s(services, thresholds)
    kids = ctx.children
    area_c = ctx.area_of("children", kind=area_kind).to_numpy()
    area_f = ctx.area_of("facilities", kind=area_kind).to_numpy() if len(fac) else np.array([])
    cap_all = capacity_filled(fac) if len(fac) else np.zeros(0)
    method = "matrix" if exact else "auto"
    coverage.search_services(ctx, services, thr)  # every service's columns, one batch each way
    frames = []
    for s in services:
        sp = coverage.service_pass(ctx, s, threshold_s=thr[s], method=method)
        if len(sp.children) == 0:
            continue
        summ = coverage.summary(sp)
        loose = coverage.summary(
            coverage.service_pass(ctx, s, threshold_s=thr[s], ignore_care=True, method=method)
        )
        any_age = coverage.summary(
            coverage.service_pass(ctx, s, threshold_s=thr[s], ignore_age=True, method=method)
        )
        asg = capacity_.for_pass(ctx, sp, order=order, children_per_place=children_per_place)
        placed = asg.facility >= 0
        placed_id = np.full(len(placed), None, dtype=object)
        if placed.any():
            placed_id[placed] = fac["facility_id"].to_numpy()[sp.facilities[asg.facility[placed]]]
        access, _ = e2sfca.e2sfca(
            sp.pair_child,
            sp.pair_fac,
            sp.pair_time_s,
            n_demand=len(sp.children),
            n_supply=len(sp.facilities),
            capacity=cap_all[sp.facilities],
            catchment_s=sp.threshold_s,
            kind=decay,
        )
        nearest = summ["nearest"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "child": sp.children,
                    "child_id": kids["child_id"].to_numpy()[sp.children],
                    "area_id": area_c[sp.children],
                    "service": s,
                    "age": kids["age"].to_numpy()[sp.children],
                    "care": kids["care"].to_numpy()[sp.children],
                    "covered": summ["covered"].to_numpy(),
                    "covered_confirmed": summ["covered_confirmed"].to_numpy(),
                    "unmet_care": ~summ["covered"].to_numpy() & loose["covered"].to_numpy(),
                    "nearest_area": np.where(
                        nearest >= 0,
                        area_f[np.clip(nearest, 0, None)] if len(area_f) else None,
                        None,
                    ),
                    "access": access,
                    "covered_any_age": any_age["covered"].to_numpy(),
                    "status": asg.status,
                    "placed_facility_id": placed_id,
                    "placed_minutes": asg.time_s / 60.0,
                    "n_capped": int(sp.n_capped),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "child",
                "child_id",
                "area_id",
                "service",
                "age",
                "care",
                "covered",
                "covered_confirmed",
                "unmet_care",
                "nearest_area",
                "access",
                "covered_any_age",
                "status",
                "placed_facility_id",
                "placed_minutes",
                "n_capped",
            ]
        )
    return pd.concat(frames, ignore_index=True)


def area_gaps(
    ctx,
    *,
    area_kind=None,
    threshold=None,
    role="planner",
    services=None,
    thresholds=None,
    min_coverage_pct=None,
    max_elsewhere_pct=50.0,
    decay="gaussian",
    max_outside_pct=None,
    age_band=None,
    care=None,
    order="travel_time",
    children_per_place=1.0,
    exact=False,
):
    """Return the ``area_gaps`` table: one row per area x service, ranked by severity.

    Parameters
    ----------
    ctx : analysis.context.Context
    area_kind : str, optional
        Area kind (default: the first kind of the workspace).
    threshold, role : optional
        Ignored (kept so that older callers keep working): the table holds true counts and
        the access gate (:mod:`gate`) suppresses them for the audience.
    services : list of str, optional
        Services (default: every service with a facility).
    thresholds : dict of str to float, optional
        Coverage threshold in minutes per service.
    max_outside_pct : float, optional
        N of "more than N % of children outside the threshold" (default 20, i.e. coverage
        below 80 %): ``low_coverage`` when the share outside reach exceeds it, ``no_place``
        when the share without a place (outside reach or no place left) exceeds it.
    min_coverage_pct : float, optional
        The same limit as a coverage percentage (``100 - max_outside_pct``); give one of them.
    max_elsewhere_pct : float
        ``depends_on_neighbour`` limit.
    decay : {"gaussian", "step", "none"}
        E2SFCA decay.
    age_band : tuple of (int, int) or str, optional
        Count only children of these ages, inclusive (``(0, 5)`` or ``"0-5"``); ``None`` counts
        every age in the service's scope. ``age_limit_loss`` says how many of the counted
        children the facilities' own age limits leave out of reach (brief §8 scenario 8).
    care : list of str, optional
        Count only children who need at least one of these care codes.
    order : {"travel_time", "need"}
        Capacity assignment order (:mod:`analysis.capacity`). Every child in the service's
        scope competes for places whatever the filters; the filters choose who is counted.
    children_per_place : float, default 1.0
        Children one place serves.
    exact : bool, default False
        Exact within lists everywhere (see :func:`child_table`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``area_id, area_name, area_kind, service, threshold_min`` + counts
        (:data:`COUNT_COLUMNS`) + ``coverage_pct, placed_pct, facilities, capacity,
        capacity_unknown_facilities, capacity_per_child, e2sfca_mean, share_elsewhere_pct,
        severity, flags, reasons, rank``, the parameters (:data:`PARAMETER_COLUMNS`, the same
        in every row, so a CSV carries them in its one header row) and the area polygon.
        ``attrs["parameters"]`` holds them as a dict.

    Examples
    --------
    >>> g = area_gaps(ctx, area_kind="障害保健福祉圏域")  # doctest: +SKIP
    >>> g[g.service == "short_stay_medical"].head()  # doctest: +SKIP
    """
    import geopandas as gpd

    max_out = outside_limit(max_outside_pct=max_outside_pct, min_coverage_pct=min_coverage_pct)
    band = parse_age_band(age_band)
    care_f = parse_care(care)
    area_kind = area_kind or ctx.default_area_kind()
    areas = ctx.areas[ctx.areas["kind"] == area_kind] if area_kind else ctx.areas.iloc[:0]
    ct = child_table(
        ctx,
        area_kind=area_kind,
        services=services,
        thresholds=thresholds,
        decay=decay,
        order=order,
        children_per_place=children_per_place,
        exact=exact,
    )
    # every child in scope took part in E2SFCA and the assignment; the filters pick who counts
    region_access = ct.groupby("service")["access"].mean() if len(ct) else pd.Series([])
    ct = ct[filter_mask(ct, age_band=band, care=care_f)]
    fac = ctx.facilities
    if services is None:
        services = codes.analysed(fac["service"].tolist()) if len(fac) else []
    thr = coverage.thresholds_s(services, thresholds)
    area_f = ctx.area_of("facilities", kind=area_kind) if len(fac) else pd.Series([], dtype=object)
    cap = pd.to_numeric(fac["capacity"], errors="coerce") if len(fac) else pd.Series([])
    params = {
        "max_outside_pct": max_out,
        "age_band": band_label(band),
        "care_filter": ",".join(care_f) if care_f else "",
        "order": order,
        "children_per_place": float(children_per_place),
        "decay": decay,
    }
    rows = []
    for s in services:
        sub = ct[ct["service"] == s]
        fs = (fac["service"] == s).to_numpy() if len(fac) else np.zeros(0, bool)
        total_cap = float(np.nansum(cap[fs])) if fs.any() else 0.0
        total_kids = len(sub)
        region_ratio = total_cap / total_kids if total_kids else np.nan
        n_capped = int(sub["n_capped"].max()) if len(sub) else 0
        for a in areas.itertuples():
            k = sub[sub["area_id"] == a.area_id]
            in_a = fs & (area_f.to_numpy() == a.area_id) if len(fac) else fs
            n = len(k)
            cov = int(k["covered"].sum())
            n_fac = int(in_a.sum())
            cap_a = float(np.nansum(cap[in_a])) if n_fac else 0.0
            elsewhere = int((k["nearest_area"].notna() & (k["nearest_area"] != a.area_id)).sum())
            st_ = k["status"].value_counts()
            placed = int(st_.get(capacity_.PLACED, 0))
            any_age = int(k["covered_any_age"].sum())
            rows.append(
                {
                    "area_id": a.area_id,
                    "area_name": a.name,
                    "area_kind": area_kind,
                    "service": s,
                    "threshold_min": thr[s] / 60.0,
                    "children": n,
                    "covered": cov,
                    "covered_confirmed": int(k["covered_confirmed"].sum()),
                    "uncovered": n - cov,
                    "unmet_care": int(k["unmet_care"].sum()),
                    "nearest_elsewhere": elsewhere,
                    "coverage_pct": 100.0 * cov / n if n else np.nan,
                    "facilities": n_fac,
                    "capacity": cap_a,
                    "capacity_per_child": cap_a / n if n else np.nan,
                    "e2sfca_mean": float(k["access"].mean()) if n else np.nan,
                    "share_elsewhere_pct": 100.0 * elsewhere / n if n else np.nan,
                    "placed": placed,
                    "no_place": int(st_.get(capacity_.NO_PLACE, 0)),
                    "capacity_unknown": int(st_.get(capacity_.UNKNOWN, 0)),
                    "placed_pct": 100.0 * placed / n if n else np.nan,
                    "capacity_unknown_facilities": int((in_a & cap.isna().to_numpy()).sum())
                    if n_fac
                    else 0,
                    "covered_any_age": any_age,
                    "age_limit_loss": any_age - cov,
                    "n_capped": n_capped,
                    **params,
                    "region_ratio": region_ratio,
                    "region_access": float(region_access.get(s, np.nan)),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        out = pd.DataFrame(
            columns=[
                "area_id",
                "area_name",
                "area_kind",
                "service",
                "threshold_min",
                *COUNT_COLUMNS,
                "coverage_pct",
                "facilities",
                "capacity",
                "capacity_per_child",
                "e2sfca_mean",
                "share_elsewhere_pct",
                "severity",
                "flags",
                "reasons",
                "rank",
            ]
        )
        return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    flags, reasons, sev = [], [], []
    for r in out.itertuples():
        f, why = _flags(r, max_out, max_elsewhere_pct)
        flags.append(";".join(f))
        reasons.append(" / ".join(why))
        sev.append(max((SEVERITY[x] for x in f), default=0))
    out["severity"] = sev
    out["flags"] = flags
    out["reasons"] = reasons
    out = out.drop(columns=["region_ratio", "region_access"])
    first = ["area_id", "area_name", "area_kind", "service", *PARAMETER_COLUMNS]
    out = out[first + [c for c in out.columns if c not in first]]
    out = out.sort_values(
        ["severity", "uncovered", "coverage_pct"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    geom = areas.set_index("area_id").geometry
    res = gpd.GeoDataFrame(out, geometry=out["area_id"].map(geom).values, crs=ctx.areas.crs)
    res.attrs["parameters"] = {"threshold_min": {s: thr[s] / 60.0 for s in services}, **params}
    return res


def _flags(r, max_out, max_else):
    f, why = [], []
    if r.children == 0:
        return f, why
    if r.facilities == 0:
        f.append("no_facility")
        why.append(f"圏域内に事業所なし (no {r.service} in the area)")
    if r.unmet_care > 0:
        f.append("unmet_care")
        why.append(f"ケアを受け入れる事業所が到達圏にない児 {r.unmet_care}人")
    outside = 100.0 - r.coverage_pct
    if outside > max_out:
        f.append("low_coverage")
        why.append(f"{r.threshold_min:g}分を超える児の割合 {outside:.0f}% > {max_out:g}%")
    without = 100.0 * (r.children - r.placed - r.capacity_unknown) / r.children
    if r.no_place > 0 and without > max_out:
        f.append("no_place")
        why.append(
            f"到達圏内だが空きなし {r.no_place}人: 受入枠のない児 {without:.0f}% > {max_out:g}%"
        )
    low_ratio = np.isfinite(r.region_ratio) and r.capacity_per_child < 0.5 * r.region_ratio
    low_access = np.isfinite(r.region_access) and r.e2sfca_mean < 0.5 * r.region_access
    if low_ratio or low_access:
        f.append("low_capacity")
        if low_ratio:
            why.append(f"定員/児 {r.capacity_per_child:.2f} < 県全体 {r.region_ratio:.2f} の半分")
        if low_access:
            why.append(f"E2SFCA {r.e2sfca_mean:.2f} < 県平均 {r.region_access:.2f} の半分")
    if r.share_elsewhere_pct > max_else:
        f.append("depends_on_neighbour")
        why.append(f"最寄りが他圏域の児 {r.share_elsewhere_pct:.0f}%")
    return f, why


def breakdown(
    ctx, *, by="age", service, area_kind=None, role="planner", threshold=None, thresholds=None
):
    """Children and uncovered children per area and age band (or care type) for one service.

    Parameters
    ----------
    by : {"age", "care"}
        Age bands (:data:`AGE_BANDS`) or care codes (a child with several care types counts in
        each of them, once in the total).
    service : str
    role, threshold : optional
        Ignored (kept for older callers): true counts; the gate (:func:`gate.breakdown`)
        suppresses them for the audience.

    Returns
    -------
    dict of str to DataFrame
        ``children`` and ``uncovered``: index area_id, one column per band/care code, with a
        「計」 margin column and row.
    """
    ct = child_table(ctx, area_kind=area_kind, services=[service], thresholds=thresholds)
    areas = ctx.areas[ctx.areas["kind"] == (area_kind or ctx.default_area_kind())]["area_id"]
    if by == "age":
        age = pd.to_numeric(ct["age"], errors="coerce")
        lab = pd.Series([None] * len(ct), index=ct.index, dtype=object)
        for name, lo, hi in AGE_BANDS:
            lab[(age >= lo) & (age <= hi)] = name
        long = ct.assign(group=lab)
        cols = [b[0] for b in AGE_BANDS]
    elif by == "care":
        long = ct.assign(group=ct["care"]).explode("group")
        from geo import codes

        cols = list(codes.care_types().index)
    else:
        msg = f"breakdown by {by!r}; expected 'age' or 'care'."
        raise ValueError(msg)
    tables = {}
    totals = {}
    for measure, mask in (("children", None), ("uncovered", ~long["covered"].astype(bool))):
        sub = long if mask is None else long[mask.to_numpy()]
        tab = pd.crosstab(sub["area_id"], sub["group"]).reindex(
            index=areas.tolist(), columns=cols, fill_value=0
        )
        tab = tab.fillna(0).astype(int)
        tables[measure] = tab
        base = ct if measure == "children" else ct[~ct["covered"].astype(bool)]
        totals[measure] = base.groupby("area_id").size().reindex(areas.tolist(), fill_value=0)
    out = {}
    for m, tab in tables.items():
        t = tab.copy()
        t["計"] = totals[m]
        t.loc["計"] = t.sum()
        out[m] = t
    return out


def age_filter_loss(
    ctx,
    *,
    service,
    age_min=0,
    age_max=5,
    area_kind=None,
    role="planner",
    threshold=None,
    threshold_min=None,
):
    """Coverage of young children with providers that accept their age vs with all providers.

    Brief §8 scenario 8 (0-5 respite gap): for the children aged ``age_min``-``age_max`` in each
    area, ``covered_all_ages`` counts those a compatible provider would cover if age limits were
    ignored, ``covered`` those covered by providers whose age range includes them; ``loss`` is
    the difference (children the age limits leave out).

    Returns
    -------
    pandas.DataFrame
        ``area_id, area_name, children, covered_all_ages, covered, loss, coverage_pct,
        coverage_all_ages_pct`` (true counts; the gate suppresses them for the audience).
    """
    thr = coverage.thresholds_s([service], {service: threshold_min} if threshold_min else None)
    sp = coverage.service_pass(ctx, service, threshold_s=thr[service])
    loose = coverage.service_pass(ctx, service, threshold_s=thr[service], ignore_age=True)
    a = coverage.summary(sp).set_index("child")["covered"]
    b = coverage.summary(loose).set_index("child")["covered"]
    ages = pd.to_numeric(ctx.children["age"], errors="coerce").to_numpy()
    young = [i for i in b.index if age_min <= ages[i] <= age_max]
    kind = area_kind or ctx.default_area_kind()
    area = ctx.area_of("children", kind=kind).to_numpy()
    areas = ctx.areas[ctx.areas["kind"] == kind]
    rows = []
    for r in areas.itertuples():
        ids = [i for i in young if area[i] == r.area_id]
        n = len(ids)
        cov = int(sum(bool(a.get(i, False)) for i in ids))
        cov_all = int(sum(bool(b.get(i, False)) for i in ids))
        rows.append(
            {
                "area_id": r.area_id,
                "area_name": r.name,
                "children": n,
                "covered_all_ages": cov_all,
                "covered": cov,
                "loss": cov_all - cov,
                "coverage_pct": 100.0 * cov / n if n else np.nan,
                "coverage_all_ages_pct": 100.0 * cov_all / n if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


def default_threshold():
    """The default suppression threshold (``geo.settings.suppression_threshold``)."""
    return settings.suppression_threshold
