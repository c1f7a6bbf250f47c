"""Column headers and cell values of hand-filled tables: aliases, numbers, booleans, dates, codes.

Headers may be English or Japanese (``data/column_aliases.csv`` lists the aliases per kind of
file). Headers are compared after Unicode NFKC normalisation, so full-width and half-width
brackets, letters and digits are the same, and case is ignored.
"""

from __future__ import annotations

import datetime as _dt
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
    """Parse a whole number ('3', '３', '3歳', '3.0'); None when empty; ValueError otherwise."""
    text = normalize(text).replace(",", "")
    if not text:
        return None
    text = re.sub(r"(歳|才|人|名|床)$", "", text)
    num = float(text)
    if num != int(num):
        msg = f"{text} is not a whole number"
        raise ValueError(msg)
    return int(num)


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


_ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}


def parse_date(text):
    """Parse a date (2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日, R6.4.1) to ISO text.

    Examples
    --------
    >>> parse_date("令和6年4月1日"), parse_date("2024/4/1")
    ('2024-04-01', '2024-04-01')
    """
    t = normalize(text).lower()
    if not t:
        return None
    m = re.fullmatch(r"(令和|平成|昭和|r|h|s)(\d{1,2}|元)[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?", t)
    if m:
        year = 1 if m.group(2) == "元" else int(m.group(2))
        y, mo, d = _ERAS[m.group(1)] + year, int(m.group(3)), int(m.group(4))
    else:
        m = re.fullmatch(r"(\d{4})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?(?:[ t].*)?", t)
        if not m:
            msg = f"{text!r} is not a date (write YYYY-MM-DD)"
            raise ValueError(msg)
        y, mo, d = (int(g) for g in m.groups())
    return _dt.date(y, mo, d).isoformat()


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
