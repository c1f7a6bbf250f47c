"""Logins that hold: failures counted per user (not per browser session), lockout, audit.

Failed attempts are kept per user name in a small file beside the users file
(``users.toml.attempts.json``, mode 0600, written atomically under a lock), so a new browser
session, a second tab or the command line see the same count. After :data:`MAX_FAILURES`
failures within :data:`COOLDOWN_S` the user is locked until :data:`COOLDOWN_S` after the last
failure; a successful login clears the count. Every attempt — success, failure, and an attempt
refused because of the lock — is appended to the workspace's audit log.

Examples
--------
>>> import tempfile, pathlib
>>> from gate import users
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = users.add(d / "users.toml", "sato", role="planner", password="correct horse", rounds=4)
>>> r = attempt(d / "users.toml", None, "sato", "wrong", now=1000.0)
>>> r.user is None, r.locked
(True, False)
>>> for i in range(5):
...     r = attempt(d / "users.toml", None, "sato", "wrong", now=1001.0 + i)
>>> r.locked, attempt(d / "users.toml", None, "sato", "correct horse", now=1010.0).locked
(True, True)
>>> attempt(d / "users.toml", None, "sato", "correct horse", now=1005.0 + COOLDOWN_S).user.name
'sato'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import users as _users

logger = logging.getLogger(__name__)

#: Failures within the cool-down window that lock a user.
MAX_FAILURES = 5

#: Seconds a locked user waits after the last failure (15 minutes).
COOLDOWN_S = 15 * 60

SUFFIX = ".attempts.json"


@dataclass(frozen=True)
class Result:
    """Outcome of a login attempt: the user (None on failure), lock state, message."""

    user: object
    locked: bool
    locked_until: float | None
    failures: int
    message: str


def state_path(users_path):
    """The per-user attempt counter file beside the users file."""
    p = Path(users_path)
    return p.with_name(p.name + SUFFIX)


@contextlib.contextmanager
def _locked_state(users_path):
    path = state_path(users_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                logger.warning("%s is unreadable; counting failed logins from zero", path)
                state = {}
            yield state
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(state, fh)
                os.chmod(tmp, 0o600)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recent(entry, now):
    return [t for t in entry.get("failures", []) if now - t < COOLDOWN_S]


def status(users_path, name, *, now=None):
    """``(locked, locked_until, failures)`` of a user name right now (no attempt made)."""
    now = time.time() if now is None else now
    path = state_path(users_path)
    try:
        state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        state = {}
    fails = _recent(state.get(str(name), {}), now)
    if len(fails) >= MAX_FAILURES:
        return True, max(fails) + COOLDOWN_S, len(fails)
    return False, None, len(fails)


def _record(workspace, **entry):
    if workspace is None or not Path(workspace).exists():
        return
    from . import audit

    audit.record(workspace, **entry)


def attempt(users_path, workspace, name, password, *, now=None, where="app"):
    """Check one login attempt; count failures per user; audit every attempt.

    Parameters
    ----------
    users_path : path
        The users file.
    workspace : path or None
        Workspace whose audit log records the attempt (``login``, ``login_failed``,
        ``login_locked``).
    name, password : str
    now : float, optional
        Time (epoch seconds), for tests.
    where : str
        ``"app"`` or ``"cli"`` (audit log ``what``).

    Returns
    -------
    Result
    """
    now = time.time() if now is None else now
    name = str(name or "")
    with _locked_state(users_path) as state:
        entry = state.setdefault(name or "?", {})
        fails = _recent(entry, now)
        if len(fails) >= MAX_FAILURES:
            until = max(fails) + COOLDOWN_S
            entry["failures"] = fails
            _record(
                workspace,
                user=name or "?",
                role="-",
                action="login_locked",
                what=where,
                rows=0,
                detail=f"locked until {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(until))}",
            )
            minutes = max(1, int((until - now + 59) // 60))
            msg = (
                f"ログインに {len(fails)} 回続けて失敗したため、このユーザーは約{minutes}分ロック"
                f"されています。 / User locked after {len(fails)} failed logins; try again in "
                f"about {minutes} min or ask an admin."
            )
            return Result(None, True, until, len(fails), msg)
        user = _users.verify(users_path, name, password)
        if user is None:
            fails.append(now)
            entry["failures"] = fails
            locked = len(fails) >= MAX_FAILURES
            _record(
                workspace,
                user=name or "?",
                role="-",
                action="login_failed",
                what=where,
                rows=0,
                detail=f"failure {len(fails)} of {MAX_FAILURES}",
            )
            msg = "ユーザー名またはパスワードが違います。 / Wrong user name or password."
            until = max(fails) + COOLDOWN_S if locked else None
            return Result(None, locked, until, len(fails), msg)
        entry["failures"] = []
        _record(workspace, user=user.name, role=user.role, action="login", what=where, rows=0)
        return Result(user, False, None, 0, "")
