"""`ikemap transition`: children turning 18 per area and year vs 生活介護 places (gated)."""

from __future__ import annotations


def run(args):
    """Write the projection per area (CSV, counts gated for the audience) and optionally a chart."""
    from analysis import transition

    from ._planner import display, light_context, through_gate, who
    from ._results import write_csv

    if not 1 <= args.years <= 5:
        msg = f"--years is {args.years}; expected 1 to 5."
        raise ValueError(msg)
    require = [c.strip() for c in (args.require or "").split(",") if c.strip()]
    ctx = light_context(args.workspace)
    if not len(ctx.areas):
        msg = f"Workspace {args.workspace} has no areas (圏域); import them with --areas first."
        raise KeyError(msg)
    proj, places = transition.transition(
        ctx, area_kind=args.area_kind, years=args.years, require=require
    )
    pub = transition.publication(ctx, who(args), years=args.years, threshold=args.threshold)
    shown = through_gate(
        proj.reset_index().assign(area_kind=proj.attrs["area_kind"]),
        args,
        what="transition to adulthood",
        count_columns=transition.count_columns(args.years),
        linked=pub,  # both area kinds suppressed together
    )
    out = write_csv(display(shown), args.out)
    role = who(args).role
    flagged = proj[proj["flag"] != ""]
    print(
        f"Wrote {len(proj)} areas ({proj.attrs['area_kind']}, {args.years} years) to {out} as "
        f"{role}; counts under the privacy threshold read <10. Areas where children turning 18 "
        f"exceed 生活介護 places: {', '.join(flagged['area_name']) or 'none'}."
    )
    if proj.attrs["places_unknown"]:
        print(
            f"Note: {proj.attrs['places_unknown']} of {proj.attrs['places']} 生活介護 places have "
            f"a required capability ({', '.join(require)}) unknown; they count as possible, not "
            "confirmed places. Import capabilities with `ikemap import --capabilities`."
        )
    if args.chart:
        from ui.planner_charts import transition_chart

        chart = transition_chart(transition.long_form(shown, years=args.years))
        chart.save(args.chart)
        print(f"Chart written to {args.chart}")
    return 0
