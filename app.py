"""ikemap Streamlit entry point: page setup, login, language, navigation. No analysis here."""

from __future__ import annotations

import streamlit as st

from ui import common, labels

st.set_page_config(
    page_title="ikemap", page_icon=str(common.ROOT / "ui" / "static" / "ikemap.png"), layout="wide"
)


def _login():
    """The session from ui.auth's login gate (it stops the script until someone logs in)."""
    try:
        from ui import auth
    except ImportError:
        auth = None
    if auth is not None and hasattr(auth, "login_gate"):
        return auth.login_gate(common.workspace_path())
    from analysis.privacy import Access

    return Access(name="local", role="planner")


with st.sidebar:
    st.radio(
        labels.t("language", "ja") + " / Language",
        options=list(labels.LANGS),
        format_func=lambda v: {"ja": "日本語", "en": "English"}[v],
        horizontal=True,
        key="lang",
    )
    st.toggle(common.t("basemap"), key="basemap", value=False)

st.session_state["ikemap_session"] = _login()

st.sidebar.caption(f"{common.t('workspace')}: {common.workspace_path().name}")

pages = [
    st.Page(
        "ui/pages/overview.py", title=common.t("page_overview"), icon=":material/map:", default=True
    ),
    st.Page("ui/pages/planner.py", title=common.t("page_planner"), icon=":material/bar_chart:"),
    st.Page(
        "ui/pages/coordinator.py",
        title=common.t("page_coordinator"),
        icon=":material/person_pin_circle:",
    ),
    st.Page("ui/pages/disaster.py", title=common.t("page_disaster"), icon=":material/flood:"),
    st.Page("ui/pages/data.py", title=common.t("page_data"), icon=":material/folder_open:"),
]
st.navigation(pages).run()
