"""Resource directory: the page body and the "who covers this address" block of the coordinator.

:func:`render_page` is the whole 資源ディレクトリ page (ui/pages/directory.py calls it): filter
places by kind, area, municipality, capability, accepted care, age and opening day without an
address, or sort them by minutes from one; map, list, downloads, the provenance of each value,
and coordinator placements per 圏域. :func:`render_who_covers` shows the municipal window, the
圏域 coordinator and the prefectural centre of an address, with opening hours and open-now
(the coordinator page calls it with one line). Facilities and contacts are not child data; the
downloads still go through the gate helpers of ui/common.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis import directory
from geo import codes, geocode
from geo.errors import IkemapError
from ui import common, labels, maps

_T = {
    "head": ("資源ディレクトリ", "Resource directory"),
    "intro": (
        "事業所・保育所・学校・相談窓口・コーディネーター・電源拠点を、圏域・種別・機能・受入可能な"
        "ケア・年齢・営業日で絞り込めます。住所を入れると所要時間（車）の順に並びます。"
        "「不明」は「なし」ではありません（要確認として残ります）。",
        "Filter services, nurseries, schools, windows, coordinators and power points by area, "
        "kind, capability, accepted care, age and opening day. With an address they are sorted "
        "by minutes by car. Unknown is never 'no': such places stay, marked to be checked.",
    ),
    "kinds": ("種別", "Kinds of place"),
    "kinds_all": ("すべての種別", "All kinds"),
    "area": ("圏域", "Area"),
    "area_all": ("全域", "Whole region"),
    "muni": ("市区町村", "Municipality"),
    "muni_all": ("すべて", "All"),
    "needs": ("必要な機能（すべて満たす）", "Needs (all of them)"),
    "care": ("受入可能な医療的ケア", "Care accepted"),
    "age_on": ("年齢で絞り込む", "Filter by age"),
    "age": ("年齢", "Age"),
    "open": ("営業日", "Open on"),
    "open_any": ("指定なし", "Any day"),
    "confirmed": ("確認済みのみ（不明を除く）", "Confirmed only (leave out unknowns)"),
    "address": ("住所（任意）: 所要時間の順に並べる", "Address (optional): sort by minutes"),
    "minutes": ("所要時間の上限（分、0 = なし）", "Minutes at most (0 = no limit)"),
    "run": ("表示", "Show"),
    "tab_list": ("一覧と地図", "List and map"),
    "tab_covers": ("担当窓口", "Who covers"),
    "tab_place": ("配置状況（コーディネーター）", "Coordinator placements"),
    "n_found": ("{n} 件", "{n} places"),
    "none": ("条件に合う場所はありません。", "No place matches."),
    "detail": ("機能の出典（場所を選ぶ）", "Sources of the values (pick a place)"),
    "detail_none": (
        "この場所の機能の値はまだ登録されていません（すべて不明）。",
        "No value known.",
    ),
    "covers_head": (
        "この住所を担当する市町村窓口・圏域コーディネーター・支援センター",
        "Municipal window, 圏域 coordinator and centre covering this address",
    ),
    "covers_need_address": (
        "住所を入れると、市町村窓口・圏域コーディネーター・都道府県センターを表示します。",
        "Give an address to see its window, 圏域 coordinator and prefectural centre.",
    ),
    "covers_in": ("{name} の担当（{when} 時点の営業状況）", "{name} ({when}, open now or not)"),
    "covers_none": ("この住所はワークスペースのどの市区町村にも入っていません。", "Outside."),
    "nobody": (
        "{level}の窓口が登録されていません（空白地域）。",
        "No {level} contact is registered (a gap).",
    ),
    "open_yes": ("営業中", "Open now"),
    "open_no": ("時間外", "Closed now"),
    "open_unknown": ("不明", "Unknown"),
    "place_area": ("圏域ごとの配置数（複数市町村の共同設置は1配置）", "Placements per area"),
    "place_muni": ("市町村ごとの担当コーディネーター", "Coordinator per municipality"),
    "basis_confirmed": ("確認済み", "Confirmed"),
    "basis_possible": ("要確認（不明な項目あり）", "To check (some values unknown)"),
    "address_bad": ("住所を特定できません: {why}", "Address not resolved: {why}"),
}

#: Display names of the directory's own columns (ja, en); capabilities use data/capabilities.csv.
_COLUMNS = {
    "facility_id": ("ID", "ID"),
    "name": ("名称", "Name"),
    "service_ja": ("種別", "Kind"),
    "municipality_name": ("市区町村", "Municipality"),
    "area_name": ("圏域", "Area"),
    "accepts": ("受入可能な医療的ケア", "Care accepted"),
    "age_min": ("対象年齢（下限）", "Age from"),
    "age_max": ("対象年齢（上限）", "Age to"),
    "capacity": ("定員", "Capacity"),
    "basis": ("条件との一致", "Matches the filters"),
    "hours": ("営業時間", "Hours"),
    "covers": ("担当市区町村", "Covers"),
    "minutes": ("所要時間（分）", "Minutes"),
    "level_ja": ("階層", "Level"),
    "open_now": ("営業状況", "Open now"),
    "covers_n": ("担当市区町村数", "Municipalities covered"),
    "source": ("出典", "Source"),
    "source_date": ("調査日", "Survey date"),
    "placements": ("配置数", "Placements"),
    "municipalities": ("市町村数", "Municipalities"),
    "covered": ("配置あり", "Covered"),
    "uncovered": ("未配置の市町村", "Not covered"),
    "coordinators": ("コーディネーター", "Coordinator"),
    "n_coordinators": ("担当数", "Coordinators"),
    "shared_with": ("共同設置の相手市町村数", "Shared with"),
    "capability": ("機能", "Capability"),
    "label_ja": ("機能", "Capability"),
    "value": ("値", "Value"),
}

#: Columns of the list as shown (capabilities follow).
_LIST = ["name", "service_ja", "municipality_name", "area_name", "minutes", "basis", "hours",
         "accepts", "age_min", "age_max", "capacity", "covers"]  # fmt: skip
_SHOWN_CAPS = ["nurse_on_site", "transport", "bathing", "pediatric_experience", "accepts_age0",
               "accepted_medical_before", "visiting_nurse_support", "overnight",
               "emergency_acceptance", "generator", "ev_charging", "welfare_shelter"]  # fmt: skip
#: Capabilities always shown (as 不明 when unknown): the ones families ask about first.
_ALWAYS = ("nurse_on_site", "transport", "bathing")


@st.cache_data(show_spinner=False, max_entries=4)
def _address_example(path, stamp):
    """An address of this workspace to show as the search box's example (None without points).

    The first 町丁目 of the municipality with the lowest code, written as a person types it:
    東京都千代田区飯田橋一丁目 -> 東京都千代田区飯田橋1-2.
    """
    import re

    try:
        pts = geocode.points_from_workspace(path)
    except (IkemapError, OSError):
        return None
    pts = pts[pts["town"].fillna("").astype(str).str.len() > 0]
    if not len(pts):
        return None
    keys = ["municipality_code", "town"] if "municipality_code" in pts.columns else ["town"]
    row = pts.sort_values(keys, na_position="last").iloc[0]
    town = str(row["town"])
    m = re.match(r"^(.*?)([一二三四五六七八九十]+)丁目$", town)
    town = f"{m.group(1)}{geocode._kanji_to_int(m.group(2))}-2" if m else f"{town}1-2"
    return f"{row['pref'] or ''}{row['city'] or ''}{town}"


def address_placeholder():
    """The address box's placeholder: an example address of the workspace in use."""
    path = common.workspace_path()
    try:
        example = _address_example(str(path), path.stat().st_mtime)
    except OSError:
        example = None
    if example is None:
        return common.t("address_placeholder")
    return common.t("address_placeholder_of", example=example)


