"""Planner section: capacity-aware gaps with every gap parameter (threshold, N %, age band, care).

Called from ui/pages/planner.py with one line. Shows, per area, children placed / within reach
but no place left / only capacity-unknown facilities / out of reach, the E2SFCA mean, the loss
the facilities' age limits cause, and the service's facilities that are full; the current
parameter values head every table and go into every download (as columns).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import codes
from ui import common, labels

AGE_BANDS = ["all", "0-5", "6-11", "12-17", "18+"]

#: Defaults of :func:`analysis.gaps.area_gaps` (and of the publication) for the section's options.
_OPTION_DEFAULTS = {
    "age_band": None,
    "care": None,
    "order": "travel_time",
    "children_per_place": 1.0,
}

_T = {
    "head": ("受入枠を考慮した不足（条件を指定）", "Gaps with capacity (set the conditions)"),
    "minutes": ("到達時間のしきい値（分）", "Threshold (minutes)"),
    "max_out": (
        "N: 到達圏外・受入枠なしの児の割合の上限（%）",
        "N: share outside / without a place (%)",
    ),
    "age": ("年齢帯", "Age band"),
    "care": ("医療的ケアで絞り込み（いずれかを要する児）", "Care filter (children needing any)"),
    "order": ("受入の割当順", "Assignment order"),
    "cpp": ("1枠で受け入れる児の数", "Children per place"),
    "run": ("この条件で集計", "Compute"),
    "params": ("条件", "Parameters"),
    "areas": ("圏域別: 受入枠・到達圏", "Per area: places and reach"),
    "facilities": ("事業所の定員と空き", "Facilities: capacity and places left"),
    "capped": (
        "注意: {n}人の児の到達圏内事業所一覧が上限で打ち切られています（CLI の --exact で正確に）",
        "Note: {n} children's lists were capped (use --exact on the CLI for exact lists)",
    ),
    "travel_time": ("近い順（移動時間の短い組から）", "Nearest first (shortest trips first)"),
    "need": ("必要度順（人工呼吸器・電源依存を優先）", "High need first (ventilator, power)"),
    "all": ("全年齢", "All ages"),
}

#: Display labels of the columns this section adds (ja, en).
COLUMNS = {
    "placed": ("受入枠あり", "Placed"),
    "no_place": ("到達圏内だが空きなし", "Within reach, no place left"),
    "capacity_unknown": ("定員不明の事業所のみ", "Only capacity-unknown facilities"),
    "uncovered": ("到達圏外", "Out of reach"),
    "placed_pct": ("受入枠ありの割合（%）", "Placed (%)"),
    "covered_any_age": ("年齢制限なしなら到達圏内", "Within reach ignoring age limits"),
    "age_limit_loss": ("年齢制限で外れる児", "Left out by age limits"),
    "places": ("受入枠", "Places"),
    "full": ("満員", "Full"),
    "capacity_known": ("定員が分かる", "Capacity known"),
    "max_outside_pct": ("N（%）", "N (%)"),
    "age_band": ("年齢帯", "Age band"),
    "care_filter": ("ケア条件", "Care filter"),
    "order": ("割当順", "Order"),
    "children_per_place": ("1枠の児数", "Children per place"),
    "newly_covered": ("新たに受入枠を得る児", "Newly placed / covered"),
    "newly_covered_weight": ("必要度の重み計", "Need weight"),
    "cumulative_covered": ("累計", "Cumulative"),
    "uncovered_before": ("対象の児（現状）", "Children in demand"),
    "solver": ("解法", "Solver"),
    "capacitated": ("定員を考慮", "Capacitated"),
    "site_capacity": ("新拠点の定員", "Places per site"),
    "site_accepts": ("受け入れるケア", "Care accepted"),
    "site_age_min": ("年齢下限", "Min age"),
    "site_age_max": ("年齢上限", "Max age"),
    "placed_before": ("受入枠のある児（前）", "With a place (before)"),
    "placed_after": ("受入枠のある児（後）", "With a place (after)"),
}

_DEFAULTED = {
    "accepts": ("受け入れるケア", "care accepted"),
    "capacity": ("定員", "places"),
    "age_min": ("年齢下限", "min age"),
    "age_max": ("年齢上限", "max age"),
}


def _t(key, lang, **fmt):
    ja, en = _T[key]
    return (en if lang == "en" else ja).format(**fmt)


def _labelled(frame, lang):
    """Display headers: this section's own labels, else ui.labels."""
    i = 1 if lang == "en" else 0
    out = labels.columns(frame, lang)
    out.columns = [
        COLUMNS[c][i] if c in COLUMNS else new
        for c, new in zip(frame.columns, out.columns, strict=True)
    ]
    return out


