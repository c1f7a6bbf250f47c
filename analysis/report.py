"""Reports: an Excel workbook (one sheet per analysis) and an offline HTML summary.

Everything in a report passes the access gate (:mod:`gate`) with the report's audience
(``who``: a role name or :class:`gate.Audience`; the command line passes its ``--user`` or
``--role``): a planner gets aggregates whose small counts are suppressed jointly over both 圏域
kinds (「<10」 where the true value is 1-9, 「秘匿」 for a cell hidden to protect another);
child-level sheets (child access for coordinators, the call list for disaster officers) are
scoped and their export is audited; an admin sees everything. Flags, severities and reasons are
never hidden (the counts inside a reason are).

Both formats open with a header (title, region, date, audience, 圏域 kinds, travel-time and
suppression thresholds), show flags with their Japanese labels and reasons, and carry a legend.
The two 圏域 kinds are kept apart: one gaps sheet per kind and per-kind lines in 概要. The HTML
summary never shows a child: key figures, the flags per kind and an inline SVG map of the areas
coloured by coverage with the facilities (no tiles, no scripts: it opens offline).
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from geo import codes

logger = logging.getLogger(__name__)

#: Japanese headers of the output columns.
HEADERS = {
    "child_id": "管理番号",
    "service": "サービス種別",
    "rank": "順位",
    "facility_id": "事業所番号",
    "minutes": "所要時間（分）",
    "network_s": "道路上の時間（秒）",
    "access_s": "道路までの時間（秒）",
    "child_node": "児の道路ノード",
    "facility_node": "事業所の道路ノード",
    "covered": "しきい値内",
    "n_within": "しきい値内の事業所数",
    "basis": "根拠（確定/可能性）",
    "threshold_min": "しきい値（分）",
    "within": "この事業所がしきい値内",
    "covered_confirmed": "確定でしきい値内",
    "n_within_confirmed": "確定の事業所数",
    "far": "道路から遠い",
    "area_id": "圏域ID",
    "area_name": "圏域名",
    "area_kind": "圏域の種類",
    "children": "児数",
    "uncovered": "しきい値外の児数",
    "unmet_care": "ケア不適合の児数",
    "nearest_elsewhere": "最寄りが他圏域の児数",
    "coverage_pct": "カバー率（%）",
    "facilities": "事業所数",
    "capacity": "定員",
    "capacity_per_child": "定員/児",
    "e2sfca_mean": "E2SFCA（定員/児）",
    "share_elsewhere_pct": "他圏域依存（%）",
    "severity": "深刻度",
    "flags": "フラグ",
    "reasons": "理由",
    "candidate_id": "候補ID",
    "source": "候補の種類",
    "name": "名称",
    "node_id": "道路ノード",
    "newly_covered": "新たにカバーする児数",
    "newly_covered_weight": "新たにカバーする必要度",
    "cumulative_covered": "累計",
    "solver": "解法",
    "uncovered_before": "現状しきい値外の児数",
}


#: Planner flags (analysis.gaps) in Japanese, worst first.
FLAG_LABELS = {
    "no_facility": "圏域内に事業所なし",
    "unmet_care": "ケアを受け入れる事業所が到達圏にない児がいる",
    "low_coverage": "しきい値内に届かない児の割合が高い",
    "no_place": "到達圏内だが空き（定員）がない",
    "low_capacity": "定員・利用可能性（E2SFCA）が低い",
    "depends_on_neighbour": "最寄りが他圏域の児が多い（他圏域に依存）",
}

#: Legend rows (項目, 説明) of every report.
LEGEND = [
    ("<10", "真の値が1〜9人のため秘匿したセル"),
    ("秘匿", "他のセルを逆算させないために秘匿したセル（0人または10人以上）"),
    ("深刻度", "5 = 最も深刻（圏域内に事業所なし）… 1 = 他圏域に依存、0 = フラグなし"),
    *[
        (f"フラグ: {v}", f"コード {k}（深刻度 {s}）")
        for (k, v), s in zip(FLAG_LABELS.items(), (5, 4, 3, 3, 2, 1), strict=True)
    ],
    (
        "地図の色",
        "圏域のカバー率（しきい値内の児の割合）。赤 = 低い、緑 = 高い、灰色 = 秘匿または児なし",
    ),
    ("地図の点", "事業所（児の位置は表示しません）"),
]


#: Roles as a reader names them.
ROLE_LABELS = {
    "planner": "計画担当（集計のみ）",
    "coordinator": "コーディネーター",
    "disaster": "防災担当",
    "admin": "管理者",
}


def flag_labels(flags):
    """Japanese labels of a ``flags`` cell (``"no_facility;low_capacity"``).

    Examples
    --------
    >>> flag_labels("no_facility;depends_on_neighbour")
    '圏域内に事業所なし / 最寄りが他圏域の児が多い（他圏域に依存）'
    """
    if not isinstance(flags, str) or not flags:
        return ""
    return " / ".join(FLAG_LABELS.get(f, f) for f in flags.split(";") if f)


def _service_label(s):
    return codes.service_types()["label_ja"].get(s, s)


def _japanese(frame):
    """Japanese headers and labels for a sheet (flags labelled, lists joined, no geometry)."""
    from . import evacuation

    df = pd.DataFrame(frame).copy()
    if "geometry" in df.columns:
        df = df.drop(columns="geometry")
    if "flags" in df.columns:
        pos = df.columns.get_loc("flags") + 1
        df.insert(pos, "フラグ（説明）", df["flags"].map(flag_labels))
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
        if c == "service":
            df[c] = df[c].map(_service_label)
    names = {**HEADERS, **evacuation.CALL_LIST}
    rename = {}
    for c in df.columns:
        base = c
        for suffix in ("_suppressed", "_small"):
            if isinstance(c, str) and c.endswith(suffix):
                base = c[: -len(suffix)]
                rename[c] = names.get(base, base) + suffix
        if c not in rename:
            rename[c] = names.get(c, c)
    return df.rename(columns=rename)


def _audience(who):
    import gate

    return gate.audience(who if who is not None else "planner")


def _suppressing(who):
    return not (who.unsuppressed or (who.may_see_individuals and who.scope is None))


def header(ctx, who, *, services, thresholds=None):
    """The report header as (項目, 値) rows: title, region, date, audience, kinds, thresholds."""
    from geo import settings

    region = None
    if ctx.path is not None:
        from geo import workspace

        try:
            region = workspace.metadata(ctx.path).get("region")
        except Exception:  # noqa: BLE001 - a header without a region name is still a header
            region = None
    if not region and len(ctx.municipalities) and "pref" in ctx.municipalities:
        region = "・".join(dict.fromkeys(ctx.municipalities["pref"].astype(str)))
    minutes = codes.service_types()["threshold_min"]
    thr = {s: (thresholds or {}).get(s, minutes.get(s)) for s in services}
    return [
        ("タイトル", "ikemap 医療的ケア児の支援資源・災害リスク報告書"),
        ("地域", region or "—"),
        ("作成日", _dt.date.today().isoformat()),
        (
            "対象（役割）",
            ROLE_LABELS.get(who.role, who.role)
            + (f"（範囲: {','.join(who.scope)}）" if who.scope else ""),
        ),
        ("圏域の種類", "、".join(ctx.area_kinds()) or "—"),
        (
            "到達時間のしきい値",
            "、".join(f"{_service_label(s)} {float(m):g}分" for s, m in thr.items() if m == m),
        ),
        (
            "秘匿のしきい値",
            f"{settings.suppression_threshold}人未満を秘匿"
            if _suppressing(who)
            else "秘匿なし（この役割は実数を見られます）",
        ),
    ]


def tables(
    ctx,
    *,
    who=None,
    role=None,
    services=None,
    thresholds=None,
    sites_service="short_stay_medical",
    sites_k=3,
    workspace=None,
    threshold=None,
):
    """The report's sheets (dict of sheet name to DataFrame), every one through the gate.

    Parameters
    ----------
    who : Audience or role name, optional
        The audience (default planner, the least access); ``role`` is the older name.
    services : list of str, optional
        Services analysed (default: those of the workspace's facilities).
    workspace : path, optional
        Workspace whose audit log records the export of child-level sheets.
    """
    import gate
    from gate import publish

    from . import coverage, evacuation, gaps, sites

    who = _audience(who if who is not None else role)
    fac = ctx.facilities
    if services is None:
        services = codes.analysed(fac["service"].tolist()) if len(fac) else []
    pub = None
    if _suppressing(who) and services:
        pub = publish.gaps(
            ctx, services=services, thresholds=thresholds, who=who, threshold=threshold
        )
    per_kind = {}
    for kind in ctx.area_kinds():
        g = gaps.area_gaps(ctx, area_kind=kind, services=services, thresholds=thresholds)
        per_kind[kind] = gate.table(g, who, what=f"area gaps {kind}", linked=pub)
    out = {"概要": summary(ctx, per_kind, who, services=services, thresholds=thresholds)}
    out["凡例"] = pd.DataFrame(LEGEND, columns=["項目", "説明"])
    for kind, g in per_kind.items():
        out[f"圏域別ギャップ（{kind}）"] = g
    if who.role in ("coordinator", "admin"):
        ca = coverage.child_access(ctx)
        out["児童別アクセス"] = gate.table(
            ca, who, what="report: child access", workspace=workspace, action="export"
        )
    if who.role in ("disaster", "admin"):
        calls = evacuation.call_list(evacuation.evacuation(ctx), japanese=False)
        if "municipality_code" not in calls.columns and who.scope is not None:
            muni = ctx.children.set_index("child_id")["municipality_code"]
            calls = calls.assign(municipality_code=calls["child_id"].map(muni))
        out["避難・安否確認"] = gate.table(
            calls, who, what="report: call list", workspace=workspace, action="export"
        )
    if len(fac) and sites_service in set(fac["service"]):
        out["候補地"] = publish.sites(sites.suggest(ctx, service=sites_service, k=sites_k), who)
    return out


def summary(ctx, per_kind, who=None, *, services=(), thresholds=None):
    """概要: header, key figures (through the gate) and flagged areas per 圏域 kind."""
    import gate

    who = _audience(who)
    n = len(ctx.children)
    power = int(sum(codes.power_dependent(c) for c in ctx.children["care"])) if n else 0
    rows = header(ctx, who, services=services, thresholds=thresholds)
    rows += [
        ("医療的ケア児", gate.metric(n, who, what="children")),
        ("うち電源依存", gate.metric(power, who, what="power-dependent children")),
        ("事業所", str(len(ctx.facilities))),
        ("避難所", str(len(ctx.shelters))),
    ]
    if isinstance(per_kind, pd.DataFrame):  # an older call with one gaps table
        per_kind = {str(per_kind["area_kind"].iloc[0]) if len(per_kind) else "圏域": per_kind}
    for kind, g in per_kind.items():
        n_areas = int((ctx.areas["kind"] == kind).sum()) if len(ctx.areas) else 0
        flags = g["flags"].fillna("") if "flags" in g else pd.Series([], dtype=str)
        rows += [
            (f"{kind}: 圏域数", str(n_areas)),
            (f"{kind}: 不足フラグのある圏域×サービス", str(int((g["severity"] > 0).sum()))),
            (
                f"{kind}: 事業所のない圏域×サービス",
                str(int(flags.str.contains("no_facility").sum())),
            ),
        ]
    return pd.DataFrame(rows, columns=["項目", "値"])


def write_excel(ctx, out_path, *, who=None, role=None, **kw):
    """Write the Excel workbook (one sheet per analysis) with the one export writer."""
    from gate import files

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tabs = tables(ctx, who=who if who is not None else role, **kw)
    sheets = {name: _japanese(df) for name, df in tabs.items()}
    out_path.write_bytes(files.to_excel_bytes(sheets))
    logger.info("Wrote workbook %s with sheets %s", out_path, list(tabs))
    return out_path


def svg_map(areas, values, facilities, *, width=640, height=520):
    """Return an inline SVG map: area polygons shaded by ``values`` (0-100), facility dots.

    No tiles, no scripts: it renders offline in any browser. Children are never drawn.
    """
    if len(areas) == 0:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>"
    minx, miny, maxx, maxy = areas.total_bounds
    sx = width / max(maxx - minx, 1e-9)
    sy = height / max(maxy - miny, 1e-9)
    s = min(sx, sy)

    def _xy(x, y):
        return (x - minx) * s, height - (y - miny) * s

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "style='background:#f8f8f8;border:1px solid #ccc'>"
    ]
    for aid, name, geom in zip(areas["area_id"], areas["name"], areas.geometry):
        v = values.get(aid, np.nan)
        if pd.isna(v):
            fill = "#dddddd"
        else:
            t = float(np.clip(v, 0, 100)) / 100
            fill = f"rgb({int(220 - 170 * t)},{int(80 + 120 * t)},{int(80 + 40 * t)})"
        polys = getattr(geom, "geoms", [geom])
        for p in polys:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (_xy(*c) for c in p.exterior.coords))
            label = "—" if pd.isna(v) else f"{v:.0f}%"
            parts.append(
                f"<polygon points='{pts}' fill='{fill}' stroke='#555' stroke-width='1'>"
                f"<title>{html.escape(str(name))}: {label}</title></polygon>"
            )
        c = geom.representative_point()
        x, y = _xy(c.x, c.y)
        parts.append(
            f"<text x='{x:.0f}' y='{y:.0f}' font-size='11' text-anchor='middle'>"
            f"{html.escape(str(name))}</text>"
        )
    for geom in facilities.geometry:
        x, y = _xy(geom.x, geom.y)
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#1f4e9c'/>")
    parts.append("</svg>")
    return "".join(parts)


_NOTE = (
    "少人数のセルは秘匿しています（<10 = 1〜9人、秘匿 = 他のセルの逆算を防ぐため）。"
    "個人の位置・氏名は表示しません。"
)


def _html_table(frame):
    return pd.DataFrame(frame).to_html(index=False, escape=True, na_rep="")


def write_html(
    ctx, out_path, *, who=None, role=None, service="short_stay_medical", area_kind=None, **kw
):
    """Write the offline HTML summary (aggregates only, through the gate for ``who``)."""
    import gate

    who = _audience(who if who is not None else role)
    if who.role != "admin":
        who = gate.Audience(name=who.name, role="planner", scope=None)  # aggregates only
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fac_all = ctx.facilities
    services = kw.pop("services", None)
    if services is None:
        services = codes.analysed(fac_all["service"].tolist()) if len(fac_all) else []
    services = [s for s in services if s == service] or services[:1]
    tabs = tables(ctx, who=who, services=services, sites_service=None, **kw)
    head = header(ctx, who, services=services, thresholds=kw.get("thresholds"))
    summ = tabs["概要"]
    kinds = ctx.area_kinds()
    kind = area_kind or (kinds[0] if kinds else None)
    g = tabs.get(f"圏域別ギャップ（{kind}）", pd.DataFrame(columns=["area_id"]))
    sub = g[g["service"] == service] if "service" in g else g
    hidden = sub["coverage_pct"].isna() if "coverage_pct" in sub else pd.Series([], dtype=bool)
    cov = pd.to_numeric(sub.get("coverage_pct"), errors="coerce") if len(sub) else pd.Series([])
    values = dict(zip(sub["area_id"], cov.where(~hidden), strict=False)) if len(sub) else {}
    areas = ctx.areas[ctx.areas["kind"] == kind] if kind else ctx.areas.iloc[:0]
    fac = fac_all[fac_all["service"] == service]
    svc_ja = _service_label(service)
    sections = []
    for k in kinds:
        gk = tabs.get(f"圏域別ギャップ（{k}）")
        if gk is None:
            continue
        flagged = gk[gk["severity"] > 0].sort_values("severity", ascending=False)
        shown = gate.display(flagged)
        t = pd.DataFrame(
            {
                "圏域": shown["area_name"],
                "サービス": shown["service"].map(_service_label),
                "深刻度": shown["severity"],
                "フラグ": shown["flags"].map(flag_labels),
                "理由": shown["reasons"],
                "児数": shown.get("children"),
                "しきい値外": shown.get("uncovered"),
            }
        )
        sections.append(f"<h3>{html.escape(k)}</h3>{_html_table(t)}")
    head_html = "".join(
        f"<tr><th>{html.escape(str(a))}</th><td>{html.escape(str(b))}</td></tr>" for a, b in head
    )
    figures = summ.iloc[len(head) :]
    page = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>ikemap 要約</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;margin-bottom:1em}}
td,th{{border:1px solid #bbb;padding:2px 8px;text-align:left}} th{{background:#eee}}</style>
</head><body>
<h1>ikemap 要約レポート</h1>
<table>{head_html}</table>
<p>{_NOTE}</p>
<h2>主な数値</h2>{_html_table(figures)}
<h2>{html.escape(svc_ja)}：圏域別カバー率（{html.escape(str(kind or "—"))}）</h2>
{svg_map(areas, values, fac)}
<h2>不足のある圏域（深刻度順、圏域の種類ごと）</h2>
{"".join(sections)}
<h2>凡例</h2>{_html_table(tabs["凡例"])}
</body></html>"""
    out_path.write_text(page, encoding="utf-8")
    logger.info("Wrote HTML summary %s", out_path)
    return out_path


def write(ctx, out_path, *, who=None, role=None, **kw):
    """Write a report for ``who`` (default planner); ``.xlsx`` workbook, ``.html`` summary.

    Examples
    --------
    >>> write(ctx, "report.xlsx", who="admin")  # doctest: +SKIP
    """
    suffix = Path(out_path).suffix.lower()
    who = who if who is not None else role
    if suffix == ".xlsx":
        return write_excel(ctx, out_path, who=who, **kw)
    if suffix in (".html", ".htm"):
        return write_html(ctx, out_path, who=who, **kw)
    msg = f"report {out_path}: expected a file ending in .xlsx or .html."
    raise ValueError(msg)
