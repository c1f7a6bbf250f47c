"""Register reconciliation: several child lists, matched, merged, and their disagreements.

Counting children is fragmented: public-health nurses (保健師), the board of education and the NICU
discharge list each hold their own list, and prefectures reconcile them by hand and send the
differences back to the municipality (Mie [000:7864-7869], Nagano's ledger merge [000:6506-6512];
brief §6 row 6, §8 scenario 12). This module does that:

1. :func:`read_list` reads one list as one *source* (the children-register columns, English or
   Japanese: 管理番号, 生年月日 or 年齢, 市区町村コード or a municipality name, 医療的ケア, 確認日;
   lat/lon kept when present). Text is NFKC-normalised (full-width digits and letters, spaces).
2. :func:`reconcile` links records of different sources: the same ``child_id`` (score 1.0), else
   the same birth date and municipality (score 0.6 + 0.3 x the Jaccard similarity of the care
   lists, 0.6-0.9); a pair with the same age, municipality and care but no birth date on one
   side (score 0.5) is only proposed (``possible_match``). Links are taken best first; a person
   never holds two records of one source.
3. The result: the merged register (one row per person, with its ``sources``, the record ids per
   source and the latest ``last_verified``), and the issues per municipality: records present in
   some sources only (``only_in``), ``care_conflict``, ``age_conflict`` (different birth dates,
   or ages more than ``age_tolerance`` apart), ``municipality_conflict``, ``possible_match`` and
   ``duplicate_in_source``. :func:`return_tables` gives one list per municipality to send back
   (written through the access gate by ``ikemap reconcile`` and the data page).

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"source": "nurses", "record_id": ["n1"], "child_id": ["A1"],
...                   "birth_date": ["2015-04-01"], "age": [9], "municipality_code": ["99001"],
...                   "care": [["suction"]], "last_verified": ["2024-03-01"]})
>>> b = a.assign(source="school", record_id="s1", child_id="E-9", care=[["suction", "oxygen"]])
>>> r = reconcile([a, b])
>>> r.register[["sources", "match_score"]].values.tolist()
[[['nurses', 'school'], 0.75]]
>>> r.issues["kind"].tolist()
['care_conflict']
"""

from __future__ import annotations

import datetime as _dt
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo import codes
from geo.errors import ValidationError
from geo.workspace import LAYERS, Problem

logger = logging.getLogger(__name__)

#: Columns of a source list after :func:`read_list` (and of the ``child_sources`` layer).
RECORD_COLUMNS = tuple(c.name for c in LAYERS["child_sources"].columns)

#: Issue kinds, with the Japanese text used in the return files.
ISSUE_KINDS = {
    "only_in": "一部の名簿にのみ記載",
    "care_conflict": "医療的ケアの内容が名簿間で異なる",
    "age_conflict": "生年月日・年齢が名簿間で異なる",
    "municipality_conflict": "市区町村が名簿間で異なる",
    "possible_match": "同一人物の可能性（生年月日なし）: 確認してください",
    "duplicate_in_source": "同じ名簿に同じIDが複数",
}

#: Default lowest score that links two records.
MIN_SCORE = 0.6