def parameter_text(params, lang):
    """One line with the current values (the header of every table of the section)."""
    i = 1 if lang == "en" else 0
    band = params["age_band"]
    care = params["care_filter"] or (_T["all"][i] if band == "all" else "—")
    parts = [
        f"{_T['minutes'][i]}: {params['threshold_min']:g}",
        f"N: {params['max_outside_pct']:g}%",
        f"{_T['age'][i]}: {_T['all'][i] if band == 'all' else band}",
        f"{_T['care'][i]}: {care if params['care_filter'] else '—'}",
        f"{_T['order'][i]}: {_t(params['order'], 'en' if i else 'ja')}",
        f"{_T['cpp'][i]}: {params['children_per_place']:g}",
    ]
    return f"{_T['params'][i]} — " + " / ".join(parts)


def render(ctx, *, kind, service, threshold=None):
    """Draw the section for one area kind and service (``threshold``: the page's minutes)."""
    from analysis import capacity, gaps

    lang = common.lang()
    if ctx is None:
        return
    st.divider()
    st.subheader(_t("head", lang))
    default_min = float(threshold or codes.service_types()["threshold_min"].get(service, 30))
    care_codes = labels.code_options("care")
    with st.form(f"h5_gap_form_{service}"):
        c1, c2, c3 = st.columns(3)
        minutes = c1.number_input(
            _t("minutes", lang), min_value=5.0, max_value=240.0, step=5.0, value=default_min
        )
        max_out = c2.number_input(
            _t("max_out", lang), min_value=0.0, max_value=100.0, step=5.0, value=20.0
        )
        band = c3.selectbox(
            _t("age", lang),
            AGE_BANDS,
            format_func=lambda b: _t("all", lang) if b == "all" else b,
        )
        d1, d2, d3 = st.columns(3)
        care = d1.multiselect(
            _t("care", lang),
            care_codes,
            format_func=lambda c: labels.code_label("care", c, lang),
        )
        order = d2.radio(
            _t("order", lang), list(capacity.ORDERS), format_func=lambda o: _t(o, lang)
        )
        cpp = d3.number_input(_t("cpp", lang), min_value=0.5, max_value=20.0, step=0.5, value=1.0)
        st.form_submit_button(_t("run", lang))
    # the options that differ from the defaults: with the defaults the section shares the gap
    # table's computations and publication (same keys)
    options = {
        k: v
        for k, v in {
            "age_band": None if band == "all" else band,
            "care": list(care) or None,
            "order": order,
            "children_per_place": float(cpp),
        }.items()
        if v != _OPTION_DEFAULTS[k]
    }
    thresholds = {service: float(minutes)}
    with st.spinner(common.t("computing")):
        g = common.cached(
            ctx,
            "area_gaps",  # the planner page's key: its table is this one with the defaults
            lambda: gaps.area_gaps(
                ctx,
                area_kind=kind,
                role="admin",  # raw counts: the gate below suppresses for this audience
                services=[service],
                thresholds=thresholds,
                max_outside_pct=float(max_out),
                **options,
            ),
            kind=kind,
            service=service,
            thresholds=thresholds,
            max_outside_pct=float(max_out),
            **options,
        )
        load = common.cached(
            ctx, "gap_params_load",
            lambda: capacity.facility_load(
                ctx, service=service, threshold_min=float(minutes), order=order,
                children_per_place=float(cpp),
            ),
            service=service, minutes=float(minutes), order=order, cpp=float(cpp),
        )  # fmt: skip
    params = {**g.attrs.get("parameters", {}), "threshold_min": float(minutes)}
    st.caption(parameter_text(params, lang))
    n_capped = int(pd.to_numeric(g.get("n_capped"), errors="coerce").max() or 0) if len(g) else 0
    if n_capped:
        st.warning(_t("capped", lang, n=n_capped))
    cols = [
        "area_id", "area_name", "service", *gaps.PARAMETER_COLUMNS, "children", "placed",
        "no_place", "capacity_unknown", "uncovered", "covered_any_age", "age_limit_loss",
        "placed_pct", "coverage_pct", "e2sfca_mean", "facilities", "capacity",
        "capacity_unknown_facilities", "severity", "flags",
    ]  # fmt: skip
    frame = pd.DataFrame(g)[[c for c in cols if c in g.columns]]
    counts = [c for c in gaps.COUNT_COLUMNS + ["children", "covered", "uncovered"] if c in frame]
    st.markdown(f"**{_t('areas', lang)}**")
    import gate
    from gate import AccessDenied

    # the same linked publication as the planner's gap table (both area kinds, breakdowns), built
    # for these parameters: a count hidden there is hidden here too, so no table differences it
    with st.spinner(common.t("computing")):
        pub = common.publication("gaps", ctx, services=[service], thresholds=thresholds, **options)
    try:
        shown = gate.table(
            frame,
            common.audience(),
            what="area_gaps_capacity",
            count_columns=counts,
            linked=pub,
            by="service",
            sums={"children": ["placed", "no_place", "capacity_unknown", "uncovered"]},
            dependents={
                "placed_pct": ["placed", "children"],
                "coverage_pct": ["uncovered", "children"],
                "e2sfca_mean": ["children"],
            },
        )
    except AccessDenied as exc:
        st.error(str(exc))
        return
    # the parameters head the table (caption); downloads keep them as columns
    view = gate.display(shown, lang=lang).drop(
        columns=[c for c in ("service", *gaps.PARAMETER_COLUMNS) if c != "threshold_min"],
        errors="ignore",
    )
    common.table(_labelled(view, lang))
    common.downloads(
        frame,
        f"area_gaps_capacity_{service}",
        key=f"h5_dl_{service}",
        count_columns=counts,
        linked=pub,
        cache=(  # the table and publication of these parameters: files built once
            ctx,
            {
                "table": "gap_params",
                "kind": kind,
                "service": service,
                "thresholds": thresholds,
                "max_outside_pct": float(max_out),
                **options,
            },
        ),
    )
    st.markdown(f"**{_t('facilities', lang)}**")
    fac_cols = ["facility_id", "name", "capacity", "places", "full", "capacity_known"]
    st.caption(parameter_text(params, lang))
    common.table(_labelled(load[fac_cols].reset_index(drop=True), lang))
    render_sites(ctx, service=service, order=order)


