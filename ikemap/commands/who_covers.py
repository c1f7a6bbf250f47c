"""`ikemap who-covers`: the municipal window, 圏域 coordinator and centre of an address."""

from __future__ import annotations

import datetime as _dt


def run(args):
    """Print (or write to ``args.out``) who covers the address, with hours and open-now."""
    from analysis import directory

    from ._results import load, write_csv
    from .nearby import _resolve

    if args.address:
        args.lat, args.lon = _resolve(args.address, args.workspace)
    if args.lat is None or args.lon is None:
        msg = "give --address, or --lat and --lon of the address."
        raise KeyError(msg)
    when = None
    if args.when:
        try:
            when = _dt.datetime.fromisoformat(args.when)
        except ValueError:
            msg = f"--when {args.when!r}: expected a date and time such as 2025-04-07T10:00."
            raise KeyError(msg) from None
    ctx = load(args)
    table = directory.who_covers(
        ctx,
        lat=args.lat,
        lon=args.lon,
        when=when,
        holiday=args.holiday,
        area_kind=args.area_kind,
    )
    where = table.attrs.get("municipality_name") or "no municipality of the workspace"
    if args.out:
        out = write_csv(table, args.out)
        print(f"Wrote {len(table)} contacts for {where} to {out}.")
    else:
        print(table.to_csv(index=False), end="")
    print(
        f"# address in {where}; open_now at {table.attrs.get('when')} (JST). No child data is "
        "read: the same result for every role."
    )
    return 0
