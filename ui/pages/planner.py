"""計画: gaps per 圏域 and service, choropleth, every flag with its reason, age loss, sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import gate
from analysis import gaps
from gate import publish
from geo import codes, workspace
from ui import common, labels, maps, print_views
from ui.sections import gap_params

lang = common.lang()
st.header(common.t("planner_head"))
lay = common.layers()
areas = lay["areas"]
kinds = list(dict.fromkeys(areas["kind"]))
present = set(lay["facilities"]["service"])
# coverage and gaps are measured for services only (not the directory's places and contacts)
services = [s for s in codes.service_codes("service") if s in present] or codes.service_codes(
    "service"
)
defaults = codes.service_types()["threshold_min"]
region = workspace.metadata(common.workspace_path()).get("region")
area_names = dict(zip(areas["area_id"], areas["name"], strict=True))

with st.form("planner_form"):
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox(common.t("area_kind"), kinds, key="planner_kind")
    service = c2.selectbox(
        common.t("service"),
        services,
        format_func=lambda s: labels.code_label("service", s, lang),
        key="planner_service",
    )
    threshold = c3.number_input(
        common.t("threshold"),
        min_value=5,
        max_value=180,
        step=5,
        value=int(defaults[service]),
        key=f"planner_thr_{service}",
    )
    st.form_submit_button(common.t("run"), type="primary")

ctx = common.context()
thr = {service: float(threshold)} if threshold else None
who = common.audience()
raw = gated = pub = None

#: N of the gap flags (%): the capacity section's default, so both share one table.
N_DEFAULT = gaps.outside_limit()

#: The steps of the status, with their counts (ja, en).
_STEPS = {
    "times": (
        "到達時間: {done:,} / {total:,} 事業所地点を探索",
        "Travel times: {done:,} / {total:,} facility locations searched",
    ),
    "times_done": (
        "到達時間: 児 {children:,}人 × 事業所 {facilities:,}か所",
        "Travel times: {children:,} children x {facilities:,} facilities",
    ),
    "areas": ("圏域ごとの集計: {areas:,}圏域", "Per-area tables: {areas:,} areas"),
    "publish": (
        "秘匿処理: 2種類の圏域と内訳を一括で",
        "Suppression: both area kinds and breakdowns together",
    ),
}


def _step(key, **fmt):
    ja, en = _STEPS[key]
    return (en if lang == "en" else ja).format(**fmt)


def _area_gaps(status):
    """The page's gap table, with the travel-time search shown as it goes (counts)."""
    from analysis import coverage

    status.update(label=common.t("step_times"))
    bar = status.progress(0.0, text=common.t("step_times"))

    def progress(done, total):
        # the counts go in the label too: it shows even when the status is collapsed
        text = _step("times", done=done, total=total)
        status.update(label=text)
        bar.progress(done / total if total else 1.0, text=text)

    # the service's pass searches the travel matrix of its direction (once per process); the
    # gap table below finds it in the context's cache
    thr_s = coverage.thresholds_s([service], thr)[service]
    sp = coverage.service_pass(ctx, service, threshold_s=thr_s, progress=progress)
    done = _step("times_done", children=len(sp.children), facilities=len(sp.facilities))
    bar.progress(1.0, text=done)
    status.update(label=f"{common.t('step_publish')}: {done}")
    out = gaps.area_gaps(
        ctx,
        area_kind=kind,
        services=[service],
        thresholds=thr,
        max_outside_pct=N_DEFAULT,
        role="admin",
    )
    status.write(_step("areas", areas=len(out)))
    return out


