"""Planner tools (計画支援ツール): transition to adulthood, subsidy what-if, consultation trends
and register reconciliation.

``ui/pages/planner_tools.py`` shows the four as tabs; the data page calls
:func:`render_reconcile` with one line (upload several lists -> return files). Every count of
children or consultations goes through the gate (:mod:`gate`) for the session's audience before
it is shown, charted or downloaded; individual records (reconciliation) only for roles that may
see them, scoped and audited.
"""

from __future__ import annotations

import datetime as _dt
import io
import numbers
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

import gate
from analysis import consultations as cons
from analysis import reconcile, subsidy, transition
from geo import codes
from geo.errors import IkemapError
from ui import common, labels, maps
from ui.planner_charts import consultation_chart, seasonal_heatmap, transition_chart

_T = {
    "head": ("計画支援ツール", "Planner tools"),
    "tab_transition": ("18歳到達と生活介護", "Turning 18 vs adult day places"),
    "tab_subsidy": ("補助金の試算", "Subsidy what-if"),
    "tab_consult": ("相談の傾向", "Consultation trends"),
    "tab_reconcile": ("名簿の照合", "Register reconciliation"),
    "area_kind": ("圏域の種類", "Area kind"),
    "years": ("何年先まで", "Years ahead"),
    "require": ("生活介護に必要な機能", "Capabilities a 生活介護 place needs"),
    "run": ("集計", "Run"),
    "no_areas": (
        "ワークスペースに圏域がありません。データページで圏域表を読み込んでください。",
        "The workspace has no areas (圏域); import an area table first.",
    ),
    "tr_intro": (
        "圏域ごとに、今後1〜5年で18歳になる医療的ケア児の累計と、必要な機能（看護職員・送迎・"
        "入浴）をすべて備えた生活介護の定員を比べます。機能が「不明」の事業所は「定員（能力不明を"
        "含む）」にだけ数えます。定員は空き数ではありません。",
        "Per area, children turning 18 within 1-5 years (cumulative) against the capacity of "
        "生活介護 places with every needed capability (nurse, transport, bathing). Places with a "
        "capability unknown count only in 'places incl. unknown'. Capacity is not vacancies.",
    ),
    "flags": ("需要が定員を上回る圏域", "Areas where demand exceeds places"),
    "no_flags": ("定員を上回る圏域はありません。", "No area exceeds its places."),
    "places": ("生活介護の事業所と機能", "生活介護 places and capabilities"),
    "unknown_note": (
        "{n} / {m} か所の生活介護で必要な機能のいずれかが不明です（確認済みには数えません）。",
        "{n} of {m} 生活介護 places have a needed capability unknown (not counted as confirmed).",
    ),
    "short_year": ("不足が始まる年（0 = なし）", "First short year (0 = none)"),
    "sub_intro": (
        "補助要綱をデータ（CSV）として読み、計画中・候補地の事業所が受け取る補助額を試算します。"
        "既定は熊本県 医療型短期入所事業所等設置支援事業（令和6年3月資料）です。",
        "Reads the subsidy rules as data (CSV) and computes what a planned or candidate site "
        "would receive. Default: Kumamoto's 医療型短期入所事業所等設置支援事業 (March 2024).",
    ),
    "rules_file": ("補助ルール（CSV、任意）", "Rules file (CSV, optional)"),
    "service": ("サービス種別", "Service"),
    "equipment": ("備品購入費（千円）", "Equipment cost (thousand yen)"),
    "vehicle": ("送迎用自動車を含む", "Includes a transport vehicle"),
    "helper_days": ("常時付き添いのヘルパー延べ日数（開設1年以内）", "Helper-days (first year)"),
    "months_open": ("開設からの月数", "Months since opening"),
    "new": ("今年度新たに医療的ケア児者を受け入れる", "Newly accepts children this year"),
    "total": ("補助額の合計", "Total subsidy"),
    "sites_head": ("候補地ごとの補助額", "Subsidy per candidate site"),
    "sites_none": (
        "計画ページで候補地を提案すると、ここに候補地ごとの補助額が出ます。地図をクリックした"
        "地点も試算できます。",
        "Suggest sites on the planner page to see each one's subsidy here; or click the map.",
    ),
    "click_head": ("地図をクリックした地点の試算", "Subsidy of the clicked point"),
    "click_hint": (
        "地図をクリックして新しい事業所の位置を選びます。",
        "Click the map to place a site.",
    ),
    "clicked": ("選んだ地点", "Picked point"),
    "co_intro": (
        "相談記録（日付・市区町村または圏域・分類・相談方法）を圏域×月×分類で数えます。"
        "氏名・住所・電話などの列がある記録は取り込みません。少ない件数は「<10」と表示します。",
        "Counts a consultation log (date, municipality or area, category, channel) by area x "
        "month x category. Logs with names, addresses or phones are refused; small counts "
        "read <10.",
    ),
    "co_upload": ("相談記録を読み込む（CSV、任意）", "Load a consultation log (CSV, optional)"),
    "co_store": ("ワークスペースに保存", "Store in the workspace"),
    "co_stored": ("{n} 件を保存しました。", "Stored {n} consultations."),
    "co_none": (
        "ワークスペースに相談記録がありません。CSV を読み込んでください。",
        "The workspace holds no consultation log; load a CSV.",
    ),
    "co_rejected": ("取り込めなかった行", "Rows not read"),
    "co_season": ("月別・分類別（全域）", "By month and category (whole region)"),
    "co_heat": ("圏域×月（合計）", "Area x month (total)"),
    "co_table": ("圏域×月×分類", "Area x month x category"),
    "co_channel": ("相談方法・相談元（全域）", "Channel and requester (whole region)"),
    "rc_intro": (
        "保健師・教育委員会・NICU など複数の名簿を別々の出典として読み込み、同一人物を照合します"
        "（ID、なければ生年月日＋市区町村＋医療的ケア）。一部の名簿にしかない記録や、ケア・年齢の"
        "食い違いを市区町村ごとの返送用ファイルにまとめます。",
        "Load lists from several sources (public-health nurses, education board, NICU ...) and "
        "match them (id, else birth date + municipality + care). Records in some lists only and "
        "conflicting care or age go into one return file per municipality.",
    ),
    "rc_upload": ("名簿ファイル（複数可）", "Lists (several files)"),
    "rc_source": ("出典名: {file}", "Source name: {file}"),
    "rc_ages": ("対象年齢（例 0-2、空欄 = 全年齢）: {file}", "Ages covered (e.g. 0-2): {file}"),
    "rc_stored": (
        "ワークスペースの名簿（{names}）も含める",
        "Include the workspace lists ({names})",
    ),
    "rc_as_of": ("年齢の基準日", "Ages as of"),
    "rc_min": ("照合スコアの下限", "Lowest match score"),
    "rc_run": ("照合する", "Reconcile"),
    "rc_need_two": ("出典が2つ以上必要です。", "Two or more sources are needed."),
    "rc_summary": ("市区町村ごとの件数", "Issues per municipality"),
    "rc_issues": ("照合結果（個票）", "Issues (records)"),
    "rc_zip": ("返送用ファイル（市区町村別 CSV、ZIP）", "Return files (CSV per municipality, ZIP)"),
    "rc_register": ("統合名簿（CSV）", "Merged register (CSV)"),
    "rc_planner": (
        "計画担当の権限では市区町村ごとの件数のみ表示します。返送用ファイル（個票）は"
        "コーディネーター・管理者が作成します。",
        "Planners see counts per municipality only; return files (records) are for "
        "coordinators and administrators.",
    ),
    "rc_problems": ("読み込めなかった行・注意", "Rows not read or kept with a note"),
    "rc_done": (
        "{records} 件の記録（{sources} 出典）を {persons} 人に照合しました。",
        "Reconciled {records} records ({sources} sources) into {persons} children.",
    ),
}

