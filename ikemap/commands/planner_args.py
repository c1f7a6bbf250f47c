"""Arguments of the planner-tool subcommands: transition, subsidy, reconcile, consultations.

Kept apart from ``ikemap/cli.py`` so the four commands are added there with one line; the
logic of each is in ``ikemap/commands/<name>.py``.
"""

from __future__ import annotations

from . import _access


def _add_who(p, *, default_role):
    """``--user``/``--role``/``--scope``/``--users`` as every command has them (_access)."""
    _access.add_arguments(p, default_role=default_role)


def add(sub, commands, add_workspace):
    """Add the four planner-tool subparsers to ``sub`` (the ikemap subparsers)."""
    p = sub.add_parser(
        "transition", help=commands["transition"], description=commands["transition"]
    )
    add_workspace(p)
    p.add_argument("--out", required=True, help="CSV to write (projection per area and year)")
    p.add_argument("--area-kind", help="area kind (default: the first in the workspace)")
    p.add_argument("--years", type=int, default=5, help="years ahead, 1-5 (default 5)")
    p.add_argument(
        "--require",
        default="nurse_on_site,transport,bathing",
        help="capabilities a 生活介護 place needs to count (comma separated; '' for none)",
    )
    p.add_argument("--chart", help="also write the chart as HTML (.html)")
    p.add_argument("--threshold", type=int, default=None, help="suppress counts below this")
    _add_who(p, default_role="planner")

    p = sub.add_parser("subsidy", help=commands["subsidy"], description=commands["subsidy"])
    p.add_argument("--rules", help="rules CSV (default data/subsidy_rules.csv: Kumamoto 2024)")
    p.add_argument("--programme", help="programme id in the rules file (default: the first)")
    p.add_argument("--service", help="service code of the site, e.g. short_stay_medical")
    p.add_argument(
        "--equipment-cost",
        default="0",
        help="equipment purchase cost in yen (2000000, 2,000k, 2000千円, 200万)",
    )
    p.add_argument("--vehicle", action="store_true", help="the purchase includes a vehicle")
    p.add_argument("--helper-days", type=int, default=0, help="helper-days within the limit")
    p.add_argument("--months-open", type=int, default=0, help="whole months since opening")
    p.add_argument(
        "--not-new",
        action="store_true",
        help="the provider does not newly accept children with medical care this year",
    )
    p.add_argument("--sites", help="CSV of sites (e.g. from `ikemap sites`): one row per site")
    p.add_argument("--out", help="CSV to write instead of printing")

    p = sub.add_parser("reconcile", help=commands["reconcile"], description=commands["reconcile"])
    add_workspace(p, required=False)
    p.add_argument(
        "--list",
        action="append",
        metavar="SOURCE=FILE",
        help="a child list and the name of its source, e.g. nurses=hokenshi.csv (repeatable)",
    )
    p.add_argument("--out-dir", required=True, help="folder for the report and return files")
    p.add_argument("--as-of", help="date ages are computed at from birth dates (YYYY-MM-DD)")
    p.add_argument(
        "--min-score",
        type=float,
        default=None,
        help="lowest match score that links two records (default 0.75)",
    )
    p.add_argument(
        "--ages",
        action="append",
        metavar="SOURCE=LO-HI",
        help="ages a source covers, e.g. NICU=0-2 (a child outside is not missing from it)",
    )
    p.add_argument(
        "--write-register",
        action="store_true",
        help="also write the merged register into the workspace (layer children_register)",
    )
    _add_who(p, default_role="admin")

    p = sub.add_parser(
        "consultations", help=commands["consultations"], description=commands["consultations"]
    )
    add_workspace(p)
    p.add_argument("--log", help="consultation log CSV to import (else the workspace's log)")
    p.add_argument("--out", required=True, help="CSV to write (counts per area x month)")
    p.add_argument("--area-kind", help="area kind (default: the first in the workspace)")
    p.add_argument("--chart", help="also write the seasonality chart as HTML (.html)")
    p.add_argument("--threshold", type=int, default=None, help="suppress counts below this")
    p.add_argument(
        "--no-store",
        action="store_true",
        help="do not store the imported log in the workspace (layer consultations)",
    )
    _add_who(p, default_role="planner")
