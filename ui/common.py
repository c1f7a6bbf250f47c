"""What every page shares: the workspace in use, cached loaders, language, session, exports.

Pages stay thin: they read widgets, call one library function per step through the helpers
here, and render. Nothing here computes an analysis; loaders only read the workspace, and
:func:`analysis_module` imports an analysis module or tells the user it has not landed yet.
"""

from __future__ import annotations

import copy
import importlib
import os
import threading
from collections import OrderedDict
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


@st.cache_resource(show_spinner=False, max_entries=2)
def _layers(path: str, stamp: float) -> dict:
    # one copy per process, shared by every session; handed out as shallow copies
    # (:func:`_copy_out`: copy-on-write keeps a page's changes to itself)
    return workspace.read_all(path, names=MAP_LAYERS)


@st.cache_resource(show_spinner=False, max_entries=2)
def _main_roads(path: str, stamp: float):
    """The main roads merged per class (:func:`ui.maps.merge_roads`), once per workspace version.

    Shared by every session and page (nothing modifies it): merging a prefecture's main roads
    per rerun took seconds.
    """
    if "roads_edges" not in workspace.layers(path):
        return None
    classes = [*maps.MAIN_ROADS, *(f"{c}_link" for c in maps.MAIN_ROADS)]
    where = "highway IN ({})".format(", ".join(f"'{c}'" for c in classes))
    edges = pyogrio.read_dataframe(path, layer="roads_edges", columns=["highway"], where=where)
    return maps.merge_roads(edges)


def layers() -> dict:
    """Workspace layers by name (cached until the file changes); stops the page when missing."""
    path = workspace_path()
    if not path.exists():
        st.error(labels.t("workspace_missing", lang(), path=path))
        halt()
    out = _copy_out(_layers(str(path), _stamp(path)))
    roads = _main_roads(str(path), _stamp(path))
    if roads is not None:
        out["roads_edges"] = _copy_out(roads)
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


class _Results:
    """Results of the pages' analyses for one workspace version, shared by every session.

    A small LRU (``max_entries``) keyed by the page's name for the result and its parameters.
    One lock per key: a second session asking for a result being computed waits for it instead
    of computing it again (two cores, several sessions).
    """

    def __init__(self, max_entries=64):
        self.max_entries = max_entries
        self.items = OrderedDict()
        self.lock = threading.Lock()
        self.key_locks = {}

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return True, self.items[key]
        return False, None

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.max_entries:
                old, _ = self.items.popitem(last=False)
                self.key_locks.pop(old, None)

    def key_lock(self, key):
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())


#: pandas >= 3 always copies on write (a shallow copy's changes never reach the original).
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


