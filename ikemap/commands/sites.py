"""`ikemap sites`: suggest N new sites of a service (maximal covering, HiGHS or greedy)."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Write ``site_suggestions`` to ``args.out`` (CSV) and to the workspace."""
    import pandas as pd

    from analysis import sites
    from geo import codes

    from ._results import load, write_csv, write_layer

    if args.service not in codes.valid("service_types"):
        msg = (
            f"--service {args.service!r} is not a service code; expected one of "
            f"{sorted(codes.valid('service_types'))} (data/service_types.csv)."
        )
        raise KeyError(msg)
    if args.k < 1:
        msg = f"--k is {args.k}; give the number of new sites (1 or more)."
        raise KeyError(msg)
    profile = site_profile(args)  # bad values fail before the workspace is read
    ctx = load(args)
    cands = None
    if args.candidates:
        path = Path(args.candidates)
        if not path.exists():
            msg = f"--candidates {path} does not exist; give a CSV with lat, lon[, name]."
            raise FileNotFoundError(msg)
        cands = pd.read_csv(path, encoding="utf-8-sig")
        missing = [c for c in ("lat", "lon") if c not in cands.columns]
        if missing:
            msg = f"{path}: columns {missing} are missing; expected lat, lon and optional name."
            raise KeyError(msg)
    s = sites.suggest(
        ctx,
        service=args.service,
        k=args.k,
        candidates=cands,
        exclude_hazard_level=args.exclude_hazard_level,
        **profile,
    )
    from gate import metric, publish

    from . import _access

    who = _access.audience(args)
    out = write_csv(publish.sites(s, who), args.out, args, what="site suggestions")
    write_layer(ctx, "site_suggestions", s)
    before = metric(int(s["uncovered_before"].iloc[0]) if len(s) else 0, who, what="uncovered")
    after = metric(int(s["cumulative_covered"].iloc[-1]) if len(s) else 0, who, what="covered")
    solver = s["solver"].iloc[0] if len(s) else "-"
    what = "without a place" if profile["capacitated"] else "uncovered"
    print(
        f"New site: accepts {s['site_accepts'].iloc[0] or 'no listed care' if len(s) else '-'}, "
        f"capacity {s['site_capacity'].iloc[0] if len(s) else '-'}"
        f"{' (defaults: ' + ', '.join(s.attrs.get('defaults', [])) + ')' if len(s) else ''}."
    )
    placed = "-"
    if len(s):
        from geo import settings

        pb, pa = int(s["placed_before"].iloc[0]), int(s["placed_after"].iloc[-1])
        # after - before is the gain: a suppressed audience never gets a small one by difference
        open_ = who.unsuppressed or (who.may_see_individuals and who.scope is None)
        small_gain = 0 < pa - pb < settings.suppression_threshold
        shown_after = "hidden" if small_gain and not open_ else metric(pa, who, what="placed")
        placed = f"{metric(pb, who, what='placed')} -> {shown_after}"
    print(
        f"Wrote {len(s)} suggested sites to {out}: they newly "
        f"{'place' if profile['capacitated'] else 'cover'} {after} of {before} children {what} "
        f"({solver}); with a place: {placed}."
    )
    return 0


def site_profile(args):
    """Keyword options of ``analysis.sites.suggest`` describing a new site, checked."""
    from geo import codes

    accepts = None
    if getattr(args, "accepts", None):
        accepts = sorted({c.strip() for c in args.accepts.split(",") if c.strip()})
        valid = codes.valid("care_types")
        bad = [c for c in accepts if c not in valid]
        if bad:
            msg = (
                f"--accepts {bad} not in data/care_types.csv; expected codes from {sorted(valid)}."
            )
            raise KeyError(msg)
    cap = getattr(args, "capacity", None)
    if cap is not None and not cap >= 0:
        msg = f"--capacity is {cap}; expected places per new site (0 or more)."
        raise ValueError(msg)
    return {
        "accepts": accepts,
        "capacity": cap,
        "capacitated": bool(getattr(args, "capacitated", False)),
        "order": getattr(args, "order", None) or "travel_time",
    }
