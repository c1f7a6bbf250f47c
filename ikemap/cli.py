"""Command line of ikemap (the stable interface of DESIGN.md).

Each subcommand lives in ``ikemap/commands/<name>.py`` with a ``run(args)`` function, imported
only when that subcommand runs so that ``ikemap --help`` stays fast. Errors that a user can fix
(:class:`geo.errors.IkemapError`, missing files) print one paragraph and exit with status 2; an
unexpected failure prints one line and exits with status 1 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import textwrap

from . import __version__
from .commands import _access, directory_args, disaster_args, planner_args

EXIT_USAGE = 2

_COMMANDS = {
    "demo": "Generate the fictional demo prefecture (デモ県) workspace.",
    "import": "Import real files (boundaries, 圏域, roads, facilities, shelters, hazards, children).",  # noqa: E501
    "validate": "Check a file against the schema of a layer kind and list every problem.",
    "coverage": "Travel time from every child to the nearest compatible facilities (child_access).",
    "gaps": "Coverage, capacity and E2SFCA accessibility per area (area_gaps).",
    "evacuation": "Hazard exposure, suitable shelters and triage call order (evacuation).",
    "sites": "Suggest new sites that would cover the most uncovered children.",
    "nearby": "Services reachable from one address or child, for coordinators.",
    "report": "Excel workbook or HTML summary of every analysis.",
    "user": "Manage app users (add, remove, list).",
    "audit": "Print the audit log of individual-data views and exports.",
    "app": "Serve the app on 127.0.0.1 with XSRF protection (from any folder).",
    "transition": "Children turning 18 per area vs adult day places (生活介護) by year.",
    "subsidy": "Subsidy a planned or suggested site would receive (rules from a data file).",
    "reconcile": "Reconcile child lists from several sources; per-municipality return files.",
    "consultations": "Import a consultation log; counts per area x month x category.",
}


def _add_site_profile(p):
    """What a new site would be (analysis.sites.suggest): care, capacity, capacitated MCLP."""
    p.add_argument(
        "--accepts",
        help="care codes a new site would accept, comma-separated (default: every code for a "
        "medical service, else the commonest of the service's facilities)",
    )
    p.add_argument(
        "--capacity", type=float, default=None, help="places per new site (default: median)"
    )
    p.add_argument(
        "--capacitated",
        action="store_true",
        help="demand = children without a place today; each site takes at most --capacity",
    )
    p.add_argument("--order", choices=["travel_time", "need"], default="travel_time")


def _add_gap_parameters(p):
    """Gap parameters of ``ikemap gaps`` (analysis.gaps.area_gaps; written into the output)."""
    p.add_argument("--service", help="service codes, comma-separated (default: every service)")
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="coverage threshold in minutes (default: "
        "each service's threshold_min in data/service_types.csv)",
    )
    p.add_argument(
        "--max-outside-pct",
        type=float,
        default=None,
        help="N: flag areas where more than N%% of children are outside the threshold (or "
        "without a place); default 20",
    )
    p.add_argument("--age-band", default=None, help="count only these ages: 0-5, 6-11, 18+, all")
    p.add_argument(
        "--care",
        default=None,
        help="count only children needing any of these care "
        "codes, comma-separated (data/care_types.csv)",
    )
    p.add_argument(
        "--order",
        choices=["travel_time", "need"],
        default="travel_time",
        help="capacity assignment order: nearest first, or high need first",
    )
    p.add_argument(
        "--children-per-place",
        type=float,
        default=1.0,
        help="children one place serves (default 1)",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="exact within lists (one search per facility) where the engine caps them",
    )


def _add_workspace(p, *, required=True):
    p.add_argument("--workspace", "-w", required=required, help="workspace GeoPackage (.gpkg)")


def build_parser():
    """Return the argparse parser of the ``ikemap`` command."""
    parser = argparse.ArgumentParser(
        prog="ikemap",
        description=(
            "ikemap: services and disaster risk for children who need medical care at home "
            "(医療的ケア児). Every command reads and writes one workspace GeoPackage."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ikemap {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--quiet", "-q", action="store_true", help="print warnings only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help=_COMMANDS["demo"], description=_COMMANDS["demo"])
    p.add_argument("--out", required=True, help="workspace to write (.gpkg)")
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same layers)")
    p.add_argument("--size", choices=["small", "prefecture"], default="small")

    p = sub.add_parser("import", help=_COMMANDS["import"], description=_COMMANDS["import"])
    _add_workspace(p)
    p.add_argument("--boundaries", help="N03 GeoJSON/Shapefile of municipalities")
    p.add_argument("--areas", action="append", help="CSV municipality code -> 圏域 (repeatable)")
    p.add_argument("--roads", help="road network (.osm, .osm.pbf, .graphml)")
    p.add_argument("--clip", action="store_true", help="clip roads to the region's boundaries")
    p.add_argument("--facilities", action="append", help="facility file (repeatable)")
    p.add_argument(
        "--format",
        action="append",
        choices=["wam", "kaigo", "generic", "capabilities"],
        help="format of each --facilities file, in order",
    )
    p.add_argument("--capabilities", help="generic CSV of capability columns joined on 事業所番号")
    p.add_argument("--shelters", action="append", help="GSI shelter GeoJSON/CSV (repeatable)")
    p.add_argument("--hazards", action="append", help="hazard polygons (repeatable)")
    p.add_argument("--hazard-layout", action="append", help="layout of each --hazards file")
    p.add_argument("--children", help="child register CSV")
    p.add_argument("--source", help="store --children as this named source list (reconcile)")
    p.add_argument("--replace-children", action="store_true", help="replace the children layer")
    p.add_argument(
        "--address-points",
        help="位置参照情報 CSV: resolves register addresses, kept for the app's address search",
    )
    p.add_argument("--report", help="write the validation report to this CSV")
    p.add_argument(
        "--cascade",
        action="store_true",
        help="new boundaries: relocate/remove rows that point at municipalities that are gone",
    )
    p.add_argument(
        "--replace-all-areas",
        action="store_true",
        help="--areas replaces every area kind (default: only the kinds in the files)",
    )

    p = sub.add_parser("validate", help=_COMMANDS["validate"], description=_COMMANDS["validate"])
    p.add_argument("file", help="file to check")
    p.add_argument(
        "--kind",
        required=True,
        choices=["facilities", "children", "shelters", "hazards", "areas", "boundaries"],
    )
    p.add_argument("--format", help="source format for facilities (wam, kaigo, generic)")
    p.add_argument("--workspace", "-w", help="workspace with municipalities (for area checks)")
    p.add_argument("--address-points", help="位置参照情報 CSV to resolve register addresses")

    p = sub.add_parser("coverage", help=_COMMANDS["coverage"], description=_COMMANDS["coverage"])
    _add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write (child_access)")
    p.add_argument("--k", type=int, default=None, help="nearest facilities per service (default 3)")

    p = sub.add_parser("gaps", help=_COMMANDS["gaps"], description=_COMMANDS["gaps"])
    _add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write (area_gaps)")
    p.add_argument("--area-kind", help="area kind (default: the first in the workspace)")
    p.add_argument("--threshold", type=int, default=None, help="suppress counts below this")
    _add_gap_parameters(p)

    p = sub.add_parser(
        "evacuation", help=_COMMANDS["evacuation"], description=_COMMANDS["evacuation"]
    )
    _add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write (evacuation call list)")
    p.add_argument("--hazard-level", type=int, default=None, help="level that closes roads")
    p.add_argument("--hazard-type", default=None, help="hazard type of the road scenario")
    p.add_argument(
        "--disaster",
        default=None,
        help="triage rows of data/triage.csv to use (default, hazard, earthquake_power_outage, "
        "earthquake_power_water_outage, or a hazard type)",
    )

    p = sub.add_parser("sites", help=_COMMANDS["sites"], description=_COMMANDS["sites"])
    _add_workspace(p)
    p.add_argument("--service", required=True, help="service code, e.g. short_stay_medical")
    p.add_argument("--k", type=int, required=True, help="number of new sites")
    p.add_argument("--out", required=True, help="CSV to write (site_suggestions)")
    p.add_argument("--candidates", help="CSV of candidate sites (lat, lon[, name])")
    p.add_argument("--exclude-hazard-level", type=int, default=None)
    _add_site_profile(p)

    p = sub.add_parser("nearby", help=_COMMANDS["nearby"], description=_COMMANDS["nearby"])
    _add_workspace(p)
    p.add_argument("--lat", type=float)
    p.add_argument("--lon", type=float)
    p.add_argument("--child", help="child id instead of --lat/--lon")
    p.add_argument("--address", help="住所 resolved offline against the address_points layer")
    p.add_argument("--service", help="service code (default: all)")
    p.add_argument("--care", help="care codes, comma separated")
    p.add_argument("--age", type=int)
    p.add_argument("--minutes", type=float, help="limit in minutes (default: per service)")
    p.add_argument(
        "--need",
        help="capabilities a place must have, comma separated (nurse_on_site, transport, "
        "pediatric_experience ...); SERVICE=CAP+CAP applies to one service only",
    )
    p.add_argument(
        "--compare",
        action="append",
        metavar="LABEL:LAT,LON",
        help="a candidate address to compare side by side (give two or more; repeatable)",
    )
    p.add_argument("--out", help="CSV to write instead of printing")

    p = sub.add_parser("report", help=_COMMANDS["report"], description=_COMMANDS["report"])
    _add_workspace(p)
    p.add_argument("--out", required=True, help="report.xlsx or report.html")

    p = sub.add_parser("user", help=_COMMANDS["user"], description=_COMMANDS["user"])
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--users", help="users file (default: users.toml beside the workspace)")
    p.add_argument("--role", choices=["planner", "coordinator", "disaster", "admin"])
    p.add_argument("--scope", help="municipality codes, comma separated")
    p.add_argument("--password-stdin", action="store_true")

    p = sub.add_parser("audit", help=_COMMANDS["audit"], description=_COMMANDS["audit"])
    _add_workspace(p)
    p.add_argument("--limit", type=int, default=None)
    planner_args.add(sub, _COMMANDS, _add_workspace)
    directory_args.add(sub, _add_workspace)
    disaster_args.add(sub, _add_workspace)  # plan-sheet, ward-report, routes, power
    p = sub.add_parser("app", help=_COMMANDS["app"], description=_COMMANDS["app"])
    p.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (default 8501)")
    _add_workspace(p, required=False)
    _access.add_to_all(sub, skip=("user", "app"))  # --user/--role/--scope/--users
    return parser


def _paragraph(text):
    return "\n".join(
        textwrap.fill(line, width=100) if len(line) > 100 else line for line in text.splitlines()
    )


def main(argv=None):
    """Run the ``ikemap`` command; returns the exit status."""
    from geo.errors import IkemapError

    parser = build_parser()
    args = parser.parse_args(argv)
    _access.use(args)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    level = logging.DEBUG if args.debug else (logging.WARNING if args.quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    module = importlib.import_module(
        f"ikemap.commands.{args.command.replace('import', 'importing').replace('-', '_')}"
    )
    try:
        return int(module.run(args) or 0)
    except (IkemapError, FileNotFoundError, PermissionError, KeyError, ValueError) as exc:
        if args.debug:
            raise
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"ikemap {args.command}: error: {_paragraph(str(text))}", file=sys.stderr)
        return EXIT_USAGE
    except NotImplementedError as exc:
        print(f"ikemap {args.command}: not implemented yet ({exc})", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one place that turns a crash into a message
        if args.debug:
            raise
        print(
            f"ikemap {args.command}: internal error: {type(exc).__name__}: {exc}. "
            "Run again with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return 1


def entry():
    """Console-script entry point."""
    sys.exit(main())