def _copy_out(value):
    """A copy of a stored result for one page run.

    Frames are copied shallowly where pandas copies on write (always from pandas 3): a change a
    page makes to its copy stays away from the stored frame, at no cost for the data; deeply
    on an older pandas. Containers are copied, anything else deeply.
    """
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=not _COPY_ON_WRITE)
    if isinstance(value, dict):
        return {k: _copy_out(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy_out(v) for v in value)
    return copy.deepcopy(value)


def _result_key(name, params):
    return (name, repr(sorted(params.items())))


def _store(ctx):
    """The results computed from ``ctx``: kept with it (a new workspace version, a new store)."""
    store = ctx._cache.get("ui.results")
    if store is None:
        store = ctx._cache.setdefault("ui.results", _Results())
    return store


def is_cached(ctx, name, **params) -> bool:
    """Whether :func:`cached` holds ``name`` for ``ctx`` and these parameters."""
    return _store(ctx).get(_result_key(name, params))[0]


def cached(ctx, name, compute, *, copy_out=True, **params):
    """``compute()`` once per analysis context and parameters, for every session.

    The pages' analyses (gap tables, breakdowns, publications) depend on the context (the
    workspace version, :func:`context`, shared by every session) and the parameters only; a
    rerun (any click) or another session gets the stored result.
    ``copy_out``: hand out a copy (:func:`_copy_out`: a page may modify its tables); False
    for results nothing modifies (a publication). Streamlit calls inside ``compute`` (a status with
    progress) run in the calling session.
    """
    store = _store(ctx)
    key = _result_key(name, params)
    hit, value = store.get(key)
    if not hit:
        with store.key_lock(key):
            hit, value = store.get(key)
            if not hit:
                value = compute()
                store.put(key, value)
    return _copy_out(value) if copy_out else value


def _publication_params(kind, options):
    who = audience()
    return {"kind": kind, "role": who.role, "scope": who.scope, **options}


def publication_cached(ctx, kind, **options) -> bool:
    """Whether :func:`publication` for these options is built already (no LP audit to run)."""
    return is_cached(ctx, "publication", **_publication_params(kind, options))


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

    def build():
        from gate import publish

        target = who.role if who.scope is None else _scoped(who.role, who.scope)
        return getattr(publish, kind)(ctx, who=target, **options)

    return cached(ctx, "publication", build, copy_out=False, **_publication_params(kind, options))


def _scoped(role, scope):
    from gate import Audience

    return Audience(name="?", role=role, scope=scope)


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


def show_map(m, *, key, height=560, click=False, render=True):
    """Render a folium map; returns the last click (lat, lon) when ``click`` is True.

    ``returned_objects`` is limited to the click (or nothing), so panning and zooming never
    rerun the page or its analyses. ``render=False`` skips streamlit-folium's first of its two
    renders of the whole figure (the second gives the same script for the boundaries,
    choropleth, roads and points of the planner's map; half the time of a map).
    """
    from streamlit_folium import st_folium

    out = st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_clicked"] if click else [],
        render=render,
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


def downloads(
    frame,
    name: str,
    *,
    key: str,
    what=None,
    count_columns=None,
    linked=None,
    cache=None,
    **options,
):
    """Three download buttons (CSV with BOM, Excel, GeoPackage) under a results table.

    The bytes are built now, while the page renders, with this session's audience (the gate
    decides scope, identity and suppression); a refusal or a failure is shown on the page
    instead of a button that does nothing. Child-level downloads are audited when clicked.

    ``cache``: ``(ctx, params)`` when ``frame`` (and ``linked``) is a stored result of ``ctx``
    (:func:`cached`) decided by ``params``; the files are then built once per audience and
    language, not per rerun.
    """
    import gate
    from gate import AccessDenied, is_individual

    who = audience()
    what = what or name

    def build():
        shown = gate.table(
            frame,
            who,
            what=what,
            count_columns=count_columns,
            linked=linked,
            workspace=None,
            **options,
        )
        files = {}
        for kind, _, _ in EXPORTS:
            try:
                files[kind] = export_bytes(shown, kind, what=what, who=who)
            except Exception as exc:  # noqa: BLE001 - a failed export is said on the page
                files[kind] = exc
        return len(shown), is_individual(frame), files

    try:
        if cache is None:
            rows, individual, files = build()
        else:
            rows, individual, files = cached(
                cache[0],
                "downloads",
                build,
                copy_out=False,  # bytes and counts: nothing modifies them
                file=name,
                what=what,
                count_columns=count_columns,
                role=who.role,
                scope=who.scope,
                lang=lang(),
                options=options,
                **cache[1],
            )
    except AccessDenied as exc:
        st.error(str(exc))
        return
    cols = st.columns(len(EXPORTS))
    for col, (kind, label, mime) in zip(cols, EXPORTS, strict=True):
        data = files[kind]
        if isinstance(data, Exception):
            col.error(f"{t(label)}: {data}")
            continue
        col.download_button(
            t(label),
            data=data,
            file_name=f"{name}.{kind}",
            mime=mime,
            key=f"{key}_{kind}",
            on_click=_record_download,
            args=(who, what, kind, rows, individual),
        )


def table(frame, *, height=None):
    """Show a results table with labelled headers (lists joined for reading)."""
    shown = (
        _plain_frame(frame)
        if len(frame)
        else pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    )
    st.dataframe(labels.columns(shown, lang()), hide_index=True, height=height or "auto")
