"""コーディネーター: from an address, a map click or a child id to the services in reach."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st
from shapely.geometry import Point

from geo import codes
from ui import common, labels, maps

lang = common.lang()
st.header(common.t("coord_head"))
lay = common.layers()
areas = lay["areas"]
services = labels.code_options("service")
care_codes = labels.code_options("care")
center = areas.union_all().representative_point()

# children this session may look up: its own scope, through the library's privacy gate
if maps.can_see_children(common.role()):
    my_children = sorted(
        common.for_role(
            pd.DataFrame(lay["children"][["child_id", "municipality_code"]]),
            what="coordinator child list",
        )["child_id"]
    )
    modes = ["latlon", "address", "child", "click"]
else:  # aggregate roles never search by child
    my_children = []
    modes = ["latlon", "address", "click"]

mode = st.radio(
    common.t("search_by"),
    modes,
    format_func=lambda v: common.t(
        {"latlon": "by_latlon", "address": "by_address", "child": "by_child", "click": "by_click"}[
            v
        ]
    ),
    horizontal=True,
    key="coord_mode",
)

with st.form("coord_form"):
    c1, c2, c3 = st.columns(3)
    if mode == "latlon":
        lat = c1.number_input(
            common.t("lat"), value=round(center.y, 5), format="%.5f", key="coord_lat"
        )
        lon = c1.number_input(
            common.t("lon"), value=round(center.x, 5), format="%.5f", key="coord_lon"
        )
    elif mode == "address":
        address = c1.text_input(common.t("address"), key="coord_address")
    elif mode == "child":
        child_id = c1.selectbox(common.t("child_id"), my_children, key="coord_child")
    else:
        c1.caption(common.t("click_hint"))
    service = c2.selectbox(
        common.t("service"),
        services,
        format_func=lambda s: labels.code_label("service", s, lang),
        key="coord_service",
    )
    care = c2.multiselect(
        common.t("care"),
        care_codes,
        format_func=lambda c: labels.code_label("care", c, lang),
        key="coord_care",
        disabled=mode == "child",
    )
    age = c3.number_input(
        common.t("age"),
        min_value=0,
        max_value=25,
        value=5,
        key="coord_age",
        disabled=mode == "child",
    )
    minutes = c3.slider(
        common.t("max_minutes"),
        10,
        120,
        int(codes.service_types()["threshold_min"][service]),
        step=5,
        key="coord_minutes",
    )
    submitted = st.form_submit_button(common.t("search"))

nearby = common.analysis_module("nearby")
query = st.session_state.get("coord_query")
if submitted:
    query = {"service": service, "care": care or None, "age": int(age), "minutes": minutes}
    if mode == "latlon":
        query.update(lat=float(lat), lon=float(lon))
    elif mode == "address":
        geocode = None
        with contextlib.suppress(ImportError):
            from geo import geocode
        hit = (
            geocode.geocode(address, workspace=common.workspace_path())
            if geocode and address
            else None
        )
        if hit is None:
            st.warning(common.t("address_not_found", q=address))
            query = None
        else:
            query.update(lat=float(hit[0]), lon=float(hit[1]))
    elif mode == "child":
        ok = child_id is not None and child_id in my_children
        query = {"child_id": child_id, "service": service, "minutes": minutes} if ok else None
    else:
        clicked = st.session_state.get("coord_click")
        query = None if clicked is None else {**query, "lat": clicked[0], "lon": clicked[1]}
    st.session_state["coord_query"] = query

ctx = common.context() if nearby is not None else None
m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
maps.add_boundaries(m, lay.get("municipalities"), areas, lang=lang, area_kind=areas["kind"].iloc[0])
maps.add_roads(m, lay.get("roads_edges"), lang=lang)
result = None
if ctx is not None and query:
    with st.spinner(common.t("computing")):
        result = nearby.nearby(ctx, **query)
    if "child_id" in query:
        kid = common.for_role(
            lay["children"][lay["children"]["child_id"] == query["child_id"]],
            what="coordinator search",
        )
        if len(kid):
            query = {**query, "lat": kid.geometry.iloc[0].y, "lon": kid.geometry.iloc[0].x}
    if "lat" in query:
        try:
            from geo import isochrone, snap
        except ImportError:
            isochrone = None
        if isochrone is not None:
            import geopandas as gpd

            pt = gpd.GeoSeries([Point(query["lon"], query["lat"])], crs="EPSG:4326")
            node = int(snap.snap(ctx.net, pt)["node"].iloc[0])
            direction = codes.service_types()["direction"][query["service"]]
            poly = isochrone.isochrone(ctx.net, node, minutes=query["minutes"], direction=direction)
            maps.add_isochrone(m, poly, minutes=query["minutes"], lang=lang)
        maps.add_point(m, query["lat"], query["lon"], label=common.t("layer_point"))
fac = lay["facilities"]
if result is not None and "facility_id" in result.columns:
    fac = fac[fac["facility_id"].isin(result["facility_id"])]
else:
    fac = fac[fac["service"] == service]
maps.add_facilities(m, fac, lang=lang)
click = common.show_map(maps.finish(m), key="coord_map", height=520, click=mode == "click")
if click is not None:
    st.session_state["coord_click"] = click
    st.caption(f"{common.t('lat')} {click[0]:.5f}, {common.t('lon')} {click[1]:.5f}")

if result is not None:
    st.subheader(common.t("results"))
    if not len(result):
        st.info(common.t("no_results"))
    else:
        common.table(result)
        common.downloads(result, "nearby", key="dl_nearby")

st.divider()
st.subheader(common.t("compare_head"))
with st.form("compare_form"):
    text = st.text_area(
        common.t("compare_points"), key="compare_text", value=f"A, {center.y:.5f}, {center.x:.5f}"
    )
    cmp_service = st.selectbox(
        common.t("service"),
        services,
        format_func=lambda s: labels.code_label("service", s, lang),
        key="compare_service",
    )
    run_cmp = st.form_submit_button(common.t("compare_run"))
if run_cmp and ctx is not None and hasattr(nearby, "compare"):
    rows, bad = [], []
    for line in (x.strip() for x in text.strip().splitlines()):
        parts = [p.strip() for p in line.split(",")]
        try:
            rows.append((parts[0], float(parts[1]), float(parts[2])))
        except (IndexError, ValueError):
            if line:
                bad.append(line)
    if len(rows) < 2 or bad:
        st.warning(common.t("compare_need_two", n=len(rows), bad="; ".join(bad) or "-"))
    else:
        points = pd.DataFrame(rows, columns=["label", "lat", "lon"])
        with st.spinner(common.t("computing")):
            cmp = nearby.compare(ctx, points, services=[cmp_service]).reset_index()
        common.table(cmp)
        common.downloads(cmp, "compare", key="dl_compare")
