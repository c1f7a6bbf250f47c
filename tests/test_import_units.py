"""Importers on small hand-made worlds: codes, 圏域 tables, facilities, capabilities, hazards,
child registers, shelters, reports, atomic imports and the CLI exit codes."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geo import workspace
from geo.importers import (
    addresses,
    areas,
    children,
    columns,
    facilities,
    hazards,
    places,
    reading,
    region,
    shelters,
)
from geo.importers.report import ImportReport
from ikemap import cli

# Three square municipalities side by side, 0.1 degree wide, at a made-up place in Japan.
LON0, LAT0 = 140.0, 36.0
MUNIS = [("99101", "甲市"), ("99102", "乙市"), ("99103", "丙町")]


@pytest.fixture
def munis():
    geoms = [box(LON0 + i * 0.1, LAT0, LON0 + (i + 1) * 0.1, LAT0 + 0.1) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "code": [c for c, _ in MUNIS],
            "name": [n for _, n in MUNIS],
            "pref": ["試験県"] * 3,
            "city": [None] * 3,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def _csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------------------------
# codes


def test_check_digit_of_known_codes():
    # 131016 千代田区, 132021 立川市, 422029 佐世保市 (published 全国地方公共団体コード)
    assert areas.check_digit("13101") == 6
    assert areas.check_digit("13202") == 1
    assert areas.check_digit("42202") == 9


def test_reconcile_code_accepts_5_and_6_digits_and_names_wrong_check_digit():
    assert areas.reconcile_code("13202") == ("13202", None, None)
    assert areas.reconcile_code("132021") == ("13202", None, None)
    assert areas.reconcile_code("１３２０２１")[0] == "13202"  # full-width digits
    code, problem, _ = areas.reconcile_code("132025")
    assert code is None and "check digit is 5" in problem and "132021" in problem
    code, problem, repair = areas.reconcile_code("1100")
    assert code == "01100" and problem is None and "leading zero" in repair
    assert areas.reconcile_code("13-202")[1]


# --------------------------------------------------------------------------------------------
# encodings


def test_cp932_only_characters_are_read_where_shift_jis_fails(tmp_path):
    text = "管理番号,年齢,医療的ケア,緯度,経度,氏名\nA1,3,人工呼吸器,36.05,140.05,①㈱テスト\n"
    path = _csv(tmp_path / "reg.csv", text, "cp932")
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    assert reading.detect_encoding(data) == "cp932"
    rep = ImportReport(file=str(path), kind="children")
    table = reading.read_table(path, rep)
    assert rep.encoding == "cp932"
    assert table.loc[0, "氏名"] == "①㈱テスト"


def test_utf8_with_bom_is_detected_and_header_clean(tmp_path):
    path = _csv(tmp_path / "a.csv", "\ufeff市区町村コード,圏域\n99101,北\n")
    rep = ImportReport(file=str(path), kind="areas")
    table = reading.read_table(path, rep)
    assert list(table.columns) == ["市区町村コード", "圏域"]
    assert rep.encoding == "utf-8"


def test_unreadable_encoding_is_a_file_error(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("管理番号,年齢\nA,3\n".encode("utf-16"))
    rep = ImportReport(file=str(path), kind="children")
    assert reading.read_table(path, rep) is None
    assert rep.failed and "UTF-8 or CP932" in rep.errors[0]


# --------------------------------------------------------------------------------------------
# 圏域


def test_areas_long_table_with_5_and_6_digit_codes(tmp_path, munis):
    # 991011 / 991020: check digits computed by hand with weights 6,5,4,3,2:
    # 9*6+9*5+1*4+0*3+1*2 = 105, 105 % 11 = 6, 11-6 = 5 -> 991015
    assert areas.check_digit("99101") == 5
    path = _csv(
        tmp_path / "障害保健福祉圏域.csv",
        "市区町村コード,市区町村名,圏域\n991015,甲市,北部\n99102,乙市,北部\n99103,丙町,南部\n",
    )
    layers, reports = areas.areas_from_files([path], munis)
    rep = reports[0]
    assert rep.ok and rep.rows_read == 3 and rep.rows_accepted == 3
    rep.check_balance()
    a = layers["areas"].set_index("area_id")
    assert set(a.index) == {"障害保健福祉圏域:北部", "障害保健福祉圏域:南部"}
    assert a.loc["障害保健福祉圏域:北部", "kind"] == "障害保健福祉圏域"  # kind from file name
    assert a.loc["障害保健福祉圏域:北部", "n_municipalities"] == 2
    assert a.loc["障害保健福祉圏域:北部"].geometry.area == pytest.approx(0.02)
    m = layers["area_members"]
    assert sorted(m["municipality_code"]) == ["99101", "99102", "99103"]
    workspace.check("areas", layers["areas"])
    workspace.check("area_members", m)


def test_areas_missing_and_duplicate_municipalities_are_named(tmp_path, munis):
    path = _csv(
        tmp_path / "t.csv",
        "市区町村コード,圏域,種別\n99101,北,二次医療圏\n99101,南,二次医療圏\n",
    )
    layers, reports = areas.areas_from_files([path], munis)
    rep = reports[0]
    assert rep.rows_rejected == 2  # both rows naming 甲市 twice
    assert all("甲市 (99101) is listed 2 times" in r.reason for r in rep.rejections)
    assert "t.csv row 2, t.csv row 3" in rep.rejections[0].reason
    assert rep.failed
    err = rep.errors[0]
    assert "甲市 (99101)" in err and "乙市 (99102)" in err and "丙町 (99103)" in err
    rep.check_balance()


def test_areas_wide_table_two_kinds_and_bad_rows(tmp_path, munis):
    path = _csv(
        tmp_path / "wide.csv",
        "市区町村コード,市区町村名,障害保健福祉圏域,二次医療圏,備考\n"
        "99101,甲市,東,A,合成\n99102,乙市,東,A,\n99103,丙町,西,B,\n"
        "991016,甲市,東,A,\n99104,丁村,西,B,\n99102,甲市,東,A,\n",
    )
    layers, reports = areas.areas_from_files([path], munis)
    rep = reports[0]
    assert rep.fmt == "wide"
    reasons = {r.row: r.reason for r in rep.rejections}
    assert "check digit is 6" in reasons[5]
    assert "99104 is not a municipality" in reasons[6]
    assert "乙市" in reasons[7] and "not 甲市" in reasons[7]
    assert rep.rows_read == 6 and rep.rows_accepted == 3 and not rep.failed
    kinds = set(layers["areas"]["kind"])
    assert kinds == {"障害保健福祉圏域", "二次医療圏"}  # 備考 is a note, not a kind
    assert len(layers["area_members"]) == 6


# --------------------------------------------------------------------------------------------
# facilities


GENERIC = (
    "事業所番号,事業所名,サービス種別,緯度,経度,住所,定員,受入可能な医療的ケア,"
    "対象年齢下限,対象年齢上限,非常用電源\n"
    "F1,甲ショート,医療型短期入所,36.05,140.05,,5,人工呼吸器、吸引,0,18,あり\n"
    "F2,乙デイ,放課後等デイサービス,36.05,140.15,,,,,,\n"
    "F3,丙訪看,visiting_nurse,36.05,140.25,,,なし,,,\n"
    "F4,壊れ,生活介護,36.05,140.05,,,羽根,,,\n"
    "F5,住所だけ,児童発達支援,,,試験県乙市本町2-3,,,,,\n"
    "F6,遠い,生活介護,53.41291,-8.24389,,,,,,\n"
    "F7,グループホーム,共同生活援助,36.05,140.05,,,,,,\n"
    "F1,重複,医療型短期入所,36.05,140.05,,,,,,\n"
)


@pytest.fixture
def points():
    return addresses.load(
        gpd.pd.DataFrame(
            {
                "pref": ["試験県", "試験県"],
                "city": ["乙市", "乙市"],
                "town": ["本町二丁目", "本町"],
                "lat": [36.04, 36.06],
                "lon": [140.14, 140.16],
            }
        )
    )


def test_generic_facilities_capabilities_unknown_and_rejections(tmp_path, munis, points):
    path = _csv(tmp_path / "fac.csv", GENERIC)
    fac, rep = facilities.facilities_from_file(
        path, fmt="generic", municipalities=munis, address_points=points
    )
    rep.check_balance()
    assert rep.rows_read == 8 and rep.rows_accepted == 4
    reasons = {r.row: r.reason for r in rep.rejections}
    assert "unknown care ['羽根']" in reasons[5]
    assert "outside Japan" in reasons[7]
    assert "not one of the services" in reasons[8]
    assert "duplicate id" in reasons[9]
    f = fac.set_index("facility_id")
    assert f.loc["F1", "service"] == "short_stay_medical"
    assert f.loc["F1", "accepts"] == ["ventilator", "suction"]
    assert f.loc["F1", "capacity"] == 5 and bool(f.loc["F1", "has_power"])
    assert f.loc["F2", "accepts"] is None  # absent -> unknown, never "accepts"
    assert gpd.pd.isna(f.loc["F2", "has_power"]) and gpd.pd.isna(f.loc["F2", "age_min"])
    assert f.loc["F3", "accepts"] == []  # なし -> accepts nothing
    assert f.loc["F5", "geometry"].equals(Point(140.14, 36.04))  # 本町2-3 -> 本町二丁目
    assert list(f["municipality_code"]) == ["99101", "99102", "99103", "99102"]
    workspace.check("facilities", fac.drop(columns="row"))


WAM_HEADER = (
    '"都道府県コード又は市区町村コード","NO（※システム内の固有の番号、連番）","指定機関名",'
    '"法人の名称","法人の名称_かな","法人番号","法人住所（市区町村）","法人住所（番地以降）",'
    '"法人電話番号","法人FAX番号","法人URL","サービス種別","事業所の名称","事業所の名称_かな",'
    '"事業所番号","事業所住所（市区町村）","事業所住所（番地以降）","事業所電話番号",'
    '"事業所FAX番号","事業所URL","事業所緯度","事業所経度","利用可能な時間帯（平日）",'
    '"利用可能な時間帯（土曜）","利用可能な時間帯（日曜）","利用可能な時間帯（祝日）","定休日",'
    '"利用可能曜日特記事項（留意事項）","定員"'
)


def _wam_row(no, service, name, city, lat, lon, capacity=""):
    cells = ["99000", "A1", "試験県", "㈱テスト", "", "", "", "", "", "", "", service, name, ""]
    cells += [no, city, "1-2-3", "", "", "", str(lat), str(lon), "", "", "", "", "", "", capacity]
    return ",".join(f'"{c}"' for c in cells)


def test_wam_layout_and_capability_join_refines_short_stay(tmp_path, munis):
    rows = [
        _wam_row("1000000001", "短期入所", "甲ショート", "試験県甲市", 36.05, 140.05, "4"),
        _wam_row("1000000002", "児童発達支援", "乙多機能", "試験県乙市", 36.05, 140.15),
        _wam_row("1000000002", "放課後等デイサービス", "乙多機能", "試験県乙市", 36.05, 140.15),
        _wam_row("1000000003", "生活介護", "丙ずれ", "試験県甲市", 36.05, 140.25),
    ]
    path = _csv(tmp_path / "wam.csv", WAM_HEADER + "\n" + "\n".join(rows) + "\n", "cp932")
    fac, rep = facilities.facilities_from_file(path, municipalities=munis)
    assert rep.fmt == "wam" and rep.encoding == "cp932"
    assert rep.rows_accepted == 3 and rep.rows_rejected == 1
    assert (
        "outside 甲市" in rep.rejections[0].reason and "it lies in 丙町" in rep.rejections[0].reason
    )
    assert sorted(fac["facility_id"]) == [
        "1000000001-short_stay_welfare",
        "1000000002-after_school_day",
        "1000000002-child_development",
    ]
    caps = _csv(
        tmp_path / "caps.csv",
        "事業所番号,サービス種別,受入可能な医療的ケア,対象年齢下限,非常用電源\n"
        "1000000001,医療型短期入所,人工呼吸器;気管切開,0,有\n"
        "1000000002,放課後等デイサービス,経管栄養,,\n"
        "1999999999,,吸引,,\n",
    )
    table, crep = facilities.capabilities_from_file(caps)
    out = facilities.join_capabilities(fac, table, crep)
    crep.check_balance()
    assert crep.rows_read == 3 and crep.rows_accepted == 2
    assert "matches no imported facility" in crep.rejections[0].reason
    f = out.set_index("facility_id")
    assert f.loc["1000000001-short_stay_medical", "service"] == "short_stay_medical"
    assert f.loc["1000000001-short_stay_medical", "accepts"] == ["ventilator", "tracheostomy"]
    assert f.loc["1000000001-short_stay_medical", "capacity"] == 4  # from WAM 定員
    assert f.loc["1000000002-after_school_day", "accepts"] == ["tube_feeding"]
    assert f.loc["1000000002-child_development", "accepts"] is None  # service-specific row
    assert list(out.index) == list(fac.index)


# --------------------------------------------------------------------------------------------
# hazards


def _fc(features, path):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _sq(x, y, d=0.01, close=True):
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]]
    return ring + [[x, y]] if close else ring


def _feature(props, ring):
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_a31_ranks_map_to_levels_and_bad_codes_are_rejected(tmp_path):
    feats = [_feature({"A31a_205": c}, _sq(140 + i * 0.02, 36)) for i, c in enumerate([1, 3, 6, 9])]
    hz, rep = hazards.hazards_from_file(_fc(feats, tmp_path / "a31.geojson"))
    assert rep.fmt == "a31"
    assert list(hz["level"]) == [1, 3, 6]
    assert list(hz["depth_m"]) == [0.0, 3.0, 20.0]
    assert list(hz["label"]) == ["0-0.5m", "3.0-5.0m", "20.0m-"]
    assert rep.rejections[0].row == 4 and rep.rejections[0].field == "A31a_205"
    rep.check_balance()
    workspace.check("hazards", hz)


def test_a33_a40_layouts_and_unclosed_ring_repaired(tmp_path):
    a33 = [
        _feature({"A33_001": 1, "A33_002": 1}, _sq(140, 36)),
        _feature({"A33_001": 2, "A33_002": 2}, _sq(140.02, 36, close=False)),
        _feature({"A33_001": 3, "A33_002": 4}, _sq(140.04, 36)),
    ]
    hz, rep = hazards.hazards_from_file(_fc(a33, tmp_path / "a33.geojson"))
    assert list(hz["level"]) == [1, 2, 2] and set(hz["hazard_type"]) == {"landslide"}
    assert rep.rows_repaired == 1 and rep.repairs[0].row == 2 and rep.rows_accepted == 3
    assert hz.geometry.iloc[1].is_valid and hz.geometry.iloc[1].area == pytest.approx(1e-4)
    a40 = [
        _feature({"A40_003": t}, _sq(140 + i * 0.02, 36))
        for i, t in enumerate(["0.3m以上0.5m未満", "1m以上2m未満", "20m以上", "不明"])
    ]
    hz, rep = hazards.hazards_from_file(_fc(a40, tmp_path / "a40.geojson"))
    assert list(hz["level"]) == [2, 4, 10] and list(hz["depth_m"]) == [0.3, 1.0, 20.0]
    assert rep.rows_rejected == 1 and "depth band" in rep.rejections[0].reason


def test_unknown_hazard_layout_is_a_file_error(tmp_path):
    hz, rep = hazards.hazards_from_file(
        _fc([_feature({"x": 1}, _sq(140, 36))], tmp_path / "x.geojson")
    )
    assert rep.failed and "--hazard-layout" in rep.errors[0] and len(hz) == 0


# --------------------------------------------------------------------------------------------
# children


def test_register_cp932_japanese_labels_addresses_and_unresolved(tmp_path, munis, points):
    text = (
        "管理番号,生年月日,年齢,医療的ケア,緯度,経度,住所,移動,個別避難計画,確認日,氏名\n"
        "K1,,4,人工呼吸器、吸引,36.05,140.05,,車いす,済,令和6年4月1日,①山田\n"
        "K2,,10,tube_feeding;oxygen,,,試験県乙市本町２丁目５,寝たきり,未,2024/5/1,\n"
        "K3,,2,導尿,,,乙市存在しない町1-1,,,,\n"
        "K4,2020-06-01,,胃ろう,36.05,140.25,,,,,\n"
        "K5,,3,翼,36.05,140.05,,,,,\n"
        "K1,,5,吸引,36.05,140.05,,,,,\n"
        "K7,,30,吸引,36.05,140.05,,,,,\n"
    )
    path = _csv(tmp_path / "台帳.csv", text, "cp932")
    import datetime as dt

    kids, rep = children.children_from_register(
        path, municipalities=munis, address_points=points, as_of=dt.date(2025, 4, 1)
    )
    rep.check_balance()
    assert rep.rows_read == 7 and rep.rows_accepted == 3
    k = kids.set_index("child_id")
    assert k.loc["K1", "care"] == ["ventilator", "suction"]
    assert k.loc["K1", "mobility"] == "wheelchair" and bool(k.loc["K1", "has_evac_plan"])
    assert k.loc["K1", "last_verified"] == "2024-04-01"
    assert k.loc["K1", "氏名"] == "①山田"  # names stay in the workspace
    assert k.loc["K2", "geometry"].equals(Point(140.14, 36.04))
    assert k.loc["K2", "municipality_code"] == "99102"
    assert k.loc["K4", "age"] == 4  # from 生年月日 at 2025-04-01
    unresolved = rep.tables["children_unresolved"]
    assert list(unresolved["child_id"]) == ["K3"]
    assert "乙市 found but no 町丁目" in unresolved["reason"].iloc[0]
    reasons = {r.row: r.reason for r in rep.rejections}
    assert "address not resolved" in reasons[4]
    assert "unknown care ['翼']" in reasons[6]
    assert "duplicate id" in reasons[7]
    assert "expected 0-25" in reasons[8]
    workspace.check("children", kids)


def test_geocoder_normalises_chome_numbers_and_dashes(points):
    assert addresses.kanji_number(21) == "二十一"
    hit = addresses.geocode_one("試験県乙市本町2ー3", points)
    assert hit["town"] == "本町二丁目"
    hit = addresses.geocode_one("乙市本町5-1", points)  # no 五丁目: falls back to 本町
    assert hit["town"] == "本町"
    assert addresses.geocode_one("甲市本町1", points)["reason"].startswith("no municipality")


# --------------------------------------------------------------------------------------------
# shelters


def test_gsi_flags_welfare_and_linking(tmp_path, munis):
    def pt(props, x):
        return {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "Point", "coordinates": [x, 36.05]},
        }

    sites = _fc(
        [
            pt(
                {
                    "共通ID": "E9910100001201",
                    "施設・場所名": "甲小",
                    "住所": "試験県甲市1",
                    "洪水": "1",
                    "崖崩れ、土石流及び地滑り": "1",
                    "地震": "1",
                    "津波": "",
                    "団体コード": "991015",
                },
                140.05,
            ),
        ],
        tmp_path / "sites.geojson",
    )
    halls = _fc(
        [
            pt(
                {
                    "共通ID": "E9910100001112",
                    "施設・場所名": "甲小",
                    "住所": "試験県甲市1",
                    "指定緊急避難場所との住所同一": "1",
                    "受入対象者": "",
                    "団体コード": "991015",
                },
                140.05,
            ),
            pt(
                {
                    "共通ID": "E9910200002112",
                    "施設・場所名": "乙支援学校",
                    "住所": "試験県乙市2",
                    "指定緊急避難場所との住所同一": "",
                    "受入対象者": "要配慮者",
                    "団体コード": "991020",
                },
                140.15,
            ),
            pt(
                {
                    "共通ID": "E9910300003112",
                    "施設・場所名": "ずれ",
                    "住所": "試験県乙市3",
                    "指定緊急避難場所との住所同一": "",
                    "受入対象者": "",
                    "団体コード": "991020",
                },
                140.25,
            ),
        ],
        tmp_path / "halls.geojson",
    )
    a, ra = shelters.shelters_from_file(sites, municipalities=munis)
    b, rb = shelters.shelters_from_file(halls, municipalities=munis)
    assert a.loc[0, "hazards_ok"] == ["flood", "landslide", "earthquake"]
    assert rb.rows_rejected == 1 and "outside 乙市" in rb.rejections[0].reason
    out = shelters.combine([a, b], [ra, rb]).set_index("shelter_id")
    assert out.loc["E9910100001112", "kind"] == "designated_shelter"
    assert out.loc["E9910100001112", "hazards_ok"] == ["flood", "landslide", "earthquake"]
    assert out.loc["E9910100001112", "hazards_from"] == "E9910100001201"
    assert out.loc["E9910200002112", "kind"] == "welfare_shelter"
    assert out.loc["E9910200002112", "hazards_ok"] == []
    workspace.check("shelters", out.reset_index())


def test_hazard_list_keeps_multiword_labels_whole():
    assert shelters.hazards_from_text("洪水・崖崩れ、土石流及び地滑り・地震・内水氾濫") == (
        ["flood", "landslide", "earthquake", "inland_flood"],
        [],
    )
    assert shelters.hazards_from_text("洪水・落雷") == (["flood"], ["落雷"])


# --------------------------------------------------------------------------------------------
# places and values


def test_points_outside_japan_and_swapped_coordinates():
    assert places.coordinate_problem(35.7, 139.4) is None
    assert "outside Japan" in places.coordinate_problem(53.41291, -8.24389)
    assert "swapped" in places.coordinate_problem(139.4, 35.7)


def test_municipality_from_address_skips_gun_and_island_names():
    names = {"奥多摩町": ("1",), "八丈町": ("2",), "府中市": ("3",)}
    assert places.municipality_from_address("東京都西多摩郡奥多摩町氷川", names)[1] == "奥多摩町"
    assert places.municipality_from_address("東京都八丈島八丈町", names)[1] == "八丈町"
    assert places.municipality_from_address("東京都府中市緑町", names)[0] == ("3",)


def test_value_parsers():
    assert columns.parse_bool("○") is True and columns.parse_bool("無") is False
    assert columns.parse_date("R6.4.1") == "2024-04-01"
    assert columns.parse_int("３歳") == 3
    with pytest.raises(ValueError):
        columns.parse_int("2.5")


# --------------------------------------------------------------------------------------------
# region import and CLI


def test_failed_import_leaves_workspace_unchanged(tmp_path, munis):
    ws = tmp_path / "w.gpkg"
    workspace.write_layers(ws, {"municipalities": munis[["code", "name", "pref", "geometry"]]})
    before = ws.read_bytes()
    bad = _csv(tmp_path / "areas.csv", "市区町村コード,圏域\n99101,北\n")  # 乙市, 丙町 missing
    ok = _csv(tmp_path / "f.csv", GENERIC.splitlines()[0] + "\n" + GENERIC.splitlines()[2] + "\n")
    result = region.import_region(
        ws, area_paths=[bad], facility_paths=[ok], facility_formats=["generic"]
    )
    assert result.failed
    assert ws.read_bytes() == before
    result = region.import_region(ws, facility_paths=[ok], facility_formats=["generic"])
    assert not result.failed
    got = workspace.read(ws, "facilities")
    assert list(got["facility_id"]) == ["F2"] and got.loc[0, "municipality_code"] == "99102"
    summary = workspace.read(ws, "import_summary")
    assert list(summary["rows_read"].astype(int)) == [1]


def test_cli_validate_and_import_exit_codes(tmp_path, munis, capsys):
    ws = tmp_path / "w.gpkg"
    workspace.write_layers(ws, {"municipalities": munis[["code", "name", "pref", "geometry"]]})
    good = _csv(tmp_path / "a.csv", "市区町村コード,圏域\n99101,北\n99102,北\n991031,南\n")
    assert cli.main(["validate", str(good), "--kind", "areas", "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "3 rows read, 3 accepted, 0 repaired, 0 rejected" in out
    bad = _csv(tmp_path / "b.csv", "市区町村コード,圏域\n99101,北\n99102,北\n991032,南\n")
    assert cli.main(["validate", str(bad), "--kind", "areas", "--workspace", str(ws)]) == 2
    out = capsys.readouterr().out
    assert "check digit is 2" in out and "丙町 (99103)" in out
    u16 = tmp_path / "kids.csv"
    u16.write_bytes("管理番号,年齢,医療的ケア,緯度,経度\nA,3,吸引,36.05,140.05\n".encode("utf-16"))
    before = ws.read_bytes()
    code = cli.main(
        [
            "import",
            "--workspace",
            str(ws),
            "--children",
            str(u16),
            "--report",
            str(tmp_path / "r.csv"),
        ]
    )
    assert code == 2 and ws.read_bytes() == before
    out = capsys.readouterr().out
    assert "UTF-8 or CP932" in out and "left unchanged" in out
    rec = gpd.pd.read_csv(tmp_path / "r.csv")
    assert list(rec["status"]) == ["error"]


def test_merged_highway_text_does_not_depend_on_hash_order():
    import networkx as nx

    from geo import roads as georoads

    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=139.0, y=35.0)
    G.add_node(2, x=139.001, y=35.0)
    G.add_edge(1, 2, highway=["unclassified", "residential"], length=90.0, speed_kph=30.0)
    G.add_edge(2, 1, highway={"unclassified", "residential"}, length=90.0, speed_kph=30.0)
    G.add_edge(1, 2, highway="residential", length=90.0, speed_kph=30.0)
    for _, _, d in G.edges(data=True):
        d["travel_time"] = 10.8
    _, edges = georoads.layers_from_graph(G)
    assert edges["highway"].tolist() == [
        "residential;unclassified",
        "residential",
        "residential;unclassified",
    ]