_FLAG_TEXT = {
    "exceeds_possible": ("不足（能力不明の事業所を含めても不足）", "Short even with unknowns"),
    "exceeds_confirmed": ("確認済み定員では不足", "Short of confirmed places"),
    "": ("", ""),
}
_REASONS = {
    "": ("対象", "eligible"),
    "service_not_eligible": ("対象外のサービス", "service not eligible"),
    "not_new_acceptance": ("新規受入れでない", "not a new acceptance"),
    "time_limit_passed": ("開設から1年を超過", "first-year limit passed"),
}


_PROJ_COLUMNS = {
    "area_id": ("圏域ID", "area id"),
    "area_name": ("圏域", "area"),
    "turning_18_y{k}": ("{k}年目に18歳", "turn 18 in year {k}"),
    "cumulative_y{k}": ("{k}年以内（累計）", "within {k} years"),
    "places_confirmed": ("確認済み定員", "confirmed places"),
    "places_possible": ("定員（能力不明を含む）", "places incl. unknown"),
    "facilities_confirmed": ("確認済み事業所数", "confirmed places (count)"),
    "facilities_unknown": ("能力不明の事業所数", "places with unknowns"),
    "capacity_unknown": ("定員不明の事業所数", "places without capacity"),
    "short_year": ("不足が始まる年（0 = なし）", "first short year (0 = none)"),
    "flag": ("判定", "flag"),
}
_VERDICT = {"yes": ("満たす", "yes"), "no": ("満たさない", "no"), "unknown": ("不明", "unknown")}


