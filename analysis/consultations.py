"""Consultation trends: a consultation log (no personal data) counted by area, month, category.

Support centres log their consultations by region and topic (Miyagi registers each one in a
form and reports monthly; themes are seasonal: nursery applications in autumn, 生活介護 before
special-needs school graduation [brief §6 row 17, §8 scenario 15]). This module reads such a log,
refuses personal data, and counts consultations per 圏域 x month x category.

The log (CSV, UTF-8 or CP932; headers English or Japanese):

``date`` [日付, 相談日, 受付日]
    The day of the consultation (2024-04-01, 2024/4/1, 令和6年4月1日).
``municipality`` [市区町村, 市町村, 市区町村コード] or ``area`` [圏域]
    Where the family lives: a municipality code or name of the workspace, or an area id or name.
``category`` [分類, 相談分類, 相談内容, カテゴリ]
    A code or label of ``data/consultation_categories.csv`` (nursery, respite, school,
    adult_life, disaster, other).
``channel`` [経路, 手段, 相談方法, 受付方法] (optional)
    ``data/consultation_channels.csv`` (phone, visit, message, form, other).
``requester`` [相談元, 相談者] (optional)
    family, supporter, agency or other (親・親族, 支援者, 行政 ...).

Personal data is refused: a file with a column that names or locates a person (氏名, 住所,
電話, 生年月日, ... :func:`gate.roles.identity_columns`) is rejected as a whole, and a row whose
cells look like a phone number or an e-mail address is rejected. Other columns are dropped and
never stored.

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({"month": ["2024-04", "2024-04", "2024-05"], "area_id": ["A"] * 3,
...                     "category": ["nursery", "respite", "nursery"]})
>>> c = counts(log, areas=pd.DataFrame({"area_id": ["A"], "name": ["北"]}))
>>> c[["month", "nursery", "respite", "total"]].values.tolist()
[['2024-04', 1, 1, 2], ['2024-05', 1, 0, 1]]
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from gate.roles import identity_columns
from geo import settings
from geo.errors import ValidationError
from geo.workspace import LAYERS, Problem

logger = logging.getLogger(__name__)

#: Columns of the stored ``consultations`` layer (no personal data).
LAYER_COLUMNS = tuple(c.name for c in LAYERS["consultations"].columns)

#: Header aliases (compared after NFKC, case-insensitive, spaces removed).
ALIASES = {
    "date": ("date", "日付", "相談日", "受付日", "相談年月日", "年月日"),
    "municipality": (
        "municipality",
        "municipality_code",
        "市区町村",
        "市町村",
        "市区町村コード",
        "市町村コード",
        "居住市町村",
        "住所地",
    ),
    "area": ("area", "area_id", "圏域", "圏域名", "地域"),
    "category": ("category", "分類", "相談分類", "相談内容", "カテゴリ", "カテゴリー", "分野"),
    "channel": ("channel", "経路", "手段", "相談方法", "受付方法", "相談手段"),
    "requester": ("requester", "相談元", "相談者", "相談者区分"),
}

REQUESTERS = {
    "family": ("family", "親", "親・親族", "親族", "家族", "本人", "当事者", "保護者等"),
    "supporter": ("supporter", "支援者", "事業所", "相談支援", "医療機関", "学校", "保育所"),
    "agency": ("agency", "行政", "市町村", "県", "保健所", "保健センター"),
    "other": ("other", "その他"),
}

_PHONE = re.compile(r"(?<!\d)0\d{1,4}[-ー－ (（]?\d{1,4}[-ー－ )）]?\d{3,4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_NON_PERSONAL_HEADERS = {"相談元", "相談者", "相談者区分"}


@cache
def _table(name):
    path = settings.data_dir / f"{name}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.set_index("code")


def categories():
    """The consultation categories (code -> label_ja, label_en, aliases), in display order."""
    return _table("consultation_categories")


def channels():
    """The consultation channels (code -> label_ja, label_en, aliases)."""
    return _table("consultation_channels")


def _norm(text):
    from geo.importers.columns import normalize

    return normalize(text).lower()


def _lookup(table):
    out = {}
    for code, row in table.iterrows():
        for alias in [code, row["label_ja"], row["label_en"], *row["aliases"].split("|")]:
            if alias:
                out.setdefault(_norm(alias), code)
    return out


def _code(text, lookup):
    """Exact alias, else the longest alias contained in the text (相談内容 free text)."""
    t = _norm(text)
    if not t:
        return None
    if t in lookup:
        return lookup[t]
    hits = [(len(a), c) for a, c in lookup.items() if len(a) >= 2 and a in t]
    return max(hits)[1] if hits else None


@dataclass
class LogReport:
    """What reading a log found: rows read and kept, rejected rows with reasons, notes."""

    file: str
    rows_read: int = 0
    rows_kept: int = 0
    rejected: list = field(default_factory=list)
    dropped_columns: list = field(default_factory=list)

    def reject(self, row, column, value, reason):
        """Record a rejected row."""
        self.rejected.append({"row": row, "column": column, "value": value, "reason": reason})

    def frame(self):
        """The rejected rows as a table."""
        return pd.DataFrame(self.rejected, columns=["row", "column", "value", "reason"])

    def summary(self):
        """One paragraph for the command line."""
        text = f"{self.file}: {self.rows_kept} of {self.rows_read} consultations kept"
        if self.rejected:
            first = self.rejected[0]
            text += (
                f"; {len(self.rejected)} row(s) rejected (first: row {first['row']} "
                f"{first['column']} {first['value']!r}: {first['reason']})"
            )
        if self.dropped_columns:
            text += f"; columns dropped (not stored): {', '.join(self.dropped_columns)}"
        return text + "."


def _personal_headers(headers):
    probe = pd.DataFrame(columns=[h for h in headers if h not in _NON_PERSONAL_HEADERS])
    return identity_columns(probe)


def read_log(path, *, municipalities=None, areas=None, area_members=None):
    """Read a consultation log into the ``consultations`` layer; refuse personal data.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or CP932) or Excel.
    municipalities : DataFrame, optional
        ``code`` and ``name`` of the workspace's municipalities (names are matched).
    areas : DataFrame, optional
        ``area_id``, ``name``, ``kind`` of the workspace's areas.
    area_members : DataFrame, optional
        ``area_id``, ``kind``, ``municipality_code``.

    Returns
    -------
    (DataFrame, LogReport)
        Columns :data:`LAYER_COLUMNS`; ``municipality_code`` when a municipality was given,
        ``area_id``/``area_kind`` when only an area was.

    Raises
    ------
    geo.errors.ValidationError
        The file has personal-data columns, or lacks date / place / category columns.

    Examples
    --------
    >>> log, rep = read_log("consultations.csv")  # doctest: +SKIP
    """
    from pathlib import Path

    from geo.importers import areas as areas_io
    from geo.importers import reading
    from geo.importers.report import ImportReport

    path = Path(path)
    rep = ImportReport(file=str(path), kind="consultations")
    table = reading.read_table(path, rep)
    if table is None:
        problems = [Problem(path.name, "-", "file", str(path), "; ".join(rep.errors or ["?"]))]
        raise ValidationError(problems, f"consultation log {path}")
    report = LogReport(file=path.name, rows_read=len(table))
    personal = _personal_headers(table.columns)
    if personal:
        problems = [
            Problem(
                path.name,
                "header",
                c,
                c,
                "no personal data: delete this column and import again (a consultation log "
                "holds date, place, category and channel only)",
            )
            for c in personal
        ]
        raise ValidationError(problems, f"consultation log {path} refused")
    found = {}
    for canon, aliases in ALIASES.items():
        norm = {_norm(a) for a in aliases}
        for h in table.columns:
            if canon not in found and _norm(h) in norm:
                found[canon] = h
    missing = [c for c in ("date", "category") if c not in found]
    if "municipality" not in found and "area" not in found:
        missing.append("municipality or area")
    if missing:
        problems = [
            Problem(path.name, "header", c, None, f"a column for {c} (see docs/planner_tools.md)")
            for c in missing
        ]
        raise ValidationError(problems, f"consultation log {path}")
    report.dropped_columns = [h for h in table.columns if h not in found.values()]
    cat_lookup, ch_lookup = _lookup(categories()), _lookup(channels())
    req_lookup = {_norm(a): code for code, al in REQUESTERS.items() for a in al}
    muni_names, muni_codes = {}, set()
    if municipalities is not None and len(municipalities):
        muni_codes = set(municipalities["code"].astype(str))
        muni_names = {
            _norm(n): str(c)
            for c, n in zip(municipalities["code"], municipalities["name"], strict=True)
        }
    area_lookup = {}
    if areas is not None and len(areas):
        for aid, name, kind in zip(areas["area_id"], areas["name"], areas["kind"], strict=True):
            area_lookup.setdefault(_norm(aid), (str(aid), kind))
            area_lookup.setdefault(_norm(name), (str(aid), kind))
    from geo.importers import columns

    rows = []
    for i, rec in table.iterrows():
        row = int(i) + 2
        cells = {k: columns.text(rec[h]) for k, h in found.items()}
        leak = next((k for k, v in cells.items() if _PHONE.search(v) or _EMAIL.search(v)), None)
        if leak is not None:
            report.reject(row, found[leak], "(hidden)", "looks like a phone number or e-mail")
            continue
        try:
            date = columns.parse_date(cells["date"])
        except ValueError as exc:
            report.reject(row, found["date"], cells["date"], str(exc))
            continue
        if date is None:
            report.reject(row, found["date"], "", "no date")
            continue
        cat = _code(cells["category"], cat_lookup)
        if cat is None:
            report.reject(
                row,
                found["category"],
                cells["category"],
                f"unknown category; use one of {', '.join(categories().index)} or their labels",
            )
            continue
        channel = _code(cells.get("channel", ""), ch_lookup) if cells.get("channel") else None
        if cells.get("channel") and channel is None:
            report.reject(
                row,
                found["channel"],
                cells["channel"],
                f"unknown channel; use one of {', '.join(channels().index)}",
            )
            continue
        requester = None
        if cells.get("requester"):
            requester = req_lookup.get(_norm(cells["requester"]))
            if requester is None:
                report.reject(
                    row,
                    found["requester"],
                    cells["requester"],
                    f"unknown requester; use one of {', '.join(REQUESTERS)}",
                )
                continue
        code = area_id = kind = None
        place = cells.get("municipality", "")
        if place:
            digits = _norm(place)
            if digits.isdigit():
                code, problem, _ = areas_io.reconcile_code(place)
                if problem:
                    report.reject(row, found["municipality"], place, problem)
                    continue
            else:
                code = muni_names.get(digits)
                if code is None and digits in area_lookup:  # an area name in the column
                    area_id, kind = area_lookup[digits]
            if area_id is None and (code is None or (muni_codes and code not in muni_codes)):
                report.reject(
                    row,
                    found["municipality"],
                    place,
                    "not a municipality of the workspace (give its 5-digit code or name)",
                )
                continue
        elif cells.get("area"):
            hit = area_lookup.get(_norm(cells["area"]))
            if hit is None:
                report.reject(row, found["area"], cells["area"], "not an area of the workspace")
                continue
            area_id, kind = hit
        else:
            report.reject(row, found.get("municipality", found.get("area")), "", "no place")
            continue
        rows.append(
            {
                "date": date,
                "month": date[:7],
                "municipality_code": code,
                "area_id": area_id,
                "area_kind": kind,
                "category": cat,
                "channel": channel,
                "requester": requester,
                "source_file": path.name,
            }
        )
    report.rows_kept = len(rows)
    out = pd.DataFrame(rows, columns=list(LAYER_COLUMNS)).astype(object)
    return out, report


def assign_areas(log, *, area_kind, area_members):
    """``area_id`` of each consultation for one area kind (index kept).

    A row with a municipality maps through ``area_members``; a row given by area keeps its area
    when it is of ``area_kind``, else it has none (counted as ``unassigned``).
    """
    members = area_members[area_members["kind"] == area_kind]
    m = dict(zip(members["municipality_code"].astype(str), members["area_id"], strict=True))
    out = []
    for code, aid, kind in zip(
        log["municipality_code"], log["area_id"], log["area_kind"], strict=True
    ):
        if code is not None and not pd.isna(code):
            out.append(m.get(str(code)))
        elif kind == area_kind:
            out.append(aid)
        else:
            out.append(None)
    return pd.Series(out, index=log.index, dtype=object)


def counts(log, *, areas, months=None):
    """Consultations per area and month, one column per category (the numeric core).

    Parameters
    ----------
    log : DataFrame
        ``month`` (YYYY-MM), ``area_id`` and ``category`` per consultation (rows without an
        area are left out).
    areas : DataFrame
        ``area_id`` and ``name`` of the areas to show (every one gets every month).
    months : list of str, optional
        Months to show (default: every month from the first to the last of the log).

    Returns
    -------
    pandas.DataFrame
        One row per area x month: ``area_id``, ``area_name``, ``month``, a count column per
        category of ``data/consultation_categories.csv`` and ``total``.
    """
    cats = list(categories().index)
    data = log[log["area_id"].notna()]
    if months is None:
        if len(log):
            first = pd.Period(min(log["month"]), "M")
            last = pd.Period(max(log["month"]), "M")
            months = [str(p) for p in pd.period_range(first, last, freq="M")]
        else:
            months = []
    ids = [str(a) for a in areas["area_id"]]
    names = dict(zip(ids, areas["name"], strict=True))
    index = pd.MultiIndex.from_product([ids, months], names=["area_id", "month"])
    grid = (
        pd.crosstab([data["area_id"].astype(str), data["month"]], data["category"])
        .reindex(index=index, columns=cats, fill_value=0)
        .fillna(0)
        .astype("int64")
    )
    out = grid.reset_index()
    out.insert(1, "area_name", [names.get(a, a) for a in out["area_id"]])
    out["total"] = out[cats].sum(axis=1).astype("int64")
    out.columns.name = None
    return out


def count_columns():
    """Count columns of :func:`counts` (the gate suppresses them)."""
    return [*categories().index, "total"]


def sums():
    """Row relation of :func:`counts`: ``total`` is the sum of the categories."""
    return {"total": list(categories().index)}


def monthly(log, *, months=None):
    """Consultations per month and category over all areas (the seasonality line)."""
    cats = list(categories().index)
    c = counts(
        log.assign(area_id="all"),
        areas=pd.DataFrame({"area_id": ["all"], "name": ["全体"]}),
        months=months,
    )
    return c.drop(columns=["area_id", "area_name"])[["month", *cats, "total"]]


def long_form(table, *, lang="ja"):
    """Wide counts (gated or not) to one row per area x month x category, for charts."""
    cats = categories()
    label = "label_ja" if lang == "ja" else "label_en"
    rows = []
    for _, r in table.iterrows():
        for code in cats.index:
            rows.append(
                {
                    "area_id": r.get("area_id", "all"),
                    "area_name": r.get("area_name", "全体"),
                    "month": r["month"],
                    "category": cats.at[code, label],
                    "count": r[code],
                }
            )
    return pd.DataFrame(rows)


def by_channel(log):
    """Consultations per channel and requester (prefecture totals; not per area)."""
    out = pd.crosstab(log["channel"].fillna("unknown"), log["requester"].fillna("unknown"))
    out["total"] = out.sum(axis=1)
    return out
