"""コーディネーター: from an address, a child or a map click to every service in reach."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from shapely.geometry import Point

import gate
from analysis import directory, nearby
from geo import codes, geocode, reach, workspace
from geo.errors import IkemapError
from ui import auth, common, labels, maps, print_views
from ui.sections import directory as directory_section

lang = common.lang()
st.header(common.t("coord_head"))
lay = common.layers()
areas = lay["areas"]
munis = lay["municipalities"]
muni_names = dict(zip(munis["code"], munis["name"], strict=True))
fac_all = lay["facilities"]
services = [s for s in labels.code_options("service") if s in set(fac_all["service"])]
care_codes = labels.code_options("care")
center = areas.union_all().representative_point()
individual = maps.can_see_children(common.role())
region = workspace.metadata(common.workspace_path()).get("region")


def _child_option(row) -> str:
    care = labels.codes_text(row["care"], "care", lang)
    age = labels.t("age_years", lang, n=int(row["age"]))
    return f"{row['child_id']} — {age}・{care}・{muni_names.get(row['municipality_code'], '—')}"


# the children of this session's scope (no audit until one is actually looked up)
kids = auth.scope_filter(lay["children"], common.session()) if individual else None
child_labels = (
    {r["child_id"]: _child_option(r) for _, r in kids.sort_values("child_id").iterrows()}
    if kids is not None
    else {}
)
modes = ["address", "child", "latlon", "click"] if individual else ["address", "latlon", "click"]
mode_keys = {
    "latlon": "by_latlon",
    "address": "by_address",
    "child": "by_child",
    "click": "by_click",
}
mode = st.radio(
    common.t("search_by"),
    modes,
    format_func=lambda v: common.t(mode_keys[v]),
    horizontal=True,
    key="coord_mode",
)

with st.form("coord_form"):
    c1, c2, c3 = st.columns([2, 2, 1])
    address = child_id = lat = lon = None
    if mode == "latlon":
        lat = c1.number_input(
            common.t("lat"), value=round(center.y, 5), format="%.5f", key="coord_lat"
        )
        lon = c1.number_input(
            common.t("lon"), value=round(center.x, 5), format="%.5f", key="coord_lon"
        )
    elif mode == "address":
        address = c1.text_input(
            common.t("address"),
            key="coord_address",
            placeholder=directory_section.address_placeholder(),
        )
    elif mode == "child":
        if st.session_state.get("coord_picker_audited") != common.audience().name:
            # the picker shows the scope's children (age, care, municipality): audited once
            gate.table(
                kids[["child_id", "age", "care", "municipality_code"]],
                common.audience(),
                what="coordinator child picker",
                workspace=common.workspace_path(),
            )
            st.session_state["coord_picker_audited"] = common.audience().name
        child_id = c1.selectbox(
            common.t("child_pick"),
            list(child_labels),
            format_func=lambda c: child_labels.get(c, c),
            key="coord_child",
            index=None,
            placeholder=common.t("child_pick"),
        )
    else:
        c1.caption(common.t("click_hint"))
    chosen = c2.multiselect(
        common.t("services"),
        services,
        format_func=lambda s: labels.code_label("service", s, lang),
        key="coord_services",
        placeholder=common.t("services_all"),
    )
    care = c2.multiselect(
        common.t("care"),
        care_codes,
        format_func=lambda c: labels.code_label("care", c, lang),
        key="coord_care",
        disabled=mode == "child",
        placeholder="—",
    )
    age = c3.number_input(
        common.t("age"),
        min_value=0,
        max_value=25,
        value=5,
        key="coord_age",
        disabled=mode == "child",
    )
    minutes = c3.number_input(
        common.t("minutes_default"), min_value=0, max_value=180, value=0, step=5, key="coord_min"
    )
    submitted = st.form_submit_button(common.t("search"), type="primary")


def _set_query(**point):
    """Remember a new search (the results are computed once for it, not on every rerun)."""
    st.session_state["coord_query"] = {
        **point,
        "services": list(chosen) or None,
        "care": (list(care) or None) if mode != "child" else None,
        "age": int(age) if mode != "child" else None,
        "minutes": float(minutes) if minutes else None,
    }
    st.session_state.pop("coord_candidates", None)


path = common.workspace_path()
if submitted:
    st.session_state.pop("coord_candidates", None)
    if mode == "address":
        try:
            with st.spinner(common.t("step_geocode")):
                hit = geocode.geocode(address, workspace=path)
        except IkemapError:
            st.error(common.t("address_points_missing"))
            hit = None
        if hit is not None and hit.status == "found":
            _set_query(lat=hit.lat, lon=hit.lon, label=hit.label, level=hit.level, note=hit)
        elif hit is not None and hit.status == "ambiguous":
            st.session_state["coord_candidates"] = (address, hit.candidates)
        elif hit is not None:
            st.error(hit.reason_ja if lang == "ja" else hit.reason)
    elif mode == "latlon":
        _set_query(lat=float(lat), lon=float(lon), label=f"{lat:.5f}, {lon:.5f}", level=None)
    elif mode == "child":
        if child_id is not None and child_id in child_labels:
            _set_query(child_id=child_id, label=child_labels[child_id], level=None)
    else:
        clicked = st.session_state.get("coord_click")
        if clicked is not None:
            _set_query(lat=clicked[0], lon=clicked[1], label=f"{clicked[0]:.5f}, {clicked[1]:.5f}")

pending = st.session_state.get("coord_candidates")
if pending is not None:
    q, cands = pending
    st.warning(common.t("address_ambiguous", q=q, n=len(cands)))
    with st.form("coord_pick"):
        pick = st.radio(
            common.t("address_pick"),
            list(range(len(cands))),
            format_func=lambda i: cands["label"][i],
            key="coord_pick_radio",
        )
        if st.form_submit_button(common.t("address_use")):
            row = cands.iloc[int(pick)]
            _set_query(
                lat=float(row["lat"]), lon=float(row["lon"]), label=row["label"], level=row["level"]
            )
            st.rerun()

query = st.session_state.get("coord_query")
ctx = common.context()
nearby.prepare(ctx)  # CCH for the lookups, customised once per process in the background


def _compute(q):
    """nearby + who_covers for a query, with the steps shown (cached per query in the session)."""
    with st.status(common.t("computing"), expanded=False) as status:
        status.update(label=common.t("step_times"))
        res = nearby.nearby(
            ctx,
            lat=q.get("lat"),
            lon=q.get("lon"),
            child_id=q.get("child_id"),
            service=q["services"],
            care=q["care"],
            age=q["age"],
            minutes=q["minutes"],
        )
        status.update(label=common.t("done"), state="complete")
    return {"result": res, "iso": {}}


if ctx is not None and query:
    key = repr(sorted((k, repr(v)) for k, v in query.items() if k != "note"))
    cache = st.session_state.get("coord_cache")
    if cache is None or cache.get("key") != key:
        if "child_id" in query:  # the child's home is child-level data: audited once per search
            kid = common.for_role(
                lay["children"][lay["children"]["child_id"] == query["child_id"]],
                what="coordinator search (one child)",
            )
            if not len(kid):
                st.error(common.t("no_results"))
                query = None
            else:
                query = {**query, "lat": kid.geometry.iloc[0].y, "lon": kid.geometry.iloc[0].x}
        if query is not None:
            try:
                cache = {"key": key, "query": query, **_compute(query)}
            except (ValueError, KeyError, IkemapError) as exc:
                st.error(str(exc))
                cache = None
            st.session_state["coord_cache"] = cache
    query = cache["query"] if cache else None
else:
    cache = None

result = cache["result"] if cache else None

# --- where the search is, and what hazards it lies in
if cache:
    level = query.get("level")
    st.success(
        common.t(
            "address_resolved",
            label=query.get("label", ""),
            level=common.t(f"level_{level}") if level else common.t("lat") + "/" + common.t("lon"),
        )
    )
    hit = query.get("note")
    if hit is not None and getattr(hit, "note_ja", ""):
        st.info(hit.note_ja if lang == "ja" else hit.note)
    ex = result.attrs.get("exposure", {})
    st.markdown(f"**{common.t('exposure_head')}**")
    found = []
    levels_table = codes.hazard_levels()
    for k, v in ex.items():
        if not k.endswith("_level") or k == "max_level" or not v:
            continue
        htype = k[: -len("_level")]
        band = labels.hazard_level_label(htype, int(v), lang)
        if (htype, int(v)) in levels_table.index:
            row = levels_table.loc[(htype, int(v))]
            lo, hi = row.get("depth_min_m"), row.get("depth_max_m")
            if pd.notna(lo):
                band = f"{lo:g}–{hi:g} m" if pd.notna(hi) else f"{lo:g} m〜"
        found.append(
            common.t(
                "exposure_in",
                hazard=labels.code_label("hazard", htype, lang),
                level=labels.hazard_level_label(htype, int(v), lang),
                band=band,
            )
        )
    if found:
        st.warning("  \n".join(found))
    else:
        st.caption(common.t("exposure_none"))

# --- the map: zoomed to the result, with the reachable area of one service
m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, munis, areas, lang=lang, area_kind=areas["kind"].iloc[0])
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
iso_service = None
if result is not None and len(result):
    present = list(dict.fromkeys(result["service"]))
    iso_service = st.selectbox(
        common.t("isochrone_service"),
        present,
        format_func=lambda s: labels.code_label("service", s, lang),
        key="coord_iso_service",
    )
if cache and "lat" in query:
    svc = iso_service or (query["services"] or services)[0]
    limit = query["minutes"] or float(codes.service_types()["threshold_min"][svc])
    iso = cache["iso"]
    if (svc, limit) not in iso:
        with st.spinner(common.t("step_isochrone")):
            pt = gpd.GeoDataFrame(geometry=[Point(query["lon"], query["lat"])], crs="EPSG:4326")
            node = int(ctx.snap(pt)["node"].iloc[0])
            direction = codes.service_types()["direction"][svc]
            iso[(svc, limit)] = reach.reach_cells(ctx.net, node, minutes=limit, direction=direction)
    maps.add_isochrone(m, iso[(svc, limit)], minutes=limit, lang=lang)
    maps.add_point(m, query["lat"], query["lon"], label=common.t("layer_point"))
    maps.add_search_legend(m, minutes=limit, lang=lang)
    shown_fac = fac_all[fac_all["facility_id"].isin(result["facility_id"])] if len(result) else None
    if shown_fac is not None:
        maps.add_facilities(m, shown_fac, lang=lang)
        near = shown_fac[shown_fac["service"] == svc]
        maps.fit_to(
            m, [query["lat"], *near.geometry.y.tolist()], [query["lon"], *near.geometry.x.tolist()]
        )
    else:
        maps.fit_to(m, [query["lat"]], [query["lon"]], margin_deg=0.05)
else:
    maps.add_facilities(m, fac_all[fac_all["service"].isin(chosen or services[:1])], lang=lang)
click = common.show_map(maps.finish(m), key="coord_map", height=520, click=mode == "click")
if click is not None:
    st.session_state["coord_click"] = click
    st.caption(f"{common.t('lat')} {click[0]:.5f}, {common.t('lon')} {click[1]:.5f}")


def _covers(q):
    """Who covers the address, for the print sheet (the page shows it in the directory section)."""
    w = directory.who_covers(ctx, lat=q["lat"], lon=q["lon"])
    cols = ["level_ja" if lang == "ja" else "level", "service", "name", "phone", "hours", "minutes"]
    return w[[c for c in cols if c in w.columns]]


# --- results: all services at once (one tab each), with the facility's contact where known
if result is not None:
    st.subheader(common.t("results"))
    if not len(result):
        st.info(common.t("no_results"))
    else:
        extra = [c for c in ("address", "phone", "tel", "hours", "opening_hours") if c in fac_all]
        full = result.merge(
            fac_all[["facility_id", *extra, "geometry"]], on="facility_id", how="left"
        )
        full = gpd.GeoDataFrame(full, geometry="geometry", crs="EPSG:4326")
        cols = ["service", "name", "minutes", "basis", *extra, "accepts", "age_min", "age_max"]
        cols += ["capacity", "has_power"]
        present = list(dict.fromkeys(full["service"]))
        names = [f"{common.t('results_all')} ({len(full)})"] + [
            f"{labels.code_label('service', s, lang)} ({int((full['service'] == s).sum())})"
            for s in present
        ]
        for tab, s in zip(st.tabs(names), [None, *present], strict=True):
            with tab:
                part = full if s is None else full[full["service"] == s]
                shown = part[
                    [c for c in cols if c in part.columns and (s is None or c != "service")]
                ]
                st.dataframe(labels.frame(shown, lang), hide_index=True, width="stretch")
        common.downloads(
            labels.export_headers(full[["facility_id", *cols, "geometry"]], lang, values=True),
            "nearby",
            key="dl_nearby",
        )
        html = print_views.nearby_sheet(
            full, query=query, exposure=result.attrs.get("exposure", {}), covers=_covers(query),
            region=region, lang=lang, sources=print_views.sources_table(lay, lang),
        )  # fmt: skip
        if "child_id" in query:  # one child's sheet: access (evacuation on the 防災 page)
            html = print_views.child_sheet(
                lay["children"][lay["children"]["child_id"] == query["child_id"]],
                access=full,
                region=region,
                lang=lang,
                municipalities=muni_names,
                sources=print_views.sources_table(lay, lang),
            )
        st.download_button(
            common.t("download_print"),
            data=html.encode("utf-8"),
            file_name="nearby_print.html",
            mime="text/html",
            key="dl_nearby_print",
            on_click="ignore",
        )
    directory_section.render_who_covers(ctx, lat=query["lat"], lon=query["lon"], lang=lang)

# --- compare candidate addresses (addresses or lat/lon)
st.divider()
st.subheader(common.t("compare_head"))
with st.form("compare_form"):
    text = st.text_area(
        common.t("compare_points_addr"),
        key="compare_text",
        value="A, デモ市中央区中央1\nB, かわべ市",
    )
    cmp_services = st.multiselect(
        common.t("services"),
        services,
        default=services[:2],
        format_func=lambda s: labels.code_label("service", s, lang),
        key="compare_services",
        placeholder=common.t("services_all"),
    )
    run_cmp = st.form_submit_button(common.t("compare_run"))
if run_cmp and ctx is not None:
    rows, bad = [], []
    for line in (x.strip() for x in text.strip().splitlines()):
        if not line:
            continue
        parts = [p.strip() for p in line.replace("、", ",").split(",")]
        name, rest = parts[0], [p for p in parts[1:] if p]
        try:
            rows.append((name, float(rest[0]), float(rest[1])))
            continue
        except (IndexError, ValueError):
            pass
        if not rest:
            bad.append(common.t("compare_bad_address", line=line, reason="—"))
            continue
        try:
            hit = geocode.geocode(",".join(rest), workspace=path)
        except IkemapError:
            bad.append(
                common.t(
                    "compare_bad_address", line=line, reason=common.t("address_points_missing")
                )
            )
            continue
        if hit.status == "found":
            rows.append((name, hit.lat, hit.lon))
        else:
            why = hit.reason_ja if lang == "ja" else hit.reason
            if hit.status == "ambiguous":
                why += " " + "、".join(hit.candidates["label"].head(5))
            bad.append(common.t("compare_bad_address", line=line, reason=why))
    if len(rows) < 2 or bad:
        st.warning(common.t("compare_need_two", n=len(rows), bad="  \n".join(bad) or "-"))
    else:
        points = pd.DataFrame(rows, columns=["label", "lat", "lon"])
        with st.spinner(common.t("computing")):
            cmp = nearby.compare(ctx, points, services=cmp_services or None)
        cmp = cmp.rename_axis("item").reset_index()
        st.dataframe(labels.columns(cmp, lang), hide_index=True, width="stretch")
        common.downloads(cmp, "compare", key="dl_compare")