def _t(key, lang, **fmt):
    ja, en = _T[key]
    text = ja if lang == "ja" else en
    return text.format(**fmt) if fmt else text


def _cap_label(code, lang):
    table = codes.capabilities()
    return str(table.loc[code, "label_ja" if lang == "ja" else "label_en"])


def _value(v, lang):
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "不明" if lang == "ja" else "unknown"
    if isinstance(v, bool | np.bool_) or v in ("true", "false"):
        v = v is True or v == "true" or (isinstance(v, np.bool_) and bool(v))
        return ("あり" if v else "なし") if lang == "ja" else ("yes" if v else "no")
    if v == "closed":
        return "休" if lang == "ja" else "closed"
    return str(v)


def _display(frame, lang):
    """A directory/who-covers table as read on screen: Japanese headers, 不明 for unknowns."""
    out = pd.DataFrame(frame).copy()
    for c in out.columns:
        if c in codes.capabilities().index or c == "open_now":
            out[c] = [_value(v, lang) for v in out[c]]
    if "basis" in out:
        out["basis"] = [_t(f"basis_{v}", lang) for v in out["basis"]]
    if "open_now" in out:
        words = {"あり": _t("open_yes", lang), "なし": _t("open_no", lang)}
        words.update({"yes": _t("open_yes", lang), "no": _t("open_no", lang)})
        out["open_now"] = [words.get(v, _t("open_unknown", lang)) for v in out["open_now"]]
    names = {}
    for c in out.columns:
        if c in _COLUMNS:
            names[c] = _COLUMNS[c][0 if lang == "ja" else 1]
        elif c in codes.capabilities().index:
            names[c] = _cap_label(c, lang)
    for c in out.columns:
        if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            continue  # numbers stay numbers (sortable); an empty cell shows as blank
        out[c] = [
            "—" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in out[c]
        ]
    return out.rename(columns=names)


