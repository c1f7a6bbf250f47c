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
    "leave_early_n": {"ja": "区域内・浸水前に避難", "en": "In zone: leave before the water"},
    "isolated_n": {"ja": "区域外・道路冠水で孤立", "en": "Outside zone, cut off by flooded roads"},
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
    "upload_counts": {
        "ja": "読み込んだ行 {read}（取り込める行 {accepted}・除外される行 {rejected}）",
        "en": "{read} rows read ({accepted} accepted, {rejected} rejected)",
    },
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
    "done": {"ja": "完了", "en": "Done"},
    "yes": {"ja": "はい", "en": "Yes"},
    "no": {"ja": "いいえ", "en": "No"},
    "unknown": {"ja": "不明", "en": "Unknown"},
    "total": {"ja": "計", "en": "Total"},
    "download_print": {"ja": "印刷用（A4・HTML）", "en": "Print view (A4, HTML)"},
    "print_head": {"ja": "印刷・持ち出し", "en": "Print and take away"},
    "role_planner": {"ja": "計画担当（集計のみ）", "en": "Planner (aggregates only)"},
    "role_coordinator": {"ja": "コーディネーター", "en": "Coordinator"},
    "role_disaster": {"ja": "防災担当", "en": "Disaster officer"},
    "role_admin": {"ja": "管理者", "en": "Administrator"},
    # coordinator (address search, results)
    "address_placeholder": {
        "ja": "例: デモ県デモ市中央区中央1-2（都道府県は省略可）",
        "en": "e.g. デモ県デモ市中央区中央1-2 (prefecture optional)",
    },
    "address_placeholder_of": {
        "ja": "例: {example}（都道府県は省略可）",
        "en": "e.g. {example} (prefecture optional)",
    },
    "address_ambiguous": {
        "ja": "「{q}」に当てはまる場所が{n}件あります。候補から選んでください。",
        "en": "{n} places match {q!r}. Pick one.",
    },
    "address_pick": {"ja": "候補", "en": "Candidates"},
    "address_use": {"ja": "この場所で検索する", "en": "Search from this place"},
    "address_resolved": {
        "ja": "検索地点: {label}（{level}）",
        "en": "Search point: {label} ({level})",
    },
    "level_town": {"ja": "町丁目の代表点", "en": "representative point of the 町丁目"},
    "level_municipality": {
        "ja": "市区町村の代表点",
        "en": "representative point of the municipality",
    },
    "address_points_missing": {
        "ja": "このワークスペースには位置参照（町丁目の代表点）がありません。緯度・経度か地図のクリックで検索してください。",
        "en": "This workspace has no address points; search by latitude/longitude or a map click.",
    },
    "services": {"ja": "サービス種別（複数可）", "en": "Services (one or more)"},
    "services_all": {"ja": "すべてのサービス", "en": "All services"},
    "minutes_default": {
        "ja": "最大の到達時間（分・0 はサービスごとの基準）",
        "en": "Maximum minutes (0 = each service's threshold)",
    },
    "child_pick": {
        "ja": "児（ID・年齢・ケア・市区町村）",
        "en": "Child (id, age, care, municipality)",
    },
    "age_years": {"ja": "{n}歳", "en": "{n} y"},
    "step_geocode": {"ja": "住所を位置参照で検索", "en": "Resolving the address"},
    "step_network": {"ja": "道路網を準備", "en": "Preparing the road network"},
    "step_times": {"ja": "到達時間を計算", "en": "Computing travel times"},
    "step_isochrone": {"ja": "到達圏を作成", "en": "Drawing the reachable area"},
    "step_covers": {"ja": "担当窓口を検索", "en": "Finding who covers this address"},
    "n_found": {"ja": "{n}件", "en": "{n}"},
    "results_all": {"ja": "すべて", "en": "All"},
    "exposure_head": {"ja": "この地点のハザード", "en": "Hazards at this point"},
    "exposure_none": {"ja": "ハザード区域外です。", "en": "Outside every hazard zone."},
    "exposure_in": {
        "ja": "{hazard}: {level}（{band}）",
        "en": "{hazard}: {level} ({band})",
    },
    "who_covers_head": {"ja": "この住所の担当窓口", "en": "Who covers this address"},
    "isochrone_service": {"ja": "到達圏を描くサービス", "en": "Reachable area drawn for"},
    "legend_search": {"ja": "検索", "en": "Search"},
    "basis_confirmed": {"ja": "受入確認済み", "en": "Confirmed"},
    "basis_possible": {"ja": "受入未確認（要確認）", "en": "Possible (ask)"},
    "compare_points_addr": {
        "ja": "候補（1行に「名前, 住所」または「名前, 緯度, 経度」）",
        "en": "Candidates (one per line: name, address — or name, lat, lon)",
    },
    "compare_bad_address": {
        "ja": "「{line}」: {reason}",
        "en": "{line!r}: {reason}",
    },
    # disaster
    "disaster_type": {"ja": "想定する災害", "en": "Disaster"},
    "dis_flood": {"ja": "洪水（河川の氾濫）", "en": "River flood"},
    "dis_landslide": {"ja": "土砂災害", "en": "Landslide"},
    "dis_tsunami": {"ja": "津波", "en": "Tsunami"},
    "dis_quake_power": {"ja": "地震（停電）", "en": "Earthquake with power outage"},
    "dis_quake_power_water": {
        "ja": "地震（停電・断水）",
        "en": "Earthquake with power and water outage",
    },
    "level_meaning": {"ja": "この区域ランク以上: {text}", "en": "At or above: {text}"},
    "isolated_note": {
        "ja": "「孤立」は、この災害で通れなくなる道路を除くと、適した避難所（この災害の指定あり・区域外・必要なら非常用電源なしと分かっている避難所を除く）に車で行けない児です。所要時間が空欄の児は行ける避難所がありません。",
        "en": "Isolated: with the roads this disaster closes removed, no suitable shelter (designated for it, outside the zone, not known to lack power where needed) can be reached by car. An empty time means no such shelter can be reached.",
    },
    "ward_report": {
        "ja": "市区町村別: 災害種別ごとの児の数と個別避難計画なし",
        "en": "Per municipality: children per hazard type and without a plan",
    },
    "no_plan_list": {
        "ja": "個別避難計画のない児（担当範囲）",
        "en": "Children without an evacuation plan (your scope)",
    },
    "child_sheet_head": {
        "ja": "個別の到達・避難シート（印刷用）",
        "en": "One child's access and evacuation sheet (print)",
    },
    "child_sheet_pick": {"ja": "児を選ぶ", "en": "Pick a child"},
    "legend_children": {"ja": "医療的ケア児", "en": "Children"},
    "legend_power": {"ja": "電源依存", "en": "Power-dependent"},
    "legend_other": {"ja": "その他", "en": "Other"},
    "legend_isolated": {"ja": "孤立（赤い輪）", "en": "Isolated (red ring)"},
    "chart_children": {"ja": "平常時と災害時の所要時間", "en": "Minutes normal vs. disaster"},
    "unreachable": {"ja": "到達不可", "en": "unreachable"},
    # planner
    "age_loss_head": {
        "ja": "年齢で使えない事業所による到達率の低下",
        "en": "Coverage lost to age limits",
    },
    "age_band": {"ja": "年齢階級", "en": "Age band"},
    "legend_grey": {
        "ja": "灰色: 児がいない、または秘匿（10人未満）",
        "en": "Grey: no children, or hidden (fewer than 10)",
    },
    "step_publish": {"ja": "集計と秘匿処理", "en": "Aggregating and suppressing"},
    "step_candidates": {
        "ja": "候補地（道路の交点）を選んでいます…",
        "en": "Picking candidate sites (road nodes)…",
    },
    "step_greedy": {
        "ja": "到達できる児が最も増える地点を{k}か所、順に選んでいます…",
        "en": "Choosing {k} sites one by one, each adding the most children reached…",
    },
    "flags_none": {"ja": "フラグの立った圏域はありません。", "en": "No area is flagged."},
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
    "file": {"ja": "ファイル", "en": "File"},
    "field": {"ja": "列（項目）", "en": "Field"},
    "column": {"ja": "列", "en": "Column"},
    "value": {"ja": "値", "en": "Value"},
    "expected": {"ja": "期待される値", "en": "Expected"},
    "source": {"ja": "出典", "en": "Source"},
    "source_date": {"ja": "時点", "en": "Date"},
    "basis": {"ja": "受入の確認", "en": "Acceptance"},
    "accepts": {"ja": "受入可能な医療的ケア", "en": "Care accepted"},
    "age_min": {"ja": "対象年齢（下限）", "en": "Age from"},
    "age_max": {"ja": "対象年齢（上限）", "en": "Age to"},
    "has_power": {"ja": "非常用電源", "en": "Backup power"},
    "address": {"ja": "住所", "en": "Address"},
    "phone": {"ja": "電話", "en": "Phone"},
    "tel": {"ja": "電話", "en": "Phone"},
    "hours": {"ja": "営業日・時間", "en": "Opening hours"},
    "opening_hours": {"ja": "営業日・時間", "en": "Opening hours"},
    "municipality": {"ja": "市区町村", "en": "Municipality"},
    "municipality_name": {"ja": "市区町村", "en": "Municipality"},
    "level": {"ja": "単位", "en": "Level"},
    "level_ja": {"ja": "単位", "en": "Level"},
    "code": {"ja": "コード", "en": "Code"},
    "windows": {"ja": "相談窓口（所要時間）", "en": "Consultation windows (minutes)"},
    "candidate_id": {"ja": "候補地", "en": "Candidate"},
    "newly_covered": {"ja": "新たに到達できる児", "en": "Newly covered children"},
    "covered_before": {"ja": "追加前の到達", "en": "Covered before"},
    "covered_after": {"ja": "追加後の到達", "en": "Covered after"},
    "covered_possible": {"ja": "到達可能（受入未確認）", "en": "Covered (possible)"},
    "children_total": {"ja": "児の数", "en": "Children"},
    "item": {"ja": "項目", "en": "Item"},
    "label": {"ja": "区域", "en": "Zone"},
    "depth_m": {"ja": "浸水深（m）", "en": "Depth (m)"},
    "best_shelter_id": {"ja": "避難所ID", "en": "Shelter id"},
    "best_shelter_name": {"ja": "避難所", "en": "Shelter"},
    "shelter_minutes": {"ja": "避難所まで（分）", "en": "To shelter (min)"},
    "last_verified": {"ja": "最終確認日", "en": "Last verified"},
    "reason_ja": {"ja": "理由", "en": "Reason"},
    "cut_off_ja": {"ja": "孤立の種類", "en": "Cut-off kind"},
    "hazard_reason": {"ja": "災害時に到達できない理由", "en": "Why unreachable in the disaster"},
    "shelter_has_power": {"ja": "避難所の非常用電源", "en": "Shelter backup power"},
    "depth_min_m": {"ja": "浸水深下限（m）", "en": "Depth from (m)"},
    "depth_max_m": {"ja": "浸水深上限（m）", "en": "Depth to (m)"},
    "welfare_name": {"ja": "福祉避難所", "en": "Welfare shelter"},
    "welfare_minutes": {"ja": "福祉避難所まで（分）", "en": "To welfare shelter (min)"},
    "powered_name": {"ja": "電源あり避難所", "en": "Shelter with power"},
    "powered_minutes": {"ja": "電源あり避難所まで（分）", "en": "To shelter with power (min)"},
    "n_power": {"ja": "電源依存", "en": "Power-dependent"},
    "n_no_plan": {"ja": "個別避難計画なし", "en": "No plan"},
    "no_plan": {"ja": "個別避難計画なし", "en": "No plan"},
    "in_zone": {"ja": "区域内", "en": "In zone"},
    "covered_all_ages": {"ja": "年齢制限がなければ到達可能", "en": "Covered ignoring age limits"},
    "loss": {"ja": "年齢制限で外れる児", "en": "Left out by age limits"},
    "coverage_all_ages_pct": {
        "ja": "年齢制限なしの到達率（%）",
        "en": "Coverage ignoring age limits (%)",
    },
    "loss_pct": {"ja": "低下（ポイント）", "en": "Loss (points)"},
    "coverage_any_age_pct": {"ja": "年齢を問わない到達率（%）", "en": "Coverage ignoring age (%)"},
    "age_band": {"ja": "年齢階級", "en": "Age band"},
    "exposure": {"ja": "ハザード", "en": "Hazard"},
}

