"""`ikemap consultations`: import a consultation log; counts per area x month x category (gated)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

LAYER = "consultations"


def store(path, log):
    """Add ``log`` to the workspace's ``consultations`` layer, replacing rows of the same file.

    Importing the same file twice replaces its rows instead of counting them twice.
    """
    from analysis import consultations
    from geo import workspace

    old = None
    if LAYER in workspace.layers(path):
        old = pd.DataFrame(workspace.read(path, LAYER))
        old = old[~old["source_file"].isin(set(log["source_file"]))]
    frame = log if old is None or old.empty else pd.concat([old, log], ignore_index=True)
    frame = frame[list(consultations.LAYER_COLUMNS)].astype(object)
    workspace.write_layers(path, {LAYER: frame}, validate_schema=False)
    return frame


def run(args):
    """Import (optional), count, gate and write the consultation table; optional HTML chart."""
    from analysis import consultations as cons

    from ._planner import display, light_context, through_gate, who
    from ._results import write_csv

    ctx = light_context(args.workspace)
    if not len(ctx.areas):
        msg = f"Workspace {args.workspace} has no areas (圏域); import them with --areas first."
        raise KeyError(msg)
    if args.log:
        if not Path(args.log).exists():
            msg = f"--log file {args.log} does not exist."
            raise FileNotFoundError(msg)
        log, report = cons.read_log(
            args.log,
            municipalities=ctx.municipalities,
            areas=ctx.areas,
            area_members=ctx.layers["area_members"],
        )
        print(report.summary())
        for r in report.rejected[:20]:
            print(f"  row {r['row']} {r['column']} {r['value']!r}: {r['reason']}")
        if not args.no_store:
            stored = store(args.workspace, log)
            print(f"Stored {len(log)} consultations in {args.workspace} ({len(stored)} in all).")
            log = stored
    else:
        log = ctx.layers.get(LAYER)
        if log is None or not len(log):
            msg = (
                f"Workspace {args.workspace} holds no consultation log; give --log FILE "
                "(date, municipality or 圏域, category, channel)."
            )
            raise KeyError(msg)
    kind = args.area_kind or ctx.default_area_kind()
    if kind not in ctx.area_kinds():
        msg = f"--area-kind {kind!r} is not in the workspace; its kinds are {ctx.area_kinds()}."
        raise KeyError(msg)
    log = log.assign(
        area_id=cons.assign_areas(log, area_kind=kind, area_members=ctx.layers["area_members"])
    )
    areas = ctx.areas[ctx.areas["kind"] == kind]
    table = cons.counts(log, areas=areas)
    options = {"count_columns": cons.count_columns(), "threshold": args.threshold}
    shown = through_gate(table, args, what="consultations", sums=cons.sums(), by="month", **options)
    out = write_csv(display(shown), args.out)
    unassigned = int(log["area_id"].isna().sum())
    print(
        f"Wrote {len(table)} area x month rows ({kind}) to {out} as {who(args).role}; counts "
        "under the privacy threshold read <10."
        + (f" {unassigned} consultation(s) have no area of this kind." if unassigned else "")
    )
    if args.chart:
        from ui.planner_charts import consultation_chart, seasonal_heatmap

        monthly = through_gate(cons.monthly(log), args, what="consultations by month", **options)
        chart = consultation_chart(cons.long_form(monthly)) & seasonal_heatmap(
            shown.assign(count=shown["total"])
        )
        chart.save(args.chart)
        print(f"Chart written to {args.chart}")
    return 0