def _resolve(address, lang):
    """(lat, lon) of an address, or None with the reason on the page."""
    try:
        hit = geocode.geocode(address, workspace=common.workspace_path())
    except IkemapError as exc:
        st.error(_t("address_bad", lang, why=str(exc)))
        return None
    if hit.status == "found":
        return hit.lat, hit.lon
    why = hit.reason_ja if lang == "ja" else hit.reason
    if hit.status == "ambiguous":
        why += " " + "、".join(hit.candidates["label"].head(5))
    st.error(_t("address_bad", lang, why=why))
    return None


def render_who_covers(ctx, *, lat, lon, lang="ja", when=None):
    """Show who covers an address (window, 圏域 coordinator, centre) with hours and open-now.

    Parameters
    ----------
    ctx : analysis.context.Context
    lat, lon : float
        The address.
    lang : str
        ``ja`` or ``en``.
    when : datetime.datetime, optional
        Time for open-now (default: now, JST).

    Returns
    -------
    pandas.DataFrame or None
        The table shown (:func:`analysis.directory.who_covers`).
    """
    try:
        w = directory.who_covers(ctx, lat=lat, lon=lon, when=when)
    except (ValueError, KeyError) as exc:
        st.error(str(exc))
        return None
    st.markdown(f"**{_t('covers_head', lang)}**")
    name = w.attrs.get("municipality_name")
    if name is None:
        st.warning(_t("covers_none", lang))
        return w
    st.caption(_t("covers_in", lang, name=name, when=w.attrs.get("when", "").replace("T", " ")))
    for level in w.loc[w["facility_id"].isna(), "level_ja"]:
        st.warning(_t("nobody", lang, level=level))
    cols = ["level_ja", "name", "open_now", "hours", "minutes", "covers_n", "covers", "phone",
            "source_date"]  # fmt: skip
    st.dataframe(_display(w[cols], lang), hide_index=True, width="stretch")
    return w


def _filters(ctx, lang):
    fac = ctx.facilities
    st_table = codes.service_types()
    kinds_present = [s for s in st_table.index if s in set(fac["service"])]
    kind = ctx.default_area_kind()
    areas = ctx.areas[ctx.areas["kind"] == kind] if kind else ctx.areas.iloc[:0]
    munis = ctx.municipalities
    bool_caps = [c for c in codes.capabilities().index
                 if codes.capabilities().loc[c, "type"] == "bool"]  # fmt: skip
    days = {"weekday": "平日", "saturday": "土曜", "sunday_holiday": "日祝"}
    with st.form("dir_form"):
        c1, c2, c3 = st.columns(3)
        kinds = c1.multiselect(
            _t("kinds", lang),
            kinds_present,
            format_func=lambda s: labels.code_label("service", s, lang),
            placeholder=_t("kinds_all", lang),
            key="dir_kinds",
        )
        area = c1.selectbox(
            _t("area", lang),
            [None, *areas["area_id"]],
            format_func=lambda a: (
                _t("area_all", lang)
                if a is None
                else str(areas.loc[areas["area_id"] == a, "name"].iloc[0])
            ),
            key="dir_area",
        )
        muni = c1.selectbox(
            _t("muni", lang),
            [None, *munis["code"]],
            format_func=lambda c: (
                _t("muni_all", lang)
                if c is None
                else str(munis.loc[munis["code"] == c, "name"].iloc[0])
            ),
            key="dir_muni",
        )
        needs = c2.multiselect(
            _t("needs", lang),
            bool_caps,
            format_func=lambda c: _cap_label(c, lang),
            placeholder="—",
            key="dir_needs",
        )
        care = c2.multiselect(
            _t("care", lang),
            labels.code_options("care"),
            format_func=lambda c: labels.code_label("care", c, lang),
            placeholder="—",
            key="dir_care",
        )
        open_on = c2.radio(
            _t("open", lang),
            [None, *days],
            format_func=lambda d: _t("open_any", lang) if d is None else days[d],
            horizontal=True,
            key="dir_open",
        )
        age_on = c3.checkbox(_t("age_on", lang), key="dir_age_on")
        age = c3.number_input(_t("age", lang), 0, 120, 0, key="dir_age")
        confirmed = c3.checkbox(_t("confirmed", lang), key="dir_confirmed")
        address = c3.text_input(
            _t("address", lang), key="dir_address", placeholder=address_placeholder()
        )
        minutes = c3.number_input(_t("minutes", lang), 0, 240, 0, step=5, key="dir_minutes")
        st.form_submit_button(_t("run", lang), type="primary")
    return {
        "kinds": kinds or None,
        "area_id": area,
        "municipality": muni,
        "needs": needs or None,
        "care": care or None,
        "age": int(age) if age_on else None,
        "open_on": open_on,
        "include_possible": not confirmed,
        "address": address.strip() or None,
        "minutes": float(minutes) if minutes else None,
    }