if ctx is not None:
    # the same key as the capacity section's table with its default options (one computation)
    params = {"kind": kind, "service": service, "thresholds": thr, "max_outside_pct": N_DEFAULT}
    todo = not common.is_cached(ctx, "area_gaps", **params) or not common.publication_cached(
        ctx, "gaps", services=[service], thresholds=thr
    )
    # computed once per workspace and parameters (every session shares it): the status opens
    # with the steps and counts when there is something to compute
    with st.status(
        common.t("computing") if todo else common.t("done"),
        expanded=todo,
        state="running" if todo else "complete",
    ) as status:
        raw = common.cached(ctx, "area_gaps", lambda: _area_gaps(status), **params)
        raw = raw[raw["service"] == service] if "service" in raw.columns else raw
        if todo:
            status.update(label=_step("publish"))
            status.write(_step("publish"))
        pub = common.publication("gaps", ctx, services=[service], thresholds=thr)
        counts = [c for c in gaps.COUNT_COLUMNS if c in raw.columns]
        gated = common.for_role(raw, what=f"area gaps {service}", count_columns=counts, linked=pub)
        status.update(label=common.t("done"), state="complete", expanded=False)

#: What a planner sees per area: counts that the publication protects, and measures.
TABLE_COLUMNS = [
    "area_name", "children", "covered", "covered_confirmed", "uncovered", "unmet_care",
    "coverage_pct", "facilities", "capacity", "capacity_per_child", "e2sfca_mean",
    "share_elsewhere_pct", "severity",
]  # fmt: skip
left, right = st.columns([3, 2])
m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=kind)
shown = None
if gated is not None:
    hidden = gated.get("children_suppressed", pd.Series(False, index=gated.index)).fillna(False)
    shown = gated[
        [c for c in TABLE_COLUMNS if c in gated.columns]
        + [c for c in gated.columns if c.endswith(("_suppressed", "_small"))]
    ].copy()
    # shares computed from a hidden count would give it away: blank them with the count
    for c in ("coverage_pct", "capacity_per_child", "share_elsewhere_pct"):
        if c in shown.columns:
            shown[c] = shown[c].astype(float).round(1).where(~hidden.to_numpy(), np.nan)
    # severity first: it is never hidden, so the worst 圏域 always shows on the map
    choices = ["severity", "coverage_pct", "uncovered", "capacity_per_child", "e2sfca_mean"]
    choices = [c for c in choices if c in shown.columns]
    with right:
        value = st.selectbox(
            common.t("choropleth_value"),
            choices,
            format_func=lambda c: labels.column(c, lang),
            key="planner_value",
        )
        st.subheader(common.t("gap_table"))
        st.dataframe(
            labels.frame(gate.display(shown, lang=lang), lang),
            hide_index=True,
            width="stretch",
            height=260,
        )
        common.downloads(
            raw[
                [
                    "area_id",
                    "area_kind",
                    "service",
                    *[c for c in TABLE_COLUMNS if c in raw.columns],
                    "flags",
                    "reasons",
                ]
            ],
            f"area_gaps_{service}",
            key="dl_gaps",
            what=f"area gaps {service}",
            count_columns=[c for c in gaps.COUNT_COLUMNS if c in TABLE_COLUMNS],
            linked=pub,
            cache=(ctx, {"table": "gaps", **params}),  # the files of these parameters, built once
        )
    if value:
        vals = pd.to_numeric(shown[value], errors="coerce")
        vals.index = gated["area_id"].to_numpy()
        span = float(vals.max() - vals.min()) if vals.notna().any() else 0.0
        maps.add_choropleth(
            m,
            areas[areas["kind"] == kind],
            vals,
            title=labels.column(value, lang),
            lang=lang,
            fmt="{:.1f}" if span < 6 else "{:.0f}",  # small ranges keep a decimal
        )
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
maps.add_facilities(m, lay["facilities"], lang=lang, services=[service])
with left:
    common.show_map(maps.finish(m), key="planner_map", height=520, render=False)

# every flagged 圏域 with its reasons, from the gated table: the flags are never hidden (they
# are not counts), but the numbers inside a reason are, where the gate hides that 圏域's counts
flagged = None
if gated is not None:
    st.subheader(common.t("flags"))
    has = gated["flags"].fillna("").astype(str).str.len() > 0 if "flags" in gated else None
    if has is None or not has.any():
        st.info(common.t("flags_none"))
    else:
        flagged = gated[has.to_numpy()].sort_values("rank")
        flagged = flagged[["rank", "area_name", "severity", "flags", "reasons"]].copy()
        flagged["flags"] = [labels.flags_text(v, lang) for v in flagged["flags"]]
        flagged["reasons"] = [str(v).replace(" / ", "\n") for v in flagged["reasons"]]
        st.dataframe(
            labels.frame(flagged, lang),
            hide_index=True,
            width="stretch",
            column_config={
                labels.column("reasons", lang): st.column_config.TextColumn(width="large")
            },
        )
        common.downloads(
            labels.export_headers(flagged, lang),
            f"flags_{service}",
            key="dl_flags",
            what=f"flags {service}",
            cache=(ctx, {"table": "flags", **params}),
        )

