"""`ikemap coverage`: the k nearest compatible facilities per child and service (child_access)."""

from __future__ import annotations


def run(args):
    """Write ``child_access`` to ``args.out`` (CSV) and to the workspace."""
    from analysis import coverage

    from ._results import load, write_csv, write_layer

    ctx = load(args)
    k = args.k if args.k is not None else 3
    ca = coverage.child_access(ctx, k=k)
    out = write_csv(ca, args.out, args, what="child access")  # child-level: gated, audited
    write_layer(ctx, "child_access", ca)
    first = ca[ca["rank"] == 1]
    print(
        f"Wrote {len(ca)} rows ({first['child_id'].nunique()} children, "
        f"{ca['service'].nunique()} services; {int(first['covered'].sum())} of {len(first)} "
        f"child x service pairs covered) to {out}."
    )
    return 0
