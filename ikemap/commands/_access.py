"""Who a command acts as, and writing its outputs through the access gate.

Every subcommand (but ``user``) accepts:

``--user NAME``
    Act as an app user: role and scope from the users file (``--users``, else
    ``$IKEMAP_USERS``, else ``users.toml`` beside the workspace); the password is read from the
    environment variable ``IKEMAP_PASSWORD`` — the command never prompts. The attempt counts
    towards the user's lockout and is audited, like an app login.
``--role ROLE`` [``--scope CODES``]
    Act with a stated operator role (planner, coordinator, disaster, admin), optionally limited
    to municipalities. Default: ``$IKEMAP_ROLE``, else the command's own default (planner for
    the analysis commands: the least access).

Outputs pass :mod:`gate`: child-level CSVs are refused to a planner, limited to the scope,
pseudonymous, formula-neutralised and audited; counts are suppressed unless the role may see
them.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

#: Environment variables: password of ``--user``, default role.
PASSWORD_ENV = "IKEMAP_PASSWORD"
ROLE_ENV = "IKEMAP_ROLE"

#: The arguments of the command now running (set by ``ikemap.cli.main``).
CURRENT = None


def use(args):
    """Remember the running command's arguments (writers without ``args`` use them)."""
    global CURRENT
    CURRENT = args


def add_arguments(parser, *, default_role="planner"):
    """Add ``--user``, ``--role``, ``--scope``, ``--users`` to a subcommand parser."""
    from gate import ROLES

    parser.add_argument(
        "--user", help=f"act as this app user (password from ${PASSWORD_ENV}; never prompts)"
    )
    parser.add_argument(
        "--role",
        choices=list(ROLES),
        help=f"act with this stated role when no --user is given (default ${ROLE_ENV}, "
        f"else {default_role})",
    )
    parser.add_argument(
        "--scope", help="municipality codes the role is limited to, comma separated"
    )
    parser.add_argument("--users", help="users file (default: users.toml beside the workspace)")
    parser.set_defaults(default_role=default_role)


def add_to_all(subparsers, *, skip=("user",)):
    """Add the audience arguments to every subcommand that does not have them yet."""
    for name, parser in subparsers.choices.items():
        if name in skip or "--user" in parser._option_string_actions:
            continue
        add_arguments(parser)


def audience(args=None):
    """The :class:`gate.Audience` the command acts as (see the module docstring).

    Raises
    ------
    PermissionError
        ``--user`` without ``$IKEMAP_PASSWORD``, a wrong password, or a locked user.
    """
    import gate

    args = args if args is not None else CURRENT
    user = getattr(args, "user", None) if args is not None else None
    workspace = getattr(args, "workspace", None) if args is not None else None
    if user:
        if getattr(args, "role", None):
            msg = "Give --user NAME or --role ROLE, not both (a user's role is in the users file)."
            raise PermissionError(msg)
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            msg = (
                f"--user {user}: set the password in the environment variable {PASSWORD_ENV} "
                "(the command never prompts), or act with a stated role: --role ROLE."
            )
            raise PermissionError(msg)
        from gate import login
        from gate import users as users_mod

        path = Path(getattr(args, "users", None) or users_mod.default_path(workspace))
        if not path.exists():
            msg = f"--user {user}: there is no users file {path}; add users with `ikemap user add`."
            raise PermissionError(msg)
        ws = workspace if workspace is not None and Path(workspace).exists() else None
        result = login.attempt(path, ws, user, password, where="cli")
        if result.user is None:
            raise PermissionError(f"--user {user}: {result.message}")
        return gate.audience(result.user)
    role = (getattr(args, "role", None) if args is not None else None) or os.environ.get(ROLE_ENV)
    role = role or (getattr(args, "default_role", None) if args is not None else None) or "planner"
    scope = getattr(args, "scope", None) if args is not None else None
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        name = "?"
    return gate.audience(role, scope=scope, user=f"cli:{name}")


def refusal_hint(exc):
    """The gate's refusal with how to state a role on the command line."""
    return (
        f"{exc} On the command line, act as a user with --user NAME (password in "
        f"${PASSWORD_ENV}) or state your role with --role coordinator|disaster|admin."
    )


def write_csv(frame, out, args=None, *, what, count_columns=None, linked=None, **options):
    """Write ``frame`` as CSV through the gate (the one export function) and return the path.

    Child-level tables: refused to a planner, scoped, pseudonymous, audited as an export in the
    workspace. Aggregates: ``count_columns`` suppressed unless the audience may see them.
    UTF-8 with BOM; formula-like cells neutralised.
    """
    import pandas as pd

    import gate

    args = args if args is not None else CURRENT
    who = audience(args)
    if "geometry" in getattr(frame, "columns", ()):  # CSVs carry no geometry (homes stay home)
        frame = pd.DataFrame(frame).drop(columns="geometry")
    workspace = getattr(args, "workspace", None) if args is not None else None
    if workspace is not None and not Path(workspace).exists():
        workspace = None
    try:
        data = gate.export(
            frame,
            who,
            fmt="csv",
            what=what,
            workspace=workspace,
            count_columns=count_columns,
            linked=linked,
            **options,
        )
    except gate.AccessDenied as exc:
        raise gate.AccessDenied(refusal_hint(exc)) from exc
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out
