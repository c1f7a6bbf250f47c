"""`ikemap routes`: evacuation routes (GeoPackage), gated and audited."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Write routes of ``--child`` / ``--municipality`` (default: in a zone or cut off)."""
    import gate
    from analysis import evacuation, routes

    from ._access import audience as who
    from ._results import load
    from .plan_sheet import gated_children

    ctx = load(args)
    ev = evacuation.evacuation(ctx, hazard_level=args.hazard_level, hazard_type=args.hazard_type)
    if args.child or args.municipality:
        from analysis import plan_sheet

        ids = plan_sheet.children_of(ctx, municipality=args.municipality, child_ids=args.child)
    else:
        ids = ev.loc[ev["exposed"] | ev["isolated"], "child_id"].tolist()
    aud = who(args)
    ids = gated_children(ctx, aud, ids, what="evacuation routes", workspace=args.workspace)
    r = routes.routes(
        ctx, ev, child_ids=ids, hazard_level=args.hazard_level, hazard_type=args.hazard_type
    )
    r = r.merge(ev[["child_id", "municipality_code"]], on="child_id", how="left")
    data = gate.export(r, aud, fmt="gpkg", what="evacuation routes", layer="evacuation_routes")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(
        f"Wrote {len(r)} route(s) to {out}: {int((r['status'] == 'ok').sum())} avoid the "
        f"hazard zones, {int(r['status'].isin(['in_zone', 'roads_cut']).sum())} cut off "
        "(normal route with the closed links)."
    )
    return 0
