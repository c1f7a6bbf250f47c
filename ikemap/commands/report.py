"""`ikemap report`: an Excel workbook or an HTML summary of every analysis."""

from __future__ import annotations


def run(args):
    """Write ``args.out`` (.xlsx or .html)."""
    from pathlib import Path

    from analysis import report

    from ._results import load

    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".html", ".htm"):
        msg = f"--out {out}: expected a file ending in .xlsx (Excel) or .html (summary)."
        raise KeyError(msg)
    ctx = load(args)
    path = report.write(ctx, out)
    print(f"Wrote {path}.")
    return 0
