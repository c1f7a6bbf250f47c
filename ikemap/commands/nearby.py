"""`ikemap nearby`: services a family at one address (or one child) can reach, by minutes."""

from __future__ import annotations


def run(args):
    """Print (or write to ``args.out``) the compatible services within reach."""
    from analysis import nearby

    from ._results import load, write_csv

    if args.child is None and (args.lat is None or args.lon is None):
        msg = "give --lat and --lon of the address, or --child with a child id (管理番号)."
        raise KeyError(msg)
    care = [c.strip() for c in args.care.split(",") if c.strip()] if args.care else None
    ctx = load(args)
    r = nearby.nearby(
        ctx,
        lat=args.lat,
        lon=args.lon,
        child_id=args.child,
        service=args.service,
        care=care,
        age=args.age,
        minutes=args.minutes,
    )
    ex = r.attrs.get("exposure", {})
    hz = [
        k[: -len("_level")]
        for k, v in ex.items()
        if k.endswith("_level") and k != "max_level" and v
    ]
    if args.out:
        out = write_csv(r, args.out)
        print(f"Wrote {len(r)} facilities to {out}.")
    else:
        print(r.to_csv(index=False), end="")
    print(f"# hazard zones at this address: {', '.join(hz) if hz else 'none'}")
    return 0
