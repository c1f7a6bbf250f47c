"""A4 print views (HTML with print CSS) of what a user takes away: pure functions, no Streamlit.

Every sheet has the same head: title, region, date, 圏域 kind and thresholds where they apply,
then the tables, a legend of the terms used and the data sources with their dates. The page
offers the HTML as a download; opened in a browser, 「印刷」 gives A4 pages (or a PDF).

* :func:`call_list` — 防災: the call list in triage order for one disaster;
* :func:`nearby_sheet` — コーディネーター: one address's (or child's) services in reach, hazards
  and who covers it;
* :func:`child_sheet` — one child's access and evacuation sheet (coordinator / disaster roles);
* :func:`gap_report` — 計画: the gaps per 圏域 with flags and reasons.

Tables passed in must already have passed the access gate (what this role may see).

Examples
--------
>>> import pandas as pd
>>> html = page("テスト", pd.DataFrame({"a": [1]}), region="デモ県", lang="ja")
>>> "@page" in html and "デモ県" in html
True
"""

# ruff: noqa: E501  (sentences of the sheets; wrapping them would hurt more than it helps)
from __future__ import annotations

import datetime as dt
import html as _html

import pandas as pd

from ui import labels

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif;
       font-size: 10.5pt; color: #111; margin: 0; }