def render_page():
    """The 資源ディレクトリ page: filters, list and map, downloads, who covers, placements."""
    lang = common.lang()
    st.header(_t("head", lang))
    st.caption(_t("intro", lang))
    ctx = common.context()
    if ctx is None:
        return
    f = _filters(ctx, lang)
    point = _resolve(f["address"], lang) if f["address"] else None
    args = {k: v for k, v in f.items() if k != "address"}
    if point is None:
        args["minutes"] = None
    try:
        found = directory.directory(
            ctx, lat=point[0] if point else None, lon=point[1] if point else None, **args
        )
    except ValueError as exc:
        st.error(str(exc))
        return
    tabs = st.tabs([_t("tab_list", lang), _t("tab_covers", lang), _t("tab_place", lang)])
    filtered = bool(f["needs"] or f["care"] or f["open_on"] or f["age"] is not None)
    with tabs[0]:
        _list_and_map(ctx, found if filtered else found.drop(columns="basis"), point, lang)
    with tabs[1]:
        if point is None:
            st.info(_t("covers_need_address", lang))
        else:
            render_who_covers(ctx, lat=point[0], lon=point[1], lang=lang)
    with tabs[2]:
        per_muni, per_area = directory.placements(ctx)
        st.markdown(f"**{_t('place_area', lang)}**")
        st.dataframe(_display(per_area.drop(columns="area_id"), lang), hide_index=True)
        st.markdown(f"**{_t('place_muni', lang)}**")
        st.dataframe(
            _display(per_muni.drop(columns=["municipality_code", "area_id"]), lang),
            hide_index=True,
        )
        common.downloads(per_area, "coordinator_placements", key="dl_dir_place")


def _list_and_map(ctx, found, point, lang):
    st.markdown(f"**{_t('n_found', lang, n=len(found))}**")
    areas = ctx.areas
    m = maps.base_map(bounds=areas.total_bounds, basemap=common.basemap())
    maps.add_boundaries(m, ctx.municipalities, areas, lang=lang, area_kind=ctx.default_area_kind())
    shown = ctx.facilities.loc[found.index]
    maps.add_facilities(m, shown, lang=lang)
    if point is not None:
        maps.add_point(m, point[0], point[1], label=common.t("layer_point"))
    if len(found):
        lats = [*found["lat"], *([point[0]] if point else [])]
        lons = [*found["lon"], *([point[1]] if point else [])]
        maps.fit_to(m, lats, lons)
    common.show_map(maps.finish(m), key="dir_map", height=460)
    if not len(found):
        st.info(_t("none", lang))
        return
    cols = [c for c in _LIST if c in found.columns]
    if point is None:
        cols.remove("minutes")
    cols += [c for c in _SHOWN_CAPS if c in _ALWAYS or found[c].notna().any()]
    st.dataframe(_display(found[cols], lang), hide_index=True, width="stretch")
    export = found.drop(columns=["lat", "lon"])
    export = export.assign(geometry=ctx.facilities.loc[found.index, "geometry"].to_numpy())
    import geopandas as gpd

    common.downloads(
        gpd.GeoDataFrame(export, geometry="geometry", crs="EPSG:4326"), "directory", key="dl_dir"
    )
    pick = st.selectbox(
        _t("detail", lang),
        found["facility_id"].tolist(),
        format_func=lambda f: str(found.loc[found["facility_id"] == f, "name"].iloc[0]),
        key="dir_detail",
    )
    rows = directory.capability_sources(ctx, pick)
    if not len(rows):
        st.caption(_t("detail_none", lang))
    else:
        rows = rows.assign(value=[_value(v, lang) for v in rows["value"]])
        st.dataframe(_display(rows.drop(columns=["facility_id", "capability"]), lang),
                     hide_index=True)  # fmt: skip