#: Planner flags (analysis.gaps) as the user reads them.
FLAGS = {
    "no_facility": {"ja": "圏域内に事業所なし", "en": "No facility in the area"},
    "unmet_care": {
        "ja": "ケアを受け入れる事業所が到達圏にない児",
        "en": "Care not accepted in reach",
    },
    "low_coverage": {"ja": "到達率が低い", "en": "Low coverage"},
    "no_place": {"ja": "到達圏内だが空きなし", "en": "In reach but no place left"},
    "low_capacity": {"ja": "定員・利用可能性が低い", "en": "Low capacity / accessibility"},
    "depends_on_neighbour": {"ja": "他圏域に依存", "en": "Depends on a neighbouring area"},
}

#: Columns never shown to a user (internal ids and helpers).
HIDDEN_COLUMNS = frozenset(
    {"node_id", "within", "service_ja", "index", "fid", "_m", "level_0", "geometry"}
)

_BOOL_COLUMNS = frozenset(
    {"has_power", "shelter_has_power", "accepts_medical", "power_dependent", "isolated", "exposed", "has_evac_plan",
     "confirmed", "far", "no_plan", "in_zone"}
)  # fmt: skip

#: Backup-power columns: unknown (GSI shelters have no power column) reads 不明 on screen.
_POWER_COLUMNS = frozenset({"has_power", "shelter_has_power"})


