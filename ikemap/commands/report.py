"""`ikemap report` (not implemented yet: lands with its issue)."""

from __future__ import annotations


def run(args):
    """Run the subcommand."""
    raise NotImplementedError("ikemap report lands with its issue")
