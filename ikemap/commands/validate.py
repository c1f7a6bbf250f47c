"""`ikemap validate F --kind K`: check a file against a layer schema, listing every problem."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Validate ``args.file`` as ``args.kind``; exit 0 when valid, 2 with the problem list."""
    from geo import importers

    path = Path(args.file)
    if not path.exists():
        msg = f"{path} does not exist. Give the path of the {args.kind} file to check."
        raise FileNotFoundError(msg)
    report = importers.validate_file(
        path, kind=args.kind, fmt=getattr(args, "format", None), workspace_path=args.workspace
    )
    print(report.summary())
    return 0 if report.ok else 2
