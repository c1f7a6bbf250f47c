"""Shared plumbing of the analysis commands: context, CSV through the gate, result layers."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)


def load(args):
    """Build the analysis context of ``args.workspace``."""
    from analysis import context

    path = Path(args.workspace)
    if not path.exists():
        msg = (
            f"Workspace {path} does not exist. Create one with `ikemap demo --out {path}` or "
            "`ikemap import --workspace ...`."
        )
        raise FileNotFoundError(msg)
    return context.load(path)


def write_csv(frame, out, args=None, *, what=None, count_columns=None, linked=None, **options):
    """Write ``frame`` as CSV through the access gate (``_access.write_csv``); return the path.

    The audience comes from ``args`` (else the running command's): child-level tables are
    refused to a planner, scoped, pseudonymous and audited; ``count_columns`` are suppressed
    unless the role may see them; UTF-8 with BOM, formula-like cells neutralised.
    """
    from . import _access

    return _access.write_csv(
        frame,
        out,
        args,
        what=what or Path(out).stem,
        count_columns=count_columns,
        linked=linked,
        **options,
    )


def write_layer(ctx, name, frame):
    """Write a result layer back into the workspace (replacing an older one)."""
    from geo import workspace

    if ctx.path is None:
        return
    df = frame
    if "geometry" in getattr(df, "columns", []) and getattr(df, "crs", None) is None:
        df = pd.DataFrame(df).drop(columns="geometry")
    workspace.write_layers(ctx.path, {name: df}, validate_schema=False)
    logger.info("Wrote result layer %s (%d rows) to %s", name, len(df), ctx.path)