def _unknown(value):
    return value is None or (not isinstance(value, str) and _isna(value))


_LIST_CODE_COLUMNS = {"care": "care", "accepts": "care", "hazards_ok": "hazard"}
_CODE_COLUMNS = {
    "service": "service",
    "hazard_type": "hazard",
    "mobility": "mobility",
    "shelter_kind": "shelter",
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


def yes_no(value, lang="ja") -> str:
    """はい / いいえ / — for a boolean cell (None and NaN are unknown).

    Examples
    --------
    >>> yes_no(True), yes_no(None), yes_no(False, "en")
    ('はい', '—', 'No')
    """
    if value is None or (not isinstance(value, str) and _isna(value)):
        return "—"
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "1", "yes", "はい")
    return t("yes" if bool(value) else "no", lang)


def _isna(value):
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def codes_text(value, kind, lang="ja", *, unknown=None) -> str:
    """Labels of a list of codes (a list or a ``;``-joined string), joined with 「、」.

    None is unknown (``unknown`` text, default 「不明（要確認）」); an empty list is 「—」.

    Examples
    --------
    >>> codes_text(["ventilator", "suction"], "care")
    '人工呼吸器、吸引'
    >>> codes_text("ventilator;suction", "care", "en")
    'Ventilator, Suction'
    >>> codes_text(None, "care")
    '不明（要確認）'
    """
    if value is None or (not isinstance(value, list | tuple | str) and _isna(value)):
        if unknown is not None:
            return unknown
        return "不明（要確認）" if lang == "ja" else "unknown (ask)"
    items = (
        value.replace("、", ";").replace(",", ";").split(";") if isinstance(value, str) else value
    )
    items = [str(v).strip() for v in items if str(v).strip()]
    if not items:
        return "—"
    return ("、" if lang == "ja" else ", ").join(code_label(kind, c, lang) for c in items)