header { border-bottom: 2px solid #333; margin-bottom: 8px; padding-bottom: 4px; }
h1 { font-size: 16pt; margin: 0 0 4px 0; }
h2 { font-size: 12pt; margin: 12px 0 4px 0; border-left: 4px solid #555; padding-left: 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 4px 0; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px 0; font-size: 9pt; }
th, td { border: 1px solid #888; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { page-break-inside: avoid; }
td.num { text-align: right; }
.legend li, .sources li { margin: 0; }
.note { font-size: 9pt; color: #333; }
footer { margin-top: 10px; border-top: 1px solid #999; font-size: 8.5pt; color: #444; }
@media screen { body { max-width: 190mm; margin: 10mm auto; } }
@media print { .noprint { display: none; } }
"""

_TEXT = {
    "date": ("作成日", "Date"),
    "region": ("地域", "Region"),
    "area_kind": ("圏域の種類", "Area kind"),
    "thresholds": ("しきい値", "Thresholds"),
    "legend": ("凡例・用語", "Legend and terms"),
    "sources": ("データの出典と時点", "Data sources and dates"),
    "made_by": (
        "ikemap で作成。個人に関する情報を含む場合は、取扱いに注意してください。",
        "Made with ikemap. Handle with care where it holds personal data.",
    ),
    "print_hint": ("ブラウザの「印刷」で A4 に印刷できます。", "Print from the browser for A4."),
    "call_list": ("安否確認の電話リスト", "Call list"),
    "disaster": ("想定する災害", "Disaster"),
    "nearby": ("利用できるサービス（到達時間）", "Services in reach (minutes)"),
    "point": ("検索地点", "Search point"),
    "hazards": ("この地点のハザード", "Hazards at this point"),
    "none": ("なし（区域外）", "none (outside every zone)"),
    "covers": ("担当窓口", "Who covers this address"),
    "gap_report": ("圏域ごとの不足", "Gaps per area"),
    "flags": ("優先度の高い不足（理由つき）", "Ranked flags with reasons"),
    "child": ("個別の到達・避難シート", "Access and evacuation sheet"),
    "child_access": ("サービスまでの所要時間", "Minutes to services"),
    "child_evac": ("避難", "Evacuation"),
    "service": ("サービス", "Service"),
    "rows": ("件", "rows"),
}


def _t(key, lang):
    ja, en = _TEXT[key]
    return ja if lang == "ja" else en


def _esc(v):
    if v is None or (not isinstance(v, str | list | tuple) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}" if v != int(v) else f"{int(v):,}"
    return _html.escape(str(v))


def table_html(frame) -> str:
    """An HTML table of an already labelled frame (numbers right-aligned).

    Examples
    --------
    >>> table_html(pd.DataFrame({"名称": ["A"], "分": [12.5]}))
    '<table><thead><tr><th>名称</th><th>分</th></tr></thead><tbody><tr><td>A</td><td class="num">12.5</td></tr></tbody></table>'
    """
    frame = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for v in r.tolist():
            num = isinstance(v, int | float) and not isinstance(v, bool) and pd.notna(v)
            cells.append(f'<td class="num">{_esc(v)}</td>' if num else f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page(
    title,
    body,
    *,
    region=None,
    lang="ja",
    meta=None,
    legend=None,
    sources=None,
    date=None,
) -> str:
    """One A4 print page: head (title, region, date, ``meta`` items), body, legend, sources.

    Parameters
    ----------
    title : str
    body : str or DataFrame or list of (heading, str or DataFrame)
        The content; frames become tables (label them first).
    meta : list of (label, value), optional
        More head items (圏域 kind, thresholds, disaster...).
    legend : list of str, optional
        Terms used on the sheet, explained.
    sources : DataFrame or list of str, optional
        Data sources with dates (``source``, ``source_date`` columns, or lines).
    date : datetime.date, optional
        Defaults to today.
    """
    date = date or dt.date.today()
    items = [(_t("date", lang), date.isoformat())]
    if region:
        items.append((_t("region", lang), region))
    items += list(meta or [])
    head = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)
    parts = body if isinstance(body, list) else [(None, body)]
    content = []
    for heading, part in parts:
        if heading:
            content.append(f"<h2>{_esc(heading)}</h2>")
        if isinstance(part, pd.DataFrame):
            content.append(table_html(part))
        elif part:
            content.append(str(part))
    tail = []
    if legend:
        tail.append(f"<h2>{_t('legend', lang)}</h2><ul class='legend'>")
        tail += [f"<li>{_esc(x)}</li>" for x in legend]
        tail.append("</ul>")
    if sources is not None and len(sources):
        tail.append(f"<h2>{_t('sources', lang)}</h2>")
        if isinstance(sources, pd.DataFrame):
            tail.append(table_html(sources))
        else:
            tail.append("<ul class='sources'>" + "".join(f"<li>{_esc(s)}</li>" for s in sources))
            tail.append("</ul>")
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><dl class='meta'>{head}</dl>"
        f"<p class='note noprint'>{_t('print_hint', lang)}</p></header>"
        + "".join(content)
        + "".join(tail)
        + f"<footer>{_t('made_by', lang)}</footer></body></html>"
    )


def sources_table(layers, lang="ja") -> pd.DataFrame:
    """Sources and dates of the workspace layers that carry them (``source``/``source_date``).

    Examples
    --------
    >>> f = pd.DataFrame({"source": ["WAM", "WAM", "demo"], "source_date": ["2024-04-01"] * 3})
    >>> sources_table({"facilities": f}).iloc[0].astype(str).tolist()
    ['事業所', 'WAM', '2024-04-01', '2']
    """
    rows = []
    names = {"facilities": "事業所", "hazards": "ハザード区域", "shelters": "避難所"}
    for name, frame in layers.items():
        if frame is None or "source" not in getattr(frame, "columns", ()):
            continue
        dates = frame["source_date"] if "source_date" in frame.columns else [None] * len(frame)
        g = (
            pd.DataFrame(
                {
                    "source": [_text(v) for v in frame["source"]],
                    "date": [_text(v) for v in dates],
                }
            )
            .value_counts(sort=False, dropna=False)
            .reset_index()
        )
        for r in g.itertuples(index=False):
            rows.append([names.get(name, name) if lang == "ja" else name, r[0], r[1], int(r[2])])
    cols = (
        ["レイヤ", "出典", "時点", "件数"] if lang == "ja" else ["Layer", "Source", "Date", "Rows"]
    )
    return pd.DataFrame(rows, columns=cols)


def _text(v):
    """A cell as text; missing as 「—」."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "—"
    return str(v)


def _exposure_lines(exposure, lang):
    out = []
    for k, v in (exposure or {}).items():
        if k.endswith("_level") and k != "max_level" and v:
            htype = k[: -len("_level")]
            out.append(
                f"{labels.code_label('hazard', htype, lang)}: "
                f"{labels.hazard_level_label(htype, int(v), lang)}"
            )
    return out


def nearby_sheet(result, *, query, exposure=None, covers=None, region=None, lang="ja",
                 sources=None) -> str:  # fmt: skip
    """The coordinator's sheet for one address or child: services in reach, hazards, windows.

    Examples
    --------
    >>> r = pd.DataFrame({"service": ["visiting_nurse"], "name": ["A"], "minutes": [12.0],
    ...                   "basis": ["confirmed"]})
    >>> html = nearby_sheet(r, query={"label": "デモ市中央区"}, exposure={"flood_level": 2})
    >>> "訪問看護" in html and "受入確認済み" in html and "洪水" in html
    True
    """
    cols = [c for c in ("service", "name", "minutes", "basis", "address", "phone", "hours",
                        "accepts", "capacity", "has_power") if c in result.columns]  # fmt: skip
    hz = _exposure_lines(exposure, lang) or [_t("none", lang)]
    body = [
        (_t("hazards", lang), "<ul>" + "".join(f"<li>{_esc(x)}</li>" for x in hz) + "</ul>"),
        (_t("nearby", lang), labels.frame(result[cols], lang)),
    ]
    if covers is not None and len(covers):
        cv = covers
        if "level" in cv.columns:
            cv = cv.assign(level=[labels.area_level_label(v, lang) for v in cv["level"]])
        body.append(
            (_t("covers", lang), labels.frame(cv.drop(columns=["code"], errors="ignore"), lang))
        )
    meta = [(_t("point", lang), query.get("label", ""))]
    if query.get("minutes"):
        meta.append((_t("thresholds", lang), f"{query['minutes']:g} 分"))
    else:
        meta.append((_t("thresholds", lang), _thresholds_text(result["service"].unique(), lang)))
    legend = [
        f"{labels.t('basis_confirmed', lang)}: "
        + ("事業所が児の医療的ケアと年齢を受け入れると確認できている" if lang == "ja"
           else "the facility is known to accept the child's care and age"),
        f"{labels.t('basis_possible', lang)}: "
        + ("受入可能なケアが不明。利用前に事業所へ確認が必要" if lang == "ja"
           else "the care it accepts is unknown: ask before relying on it"),
        ("所要時間: 自動車で道路網を通る時間（分）" if lang == "ja"
         else "Minutes: by car over the road network"),
    ]  # fmt: skip
    return page(_t("nearby", lang), body, region=region, lang=lang, meta=meta, legend=legend,
                sources=sources)  # fmt: skip


def _thresholds_text(services, lang):
    from geo import codes

    st = codes.service_types()
    return "、".join(
        f"{labels.code_label('service', s, lang)} {st.loc[s, 'threshold_min']:g}分"
        for s in services
        if s in st.index
    )


def call_list(calls, *, disaster, region=None, lang="ja", sources=None, municipalities=None,
              note=None) -> str:  # fmt: skip
    """The disaster officer's call list in triage order (already gated: this role's scope).

    Examples
    --------
    >>> c = pd.DataFrame({"triage_rank": [1], "child_id": ["D1"], "care": [["ventilator"]],
    ...                   "power_dependent": [True], "isolated": [False]})
    >>> html = call_list(c, disaster="洪水")
    >>> "人工呼吸器" in html and "D1" in html and "洪水" in html
    True
    """
    shown = calls.drop(columns="geometry", errors="ignore")
    if "triage_rank" in shown.columns:
        shown = shown.sort_values("triage_rank")
    legend = [
        ("優先順位: 電源依存・孤立・区域の深さ・個別避難計画の有無から決めた電話の順番" if lang == "ja"
         else "Triage rank: order of calls from power dependence, isolation, zone depth, plan"),
        labels.t("isolated_note", lang),
    ]  # fmt: skip
    if note:
        legend.append(note)
    body = [(f"{_t('call_list', lang)}（{len(shown)}{_t('rows', lang)}）",
             labels.frame(shown, lang, municipalities=municipalities))]  # fmt: skip
    return page(_t("call_list", lang), body, region=region, lang=lang,
                meta=[(_t("disaster", lang), disaster)], legend=legend, sources=sources)  # fmt: skip


def child_sheet(child, *, access=None, evacuation=None, region=None, lang="ja",
                municipalities=None, sources=None) -> str:  # fmt: skip
    """One child's access and evacuation sheet (coordinator / disaster roles only).

    ``child``: a one-row frame of the children layer (gated); ``access``: services in reach
    (:func:`analysis.nearby.nearby`); ``evacuation``: the child's rows of the evacuation table.

    Examples
    --------
    >>> kid = pd.DataFrame({"child_id": ["D1"], "age": [4], "care": [["suction"]]})
    >>> "吸引" in child_sheet(kid)
    True
    """
    kid = labels.frame(child.drop(columns="geometry", errors="ignore"), lang,
                       municipalities=municipalities)  # fmt: skip
    body = [(None, kid)]
    if access is not None and len(access):
        cols = [c for c in ("service", "name", "minutes", "basis", "address", "phone")
                if c in access.columns]  # fmt: skip
        body.append((_t("child_access", lang), labels.frame(access[cols], lang)))
    if evacuation is not None and len(evacuation):
        body.append((_t("child_evac", lang), labels.frame(evacuation, lang,
                                                          municipalities=municipalities)))  # fmt: skip
    title = f"{_t('child', lang)} {child['child_id'].iloc[0]}"
    return page(title, body, region=region, lang=lang, sources=sources,
                legend=[labels.t("isolated_note", lang)])  # fmt: skip


def gap_report(gaps, *, flags=None, area_kind, service, threshold, region=None, lang="ja",
               sources=None, age_loss=None) -> str:  # fmt: skip
    """The planner's gap report (aggregates, already suppressed for the planner).

    Examples
    --------
    >>> g = pd.DataFrame({"area_name": ["西部山間圏域"], "coverage_pct": [0.0],
    ...                   "reasons": ["no facility within 60 min"]})
    >>> html = gap_report(g, area_kind="障害保健福祉圏域", service="short_stay_medical",
    ...                   threshold=60)
    >>> "西部山間圏域" in html and "医療型短期入所" in html and "60" in html
    True
    """
    body = [(_t("gap_report", lang), labels.frame(gaps, lang))]
    if flags is not None and len(flags):
        body.insert(0, (_t("flags", lang), labels.frame(flags, lang)))
    if age_loss is not None and len(age_loss):
        body.append((labels.t("age_loss_head", lang), labels.frame(age_loss, lang)))
    meta = [
        (_t("area_kind", lang), area_kind),
        (_t("service", lang), labels.code_label("service", service, lang)),
        (_t("thresholds", lang), f"{threshold:g} 分" if lang == "ja" else f"{threshold:g} min"),
    ]
    legend = [
        labels.t("legend_grey", lang),
        ("「<10」: 1〜9人のため秘匿。「秘匿」: 他の値を逆算させないための秘匿" if lang == "ja"
         else "'<10': a count of 1-9, hidden; 'suppressed': hidden to protect another cell"),
        ("到達率: しきい値の時間内に、児の医療的ケアと年齢を受け入れる事業所へ行ける児の割合" if lang == "ja"
         else "Coverage: share of children who reach a facility accepting their care and age"),
    ]  # fmt: skip
    return page(f"{_t('gap_report', lang)}: {labels.code_label('service', service, lang)}", body,
                region=region, lang=lang, meta=meta, legend=legend, sources=sources)  # fmt: skip
