"""データ: the workspace in use, its sources and dates, validation, and new files."""

from __future__ import annotations

import pandas as pd
import pyogrio
import streamlit as st

from geo import workspace
from ui import common, labels, maps
from ui.control import halt
from ui.sections import planner_tools

lang = common.lang()
st.header(common.t("data_head"))
path = common.workspace_path()
st.markdown(f"**{common.t('workspace')}**: `{path}`")
if not path.exists():
    st.error(common.t("workspace_missing", path=path))
    halt()


@st.cache_data(show_spinner=False)
def _inventory(p: str, stamp: float) -> pd.DataFrame:
    rows = []
    for name in workspace.layers(p):
        info = pyogrio.read_info(p, layer=name)
        rows.append({"layer": name, "rows": int(info["features"])})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def _problems(p: str, stamp: float) -> pd.DataFrame:
    found = []
    for name in workspace.INPUT_LAYERS:
        if name in ("roads_nodes", "roads_edges") or name not in workspace.layers(p):
            continue
        found += workspace.validate(name, workspace.read(p, name))
    return _text(
        pd.DataFrame(
            [vars(x) for x in found], columns=["layer", "row", "column", "value", "expected"]
        )
    )


def _text(frame):
    """Every cell as text for a problems table; a missing value is 「—」, never None or nan."""
    return frame.astype(object).where(frame.notna(), "—").astype(str)


stamp = path.stat().st_mtime
inv = _inventory(str(path), stamp)


def _layer_name(name):
    """A layer's name as the user reads it (its Japanese label; the layer id in English)."""
    return (getattr(workspace.LAYERS.get(name), "label_ja", "") or name) if lang == "ja" else name


inv["layer"] = [_layer_name(n) for n in inv["layer"]]
st.dataframe(labels.frame(inv, lang), hide_index=True, width="stretch")

lay = common.layers()
m = maps.region_map(lay, role=common.role(), lang=lang, basemap=common.basemap(), children=False)
maps.add_shelters(m, lay.get("shelters"), lang=lang)
common.show_map(m, key="data_map", height=380)

st.subheader(common.t("sources"))
frames = []
for name in ("facilities", "hazards"):
    f = lay.get(name)
    if f is not None and "source" in f.columns:
        cols = ["source"] + (["source_date"] if "source_date" in f.columns else [])
        g = f[cols].fillna("-").astype(str).value_counts().rename("rows").reset_index()
        g.insert(0, "layer", _layer_name(name))
        frames.append(g)
if frames:
    src = pd.concat(frames, ignore_index=True).replace({"None": "—", "nan": "—", "NaT": "—"})
    st.dataframe(labels.frame(src, lang), hide_index=True, width="stretch")

st.subheader(common.t("validation"))
problems = _problems(str(path), stamp)
if problems.empty:
    st.success(common.t("valid_ok"))
else:
    st.warning(common.t("n_problems", n=len(problems)))
    common.table(problems)
    common.downloads(labels.export_headers(problems, lang), "validation", key="dl_validation")

st.subheader(common.t("upload"))
st.caption(common.t("upload_hint"))
with st.form("upload_form"):
    kind = st.selectbox(
        common.t("upload_kind"),
        ["children", "facilities", "shelters", "hazards", "areas", "boundaries"],
        format_func=_layer_name,
        key="upload_kind",
    )
    up = st.file_uploader(
        common.t("upload"),
        type=["csv", "tsv", "xlsx", "gpkg", "geojson", "json", "zip"],
        key="upload_file",
    )
    check = st.form_submit_button(common.t("upload_check"))
if check and up is not None:
    from geo import importers

    # one intake path (geo.safe_io): safe name, size/magic/zip checks, staged copy removed after
    report = importers.validate_upload(up.name, up.getvalue(), kind=kind, workspace_path=path)
    rej = _text(
        pd.DataFrame(
            [vars(r) for r in report.rejections],
            columns=["file", "row", "field", "value", "reason"],
        )
    )
    st.write(
        common.t(
            "upload_counts",
            read=report.rows_read,
            accepted=report.rows_accepted,
            rejected=report.rows_rejected,
        )
    )
    for message in report.errors:
        st.error(message)
    for message in report.warnings:
        st.info(message)
    if report.ok:
        st.success(common.t("valid_ok"))
    else:
        common.table(rej)
        common.downloads(labels.export_headers(rej, lang), "rejections", key="dl_rejections")

planner_tools.render_data_section()  # register reconciliation: several lists -> return files
