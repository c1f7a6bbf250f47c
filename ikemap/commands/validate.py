"""`ikemap validate F --kind K [--format FMT] [--workspace W]`: run an importer, write nothing."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Print the report of ``args.file`` read as ``args.kind``; exit 2 when anything is rejected."""
    from geo import importers

    path = Path(args.file)
    if not path.exists():
        msg = f"{path} does not exist. Give the path of the {args.kind} file to check."
        raise FileNotFoundError(msg)
    report = importers.validate_file(
        path,
        kind=args.kind,
        fmt=getattr(args, "format", None),
        workspace_path=getattr(args, "workspace", None),
        address_points=getattr(args, "address_points", None),
    )
    print(report.summary())
    return 0 if report.ok else 2
