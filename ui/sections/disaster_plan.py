"""Disaster page sections: depth/duration filters, the two cut-off kinds, a child's route and
plan sheet, power, and the ward report.

:func:`render` is called with one line from ui/pages/disaster.py after the call list. Child-level
parts (the filtered list, routes, plan sheets, power per child) are shown only to roles that may
see individuals, through the gate of ui/common.py (scoped, audited); the ward report passes
through the gate as counts (small counts hidden for planners).
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from analysis import evacuation, plan_sheet, power, routes, ward_report
from ui import common, maps

_T = {
    "head": (
        "個別避難の確認（浸水深・孤立・経路・電源）",
        "Individual checks (depth, cut off, routes, power)",
    ),  # fmt: skip
    "filters": ("浸水深・浸水継続時間で絞り込み", "Filter by depth and duration"),
    "depth": ("浸水深（区分の下限）がこの値以上 (m)", "Depth band starts at or above (m)"),
    "duration": ("浸水継続時間がこの値以上 (時間)", "Flooded at least (hours)"),
    "kept": ("該当する子ども: {n}人", "Children kept: {n}"),
    "in_zone": ("浸水区域内（浸水前に避難）", "In the zone (leave before the water)"),
    "roads_cut": ("区域外だが道路寸断で孤立", "Outside the zone, cut off by flooded roads"),
    "child": ("子ども（管理番号）", "Child (id)"),
    "route": ("避難経路", "Evacuation route"),
    "sheet": ("個別避難計画シート（A4, HTML）をダウンロード", "Download plan sheet (A4 HTML)"),
    "batch": ("市区町村の一覧を一括作成", "Sheets for a whole municipality"),
    "muni": ("市区町村", "Municipality"),
    "make": ("作成", "Build"),
    "routes_dl": ("経路（GeoPackage）", "Routes (GeoPackage)"),
    "power": (
        "電源の確保（停電長期化区域・最寄りの電源）",
        "Power (slow restoration, nearest power)",
    ),
    "ward": ("区別の集計（政令市）", "Ward report (designated city)"),
    "city": ("政令市", "Designated city"),
    "all_units": ("全市区町村", "Every municipality"),
    "no_individual": (
        "個人単位の情報は防災・コーディネーター権限でのみ表示されます。",
        "Child-level information is shown to disaster officers and coordinators only.",
    ),
}

_SHOW = [
    "triage_rank",
    "child_id",
    "municipality_code",
    "care_ja",
    "hazard_type",
    "hazard_level",
    "depth_min_m",
    "depth_max_m",
    "duration_h",
    "cut_off_ja",
    "leave_minutes",
    "shelter_id",
    "shelter_name",
    "minutes_normal",
    "minutes_hazard",
    "hazard_reason",
    "primary_shelter_id",
    "primary_minutes",
    "powered_shelter_id",
    "powered_minutes",
    "welfare_shelter_id",
    "welfare_minutes",
    "welfare_is_school",
    "only_unpowered_nearby",
    "no_suitable_within",
    "powered_beats_welfare",
]


#: Headers of the columns this section adds (ja, en); the others come from ui/labels.py.
_HEADERS = {
    "depth_min_m": ("浸水深 下限(m)", "Depth from (m)"),
    "depth_max_m": ("浸水深 上限(m)", "Depth to (m)"),
    "duration_h": ("浸水継続(時間以上)", "Flooded (h, at least)"),
    "cut_off_ja": ("孤立の種類", "Cut off"),
    "leave_minutes": ("早期避難の所要分", "Lead time (min)"),
    "minutes_hazard": ("浸水時の所要分", "Minutes when flooded"),
    "hazard_reason": ("浸水時に到達できない理由", "Why not reachable when flooded"),
    "primary_shelter_id": ("一次避難所", "Primary shelter"),
    "primary_minutes": ("一次避難所まで(分)", "To primary (min)"),
    "powered_shelter_id": ("電源あり避難所", "Powered shelter"),
    "powered_minutes": ("電源あり避難所まで(分)", "To powered (min)"),
    "welfare_shelter_id": ("福祉避難所等", "Welfare shelter"),
    "welfare_minutes": ("福祉避難所等まで(分)", "To welfare (min)"),
    "welfare_is_school": ("特別支援学校", "Special-needs school"),
    "only_unpowered_nearby": ("近くは電源なしのみ", "Only unpowered nearby"),
    "no_suitable_within": ("近くに適した避難所なし", "No suitable shelter near"),
    "powered_beats_welfare": ("電源あり避難所が福祉避難所より近い", "Powered nearer than welfare"),
    "power_source_name": ("最寄りの電源", "Nearest power"),
    "power_minutes": ("電源まで(分)", "To power (min)"),
    "power_minutes_hazard": ("浸水時 電源まで(分)", "To power when flooded (min)"),
    "power_restoration_level": ("停電長期化レベル", "Slow restoration level"),
    "power_dependent_exposed": ("電源依存・区域内", "Power-dependent in a zone"),
    "no_plan_exposed": ("計画なし・区域内", "No plan, in a zone"),
    "in_zone": ("区域内（浸水前に避難）", "In zone (leave early)"),
    "roads_cut": ("区域外・道路寸断", "Roads cut"),
}


def _labelled(frame):
    """Rename the added columns for display (keys the gate needs stay as they are)."""
    i = 0 if common.lang() == "ja" else 1
    return frame.rename(columns={k: v[i] for k, v in _HEADERS.items() if k in frame.columns})


def _t(key, **fmt):
    ja, en = _T[key]
    return (ja if common.lang() == "ja" else en).format(**fmt)


@st.cache_data(show_spinner=False, max_entries=8)
def _evac_cached(_ctx, path, stamp, level, htype):
    return evacuation.evacuation(_ctx, hazard_level=level, hazard_type=htype)


def _evac(ctx, level, htype):
    path = common.workspace_path()
    stamp = path.stat().st_mtime if path.exists() else 0.0
    return _evac_cached(ctx, str(path), stamp, level, htype)


def _route_map(ctx, row, layers, *, level, htype):
    r = routes.routes(ctx, row, hazard_level=level, hazard_type=htype).iloc[0]
    if r.geometry is None:
        st.warning(r["reason"])
        return r
    x0, y0, x1, y1 = r.geometry.bounds
    m = maps.base_map(bounds=[x0, y0, x1, y1], basemap=common.basemap(), height=420)
    maps.add_hazards(
        m,
        layers.get("hazards"),
        lang=common.lang(),
        hazard_types=None if htype is None else [htype],
        min_level=level,
    )
    colour = "#2ca02c" if r["network"] == "hazard" else "#d62728"
    folium.PolyLine(
        [(y, x) for x, y in r.geometry.coords],
        color=colour,
        weight=5,
        dash_array=None if r["network"] == "hazard" else "8,6",
        tooltip=r["reason"],
    ).add_to(m)
    home = r.geometry.coords[0]
    end = r.geometry.coords[-1]
    # circle markers only: no marker images or icon fonts from a CDN (the app works offline)
    folium.CircleMarker(
        (home[1], home[0]), radius=8, color="#000", weight=2, fill=True,
        fill_color="#ff7f0e", fill_opacity=1.0, tooltip="自宅",
    ).add_to(m)  # fmt: skip
    folium.CircleMarker(
        (end[1], end[0]), radius=8, color="#000", weight=2, fill=True,
        fill_color="#1f77b4", fill_opacity=1.0, tooltip=str(r["shelter_name"]),
    ).add_to(m)  # fmt: skip
    common.show_map(maps.finish(m), key=f"h7_route_{r['child_id']}", height=420)
    st.caption(f"{r['reason']}（{r['minutes']:.0f}分）" if pd.notna(r["minutes"]) else r["reason"])
    return r


def render(ctx, *, level, htype):
    """The disaster officer's sections under the call list (see the module docstring)."""
    if ctx is None:
        return
    import gate
    from gate import AccessDenied

    st.subheader(_t("head"))
    ev = _evac(ctx, level, htype)
    layers = common.layers()
    individual = gate.is_individual(ev) and common.audience().may_see_individuals
    c1, c2 = st.columns(2)
    common.show_metric(
        c1, _t("in_zone"), int((ev["cut_off"] == "in_zone").sum()), what="cut off in zone"
    )
    common.show_metric(
        c2, _t("roads_cut"), int((ev["cut_off"] == "roads_cut").sum()), what="cut off by roads"
    )
    with st.expander(_t("filters"), expanded=True):
        f1, f2 = st.columns(2)
        depth = f1.number_input(_t("depth"), min_value=0.0, value=0.0, step=0.5, key="h7_depth")
        dur = f2.number_input(_t("duration"), min_value=0.0, value=0.0, step=12.0, key="h7_dur")
        kept = evacuation.filter_rows(
            ev[ev["exposed"] | ev["isolated"]],
            depth_min=depth if depth > 0 else None,
            duration_min=dur if dur > 0 else None,
        )
        st.write(_t("kept", n=len(kept)) if individual else "")
        if individual:
            shown = common.show_table(
                _labelled(kept[[c for c in _SHOW if c in kept]]), what="evacuation filtered"
            )
            if shown is not None and len(shown):
                common.downloads(shown, "evacuation_filtered", key="h7_dl_filtered")
        else:
            st.info(_t("no_individual"))
    if individual:
        try:
            mine = gate.table(ev, common.audience(), what="evacuation list", workspace=None)
        except AccessDenied as exc:
            st.error(str(exc))
            mine = ev.iloc[0:0]
        pool = mine[mine["exposed"] | mine["isolated"] | mine["high_need"]]
        ids = pool.sort_values("triage_rank")["child_id"].tolist()
        if ids:
            cid = st.selectbox(_t("child"), ids, key="h7_child")
            row = mine[mine["child_id"] == cid]
            st.markdown(f"**{_t('route')}**")
            _route_map(ctx, row, layers, level=level, htype=htype)
            if st.button(_t("sheet"), key="h7_sheet_make"):
                common.for_role(row[["child_id", "municipality_code"]], what="個別避難計画シート",
                                action="export")  # fmt: skip
                html = plan_sheet.sheets_html(ctx, [cid], hazard_level=level, hazard_type=htype)
                st.download_button(
                    _t("sheet"),
                    data=html.encode("utf-8"),
                    file_name=f"plan_{cid}.html",
                    mime="text/html",
                    key="h7_sheet_dl",
                )
        with st.expander(_t("batch")):
            codes_ = sorted(set(mine["municipality_code"].dropna()))
            names = dict(zip(ctx.municipalities["code"], ctx.municipalities["name"], strict=True))
            code = st.selectbox(
                _t("muni"), codes_, format_func=lambda c: f"{names.get(c, c)} ({c})", key="h7_m"
            )
            if code and st.button(_t("make"), key="h7_batch"):
                sel = mine[mine["municipality_code"] == code]
                common.for_role(sel[["child_id", "municipality_code"]], what="個別避難計画シート",
                                action="export")  # fmt: skip
                ids_m = sorted(sel["child_id"])
                html = plan_sheet.sheets_html(ctx, ids_m, hazard_level=level, hazard_type=htype)
                st.download_button(
                    _t("sheet"),
                    data=html.encode("utf-8"),
                    file_name=f"plans_{code}.html",
                    mime="text/html",
                    key="h7_batch_dl",
                )
                r = routes.routes(ctx, sel, hazard_level=level, hazard_type=htype)
                r = r.merge(sel[["child_id", "municipality_code"]], on="child_id")
                common.downloads(r, f"routes_{code}", key="h7_routes", what="evacuation routes")
        with st.expander(_t("power")):
            slow = power.slow_restoration_list(ctx, hazard_level=level, hazard_type=htype)
            slow.insert(1, "municipality_code", ctx.municipality_of("children")[slow.index])
            if len(slow):
                common.show_table(_labelled(slow), what="slow restoration list")
            near = power.nearest_power(ctx, hazard_level=level, hazard_type=htype)
            near = near[near["power_dependent"]]
            near.insert(1, "municipality_code", ctx.municipality_of("children")[near.index])
            shown = common.show_table(_labelled(near), what="power sources")
            if shown is not None and len(shown):
                common.downloads(shown, "power_sources", key="h7_power")
    with st.expander(_t("ward")):
        munis = ctx.municipalities
        cities = sorted(
            {
                n.split("市")[0] + "市"
                for n in munis["name"].astype(str)
                if n.endswith("区") and "市" in n
            }
        )
        city = st.selectbox(
            _t("city"), [None, *cities], format_func=lambda c: c or _t("all_units"), key="h7_city"
        )
        table = ward_report.ward_report(ctx, city=city, evac=ev)
        counts = [
            c for c in table.columns if c not in ("code", "name") and not c.endswith("_mapped")
        ]
        table = table.rename(columns={"code": "municipality_code"})
        named = _labelled(table)
        named_counts = [named.columns[list(table.columns).index(c)] for c in counts]
        shown = common.show_table(named, what="ward report", count_columns=named_counts)
        if shown is not None:
            common.downloads(table, "ward_report", key="h7_ward", count_columns=counts)
