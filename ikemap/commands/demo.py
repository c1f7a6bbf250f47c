"""`ikemap demo`: write the fictional デモ県 workspace."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def run(args):
    """Build the demo for ``args.seed`` and ``args.size`` and write it to ``args.out``."""
    from geo import demo

    path = demo.write(args.out, seed=args.seed, size=args.size)
    print(f"Wrote demo workspace {path} (seed {args.seed}, size {args.size}).")
    return 0
