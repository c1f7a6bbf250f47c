"""Facility capabilities: what each place can really do, each value with its source and date.

The capabilities are data (``data/capabilities.csv``: code, Japanese and English label, type
and header aliases): nurse on site, transport (送迎), bathing (入浴), pediatric experience,
0-year-olds, opening hours per day class (weekday, Saturday, Sunday/holiday), overnight,
emergency acceptance, generator, EV power supply and more. A table of any facility source (WAM
NET open data, 介護サービス情報公表, a prefecture's own survey sheet) is mapped to them by its
headers (English or Japanese, NFKC-normalised; WAM's own fields such as
``利用可能な時間帯（平日）`` and ``定休日`` are aliases too).

Values are stored in the long workspace table ``facility_capabilities`` (``facility_id``,
``capability``, ``value``, ``source``, ``source_date``) as text:

- ``bool``: ``true`` / ``false``;
- ``int``: a whole number;
- ``hours``: ``HH:MM-HH:MM`` (several ranges joined by ``,``; ``24:00`` allowed as an end) or
  ``closed``;
- ``text``: as written.

**Unknown stays unknown**: an empty cell, ``不明`` or ``要相談`` gives no row at all, and a
value that cannot be read is reported and left unknown. Nothing is ever turned into "no".

The coverage of contacts (which municipalities a window, a 圏域 coordinator or a centre
serves) is the table ``place_coverage`` (``facility_id``, ``municipality_code``), read from a
``担当市区町村`` column (codes, municipality names or 圏域 names, ``;``/``、`` separated).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"事業所番号": ["1"], "看護師配置": ["あり"], "送迎": [""],
...                   "利用可能な時間帯（平日）": ["9:00～17:00"],
...                   "定休日": ["土曜日、日曜日、祝日"]})
>>> long = from_table(t, ids=t["事業所番号"], source="survey", source_date="2025-04-01")
>>> sorted(zip(long.capability, long.value))  # doctest: +NORMALIZE_WHITESPACE
[('closed_days', '土曜日、日曜日、祝日'), ('hours_saturday', 'closed'),
 ('hours_sunday_holiday', 'closed'), ('hours_weekday', '09:00-17:00'),
 ('nurse_on_site', 'true')]
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .. import codes, workspace
from ..errors import WorkspaceError
from . import columns, reading
from .report import ImportReport

logger = logging.getLogger(__name__)

#: Columns of the ``facility_capabilities`` layer.
LONG_COLUMNS = ["facility_id", "capability", "value", "source", "source_date"]
#: Columns of the ``place_coverage`` layer.
COVERAGE_COLUMNS = ["facility_id", "municipality_code"]

#: Headers naming the municipalities / 圏域 a contact covers.
COVERAGE_ALIASES = ("担当市区町村", "担当市町村", "担当区域", "担当地域", "対象市町村", "coverage")
#: Headers naming the survey date of a row (per-value provenance).
DATE_ALIASES = ("調査日", "調査時点", "確認日", "更新日", "記入日", "survey_date", "source_date")

#: WAM NET columns ikemap reads elsewhere or knowingly leaves out (not "unknown").
WAM_KNOWN = (
    "都道府県コード又は市区町村コード",
    "NO（※システム内の固有の番号、連番）",
    "指定機関名",
    "法人の名称",
    "法人の名称_かな",
    "法人番号",
    "法人住所（市区町村）",
    "法人住所（番地以降）",
    "法人電話番号",
    "法人FAX番号",
    "法人URL",
    "サービス種別",
    "事業所の名称",
    "事業所の名称_かな",
    "事業所番号",
    "事業所住所（市区町村）",
    "事業所住所（番地以降）",
    "事業所電話番号",
    "事業所緯度",
    "事業所経度",
    "定員",
)

_UNKNOWN = {
    "不明",
    "未確認",
    "要確認",
    "要相談",
    "応相談",
    "確認中",
    "?",
    "unknown",
    "n/a",
    "na",
    "-",
    "ー",
    "－",
    "―",
}
_MORE_TRUE = {
    "対応可",
    "対応可能",
    "実施",
    "実施あり",
    "配置",
    "配置あり",
    "常勤",
    "常駐",
    "受入可",
}
_MORE_FALSE = {"対応不可", "未実施", "実施なし", "配置なし", "受入不可", "未対応"}
_CLOSED = {
    "休",
    "休み",
    "休業",
    "定休",
    "定休日",
    "閉所",
    "休所",
    "なし",
    "無",
    "×",
    "closed",
    "休業日",
}


def _key(text):
    return columns.normalize(text).lower()


def header_map(headers):
    """Map a table's headers to capability codes, coverage, survey date and unknown columns.

    Parameters
    ----------
    headers : iterable of str
        The file's headers.

    Returns
    -------
    dict
        ``capabilities``: header -> capability code (several headers may give one capability,
        e.g. WAM's 日曜 and 祝日 hours); ``coverage``: the header of the covered municipalities
        or None; ``date``: the header of the survey date or None; ``unknown``: headers that are
        neither facility columns, capabilities nor known WAM fields.

    Examples
    --------
    >>> m = header_map(["事業所番号", "事業所名", "看護師配置", "入浴", "駐車場"])
    >>> m["capabilities"], m["unknown"]
    ({'看護師配置': 'nurse_on_site', '入浴': 'bathing'}, ['駐車場'])
    """
    headers = [str(h) for h in headers]
    aliases = {}
    caps = codes.capabilities()
    for code, names in zip(caps.index, caps["aliases"], strict=True):
        for name in [code, caps.loc[code, "label_ja"], caps.loc[code, "label_en"], *names]:
            aliases.setdefault(_key(name), code)
    facility_cols = set(columns.resolve(headers, "facilities").values())
    wam = {_key(h) for h in WAM_KNOWN}
    cov = {_key(a) for a in COVERAGE_ALIASES}
    dates = {_key(a) for a in DATE_ALIASES}
    out = {"capabilities": {}, "coverage": None, "date": None, "unknown": []}
    for h in headers:
        k = _key(h)
        if k in aliases:
            out["capabilities"][h] = aliases[k]
        elif k in cov and out["coverage"] is None:
            out["coverage"] = h
        elif k in dates and out["date"] is None:
            out["date"] = h
        elif h in facility_cols or k in wam or not k:
            continue
        else:
            out["unknown"].append(h)
    return out


# ---------------------------------------------------------------------------------------------
# values


_T = r"(\d{1,2})(?:[:](\d{2})|時(?:(\d{1,2})分)?)?"
_RANGE = re.compile(_T + r"\s*[-~〜]\s*" + _T)


def _hm(h, m1, m2):
    hh = int(h)
    mm = int(m1 or m2 or 0)
    if not (0 <= hh <= 24 and 0 <= mm < 60) or (hh == 24 and mm):
        msg = f"{h}:{mm:02d} is not a time of day"
        raise ValueError(msg)
    return f"{hh:02d}:{mm:02d}"


def parse_hours(text):
    """Parse the opening hours of one day class into ``HH:MM-HH:MM[,...]`` or ``closed``.

    Full-width digits, ``～``/``〜``, ``9時～17時`` and several ranges are understood; ``休``,
    ``定休``, ``×`` mean closed; ``24時間`` is ``00:00-24:00``. Empty or ``不明`` gives None
    (unknown). Anything else raises ValueError.

    Examples
    --------
    >>> parse_hours("９：００～１７：００"), parse_hours("9時～12時、13時～17時30分")
    ('09:00-17:00', '09:00-12:00,13:00-17:30')
    >>> parse_hours("休"), parse_hours("24時間"), parse_hours("")
    ('closed', '00:00-24:00', None)
    """
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    t = re.sub(r"\s+", "", t)
    if not t or t in _UNKNOWN:
        return None
    if t in _CLOSED:
        return "closed"
    if t in ("24時間", "24h", "終日"):
        return "00:00-24:00"
    t = re.sub(r"[‐‑–—―－ー~〜]", "-", t)
    ranges = []
    for m in _RANGE.finditer(t):
        a = _hm(m.group(1), m.group(2), m.group(3))
        b = _hm(m.group(4), m.group(5), m.group(6))
        ranges.append(f"{a}-{b}")
    if not ranges:
        msg = f"{text!r} is not opening hours (write 9:00-17:00, several with ',', or 休)"
        raise ValueError(msg)
    return ",".join(dict.fromkeys(ranges))


def parse_value(capability, text):
    """Parse one cell for a capability into its stored text (None = unknown).

    Raises ValueError when the cell has a value that cannot be read (it is then left unknown
    by the importers, and reported).

    Examples
    --------
    >>> [parse_value("transport", v) for v in ("あり", "×", "不明")]
    ['true', 'false', None]
    >>> parse_value("staff_nurses", "３人")
    '3'
    """
    kind = codes.capabilities().loc[capability, "type"]
    raw = str(text or "").strip()
    key = _key(raw)
    if not key or key in _UNKNOWN:
        return None
    if kind == "bool":
        if key in _MORE_TRUE:
            return "true"
        if key in _MORE_FALSE:
            return "false"
        return "true" if columns.parse_bool(raw) else "false"
    if kind == "int":
        value = columns.parse_int(raw)
        if value < 0:
            msg = f"{raw!r} is negative"
            raise ValueError(msg)
        return str(value)
    if kind == "hours":
        return parse_hours(raw)
    return unicodedata.normalize("NFKC", raw)


def _merge_hours(values):
    """One day class from several columns (WAM 日曜 + 祝日): open ranges united, closed if all."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    open_ = [r for v in known if v != "closed" for r in v.split(",")]
    return ",".join(dict.fromkeys(open_)) if open_ else "closed"


_DAY_CLASSES = {
    "hours_weekday": re.compile(r"平日|月曜?.*金曜?"),
    "hours_saturday": re.compile(r"土"),
    "hours_sunday_holiday": re.compile(r"(日曜|日祝|日・祝|土日|^日|[、,・/]日)(?!.*?を除)"),
}


def closed_classes(text):
    """Day classes that a 定休日 text closes (a Sunday/holiday class needs 日 and 祝 both).

    Examples
    --------
    >>> closed_classes("土曜日、日曜日、祝日")
    ['hours_saturday', 'hours_sunday_holiday']
    >>> closed_classes("日曜日")
    []
    """
    t = unicodedata.normalize("NFKC", str(text or ""))
    out = []
    for code, pattern in _DAY_CLASSES.items():
        if not pattern.search(t):
            continue
        if code == "hours_sunday_holiday" and "祝" not in t:
            continue
        out.append(code)
    return out


def from_table(table, *, ids, source, source_date=None, report=None, mapping=None):
    """Turn the capability columns of a table into ``facility_capabilities`` rows.

    Parameters
    ----------
    table : pandas.DataFrame
        The file's cells as text (as :func:`geo.importers.reading.read_table` gives).
    ids : pandas.Series
        The ``facility_id`` of each row to take (indexed like ``table``; rows whose id is null
        or empty are skipped). One row may feed several facilities: give a Series with a
        repeated index.
    source : str
        Provenance of every value (e.g. ``"WAM 障害福祉サービス等情報公表: file.csv"``).
    source_date : str, optional
        Survey date (ISO) of the file; a survey-date column of the table (調査日, 更新日 ...)
        wins row by row.
    report : ImportReport, optional
        Gets a warning per column with values that could not be read (left unknown) and one
        listing the unknown columns (``report.tables["unknown_columns"]``).
    mapping : dict, optional
        :func:`header_map` of the table (computed when omitted).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LONG_COLUMNS`; one row per facility x capability with a known value.
    """
    mapping = mapping or header_map(table.columns)
    caps = mapping["capabilities"]
    by_code = {}
    for header, code in caps.items():
        by_code.setdefault(code, []).append(header)
    bad = {}
    rows = []
    ids = ids[ids.notna() & (ids.astype(str).str.strip() != "")]
    date_col = mapping.get("date")
    for i, fid in zip(ids.index, ids, strict=True):
        rec = table.loc[i]
        date = source_date
        if date_col:
            try:
                date = columns.parse_date(columns.text(rec[date_col])) or source_date
            except ValueError:
                bad.setdefault(date_col, []).append(reading.row_number(i))
        values = {}
        for code, headers in by_code.items():
            parsed = []
            for h in headers:
                try:
                    parsed.append(parse_value(code, columns.text(rec[h])))
                except (ValueError, KeyError):
                    bad.setdefault(h, []).append(reading.row_number(i))
                    parsed.append(None)
            if codes.capabilities().loc[code, "type"] == "hours":
                values[code] = _merge_hours(parsed)
            else:
                values[code] = next((v for v in parsed if v is not None), None)
        for code in closed_classes(values.get("closed_days")):
            if values.get(code) is None:
                values[code] = "closed"
        for code, value in values.items():
            if value is not None:
                rows.append((str(fid), code, value, source, date))
    if report is not None:
        for header, where in bad.items():
            shown = ", ".join(map(str, sorted(set(where))[:10]))
            report.warn(
                f"{report.name}: {len(set(where))} value(s) of column {header} could not be "
                f"read (rows {shown}{' ...' if len(set(where)) > 10 else ''}); they stay "
                "unknown. Write yes/no (あり/なし), a number, 9:00-17:00 or 休."
            )
        if mapping["unknown"]:
            report.warn(
                f"{report.name}: columns not mapped to ikemap fields or capabilities (kept as "
                f"they are, not used): {', '.join(mapping['unknown'])}. Rename a column to a "
                "name of data/capabilities.csv to use it."
            )
        report.tables["unknown_columns"] = list(mapping["unknown"])
        report.tables["capability_columns"] = dict(caps)
    out = pd.DataFrame(rows, columns=LONG_COLUMNS)
    return out.astype(object)


# ---------------------------------------------------------------------------------------------
# coverage of contacts


def coverage_codes(text, municipalities=None, area_members=None, areas=None):
    """Municipality codes a ``担当市区町村`` cell names (codes, municipality or 圏域 names).

    Returns
    -------
    (list of str, list of str)
        The codes and the items that name nothing known.

    Examples
    --------
    >>> coverage_codes("13201;13202")
    (['13201', '13202'], [])
    """
    from . import areas as area_codes

    names = {}
    if municipalities is not None and len(municipalities):
        names = {_key(n): c for c, n in zip(municipalities["code"], municipalities["name"])}
    area_names = {}
    if areas is not None and area_members is not None and len(areas):
        for aid, name in zip(areas["area_id"], areas["name"], strict=True):
            members = area_members.loc[area_members["area_id"] == aid, "municipality_code"]
            area_names[_key(name)] = list(members)
            area_names[_key(aid)] = list(members)
    out, bad = [], []
    for item in codes.split_list(unicodedata.normalize("NFKC", str(text or ""))) or []:
        k = _key(item)
        if re.fullmatch(r"\d{5,6}", k):
            code, problem, _ = area_codes.reconcile_code(k)
            found = [] if problem else [code]
        elif k in names:
            found = [names[k]]
        else:
            found = area_names.get(k, [])
        if not found:
            bad.append(item)
        out.extend(c for c in found if c not in out)
    return out, bad


# ---------------------------------------------------------------------------------------------
# a capability file joined on the workspace's facilities


def _id_column(headers):
    m = columns.resolve(headers, "facilities")
    return m.get("facility_id"), m.get("service")


def capabilities_from_file(path, *, facilities, workspace_layers=None, source_date=None):
    """Read a capability / coverage sheet and join it to facilities on 事業所番号 or facility_id.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or CP932) or Excel; one row per place, keyed by ``facility_id`` or
        ``事業所番号`` (optionally with ``サービス種別`` to pick one service of a 多機能型 office);
        capability columns (headers of ``data/capabilities.csv``), an optional survey date and an
        optional ``担当市区町村`` column.
    facilities : pandas.DataFrame
        The workspace's ``facilities`` layer (``facility_id``, optional ``jigyosho_no``).
    workspace_layers : dict, optional
        ``municipalities``, ``areas``, ``area_members`` to resolve names in ``担当市区町村``.
    source_date : str, optional
        Survey date of the whole file (a date column wins row by row).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, ImportReport)
        ``facility_capabilities`` rows, ``place_coverage`` rows and the report (rows that match
        no facility, or name unknown municipalities, are rejected).

    Examples
    --------
    >>> long, cov, rep = capabilities_from_file("survey.csv", facilities=fac)  # doctest: +SKIP
    """
    from . import facilities as fac_importer

    path = Path(path)
    report = ImportReport(file=str(path), kind="facilities", fmt="capabilities")
    empty = (
        pd.DataFrame(columns=LONG_COLUMNS).astype(object),
        pd.DataFrame(columns=COVERAGE_COLUMNS).astype(object),
    )
    table = reading.read_table(path, report)
    if table is None:
        return (*empty, report)
    id_col, service_col = _id_column(table.columns)
    if id_col is None:
        report.error(
            f"{report.name} has no facility_id / 事業所番号 column to join on; its columns are "
            f"{list(table.columns)}."
        )
        report.rows_read = 0
        return (*empty, report)
    mapping = header_map(table.columns)
    if not mapping["capabilities"] and mapping["coverage"] is None:
        report.error(
            f"{report.name} has no capability column (e.g. 看護師配置, 送迎, 入浴, 営業時間(平日)) "
            f"and no 担当市区町村 column; its columns are {list(table.columns)}. The names "
            "ikemap knows are in data/capabilities.csv."
        )
        report.rows_read = 0
        return (*empty, report)
    fids = facilities["facility_id"].astype(str).tolist()
    numbers = (
        facilities["jigyosho_no"].astype(object).where(facilities["jigyosho_no"].notna(), None)
        if "jigyosho_no" in facilities
        else pd.Series([None] * len(facilities), index=facilities.index)
    ).tolist()
    services = facilities["service"].tolist()
    lay = workspace_layers or {}
    idx, ids, cov_rows = [], [], []
    for i, rec in table.iterrows():
        row = reading.row_number(i)
        key = columns.text(rec[id_col])
        if not key:
            report.reject(row, id_col, "", "no facility_id / 事業所番号")
            continue
        wanted = None
        if service_col and columns.text(rec[service_col]):
            wanted, problem = fac_importer.service_code(columns.text(rec[service_col]))
            if problem:
                report.reject(row, service_col, columns.text(rec[service_col]), problem)
                continue
        hits = [
            f
            for f, n, s in zip(fids, numbers, services, strict=True)
            if (f == key or n == key) and (wanted is None or s == wanted)
        ]
        if not hits:
            report.reject(
                row,
                id_col,
                key,
                "matches no facility of the workspace"
                + (f" with service {wanted}" if wanted else "")
                + "; import its WAM/介護/generic file first or check the number",
            )
            continue
        if mapping["coverage"] is not None:
            text = columns.text(rec[mapping["coverage"]])
            got, bad = coverage_codes(
                text, lay.get("municipalities"), lay.get("area_members"), lay.get("areas")
            )
            if bad:
                report.reject(
                    row,
                    mapping["coverage"],
                    text,
                    f"names no known municipality or 圏域: {bad}; use 5-digit codes, municipality "
                    "names or 圏域 names of the workspace",
                )
                continue
            cov_rows.extend((f, c) for f in hits for c in got)
        idx.extend([i] * len(hits))
        ids.extend(hits)
    source = f"{report.name}"
    long = from_table(
        table,
        ids=pd.Series(ids, index=idx, dtype=object),
        source=source,
        source_date=source_date,
        report=report,
        mapping=mapping,
    )
    report.settle()
    cov = pd.DataFrame(cov_rows, columns=COVERAGE_COLUMNS).drop_duplicates().astype(object)
    logger.info(
        "Read %d capability values and %d coverage rows from %s", len(long), len(cov), path.name
    )
    return long, cov.reset_index(drop=True), report


def from_facility_table(frame, table, report, *, source):
    """Capability rows from the extra columns of a facility file, for rows the import kept.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Facilities as imported, with ``row`` (the spreadsheet row of each facility).
    table : pandas.DataFrame
        The file as read (text cells, 0-based index: spreadsheet row = index + 2).
    report : ImportReport
        The file's report: gets unknown columns and unreadable values (no row is rejected for a
        capability: the facility is kept and the value stays unknown).
    source : str
        Provenance of the values.

    Returns
    -------
    pandas.DataFrame
        ``facility_capabilities`` rows (also left in ``report.tables["facility_capabilities"]``).
    """
    ids = pd.Series(
        frame["facility_id"].to_numpy(),
        index=[int(r) - 2 for r in frame["row"]],
        dtype=object,
    )
    dates = frame["source_date"].dropna().unique() if "source_date" in frame else []
    long = from_table(
        table, ids=ids, source=source, source_date=dates[0] if len(dates) == 1 else None,
        report=report,
    )  # fmt: skip
    report.tables["facility_capabilities"] = long
    return long


def from_extra(facilities, *, report=None):
    """Capability rows from the ``extra`` column (JSON of unmapped cells) of a facilities layer.

    The facility importers keep every column they do not map in ``extra``; this reads the
    capability columns among them (WAM's 利用可能な時間帯, a survey's 看護師配置 ...), with the
    facility's ``source`` and ``source_date`` as provenance.

    Parameters
    ----------
    facilities : pandas.DataFrame
        ``facility_id``, ``extra`` (JSON text or dict per row, null when none), optional
        ``source`` and ``source_date``.
    report : ImportReport, optional
        Gets the unknown columns and unreadable values (see :func:`from_table`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LONG_COLUMNS`.

    Examples
    --------
    >>> f = pd.DataFrame({"facility_id": ["F1"], "source": ["WAM"], "source_date": [None],
    ...                   "extra": ['{"送迎": "あり", "駐車場": "3"}']})
    >>> from_extra(f)[["facility_id", "capability", "value", "source"]].values.tolist()
    [['F1', 'transport', 'true', 'WAM']]
    """
    import json

    empty = pd.DataFrame(columns=LONG_COLUMNS).astype(object)
    if "extra" not in facilities.columns or not len(facilities):
        return empty
    parsed = []
    for v in facilities["extra"]:
        if isinstance(v, dict):
            parsed.append(v)
        elif v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip():
            parsed.append({})
        else:
            try:
                got = json.loads(v)
            except ValueError:
                got = {}
            parsed.append(got if isinstance(got, dict) else {})
    if not any(parsed):
        return empty
    table = pd.DataFrame(parsed, index=facilities.index).fillna("").astype(object)
    out = []
    sources = facilities["source"] if "source" in facilities else pd.Series(None, facilities.index)
    dates = (
        facilities["source_date"]
        if "source_date" in facilities
        else pd.Series(None, facilities.index)
    )
    mapping = header_map(table.columns)
    groups = pd.DataFrame({"s": sources.astype(object), "d": dates.astype(object)}).fillna("")
    for (src, date), sub in groups.groupby(["s", "d"], sort=False):
        out.append(
            from_table(
                table.loc[sub.index],
                ids=facilities.loc[sub.index, "facility_id"].astype(object),
                source=src or None,
                source_date=date or None,
                report=report,
                mapping=mapping,
            )
        )
    return pd.concat(out, ignore_index=True).astype(object) if out else empty


def report_columns(table, report):
    """Report a facility file's capability columns, unreadable values and unknown columns.

    The importer keeps every unmapped column in ``extra``; this tells the user which of them
    the directory reads as capabilities and which it does not know.

    Called once per facility file by :func:`geo.importers.facilities.facilities_from_file`.
    Nothing is rejected: a facility with an unreadable capability keeps it unknown.

    Returns
    -------
    dict
        :func:`header_map` of the table (also in ``report.tables["capability_columns"]`` and
        ``report.tables["unknown_columns"]``).

    Examples
    --------
    >>> rep = ImportReport(file="f.csv", kind="facilities")
    >>> t = pd.DataFrame({"事業所番号": ["1", "2"], "送迎": ["あり", "たぶん"],
    ...                   "駐車場": ["", "1"]})
    >>> report_columns(t, rep)["capabilities"]
    {'送迎': 'transport'}
    >>> [w.split(":")[0] for w in rep.warnings]
    ['f.csv', 'f.csv', 'f.csv']
    """
    mapping = header_map(table.columns)
    caps = mapping["capabilities"]
    if caps:
        named = ", ".join(
            f"{h} = {codes.capabilities().loc[c, 'label_ja']}" for h, c in caps.items()
        )
        report.warn(
            f"{report.name}: capability columns read into the directory (unknown stays unknown): "
            f"{named}"
        )
    from_table(
        table,
        ids=pd.Series(table.index.astype(str), index=table.index, dtype=object),
        source=report.name,
        report=report,
        mapping=mapping,
    )
    return mapping


# ---------------------------------------------------------------------------------------------
# storage


def merge(old, new):
    """Merge capability rows: a new value replaces the old one of the same facility/capability.

    Examples
    --------
    >>> a = pd.DataFrame([["F1", "transport", "false", "s1", "2024-01-01"]], columns=LONG_COLUMNS)
    >>> b = pd.DataFrame([["F1", "transport", "true", "s2", "2025-01-01"]], columns=LONG_COLUMNS)
    >>> merge(a, b)["value"].tolist()
    ['true']
    """
    frames = [f for f in (old, new) if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=LONG_COLUMNS).astype(object)
    both = pd.concat([f[LONG_COLUMNS] for f in frames], ignore_index=True)
    both = both.drop_duplicates(["facility_id", "capability"], keep="last")
    return both.reset_index(drop=True).astype(object)


def read(path):
    """The ``facility_capabilities`` and ``place_coverage`` layers of a workspace (or empty)."""
    present = set(workspace.layers(path))
    long = (
        workspace.read(path, "facility_capabilities")
        if "facility_capabilities" in present
        else pd.DataFrame(columns=LONG_COLUMNS)
    )
    cov = (
        workspace.read(path, "place_coverage")
        if "place_coverage" in present
        else pd.DataFrame(columns=COVERAGE_COLUMNS)
    )
    return pd.DataFrame(long).astype(object), pd.DataFrame(cov).astype(object)


def import_file(path, file, *, source_date=None, replace_coverage=True):
    """Import a capability / coverage sheet into a workspace (merged with what it holds).

    Coverage rows of the places named in the file replace their old coverage; capability values
    replace the old values of the same facility and capability; everything else is kept.

    Returns
    -------
    ImportReport
        Nothing is written when the report failed.
    """
    path = Path(path)
    if not path.exists():
        msg = f"Workspace {path} does not exist; import facilities first (`ikemap import`)."
        raise WorkspaceError(msg)
    lay = workspace.read_all(path, names=("facilities", "municipalities", "areas", "area_members"))
    if "facilities" not in lay:
        msg = f"Workspace {path} has no facilities layer; import facilities first."
        raise WorkspaceError(msg)
    long, cov, report = capabilities_from_file(
        file, facilities=lay["facilities"], workspace_layers=lay, source_date=source_date
    )
    if report.failed:
        return report
    old_long, old_cov = read(path)
    frames = {"facility_capabilities": merge(old_long, long)}
    if len(cov):
        keep = (
            old_cov[~old_cov["facility_id"].isin(set(cov["facility_id"]))]
            if replace_coverage
            else old_cov
        )
        merged_cov = pd.concat([keep, cov], ignore_index=True).drop_duplicates()
        frames["place_coverage"] = merged_cov.reset_index(drop=True).astype(object)
    workspace.write_layers(path, frames)
    return report


def wide(long, *, facility_ids=None, capabilities=None):
    """Capabilities as one typed column per capability, indexed by ``facility_id``.

    ``bool`` columns are pandas ``boolean`` (``<NA>`` = unknown), ``int`` are ``Int64``,
    ``hours`` and ``text`` are text (None = unknown).

    Examples
    --------
    >>> long = pd.DataFrame([["F1", "transport", "true", "s", None]], columns=LONG_COLUMNS)
    >>> w = wide(long, facility_ids=["F1", "F2"], capabilities=["transport", "bathing"])
    >>> w["transport"].tolist(), w["bathing"].isna().all()
    ([True, <NA>], np.True_)
    """
    table = codes.capabilities()
    caps = list(capabilities) if capabilities is not None else list(table.index)
    if facility_ids is None:
        facility_ids = list(dict.fromkeys(long["facility_id"])) if len(long) else []
    index = pd.Index([str(f) for f in facility_ids], name="facility_id")
    out = pd.DataFrame(index=index)
    sub = long[long["capability"].isin(caps)] if len(long) else long
    pivot = (
        sub.drop_duplicates(["facility_id", "capability"], keep="last").pivot(
            index="facility_id", columns="capability", values="value"
        )
        if len(sub)
        else pd.DataFrame()
    )
    for c in caps:
        col = (
            pivot[c].reindex(index)
            if c in pivot
            else pd.Series([None] * len(index), index=index, dtype=object)
        )
        kind = table.loc[c, "type"] if c in table.index else "text"
        if kind == "bool":
            out[c] = pd.array(
                [None if v is None or v is np.nan or pd.isna(v) else v == "true" for v in col],
                dtype="boolean",
            )
        elif kind == "int":
            out[c] = pd.array(pd.to_numeric(col, errors="coerce"), dtype="Int64")
        else:
            out[c] = pd.Series(
                [None if v is None or pd.isna(v) else str(v) for v in col],
                index=index,
                dtype=object,
            )
    return out
