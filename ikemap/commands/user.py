"""`ikemap user add|remove|list`: manage the app's users file (bcrypt hashes, never passwords)."""

from __future__ import annotations

import getpass
import sys

from analysis import users
from geo.errors import IkemapError


def _password(args):
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        msg = (
            "No terminal to ask for the password: pass it on standard input with --password-stdin."
        )
        raise IkemapError(msg)
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Repeat password: ")
    if first != second:
        msg = "The two passwords differ; run the command again."
        raise IkemapError(msg)
    return first


def run(args):
    """Run the subcommand."""
    path = users.default_path() if args.users is None else args.users
    if args.action == "list":
        found = users.list_users(path)
        if not found:
            print(f"No users in {path} (the app runs in demo mode without a users file).")
            return 0
        print(f"{'name':<20} {'role':<12} scope")
        for u in found:
            scope = ",".join(u.scope) if u.scope else "all"
            print(f"{u.name:<20} {u.role:<12} {scope}")
        return 0
    if not args.name:
        msg = f"ikemap user {args.action} needs a user name, e.g. `ikemap user {args.action} sato`."
        raise IkemapError(msg)
    if args.action == "remove":
        users.remove(path, args.name)
        print(f"Removed user {args.name} from {path}.")
        return 0
    if not args.role:
        msg = "ikemap user add needs --role planner|coordinator|disaster|admin."
        raise IkemapError(msg)
    user = users.add(path, args.name, role=args.role, password=_password(args), scope=args.scope)
    scope = ",".join(user.scope) if user.scope else "all municipalities"
    print(f"Saved user {user.name} ({user.role}, scope: {scope}) to {path}.")
    return 0
