"""`ikemap subsidy`: what a planned site (or each suggested site) would receive in subsidies.

No child data is read or written: the command works on facilities and rules only, so it acts
with no role restriction (any user may run it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

_UNITS = {"": 1, "円": 1, "k": 1000, "千": 1000, "千円": 1000, "万": 10_000, "万円": 10_000}


def parse_yen(text):
    """Parse an amount of yen: ``2000000``, ``2,000,000``, ``2000k``, ``2000千円``, ``200万``.

    Examples
    --------
    >>> parse_yen("2,000k"), parse_yen("200万円"), parse_yen("1500000")
    (2000000, 2000000, 1500000)
    """
    import unicodedata

    t = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace("¥", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(k|千円|千|万円|万|円)?", t, flags=re.IGNORECASE)
    if not m:
        msg = (
            f"amount {text!r} is not an amount of yen; write e.g. 2000000, 2,000k, 2000千円 or "
            "200万."
        )
        raise ValueError(msg)
    value = float(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
    if value != int(value):
        msg = f"amount {text!r} is not a whole number of yen."
        raise ValueError(msg)
    return int(value)


def run(args):
    """Print (or write) the subsidy per component for one site or for each row of --sites."""
    from analysis import subsidy

    from ._results import write_csv

    rules = subsidy.load_rules(args.rules, programme=args.programme)
    options = {
        "equipment_cost_yen": parse_yen(args.equipment_cost),
        "vehicle": bool(args.vehicle),
        "helper_days": int(args.helper_days),
        "months_open": int(args.months_open),
        "new_acceptance": not args.not_new,
    }
    if args.helper_days < 0 or args.months_open < 0:
        msg = "--helper-days and --months-open must be whole numbers >= 0."
        raise ValueError(msg)
    if args.sites:
        path = Path(args.sites)
        if not path.exists():
            msg = f"--sites file {path} does not exist (write one with `ikemap sites --out`)."
            raise FileNotFoundError(msg)
        sites = pd.read_csv(path, dtype={"facility_id": str}, encoding="utf-8-sig")
        if args.service is None and "service" not in sites.columns:
            msg = f"{path} has no 'service' column; give --service (a service code)."
            raise ValueError(msg)
        table = subsidy.for_sites(sites, rules, service=args.service, **options)
        what = f"{len(table)} sites"
    else:
        if args.service is None:
            msg = "give --service (e.g. short_stay_medical) or --sites site_suggestions.csv."
            raise ValueError(msg)
        table = subsidy.what_if(rules, service=args.service, **options)
        what = f"{args.service}: total ¥{table.attrs['total_yen']:,}"
    if args.out:
        out = write_csv(table, args.out)
        print(
            f"Wrote the subsidy what-if ({what}, rules {rules['programme'].iloc[0]}) to {out}. "
            "No child data is read: the result is the same for every role."
        )
    else:
        cols = [
            c
            for c in ("component", "eligible", "reason", "basis_yen", "rate", "cap_yen")
            if c in table.columns
        ]
        cols += [c for c in table.columns if c.endswith("_yen") and c not in cols]
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            print(table[cols].to_string(index=False))
        print(what)
    return 0
