"""計画: gaps per 圏域 and service, choropleth, ranked flags, breakdowns, site suggestion."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import privacy
from geo import codes
from ui import common, labels, maps
from ui.sections import gap_params

lang = common.lang()
st.header(common.t("planner_head"))
lay = common.layers()
areas = lay["areas"]
kinds = list(dict.fromkeys(areas["kind"]))
services = labels.code_options("service")
defaults = codes.service_types()["threshold_min"]

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
        value=None,
        key="planner_thr",
        placeholder=f"{int(defaults[service])}",
    )
    st.form_submit_button(common.t("run"))

gaps = common.analysis_module("gaps")
ctx = common.context() if gaps is not None else None
table = None
if ctx is not None:
    thr = {service: float(threshold)} if threshold else None
    with st.spinner(common.t("computing")):
        table = gaps.area_gaps(
            ctx, area_kind=kind, services=[service], thresholds=thr, role=common.role()
        )
    if "service" in table.columns:
        table = table[table["service"] == service]

left, right = st.columns([3, 2])
m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=kind)
if table is not None:
    shown = privacy.display(table)
    preferred = ["coverage_pct", "uncovered", "severity", "capacity_per_child", "e2sfca_mean"]
    numeric = [c for c in preferred if c in table.columns] + [
        c
        for c in table.columns
        if pd.api.types.is_numeric_dtype(table[c])
        and c not in preferred
        and c not in ("area_id", "threshold_min", "rank")
        and not c.endswith("_suppressed")
    ]
    with right:
        value = st.selectbox(
            common.t("choropleth_value"),
            numeric,
            format_func=lambda c: labels.column(c, lang),
            key="planner_value",
        )
        st.subheader(common.t("gap_table"))
        common.table(shown)
        common.downloads(shown, f"area_gaps_{service}", key="dl_gaps")
    if value and "area_id" in table.columns:
        values = pd.to_numeric(table.set_index("area_id")[value], errors="coerce")
        maps.add_choropleth(
            m, areas[areas["kind"] == kind], values, title=labels.column(value, lang), lang=lang
        )
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
maps.add_facilities(m, lay["facilities"], lang=lang, services=[service])
with left:
    common.show_map(maps.finish(m), key="planner_map", height=520)

if table is not None:
    flag_cols = [c for c in ("reason", "reasons", "flag", "flags") if c in table.columns]
    if flag_cols:
        st.subheader(common.t("flags"))
        flagged = shown[table[flag_cols[0]].fillna("").astype(str).str.len() > 0]
        if "rank" in flagged.columns:
            flagged = flagged.sort_values("rank")
        common.table(flagged)
        common.downloads(flagged, f"flags_{service}", key="dl_flags")

    if hasattr(gaps, "breakdown"):
        st.subheader(common.t("breakdown"))
        tabs = st.tabs([common.t("by_age"), common.t("by_care")])
        for tab, by in zip(tabs, ("age", "care"), strict=True):
            with tab:
                parts = gaps.breakdown(
                    ctx, by=by, service=service, area_kind=kind, role=common.role(), thresholds=thr
                )
                for part_name, bd in parts.items():
                    st.caption(labels.column(part_name, lang))
                    bd_shown = privacy.display(bd).reset_index()
                    st.dataframe(bd_shown, hide_index=True)
                    common.downloads(
                        bd_shown, f"breakdown_{by}_{part_name}", key=f"dl_{by}_{part_name}"
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
        progress = st.progress(0, text=common.t("computing"))
        st.session_state["sites_result"] = sites.suggest(
            ctx, service=s_service, k=int(k), exclude_hazard_level=excl
        )
        progress.progress(100, text=common.t("computing"))
    result = st.session_state.get("sites_result")
    if result is not None:
        m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
        maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=kinds[0])
        maps.add_facilities(m, lay["facilities"], lang=lang, services=[s_service])
        maps.add_candidates(m, result, lang=lang)
        st.caption(common.t("whatif_pick"))
        click = common.show_map(maps.finish(m), key="sites_map", height=460, click=True)
        common.table(result)
        common.downloads(result, f"site_suggestions_{s_service}", key="dl_sites")
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
            common.table(wi["summary"])
