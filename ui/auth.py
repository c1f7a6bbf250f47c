"""Login and roles of the app.

``app.py`` calls :func:`login_gate` first. Without a users file the app runs the fictional demo
in a clearly marked demo mode, with the role picked from a selectbox; with a users file
(``$IKEMAP_USERS``, else ``users.toml`` beside the workspace) a login form checks the bcrypt
hash and the script stops until the user has logged in.

The session object (:class:`gate.Audience`: ``name``, ``role``, ``scope``, ``demo``) is kept
in ``st.session_state["ikemap_session"]``. Pages show everything through :mod:`gate.core`
(via ``ui.common.show_table``/``show_metric``/``downloads``), which decides what it may see.

Failed logins are counted per user name beside the users file (:mod:`gate.login`), not per
browser session: after five failures the user is locked for a cool-down, whichever browser or
tab tries, and every attempt (also a refused one during the lock) is audited.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gate import ROLES, Audience, login, users
from gate import roles as _roles
from gate import scope_filter as _scope_filter
from ui.control import halt

SESSION_KEY = "ikemap_session"

#: Failed logins (per user, across sessions) that lock the user for a cool-down.
MAX_FAILURES = login.MAX_FAILURES

ROLE_LABELS = {
    "planner": "計画担当（集計のみ）",
    "coordinator": "コーディネーター",
    "disaster": "防災担当",
    "admin": "管理者",
}

Session = Audience


def role_label(role):
    """A role's name in the session's language (English mode: English)."""
    from ui import common, labels

    return labels.role_label(role, common.lang())


def _role_both(role):
    """A role's name in Japanese and English (the demo role picker)."""
    from ui import labels

    ja, en = labels.role_label(role, "ja"), labels.role_label(role, "en")
    return ja if ja == en else f"{ja} / {en}"


def _audit(workspace, **entry):
    if workspace is None or not Path(workspace).exists():
        return
    from gate import audit

    try:
        audit.record(workspace, **entry)
    except Exception as exc:  # noqa: BLE001 - a log failure must not lock users out
        st.warning(f"監査ログに記録できませんでした / audit log not written: {exc}")


#: Addresses the app may listen on without a reverse proxy in front.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def launch_problems(address, xsrf, *, allow_remote=False):
    """Why the app must not serve with these settings (empty list: fine).

    Examples
    --------
    >>> launch_problems("127.0.0.1", True)
    []
    >>> len(launch_problems(None, True)), len(launch_problems("127.0.0.1", False))
    (1, 1)
    >>> launch_problems("0.0.0.0", True, allow_remote=True)
    []
    """
    problems = []
    address = address or "0.0.0.0"  # unset: Streamlit listens on every interface
    if address not in LOOPBACK and not allow_remote:
        problems.append(
            f"server.address is {address!r}, not 127.0.0.1 (start with `ikemap app`, or set "
            "IKEMAP_ALLOW_REMOTE=1 behind a TLS reverse proxy)"
        )
    if not xsrf:
        problems.append("XSRF protection is off (server.enableXsrfProtection must be true)")
    return problems


def current_session():
    """The session of the logged-in user, or None."""
    return st.session_state.get(SESSION_KEY)


def logout():
    """Forget the logged-in user."""
    st.session_state.pop(SESSION_KEY, None)


def _fictional(workspace):
    """True when the workspace is the fictional demo (its metadata says ``fictional=true``)."""
    if workspace is None:
        return True
    try:
        from geo import workspace as _ws

        return _ws.metadata(workspace).get("fictional") == "true"
    except Exception:  # noqa: BLE001 - an unreadable workspace is not called fictional
        return False


