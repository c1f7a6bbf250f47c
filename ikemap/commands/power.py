"""`ikemap power`: minutes to the nearest power source per child (gated)."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Write nearest power sources (or the slow-restoration list) to ``--out``."""
    import gate
    from analysis import power

    from ._access import audience as who
    from ._results import load

    ctx = load(args)
    kw = {"hazard_level": args.hazard_level, "hazard_type": args.hazard_type}
    if args.slow_restoration:
        table = power.slow_restoration_list(ctx, **kw)
    else:
        table = power.nearest_power(ctx, **kw)
    table.insert(1, "municipality_code", ctx.municipality_of("children")[table.index].to_numpy())
    data = gate.export(table, who(args), fmt="csv", what="power sources", workspace=args.workspace)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"Wrote {len(table)} children with their nearest power source to {out}.")
    return 0
