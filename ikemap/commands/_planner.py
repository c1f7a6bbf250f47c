"""Plumbing shared by the planner-tool commands: a layers-only context, the audience, the gate."""

from __future__ import annotations

import logging
from pathlib import Path

from . import _access

logger = logging.getLogger(__name__)


def light_context(path):
    """A :class:`analysis.context.Context` with the layers only (no road network, no snapping).

    Transition and consultation counts need areas and points, not travel times; reading the
    layers alone keeps these commands quick on a prefecture-size workspace.
    """
    from analysis import context
    from geo import workspace

    path = Path(path)
    if not path.exists():
        msg = (
            f"Workspace {path} does not exist. Create one with `ikemap demo --out {path}` or "
            "`ikemap import --workspace ...`."
        )
        raise FileNotFoundError(msg)
    names = [*workspace.INPUT_LAYERS, "facility_capabilities", "consultations"]
    names = [n for n in names if not n.startswith("roads_")]
    got = workspace.read_all(path, names=names)
    layers = {name: got.get(name, context._empty(name)) for name in context.LAYERS}
    for extra in ("facility_capabilities", "consultations"):
        if extra in got:
            layers[extra] = got[extra]
    return context.Context(layers=layers, net=None, snaps={}, path=path)


def who(args):
    """The :class:`gate.Audience` the command acts as (:func:`ikemap.commands._access.audience`).

    ``--user NAME`` logs in with the password from ``$IKEMAP_PASSWORD`` (lockout and audit as in
    the app); else ``--role`` / ``$IKEMAP_ROLE`` / the command's stated default, with ``--scope``.
    """
    return _access.audience(args)


def through_gate(frame, args, *, what, count_columns=None, **options):
    """Pass an output through the access gate for the command's audience.

    Small cells are hidden for planners; child rows are refused to planners and scoped for
    coordinators; child-level exports are audited.
    """
    import gate

    return gate.table(
        frame,
        who(args),
        what=what,
        count_columns=count_columns,
        workspace=getattr(args, "workspace", None),
        action="export",
        **options,
    )


def display(frame):
    """The gated table as text: 「<10」 for hidden counts 1-9, 「秘匿」 for complementary ones."""
    import gate

    return gate.display(frame)
