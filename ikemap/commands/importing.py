"""`ikemap import --workspace W.gpkg [--boundaries F] [--areas F]... [--roads F] ...`."""

from __future__ import annotations

from pathlib import Path

#: Rejections printed per file (all of them go to --report).
PRINT_LIMIT = 30


def run(args):
    """Import the given files into the workspace; exit 2 (workspace unchanged) when one fails."""
    from geo.importers import region
    from geo.importers.report import records_frame

    files = {
        "boundaries_path": args.boundaries,
        "area_paths": args.areas or [],
        "roads_path": args.roads,
        "clip_roads": bool(args.clip),
        "facility_paths": args.facilities or [],
        "facility_formats": args.format or [],
        "capability_paths": [args.capabilities] if args.capabilities else [],
        "shelter_paths": args.shelters or [],
        "hazard_paths": args.hazards or [],
        "hazard_layouts": args.hazard_layout or [],
        "children_path": args.children,
        "address_points": args.address_points,
    }
    from . import child_sources

    stop = child_sources.before_import(args, files)  # --source lists; never replace silently
    if stop is not None:
        return stop
    given = [k for k, v in files.items() if v and k not in ("clip_roads",)]
    if not [k for k in given if k not in ("facility_formats", "hazard_layouts")]:
        print(
            "ikemap import: nothing to import. Give at least one of --boundaries, --areas, "
            "--roads, --facilities, --capabilities, --shelters, --hazards, --children, "
            "--address-points."
        )
        return 2
    if len(files["facility_formats"]) > len(files["facility_paths"]):
        print("ikemap import: more --format values than --facilities files.")
        return 2
    result = region.import_region(
        Path(args.workspace),
        cascade=bool(getattr(args, "cascade", False)),
        replace_all_areas=bool(getattr(args, "replace_all_areas", False)),
        **files,
    )
    for rep in result.reports:
        print(rep.summary(limit=PRINT_LIMIT))
    if args.report:
        records_frame(result.reports).to_csv(args.report, index=False, encoding="utf-8")
        print(f"Report written to {args.report}")
    if result.failed:
        bad = ", ".join(r.name for r in result.reports if r.failed)
        print(
            f"ikemap import: {bad} could not be imported (see ERROR above); "
            f"{args.workspace} was left unchanged."
        )
        return 2
    layers = ", ".join(sorted(k for k in result.layers if not k.startswith("import_")))
    print(f"Wrote {layers} to {args.workspace}")
    return 0