# the age limits of the facilities: how much coverage the youngest (or any band) lose
if ctx is not None:
    st.subheader(common.t("age_loss_head"))
    band = st.selectbox(
        common.t("age_band"),
        [b[0] for b in gaps.AGE_BANDS],
        key="planner_loss_band",
    )
    lo, hi = next((b[1], b[2]) for b in gaps.AGE_BANDS if b[0] == band)
    with st.spinner(common.t("computing")):
        loss = common.cached(
            ctx, "planner_age_loss",
            lambda: gaps.age_filter_loss(
                ctx, service=service, age_min=lo, age_max=min(hi, 120), area_kind=kind,
                role="admin", threshold_min=threshold,
            ),
            service=service, band=band, kind=kind, threshold=threshold,
        )  # fmt: skip
    loss_counts = [c for c in ("children", "covered_all_ages", "covered", "loss") if c in loss]
    loss = loss.drop(columns=[c for c in loss.columns if c.endswith("_suppressed")])
    loss_g = common.for_role(loss, what=f"age loss {service} {band}", count_columns=loss_counts)
    # linked to the gaps publication: the loss columns are not its cells, so a 圏域's counts are
    # all hidden too wherever the publication hides that band's children or uncovered children
    # (never a count here that the gap table or the breakdowns hide)
    if pub is not None and kind in pub.kinds() and "area_id" in loss_g:
        pt = pub.table(kind)
        pt = pt[pt["service"] == service] if "service" in pt.columns else pt
        flags = [f"{c}:{band}_suppressed" for c in ("children_age", "uncovered_age")]
        flags = [f for f in flags if f in pt.columns]
        off = set(pt.loc[pt[flags].fillna(True).astype(bool).any(axis=1), "unit"].astype(str))
        row_off = loss_g["area_id"].astype(str).isin(off).to_numpy()
        for c in loss_counts:
            now = loss_g.get(c + "_suppressed", pd.Series(False, index=loss_g.index))
            now = now.fillna(False).to_numpy(bool)
            loss_g[c] = loss_g[c].where(~row_off, pd.NA)
            loss_g[c + "_suppressed"] = pd.array(now | row_off, dtype="boolean")
    loss_h = loss_g.get("children_suppressed", pd.Series(False, index=loss_g.index)).fillna(False)
    for c in ("coverage_pct", "coverage_all_ages_pct"):
        if c in loss_g:
            hide = loss_h.to_numpy(bool)
            loss_g[c] = loss_g[c].astype(float).round(1).where(~hide, np.nan)
            # rates of hidden counts are shown as 「秘匿」 by gate.display, not as an empty None
            loss_g[c + gate.FLAG_SUFFIX] = pd.array(hide, dtype="boolean")
            loss_g[c + gate.SMALL_SUFFIX] = pd.array(np.zeros(len(hide), bool), dtype="boolean")
    loss_view = gate.display(loss_g.drop(columns=["area_id"], errors="ignore"), lang=lang)
    st.dataframe(labels.frame(loss_view, lang), hide_index=True, width="stretch")

    # breakdowns by age band and care type, with 「計」 margins, suppressed as one publication
    st.subheader(common.t("breakdown"))
    tabs = st.tabs([common.t("by_age"), common.t("by_care")])
    for tab, by in zip(tabs, ("age", "care"), strict=True):
        with tab:
            parts = common.cached(
                ctx, "planner_breakdown",
                lambda by=by: gaps.breakdown(
                    ctx, by=by, service=service, area_kind=kind, role="admin", thresholds=thr
                ),
                by=by, service=service, kind=kind, thresholds=thr,
            )  # fmt: skip
            for part_name, bd in parts.items():
                b = publish.breakdown(
                    pub, bd, who, by=by, measure=part_name, kind=kind, service=service
                )
                view = gate.display(b, lang=lang)
                view.index = [
                    common.t("total") if i == "計" else area_names.get(i, i) for i in view.index
                ]
                view = view.rename(columns={"計": common.t("total")})
                if by == "care":
                    view = view.rename(columns=lambda c: labels.code_label("care", c, lang))
                st.caption(labels.column(part_name, lang))
                st.dataframe(view.rename_axis(labels.column("area_name", lang)), width="stretch")