def nfkc(text):
    """NFKC-normalised text without spaces (``'Ａ－０１ '`` -> ``'A-01'``); '' for empty.

    Examples
    --------
    >>> nfkc("Ａ－０１ "), nfkc(None)
    ('A-01', '')
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    t = t.replace("ー", "-").replace("−", "-").replace("‐", "-")
    return "".join(t.split())


def _age_at(birth, as_of):
    born = _dt.date.fromisoformat(birth)
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def read_list(path, *, source, municipalities=None, as_of=None):
    """Read one child list as one source.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or CP932) or Excel with the children-register columns.
    source : str
        Name of the source (e.g. ``nurses``, ``education``, ``nicu``).
    municipalities : DataFrame, optional
        ``code`` and ``name`` of the workspace's municipalities (names are matched, codes
        checked).
    as_of : datetime.date, optional
        Date ages are computed at from birth dates (default today).

    Returns
    -------
    (DataFrame, list of Problem)
        Records with :data:`RECORD_COLUMNS` and the problems found: rows rejected (no id and
        no birth date, no municipality, a bad date) and rows kept with their care unknown (an
        unknown care label).

    Raises
    ------
    geo.errors.ValidationError
        The file cannot be read or lacks the columns needed to match anything.
    """
    from geo.importers import areas as areas_io
    from geo.importers import columns, reading
    from geo.importers.report import ImportReport

    path = Path(path)
    source = nfkc(source)
    if not source:
        msg = f"{path}: give the list a source name (e.g. nurses, education, nicu)."
        raise ValueError(msg)
    as_of = as_of or _dt.date.today()
    rep = ImportReport(file=str(path), kind="children")
    table = reading.read_table(path, rep)
    if table is None:
        problems = [Problem(path.name, "-", "file", str(path), "; ".join(rep.errors or ["?"]))]
        raise ValidationError(problems, f"child list {path}")
    m = columns.resolve(table.columns, "children")
    for alias in ("市区町村", "市町村", "市区町村名", "municipality"):
        for h in table.columns:
            if "municipality" not in m and columns.normalize(h).lower() == alias:
                m["municipality"] = h
    missing = []
    if "child_id" not in m and "birth_date" not in m:
        missing.append("child_id [管理番号] or birth_date [生年月日]")
    if "municipality_code" not in m and "municipality" not in m:
        missing.append("municipality_code [市区町村コード] or 市区町村")
    if "care" not in m:
        missing.append("care [医療的ケア]")
    if missing:
        problems = [
            Problem(
                path.name, "header", c, None, f"this column; the file has {list(table.columns)}"
            )
            for c in missing
        ]
        raise ValidationError(problems, f"child list {path}")
    names = {}
    codes_known = set()
    if municipalities is not None and len(municipalities):
        codes_known = set(municipalities["code"].astype(str))
        names = {
            nfkc(n): str(c)
            for c, n in zip(municipalities["code"], municipalities["name"], strict=True)
        }
    rows, problems = [], []
    for i, rec in table.iterrows():
        row = int(i) + 2

        def bad(col, value, expected, row=row):
            problems.append(Problem(f"{path.name} ({source})", row, col, value, expected))

        cid = nfkc(columns.cell(rec, m, "child_id"))
        birth = None
        text = columns.cell(rec, m, "birth_date")
        if text:
            try:
                birth = columns.parse_date(text)
            except ValueError as exc:
                bad(m["birth_date"], text, str(exc))
                continue
        age = None
        text = columns.cell(rec, m, "age")
        if birth is not None:
            age = _age_at(birth, as_of)
        elif text:
            try:
                age = columns.parse_int(text)
            except ValueError:
                bad(m["age"], text, "a whole number of years")
                continue
        if not cid and birth is None:
            bad(m.get("child_id", m.get("birth_date")), "", "an id or a birth date to match on")
            continue
        code = None
        text = columns.cell(rec, m, "municipality_code")
        name = columns.cell(rec, m, "municipality")
        if text:
            code, problem, _ = areas_io.reconcile_code(text)
            if problem:
                bad(m["municipality_code"], text, problem)
                continue
        elif name:
            code = names.get(nfkc(name))
        if code is None or (codes_known and code not in codes_known):
            col = m.get("municipality_code", m.get("municipality"))
            bad(col, text or name, "a municipality (5-digit code or name) of the workspace")
            continue
        care_text = columns.cell(rec, m, "care")
        care, unknown = columns.parse_codes(care_text, "care_types")
        if unknown:  # kept (so it is matched), with its care unknown rather than half-read
            bad(
                m["care"],
                care_text,
                f"care codes or labels of data/care_types.csv (not {unknown}); the record is "
                "kept with its care unknown",
            )
            care = None
        verified = None
        text = columns.cell(rec, m, "last_verified")
        if text:
            try:
                verified = columns.parse_date(text)
            except ValueError as exc:
                bad(m["last_verified"], text, str(exc))
                continue
        lat = lon = None
        if columns.cell(rec, m, "lat") and columns.cell(rec, m, "lon"):
            try:
                lat = columns.parse_float(columns.cell(rec, m, "lat"))
                lon = columns.parse_float(columns.cell(rec, m, "lon"))
            except ValueError:
                lat = lon = None
        rows.append(
            {
                "source": source,
                "record_id": f"{source}:{cid or f'row{row}'}",
                "row": row,
                "child_id": cid or None,
                "birth_date": birth,
                "age": age,
                "municipality_code": code,
                "care": care,
                "last_verified": verified,
                "lat": lat,
                "lon": lon,
            }
        )
    seen = set()
    for r in rows:  # record ids are unique: a repeated id gets its row number
        if r["record_id"] in seen:
            r["record_id"] = f"{r['record_id']}@row{r['row']}"
        seen.add(r["record_id"])
    out = pd.DataFrame(rows, columns=list(RECORD_COLUMNS)).astype(object)
    return out, problems


def _jaccard(a, b):
    if a is None or b is None:
        return 0.0
    a, b = set(a), set(b)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _known(v):
    return v is not None and not (isinstance(v, float) and pd.isna(v))


def pair_score(a, b):
    """Score of two records being the same child, and how it was found.

    Returns
    -------
    (float, str)
        ``(1.0, "id")`` for the same id; ``(0.6 + 0.3 * J, "birth_municipality_care")`` for the
        same birth date and municipality (J = Jaccard of the care lists; 0 when unknown);
        ``(0.5, "age_municipality_care")`` for the same age, municipality and care when a birth
        date is missing; ``(0.0, "")`` otherwise.

    Examples
    --------
    >>> a = {"child_id": "A1", "birth_date": "2015-04-01", "age": 9, "municipality_code": "99001",
    ...      "care": ["suction", "oxygen"]}
    >>> pair_score(a, dict(a, child_id="X"))
    (0.9, 'birth_municipality_care')
    >>> pair_score(a, dict(a, child_id="X", care=["suction"]))
    (0.75, 'birth_municipality_care')
    """
    if _known(a["child_id"]) and a["child_id"] == b["child_id"]:
        return 1.0, "id"
    if a["municipality_code"] != b["municipality_code"]:
        return 0.0, ""
    if _known(a["birth_date"]) and _known(b["birth_date"]):
        if a["birth_date"] == b["birth_date"]:
            return round(0.6 + 0.3 * _jaccard(a["care"], b["care"]), 4), "birth_municipality_care"
        return 0.0, ""
    if (
        _known(a["age"])
        and _known(b["age"])
        and int(a["age"]) == int(b["age"])
        and _jaccard(a["care"], b["care"]) == 1.0
        and a["care"] is not None
    ):
        return 0.5, "age_municipality_care"
    return 0.0, ""


@dataclass
class Reconciliation:
    """The result of :func:`reconcile`.

    Attributes
    ----------
    records : DataFrame
        Every record with its ``person`` and the ``match_score`` / ``method`` of its link.
    register : DataFrame
        One row per person (the merged register).
    issues : DataFrame
        One row per problem and municipality (see :data:`ISSUE_KINDS`).
    sources : list of str
        The sources, in the order given.
    """

    records: pd.DataFrame
    register: pd.DataFrame
    issues: pd.DataFrame
    sources: list


def _candidates(recs):
    """Pairs of records of different sources sharing a blocking key."""
    pairs = set()
    keys = {}
    for i, r in recs.iterrows():
        ks = []
        if _known(r["child_id"]):
            ks.append(("id", r["child_id"]))
        if _known(r["birth_date"]):
            ks.append(("bm", r["birth_date"], r["municipality_code"]))
        if _known(r["age"]):
            ks.append(("am", int(r["age"]), r["municipality_code"]))
        for k in ks:
            keys.setdefault(k, []).append(i)
    for members in keys.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if recs.at[a, "source"] != recs.at[b, "source"]:
                    pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


def reconcile(lists, *, min_score=MIN_SCORE, age_tolerance=1, coverage=None, as_of=None):
    """Match, merge and compare several child lists (the numeric core).

    Parameters
    ----------
    lists : list of DataFrame
        Source lists (:func:`read_list`), each with one ``source`` value.
    min_score : float, default 0.6
        Lowest score that links two records (see :func:`pair_score`).
    coverage : dict of str to (int, int), optional
        Ages each source covers, e.g. ``{"nicu": (0, 2), "education": (6, 17)}``: a child is
        reported missing from a source only when its age is in that source's range (a school
        list is not expected to hold infants). Default: every source covers every age.
    as_of : datetime.date, optional
        Date the age of a record with a birth date but no age is computed at (default today).
    age_tolerance : int, default 1
        Ages (without birth dates) further apart than this conflict; lists verified at different
        times may differ by one year.

    Returns
    -------
    Reconciliation
    """
    if not 0 < float(min_score) <= 1:
        msg = f"min_score is {min_score!r}; expected a number in (0, 1]."
        raise ValueError(msg)
    frames = [pd.DataFrame(f) for f in lists if len(f)]
    sources = list(dict.fromkeys(s for f in lists for s in pd.DataFrame(f).get("source", [])))
    if not frames:
        empty = pd.DataFrame(columns=list(RECORD_COLUMNS))
        return Reconciliation(empty, _register(empty, sources), _issues_frame([]), sources)
    recs = pd.concat(frames, ignore_index=True).astype(object)
    recs = recs.reindex(columns=list(RECORD_COLUMNS)).astype(object)
    as_of = as_of or _dt.date.today()
    recs["age"] = [
        _age_at(b, as_of) if not _known(a) and _known(b) else a
        for a, b in zip(recs["age"], recs["birth_date"], strict=True)
    ]
    parent = list(range(len(recs)))
    members = {i: {recs.at[i, "source"]} for i in range(len(recs))}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scored = []
    for a, b in _candidates(recs):
        s, how = pair_score(recs.loc[a], recs.loc[b])
        if s > 0:
            scored.append((s, a, b, how))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    link_score = [None] * len(recs)
    link_how = [None] * len(recs)
    possible = []
    for s, a, b, how in scored:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if s < min_score:
            possible.append((s, a, b))
            continue
        if members[ra] & members[rb]:
            continue  # a person never holds two records of one source
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        for x in (a, b):
            if link_score[x] is None or s > link_score[x]:
                link_score[x], link_how[x] = s, how
    roots = [find(i) for i in range(len(recs))]
    order = {r: n for n, r in enumerate(dict.fromkeys(roots))}
    recs["person"] = [f"P{order[r] + 1:05d}" for r in roots]
    recs["match_score"] = link_score
    recs["method"] = link_how
    issues = []
    for person, grp in recs.groupby("person", sort=False):
        issues += _person_issues(person, grp, sources, age_tolerance, coverage or {})
    for s, a, b in possible:
        if roots[a] == roots[b]:
            continue
        ra, rb = recs.loc[a], recs.loc[b]
        issues.append(
            {
                "municipality_code": ra["municipality_code"],
                "kind": "possible_match",
                "person": f"{recs.at[a, 'person']}/{recs.at[b, 'person']}",
                "records": f"{ra['record_id']};{rb['record_id']}",
                "sources_present": f"{ra['source']};{rb['source']}",
                "sources_missing": "",
                "detail": f"score {s}: same age {ra['age']}, municipality and care",
            }
        )
    for src, grp in recs.groupby("source", sort=False):
        dup = grp[grp["child_id"].notna()]
        for cid, g in dup.groupby("child_id"):
            if len(g) > 1:
                issues.append(
                    {
                        "municipality_code": g["municipality_code"].iloc[0],
                        "kind": "duplicate_in_source",
                        "person": ";".join(dict.fromkeys(g["person"])),
                        "records": ";".join(f"{src} row {r}" for r in g["row"]),
                        "sources_present": src,
                        "sources_missing": "",
                        "detail": f"id {cid} appears {len(g)} times in {src}",
                    }
                )
    return Reconciliation(recs, _register(recs, sources), _issues_frame(issues), sources)


def parse_coverage(items):
    """``["nicu=0-2", "education=6-17"]`` -> ``{"nicu": (0, 2), "education": (6, 17)}``.

    Examples
    --------
    >>> parse_coverage(["ＮＩＣＵ=0-2"])
    {'NICU': (0, 2)}
    """
    out = {}
    for item in items or []:
        name, _, rng = nfkc(item).partition("=")
        lo, _, hi = rng.partition("-")
        if not name or not lo.isdigit() or not hi.isdigit() or int(lo) > int(hi):
            msg = f"age coverage {item!r}: write SOURCE=LO-HI in whole years, e.g. nicu=0-2."
            raise ValueError(msg)
        out[name] = (int(lo), int(hi))
    return out


def _fmt_care(care):
    """Care codes as Japanese labels for the return lists (``不明`` unknown, ``なし`` none)."""
    if care is None or (isinstance(care, float) and pd.isna(care)):
        return "不明"
    labels = codes.care_types()["label_ja"]
    return "・".join(str(labels.get(c, c)) for c in care) if care else "なし"


def _expected(source, ages, coverage):
    """Whether ``source`` should hold a child of these ages (unknown age: yes)."""
    if source not in coverage or not ages:
        return True
    lo, hi = coverage[source]
    return any(lo <= a <= hi for a in ages)


def _person_issues(person, grp, sources, age_tolerance, coverage):
    out = []
    present = list(dict.fromkeys(grp["source"]))
    ages = [int(a) for a in grp["age"] if _known(a)]
    expected = [s for s in sources if s in present or _expected(s, ages, coverage)]
    records = ";".join(grp["record_id"])

    def issue(kind, detail, municipality=None):
        out.append(
            {
                "municipality_code": municipality or grp["municipality_code"].iloc[0],
                "kind": kind,
                "person": person,
                "records": records,
                "sources_present": ";".join(present),
                "sources_missing": ";".join(s for s in expected if s not in present),
                "detail": detail,
            }
        )

    if len(present) < len(expected):
        issue("only_in", f"{'・'.join(present)} のみ")
    if len(grp) < 2:
        return out
    cares = [None if c is None else frozenset(c) for c in grp["care"]]
    known = [c for c in cares if c is not None]
    if len(set(known)) > 1:
        detail = " / ".join(
            f"{s}: {_fmt_care(c)}" for s, c in zip(grp["source"], grp["care"], strict=True)
        )
        issue("care_conflict", detail)
    births = {b for b in grp["birth_date"] if _known(b)}
    if len(births) > 1 or (ages and max(ages) - min(ages) > age_tolerance):
        detail = " / ".join(
            f"{s}: {b if _known(b) else '-'} ({a if _known(a) else '?'}歳)"
            for s, b, a in zip(grp["source"], grp["birth_date"], grp["age"], strict=True)
        )
        issue("age_conflict", detail)
    munis = list(dict.fromkeys(grp["municipality_code"]))
    if len(munis) > 1:
        detail = " / ".join(
            f"{s}: {m}" for s, m in zip(grp["source"], grp["municipality_code"], strict=True)
        )
        for m in munis:  # each municipality gets the row
            issue("municipality_conflict", detail, municipality=m)
    return out


def _issues_frame(rows):
    cols = [
        "municipality_code",
        "kind",
        "kind_ja",
        "person",
        "records",
        "sources_present",
        "sources_missing",
        "detail",
    ]
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "kind_ja"])
    out.insert(2, "kind_ja", out["kind"].map(ISSUE_KINDS))
    return out.sort_values(["municipality_code", "kind", "person"], kind="stable").reset_index(
        drop=True
    )


def _register(recs, sources):
    cols = [
        "child_id",
        "person",
        "age",
        "birth_date",
        "care",
        "municipality_code",
        "lat",
        "lon",
        "sources",
        "source_ids",
        "verified_by_source",
        "last_verified",
        "match_score",
        "conflicts",
    ]
    if recs.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    rank = {s: n for n, s in enumerate(sources)}
    for person, grp in recs.groupby("person", sort=False):
        grp = grp.assign(_r=[rank.get(s, 99) for s in grp["source"]])
        grp = grp.assign(_v=[v or "" for v in grp["last_verified"]])
        newest = grp.sort_values(["_v", "_r"], ascending=[False, True]).iloc[0]
        first = grp.sort_values("_r").iloc[0]
        ids = [c for c in grp.sort_values("_r")["child_id"] if _known(c)]
        births = [b for b in grp["birth_date"] if _known(b)]
        located = grp[[_known(v) for v in grp["lat"]]]
        conflicts = []
        cares = {frozenset(c) for c in grp["care"] if c is not None}
        if len(cares) > 1:
            conflicts.append("care")
        ages = [int(a) for a in grp["age"] if _known(a)]
        if len(set(births)) > 1 or (ages and max(ages) - min(ages) > 1):
            conflicts.append("age")
        if grp["municipality_code"].nunique() > 1:
            conflicts.append("municipality")
        scores = [s for s in grp["match_score"] if _known(s)]
        rows.append(
            {
                "child_id": ids[0] if ids else person,
                "person": person,
                "age": newest["age"],
                "birth_date": newest["birth_date"]
                if _known(newest["birth_date"])
                else (births[0] if births else None),
                "care": newest["care"] if newest["care"] is not None else first["care"],
                "municipality_code": newest["municipality_code"],
                "lat": located["lat"].iloc[0] if len(located) else None,
                "lon": located["lon"].iloc[0] if len(located) else None,
                "sources": list(dict.fromkeys(grp["source"])),
                "source_ids": ";".join(grp["record_id"]),
                "verified_by_source": ";".join(
                    f"{src}:{v or '-'}" for src, v in zip(grp["source"], grp["_v"], strict=True)
                ),
                "last_verified": max(grp["_v"]) or None,
                "match_score": min(scores) if scores else None,
                "conflicts": conflicts,
            }
        )
    return pd.DataFrame(rows, columns=cols).astype(object)


def summary(recon):
    """Issue counts per municipality and kind (an aggregate; pass it through the gate)."""
    if recon.issues.empty:
        return pd.DataFrame(columns=["municipality_code", *ISSUE_KINDS])
    t = pd.crosstab(recon.issues["municipality_code"], recon.issues["kind"])
    t = t.reindex(columns=list(ISSUE_KINDS), fill_value=0).reset_index()
    t.columns.name = None
    return t


def return_tables(recon, *, municipalities=None):
    """The return list of each municipality: its issues with the records' details.

    Returns
    -------
    dict of str to DataFrame
        Municipality code -> one row per issue and record, with ``child_id`` (the source's
        id), ``source``, ``birth_date``, ``age``, ``care`` of the record, so the municipality
        can find it in its own list.
    """
    by_id = recon.records.set_index("record_id")
    names = {}
    if municipalities is not None and len(municipalities):
        names = dict(zip(municipalities["code"].astype(str), municipalities["name"], strict=True))
    out = {}
    for code, grp in recon.issues.groupby("municipality_code", sort=True):
        rows = []
        for _, iss in grp.iterrows():
            for rid in iss["records"].split(";"):
                rec = by_id.loc[rid] if rid in by_id.index else None
                if isinstance(rec, pd.DataFrame):
                    rec = rec.iloc[0]
                rows.append(
                    {
                        "municipality_code": code,
                        "municipality": names.get(str(code), ""),
                        "kind": iss["kind"],
                        "kind_ja": iss["kind_ja"],
                        "person": iss["person"],
                        "source": rid.split(":")[0] if rec is not None else iss["sources_present"],
                        "child_id": None if rec is None else rec["child_id"],
                        "birth_date": None if rec is None else rec["birth_date"],
                        "age": None if rec is None else rec["age"],
                        "care": None if rec is None else _fmt_care(rec["care"]),
                        "last_verified": None if rec is None else rec["last_verified"],
                        "sources_missing": iss["sources_missing"],
                        "detail": iss["detail"],
                    }
                )
        out[str(code)] = pd.DataFrame(rows)
    return out


def store_source(path, records, *, source):
    """Store one source list in the workspace's ``child_sources`` layer.

    Rows of the same source are replaced; other sources are kept: a second list never
    replaces the first.
    """
    from geo import workspace

    records = records.assign(source=nfkc(source))
    old = None
    if "child_sources" in workspace.layers(path):
        old = pd.DataFrame(workspace.read(path, "child_sources"))
        old = old[old["source"] != nfkc(source)]
    frame = records if old is None or old.empty else pd.concat([old, records], ignore_index=True)
    frame = frame[list(RECORD_COLUMNS)].astype(object)
    frame["care"] = [
        None
        if c is None or (isinstance(c, float) and pd.isna(c))
        else ";".join(c)
        if isinstance(c, list | tuple)
        else c
        for c in frame["care"]
    ]
    workspace.write_layers(path, {"child_sources": frame}, validate_schema=False)
    return frame


def stored_sources(path):
    """The source lists stored in a workspace (``child_sources``), one frame per source."""
    from geo import workspace

    if "child_sources" not in workspace.layers(path):
        return []
    frame = pd.DataFrame(workspace.read(path, "child_sources")).astype(object)
    frame = frame.where(frame.notna(), None)  # NaN of empty cells -> None
    frame["care"] = [
        None if c is None or (isinstance(c, float) and pd.isna(c)) else codes.split_list(c)
        for c in frame["care"]
    ]
    for col in ("age", "lat", "lon"):
        frame[col] = [None if v is None or pd.isna(v) else v for v in frame[col]]
    frame["age"] = [None if v is None else int(v) for v in frame["age"]]
    frame["row"] = [None if v is None or pd.isna(v) else int(v) for v in frame["row"]]
    return [g.reset_index(drop=True) for _, g in frame.groupby("source", sort=False)]


def register_frame(recon):
    """The merged register as a children-register CSV table (re-importable with lat/lon)."""
    reg = recon.register.copy()
    reg["care"] = [None if c is None else ";".join(c) for c in reg["care"]]
    reg["sources"] = [";".join(s) for s in reg["sources"]]
    reg["conflicts"] = [";".join(c) for c in reg["conflicts"]]
    return reg
