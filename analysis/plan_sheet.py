"""Individual evacuation plan sheet (個別避難計画 draft), A4 printable HTML, one page per child.

A draft for the municipal disaster office and the family to complete together (brief §4.1): it is
filled from the workspace, never from guesses, and leaves the parts only people can fill blank.

Each sheet holds: the child's care and power needs; the hazard exposure of the home per hazard
type (level, depth band, inundation duration); the cut-off kind ("in the zone — leave before the
water" / "outside the zone but the roads flood"); the primary shelter (指定避難所), the nearest
shelter with power and the welfare candidate (福祉避難所 / 指定福祉避難所 / 二次避難所), each
with minutes on the normal and the flooded network; the route to the recommended shelter drawn
as a static SVG map (roads, hazard zones, route, home, shelter; no internet, no tiles); the
nearest power sources; services within reach; blank fields for contacts, equipment, battery
hours, helpers and the drill date.

The sheet is child-level data: the caller passes the rows through the gate first
(:func:`gate.individuals`, which checks the role and scope and writes the audit entry) — the
command ``ikemap plan-sheet`` and the disaster page do.

Examples
--------
>>> html = sheets_html(ctx, ["D310001"])  # doctest: +SKIP
>>> open("plan.html", "w").write(html)  # doctest: +SKIP
"""

from __future__ import annotations

import html as _html
from datetime import date

import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import codes
from geo import scenario as geo_scenario
from geo.network import edge_geometries

from . import evacuation as _evac
from . import exposure as _exposure
from . import nearby as _nearby
from . import power as _power
from . import routes as _routes

#: Blank fields the family and the office fill by hand.
BLANKS = (
    "緊急連絡先（家族）",
    "主治医・医療機関",
    "訪問看護ステーション",
    "相談支援専門員・コーディネーター",
    "避難を支援する人（近所・支援者）",
    "人工呼吸器等の機種・外部バッテリーの持続時間",
    "停電時の代替手段（手動式吸引器・発電機・車からの給電）",
    "避難時に持ち出す物品（薬・衛生材料・経管栄養剤）",
    "避難訓練の実施日",
    "本人・家族の同意（署名）",
)


