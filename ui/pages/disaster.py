"""防災: one disaster at a time: children at risk (power, isolation), shelters, calls, report."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import gate
from analysis import evacuation, nearby
from geo import workspace
from ui import common, labels, maps, print_views
from ui.sections import disaster_plan

lang = common.lang()
st.header(common.t("disaster_head"))
lay = common.layers()
areas = lay["areas"]
munis = lay["municipalities"]
muni_names = dict(zip(munis["code"], munis["name"], strict=True))
hazards = lay.get("hazards")
present_types = set(hazards["hazard_type"]) if hazards is not None and len(hazards) else set()
region = workspace.metadata(common.workspace_path()).get("region")
individual = maps.can_see_children(common.role())

#: The disasters the officer plans for: (label id, hazard type of the zones, triage rows).
DISASTERS = {
    "flood": ("dis_flood", "flood", "flood"),
    "landslide": ("dis_landslide", "landslide", "landslide"),
    "tsunami": ("dis_tsunami", "tsunami", "tsunami"),
    "quake_power": ("dis_quake_power", None, "earthquake_power_outage"),
    "quake_power_water": ("dis_quake_power_water", None, "earthquake_power_water_outage"),
}
choices = [k for k, v in DISASTERS.items() if v[1] is None or v[1] in present_types]

with st.form("disaster_form"):
    c1, c2 = st.columns(2)
    which = c1.selectbox(
        common.t("disaster_type"),
        choices,
        format_func=lambda k: common.t(DISASTERS[k][0]),
        key="dis_which",
    )
    htype = DISASTERS[which][1]
    level_type = htype or "flood"
    levels = (
        sorted({int(v) for v in hazards.loc[hazards["hazard_type"] == level_type, "level"]})
        if hazards is not None and len(hazards)
        else [evacuation.DEFAULT_HAZARD_LEVEL]
    ) or [evacuation.DEFAULT_HAZARD_LEVEL]
    default = evacuation.DEFAULT_HAZARD_LEVEL
    level = c2.select_slider(
        common.t("hazard_level"),
        options=levels,
        value=default if default in levels else levels[0],
        format_func=lambda v: f"{v}: {labels.hazard_level_label(level_type, v, lang)}",
        key="dis_level",
    )
    st.form_submit_button(common.t("run"), type="primary")
st.caption(common.t("level_meaning", text=labels.hazard_level_label(level_type, level, lang)))


@st.cache_data(show_spinner=False, max_entries=8)
def _evacuation(_ctx, path, stamp, htype, disaster, level):
    return evacuation.evacuation(_ctx, hazard_level=level, hazard_type=htype, disaster=disaster)


ctx = common.context()
result = None
if ctx is not None:
    path = common.workspace_path()
    with st.spinner(common.t("computing")):
        result = _evacuation(
            ctx, str(path), path.stat().st_mtime, htype, DISASTERS[which][2], level
        )
    exposed = result["exposed"].fillna(False).astype(bool)
    isolated = result["isolated"].fillna(False).astype(bool)
    power = result["power_dependent"].fillna(False).astype(bool)
    # who to call: in a zone or cut off; after an earthquake every child, power-dependent first
    keep = (exposed | isolated) if htype is not None else pd.Series(True, index=result.index)
    result = result[keep.to_numpy()]

m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, munis, areas, lang=lang, area_kind=areas["kind"].iloc[0])
maps.add_hazards(m, hazards, lang=lang, hazard_types=[htype] if htype else [], min_level=level)
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
calls = None
if result is not None:
    raw = {
        "in_zone": int(result["exposed"].fillna(False).astype(bool).sum()),
        "power_dep": int(result["power_dependent"].fillna(False).astype(bool).sum()),
        "leave_early_n": int((result["cut_off"] == "in_zone").sum()),
        "isolated_n": int((result["cut_off"] == "roads_cut").sum()),
        "no_plan": int((~result["has_evac_plan"].fillna(False).astype(bool)).sum()),
    }
    if individual:
        # the officer's own scope, as they see it (the view of the call list is audited once)
        # audited once per list shown (not on every rerun of the same list)
        view_key = (which, int(level), common.audience().name)
        first_view = st.session_state.get("dis_audited") != view_key
        calls = gate.table(
            result,
            common.audience(),
            what=f"evacuation call list ({which}, level {level})",
            workspace=common.workspace_path() if first_view else None,
        )
        st.session_state["dis_audited"] = view_key
        # the call order of this list: 1..n (the triage rank over every child leaves gaps
        # once the children outside the zone are left out)
        calls = calls.sort_values("triage_rank", kind="stable")
        calls["triage_rank"] = np.arange(1, len(calls) + 1)
        raw = {
            "in_zone": int(calls["exposed"].fillna(False).astype(bool).sum()),
            "power_dep": int(calls["power_dependent"].fillna(False).astype(bool).sum()),
            "leave_early_n": int((calls["cut_off"] == "in_zone").sum()),
            "isolated_n": int((calls["cut_off"] == "roads_cut").sum()),
            "no_plan": int((~calls["has_evac_plan"].fillna(False).astype(bool)).sum()),
        }
    for col, (key, value) in zip(st.columns(len(raw)), raw.items(), strict=True):
        common.show_metric(col, common.t(key), value, what=f"evacuation figure {key}")
    if individual:
        hot = calls.loc[calls["isolated"].fillna(False).astype(bool), "child_id"].tolist()
        if len(calls):
            maps.fit_to(m, calls.geometry.y.tolist(), calls.geometry.x.tolist())
        maps.add_children(
            m,
            lay["children"][lay["children"]["child_id"].isin(calls["child_id"])],
            role=common.role(),
            lang=lang,
            highlight=hot,
        )
        m.add_child(
            maps.Legend(
                common.t("legend_children"),
                [
                    ("#d32f2f", common.t("legend_power")),
                    ("#1976d2", common.t("legend_other")),
                    ("#ffffff;outline:3px solid #b71c1c", common.t("legend_isolated")),
                ],
                position="topright",
            )
        )
    else:
        maps.add_children(
            m,
            lay["children"][lay["children"]["child_id"].isin(result["child_id"])],
            role=common.role(),
            areas=areas,
            area_kind=areas["kind"].iloc[0],
            lang=lang,
        )
    best = result["shelter_id"].dropna().unique().tolist() if "shelter_id" in result else None
    shelters = lay.get("shelters")
    if shelters is not None and best:  # the shelters the call list sends children to
        shelters = shelters[shelters["shelter_id"].isin(best)]
    maps.add_shelters(m, shelters, lang=lang)
else:
    maps.add_shelters(m, lay.get("shelters"), lang=lang)
common.show_map(maps.finish(m), key="disaster_map", height=540)

EVAC_SHEET_COLUMNS = [
    "triage_rank", "hazard_type", "hazard_label", "cut_off_ja", "isolated", "shelter_name",
    "shelter_kind", "shelter_has_power", "minutes_normal", "minutes_hazard", "welfare_name",
    "welfare_minutes", "powered_name", "powered_minutes", "reason",
]  # fmt: skip


def _audit_sheet(child_id):
    """on_click of a child's sheet: the export of one child's data is audited."""
    gate.table(
        lay["children"][lay["children"]["child_id"] == child_id],
        common.audience(),
        what=f"child sheet {child_id}",
        workspace=common.workspace_path(),
        action="export",
    )


CALL_COLUMNS = [
    "triage_rank", "child_id", "municipality_code", "age", "care", "mobility", "power_dependent",
    "has_evac_plan", "hazard_type", "hazard_label", "depth_min_m", "depth_max_m", "cut_off_ja",
    "isolated", "shelter_name", "shelter_kind", "shelter_has_power", "minutes_normal",
    "minutes_hazard", "hazard_reason", "reason",
]  # fmt: skip

if calls is not None:
    st.subheader(common.t("call_list"))
    st.caption(common.t("isolated_note"))
    shown = calls.sort_values("triage_rank")
    cols = [c for c in CALL_COLUMNS if c in shown.columns]
    table = shown[cols].copy()
    for c in ("minutes_normal", "minutes_hazard"):
        if c in table:
            table[c] = table[c].round(1)
    if "cut_off_ja" in table and "cut_off" in shown and lang != "ja":  # the kind, in English
        table["cut_off_ja"] = [
            evacuation.CUT_OFF.get(c or "", ("", ""))[1] for c in shown["cut_off"].fillna("")
        ]
    view = labels.frame(table.drop(columns=["municipality_code"]), lang)
    view.insert(
        3, common.t("n_municipalities"), [muni_names.get(c, c) for c in table["municipality_code"]]
    )
    st.dataframe(view, hide_index=True, width="stretch", height=380)
    # the download keeps child_id and municipality_code (the gate reads them: scope, audit)
    dl = shown[[*cols, "geometry"]].copy()
    dl.insert(3, "municipality", [muni_names.get(c, c) for c in dl["municipality_code"]])
    dl["care"] = [labels.codes_text(v, "care", lang) for v in dl["care"]]
    common.downloads(
        labels.export_headers(dl, lang, values=True),
        f"call_list_{which}",
        key="dl_calls",
        what=f"call list ({which})",
    )
    html = print_views.call_list(
        table,
        disaster=common.t(DISASTERS[which][0]),
        region=region,
        lang=lang,
        municipalities=muni_names,
        sources=print_views.sources_table(lay, lang),
        note=common.t("level_meaning", text=labels.hazard_level_label(level_type, level, lang)),
    )
    st.download_button(
        common.t("download_print"),
        data=html.encode("utf-8"),
        file_name=f"call_list_{which}.html",
        mime="text/html",
        key="dl_calls_print",
        on_click="ignore",
    )

    # minutes to the shelter, normal vs. this disaster: unreachable plotted on the top line
    if {"minutes_normal", "minutes_hazard"} <= set(shown.columns) and len(shown):
        st.subheader(common.t("chart_children"))
        chart = pd.DataFrame(
            {
                "child_id": shown["child_id"].to_numpy(),
                "normal": shown["minutes_normal"].astype(float).round(1).to_numpy(),
                "hazard": shown["minutes_hazard"].astype(float).round(1).to_numpy(),
            }
        )
        status = np.where(
            shown["isolated"].fillna(False).astype(bool),
            common.t("isolated"),
            np.where(
                shown["power_dependent"].fillna(False).astype(bool),
                common.t("legend_power"),
                common.t("legend_other"),
            ),
        )
        chart["status"] = status
        top = float(np.nanmax([chart["normal"].max(), chart["hazard"].max(), 10.0])) * 1.1
        chart["y"] = chart["hazard"].fillna(top)
        chart["hazard_text"] = [
            common.t("unreachable") if pd.isna(v) else f"{v:.1f}" for v in chart["hazard"]
        ]
        st.altair_chart(
            alt.Chart(chart.dropna(subset=["normal"]))
            .mark_circle(size=70, opacity=0.8)
            .encode(
                x=alt.X("normal:Q", title=common.t("minutes_normal")),
                y=alt.Y(
                    "y:Q",
                    title=common.t("minutes_flooded") + f"（{common.t('unreachable')}: {top:.0f}）",
                ),
                color=alt.Color(
                    "status:N",
                    title=common.t("legend_children"),
                    scale=alt.Scale(
                        domain=[
                            common.t("isolated"),
                            common.t("legend_power"),
                            common.t("legend_other"),
                        ],
                        range=["#b71c1c", "#ef6c00", "#1976d2"],
                    ),
                ),
                tooltip=[
                    alt.Tooltip("child_id:N", title=labels.column("child_id", lang)),
                    alt.Tooltip("normal:Q", title=common.t("minutes_normal")),
                    alt.Tooltip("hazard_text:N", title=common.t("minutes_flooded")),
                    alt.Tooltip("status:N", title=common.t("legend_children")),
                ],
            ),
            width="stretch",
        )

    no_plan = calls[~calls["has_evac_plan"].fillna(False).astype(bool)].sort_values("triage_rank")
    with st.expander(f"{common.t('no_plan_list')}（{len(no_plan)}）"):
        npl = no_plan[[c for c in ("triage_rank", "child_id", "municipality_code", "age", "care",
                                   "mobility", "power_dependent", "hazard_type", "hazard_label")
                       if c in no_plan.columns]]  # fmt: skip
        st.dataframe(
            labels.frame(npl, lang, municipalities=muni_names), hide_index=True, width="stretch"
        )
        common.downloads(
            labels.export_headers(no_plan[[*npl.columns, "geometry"]], lang, values=True),
            f"no_plan_{which}",
            key="dl_noplan",
            what="no-plan list",
        )
    # one child's access and evacuation sheet (A4), for the officer's own children
    st.subheader(common.t("child_sheet_head"))
    kid_id = st.selectbox(
        common.t("child_sheet_pick"),
        shown["child_id"].tolist(),
        index=None,
        key="dis_sheet_child",
        placeholder=common.t("child_sheet_pick"),
        format_func=lambda c: (
            f"{c} — "
            + labels.codes_text(shown.loc[shown["child_id"] == c, "care"].iloc[0], "care", lang)
        ),
    )
    if kid_id is not None:
        sheets = st.session_state.setdefault("dis_sheets", {})
        if (kid_id, which, level) not in sheets:
            with st.spinner(common.t("step_times")):
                access = nearby.nearby(ctx, child_id=kid_id)
            evac_cols = [c for c in EVAC_SHEET_COLUMNS if c in shown.columns]
            sheets[(kid_id, which, level)] = print_views.child_sheet(
                lay["children"][lay["children"]["child_id"] == kid_id],
                access=access,
                evacuation=shown.loc[shown["child_id"] == kid_id, evac_cols],
                region=region,
                lang=lang,
                municipalities=muni_names,
                sources=print_views.sources_table(lay, lang),
            )
        st.download_button(
            common.t("download_print"),
            data=sheets[(kid_id, which, level)].encode("utf-8"),
            file_name=f"child_sheet_{kid_id}.html",
            mime="text/html",
            key="dl_child_sheet",
            on_click=_audit_sheet,
            args=(kid_id,),
        )
elif result is not None:
    st.info(common.t("layer_children_agg"))

# ward / municipality report: children per hazard type and without a plan (aggregates)
if ctx is not None:
    st.subheader(common.t("ward_report"))
    with st.spinner(common.t("computing")):
        summary = evacuation.hazard_summary(ctx, by="municipality", role="admin")
    types = [t for t in summary.columns if f"{t}_mapped" in summary.columns]
    counts = ["children", *types, "no_plan", "no_plan_exposed"]
    raw = summary[["unit", "name", *counts]].rename(columns={"unit": "municipality_code"})
    # suppressed jointly with the same counts per area of both kinds (one publication)
    hz_pub = common.publication("hazards", ctx)
    per_muni = {"linked": hz_pub, "kind": "municipality", "unit": "municipality_code"}
    shown_sum = common.for_role(
        raw, what="hazard summary per municipality", count_columns=counts, **per_muni
    )
    text = gate.display(shown_sum, lang=lang)
    for t_ in types:  # a hazard type with no map over a unit: 「地図なし」, not 0
        mapped = summary.set_index("unit")[f"{t_}_mapped"]
        text[t_] = [
            v if mapped.get(u, True) else ("地図なし" if lang == "ja" else "no map")
            for u, v in zip(text["municipality_code"], text[t_], strict=True)
        ]
    text = text.drop(columns=["municipality_code"]).rename(
        columns={t_: labels.code_label("hazard", t_, lang) for t_ in types}
        | {
            "name": labels.column("municipality", lang),
            "no_plan_exposed": ("うち区域内" if lang == "ja" else "of which in a zone"),
        }
    )
    st.dataframe(labels.columns(text, lang), hide_index=True, width="stretch")
    common.downloads(
        raw,
        "hazard_summary",
        key="dl_summary",
        what="hazard summary",
        count_columns=counts,
        **per_muni,
    )

disaster_plan.render(ctx, level=level, htype=htype)  # depth, cut-off kinds, routes, plans
