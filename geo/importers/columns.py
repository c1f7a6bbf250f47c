"""Column headers and cell values of hand-filled tables: aliases, numbers, booleans, dates, codes.

Headers may be English or Japanese (``data/column_aliases.csv`` lists the aliases per kind of
file). Headers are compared after Unicode NFKC normalisation, so full-width and half-width
brackets, letters and digits are the same, and case is ignored.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from functools import cache

import pandas as pd

from .. import codes, settings


def normalize(text):
    """NFKC-normalise ``text``, strip it and drop inner spaces (for matching, not for storage).

    Examples
    --------
    >>> normalize(" 事業所住所（市区町村） ")
    '事業所住所(市区町村)'
    """
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).strip()


@cache
def _aliases():
    path = settings.data_dir / "column_aliases.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    out = {}
    for kind, column, alias in zip(df["kind"], df["column"], df["alias"], strict=True):
        out.setdefault(kind, []).append((column, normalize(alias).lower()))
    return out


def resolve(headers, kind):
    """Map canonical column names to the file's headers for one kind of file.

    Parameters
    ----------
    headers : list of str
        The file's column headers.
    kind : str
        A ``kind`` of ``data/column_aliases.csv`` (children, facilities, areas, shelters, ...).

    Returns
    -------
    dict of str to str
        Canonical name to the header found (first alias that matches).

    Examples
    --------
    >>> resolve(["管理番号", "年齢", "医療的ケア", "住所"], "children")["age"]
    '年齢'
    """
    found = {normalize(h).lower(): h for h in headers}
    out = {}
    for column, alias in _aliases().get(kind, []):
        if column not in out and alias in found:
            out[column] = found[alias]
    return out


def conflicts(headers, kind):
    """Headers that give the same canonical column of ``kind`` (``age`` and ``年齢``).

    Returns
    -------
    list of (str, list of str)
        The canonical column and the headers that all map to it; empty when none do.

    Examples
    --------
    >>> conflicts(["child_id", "age", "care", "年齢"], "children")
    [('age', ['age', '年齢'])]
    """
    found = {}
    for h in headers:
        key = normalize(h).lower()
        for column, alias in _aliases().get(kind, []):
            if alias == key:
                found.setdefault(column, [])
                if h not in found[column]:
                    found[column].append(h)
                break
    return [(c, hs) for c, hs in found.items() if len(hs) > 1]


def text(value):
    """The stripped text of a cell value; '' for None and NaN/NA.

    Examples
    --------
    >>> text("  立川市 "), text(None), text(float("nan"))
    ('立川市', '', '')
    """
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def cell(row, mapping, name):
    """The stripped text of canonical column ``name`` in ``row`` ('' when absent)."""
    header = mapping.get(name)
    if header is None:
        return ""
    return text(row[header])


def parse_float(text):
    """Parse a decimal number written with half- or full-width digits; None when empty."""
    text = normalize(text).replace(",", "")
    if not text:
        return None
    return float(text)


def parse_int(text):
    """Parse a whole number ('3', '３', '3歳', '3.0'); None when empty; ValueError otherwise.

    Examples
    --------
    >>> parse_int("３歳"), parse_int("1,000"), parse_int("")
    (3, 1000, None)
    >>> parse_int("inf")
    Traceback (most recent call last):
    ...
    ValueError: 'inf' is not a whole number
    """
    raw = text
    text = normalize(text).replace(",", "")
    if not text:
        return None
    text = re.sub(r"(歳|才|人|名|床)$", "", text)
    try:
        num = float(text)
    except ValueError:
        msg = f"{raw!r} is not a whole number"
        raise ValueError(msg) from None
    if not math.isfinite(num) or num != int(num):
        msg = f"{raw!r} is not a whole number"
        raise ValueError(msg)
    return int(num)


def clean_id(text):
    """An id as stored: NFKC-normalised (full-width Ｋ１ is K1) and stripped.

    Duplicates are found on :func:`id_key` (the same, ignoring case).

    Examples
    --------
    >>> clean_id(" Ｋ１ "), id_key("Ｋ１") == id_key("k1") == id_key("K1")
    ('K1', True)
    """
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def id_key(text):
    """The key ids are compared on for duplicates: NFKC, no spaces, case folded."""
    return normalize(text).casefold()


_DMS = re.compile(
    r"^(?P<h1>[NSEW北南東西]?)\s*(?P<d>\d{1,3}(?:\.\d+)?)\s*[°度:]\s*"
    r"(?:(?P<m>\d{1,2}(?:\.\d+)?)\s*['′’分:]?\s*)?"
    r"(?:(?P<s>\d{1,2}(?:\.\d+)?)\s*(?:\"|″|”|''|秒)?\s*)?(?P<h2>[NSEW北南東西]?)$"
)


def parse_coordinate(text):
    r"""Parse a latitude or longitude: decimal degrees, or degrees-minutes-seconds.

    Returns
    -------
    (float or None, str or None)
        The value in decimal degrees and a note when it was converted (DMS); None when the
        cell is empty.

    Raises
    ------
    ValueError
        Not a coordinate; a decimal comma (``35,681``) is named with its fix.

    Examples
    --------
    >>> parse_coordinate("３５.６８")
    (35.68, None)
    >>> round(parse_coordinate("35°41'10\"N")[0], 5)
    35.68611
    >>> parse_coordinate("35度41分10秒")[1]
    'degrees-minutes-seconds 35度41分10秒 converted to 35.686111'
    """
    t = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not t:
        return None, None
    if re.fullmatch(r"[-+]?\d+\.\d+", t) or re.fullmatch(r"[-+]?\d+", t):
        return float(t), None
    if re.fullmatch(r"[-+]?\d{2,3},\d+", t):
        msg = (
            f"{text!r} has a decimal comma; write {t.replace(',', '.')} (a point, as in "
            "35.681): a comma reads as a thousands separator"
        )
        raise ValueError(msg)
    m = _DMS.fullmatch(t)
    if m and (m.group("m") or m.group("s")):
        deg = float(m.group("d")) + float(m.group("m") or 0) / 60 + float(m.group("s") or 0) / 3600
        if (m.group("m") and float(m.group("m")) >= 60) or (
            m.group("s") and float(m.group("s")) >= 60
        ):
            msg = f"{text!r}: minutes and seconds must be below 60"
            raise ValueError(msg)
        if (m.group("h1") or m.group("h2")) in ("S", "W", "南", "西"):
            deg = -deg
        return deg, f"degrees-minutes-seconds {text} converted to {deg:.6f}"
    msg = (
        f"{text!r} is not a coordinate; write decimal degrees such as 35.681 (or "
        "degrees-minutes-seconds 35°40'52\")"
    )
    raise ValueError(msg)


_TRUE = {
    "true",
    "yes",
    "y",
    "1",
    "はい",
    "有",
    "有り",
    "あり",
    "○",
    "〇",
    "◯",
    "済",
    "作成済",
    "可",
}
_FALSE = {"false", "no", "n", "0", "いいえ", "無", "無し", "なし", "×", "✕", "未", "未作成", "不可"}


def parse_bool(text):
    """Parse yes/no in English or Japanese (あり/なし, 有/無, ○/×, 済/未); None when empty.

    Examples
    --------
    >>> parse_bool("あり"), parse_bool("×"), parse_bool("")
    (True, False, None)
    """
    t = normalize(text).lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    msg = f"{text!r} is not yes/no (use true/false, あり/なし, 有/無, ○/×)"
    raise ValueError(msg)


_ERAS = {
    "令和": 2018,
    "r": 2018,
    "平成": 1988,
    "h": 1988,
    "昭和": 1925,
    "s": 1925,
    "大正": 1911,
    "t": 1911,
}
#: Last year of each closed era (平成31 = 2019 ended on 30 April).
_ERA_LAST = {"平成": 31, "h": 31, "昭和": 64, "s": 64, "大正": 15, "t": 15}


def parse_date(text, *, not_after=None):
    """Parse a date (2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日, R6.4.1) to ISO text.

    Parameters
    ----------
    text : str
        The cell (full-width digits are read; 元年 is year 1 of an era).
    not_after : datetime.date, optional
        A later date is a ValueError (e.g. a verification date in the future).

    Examples
    --------
    >>> parse_date("令和6年4月1日"), parse_date("2024/4/1"), parse_date("平成元年５月１日")
    ('2024-04-01', '2024-04-01', '1989-05-01')
    >>> import datetime
    >>> parse_date("令和99年1月1日", not_after=datetime.date(2026, 1, 1))
    Traceback (most recent call last):
    ...
    ValueError: '令和99年1月1日' is 2117-01-01, in the future; check the year
    """
    t = normalize(text).lower()
    if not t:
        return None
    era = r"(令和|平成|昭和|大正|r|h|s|t)(\d{1,2}|元)[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?"
    m = re.fullmatch(era, t)
    if m:
        year = 1 if m.group(2) == "元" else int(m.group(2))
        last = _ERA_LAST.get(m.group(1))
        if last is not None and year > last:
            msg = f"{text!r}: that era ended in its year {last}; check the era and year"
            raise ValueError(msg)
        y, mo, d = _ERAS[m.group(1)] + year, int(m.group(3)), int(m.group(4))
    else:
        m = re.fullmatch(r"(\d{4})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?(?:[ t].*)?", t)
        if not m:
            msg = f"{text!r} is not a date (write YYYY-MM-DD or 令和6年4月1日)"
            raise ValueError(msg)
        y, mo, d = (int(g) for g in m.groups())
    try:
        day = _dt.date(y, mo, d)
    except ValueError:
        msg = f"{text!r} is not a real date (month {mo}, day {d})"
        raise ValueError(msg) from None
    if not_after is not None and day > not_after:
        msg = f"{text!r} is {day.isoformat()}, in the future; check the year"
        raise ValueError(msg)
    return day.isoformat()


_NONE_WORDS = {"なし", "無", "無し", "none", "-", "ー", "－"}


def parse_codes(text, table, *, extra=None):
    """Parse a list cell of codes or labels of ``table`` into codes.

    Labels (Japanese or English) and codes are both accepted; items are separated by ``;``,
    ``、``, ``,`` or ``・``. An empty cell is None (unknown); ``なし``/``none`` is the empty list.

    Returns
    -------
    (list of str or None, list of str)
        The codes and the items that are not in the table.

    Examples
    --------
    >>> parse_codes("人工呼吸器、吸引", "care_types")
    (['ventilator', 'suction'], [])
    """
    t = str(text or "").strip()
    if not t:
        return None, []
    if normalize(t).lower() in _NONE_WORDS:
        return [], []
    lookup = {normalize(k).lower(): v for k, v in codes.label_to_code(table).items()}
    if extra:
        lookup.update({normalize(k).lower(): v for k, v in extra.items()})
    out, bad = [], []
    for item in codes.split_list(unicodedata.normalize("NFKC", t)) or []:
        code = lookup.get(normalize(item).lower())
        if code is None:
            bad.append(item)
        elif code not in out:
            out.append(code)
    return out, bad
