"""Reports: an Excel workbook (one sheet per analysis) and an offline HTML summary.

:func:`write` picks the format from the file suffix. The workbook has Japanese headers, a
frozen header row and set column widths; its sheets depend on the role (``planner``: summary,
gaps per area and site suggestions, counts suppressed; ``coordinator``: + child access;
``disaster``: + the evacuation call list; ``admin``, the default for the command line whose
user already holds the workspace file: everything). The HTML summary never shows a child point
or an unsuppressed count: key figures, the ranked gap flags and an inline SVG map of the areas
coloured by coverage with the facilities, so it opens offline with no tiles or scripts.
"""

from __future__ import annotations

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


def _sheet(writer, name, frame):
    from openpyxl.utils import get_column_letter

    from . import evacuation

    df = pd.DataFrame(frame).copy()
    if "geometry" in df.columns:
        df = df.drop(columns="geometry")
    df = df[[c for c in df.columns if not c.endswith("_suppressed")]]
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: ";".join(v) if isinstance(v, list) else v)
        if c == "service":
            df[c] = df[c].map(lambda s: codes.service_types()["label_ja"].get(s, s))
    labels = {**HEADERS, **evacuation.CALL_LIST}
    df = df.rename(columns={c: labels.get(c, c) for c in df.columns})
    df.to_excel(writer, sheet_name=name, index=False)
    ws = writer.sheets[name]
    ws.freeze_panes = "A2"
    for i, col in enumerate(df.columns, start=1):
        values = [str(col)] + [str(v) for v in df[col].head(200).tolist()]
        width = max(len(v.encode("utf-8")) * 0.7 for v in values) + 2
        ws.column_dimensions[get_column_letter(i)].width = float(min(max(width, 8), 60))


def tables(ctx, *, role="admin", area_kind=None, sites_service="short_stay_medical", sites_k=3):
    """Compute the report's tables once (dict of sheet name to DataFrame)."""
    from . import coverage, evacuation, gaps, sites

    out = {}
    g = gaps.area_gaps(ctx, area_kind=area_kind, role="planner" if role == "planner" else role)
    out["概要"] = summary(ctx, g)
    out["圏域別ギャップ"] = g
    if role in ("coordinator", "admin"):
        out["児童別アクセス"] = coverage.child_access(ctx)
    if role in ("disaster", "admin"):
        out["避難・安否確認"] = evacuation.call_list(evacuation.evacuation(ctx))
    if len(ctx.facilities) and sites_service in set(ctx.facilities["service"]):
        out["候補地"] = sites.suggest(ctx, service=sites_service, k=sites_k)
    return out


def summary(ctx, gaps_table):
    """Key figures of the region (counts of 10 or more children only; smaller ones hidden)."""
    from geo import settings

    thr = settings.suppression_threshold
    n = len(ctx.children)
    power = sum(codes.power_dependent(c) for c in ctx.children["care"]) if n else 0

    def _c(v):
        return f"{v}" if v == 0 or v >= thr else f"<{thr}"

    rows = [
        ("医療的ケア児", _c(n)),
        ("うち電源依存", _c(int(power))),
        ("事業所", str(len(ctx.facilities))),
        ("避難所", str(len(ctx.shelters))),
        ("圏域", str(len(ctx.areas))),
        ("不足フラグのある圏域×サービス", str(int((gaps_table["severity"] > 0).sum()))),
        (
            "事業所のない圏域×サービス",
            str(int(gaps_table["flags"].fillna("").str.contains("no_facility").sum())),
        ),
    ]
    return pd.DataFrame(rows, columns=["項目", "値"])


def write_excel(ctx, out_path, *, role="admin", **kw):
    """Write the Excel workbook (one sheet per analysis)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tabs = tables(ctx, role=role, **kw)
    with pd.ExcelWriter(out_path, engine="openpyxl") as writer:
        for name, df in tabs.items():
            _sheet(writer, name, df)
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


_NOTE = "少人数（しきい値未満）のセルは秘匿しています。個人の位置は表示しません。"


def write_html(ctx, out_path, *, service="short_stay_medical", area_kind=None):
    """Write the offline HTML summary (aggregates only, suppressed for the planner tier)."""
    from . import gaps

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    g = gaps.area_gaps(ctx, area_kind=area_kind, role="planner")
    summ = summary(ctx, g)
    sub = g[g["service"] == service]
    values = dict(zip(sub["area_id"], pd.to_numeric(sub["coverage_pct"], errors="coerce")))
    kind = area_kind or ctx.default_area_kind()
    areas = ctx.areas[ctx.areas["kind"] == kind]
    fac = ctx.facilities[ctx.facilities["service"] == service]
    svc_ja = codes.service_types()["label_ja"].get(service, service)
    flagged = g[g["severity"] > 0][["area_name", "service", "severity", "flags"]].copy()
    flagged["service"] = flagged["service"].map(
        lambda s: codes.service_types()["label_ja"].get(s, s)
    )
    flagged.columns = ["圏域", "サービス", "深刻度", "フラグ"]
    page = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>ikemap 要約</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:2px 8px}} th{{background:#eee}}</style></head><body>
<h1>ikemap 要約レポート</h1>
<p>{_NOTE}</p>
<h2>主な数値</h2>{summ.to_html(index=False)}
<h2>{html.escape(svc_ja)}：圏域別カバー率（しきい値内の児の割合）</h2>
{svg_map(areas, values, fac)}
<p>灰色：秘匿または児なし。点：{html.escape(svc_ja)}の事業所。</p>
<h2>不足のある圏域（深刻度順）</h2>{flagged.to_html(index=False)}
</body></html>"""
    out_path.write_text(page, encoding="utf-8")
    logger.info("Wrote HTML summary %s", out_path)
    return out_path


def write(ctx, out_path, *, role="admin", **kw):
    """Write a report; ``.xlsx`` gives the workbook, ``.html`` the summary.

    Examples
    --------
    >>> write(ctx, "report.xlsx")  # doctest: +SKIP
    """
    suffix = Path(out_path).suffix.lower()
    if suffix == ".xlsx":
        return write_excel(ctx, out_path, role=role, **kw)
    if suffix in (".html", ".htm"):
        return write_html(ctx, out_path)
    msg = f"report {out_path}: expected a file ending in .xlsx or .html."
    raise ValueError(msg)
