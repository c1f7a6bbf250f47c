"""Subsidy what-if: what a new site would receive under a prefecture's subsidy rules.

The rules are data, not code: ``data/subsidy_rules.csv`` (or any CSV with the same header, so
another prefecture writes its own). One row is one *component* of one *programme*:

``programme``
    Rule-set id, e.g. ``kumamoto_2024``; a file may hold several.
``component``
    Id of the component inside the programme (``equipment``, ``operating``, ...).
``label_ja``, ``label_en``
    Names shown to users.
``services``
    Service codes of ``data/service_types.csv`` that may receive it, separated by ``;``.
``rate_num``, ``rate_den``
    Subsidy rate as a fraction (prefecture 3/4 -> ``3``, ``4``; 10/10 -> ``10``, ``10``).
``cap_applies_to``
    ``subsidy``: the cap limits the grant (grant = min(basis x rate, cap));
    ``cost``: the cap limits the eligible cost (grant = min(basis, cap) x rate), the reading of
    a 補助基準額 as a cost base. Write the one your 交付要綱 means.
``cap_yen``, ``cap_with_vehicle_yen``
    The cap; the second applies when the purchase includes a transport vehicle (empty: same cap).
``unit``, ``unit_amount_yen``
    Empty for a cost-based component (the basis is the cost the provider pays); a unit name such
    as ``helper_day`` for a per-unit component (basis = units x ``unit_amount_yen``).
``months_from_opening``
    Only within this many months of opening (empty: no limit). Count the units within it.
``new_acceptance_required``
    ``true`` when only providers that newly accept children with medical care in the year qualify.
``rounding_yen``
    The grant is rounded down to a multiple of this (1 = whole yen, 1000 = 千円未満切捨て).
``source``
    Where the rule is written (document, date, section).

The shipped Kumamoto rules (熊本県 医療型短期入所事業所等設置支援事業, 2024-03-08 briefing):
equipment 3/4 capped at ¥2,500k (¥7,500k with a transport vehicle) for 医療型短期入所,
児童発達支援, 放課後等デイサービス, 生活介護 and 日中一時支援; operating 10/10 at ¥20k per helper
per day capped at ¥1,860k, medical short stay only, within one year of opening.

Examples
--------
>>> r = what_if(load_rules(), service="short_stay_medical", equipment_cost_yen=4_000_000,
...             helper_days=100)
>>> r["subsidy_yen"].tolist()
[2500000, 1860000]
>>> int(r.attrs["total_yen"])
4360000
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd

from geo import codes, settings
from geo.errors import ValidationError
from geo.importers.reading import detect_encoding
from geo.workspace import Problem

#: The rules file shipped with ikemap.
DEFAULT_RULES = settings.data_dir / "subsidy_rules.csv"

#: Columns of a rules file (all required in the header; see the module docstring).
RULE_COLUMNS = (
    "programme",
    "component",
    "label_ja",
    "label_en",
    "services",
    "rate_num",
    "rate_den",
    "cap_applies_to",
    "cap_yen",
    "cap_with_vehicle_yen",
    "unit",
    "unit_amount_yen",
    "months_from_opening",
    "new_acceptance_required",
    "rounding_yen",
    "source",
)

#: Columns of a what-if result, one row per component.
RESULT_COLUMNS = (
    "programme",
    "component",
    "label_ja",
    "label_en",
    "eligible",
    "reason",
    "basis_yen",
    "rate",
    "uncapped_yen",
    "cap_yen",
    "subsidy_yen",
    "capped",
    "provider_share_yen",
    "cap_reached_at",
)

_TRUE = {"true", "1", "yes", "y", "はい", "○"}
_FALSE = {"false", "0", "no", "n", "いいえ", "", "×"}


def _int(text, *, required, problems, where, column, lo=0):
    t = str(text).strip().replace(",", "").replace("_", "")
    if not t:
        if required:
            problems.append(Problem(*where, column, text, "a whole number of yen (or units)"))
        return None
    try:
        value = int(t)
    except ValueError:
        problems.append(Problem(*where, column, text, "a whole number without decimals"))
        return None
    if value < lo:
        problems.append(Problem(*where, column, text, f"a number >= {lo}"))
        return None
    return value


def load_rules(path=None, *, programme=None):
    """Read and check a subsidy rules file; every problem is reported at once.

    Parameters
    ----------
    path : str or Path, optional
        Rules CSV (UTF-8, with or without BOM). Default :data:`DEFAULT_RULES`.
    programme : str, optional
        Keep only this programme (default: the file must hold exactly one, or the first is used
        when several are present and none is named).

    Returns
    -------
    pandas.DataFrame
        One row per component, indexed by ``component``, typed (ints, bool, list of services).

    Raises
    ------
    geo.errors.ValidationError
        Missing columns, unknown service codes, a zero denominator, a rate above 1, a per-unit
        component without an amount, ... each with its row and the fix.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules.loc["equipment", "cap_with_vehicle_yen"]
    7500000
    """
    path = Path(path) if path is not None else DEFAULT_RULES
    if not path.exists():
        msg = f"Subsidy rules file {path} does not exist; give --rules or use {DEFAULT_RULES}."
        raise FileNotFoundError(msg)
    name = path.name
    data = path.read_bytes()
    encoding = detect_encoding(data)
    if encoding is None:
        problems = [Problem(name, "-", "file", name, "UTF-8 or CP932 text (save as CSV UTF-8)")]
        raise ValidationError(problems, f"subsidy rules {path}")
    try:
        raw = pd.read_csv(io.StringIO(data.decode(encoding)), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems = [Problem(name, "-", "file", name, f"a CSV table ({exc})")]
        raise ValidationError(problems, f"subsidy rules {path}") from exc
    raw.columns = [c.strip().lstrip("\ufeff") for c in raw.columns]
    missing = [c for c in RULE_COLUMNS if c not in raw.columns]
    if missing:
        problems = [
            Problem(name, "header", c, None, "this column (see docs/planner_tools.md)")
            for c in missing
        ]
        raise ValidationError(problems, f"subsidy rules {path}")
    if programme is None and len(raw):
        programme = raw["programme"].iloc[0]
    raw = raw[raw["programme"].str.strip() == programme]
    if raw.empty:
        problems = [Problem(name, "-", "programme", programme, "a programme present in the file")]
        raise ValidationError(problems, f"subsidy rules {path}")
    valid_services = codes.valid("service_types")
    problems, rows = [], []
    for i, rec in raw.iterrows():
        where = (name, int(i) + 2)
        comp = rec["component"].strip()
        if not comp:
            problems.append(Problem(*where, "component", comp, "a component id, e.g. equipment"))
        services = [s.strip() for s in codes.split_list(rec["services"]) or [] if s.strip()]
        bad = [s for s in services if s not in valid_services]
        if bad or not services:
            problems.append(
                Problem(
                    *where,
                    "services",
                    rec["services"],
                    f"service codes separated by ';' from {sorted(valid_services)}",
                )
            )
        num = _int(
            rec["rate_num"], required=True, problems=problems, where=where, column="rate_num"
        )
        den = _int(
            rec["rate_den"], required=True, problems=problems, where=where, column="rate_den", lo=1
        )
        if num is not None and den is not None and num > den:
            problems.append(Problem(*where, "rate_num", num, f"at most rate_den ({den})"))
        applies = rec["cap_applies_to"].strip() or "subsidy"
        if applies not in ("subsidy", "cost"):
            problems.append(Problem(*where, "cap_applies_to", applies, "'subsidy' or 'cost'"))
        cap = _int(rec["cap_yen"], required=False, problems=problems, where=where, column="cap_yen")
        cap_v = _int(
            rec["cap_with_vehicle_yen"],
            required=False,
            problems=problems,
            where=where,
            column="cap_with_vehicle_yen",
        )
        unit = rec["unit"].strip() or None
        amount = _int(
            rec["unit_amount_yen"],
            required=unit is not None,
            problems=problems,
            where=where,
            column="unit_amount_yen",
            lo=1,
        )
        if unit is None and amount is not None:
            problems.append(Problem(*where, "unit", "", "a unit name (e.g. helper_day)"))
        months = _int(
            rec["months_from_opening"],
            required=False,
            problems=problems,
            where=where,
            column="months_from_opening",
            lo=1,
        )
        flag = rec["new_acceptance_required"].strip().lower()
        if flag not in _TRUE | _FALSE:
            problems.append(Problem(*where, "new_acceptance_required", flag, "true or false"))
        rounding = _int(
            rec["rounding_yen"],
            required=False,
            problems=problems,
            where=where,
            column="rounding_yen",
            lo=1,
        )
        rows.append(
            {
                "programme": programme,
                "component": comp,
                "label_ja": rec["label_ja"].strip() or comp,
                "label_en": rec["label_en"].strip() or comp,
                "services": services,
                "rate_num": num,
                "rate_den": den,
                "cap_applies_to": applies,
                "cap_yen": cap,
                "cap_with_vehicle_yen": cap_v,
                "unit": unit,
                "unit_amount_yen": amount,
                "months_from_opening": months,
                "new_acceptance_required": flag in _TRUE,
                "rounding_yen": rounding or 1,
                "source": rec["source"].strip(),
            }
        )
    comps = [r["component"] for r in rows]
    for c in {c for c in comps if comps.count(c) > 1}:
        problems.append(Problem(name, "-", "component", c, "each component once per programme"))
    if problems:
        raise ValidationError(problems, f"subsidy rules {path}")
    out = pd.DataFrame(rows, dtype=object).set_index("component", drop=False)
    out.index.name = None
    return out


def _grant(basis, rule, cap):
    """Grant for one component from its basis (yen), rate, cap and rounding (integer yen)."""
    num, den, step = rule["rate_num"], rule["rate_den"], rule["rounding_yen"]
    if cap is not None and rule["cap_applies_to"] == "cost":
        uncapped = basis * num // den
        value = min(basis, cap) * num // den
    else:
        uncapped = basis * num // den
        value = uncapped if cap is None else min(uncapped, cap)
    value = value // step * step
    return uncapped, value


def compute(
    rules,
    *,
    service,
    costs=None,
    units=None,
    vehicle=False,
    months_open=0,
    new_acceptance=True,
):
    """The subsidy per component for one provider (the numeric core).

    Parameters
    ----------
    rules : DataFrame
        From :func:`load_rules`.
    service : str
        Service code of the provider (``data/service_types.csv``).
    costs : dict of str to int, optional
        Cost in yen per cost-based component, e.g. ``{"equipment": 2_000_000}``.
    units : dict of str to int, optional
        Units per unit name, e.g. ``{"helper_day": 50}`` (helper-days within the time limit).
    vehicle : bool, default False
        The equipment purchase includes a transport vehicle (送迎用自動車).
    months_open : int, default 0
        Whole months since the provider opened (0 for a planned site).
    new_acceptance : bool, default True
        The provider newly accepts children (or adults) with medical care this year.

    Returns
    -------
    pandas.DataFrame
        One row per component (index = component) with :data:`RESULT_COLUMNS`; ``eligible`` is
        False with a ``reason`` when the service, the time limit or the new-acceptance condition
        rules it out. ``attrs["total_yen"]`` is the sum of ``subsidy_yen``.

    Examples
    --------
    >>> r = compute(load_rules(), service="after_school_day", costs={"equipment": 2_000_000},
    ...             units={"helper_day": 50})
    >>> r[["eligible", "subsidy_yen"]].values.tolist()
    [[True, 1500000], [False, 0]]
    """
    costs = dict(costs or {})
    units = dict(units or {})
    if service not in codes.valid("service_types"):
        msg = (
            f"service {service!r} is not a code of data/service_types.csv; use one of "
            f"{sorted(codes.valid('service_types'))}."
        )
        raise ValueError(msg)
    for name, value in [*costs.items(), *units.items()]:
        if value is None or int(value) < 0 or int(value) != value:
            msg = f"{name} is {value!r}; expected a whole number >= 0."
            raise ValueError(msg)
    if int(months_open) < 0:
        msg = f"months_open is {months_open!r}; expected a whole number of months >= 0."
        raise ValueError(msg)
    rows = []
    for comp, rule in rules.iterrows():
        unit = rule["unit"]
        if unit is None:
            basis = int(costs.get(comp, 0))
        else:
            basis = int(units.get(unit, 0)) * int(rule["unit_amount_yen"])
        cap = rule["cap_yen"]
        if vehicle and unit is None and rule["cap_with_vehicle_yen"] is not None:
            cap = rule["cap_with_vehicle_yen"]
        cap = None if cap is None else int(cap)
        reason = ""
        if service not in rule["services"]:
            reason = "service_not_eligible"
        elif rule["new_acceptance_required"] and not new_acceptance:
            reason = "not_new_acceptance"
        elif rule["months_from_opening"] is not None and int(months_open) >= int(
            rule["months_from_opening"]
        ):
            reason = "time_limit_passed"
        uncapped, value = _grant(basis, rule, cap)
        eligible = reason == ""
        if not eligible:
            value = 0
        reached = None
        if unit is not None and cap is not None:
            per_unit = int(rule["unit_amount_yen"]) * rule["rate_num"] / rule["rate_den"]
            reached = math.ceil(cap / per_unit)
        rows.append(
            {
                "programme": rule["programme"],
                "component": comp,
                "label_ja": rule["label_ja"],
                "label_en": rule["label_en"],
                "eligible": eligible,
                "reason": reason,
                "basis_yen": basis,
                "rate": f"{rule['rate_num']}/{rule['rate_den']}",
                "uncapped_yen": uncapped if eligible else 0,
                "cap_yen": cap,
                "subsidy_yen": int(value),
                "capped": bool(eligible and value < uncapped),
                "provider_share_yen": basis - int(value) if unit is None else None,
                "cap_reached_at": reached,
            }
        )
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).set_index("component", drop=False)
    out.index.name = None
    for col in ("cap_yen", "provider_share_yen", "cap_reached_at"):
        out[col] = pd.array(out[col], dtype="Int64")
    out.attrs["total_yen"] = int(out["subsidy_yen"].sum())
    return out


def what_if(
    rules,
    *,
    service,
    equipment_cost_yen=0,
    vehicle=False,
    helper_days=0,
    months_open=0,
    new_acceptance=True,
):
    """The subsidy a planned or clicked site would receive (thin wrapper of :func:`compute`).

    ``equipment_cost_yen`` goes to every cost-based component named ``equipment``;
    ``helper_days`` to every per-unit component counted in ``helper_day``.

    Examples
    --------
    >>> r = what_if(load_rules(), service="life_care", equipment_cost_yen=12_000_000,
    ...             vehicle=True)
    >>> int(r.loc["equipment", "subsidy_yen"])
    7500000
    """
    return compute(
        rules,
        service=service,
        costs={"equipment": int(equipment_cost_yen)},
        units={"helper_day": int(helper_days)},
        vehicle=vehicle,
        months_open=months_open,
        new_acceptance=new_acceptance,
    )


def for_sites(sites, rules, *, service=None, **options):
    """The subsidy each site of a table would receive (index kept).

    Parameters
    ----------
    sites : DataFrame
        Suggested or candidate sites; a ``service`` column gives each site's service unless
        ``service`` is given.
    rules : DataFrame
        From :func:`load_rules`.
    service : str, optional
        Service of every site (default: the ``service`` column).
    **options
        ``equipment_cost_yen``, ``vehicle``, ``helper_days``, ``months_open``,
        ``new_acceptance`` of :func:`what_if`, the same for every site.

    Returns
    -------
    pandas.DataFrame
        ``sites`` (without geometry) plus ``<component>_yen`` per component and ``subsidy_yen``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"service": ["short_stay_medical", "after_school_day"]}, index=[7, 9])
    >>> out = for_sites(s, load_rules(), equipment_cost_yen=2_000_000, helper_days=50)
    >>> out["subsidy_yen"].to_dict()
    {7: 2500000, 9: 1500000}
    """
    frame = pd.DataFrame(sites).drop(columns="geometry", errors="ignore").copy()
    if service is None and "service" not in frame.columns:
        msg = "sites have no 'service' column; give service=... (a data/service_types.csv code)."
        raise ValueError(msg)
    totals, parts = [], {c: [] for c in rules.index}
    for idx in frame.index:
        s = service or frame.at[idx, "service"]
        r = what_if(rules, service=s, **options)
        for c in rules.index:
            parts[c].append(int(r.at[c, "subsidy_yen"]))
        totals.append(r.attrs["total_yen"])
    for c, values in parts.items():
        frame[f"{c}_yen"] = pd.Series(values, index=frame.index, dtype="int64")
    frame["subsidy_yen"] = pd.Series(totals, index=frame.index, dtype="int64")
    return frame