def _projection_labels(frame):
    """Column headers of a projection table in the session's language."""
    out = {}
    for col in frame.columns:
        key = col
        k = None
        for prefix in ("turning_18_y", "cumulative_y"):
            if col.startswith(prefix) and col[len(prefix) :].isdigit():
                key, k = prefix + "{k}", col[len(prefix) :]
        if key in _PROJ_COLUMNS:
            out[col] = _pick(_PROJ_COLUMNS[key]).format(k=k)
    return frame.rename(columns=out)


def _places_labels(places):
    """The 生活介護 places with capability and verdict labels."""
    caps = codes.capabilities()
    label = "label_ja" if common.lang() == "ja" else "label_en"
    out = places.drop(columns=["facility_id"]).copy()
    yes_no = {True: _pick(("あり", "yes")), False: _pick(("なし", "no"))}
    for c in out.columns:
        if c in caps.index:
            out[c] = [yes_no.get(v, _pick(("不明", "unknown"))) for v in out[c]]
    out["qualifies"] = [_pick(_VERDICT[v]) for v in out["qualifies"]]
    names = {c: caps.at[c, label] for c in out.columns if c in caps.index}
    names.update(
        {
            "name": _pick(("事業所名", "name")),
            "area_id": _pick(("圏域ID", "area id")),
            "capacity": _pick(("定員", "capacity")),
            "qualifies": _pick(("判定", "verdict")),
        }
    )
    return out.rename(columns=names)


def _consult_labels(frame):
    """Consultation tables with category, channel and requester labels."""
    lang = common.lang()
    label = "label_ja" if lang == "ja" else "label_en"
    names = {c: cons.categories().at[c, label] for c in cons.categories().index}
    names.update(
        {
            "area_id": _pick(("圏域ID", "area id")),
            "area_name": _pick(("圏域", "area")),
            "month": _pick(("月", "month")),
            "total": _pick(("合計", "total")),
            "channel": _pick(("相談方法", "channel")),
            "family": _pick(("本人・家族", "family")),
            "supporter": _pick(("支援者", "supporter")),
            "agency": _pick(("行政", "agency")),
            "unknown": _pick(("不明", "unknown")),
        }
    )
    out = frame.rename(columns=names)
    if "channel" in frame.columns:
        chans = cons.channels()
        out[names["channel"]] = [
            chans.at[c, label] if c in chans.index else names.get(c, c) for c in frame["channel"]
        ]
    return out


def _t(key, **fmt):
    ja, en = _T[key]
    text = ja if common.lang() == "ja" else en
    return text.format(**fmt) if fmt else text


def _pick(pair):
    return pair[0] if common.lang() == "ja" else pair[1]


def _downloads(gated, name, *, key):
    """CSV and Excel of an already gated table (hidden counts stay hidden)."""
    cols = st.columns(2)
    for col, (kind, label, mime) in zip(cols, common.EXPORTS[:2], strict=True):
        try:
            data = common.export_bytes(gated, kind, what=name)
        except Exception as exc:  # noqa: BLE001 - a failed export is said on the page
            col.error(f"{common.t(label)}: {exc}")
            continue
        col.download_button(
            common.t(label), data=data, file_name=f"{name}.{kind}", mime=mime, key=f"{key}_{kind}"
        )


def _gated(frame, *, what, count_columns, **options):
    """``gate.table`` for this session with suppression options (sums, by)."""
    return gate.table(
        frame,
        common.audience(),
        what=what,
        count_columns=count_columns,
        workspace=common.workspace_path(),
        **options,
    )