def _demo(workspace):
    if _fictional(workspace):
        st.warning(
            "**デモモード** — 架空の「デモ県」のデータです。ログインはありません。"
            "役割は左のメニューで切り替えられます（デモ専用）。"
            " / Demo mode: fictional data, no login; pick a role in the sidebar (demo only).",
            icon="⚠️",
        )
    else:  # a real workspace without a users file: say so, never call its data fictional
        st.error(
            "**ログインなしで動作しています** — このワークスペースは架空のデモではありませんが、"
            "利用者ファイル（users.toml）がないため誰でもすべての役割を選べます。実データを扱う前に"
            "`ikemap user add` で利用者を登録してください。"
            " / No login: this is not the fictional demo, but there is no users file, so anyone "
            "can pick any role; add users with `ikemap user add` before using real data.",
            icon="⚠️",
        )
    current = st.session_state.get(SESSION_KEY)
    default = ROLES.index(current.role) if current is not None else 0
    role = st.sidebar.selectbox(
        "役割（デモ） / Role (demo)",
        ROLES,
        index=default,
        # both languages, like the box's own label: options that changed with the language
        # switch would lose the picked role (the widget keeps the shown text)
        format_func=_role_both,
        key="ikemap_demo_role",
    )
    session = Audience(name="demo", role=role, scope=None, demo=True)
    st.session_state[SESSION_KEY] = session
    return session


def _login_form(path, workspace):
    st.title("ikemap ログイン")
    with st.form("ikemap_login"):
        name = st.text_input("ユーザー名 / User name")
        password = st.text_input("パスワード / Password", type="password")
        submitted = st.form_submit_button("ログイン / Log in")
    if submitted:
        try:
            result = login.attempt(path, workspace, name, password, where="app")
        except Exception as exc:  # noqa: BLE001 - a broken users file or log: say it, stay out
            st.error(f"ログインできません / cannot log in: {exc}")
            halt()
        if result.user is None:
            st.error(result.message)
            if result.locked and result.failures >= MAX_FAILURES and "ロック" not in result.message:
                minutes = login.COOLDOWN_S // 60
                st.error(
                    f"失敗が{MAX_FAILURES}回に達したため、このユーザーは{minutes}分ロックされます。"
                    f" / {MAX_FAILURES} failures: this user is locked for {minutes} min."
                )
        else:
            user = result.user
            session = Audience(name=user.name, role=user.role, scope=user.scope, demo=False)
            st.session_state[SESSION_KEY] = session
            st.rerun()
    halt()


def _sidebar(session, workspace):
    scope = "全市区町村" if session.scope is None else "、".join(session.scope)
    st.sidebar.markdown(f"**{session.name}** — {role_label(session.role)}  \n範囲: {scope}")
    if st.sidebar.button("ログアウト / Log out", key="ikemap_logout"):
        _audit(workspace, user=session.name, role=session.role, action="logout", what="app", rows=0)
        logout()
        st.rerun()


def login_gate(workspace=None, *, users_path=None):
    """Return the session of the current user; show the login form (and stop) until there is one.

    Parameters
    ----------
    workspace : path, optional
        The workspace (its folder holds ``users.toml``; its ``audit_log`` records logins).
    users_path : path, optional
        Users file (default ``$IKEMAP_USERS``, else ``users.toml`` beside the workspace).

    Returns
    -------
    gate.Audience
        ``name``, ``role`` (planner, coordinator, disaster, admin), ``scope`` (municipality
        codes or None = all) and ``demo`` (True without a users file).
    """
    path = Path(users_path) if users_path is not None else users.default_path(workspace)
    if not path.exists():
        return _demo(workspace)
    session = current_session()
    if session is None or session.demo:
        st.session_state.pop(SESSION_KEY, None)
        _login_form(path, workspace)  # halts the run until someone logs in
        session = current_session()
        if session is None:  # _login_form halts first; never run on without a session
            halt()
    _sidebar(session, workspace)
    return session


def can_see_individuals(session):
    """True when the session's role may see individual children (in its scope)."""
    return session is not None and session.role in _roles.INDIVIDUAL_ROLES


def scope_filter(frame, session, *, column="municipality_code"):
    """Rows of ``frame`` inside the session's scope (all rows for an unscoped user)."""
    return _scope_filter(frame, None if session is None else session.scope, column=column)
