"""What every page shares: the workspace in use, cached loaders, language, session, exports.

Pages stay thin: they read widgets, call one library function per step through the helpers
here, and render. Nothing here computes an analysis; loaders only read the workspace, and
:func:`analysis_module` imports an analysis module or tells the user it has not landed yet.
"""

from __future__ import annotations

import importlib
import io
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import streamlit as st

from geo import settings, workspace
from ui import labels, maps
from ui.control import halt

ROOT = Path(__file__).resolve().parent.parent

#: Layers the pages read (roads are read separately: only the main roads are drawn).
MAP_LAYERS = tuple(name for name in workspace.INPUT_LAYERS if not name.startswith("roads_"))


# ---------------------------------------------------------------------------------------------
# workspace and loaders


def workspace_path() -> Path:
    """The workspace in use: env ``IKEMAP_WORKSPACE``, else the demo (data/demo/demo.gpkg)."""
    env = os.environ.get("IKEMAP_WORKSPACE")
    if env:
        return Path(env)
    return Path(settings.demo_workspace)


def _stamp(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_data(show_spinner=False, max_entries=4)
def _layers(path: str, stamp: float) -> dict:
    return workspace.read_all(path, names=MAP_LAYERS)


@st.cache_data(show_spinner=False, max_entries=4)
def _main_roads(path: str, stamp: float):
    if "roads_edges" not in workspace.layers(path):
        return None
    classes = [*maps.MAIN_ROADS, *(f"{c}_link" for c in maps.MAIN_ROADS)]
    where = "highway IN ({})".format(", ".join(f"'{c}'" for c in classes))
    return pyogrio.read_dataframe(path, layer="roads_edges", columns=["highway"], where=where)


def layers() -> dict:
    """Workspace layers by name (cached until the file changes); stops the page when missing."""
    path = workspace_path()
    if not path.exists():
        st.error(labels.t("workspace_missing", lang(), path=path))
        halt()
    out = dict(_layers(str(path), _stamp(path)))
    roads = _main_roads(str(path), _stamp(path))
    if roads is not None:
        out["roads_edges"] = roads
    return out


@st.cache_resource(show_spinner=False, max_entries=2)
def _context(path: str, stamp: float):
    from analysis import context

    return context.load(path)


def analysis_module(name: str):
    """Import ``analysis.<name>`` (or ``geo.<name>``); None with a notice when it has not landed."""
    try:
        return importlib.import_module(name if "." in name else f"analysis.{name}")
    except ImportError:
        st.info(labels.t("not_ready", lang(), module=name))
        return None


def context():
    """The analysis context of the workspace (layers, network, snapped points), built once."""
    if analysis_module("analysis.context") is None:
        return None
    path = workspace_path()
    from geo.errors import IkemapError

    try:
        with st.spinner(labels.t("loading", lang())):
            return _context(str(path), _stamp(path))
    except IkemapError as exc:  # a workspace the analyses cannot use: say why, in full
        st.error(str(exc))
        return None


# ---------------------------------------------------------------------------------------------
# language and session


def lang() -> str:
    """The display language of this session (ja unless the user switched)."""
    return st.session_state.get("lang", "ja")


def t(key, **fmt) -> str:
    """Label ``key`` in the session's language."""
    return labels.t(key, lang(), **fmt)


def session():
    """The logged-in session (user, role, scope) set by app.py."""
    return st.session_state.get("ikemap_session")


def role() -> str:
    """The session's role (planner when nobody is logged in: the least access)."""
    s = session()
    return getattr(s, "role", None) or "planner"


def basemap() -> bool:
    """Whether the user asked for the online 地理院タイル basemap."""
    return bool(st.session_state.get("basemap", False))


def for_role(frame, *, what, count_columns=None, action="view"):
    """Pass an output through the privacy gate (analysis.privacy) for this session's role."""
    from analysis import privacy

    s = session()
    who = s if s is not None and hasattr(s, "role") else role()
    return privacy.for_role(
        frame,
        who,
        count_columns=count_columns,
        workspace=workspace_path(),
        what=what,
        action=action,
    )


# ---------------------------------------------------------------------------------------------
# maps


def show_map(m, *, key, height=560, click=False):
    """Render a folium map; returns the last click (lat, lon) when ``click`` is True.

    ``returned_objects`` is limited to the click (or nothing), so panning and zooming never
    rerun the page or its analyses.
    """
    from streamlit_folium import st_folium

    out = st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_clicked"] if click else [],
    )
    if click and out and out.get("last_clicked"):
        c = out["last_clicked"]
        return float(c["lat"]), float(c["lng"])
    return None


# ---------------------------------------------------------------------------------------------
# exports


def _neutralise(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _plain_frame(frame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [
                ";".join(map(str, v)) if isinstance(v, list | tuple) else _neutralise(v)
                for v in out[c]
            ]
    return out


def export_bytes(frame, kind: str, *, what=None) -> bytes:
    """Return ``frame`` as csv (UTF-8 with BOM), xlsx or gpkg bytes.

    Uses :mod:`analysis.export` when it is installed (formula neutralisation and all); the
    fallback here does the same minimum: BOM, ``=+-@`` cells prefixed with ``'``, lists joined.
    """
    try:
        from analysis import export
    except ImportError:
        export = None
    if export is not None and hasattr(export, "export_for"):
        who = session() or role()
        return export.export_for(
            who, frame, fmt=kind, workspace=workspace_path(), what=what or "table"
        )
    if kind == "csv":
        return _plain_frame(frame).to_csv(index=False).encode("utf-8-sig")
    if kind == "xlsx":
        buf = io.BytesIO()
        _plain_frame(frame).to_excel(buf, index=False)
        return buf.getvalue()
    if kind == "gpkg":
        if isinstance(frame, gpd.GeoDataFrame):
            data = gpd.GeoDataFrame(_plain_frame(frame), geometry=frame.geometry, crs=frame.crs)
        else:
            data = _plain_frame(frame)
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "export.gpkg"
            pyogrio.write_dataframe(data, p, layer="result", driver="GPKG")
            return p.read_bytes()
    msg = f"Unknown export kind {kind!r}; expected csv, xlsx or gpkg."
    raise ValueError(msg)


def downloads(frame, name: str, *, key: str):
    """Three download buttons (CSV with BOM, Excel, GeoPackage) under a results table."""
    cols = st.columns(3)
    specs = (
        ("csv", "download_csv", "text/csv"),
        (
            "xlsx",
            "download_xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("gpkg", "download_gpkg", "application/geopackage+sqlite3"),
    )
    for col, (kind, label, mime) in zip(cols, specs, strict=True):
        col.download_button(
            t(label),
            data=lambda kind=kind: export_bytes(frame, kind, what=name),
            file_name=f"{name}.{kind}",
            mime=mime,
            key=f"{key}_{kind}",
            on_click="ignore",
        )


def table(frame, *, height=None):
    """Show a results table with labelled headers (lists joined for reading)."""
    shown = (
        _plain_frame(frame)
        if len(frame)
        else pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    )
    st.dataframe(labels.columns(shown, lang()), hide_index=True, height=height or "auto")
