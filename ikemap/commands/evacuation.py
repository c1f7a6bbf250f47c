"""`ikemap evacuation`: exposure, suitable shelter and triage call order per child."""

from __future__ import annotations


def run(args):
    """Write the evacuation table (triage order) to ``args.out`` and to the workspace."""
    from analysis import evacuation

    from ._results import load, write_csv, write_layer

    ctx = load(args)
    ev = evacuation.evacuation(
        ctx,
        hazard_level=args.hazard_level,
        hazard_type=args.hazard_type,
        disaster=getattr(args, "disaster", None),
    )
    out = write_csv(ev, args.out)
    write_layer(ctx, "evacuation", ev)
    print(
        f"Wrote {len(ev)} children in call order to {out}: {int(ev['exposed'].sum())} in a "
        f"hazard zone, {int(ev['power_dependent'].sum())} power-dependent, "
        f"{int(ev['isolated'].sum())} cut off on the hazard network."
    )
    return 0
