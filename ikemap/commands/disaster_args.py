"""Arguments of the disaster officer's commands (plan-sheet, ward-report, routes, power).

Also the depth / duration filters and the ward report of ``evacuation``.

Kept apart from ``ikemap/cli.py`` so they are added there with one line; the logic of each is in
``ikemap/commands/<name>.py``.
"""

from __future__ import annotations

from . import _access

COMMANDS = {
    "plan-sheet": "Individual evacuation plan sheets (個別避難計画 draft), A4 printable HTML.",
    "ward-report": "Children at risk per ward of a designated city (or per municipality).",
    "routes": "Evacuation routes home -> shelter avoiding hazard zones, as a GeoPackage.",
    "power": "Minutes to the nearest power source per child; slow power-restoration list.",
}


def _scenario(p):
    p.add_argument("--hazard-level", type=int, default=None, help="level that closes roads")
    p.add_argument("--hazard-type", default=None, help="hazard type of the road scenario")


def add(sub, add_workspace):
    """Add the disaster subparsers to ``sub`` and the filters to ``evacuation``."""
    ev = sub.choices.get("evacuation")
    if ev is not None:
        ev.add_argument(
            "--depth-min",
            type=float,
            default=None,
            help="only children whose depth band starts at X m or deeper",
        )
        ev.add_argument(
            "--duration-min",
            type=float,
            default=None,
            help="only children whose home stays flooded at least H hours",
        )
        ev.add_argument("--ward-report", help="also write the ward report (CSV) here")
        ev.add_argument("--city", help="designated city code or name for --ward-report")

    p = sub.add_parser(
        "plan-sheet", help=COMMANDS["plan-sheet"], description=COMMANDS["plan-sheet"]
    )
    add_workspace(p)
    p.add_argument("--child", action="append", help="child id (repeatable)")
    p.add_argument("--municipality", help="every child of this municipality code")
    p.add_argument("--out", required=True, help="HTML file to write (print it as A4)")
    _scenario(p)
    _access.add_arguments(p, default_role="disaster")

    p = sub.add_parser(
        "ward-report", help=COMMANDS["ward-report"], description=COMMANDS["ward-report"]
    )
    add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument("--city", help="designated city code or name (default: every municipality)")
    p.add_argument("--hazard-level", type=int, default=None, help="level that closes roads")
    p.add_argument("--threshold", type=int, default=None, help="suppress counts below this")
    _access.add_arguments(p, default_role="disaster")

    p = sub.add_parser("routes", help=COMMANDS["routes"], description=COMMANDS["routes"])
    add_workspace(p)
    p.add_argument("--out", required=True, help="GeoPackage to write (.gpkg)")
    p.add_argument("--child", action="append", help="child id (repeatable)")
    p.add_argument("--municipality", help="every child of this municipality code")
    _scenario(p)
    _access.add_arguments(p, default_role="disaster")

    p = sub.add_parser("power", help=COMMANDS["power"], description=COMMANDS["power"])
    add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument(
        "--slow-restoration",
        action="store_true",
        help="only power-dependent children in slow power-restoration areas (scenario 16)",
    )
    _scenario(p)
    _access.add_arguments(p, default_role="disaster")
