"""Every user-facing label of the app in one place: Japanese first, English on request.

Labels are looked up by id with :func:`t`. Code-table labels (care types, services, hazard
types, shelter kinds) come from ``data/`` through :func:`code_label`, so a code has one name
everywhere.

Examples
--------
>>> t("page_overview", "ja")
'概要'
>>> t("page_overview", "en")
'Overview'
"""

# ruff: noqa: E501  (a table of sentences; wrapping them would hurt more than it helps)
from __future__ import annotations

from functools import cache

from geo import codes

LANGS = ("ja", "en")

LABELS: dict[str, dict[str, str]] = {
    # app frame
    "app_title": {
        "ja": "ikemap 医療的ケア児 地域資源・防災マップ",
        "en": "ikemap: services and disaster risk for children with medical care needs",
    },
    "language": {"ja": "表示言語", "en": "Language"},
    "role": {"ja": "役割", "en": "Role"},
    "user": {"ja": "利用者", "en": "User"},
    "basemap": {
        "ja": "背景地図（地理院タイル・要インターネット）",
        "en": "Basemap (GSI tiles, needs internet)",
    },
    "workspace_missing": {
        "ja": "ワークスペース {path} が見つかりません。`make app` でデモを作成するか、環境変数 IKEMAP_WORKSPACE に GeoPackage を指定してください。",
        "en": "Workspace {path} not found. Run `make app` to build the demo, or set IKEMAP_WORKSPACE to a GeoPackage.",
    },
    "not_ready": {
        "ja": "この機能の解析モジュール（{module}）はまだ導入されていません。",
        "en": "The analysis module for this feature ({module}) is not installed yet.",
    },
    "fictional": {
        "ja": "デモ県は架空の県です（実在の地域ではありません）。",
        "en": "The demo prefecture is fictional.",
    },
    # pages
    "page_overview": {"ja": "概要", "en": "Overview"},
    "page_planner": {"ja": "計画", "en": "Planning"},
    "page_coordinator": {"ja": "コーディネーター", "en": "Coordinator"},
    "page_disaster": {"ja": "防災", "en": "Disaster"},
    "page_data": {"ja": "データ", "en": "Data"},
    # overview
    "overview_head": {"ja": "地域の概要", "en": "The region at a glance"},
    "n_children": {"ja": "医療的ケア児", "en": "Children"},
    "n_facilities": {"ja": "事業所", "en": "Facilities"},
    "n_shelters": {"ja": "避難所", "en": "Shelters"},
    "n_municipalities": {"ja": "市区町村", "en": "Municipalities"},
    "n_areas": {"ja": "圏域", "en": "Areas"},
    "n_power": {"ja": "電源依存の児", "en": "Power-dependent children"},
    "facilities_by_service": {"ja": "サービス種別ごとの事業所数", "en": "Facilities by service"},
    "children_by_area": {"ja": "圏域ごとの医療的ケア児数", "en": "Children per area"},
    # map layers
    "layer_areas": {"ja": "圏域", "en": "Areas"},
    "layer_municipalities": {"ja": "市区町村境界", "en": "Municipal boundaries"},
    "layer_roads": {"ja": "主要道路", "en": "Main roads"},
    "layer_facilities": {"ja": "事業所", "en": "Facilities"},
    "layer_children": {"ja": "医療的ケア児（個人）", "en": "Children (individual)"},
    "layer_children_agg": {"ja": "医療的ケア児（圏域別集計）", "en": "Children (per area)"},
    "layer_hazards": {"ja": "ハザード区域", "en": "Hazard zones"},
    "layer_shelters": {"ja": "避難所", "en": "Shelters"},
    "layer_isochrone": {"ja": "到達圏", "en": "Reachable area"},
    "layer_candidates": {"ja": "候補地", "en": "Candidate sites"},
    "layer_point": {"ja": "検索地点", "en": "Search point"},
    "legend": {"ja": "凡例", "en": "Legend"},
    "children_suppressed": {"ja": "{n}人未満は非表示", "en": "fewer than {n} hidden"},
    "isolated": {"ja": "孤立", "en": "Isolated"},
    # planner
    "planner_head": {"ja": "圏域ごとの不足（計画担当）", "en": "Gaps per area (planner)"},
    "area_kind": {"ja": "圏域の種類", "en": "Area kind"},
    "service": {"ja": "サービス種別", "en": "Service"},
    "threshold": {"ja": "到達時間のしきい値（分）", "en": "Threshold (minutes)"},
    "run": {"ja": "集計する", "en": "Compute"},
    "gap_table": {"ja": "不足の一覧", "en": "Gap table"},
    "flags": {"ja": "優先度の高い不足（理由つき）", "en": "Ranked flags with reasons"},
    "breakdown": {"ja": "内訳", "en": "Breakdown"},
    "by_age": {"ja": "年齢階級別", "en": "By age band"},
    "by_care": {"ja": "医療的ケアの種類別", "en": "By care type"},
    "choropleth_value": {"ja": "地図に塗る値", "en": "Value on the map"},
    "sites_head": {"ja": "新しい拠点の候補（仮定の試算）", "en": "Site suggestion (what-if)"},
    "sites_k": {"ja": "追加する拠点数", "en": "Sites to add"},
    "sites_run": {"ja": "候補地を探す", "en": "Suggest sites"},
    "sites_exclude_hazard": {
        "ja": "この浸水深ランク以上の区域を除外",
        "en": "Exclude hazard level at or above",
    },
    "whatif_pick": {
        "ja": "地図をクリックして地点を追加（仮想事業所）",
        "en": "Click the map to add a hypothetical facility",
    },
    "whatif_result": {"ja": "追加前後の到達人数", "en": "Children reached before and after"},
    "before": {"ja": "追加前", "en": "Before"},
    "after": {"ja": "追加後", "en": "After"},
    # coordinator
    "coord_head": {
        "ja": "この家庭から使えるサービス（コーディネーター）",
        "en": "Services this family can reach (coordinator)",
    },
    "search_by": {"ja": "検索方法", "en": "Search by"},
    "by_latlon": {"ja": "緯度・経度", "en": "Latitude / longitude"},
    "by_address": {"ja": "住所", "en": "Address"},
    "by_child": {"ja": "児のID", "en": "Child id"},
    "by_click": {"ja": "地図をクリック", "en": "Map click"},
    "lat": {"ja": "緯度", "en": "Latitude"},
    "lon": {"ja": "経度", "en": "Longitude"},
    "address": {"ja": "住所", "en": "Address"},
    "child_id": {"ja": "児のID", "en": "Child id"},
    "care": {"ja": "医療的ケア", "en": "Care needs"},
    "age": {"ja": "年齢", "en": "Age"},
    "minutes": {"ja": "分", "en": "minutes"},
    "max_minutes": {"ja": "最大の到達時間（分）", "en": "Maximum minutes"},
    "search": {"ja": "検索する", "en": "Search"},
    "results": {"ja": "結果", "en": "Results"},
    "no_results": {"ja": "条件に合うサービスはありません。", "en": "No service matches."},
    "address_not_found": {
        "ja": "住所「{q}」の位置が見つかりません。緯度・経度で指定してください。",
        "en": "Address {q!r} not found. Enter latitude and longitude instead.",
    },
    "click_hint": {
        "ja": "地図をクリックすると、その地点で検索します。",
        "en": "Click the map to search from that point.",
    },
    "compare_head": {"ja": "候補住所の比較", "en": "Compare candidate addresses"},
    "compare_points": {
        "ja": "候補地点（1行に「名前, 緯度, 経度」）",
        "en": "Candidate points (one per line: name, lat, lon)",
    },
    "compare_run": {"ja": "比較する", "en": "Compare"},
    "compare_need_two": {
        "ja": "比較には2地点以上が必要です（読めた地点: {n}）。読めなかった行: {bad}",
        "en": "Comparing needs two or more points (read: {n}). Lines not understood: {bad}",
    },
    "isochrone_of": {"ja": "{m}分で届く範囲", "en": "Reachable within {m} min"},
    # disaster
    "disaster_head": {
        "ja": "災害時に支援が必要な児（防災担当）",
        "en": "Children at risk in a disaster (disaster officer)",
    },
    "hazard_type": {"ja": "ハザードの種類", "en": "Hazard type"},
    "hazard_level": {"ja": "想定する区域ランク（以上）", "en": "Hazard level (at or above)"},
    "in_zone": {"ja": "区域内の児", "en": "Children in zones"},
    "power_dep": {"ja": "電源依存", "en": "Power-dependent"},
    "isolated_n": {"ja": "道路冠水で孤立", "en": "Cut off by flooded roads"},
    "no_plan": {"ja": "個別避難計画なし", "en": "No evacuation plan"},
    "call_list": {"ja": "安否確認の電話リスト（優先順）", "en": "Call list (triage order)"},
    "minutes_normal": {"ja": "平常時の所要時間（分）", "en": "Minutes (normal)"},
    "minutes_flooded": {"ja": "浸水時の所要時間（分）", "en": "Minutes (flooded)"},
    "all_types": {"ja": "すべて", "en": "All"},
    # data
    "data_head": {"ja": "使用中のデータ", "en": "Data in use"},
    "workspace": {"ja": "ワークスペース", "en": "Workspace"},
    "layer": {"ja": "レイヤ", "en": "Layer"},
    "rows": {"ja": "件数", "en": "Rows"},
    "sources": {"ja": "出典と時点", "en": "Sources and dates"},
    "validation": {"ja": "検証結果", "en": "Validation"},
    "valid_ok": {"ja": "問題はありません。", "en": "No problems found."},
    "n_problems": {"ja": "{n}件の問題があります。", "en": "{n} problems found."},
    "upload": {"ja": "新しいファイルを読み込む", "en": "Load new files"},
    "upload_kind": {"ja": "ファイルの種類", "en": "File kind"},
    "upload_check": {"ja": "検証する", "en": "Validate"},
    "upload_hint": {
        "ja": "CSV（UTF-8 または Shift_JIS）を選ぶと、取り込む前に全行を検証して問題を一覧にします。",
        "en": "Pick a CSV (UTF-8 or Shift_JIS): every row is checked and all problems listed before import.",
    },
    # exports
    "download_csv": {"ja": "CSV（Excel用）", "en": "CSV (for Excel)"},
    "download_xlsx": {"ja": "Excel", "en": "Excel"},
    "download_gpkg": {"ja": "GeoPackage", "en": "GeoPackage"},
    "computing": {"ja": "計算中…", "en": "Computing…"},
    "loading": {"ja": "データを読み込み中…", "en": "Loading data…"},
}

