"""防災: hazard zones, children at risk (power, triage), shelters, flooded minutes, call list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import privacy
from ui import common, labels, maps

lang = common.lang()
st.header(common.t("disaster_head"))
lay = common.layers()
areas = lay["areas"]
hazards = lay.get("hazards")
types = list(dict.fromkeys(hazards["hazard_type"])) if hazards is not None and len(hazards) else []

with st.form("disaster_form"):
    c1, c2 = st.columns(2)
    htype = c1.selectbox(
        common.t("hazard_type"),
        [None, *types],
        key="dis_type",
        format_func=lambda v: (
            common.t("all_types") if v is None else labels.code_label("hazard", v, lang)
        ),
    )
    levels = sorted({int(v) for v in hazards["level"]}) if types else [1]
    level = c2.select_slider(
        common.t("hazard_level"),
        options=levels,
        value=levels[min(1, len(levels) - 1)],
        key="dis_level",
    )
    st.form_submit_button(common.t("run"))

evacuation = common.analysis_module("evacuation")
ctx = common.context() if evacuation is not None else None
m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=areas["kind"].iloc[0])
maps.add_hazards(
    m, hazards, lang=lang, hazard_types=None if htype is None else [htype], min_level=level
)
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
result = None
if ctx is not None:
    with st.spinner(common.t("computing")):
        result = evacuation.evacuation(ctx, hazard_level=level, hazard_type=htype)
    # the children to call: those in a zone, and those whose roads flood shut
    keep = result["exposed"].fillna(False).astype(bool) | result["isolated"].fillna(False).astype(
        bool
    )
    result = result[keep.to_numpy()]
if result is not None:
    # Figures come from what this role may see: its own scope for individual roles, suppressed
    # counts (「<10」) for the others. The library gate decides, not this page.
    individual = maps.can_see_children(common.role())
    base = common.for_role(result, what="evacuation list") if individual else result
    figures = pd.DataFrame(
        {
            "in_zone": [int(base["exposed"].fillna(False).astype(bool).sum())],
            "power_dep": [int(base["power_dependent"].fillna(False).astype(bool).sum())],
            "isolated_n": [int(base["isolated"].fillna(False).astype(bool).sum())],
        }
    )
    if not individual:
        figures = privacy.display(
            common.for_role(figures, what="evacuation figures", count_columns=list(figures))
        )
    for col, key in zip(st.columns(3), figures.columns, strict=True):
        col.metric(common.t(key), figures[key].iloc[0])
    shelter_col = next((c for c in ("shelter_id", "best_shelter_id") if c in result.columns), None)
    if individual:
        shown = base
        isolated = (
            shown.loc[shown["isolated"].astype(bool), "child_id"] if "isolated" in shown else []
        )
        maps.add_children(
            m,
            lay["children"][lay["children"]["child_id"].isin(shown["child_id"])],
            role=common.role(),
            lang=lang,
            highlight=list(isolated),
        )
    else:
        shown = None
        maps.add_children(
            m,
            lay["children"][lay["children"]["child_id"].isin(result["child_id"])],
            role=common.role(),
            areas=areas,
            area_kind=areas["kind"].iloc[0],
            lang=lang,
        )
    highlight = result[shelter_col].dropna().unique().tolist() if shelter_col else None
    maps.add_shelters(m, lay.get("shelters"), lang=lang, highlight=highlight)
else:
    maps.add_shelters(m, lay.get("shelters"), lang=lang)
    shown = None
common.show_map(maps.finish(m), key="disaster_map", height=540)

if shown is not None:
    st.subheader(common.t("call_list"))
    if "triage_rank" in shown.columns:
        shown = shown.sort_values("triage_rank")
    common.table(shown)
    common.downloads(shown, "call_list", key="dl_calls")
    if {"minutes_normal", "minutes_hazard"} <= set(shown.columns):
        import altair as alt

        st.altair_chart(
            alt.Chart(shown.drop(columns="geometry", errors="ignore"))
            .mark_circle(size=60)
            .encode(
                x=alt.X("minutes_normal:Q", title=common.t("minutes_normal")),
                y=alt.Y("minutes_hazard:Q", title=common.t("minutes_flooded")),
                color=alt.Color("isolated:N", title=common.t("isolated")),
                tooltip=["child_id", "minutes_normal", "minutes_hazard"],
            ),
            width="stretch",
        )
elif result is not None:
    st.info(common.t("layer_children_agg"))
