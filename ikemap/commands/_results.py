"""Shared plumbing of the analysis commands: load a context, write CSV and result layers."""

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


def write_csv(frame, out):
    """Write ``frame`` as UTF-8 CSV with a header (no geometry, no index)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(frame)
    if "geometry" in df.columns:
        df = df.drop(columns="geometry")
    df.to_csv(out, index=False, encoding="utf-8")
    return out


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