#: Column headers of result tables (library column name -> label).
COLUMNS: dict[str, dict[str, str]] = {
    "area_id": {"ja": "圏域ID", "en": "Area id"},
    "area_name": {"ja": "圏域", "en": "Area"},
    "area_kind": {"ja": "圏域の種類", "en": "Area kind"},
    "threshold_min": {"ja": "しきい値（分）", "en": "Threshold (min)"},
    "covered_confirmed": {"ja": "到達可能（受入確認済み）", "en": "Covered (confirmed)"},
    "uncovered": {"ja": "到達不可", "en": "Uncovered"},
    "unmet_care": {"ja": "ケア未対応", "en": "Care not accepted"},
    "nearest_elsewhere": {"ja": "最寄りが圏域外", "en": "Nearest in another area"},
    "coverage_pct": {"ja": "到達率（%）", "en": "Coverage (%)"},
    "facilities": {"ja": "事業所数", "en": "Facilities"},
    "capacity": {"ja": "定員", "en": "Capacity"},
    "capacity_per_child": {"ja": "児1人あたり定員", "en": "Capacity per child"},
    "e2sfca_mean": {"ja": "E2SFCA（平均）", "en": "E2SFCA (mean)"},
    "share_elsewhere_pct": {"ja": "圏域外依存（%）", "en": "Depends elsewhere (%)"},
    "severity": {"ja": "深刻度", "en": "Severity"},
    "flags": {"ja": "フラグ", "en": "Flags"},
    "reasons": {"ja": "理由", "en": "Reasons"},
    "care_ja": {"ja": "医療的ケア（日本語）", "en": "Care (ja)"},
    "mobility": {"ja": "移動", "en": "Mobility"},
    "exposed": {"ja": "区域内", "en": "In zone"},
    "minutes_hazard": {"ja": "浸水時（分）", "en": "Flooded (min)"},
    "hazard_label": {"ja": "区域", "en": "Zone"},
    "shelter_kind": {"ja": "避難所の種類", "en": "Shelter kind"},
    "municipality_code": {"ja": "市区町村コード", "en": "Municipality code"},
    "name": {"ja": "名称", "en": "Name"},
    "kind": {"ja": "種類", "en": "Kind"},
    "service": {"ja": "サービス", "en": "Service"},
    "service_label": {"ja": "サービス", "en": "Service"},
    "children": {"ja": "児の数", "en": "Children"},
    "n_children": {"ja": "児の数", "en": "Children"},
    "covered": {"ja": "到達可能", "en": "Covered"},
    "not_covered": {"ja": "到達不可", "en": "Not covered"},
    "share_covered": {"ja": "到達率", "en": "Share covered"},
    "minutes": {"ja": "所要時間（分）", "en": "Minutes"},
    "facility_id": {"ja": "事業所ID", "en": "Facility id"},
    "child_id": {"ja": "児のID", "en": "Child id"},
    "age": {"ja": "年齢", "en": "Age"},
    "care": {"ja": "医療的ケア", "en": "Care"},
    "reason": {"ja": "理由", "en": "Reason"},
    "rank": {"ja": "順位", "en": "Rank"},
    "triage_rank": {"ja": "優先順位", "en": "Triage rank"},
    "power_dependent": {"ja": "電源依存", "en": "Power-dependent"},
    "isolated": {"ja": "孤立", "en": "Isolated"},
    "hazard_type": {"ja": "ハザード", "en": "Hazard"},
    "hazard_level": {"ja": "区域ランク", "en": "Level"},
    "shelter_id": {"ja": "避難所ID", "en": "Shelter id"},
    "shelter_name": {"ja": "避難所", "en": "Shelter"},
    "minutes_normal": {"ja": "平常時（分）", "en": "Normal (min)"},
    "minutes_flooded": {"ja": "浸水時（分）", "en": "Flooded (min)"},
    "has_evac_plan": {"ja": "個別避難計画", "en": "Evacuation plan"},
    "confirmed": {"ja": "受入確認済み", "en": "Confirmed"},
    "layer": {"ja": "レイヤ", "en": "Layer"},
    "rows": {"ja": "件数", "en": "Rows"},
    "row": {"ja": "行", "en": "Row"},
    "column": {"ja": "列", "en": "Column"},
    "value": {"ja": "値", "en": "Value"},
    "expected": {"ja": "期待される値", "en": "Expected"},
    "source": {"ja": "出典", "en": "Source"},
    "source_date": {"ja": "時点", "en": "Date"},
}