def _kinds(lay):
    return list(dict.fromkeys(lay["areas"]["kind"])) if len(lay["areas"]) else []


# ---------------------------------------------------------------------------------------------
# transition


def render_transition():
    """Children turning 18 per area against 生活介護 places: table, chart, flags, places."""
    lay = common.layers()
    st.caption(_t("tr_intro"))
    kinds = _kinds(lay)
    if not kinds:
        st.warning(_t("no_areas"))
        return
    caps = codes.capabilities()
    bools = [c for c in caps.index if caps.at[c, "type"] == "bool"]
    with st.form("tr_form"):
        c1, c2, c3 = st.columns([1, 1, 2])
        kind = c1.selectbox(_t("area_kind"), kinds, key="tr_kind")
        years = c2.slider(_t("years"), 1, 5, 5, key="tr_years")
        require = c3.multiselect(
            _t("require"),
            bools,
            default=list(transition.DEFAULT_REQUIRE),
            format_func=lambda c: caps.at[c, "label_ja" if common.lang() == "ja" else "label_en"],
            key="tr_require",
        )
        st.form_submit_button(_t("run"))
    ctx = common.context()
    if ctx is None:
        return
    try:
        proj, places = transition.transition(ctx, area_kind=kind, years=years, require=require)
    except (IkemapError, ValueError, KeyError) as exc:
        st.error(str(exc))
        return
    pub = transition.publication(ctx, common.audience(), years=years)
    shown = _gated(
        proj.reset_index().assign(area_kind=kind),
        what="transition to adulthood",
        count_columns=transition.count_columns(years),
        linked=pub,  # both area kinds suppressed together
    )
    if proj.attrs["places_unknown"]:
        st.info(_t("unknown_note", n=proj.attrs["places_unknown"], m=proj.attrs["places"]))
    st.altair_chart(transition_chart(transition.long_form(shown, years=years), lang=common.lang()))
    display = gate.display(shown, lang=common.lang())
    display["flag"] = [_pick(_FLAG_TEXT[f]) for f in proj["flag"]]
    st.dataframe(_projection_labels(display), hide_index=True)
    _downloads(shown, f"transition_{kind}", key="dl_tr")
    st.subheader(_t("flags"))
    flagged = proj[proj["flag"] != ""]
    if flagged.empty:
        st.success(_t("no_flags"))
    else:
        cols = ["area_name", "short_year", "flag", "places_confirmed", "places_possible"]
        flagged = flagged[cols].assign(flag=[_pick(_FLAG_TEXT[f]) for f in flagged["flag"]])
        st.dataframe(_projection_labels(flagged), hide_index=True)
    st.subheader(_t("places"))
    st.dataframe(_places_labels(places), hide_index=True)


# ---------------------------------------------------------------------------------------------
# subsidy


def _rules():
    upload = st.file_uploader(_t("rules_file"), type=["csv"], key="sub_rules")
    if upload is None:
        return subsidy.load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / (Path(upload.name).name or "rules.csv")
        p.write_bytes(upload.getvalue())
        return subsidy.load_rules(p)


_SUB_COLUMNS = {
    "label": ("補助", "component"),
    "reason": ("判定", "status"),
    "basis_yen": ("対象経費・基準額（円）", "basis (yen)"),
    "rate": ("補助率", "rate"),
    "cap_yen": ("上限（円）", "cap (yen)"),
    "subsidy_yen": ("補助額（円）", "subsidy (yen)"),
    "provider_share_yen": ("事業者負担（円）", "provider pays (yen)"),
    "cap_reached_at": ("上限に達する日数", "cap reached at (days)"),
}


def _result_table(r):
    out = r.assign(
        label=r["label_ja" if common.lang() == "ja" else "label_en"],
        reason=[_pick(_REASONS[x]) for x in r["reason"]],
    )[list(_SUB_COLUMNS)]
    out = out.astype(object)
    for col in out.columns:  # one text type per column: yen with separators, "—" when none
        out[col] = [
            "—" if pd.isna(v) else (f"{int(v):,}" if isinstance(v, numbers.Number) else str(v))
            for v in out[col]
        ]
    return out.rename(columns={k: _pick(v) for k, v in _SUB_COLUMNS.items()})


