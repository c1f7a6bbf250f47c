"""`ikemap gaps`: coverage, capacity and E2SFCA per area and service, small counts suppressed."""

from __future__ import annotations


def run(args):
    """Write ``area_gaps`` to ``args.out`` (CSV) and to the workspace."""
    from analysis import gaps

    from ._results import load, write_csv, write_layer

    ctx = load(args)
    kind = args.area_kind
    if kind is not None and kind not in ctx.area_kinds():
        msg = (
            f"--area-kind {kind!r} is not in workspace {args.workspace}; its area kinds are "
            f"{ctx.area_kinds() or 'none (import areas first)'}."
        )
        raise KeyError(msg)
    g = gaps.area_gaps(ctx, area_kind=kind, threshold=getattr(args, "threshold", None))
    out = write_csv(g, args.out)
    write_layer(ctx, "area_gaps", g)
    flagged = g[g["severity"] > 0]
    print(
        f"Wrote {len(g)} area x service rows ({flagged['area_id'].nunique()} areas flagged) "
        f"to {out}; counts under the privacy threshold are suppressed."
    )
    return 0
