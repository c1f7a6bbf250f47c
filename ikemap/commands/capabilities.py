"""`ikemap capabilities W F`: import a capability / coverage sheet into a workspace."""

from __future__ import annotations

from pathlib import Path


def run(args):
    """Join the sheet on the workspace's facilities; exit 2 (workspace unchanged) on failure."""
    from geo.importers import capabilities
    from geo.importers.columns import parse_date
    from geo.importers.report import records_frame

    date = parse_date(args.date) if args.date else None
    report = capabilities.import_file(Path(args.workspace), args.file, source_date=date)
    print(report.summary(limit=30))
    if args.report:
        records_frame([report]).to_csv(args.report, index=False, encoding="utf-8")
        print(f"Report written to {args.report}")
    if report.failed:
        print(f"ikemap capabilities: {report.name} could not be imported; workspace unchanged.")
        return 2
    return 0