def render_subsidy():
    """Subsidy what-if for one planned site, for each suggested site, and for a clicked point."""
    st.caption(_t("sub_intro"))
    try:
        rules = _rules()
    except (IkemapError, ValueError) as exc:
        st.error(str(exc))
        return
    services = sorted({s for ss in rules["services"] for s in ss} | {"visiting_nurse"})
    default = services.index("short_stay_medical") if "short_stay_medical" in services else 0
    c1, c2, c3 = st.columns(3)
    service = c1.selectbox(
        _t("service"),
        services,
        index=default,
        format_func=lambda s: labels.code_label("service", s, common.lang()),
        key="sub_service",
    )
    equipment = c2.number_input(_t("equipment"), 0, 100_000, 2_000, step=100, key="sub_eq")
    days = c3.number_input(_t("helper_days"), 0, 366, 50, key="sub_days")
    c4, c5, c6 = st.columns(3)
    vehicle = c4.checkbox(_t("vehicle"), key="sub_vehicle")
    months = c5.number_input(_t("months_open"), 0, 120, 0, key="sub_months")
    new = c6.checkbox(_t("new"), value=True, key="sub_new")
    options = {
        "equipment_cost_yen": int(equipment) * 1000,
        "vehicle": bool(vehicle),
        "helper_days": int(days),
        "months_open": int(months),
        "new_acceptance": bool(new),
    }
    r = subsidy.what_if(rules, service=service, **options)
    st.metric(_t("total"), f"¥{r.attrs['total_yen']:,}")
    st.dataframe(_result_table(r), hide_index=True)
    st.caption(" / ".join(dict.fromkeys(rules["source"])))

    st.subheader(_t("sites_head"))
    sites = st.session_state.get("sites_result")
    if sites is not None and len(sites):
        svc = sites["service"].iloc[0] if "service" in sites.columns else service
        per_site = subsidy.for_sites(sites, rules, service=svc, **options)
        common.table(per_site)
        _downloads(per_site, "subsidy_sites", key="dl_sub_sites")
    else:
        st.info(_t("sites_none"))
    st.subheader(_t("click_head"))
    lay = common.layers()
    if not len(lay["areas"]):
        st.warning(_t("no_areas"))
        return
    m = maps.base_map(bounds=lay["areas"].total_bounds, basemap=common.basemap())
    maps.add_boundaries(m, lay.get("municipalities"), lay["areas"], lang=common.lang())
    maps.add_facilities(m, lay["facilities"], lang=common.lang(), services=[service])
    st.caption(_t("click_hint"))
    click = common.show_map(maps.finish(m), key="sub_map", height=380, click=True)
    if click is not None:
        st.write(f"{_t('clicked')}: {click[0]:.5f}, {click[1]:.5f} — "
                 f"{labels.code_label('service', service, common.lang())}")  # fmt: skip
        point = pd.DataFrame({"lat": [click[0]], "lon": [click[1]], "service": [service]})
        common.table(subsidy.for_sites(point, rules, **options))


# ---------------------------------------------------------------------------------------------
# consultations


def _uploaded_log(lay):
    upload = st.file_uploader(_t("co_upload"), type=["csv", "xlsx"], key="co_upload")
    if upload is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / Path(upload.name).name
        p.write_bytes(upload.getvalue())
        log, report = cons.read_log(
            p,
            municipalities=lay.get("municipalities"),
            areas=lay["areas"],
            area_members=lay["area_members"],
        )
    st.caption(report.summary())
    if report.rejected:
        with st.expander(_t("co_rejected")):
            st.dataframe(report.frame(), hide_index=True)
    if common.role() == "admin" and st.button(_t("co_store"), key="co_store"):
        from ikemap.commands.consultations import store

        stored = store(common.workspace_path(), log)
        st.success(_t("co_stored", n=len(stored)))
    return log