def _e(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    return _html.escape(str(v))


def _min(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if not np.isfinite(v) else f"{v:.0f}分"


def _band(lo, hi):
    if lo is None or pd.isna(lo):
        return "—"
    if hi is None or pd.isna(hi):
        return f"{lo:g}m以上"
    return f"{lo:g}m以上{hi:g}m未満"


def _roads_in_view(ctx, net, x0, y0, x1, y1):
    """Road shapes (in ``net.crs``) whose envelope meets the box.

    A network prepared from a workspace (shapes not loaded) reads only those rows through the
    layer's spatial index, in stored order; otherwise an STRtree over all shapes is queried.
    """
    loader = net.edge_geometry_loader if net.edge_geometry is None else None
    in_box = getattr(loader, "in_box", None)
    if in_box is not None:
        got = in_box(x0, y0, x1, y1)
        if got is not None:
            return got[1]
    eg = edge_geometries(net)
    tree = ctx._cache.get("plan_sheet_tree")
    if tree is None:
        tree = shapely.STRtree(eg)
        ctx._cache["plan_sheet_tree"] = tree
    return eg[tree.query(shapely.box(x0, y0, x1, y1))]


def route_svg(ctx, route_row, *, hazards=None, width=480, height=320, pad_m=400.0):
    """A static SVG map of one route: roads around it, hazard zones, the route, home and shelter.

    Parameters
    ----------
    ctx : analysis.context.Context
    route_row : pandas.Series
        A row of :func:`analysis.routes.routes` (its geometry is the route in EPSG:4326).
    hazards : GeoDataFrame, optional
        Zones to draw (default: the workspace's hazard zones of level >= 1).
    width, height : int
        SVG size in pixels.
    pad_m : float
        Margin around the route in metres.

    Returns
    -------
    str
        An ``<svg>`` element (empty-route rows give a short note instead).
    """
    geom = route_row.geometry
    if geom is None or geom.is_empty:
        return '<p class="note">経路を描けません（到達できる避難所なし）</p>'
    net = ctx.net
    to_m = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    c = np.asarray(shapely.get_coordinates(geom))
    x, y = to_m.transform(c[:, 0], c[:, 1])
    pad = max(pad_m, 0.08 * max(np.ptp(x), np.ptp(y)))
    x0, x1 = float(np.min(x)) - pad, float(np.max(x)) + pad
    y0, y1 = float(np.min(y)) - pad, float(np.max(y)) + pad
    scale = min(width / (x1 - x0), height / (y1 - y0))
    tol = 1.0 / scale  # one pixel, in metres

    def pts(xs, ys):
        px = (np.asarray(xs) - x0) * scale
        py = height - (np.asarray(ys) - y0) * scale
        return " ".join(f"{a:.0f},{b:.0f}" for a, b in zip(px, py, strict=True))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="map">'
        f'<rect width="{width}" height="{height}" fill="#fbfbf8" stroke="#999"/>'
    ]
    view = shapely.box(x0, y0, x1, y1)
    hz = ctx.hazards if hazards is None else hazards
    if len(hz):
        hz_m = hz[pd.to_numeric(hz["level"], errors="coerce").fillna(0) >= 1].to_crs(net.crs)
        closing = set(codes.valid("hazard_types")) - set(geo_scenario.non_closing_types())
        hz_m = hz_m[hz_m["hazard_type"].isin(closing)]
        for g in hz_m.geometry[hz_m.intersects(view)]:
            g = g.intersection(view)
            for poly in shapely.get_parts(shapely.simplify(g, tol)):
                if poly.geom_type != "Polygon" or poly.is_empty or poly.area < tol * tol:
                    continue
                ex = np.asarray(poly.exterior.coords)
                parts.append(
                    f'<polygon points="{pts(ex[:, 0], ex[:, 1])}" fill="#7fb3e6" '
                    'fill-opacity="0.55" stroke="none"/>'
                )
    # every road in view as one <path>, simplified to a pixel and in whole pixels (a sheet
    # stays small enough to print a municipality's list)
    d = []
    for g in _roads_in_view(ctx, net, x0, y0, x1, y1):
        g = shapely.simplify(g, tol)
        ec = np.asarray(shapely.get_coordinates(g))
        px = np.rint((ec[:, 0] - x0) * scale).astype(int)
        py = np.rint(height - (ec[:, 1] - y0) * scale).astype(int)
        if len(px) < 2 or max(np.ptp(px), np.ptp(py)) < 2:  # under two pixels: not drawn
            continue
        d.append("M" + "L".join(f"{a} {b}" for a, b in zip(px, py, strict=True)))
    if d:
        parts.append(f'<path d="{"".join(d)}" fill="none" stroke="#bbb" stroke-width="1"/>')
    colour = "#d62728" if route_row.get("network") == "normal" else "#2ca02c"
    dash = ' stroke-dasharray="6,4"' if route_row.get("network") == "normal" else ""
    parts.append(
        f'<polyline points="{pts(x, y)}" fill="none" stroke="{colour}" stroke-width="4"{dash}/>'
    )
    hx, hy = pts([x[0]], [y[0]]).split(",")
    sx, sy = pts([x[-1]], [y[-1]]).split(",")
    parts.append(f'<circle cx="{hx}" cy="{hy}" r="7" fill="#ff7f0e" stroke="#000"/>')
    parts.append(f'<text x="{float(hx) + 9}" y="{float(hy) - 6}" font-size="13">自宅</text>')
    parts.append(
        f'<rect x="{float(sx) - 7}" y="{float(sy) - 7}" width="14" height="14" fill="#1f77b4" '
        'stroke="#000"/>'
    )
    parts.append(f'<text x="{float(sx) + 9}" y="{float(sy) - 6}" font-size="13">避難所</text>')
    bar = 1000.0 if (x1 - x0) > 5000 else (500.0 if (x1 - x0) > 1500 else 100.0)
    bx = width - 12 - bar * scale
    parts.append(
        f'<rect x="{min(bx, width - 56) - 4:.1f}" y="{height - 30}" '
        f'width="{max(bar * scale, 44) + 12:.1f}" height="24" '
        f'fill="#fff" fill-opacity="0.8"/><line x1="{bx:.1f}" y1="{height - 12}" '
        f'x2="{width - 12}" y2="{height - 12}" stroke="#000" stroke-width="2"/>'
        f'<text x="{width - 12}" y="{height - 16}" font-size="11" text-anchor="end">'
        f"{bar:g} m</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def plans(ctx, child_ids, *, hazard_level=None, hazard_type=None, services_minutes=30.0):
    """The content of the sheets, one dict per child (what :func:`sheets_html` renders).

    Parameters
    ----------
    ctx : analysis.context.Context
    child_ids : sequence of str
        Children to draft (raises ValueError for an unknown id).
    hazard_level, hazard_type
        The scenario (as :func:`analysis.evacuation.evacuation`).
    services_minutes : float
        Services listed within this many minutes.

    Returns
    -------
    list of dict
        Keys ``row`` (the evacuation row), ``route`` (the routes row), ``power`` (nearest
        power sources, up to 3), ``services`` (DataFrame), ``exposure`` (per hazard type).
    """
    ids = list(dict.fromkeys(child_ids))
    known = set(ctx.children["child_id"])
    unknown = [c for c in ids if c not in known]
    if unknown:
        msg = f"child_id {unknown[:5]} not in the workspace's children layer."
        raise ValueError(msg)
    ev = _evac.evacuation(ctx, hazard_level=hazard_level, hazard_type=hazard_type, child_ids=ids)
    rt = _routes.routes(
        ctx, ev, child_ids=ids, hazard_level=hazard_level, hazard_type=hazard_type
    ).set_index("child_id", drop=False)
    pw = _power.nearest_power(
        ctx, hazard_level=hazard_level, hazard_type=hazard_type, children=ids
    ).set_index("child_id")
    src = _power.sources(ctx)
    types = _exposure.hazard_types(ctx.hazards)
    ex = _exposure.point_exposure(ctx.children, ctx.hazards, types=types)
    ex.index = ctx.children["child_id"].to_numpy()
    out = []
    evi = ev.set_index("child_id", drop=False)
    for cid in ids:
        row = evi.loc[cid]
        try:
            svc = _nearby.nearby(ctx, child_id=cid, minutes=services_minutes)
        except ValueError:
            svc = pd.DataFrame(columns=_nearby.COLUMNS)
        svc = svc[svc["within"].astype(bool)] if "within" in svc else svc
        svc = svc.sort_values("minutes").groupby("service", sort=False).head(2)
        exposure = []
        for t in types:
            lv = int(ex.loc[cid, f"{t}_level"])
            dur = ex.loc[cid, f"{t}_duration_h"]
            if lv > 0 or pd.notna(dur):
                exposure.append(
                    {
                        "hazard_type": t,
                        "label_ja": codes.table("hazard_types")["label_ja"].get(t, t),
                        "level": lv,
                        "band": _band(
                            ex.loc[cid, f"{t}_depth_min_m"], ex.loc[cid, f"{t}_depth_max_m"]
                        ),
                        "label": ex.loc[cid, f"{t}_label"],
                        "duration_h": dur,
                    }
                )
        p = pw.loc[cid]
        near_src = []
        if len(src):
            near_src = [
                (
                    p["power_source_name"],
                    p["power_source_kind"],
                    p["power_minutes"],
                    p["power_minutes_hazard"],
                )
            ]
            if p["power_source_id_hazard"] not in (None, p["power_source_id"]):
                near_src.append(
                    (
                        p["power_source_name_hazard"],
                        "（浸水時に到達できる最寄り）",
                        np.nan,
                        p["power_minutes_hazard_nearest"],
                    )
                )
        out.append(
            {
                "row": row,
                "route": rt.loc[cid],
                "power": near_src,
                "restoration": int(p["power_restoration_level"]),
                "services": svc,
                "exposure": exposure,
            }
        )
    return out


_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif;
       font-size: 10.5pt; color: #111; }
.sheet { page-break-after: always; }
.sheet:last-child { page-break-after: auto; }
h1 { font-size: 15pt; margin: 0 0 4px; } h2 { font-size: 11.5pt; margin: 10px 0 3px;
  border-bottom: 1px solid #444; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #888;
  padding: 2px 4px; vertical-align: top; } th { background: #eee; text-align: left;
  width: 30%; }
.warn { color: #b00; font-weight: bold; } .note { color: #555; font-size: 9pt; }
.blank td { height: 18px; } .map { display: block; margin: 4px 0; }
@media screen { .sheet { width: 186mm; margin: 8px auto; padding: 8px;
  border: 1px solid #ccc; } }
"""


def _sheet(ctx, plan, *, scenario_text):
    r = plan["row"]
    rt = plan["route"]
    care_ja = _e(r["care_ja"]) if r["care_ja"] else "（登録なし）"
    power_need = "あり（電源が止まると命に関わる機器）" if r["power_dependent"] else "なし"
    mobility = codes.table("mobility")["label_ja"].get(r["mobility"], r["mobility"])
    h = [
        '<section class="sheet">',
        "<h1>個別避難計画（案）</h1>",
        f'<p class="note">作成日 {date.today().isoformat()}・ikemap による下書き。'
        f"想定: {_e(scenario_text)}。家族・関係者と確認のうえ完成させてください。</p>",
        "<h2>本人の状況</h2><table>",
        f"<tr><th>管理番号</th><td>{_e(r['child_id'])}</td></tr>",
        f"<tr><th>市区町村コード</th><td>{_e(r['municipality_code'])}</td></tr>",
        f"<tr><th>年齢</th><td>{_e(r['age'])}歳</td></tr>",
        f"<tr><th>医療的ケア</th><td>{care_ja}</td></tr>",
        f"<tr><th>電源依存</th><td>{power_need}</td></tr>",
        f"<tr><th>移動</th><td>{_e(mobility)}</td></tr>",
        f"<tr><th>安否確認の優先順位</th><td>{_e(r['triage_rank'])}</td></tr>",
        "</table>",
        "<h2>自宅のハザード</h2>",
    ]
    if plan["exposure"]:
        h.append("<table><tr><th>種別</th><th>レベル・浸水深</th><th>浸水継続時間</th></tr>")
        for x in plan["exposure"]:
            lv = f"レベル{x['level']}（{_e(x['band'])}）" if x["level"] > 0 else "区域外"
            dur = f"{x['duration_h']:g}時間以上" if pd.notna(x["duration_h"]) else "—"
            h.append(f"<tr><td>{_e(x['label_ja'])}</td><td>{lv}</td><td>{dur}</td></tr>")
        h.append("</table>")
    else:
        h.append("<p>ハザード区域の外（取り込まれた地図の範囲で）。</p>")
    if r["cut_off"]:
        lead = (
            f"（平常時の経路で約{_min(r['leave_minutes'])}：それより前に出発）"
            if r["cut_off"] == "in_zone"
            else ""
        )
        h.append(f'<p class="warn">{_e(r["cut_off_ja"])}{lead}</p>')
    if plan["restoration"]:
        h.append(
            f'<p class="warn">停電長期化想定区域（レベル{plan["restoration"]}）：'
            "電源の確保を計画に入れてください。</p>"
        )
    h += [
        "<h2>避難先</h2><table>",
        "<tr><th></th><th>避難所</th><th>平常時</th><th>浸水時</th></tr>",
    ]
    kinds = codes.table("shelter_kinds")["label_ja"]

    def shelter_line(title, sid, name, kind, m, mh, extra=""):
        if sid is None or (isinstance(sid, float) and np.isnan(sid)):
            return f"<tr><th>{title}</th><td colspan=3>該当なし</td></tr>"
        k = kinds.get(kind, kind) if isinstance(kind, str) else ""
        return (
            f"<tr><th>{title}</th><td>{_e(name)}（{_e(sid)}{'・' + _e(k) if k else ''}）{extra}"
            f"</td><td>{_min(m)}</td><td>{_min(mh)}</td></tr>"
        )

    h.append(
        shelter_line(
            "推奨する避難先",
            r["shelter_id"],
            r["shelter_name"],
            r["shelter_kind"],
            r["minutes_normal"],
            r["minutes_hazard"],
            "・電源あり" if r["shelter_has_power"] else "",
        )
    )
    h.append(
        shelter_line(
            "一次避難所（指定避難所）",
            r["primary_shelter_id"],
            r["primary_name"],
            "designated_shelter",
            r["primary_minutes"],
            r["primary_minutes_hazard"],
            {True: "・電源あり", False: "・電源なし"}.get(  # None: unknown, not "no power"
                r["primary_has_power"], "・電源不明（要確認）"
            ),
        )
    )
    h.append(
        shelter_line(
            "最寄りの電源あり避難所",
            r["powered_shelter_id"],
            r["powered_name"],
            r["powered_kind"],
            r["powered_minutes"],
            r["powered_minutes_hazard"],
        )
    )
    h.append(
        shelter_line(
            "福祉避難所・二次避難所の候補",
            r["welfare_shelter_id"],
            r["welfare_name"],
            r["welfare_kind"],
            r["welfare_minutes"],
            r["welfare_minutes_hazard"],
            ("・特別支援学校" if r["welfare_is_school"] else "")
            + ("・電源あり" if r["welfare_has_power"] else ""),
        )
    )
    h.append("</table>")
    if r["hazard_reason"]:
        h.append(f'<p class="warn">浸水時: {_e(r["hazard_reason"])}</p>')
    for flag, text in (
        ("only_unpowered_nearby", "近くの避難所には非常用電源がありません"),
        ("no_suitable_within", "近くに適した避難所がありません"),
        ("powered_beats_welfare", "電源のある避難所が福祉避難所より近くにあります"),
    ):
        if bool(r[flag]):
            h.append(f'<p class="warn">{text}</p>')
    h.append("<h2>避難経路</h2>")
    h.append(f"<p>{_e(rt['reason'])}（{_min(rt['minutes'])}）</p>")
    if rt.get("cut_by"):
        links = rt["cut_by"].split(";")
        more = f" ほか{len(links) - 5}区間" if len(links) > 5 else ""
        h.append(f'<p class="note">通行止めの道路リンク: {_e("、".join(links[:5]))}{more}</p>')
    h.append(route_svg(ctx, rt))
    h.append(
        '<p class="note">緑の実線: 浸水区域を避ける経路／赤の破線: 平常時の経路（浸水時は通れない）'
        "・青: 浸水想定区域・橙: 自宅・四角: 避難所</p>"
    )
    h.append("<h2>電源の確保（充電・給電できる最寄りの場所）</h2>")
    if plan["power"]:
        h.append("<table><tr><th>場所</th><th>種類</th><th>平常時</th><th>浸水時</th></tr>")
        for name, kind, m, mh in plan["power"]:
            k = _power.KINDS.get(kind, kind)
            h.append(
                f"<tr><td>{_e(name)}</td><td>{_e(k)}</td><td>{_min(m)}</td><td>{_min(mh)}</td></tr>"
            )
        h.append("</table>")
    else:
        h.append("<p>登録された電源確保拠点はありません。</p>")
    h.append("<h2>近くのサービス</h2>")
    svc = plan["services"]
    if len(svc):
        h.append("<table><tr><th>サービス</th><th>事業所</th><th>所要</th></tr>")
        for s in svc.itertuples():
            h.append(
                f"<tr><td>{_e(s.service_ja)}</td><td>{_e(s.name)}</td><td>{_min(s.minutes)}</td></tr>"
            )
        h.append("</table>")
    else:
        h.append("<p>圏内に受け入れ可能な事業所が見つかりません。</p>")
    h.append('<h2>記入欄</h2><table class="blank">')
    for b in BLANKS:
        h.append(f"<tr><th>{b}</th><td></td></tr>")
    h.append("</table></section>")
    return "\n".join(h)


def sheets_html(ctx, child_ids, *, hazard_level=None, hazard_type=None, title=None):
    """Render the plan sheets of ``child_ids`` as one A4 printable HTML document.

    Parameters
    ----------
    ctx : analysis.context.Context
    child_ids : sequence of str
        Children, one page each (in the given order).
    hazard_level, hazard_type
        The scenario (default level :data:`analysis.evacuation.DEFAULT_HAZARD_LEVEL`, every
        hazard type).
    title : str, optional
        Document title.

    Returns
    -------
    str
        A complete HTML document (inline CSS and SVG; opens offline, prints one A4 page per
        child).
    """
    level = _evac.DEFAULT_HAZARD_LEVEL if hazard_level is None else int(hazard_level)
    hz = (
        codes.table("hazard_types")["label_ja"].get(hazard_type, hazard_type)
        if hazard_type
        else "全てのハザード"
    )
    scenario_text = f"{hz}・レベル{level}以上の区域の道路が通行止め"
    body = [
        _sheet(ctx, p, scenario_text=scenario_text)
        for p in plans(ctx, child_ids, hazard_level=level, hazard_type=hazard_type)
    ]
    title = _e(title or "個別避難計画（案）")
    return (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>"
    )


def children_of(ctx, *, municipality=None, child_ids=None):
    """The child ids of a municipality's list (sorted by id), or the given ids checked.

    Examples
    --------
    >>> children_of(ctx, municipality="99201")[:3]  # doctest: +SKIP
    """
    if child_ids:
        return list(child_ids)
    if municipality is None:
        msg = "give child ids or a municipality code (--child ID or --municipality CODE)."
        raise ValueError(msg)
    code = str(municipality)
    munis = ctx.municipality_of("children")
    ids = sorted(ctx.children.loc[(munis == code).to_numpy(), "child_id"])
    if not ids:
        known = sorted(set(munis.dropna()))
        msg = (
            f"no child lives in municipality {code!r}; municipalities with children: "
            f"{', '.join(known[:20])}{' ...' if len(known) > 20 else ''}."
        )
        raise ValueError(msg)
    return ids
