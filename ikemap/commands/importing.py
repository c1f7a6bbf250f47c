"""`ikemap import` (not implemented yet: lands with its issue)."""

from __future__ import annotations


def run(args):
    """Run the subcommand."""
    raise NotImplementedError("ikemap import lands with its issue")