def render_consultations():
    """Consultations by area x month x category (gated), seasonality chart and heatmap."""
    lay = common.layers()
    st.caption(_t("co_intro"))
    try:
        log = _uploaded_log(lay)
    except (IkemapError, ValueError) as exc:
        st.error(str(exc))
        return
    path = common.workspace_path()
    if log is None:
        from geo import workspace

        if "consultations" not in workspace.layers(path):
            st.info(_t("co_none"))
            return
        log = pd.DataFrame(workspace.read(path, "consultations"))
    kinds = _kinds(lay)
    if not kinds:
        st.warning(_t("no_areas"))
        return
    kind = st.selectbox(_t("area_kind"), kinds, key="co_kind")
    log = log.assign(
        area_id=cons.assign_areas(log, area_kind=kind, area_members=lay["area_members"])
    )
    areas = lay["areas"][lay["areas"]["kind"] == kind]
    table = cons.counts(log, areas=areas)
    shown = _gated(
        table, what="consultations", count_columns=cons.count_columns(), sums=cons.sums(),
        by="month",
    )  # fmt: skip
    monthly = _gated(
        cons.monthly(log), what="consultations by month", count_columns=cons.count_columns()
    )
    st.subheader(_t("co_season"))
    st.altair_chart(consultation_chart(cons.long_form(monthly, lang=common.lang()),
                                       lang=common.lang()))  # fmt: skip
    st.subheader(_t("co_heat"))
    st.altair_chart(seasonal_heatmap(shown.assign(count=shown["total"]), lang=common.lang()))
    st.subheader(_t("co_table"))
    st.dataframe(_consult_labels(gate.display(shown, lang=common.lang())), hide_index=True)
    _downloads(shown, f"consultations_{kind}", key="dl_co")
    st.subheader(_t("co_channel"))
    by = cons.by_channel(log).reset_index()
    count_cols = [c for c in by.columns if c != "channel"]
    shown_by = _gated(by, what="consultations by channel", count_columns=count_cols)
    st.dataframe(_consult_labels(gate.display(shown_by, lang=common.lang())), hide_index=True)


# ---------------------------------------------------------------------------------------------
# reconciliation (also on the data page)


def _zip(tables):
    buf = io.BytesIO()
    who = common.audience()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for code, frame in tables.items():
            if not who.in_scope(code):
                continue
            data = gate.export(
                frame,
                who,
                fmt="csv",
                what=f"reconciliation return list {code}",
                workspace=common.workspace_path(),
                include_identity=True,
            )
            z.writestr(f"reconcile_{code}.csv", data)
    return buf.getvalue()


def render_reconcile(*, key="rc"):
    """Upload several child lists, reconcile them, download the return files per municipality."""
    from geo import workspace

    st.caption(_t("rc_intro"))
    lay = common.layers()
    path = common.workspace_path()
    files = st.file_uploader(
        _t("rc_upload"), type=["csv", "xlsx"], accept_multiple_files=True, key=f"{key}_files"
    )
    names, ages = [], []
    for i, f in enumerate(files or []):
        c1, c2 = st.columns(2)
        names.append(c1.text_input(_t("rc_source", file=f.name), Path(f.name).stem,
                                   key=f"{key}_name_{i}"))  # fmt: skip
        ages.append(c2.text_input(_t("rc_ages", file=f.name), "", key=f"{key}_ages_{i}"))
    stored = reconcile.stored_sources(path) if "child_sources" in workspace.layers(path) else []
    stored_names = [s["source"].iloc[0] for s in stored]
    use_stored = False
    stored_ages = {}
    if stored:
        use_stored = st.checkbox(_t("rc_stored", names="・".join(stored_names)), value=not files,
                                 key=f"{key}_stored")  # fmt: skip
        if use_stored:
            cols = st.columns(len(stored_names))
            for col, name in zip(cols, stored_names, strict=True):
                stored_ages[name] = col.text_input(
                    _t("rc_ages", file=name), "", key=f"{key}_sages_{name}"
                )
    c1, c2 = st.columns(2)
    as_of = c1.date_input(_t("rc_as_of"), _dt.date.today(), key=f"{key}_asof")
    min_score = c2.slider(_t("rc_min"), 0.5, 1.0, reconcile.MIN_SCORE, 0.05, key=f"{key}_min")
    if st.button(_t("rc_run"), key=f"{key}_run"):
        st.session_state[f"{key}_result"] = _run_reconcile(
            files, names, ages, stored if use_stored else [], as_of, min_score, lay, stored_ages
        )
    result = st.session_state.get(f"{key}_result")
    if result is not None:
        _show_reconcile(*result, lay=lay, path=path, key=key)


