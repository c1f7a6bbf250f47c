"""`ikemap report`: an Excel workbook or an HTML summary of every analysis, through the gate."""

from __future__ import annotations


def run(args):
    """Write ``args.out`` (.xlsx or .html) for the command's audience (--user / --role)."""
    from pathlib import Path

    from analysis import report

    from . import _access
    from ._results import load

    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".html", ".htm"):
        msg = f"--out {out}: expected a file ending in .xlsx (Excel) or .html (summary)."
        raise KeyError(msg)
    who = _access.audience(args)
    ctx = load(args)
    path = report.write(ctx, out, who=who, workspace=args.workspace)
    print(f"Wrote {path} for the {who.role} role.")
    return 0