_S = {
    "head": ("受入枠を考慮した候補地（ケアと定員を指定）", "Sites with capacity (care, places)"),
    "k": ("追加する拠点数", "Sites to add"),
    "accepts": ("新拠点が受け入れるケア", "Care a new site accepts"),
    "capacity": ("新拠点の定員（枠）", "Places per new site"),
    "capacitated": ("定員を考慮（受入枠のない児を対象）", "Capacitated (children without a place)"),
    "run": ("候補地を探す", "Find sites"),
    "before_after": (
        "受入枠のある児: {b} → {a}（新拠点 {n}か所, {solver}）",
        "Children with a place: {b} -> {a} ({n} new sites, {solver})",
    ),
    "defaults": ("既定値を使った項目: {d}", "Defaulted: {d}"),
    "none": (
        "受入枠を増やせる候補地はありません（定員・受け入れるケア・到達時間を確認してください）",
        "No candidate adds a place (check the places, the care accepted and the threshold)",
    ),
}


def _s(key, lang, **fmt):
    ja, en = _S[key]
    return (en if lang == "en" else ja).format(**fmt)


def render_sites(ctx, *, service, order="travel_time"):
    """Capacity- and care-aware siting for one service (a form; runs on submit)."""
    import gate
    from analysis import sites
    from gate import AccessDenied

    lang = common.lang()
    st.markdown(f"**{_s('head', lang)}**")
    prof = sites.site_defaults(ctx, service)
    with st.form(f"h5_sites_form_{service}"):
        c1, c2, c3 = st.columns(3)
        k = c1.number_input(_s("k", lang), min_value=1, max_value=10, value=1)
        cap = c2.number_input(
            _s("capacity", lang),
            min_value=0.0,
            max_value=500.0,
            step=1.0,
            value=float(prof["capacity"] if prof["capacity"] is not None else 5.0),
        )
        capacitated = c3.checkbox(_s("capacitated", lang), value=True)
        accepts = st.multiselect(
            _s("accepts", lang),
            labels.code_options("care"),
            default=[c for c in prof["accepts"] if c in labels.code_options("care")],
            format_func=lambda c: labels.code_label("care", c, lang),
        )
        go = st.form_submit_button(_s("run", lang))
    key = f"h5_sites_{service}"
    if go:
        with st.spinner(common.t("computing")):
            st.session_state[key] = sites.suggest(
                ctx,
                service=service,
                k=int(k),
                accepts=accepts,
                capacity=float(cap),
                capacitated=bool(capacitated),
                order=order,
            )
    res = st.session_state.get(key)
    if res is None:
        return
    if not len(res):
        st.info(_s("none", lang))
    if len(res):
        st.caption(
            _s(
                "before_after",
                lang,
                **_before_after(res),
                n=len(res),
                solver=res["solver"].iloc[0],
            )
        )
    if res.attrs.get("defaults"):
        i = 1 if lang == "en" else 0
        names = [_DEFAULTED.get(d, (d, d))[i] for d in res.attrs["defaults"]]
        st.caption(_s("defaults", lang, d=", ".join(names)))
    # gate.publish.sites: small counts hidden with complements, running sums left out
    from gate import publish

    frame = pd.DataFrame(res).drop(columns=["geometry", "service"], errors="ignore")
    try:
        shown = publish.sites(frame, common.audience())
    except AccessDenied as exc:
        st.error(str(exc))
        return
    common.table(_labelled(gate.display(shown, lang=lang), lang))
    common.downloads(shown, f"site_capacity_{service}", key=f"h5_dl_sites_{service}")


def _before_after(res):
    """Children with a place before/after as this audience may see them.

    The difference of the two is the gain: a suppressed audience sees ``after`` only when the
    gain is 0 or at least the suppression threshold (else 「秘匿」), so no small gain leaks.
    """
    import gate
    from geo import settings

    who = common.audience()
    lang = common.lang()

    def people(v):
        v = str(v)
        return f"{v}人" if v.replace(",", "").isdigit() and lang != "en" else v

    before = int(res["placed_before"].iloc[0])
    after = int(res["placed_after"].iloc[-1])
    b = gate.metric(before, who, what="site suggestions")
    if who.unsuppressed or (who.may_see_individuals and who.scope is None):
        return {"b": people(b), "a": people(gate.metric(after, who, what="site suggestions"))}
    gain = after - before
    thr = settings.suppression_threshold
    ok = gain == 0 or gain >= thr
    a = gate.metric(after, who, what="site suggestions") if ok else "秘匿"
    return {"b": people(b), "a": people(a)}