def _run_reconcile(files, names, ages, stored, as_of, min_score, lay, stored_ages):
    """Read the uploaded lists and reconcile them with the stored ones; None on a problem."""
    lists, problems, coverage = [], [], {}
    try:
        for name, rng in stored_ages.items():
            if rng.strip():
                coverage.update(reconcile.parse_coverage([f"{name}={rng.strip()}"]))
        with tempfile.TemporaryDirectory() as tmp:
            for f, name, rng in zip(files or [], names, ages, strict=True):
                p = Path(tmp) / Path(f.name).name
                p.write_bytes(f.getvalue())
                recs, probs = reconcile.read_list(
                    p, source=name, municipalities=lay.get("municipalities"), as_of=as_of
                )
                lists.append(recs)
                problems += probs
                if rng.strip():
                    coverage.update(reconcile.parse_coverage([f"{name}={rng.strip()}"]))
        given = {reconcile.nfkc(n) for n in names}
        lists += [s for s in stored if s["source"].iloc[0] not in given]
        sources = [x["source"].iloc[0] for x in lists if len(x)]
        if len(sources) < 2:
            st.warning(_t("rc_need_two"))
            return None
        recon = reconcile.reconcile(
            lists, min_score=min_score, coverage=coverage or None, as_of=as_of
        )
    except (IkemapError, ValueError) as exc:
        st.error(str(exc))
        return None
    return recon, problems, sources


def _show_reconcile(recon, problems, sources, *, lay, path, key):
    """Summary (gated), issues and downloads of a reconciliation."""
    st.success(_t("rc_done", records=len(recon.records), sources=len(sources),
                  persons=len(recon.register)))  # fmt: skip
    if problems:
        with st.expander(_t("rc_problems")):
            st.dataframe(pd.DataFrame([vars(p) for p in problems]).astype(str), hide_index=True)
    st.subheader(_t("rc_summary"))
    summ = reconcile.summary(recon)
    short = {
        "municipality_code": ("市区町村コード", "municipality"),
        "only_in": ("一部の名簿のみ", "in some lists only"),
        "care_conflict": ("ケア不一致", "care differs"),
        "age_conflict": ("年齢不一致", "age differs"),
        "municipality_conflict": ("市区町村不一致", "municipality differs"),
        "possible_match": ("同一人物の可能性", "possible match"),
        "duplicate_in_source": ("名簿内の重複", "duplicate in a list"),
    }
    shown = _gated(summ, what="reconciliation summary", count_columns=list(reconcile.ISSUE_KINDS))
    shown_text = gate.display(shown, lang=common.lang())
    st.dataframe(
        shown_text.rename(columns={k: _pick(v) for k, v in short.items()}), hide_index=True
    )
    who = common.audience()
    if not who.may_see_individuals:
        st.info(_t("rc_planner"))
        return
    st.subheader(_t("rc_issues"))
    tables = reconcile.return_tables(recon, municipalities=lay.get("municipalities"))
    issues = pd.concat(tables.values(), ignore_index=True) if tables else pd.DataFrame()
    if len(issues):
        common.show_table(issues, what="reconciliation issues")
    c1, c2 = st.columns(2)
    c1.download_button(
        _t("rc_zip"), data=_zip(tables), file_name="reconcile_returns.zip",
        mime="application/zip", key=f"{key}_zip",
    )  # fmt: skip
    reg = gate.export(
        reconcile.register_frame(recon),
        who,
        fmt="csv",
        what="merged child register",
        workspace=path,
        include_identity=True,
    )
    c2.download_button(
        _t("rc_register"), data=reg, file_name="register.csv", mime="text/csv",
        key=f"{key}_reg",
    )  # fmt: skip


def render_data_section():
    """The reconciliation flow on the data page (upload lists -> return files)."""
    st.divider()
    st.subheader(_t("tab_reconcile"))
    render_reconcile(key="rc_data")


def render_page():
    """The whole 計画支援ツール page (four tabs)."""
    st.header(_t("head"))
    tabs = st.tabs([_t("tab_transition"), _t("tab_subsidy"), _t("tab_consult"),
                    _t("tab_reconcile")])  # fmt: skip
    with tabs[0]:
        render_transition()
    with tabs[1]:
        render_subsidy()
    with tabs[2]:
        render_consultations()
    with tabs[3]:
        render_reconcile(key="rc_tools")
