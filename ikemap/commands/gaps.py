"""`ikemap gaps`: coverage, capacity and E2SFCA per area and service, small counts suppressed."""

from __future__ import annotations


def run(args):
    """Write ``area_gaps`` to ``args.out`` (CSV) and to the workspace."""
    from analysis import gaps
    from gate import publish
    from geo import codes

    from . import _access
    from ._results import load, write_csv, write_layer

    opts = gap_options(args)  # bad values fail before the workspace is read
    ctx = load(args)
    if opts["thresholds"] is not None and opts["services"] is None:
        fac = ctx.facilities
        minutes = next(iter(opts["thresholds"].values()), None)
        every = codes.analysed(fac["service"].tolist()) if len(fac) else []
        opts["thresholds"] = dict.fromkeys(every, minutes)
    kind = args.area_kind
    if kind is not None and kind not in ctx.area_kinds():
        msg = (
            f"--area-kind {kind!r} is not in workspace {args.workspace}; its area kinds are "
            f"{ctx.area_kinds() or 'none (import areas first)'}."
        )
        raise KeyError(msg)
    g = gaps.area_gaps(ctx, area_kind=kind, **opts)
    who = _access.audience(args)
    pub = None
    if not who.unsuppressed and not (who.may_see_individuals and who.scope is None) and len(g):
        # both area kinds, the breakdowns and the related counts, protected together
        pub = publish.gaps(
            ctx,
            services=list(dict.fromkeys(g["service"])),
            thresholds=opts["thresholds"],
            who=who,
            threshold=getattr(args, "threshold", None),
            age_band=opts["age_band"],
            care=opts["care"],
            order=opts["order"],
            children_per_place=opts["children_per_place"],
            exact=opts["exact"],
        )
    out = write_csv(g, args.out, args, what="area gaps", linked=pub)
    write_layer(ctx, "area_gaps", g)
    flagged = g[g["severity"] > 0]
    print(parameter_line(g))
    hidden = (
        f"counts 1-{pub.threshold - 1} and their complements hidden for the {who.role} role"
        if pub is not None
        else f"counts as they are for the {who.role} role"
    )
    print(
        f"Wrote {len(g)} area x service rows ({flagged['area_id'].nunique()} areas flagged) "
        f"to {out}; {hidden}."
    )
    return 0


def gap_options(args):
    """Keyword options of ``analysis.gaps.area_gaps`` from the ``ikemap gaps`` arguments.

    Every value is checked here so a bad one fails before the travel engine runs.
    """
    from analysis import gaps
    from geo import codes

    services = None
    if getattr(args, "service", None):
        services = [s.strip() for s in args.service.split(",") if s.strip()]
        known = codes.valid("service_types")
        bad = [s for s in services if s not in known]
        if bad:
            msg = (
                f"--service {bad} not in data/service_types.csv; expected codes from "
                f"{sorted(known)}."
            )
            raise KeyError(msg)
    minutes = getattr(args, "minutes", None)
    thresholds = None
    if minutes is not None:
        if not 0 < minutes <= 24 * 60:
            msg = f"--minutes is {minutes:g}; expected a travel time above 0 and up to 1440."
            raise ValueError(msg)
        # every service of the workspace when --service is not given (filled in by run)
        thresholds = dict.fromkeys(services or ["*"], float(minutes))
    cpp = getattr(args, "children_per_place", 1.0)
    if cpp is None or not cpp > 0:
        msg = f"--children-per-place is {cpp}; expected a positive number (1 = one per place)."
        raise ValueError(msg)
    opts = {
        "services": services,
        "thresholds": thresholds,
        "max_outside_pct": gaps.outside_limit(
            max_outside_pct=getattr(args, "max_outside_pct", None)
        ),
        "age_band": gaps.parse_age_band(getattr(args, "age_band", None)),
        "care": gaps.parse_care(getattr(args, "care", None)),
        "order": getattr(args, "order", "travel_time") or "travel_time",
        "children_per_place": float(cpp),
        "exact": bool(getattr(args, "exact", False)),
    }
    return opts


def parameter_line(g):
    """One line naming the gap parameters a table was computed with (``attrs["parameters"]``)."""
    p = g.attrs.get("parameters") or {}
    thr = p.get("threshold_min") or {}
    mins = sorted({f"{v:g}" for v in thr.values()})
    return (
        f"Parameters: threshold {'/'.join(mins) or '-'} min, N = {p.get('max_outside_pct', 20):g}% "
        f"outside, ages {p.get('age_band', 'all')}, care {p.get('care_filter') or 'all'}, "
        f"capacity order {p.get('order', 'travel_time')}, "
        f"{p.get('children_per_place', 1.0):g} child(ren) per place."
    )
