"""`ikemap nearby` (not implemented yet: lands with its issue)."""

from __future__ import annotations


def run(args):
    """Run the subcommand."""
    raise NotImplementedError("ikemap nearby lands with its issue")
