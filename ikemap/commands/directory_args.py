"""Arguments of the resource-directory subcommands: directory, who-covers, capabilities.

Kept apart from ``ikemap/cli.py`` so the three commands are added there with one line; the logic
of each is in ``ikemap/commands/<name>.py``. These commands read facilities and places only (no
child data), so they act for any role.
"""

from __future__ import annotations

HELP = {
    "directory": "Browse places (services, nurseries, schools, contacts, power points) by area, "
    "kind, capability, care, age and opening day; from an address, sorted by minutes. Reads no "
    "child data: the same result for every role.",
    "who-covers": "Who covers an address: municipal window, 圏域 coordinator and prefectural "
    "centre, with opening hours and whether they are open now. Reads no child data: the same "
    "result for every role.",
    "capabilities": "Import a capability / coverage sheet (看護師配置, 送迎, 入浴, 営業時間, "
    "担当市区町村 ...) joined on 事業所番号 into the workspace.",
}


def _address(p):
    p.add_argument("--lat", type=float, help="latitude of the address (WGS84)")
    p.add_argument("--lon", type=float, help="longitude of the address (WGS84)")
    p.add_argument("--address", help="住所 resolved offline against the workspace's address points")


def add(sub, add_workspace):
    """Add the directory subparsers to ``sub`` (the ikemap subparsers)."""
    p = sub.add_parser("directory", help=HELP["directory"], description=HELP["directory"])
    add_workspace(p)
    p.add_argument("--kind", help="kinds of place (service codes), comma separated")
    p.add_argument(
        "--category", help="service, place, contact or power (comma separated; default all)"
    )
    p.add_argument("--area", help="area_id of one 圏域")
    p.add_argument("--area-kind", help="area kind of --area (default: the first)")
    p.add_argument("--municipality", help="5-digit municipality code")
    p.add_argument(
        "--need",
        help="capabilities every place must have, comma separated (nurse_on_site, transport, "
        "bathing, pediatric_experience, accepts_age0, open_saturday ...)",
    )
    p.add_argument("--care", help="care codes a place must accept, comma separated")
    p.add_argument("--age", type=int, help="age a place must take")
    p.add_argument("--open", choices=["weekday", "saturday", "sunday_holiday"])
    _address(p)
    p.add_argument("--minutes", type=float, help="with an address: keep places within this")
    p.add_argument(
        "--confirmed-only", action="store_true", help="leave out places that only possibly match"
    )
    p.add_argument(
        "--placements",
        action="store_true",
        help="print coordinator placements per 圏域 instead (shared coordinators count once)",
    )
    p.add_argument("--out", help="CSV to write instead of printing")

    p = sub.add_parser("who-covers", help=HELP["who-covers"], description=HELP["who-covers"])
    add_workspace(p)
    _address(p)
    p.add_argument("--when", help="date and time for 'open now', e.g. 2025-04-07T10:00 (JST)")
    p.add_argument("--holiday", action="store_true", help="treat --when as a national holiday")
    p.add_argument("--area-kind", help="area kind of the 圏域 coordinators (default: the first)")
    p.add_argument("--out", help="CSV to write instead of printing")

    p = sub.add_parser("capabilities", help=HELP["capabilities"], description=HELP["capabilities"])
    add_workspace(p)
    p.add_argument("file", help="CSV or Excel sheet keyed by facility_id or 事業所番号")
    p.add_argument("--date", help="survey date of the sheet (YYYY-MM-DD) when it has no column")
    p.add_argument("--report", help="write the rejected rows to this CSV")
