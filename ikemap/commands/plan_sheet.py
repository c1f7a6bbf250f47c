"""`ikemap plan-sheet`: individual evacuation plan sheets (A4 HTML), gated and audited."""

from __future__ import annotations

from pathlib import Path


def gated_children(ctx, who, ids, *, what, workspace):
    """The ids the audience ``who`` may see (role, scope), audited as an export; else an error."""
    import gate

    kids = ctx.children
    rows = kids[kids["child_id"].isin(ids)][["child_id"]].copy()
    rows["municipality_code"] = ctx.municipality_of("children")[rows.index].to_numpy()
    seen = gate.individuals(rows, who, what=what, workspace=workspace, action="export")
    hidden = sorted(set(ids) - set(seen["child_id"]))
    if hidden:
        msg = (
            f"child_id {hidden[:5]} lie outside your scope ({who.describe()}); "
            "ask for children of your own municipalities."
        )
        raise PermissionError(msg)
    return [i for i in ids if i in set(seen["child_id"])]


def run(args):
    """Write the plan sheets of ``--child`` ids or of ``--municipality`` to ``--out``."""
    from analysis import plan_sheet

    from ._results import load

    if not args.child and not args.municipality:
        msg = "give --child ID (repeatable) or --municipality CODE."
        raise ValueError(msg)
    ctx = load(args)
    ids = plan_sheet.children_of(ctx, municipality=args.municipality, child_ids=args.child)
    unknown = sorted(set(ids) - set(ctx.children["child_id"]))
    if unknown:
        msg = f"child_id {unknown[:5]} not in {args.workspace} (children layer)."
        raise ValueError(msg)
    from ._access import audience

    ids = gated_children(
        ctx, audience(args), ids, what="個別避難計画シート", workspace=args.workspace
    )
    html = plan_sheet.sheets_html(
        ctx, ids, hazard_level=args.hazard_level, hazard_type=args.hazard_type
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"Wrote {len(ids)} plan sheet(s) to {out} (A4; open in a browser and print).")
    return 0
