"""ikemap Streamlit entry point: page setup, login, language, navigation. No analysis here."""

from __future__ import annotations

import streamlit as st

from ui import common, labels

st.set_page_config(
    page_title="ikemap", page_icon=str(common.ROOT / "ui" / "static" / "ikemap.png"), layout="wide"
)


def _launch_check():
    """Refuse to serve children's data on an open address or without XSRF protection.

    ``ikemap app`` (and ``make app``) start Streamlit bound to 127.0.0.1 with XSRF on, wherever
    it is run from; a plain ``streamlit run app.py`` from another folder would not read
    ``.streamlit/config.toml`` and listen on every interface. Behind a TLS reverse proxy set
    ``IKEMAP_ALLOW_REMOTE=1`` to serve another address (XSRF protection stays required).
    """
    import os

    from ui import auth

    if st.get_option("global.appTest"):
        return
    problems = auth.launch_problems(
        st.get_option("server.address"),
        st.get_option("server.enableXsrfProtection"),
        allow_remote=os.environ.get("IKEMAP_ALLOW_REMOTE") == "1",
    )
    if problems:
        st.error(
            "ikemap は安全でない設定では起動しません。`ikemap app` で起動してください。 / "
            "ikemap refuses to run: " + "; ".join(problems) + "."
        )
        st.stop()


_launch_check()


def _login():
    """The session from ui.auth's login gate (it stops the script until someone logs in)."""
    try:
        from ui import auth
    except ImportError:
        auth = None
    if auth is not None and hasattr(auth, "login_gate"):
        return auth.login_gate(common.workspace_path())
    from gate import Audience

    return Audience(name="local", role="planner")


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
    st.Page(
        "ui/pages/directory.py",
        title={"ja": "資源ディレクトリ"}.get(common.lang(), "Directory"),
        icon=":material/menu_book:",
    ),
    st.Page(
        "ui/pages/planner_tools.py",
        title={"ja": "計画支援ツール"}.get(common.lang(), "Planner tools"),
        icon=":material/insights:",
    ),
    st.Page("ui/pages/data.py", title=common.t("page_data"), icon=":material/folder_open:"),
]
st.navigation(pages).run()