if raw is not None and shown is not None:
    html = print_views.gap_report(
        gate.display(shown, lang=lang),
        flags=flagged,
        area_kind=kind,
        service=service,
        threshold=float(threshold or defaults[service]),
        region=region,
        lang=lang,
        sources=print_views.sources_table(lay, lang),
        age_loss=loss_view if ctx is not None else None,
    )
    st.download_button(
        common.t("download_print"),
        data=html.encode("utf-8"),
        file_name=f"gap_report_{service}.html",
        mime="text/html",
        key="dl_gap_print",
        on_click="ignore",
    )

gap_params.render(ctx, kind=kind, service=service, threshold=threshold)  # capacity, N%, ages

st.divider()
st.subheader(common.t("sites_head"))
sites = common.analysis_module("sites")
if sites is not None and hasattr(sites, "suggest"):
    with st.form("sites_form"):
        c1, c2, c3 = st.columns(3)
        s_service = c1.selectbox(
            common.t("service"),
            services,
            format_func=lambda s: labels.code_label("service", s, lang),
            key="sites_service",
        )
        k = c2.number_input(common.t("sites_k"), min_value=1, max_value=10, value=2, key="sites_k")
        excl = c3.selectbox(
            common.t("sites_exclude_hazard"),
            [None, 2, 3, 4],
            key="sites_excl",
            format_func=lambda v: "—" if v is None else labels.hazard_level_label("flood", v, lang),
        )
        run_sites = st.form_submit_button(common.t("sites_run"))
    if run_sites:
        ctx = ctx or common.context()
        with st.status(common.t("computing"), expanded=True) as status:
            status.write(common.t("step_candidates"))
            status.write(common.t("step_greedy", k=int(k)))
            st.session_state["sites_result"] = sites.suggest(
                ctx, service=s_service, k=int(k), exclude_hazard_level=excl
            )
            status.update(label=common.t("done"), state="complete", expanded=False)
    result = st.session_state.get("sites_result")
    if result is not None:
        m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
        maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=kinds[0])
        maps.add_facilities(m, lay["facilities"], lang=lang, services=[s_service])
        maps.add_candidates(m, result, lang=lang)
        st.caption(common.t("whatif_pick"))
        click = common.show_map(maps.finish(m), key="sites_map", height=460, click=True)
        # newly covered children are counts: through the gate (running sums left out)
        shown_sites = publish.sites(result, who)
        st.dataframe(
            labels.frame(gate.display(shown_sites, lang=lang), lang),
            hide_index=True,
            width="stretch",
        )
        common.downloads(shown_sites, f"site_suggestions_{s_service}", key="dl_sites")
        if click is not None and hasattr(sites, "what_if"):
            st.subheader(common.t("whatif_result"))
            import geopandas as gpd
            from shapely.geometry import Point

            new = gpd.GeoDataFrame(
                {"facility_id": ["whatif-1"], "name": ["仮想事業所"], "service": [s_service]},
                geometry=[Point(click[1], click[0])],
                crs="EPSG:4326",
            )
            with st.spinner(common.t("computing")):
                wi = sites.what_if(ctx, new, role=common.role())
            # covered before/after: hidden consistently with the gaps publication of the service
            wi_pub = common.publication("gaps", ctx, services=[s_service])
            wi_shown = publish.what_if(wi["summary"], wi_pub, who)
            st.dataframe(
                labels.frame(gate.display(wi_shown, lang=lang), lang),
                hide_index=True,
                width="stretch",
            )
