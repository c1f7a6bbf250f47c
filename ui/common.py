"""What every page shares: the workspace in use, cached loaders, language, session, exports.

Pages stay thin: they read widgets, call one library function per step through the helpers
here, and render. Nothing here computes an analysis; loaders only read the workspace, and
:func:`analysis_module` imports an analysis module or tells the user it has not landed yet.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

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
    """The logged-in session (an :class:`gate.Audience`) set by app.py."""
    return st.session_state.get("ikemap_session")


def audience():
    """The audience of this session (planner, the least access, when nobody is logged in)."""
    from gate import audience as _audience

    return _audience(session() or "planner", user="?")


def role() -> str:
    """The session's role (planner when nobody is logged in: the least access)."""
    return audience().role


def basemap() -> bool:
    """Whether the user asked for the online 地理院タイル basemap."""
    return bool(st.session_state.get("basemap", False))


@st.cache_resource(show_spinner=False, max_entries=16)
def _publication(kind, path, stamp, role, scope, key, _ctx, _options):
    from gate import publish

    who = role if scope is None else _scoped(role, scope)
    return getattr(publish, kind)(_ctx, who=who, **_options)


def _scoped(role, scope):
    from gate import Audience

    return Audience(name="?", role=role, scope=scope)


def publication(kind, ctx=None, **options):
    """The linked publication ``gate.publish.<kind>`` for this session's audience, cached.

    ``kind`` is ``"gaps"`` (options ``services``, ``thresholds``, filters), ``"children"`` or
    ``"hazards"``. Built once per workspace version, audience (role + scope) and options: the
    joint suppression with its LP audit takes seconds, the pages call this on every rerun.
    """
    ctx = ctx or context()
    if ctx is None:
        return None
    who = audience()
    path = workspace_path()
    key = repr(sorted(options.items()))
    return _publication(kind, str(path), _stamp(path), who.role, who.scope, key, ctx, options)


def for_role(frame, *, what, count_columns=None, action="view", linked=None, **options):
    """Pass an output through the gate (:func:`gate.table`) for this session.

    Child-level rows are scoped and their view is audited; aggregates with ``count_columns``
    are suppressed as this audience must see them.
    """
    import gate

    return gate.table(
        frame,
        audience(),
        what=what,
        count_columns=count_columns,
        linked=linked,
        workspace=workspace_path(),
        action=action,
        **options,
    )


def show_table(frame, *, what, count_columns=None, linked=None, height=None, audit=True):
    """Show a table through the gate, as this session's audience may see it; return it gated.

    Hidden counts read 「<10」 (true value 1-9) or 「秘匿」 (hidden to protect another cell).
    A refusal (e.g. a child list for a planner) is shown as a message, and None returned.
    """
    import gate
    from gate import AccessDenied

    try:
        shown = gate.table(
            frame,
            audience(),
            what=what,
            count_columns=count_columns,
            linked=linked,
            workspace=workspace_path() if audit else None,
        )
    except AccessDenied as exc:
        st.error(str(exc))
        return None
    table(gate.display(shown, lang=lang()), height=height)
    return shown


def show_metric(col, label, value, *, what, known=False, help=None):
    """A metric tile through the gate: 「<10」 instead of a small count for a planner."""
    import gate

    col.metric(label, gate.metric(value, audience(), what=what, known=known), help=help)


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


def _plain_frame(frame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [";".join(map(str, v)) if isinstance(v, list | tuple) else v for v in out[c]]
    return out


EXPORTS = (
    ("csv", "download_csv", "text/csv"),
    ("xlsx", "download_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("gpkg", "download_gpkg", "application/geopackage+sqlite3"),
)


def export_bytes(frame, kind: str, *, what=None, count_columns=None, linked=None, who=None):
    """``frame`` as csv (UTF-8 with BOM), xlsx or gpkg bytes, through the gate.

    Built with the audience given (default: this session's), never in a thread without one.
    Not audited here: :func:`downloads` records the export when the button is clicked.
    """
    import gate

    return gate.export(
        frame,
        who or audience(),
        fmt=kind,
        what=what or "table",
        workspace=None,
        count_columns=count_columns,
        linked=linked,
    )


def _record_download(who, what, kind, rows, individual):
    """on_click of a download button: append the export to the audit log (child-level only)."""
    if not individual:
        return
    from gate import audit

    try:
        audit.record(
            workspace_path(),
            user=who.name,
            role=who.role,
            action="export",
            what=f"{what} ({kind})",
            rows=rows,
            detail=who.describe(),
        )
    except Exception as exc:  # noqa: BLE001 - say so on the page, the download itself is done
        st.error(f"監査ログに記録できませんでした / audit log not written: {exc}")


def downloads(frame, name: str, *, key: str, what=None, count_columns=None, linked=None, **options):
    """Three download buttons (CSV with BOM, Excel, GeoPackage) under a results table.

    The bytes are built now, while the page renders, with this session's audience (the gate
    decides scope, identity and suppression); a refusal or a failure is shown on the page
    instead of a button that does nothing. Child-level downloads are audited when clicked.
    """
    import gate
    from gate import AccessDenied, is_individual

    who = audience()
    what = what or name
    individual = is_individual(frame)
    try:
        shown = gate.table(
            frame,
            who,
            what=what,
            count_columns=count_columns,
            linked=linked,
            workspace=None,
            **options,
        )
    except AccessDenied as exc:
        st.error(str(exc))
        return
    cols = st.columns(len(EXPORTS))
    for col, (kind, label, mime) in zip(cols, EXPORTS, strict=True):
        try:
            data = export_bytes(shown, kind, what=what, who=who)
        except Exception as exc:  # noqa: BLE001 - a failed export is said on the page
            col.error(f"{t(label)}: {exc}")
            continue
        col.download_button(
            t(label),
            data=data,
            file_name=f"{name}.{kind}",
            mime=mime,
            key=f"{key}_{kind}",
            on_click=_record_download,
            args=(who, what, kind, len(shown), individual),
        )


def table(frame, *, height=None):
    """Show a results table with labelled headers (lists joined for reading)."""
    shown = (
        _plain_frame(frame)
        if len(frame)
        else pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    )
    st.dataframe(labels.columns(shown, lang()), hide_index=True, height=height or "auto")
