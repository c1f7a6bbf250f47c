"""App users: a small TOML file of names, roles, scopes and bcrypt password hashes.

The file never holds a plain password. Each user has a role (planner, coordinator, disaster,
admin) and an optional scope (municipality codes; none = every municipality)::

    # ikemap users (managed by `ikemap user add|remove|list`)
    [users."sato"]
    role = "coordinator"
    scope = ["01202", "01203"]
    password_hash = "$2b$12$..."

The file is found at ``$IKEMAP_USERS``, else ``users.toml`` beside the workspace. Without it the
app runs in demo mode. Writes are atomic (a temporary file then ``os.replace``) and the file is
made readable by its owner only.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "users.toml"
>>> _ = add(path, "sato", role="planner", password="correct horse", rounds=4)
>>> [u.name for u in list_users(path)]
['sato']
>>> verify(path, "sato", "correct horse").role
'planner'
>>> verify(path, "sato", "wrong") is None
True
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from geo import settings
from geo.errors import IkemapError

from .roles import ROLES

logger = logging.getLogger(__name__)

#: Environment variable naming the users file.
ENV_VAR = "IKEMAP_USERS"

#: File name looked for beside the workspace.
FILE_NAME = "users.toml"

#: bcrypt cost factor (2**12 rounds: about a quarter of a second per check).
BCRYPT_ROUNDS = 12

#: Shortest password accepted.
MIN_PASSWORD = 8

_NAME = re.compile(r"[^\x00-\x1f\x7f\"\\]{1,64}")
_MUNI = re.compile(r"\d{5}")
# a valid hash that no password matches cheaply: checked when the user is unknown, so that an
# unknown name takes as long as a wrong password
_DUMMY_HASH = bcrypt.hashpw(b"ikemap-no-such-user", bcrypt.gensalt(4))


class UsersError(IkemapError, ValueError):
    """The users file or a user command is wrong (bad role, scope, name or password)."""


@dataclass(frozen=True)
class User:
    """A user of the app: name, role, scope (tuple of municipality codes, None = all)."""

    name: str
    role: str
    scope: tuple | None = None
    password_hash: str = ""

    def __repr__(self):
        return f"User(name={self.name!r}, role={self.role!r}, scope={self.scope!r})"


def default_path(workspace=None):
    """The users file: ``$IKEMAP_USERS``, else ``users.toml`` beside the workspace.

    Parameters
    ----------
    workspace : path, optional
        The workspace GeoPackage (default :data:`geo.settings.demo_workspace`).

    Examples
    --------
    >>> import os
    >>> os.environ.pop("IKEMAP_USERS", None) and None
    >>> default_path("/data/region.gpkg").as_posix()
    '/data/users.toml'
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    workspace = Path(workspace) if workspace is not None else Path(settings.demo_workspace)
    return workspace.parent / FILE_NAME


