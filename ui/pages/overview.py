"""概要: the region at a glance (map of 圏域 with facilities, key figures)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import gate
from ui import auth, common, labels, maps

lang = common.lang()
st.header(common.t("overview_head"))
lay = common.layers()
muni = lay.get("municipalities")
areas = lay.get("areas")
kids = lay.get("children")
if kids is not None:  # a scoped user counts and sees only the children of their scope
    kids = auth.scope_filter(kids, common.session())
    lay = {**lay, "children": kids}
fac = lay.get("facilities")

if muni is not None and len(muni) and muni["pref"].astype(str).str.contains("デモ").any():
    st.caption(common.t("fictional"))

kinds = list(dict.fromkeys(areas["kind"])) if areas is not None and len(areas) else []
kind = st.selectbox(common.t("area_kind"), kinds, key="overview_kind") if kinds else None

cols = st.columns(6)
n_power = int(sum(maps.is_power_dependent(c) for c in kids["care"])) if kids is not None else 0
figures = [
    ("n_children", 0 if kids is None else len(kids)),
    ("n_power", n_power),
    ("n_facilities", 0 if fac is None else len(fac)),
    ("n_shelters", len(lay.get("shelters", ()))),
    ("n_municipalities", 0 if muni is None else len(muni)),
    ("n_areas", 0 if areas is None else int((areas["kind"] == kind).sum())),
]
for col, (key, value) in zip(cols, figures, strict=True):
    if key in ("n_children", "n_power"):  # counts of children: through the gate
        common.show_metric(col, common.t(key), value, what=f"overview {key}")
    else:
        col.metric(common.t(key), f"{value:,}")

# One linked publication for the map's per-area counts and the children-per-area table, so
# that the same cells are hidden in both (no count 1..9 by differencing the two).
ctx = common.context() if kids is not None else None
pub = common.publication("children", ctx) if ctx is not None else None
m = maps.region_map(
    lay, role=common.role(), lang=lang, basemap=common.basemap(), area_kind=kind, linked=pub
)
common.show_map(m, key="overview_map", height=540)

left, right = st.columns(2)
if fac is not None and len(fac):
    by_service = fac.groupby("service").size().rename("n").reset_index()
    by_service["label"] = [labels.code_label("service", s, lang) for s in by_service["service"]]
    by_service["colour"] = [maps.SERVICE_STYLE.get(s, ("#333",))[0] for s in by_service["service"]]
    left.subheader(common.t("facilities_by_service"))
    left.altair_chart(
        alt.Chart(by_service)
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title=common.t("n_facilities")),
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
            color=alt.Color("colour:N", scale=None),
            tooltip=[
                alt.Tooltip("label:N", title=labels.column("service", lang)),
                alt.Tooltip("n:Q", title=common.t("n_facilities")),
            ],
        ),
        width="stretch",
    )
if kids is not None and areas is not None and kind is not None:
    members = lay.get("area_members")
    sel = areas[areas["kind"] == kind]
    if members is not None and "municipality_code" in kids.columns:
        mem = members[members["kind"] == kind][["area_id", "municipality_code"]]
        per_area = (
            kids[["municipality_code"]]
            .merge(mem, on="municipality_code", how="left")
            .groupby("area_id")
            .size()
        )
        counts = pd.DataFrame(
            {
                "area_id": sel["area_id"].to_numpy(),
                "area_name": sel["name"].to_numpy(),
                "area_kind": kind,
                "n_children": [int(per_area.get(a, 0)) for a in sel["area_id"]],
            }
        )
        shown = common.for_role(
            counts, what="children per area", count_columns=["n_children"], linked=pub
        )
        right.subheader(common.t("children_by_area"))
        view = gate.display(shown, lang=lang).drop(columns=["area_id", "area_kind"])
        right.dataframe(labels.frame(view, lang), hide_index=True, width="stretch")
