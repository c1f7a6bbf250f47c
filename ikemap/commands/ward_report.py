"""`ikemap ward-report`: children at risk per ward (counts through the gate)."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Write the ward report of ``--city`` (or every municipality) to ``--out``."""
    import gate
    from analysis import ward_report

    from ._access import audience as who
    from ._results import load

    ctx = load(args)
    table = ward_report.ward_report(ctx, city=args.city, hazard_level=args.hazard_level)
    counts = [c for c in table.columns if c not in ("code", "name") and not c.endswith("_mapped")]
    data = gate.export(
        table.rename(columns={"code": "municipality_code"}),
        who(args),
        fmt="csv",
        what="ward report",
        workspace=args.workspace,
        count_columns=counts,
        threshold=args.threshold,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"Wrote the ward report ({len(table)} units) to {out}.")
    return 0
