"""`ikemap directory`: browse and filter places; from an address, sorted by minutes."""

from __future__ import annotations


def _list(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def run(args):
    """Print (or write to ``args.out``) the places that match the filters."""
    from analysis import directory

    from ._results import load, write_csv
    from .nearby import _resolve

    if args.address:
        args.lat, args.lon = _resolve(args.address, args.workspace)
    if (args.lat is None) != (args.lon is None):
        msg = "give both --lat and --lon (or --address), or neither to browse without an address."
        raise KeyError(msg)
    if args.minutes is not None and args.lat is None:
        msg = "--minutes needs an address: give --address or --lat and --lon."
        raise KeyError(msg)
    directory.parse_needs(args.need)  # a wrong need fails before the workspace is loaded
    ctx = load(args)
    if args.placements:
        _, table = directory.placements(ctx, area_kind=args.area_kind)
    else:
        table = directory.directory(
            ctx,
            kinds=_list(args.kind),
            categories=_list(args.category),
            area_id=args.area,
            area_kind=args.area_kind,
            municipality=args.municipality,
            needs=args.need,
            care=_list(args.care),
            age=args.age,
            open_on=args.open,
            lat=args.lat,
            lon=args.lon,
            minutes=args.minutes,
            include_possible=not args.confirmed_only,
        )
    if args.out:
        out = write_csv(table, args.out)
        print(f"Wrote {len(table)} rows to {out}. No child data is read: same for every role.")
    else:
        print(table.to_csv(index=False), end="")
    return 0