def basis_label(value, lang="ja") -> str:
    """confirmed / possible as the user reads them (受入確認済み / 受入未確認（要確認）)."""
    if value in ("confirmed", "possible"):
        return t(f"basis_{value}", lang)
    return "—" if value is None or _isna(value) else str(value)


def role_label(role, lang="ja") -> str:
    """A role's name in the session's language (planner -> 計画担当（集計のみ） / Planner ...)."""
    key = f"role_{role}"
    return t(key, lang) if key in LABELS else str(role)


def area_level_label(level, lang="ja") -> str:
    """who_covers levels: municipality / prefecture / an area kind (kept as named)."""
    fixed = {
        "municipality": ("市区町村", "Municipality"),
        "prefecture": ("都道府県", "Prefecture"),
    }
    if level in fixed:
        return fixed[level][0 if lang == "ja" else 1]
    return str(level)


def frame(data, lang="ja", *, municipalities=None, hide=(), keep_codes=()):
    """A result table as the user reads it: codes as labels, booleans as はい/いいえ, headers
    translated, internal columns (:data:`HIDDEN_COLUMNS`) dropped, None as 「—」.

    Parameters
    ----------
    data : DataFrame
        An analysis output with its library column names (gate it first: the gate reads them).
    municipalities : mapping code -> name, optional
        ``municipality_code`` becomes the municipality's name (column 「市区町村」).
    hide : iterable of str
        More columns to drop.
    keep_codes : iterable of str
        Columns whose codes stay as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> t_ = pd.DataFrame({"service": ["visiting_nurse"], "basis": ["possible"],
    ...                    "accepts": [None], "node_id": [1], "has_power": [True]})
    >>> frame(t_).iloc[0].tolist()
    ['訪問看護', '受入未確認（要確認）', '不明（要確認）', 'はい']
    >>> list(frame(t_, "en").columns)
    ['Service', 'Acceptance', 'Care accepted', 'Backup power']
    >>> frame(pd.DataFrame({"shelter_has_power": [True, False, None]}))["避難所の非常用電源"].tolist()
    ['はい', 'いいえ', '不明']
    """
    import pandas as pd

    out = pd.DataFrame(data).copy()
    drop = [c for c in out.columns if c in HIDDEN_COLUMNS or c in set(hide)]
    drop += [c for c in out.columns if str(c).endswith("_suppressed") or str(c).endswith("_small")]
    out = out.drop(columns=drop)
    keep = set(keep_codes)
    for c in out.columns:
        if c in keep:
            continue
        col = out[c]
        if c in _LIST_CODE_COLUMNS:
            out[c] = [codes_text(v, _LIST_CODE_COLUMNS[c], lang) for v in col]
        elif c in _CODE_COLUMNS:
            kind = _CODE_COLUMNS[c]
            out[c] = ["—" if v is None or _isna(v) else code_label(kind, v, lang) for v in col]
        elif c == "basis":
            out[c] = [basis_label(v, lang) for v in col]
        elif c in _POWER_COLUMNS:  # unknown backup power is 不明, never いいえ
            out[c] = [t("unknown", lang) if _unknown(v) else yes_no(v, lang) for v in col]
        elif c in _BOOL_COLUMNS:
            out[c] = [yes_no(v, lang) for v in col]
        elif c == "municipality_code" and municipalities is not None:
            names = dict(municipalities)
            out[c] = [names.get(v, v) if v is not None else "—" for v in col]
            out = out.rename(columns={c: "municipality"})
        elif col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            out[c] = ["—" if v is None or (not isinstance(v, list | tuple) and _isna(v))
                      else ("、".join(map(str, v)) if isinstance(v, list | tuple) else str(v))
                      for v in col]  # fmt: skip
    return columns(out, lang)


