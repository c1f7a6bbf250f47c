"""`ikemap audit`: print the workspace's audit log of individual-data views and exports."""

from __future__ import annotations

from analysis import audit


def run(args):
    """Run the subcommand."""
    log = audit.read(args.workspace, limit=args.limit)
    if log.empty:
        print(f"The audit log of {args.workspace} is empty.")
        return 0
    intact = audit.verify(args.workspace) if args.limit is None else None
    for row in log.itertuples(index=False):
        detail = "" if row.detail is None or row.detail != row.detail else f"  [{row.detail}]"
        print(
            f"{row.id:>6}  {row.ts}  {row.user:<16} {row.role:<12} {row.action:<12} "
            f"{row.what}  rows={row.rows}{detail}"
        )
    if intact:
        print(f"{len(log)} entries; hash chain intact.")
    return 0