#: Code tables whose labels the app shows, by the name used in :func:`code_label`.
_CODE_TABLES = {
    "care": "care_types",
    "service": "service_types",
    "hazard": "hazard_types",
    "shelter": "shelter_kinds",
    "mobility": "mobility",
}


def t(key: str, lang: str = "ja", **fmt) -> str:
    """Return label ``key`` in ``lang`` (falls back to Japanese), formatted with ``fmt``.

    Examples
    --------
    >>> t("isochrone_of", "en", m=30)
    'Reachable within 30 min'
    """
    entry = LABELS.get(key)
    if entry is None:
        msg = f"Unknown label id {key!r}; add it to ui.labels.LABELS."
        raise KeyError(msg)
    text = entry.get(lang) or entry["ja"]
    return text.format(**fmt) if fmt else text


def column(name: str, lang: str = "ja") -> str:
    """Return the header for result column ``name`` (the name itself when unknown)."""
    entry = COLUMNS.get(name)
    if entry is None:
        return name
    return entry.get(lang) or entry["ja"]


def columns(frame, lang: str = "ja"):
    """Return ``frame`` with its columns renamed to labels (for display only)."""
    names, used = {}, set()
    for c in frame.columns:
        label = column(c, lang)
        names[c] = label if label not in used else c  # never two columns with one header
        used.add(names[c])
    return frame.rename(columns=names)


def code_label(kind: str, code, lang: str = "ja") -> str:
    """Return the label of ``code`` in code table ``kind`` (care, service, hazard, shelter...).

    Examples
    --------
    >>> code_label("care", "ventilator", "ja")
    '人工呼吸器'
    >>> code_label("service", "visiting_nurse", "en")
    'Visiting nursing'
    """
    return _code_labels(kind, "label_ja" if lang == "ja" else "label_en").get(code, str(code))


@cache
def _code_labels(kind, col):
    table = codes.table(_CODE_TABLES[kind])
    if col not in table.columns:
        return {}
    return {k: str(v) for k, v in zip(table.index, table[col], strict=True)}


def code_options(kind: str) -> list[str]:
    """Return the codes of table ``kind`` in table order (for select boxes)."""
    return list(codes.table(_CODE_TABLES[kind]).index)


def hazard_level_label(hazard_type: str, level: int, lang: str = "ja") -> str:
    """Return the label of a hazard level (e.g. '3.0m以上5.0m未満')."""
    levels = codes.hazard_levels()
    key = (hazard_type, int(level))
    if key in levels.index:
        return str(levels.loc[key, "label_ja" if lang == "ja" else "label"])
    return str(level)
