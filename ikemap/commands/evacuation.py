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
        depth_min=getattr(args, "depth_min", None),
        duration_min=getattr(args, "duration_min", None),
    )
    out = write_csv(ev, args.out, args, what="evacuation call list")  # gated, audited
    if getattr(args, "ward_report", None):
        from analysis import ward_report

        full = ev
        if args.depth_min is not None or args.duration_min is not None:
            full = evacuation.evacuation(
                ctx, hazard_level=args.hazard_level, hazard_type=args.hazard_type
            )
        wr = ward_report.ward_report(ctx, city=args.city, hazard_level=args.hazard_level, evac=full)
        counts = [c for c in wr.columns if c not in ("code", "name") and not c.endswith("_mapped")]
        path = write_csv(
            wr.rename(columns={"code": "municipality_code"}),
            args.ward_report,
            args,
            what="ward report",
            count_columns=counts,
        )
        print(f"Wrote the ward report ({len(wr)} units) to {path}.")
    write_layer(ctx, "evacuation", ev)
    print(
        f"Wrote {len(ev)} children in call order to {out}: {int(ev['exposed'].sum())} in a "
        f"hazard zone, {int(ev['power_dependent'].sum())} power-dependent, "
        f"{int((ev['cut_off'] == 'in_zone').sum())} in a zone who must leave before the water, "
        f"{int((ev['cut_off'] == 'roads_cut').sum())} outside a zone but cut off by flooded roads."
    )
    return 0
