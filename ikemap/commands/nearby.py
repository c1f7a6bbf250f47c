"""`ikemap nearby`: services a family at one address (or one child) can reach, by minutes."""

from __future__ import annotations


def run(args):
    """Print (or write to ``args.out``) the compatible services within reach."""
    from analysis import nearby

    from ._results import load, write_csv

    if args.compare:
        return _compare(args)
    if getattr(args, "address", None):
        args.lat, args.lon = _resolve(args.address, args.workspace)
    if args.child is None and (args.lat is None or args.lon is None):
        msg = (
            "give --address, --lat and --lon of the address, or --child with a child id (管理番号)."
        )
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
        needs=_needs(getattr(args, "need", None)),
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


def _resolve(address, workspace):
    """Resolve a 住所 offline (geo.geocode); a clear error when ambiguous or not found."""
    from geo import geocode

    hit = geocode.geocode(address, workspace=workspace)
    if hit.status == "ambiguous":
        names = ", ".join(hit.candidates["label"].head(10))
        msg = f"address {address!r} is ambiguous ({hit.reason}): {names}. Write it out in full."
        raise KeyError(msg)
    if hit.status != "found":
        msg = f"address {address!r} not found: {hit.reason}."
        raise KeyError(msg)
    if hit.note:
        print(f"# {hit.note}")
    print(f"# address resolved to {hit.label} ({hit.lat:.5f}, {hit.lon:.5f}; {hit.level})")
    return hit.lat, hit.lon


def _parse_point(text, workspace=None):
    """Parse ``LABEL:LAT,LON`` or ``LABEL:住所`` (label optional) into ``(label, (lat, lon))``."""
    label, _, coords = text.rpartition(":")
    try:
        lat, lon = (float(v) for v in coords.split(","))
    except ValueError:
        if (
            workspace is None
            or not coords.strip()
            or coords.replace(",", "").replace(".", "").strip().isdigit()
        ):
            msg = (
                f"--compare {text!r}: expected LABEL:LAT,LON with decimal degrees "
                "(e.g. --compare A:35.70,139.41) or LABEL:住所"
            )
            raise KeyError(msg) from None
        lat, lon = _resolve(coords, workspace)
    return (label or coords), (lat, lon)


def _compare(args):
    """Compare two or more candidate addresses side by side (services + hazard exposure)."""
    from analysis import nearby

    from ._results import load, write_csv

    points = dict(_parse_point(t, args.workspace) for t in args.compare)
    if len(points) < 2:
        msg = "--compare needs two or more candidate addresses (LABEL:LAT,LON), each once."
        raise KeyError(msg)
    care = [c.strip() for c in args.care.split(",") if c.strip()] if args.care else None
    ctx = load(args)
    table = nearby.compare(
        ctx,
        points,
        services=[args.service] if args.service else None,
        care=care,
        age=args.age,
        minutes=args.minutes,
        needs=_needs(getattr(args, "need", None)),
    )
    if args.out:
        out = write_csv(table.rename_axis("item").reset_index(), args.out)
        print(f"Wrote the comparison of {len(points)} addresses to {out}.")
    else:
        print(table.to_csv(), end="")
    return 0


def _needs(text):
    """``--need`` text to nearby's ``needs``: ``a,b`` for every service, ``SERVICE=a+b`` for one.

    Examples
    --------
    >>> _needs("transport,visiting_nurse=pediatric_experience+emergency_acceptance")
    {'*': ['transport'], 'visiting_nurse': ['pediatric_experience', 'emergency_acceptance']}
    """
    if not text:
        return None
    out = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        service, _, caps = item.rpartition("=")
        out.setdefault(service.strip() or "*", []).extend(
            c.strip() for c in caps.split("+") if c.strip()
        )
    return out