def flags_text(value, lang="ja") -> str:
    """Planner flag codes (``;``-joined or a list) as labels joined with 「、」.

    Examples
    --------
    >>> flags_text("no_facility;depends_on_neighbour")
    '圏域内に事業所なし、他圏域に依存'
    """
    if value is None or (not isinstance(value, list | tuple | str) and _isna(value)):
        return "—"
    items = value.split(";") if isinstance(value, str) else value
    sep = "、" if lang == "ja" else ", "
    return sep.join((FLAGS[f].get(lang) or FLAGS[f]["ja"]) if f in FLAGS else f for f in items if f)


#: Export headers that stay as they are in every language: the gate reads them (a scoped
#: user's downloads are filtered on ``municipality_code``).
KEEP_IN_EXPORTS = frozenset({"municipality_code", "geometry"})


#: Whole-number columns that pandas holds as floats when one value is missing (``0.0``).
_WHOLE_COLUMNS = frozenset({"age", "age_min", "age_max", "capacity", "triage_rank"})


def export_values(frame, lang="ja"):
    """``frame`` with values a reader of the download understands, in the session's language.

    Codes become labels (``visiting_nurse`` -> 訪問看護, ``designated_shelter`` -> 指定避難所),
    lists of care codes their labels joined with 「、」 (unknown: 「不明（要確認）」), acceptance
    basis and booleans as words (はい/いいえ; unknown stays empty), minutes rounded to 0.1 and
    whole numbers without ``.0``. Headers, ids and ``municipality_code`` are untouched.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"service": ["visiting_nurse"], "basis": ["confirmed"],
    ...                   "has_power": [None], "isolated": [False], "minutes": [1.23456],
    ...                   "age_min": [0.0], "accepts": [None]})
    >>> [str(v) for v in export_values(f).iloc[0]]
    ['訪問看護', '受入確認済み', 'None', 'いいえ', '1.2', '0', '不明（要確認）']
    >>> export_values(f, "en").iloc[0].tolist()[:2]
    ['Visiting nursing', 'Confirmed']
    """
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if c in _LIST_CODE_COLUMNS:
            out[c] = [
                v
                if isinstance(v, str) and v and not _is_codes(v, _LIST_CODE_COLUMNS[c])
                else codes_text(v, _LIST_CODE_COLUMNS[c], lang)
                for v in col
            ]
        elif c in _CODE_COLUMNS:
            kind = _CODE_COLUMNS[c]
            out[c] = [None if v is None or _isna(v) else code_label(kind, v, lang) for v in col]
        elif c == "basis":
            out[c] = [None if v is None or _isna(v) else basis_label(v, lang) for v in col]
        elif c in _BOOL_COLUMNS:
            out[c] = [None if v is None or _isna(v) else yes_no(v, lang) for v in col]
        elif str(c).startswith("minutes") or str(c).endswith("_minutes"):
            out[c] = pd.to_numeric(col, errors="coerce").round(1)
        elif c in _WHOLE_COLUMNS:
            num = pd.to_numeric(col, errors="coerce")
            whole = num.dropna()
            if len(whole) and (whole == whole.round()).all():
                out[c] = num.round().astype("Int64")
    return out