def load(path):
    """Read the users file into a dict of name to :class:`User` (empty when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a valid users file ({exc}). Fix it or remove it and add users again."
        raise UsersError(msg) from exc
    users = {}
    problems = []
    for name, entry in (data.get("users") or {}).items():
        role = entry.get("role")
        if role not in ROLES:
            problems.append(f"user {name!r}: role is {role!r}; expected one of {', '.join(ROLES)}")
            continue
        scope = entry.get("scope")
        h = entry.get("password_hash", "")
        if not isinstance(h, str) or not h.startswith("$2"):
            problems.append(f"user {name!r}: password_hash is not a bcrypt hash")
            continue
        users[name] = User(name, role, tuple(scope) if scope else None, h)
    if problems:
        msg = f"{path}: " + "; ".join(problems) + ". Re-add these users with `ikemap user add`."
        raise UsersError(msg)
    return users


def _dump(users):
    lines = ["# ikemap users (managed by `ikemap user add|remove|list`); no plain passwords.", ""]
    for user in sorted(users.values(), key=lambda u: u.name):
        lines.append(f"[users.{json.dumps(user.name, ensure_ascii=False)}]")
        lines.append(f"role = {json.dumps(user.role)}")
        if user.scope:
            lines.append("scope = [" + ", ".join(json.dumps(s) for s in user.scope) + "]")
        lines.append(f"password_hash = {json.dumps(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def _save(path, users):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_dump(users))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def hash_password(password, *, rounds=None):
    """Return a salted bcrypt hash (str) of ``password``.

    Examples
    --------
    >>> h = hash_password("correct horse", rounds=4)
    >>> h.startswith("$2b$04$"), check_password("correct horse", h)
    (True, True)
    """
    raw = _password_bytes(password)
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds or BCRYPT_ROUNDS)).decode("ascii")


def check_password(password, password_hash):
    """True when ``password`` matches the bcrypt ``password_hash``."""
    try:
        raw = password.encode("utf-8")
        if len(raw) > 72:
            return False
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except (ValueError, AttributeError, UnicodeError):
        return False


def _password_bytes(password):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        msg = f"The password must have at least {MIN_PASSWORD} characters."
        raise UsersError(msg)
    raw = password.encode("utf-8")
    if len(raw) > 72:
        msg = "The password is longer than 72 bytes (bcrypt's limit); choose a shorter one."
        raise UsersError(msg)
    return raw


def _check_scope(scope):
    if scope is None:
        return None
    if isinstance(scope, str):
        scope = [s.strip() for s in scope.split(",") if s.strip()]
    scope = tuple(str(s) for s in scope)
    bad = [s for s in scope if not _MUNI.fullmatch(s)]
    if bad:
        msg = (
            f"Scope {', '.join(bad)} is not a 5-digit municipality code (N03_007, e.g. 13202); "
            "give codes separated by commas."
        )
        raise UsersError(msg)
    return scope or None


def add(path, name, *, role, password, scope=None, rounds=None):
    """Add a user (or replace one of the same name) and return it.

    Parameters
    ----------
    path : path
        The users file (created if missing).
    name : str
        User name (1-64 characters, no quotes, backslashes or control characters).
    role : str
        planner, coordinator, disaster or admin.
    password : str
        At least 8 characters; only its bcrypt hash is stored.
    scope : list of str or str, optional
        Municipality codes (list or comma-separated); None = every municipality.
    rounds : int, optional
        bcrypt cost (default :data:`BCRYPT_ROUNDS`; tests use 4).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "users.toml"
    >>> add(path, "ito", role="disaster", password="tsunami-2011", scope="04202", rounds=4)
    User(name='ito', role='disaster', scope=('04202',))
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or not name.strip():
        msg = (
            f"User name {name!r} is not valid: use 1-64 characters without quotes, "
            "backslashes or control characters."
        )
        raise UsersError(msg)
    if role not in ROLES:
        msg = f"Role {role!r} is not valid; expected one of {', '.join(ROLES)}."
        raise UsersError(msg)
    scope = _check_scope(scope)
    users = load(path)
    user = User(name, role, scope, hash_password(password, rounds=rounds))
    users[name] = user
    _save(path, users)
    logger.info("User %s (%s) saved to %s", name, role, path)
    return user


def remove(path, name):
    """Remove a user; raises :class:`UsersError` when there is no such user."""
    users = load(path)
    if name not in users:
        msg = f"{path}: there is no user {name!r} (users: {', '.join(sorted(users)) or 'none'})."
        raise UsersError(msg)
    del users[name]
    _save(path, users)
    logger.info("User %s removed from %s", name, path)


def list_users(path):
    """The users of the file, sorted by name (hashes included; never print them)."""
    return sorted(load(path).values(), key=lambda u: u.name)


def verify(path_or_users, name, password):
    """Return the :class:`User` when ``name`` and ``password`` match, else None.

    An unknown name costs as much time as a wrong password (a dummy bcrypt check).
    """
    users = path_or_users if isinstance(path_or_users, dict) else load(path_or_users)
    user = users.get(name)
    if user is None:
        check_password(password or "", _DUMMY_HASH.decode("ascii"))
        return None
    return user if check_password(password or "", user.password_hash) else None