def _is_codes(text, kind):
    """True when ``text`` is codes of table ``kind`` (``ventilator;suction``), not labels."""
    known = _code_labels(kind, "label_ja")
    items = [i.strip() for i in text.replace("、", ";").replace(",", ";").split(";") if i.strip()]
    return bool(items) and all(i in known for i in items)


def export_headers(frame, lang="ja", *, values=False):
    """``frame`` with headers for a download in the session's language.

    ``child_id`` becomes 「管理番号」 in Japanese (the gate knows both names as child-level),
    :data:`KEEP_IN_EXPORTS` stay, every other known column gets its label. Values are kept,
    unless ``values`` asks for them as the reader reads them (:func:`export_values`).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"child_id": ["D1"], "municipality_code": ["99101"], "minutes": [3.0]})
    >>> list(export_headers(f).columns)
    ['管理番号', 'municipality_code', '所要時間（分）']
    >>> list(export_headers(f, "en").columns)
    ['child_id', 'municipality_code', 'Minutes']
    """
    names, used = {}, set()
    for c in frame.columns:
        if c in KEEP_IN_EXPORTS:
            label = c
        elif c == "child_id":
            label = "管理番号" if lang == "ja" else "child_id"
        else:
            label = column(c, lang)
        names[c] = label if label not in used else c
        used.add(names[c])
    if values:
        frame = export_values(frame, lang)
    return frame.rename(columns=names)
