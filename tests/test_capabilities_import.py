"""Capability importer: JP/EN headers, values, provenance, unknown columns, real files."""

from __future__ import annotations

import pandas as pd
import pytest
from test_directory import directory_world

from geo import codes, workspace
from geo.importers import capabilities as caps
from geo.importers import reading
from geo.importers.report import ImportReport
from ikemap.cli import main

REQUIRED = {
    "nurse_on_site",
    "transport",
    "bathing",
    "pediatric_experience",
    "accepts_age0",
    "hours_weekday",
    "hours_saturday",
    "hours_sunday_holiday",
    "overnight",
    "emergency_acceptance",
    "generator",
    "ev_charging",
}


def test_capability_table_is_complete_and_labelled():
    table = codes.capabilities()
    assert set(table.index) >= REQUIRED
    assert set(table["type"]) <= {"bool", "int", "text", "hours"}
    assert table["label_ja"].map(lambda s: any("\u3040" <= c <= "\u9fff" for c in s)).all()


def test_new_kinds_are_service_types_with_categories():
    st = codes.service_types()
    assert set(st["category"]) == set(codes.CATEGORIES)
    for code in ("nursery_medical", "special_school", "medical_residential"):
        assert st.loc[code, "category"] == "place"
    for code in ("support_centre", "area_coordinator", "municipal_window"):
        assert st.loc[code, "category"] == "contact"
    assert st.loc["power_point", "category"] == "power"
    assert "nursery_medical" not in codes.analysed(st.index)
    assert codes.analysed(["life_care", "power_point"]) == ["life_care"]
    with pytest.raises(ValueError, match="Unknown service category"):
        codes.service_codes("shops")


@pytest.mark.parametrize(
    ("capability", "text", "expected"),
    [
        ("nurse_on_site", "あり", "true"),
        ("nurse_on_site", "○", "true"),
        ("nurse_on_site", "配置なし", "false"),
        ("transport", "なし", "false"),
        ("transport", "不明", None),
        ("bathing", "要相談", None),
        ("bathing", "", None),
        ("staff_nurses", "２名", "2"),
        ("hours_weekday", "9:00～17:00", "09:00-17:00"),
        ("hours_weekday", "8時30分～17時15分", "08:30-17:15"),
        ("hours_saturday", "休", "closed"),
        ("hours_saturday", "9:00-12:00, 13:00-15:00", "09:00-12:00,13:00-15:00"),
        ("hours_sunday_holiday", "24時間", "00:00-24:00"),
        ("closed_days", "日曜日、祝日", "日曜日、祝日"),
    ],
)
def test_values(capability, text, expected):
    assert caps.parse_value(capability, text) == expected


@pytest.mark.parametrize(
    ("capability", "text"),
    [("nurse_on_site", "たぶん"), ("hours_weekday", "朝から"), ("hours_weekday", "25:00-26:00")],
)
def test_unreadable_values_raise(capability, text):
    with pytest.raises(ValueError):
        caps.parse_value(capability, text)


def test_headers_map_japanese_english_and_wam_fields():
    m = caps.header_map(
        [
            "事業所番号",
            "事業所名",
            "看護職員の配置",
            "Transport",
            "入浴サービス",
            "小児の受入れ実績",
            "０歳児受入",
            "利用可能な時間帯（平日）",
            "利用可能な時間帯（日曜）",
            "利用可能な時間帯（祝日）",
            "定休日",
            "調査日",
            "担当市区町村",
            "駐車場台数",
        ]
    )
    assert m["capabilities"] == {
        "看護職員の配置": "nurse_on_site",
        "Transport": "transport",
        "入浴サービス": "bathing",
        "小児の受入れ実績": "pediatric_experience",
        "０歳児受入": "accepts_age0",
        "利用可能な時間帯（平日）": "hours_weekday",
        "利用可能な時間帯（日曜）": "hours_sunday_holiday",
        "利用可能な時間帯（祝日）": "hours_sunday_holiday",
        "定休日": "closed_days",
    }
    assert m["date"] == "調査日" and m["coverage"] == "担当市区町村"
    assert m["unknown"] == ["駐車場台数"]


def test_from_table_keeps_provenance_merges_sunday_holiday_and_reports():
    t = pd.DataFrame(
        {
            "事業所番号": ["A", "B", "C"],
            "看護師配置": ["あり", "たぶん", ""],
            "利用可能な時間帯（日曜）": ["休", "10:00-15:00", ""],
            "利用可能な時間帯（祝日）": ["休", "休", ""],
            "定休日": ["", "", "土曜日、日曜日、祝日"],
            "調査日": ["2025/4/1", "", "令和7年5月1日"],
            "駐車場": ["3", "", ""],
        }
    )
    rep = ImportReport(file="survey.csv", kind="facilities")
    long = caps.from_table(
        t, ids=t["事業所番号"], source="survey.csv", source_date="2024-10-01", report=rep
    )
    got = {(r.facility_id, r.capability): (r.value, r.source_date) for r in long.itertuples()}
    assert got[("A", "nurse_on_site")] == ("true", "2025-04-01")
    assert got[("A", "hours_sunday_holiday")] == ("closed", "2025-04-01")
    assert got[("B", "hours_sunday_holiday")] == ("10:00-15:00", "2024-10-01")  # open Sundays
    assert ("B", "nurse_on_site") not in got  # unreadable: unknown, never "no"
    assert got[("C", "hours_saturday")] == ("closed", "2025-05-01")  # from 定休日
    assert got[("C", "hours_sunday_holiday")] == ("closed", "2025-05-01")
    assert ("C", "hours_weekday") not in got
    assert ("C", "nurse_on_site") not in got
    assert set(long["source"]) == {"survey.csv"}
    text = " ".join(rep.warnings)
    assert "看護師配置" in text and "rows 3" in text  # B is spreadsheet row 3
    assert rep.tables["unknown_columns"] == ["駐車場"]


def test_wide_types_and_unknowns():
    long = pd.DataFrame(
        [
            ("F1", "nurse_on_site", "false", "s", None),
            ("F1", "staff_nurses", "2", "s", None),
            ("F2", "hours_weekday", "closed", "s", None),
        ],
        columns=caps.LONG_COLUMNS,
    )
    w = caps.wide(long, facility_ids=["F1", "F2", "F3"])
    assert w.loc["F1", "nurse_on_site"] == False  # noqa: E712 - a known "no"
    assert pd.isna(w.loc["F2", "nurse_on_site"]) and pd.isna(w.loc["F3", "nurse_on_site"])
    assert w["staff_nurses"].dtype == "Int64" and w.loc["F1", "staff_nurses"] == 2
    assert w.loc["F2", "hours_weekday"] == "closed" and w.loc["F3", "hours_weekday"] is None


def _write(path, frame, encoding="utf-8"):
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def test_sheet_joined_on_jigyosho_no_into_a_workspace(tmp_path):
    ws = tmp_path / "w.gpkg"
    layers = directory_world()
    workspace.write_layers(ws, {k: layers[k] for k in ("facilities", "municipalities", "areas",
                                                      "area_members")})  # fmt: skip
    workspace.write_layers(
        ws,
        {
            "facility_capabilities": pd.DataFrame(
                [
                    ("L1", "nurse_on_site", "false", "old.csv", "2024-01-01"),
                    ("L1", "transport", "true", "old.csv", "2024-01-01"),
                ],
                columns=caps.LONG_COLUMNS,
            ),  # fmt: skip
            "place_coverage": pd.DataFrame({"facility_id": ["C1"], "municipality_code": ["99002"]}),
        },
    )
    sheet = pd.DataFrame(
        {
            "事業所番号": ["L1", "C1", "0000000000", "W0"],
            "看護職員の配置": ["あり", "", "あり", ""],
            "入浴": ["○", "", "", ""],
            "担当市区町村": ["", "西町;東市", "", "どこか町"],
            "調査日": ["2025-06-01", "2025-06-01", "", ""],
        }
    )
    path = _write(tmp_path / "survey_cp932.csv", sheet, encoding="cp932")
    code = main(["capabilities", "-w", str(ws), str(path), "--report", str(tmp_path / "r.csv")])
    assert code == 0
    long = workspace.read(ws, "facility_capabilities")
    l1 = long[long["facility_id"] == "L1"].set_index("capability")
    assert l1.loc["nurse_on_site", "value"] == "true"  # the newer survey replaces "false"
    assert l1.loc["nurse_on_site", "source"] == "survey_cp932.csv"
    assert l1.loc["nurse_on_site", "source_date"] == "2025-06-01"
    assert l1.loc["bathing", "value"] == "true"
    assert l1.loc["transport", "source"] == "old.csv"  # not in the sheet: kept
    cov = workspace.read(ws, "place_coverage")
    assert sorted(cov[cov["facility_id"] == "C1"]["municipality_code"]) == ["99001", "99002"]
    rejected = pd.read_csv(tmp_path / "r.csv", dtype=str)
    assert set(rejected["row"]) == {"4", "5"}  # unknown number, unknown town name
    # a sheet without any capability column fails and leaves the workspace as it was
    before = workspace.read(ws, "facility_capabilities")
    bad = _write(tmp_path / "bad.csv", pd.DataFrame({"事業所番号": ["L1"], "駐車場": ["3"]}))
    assert main(["capabilities", "-w", str(ws), str(bad)]) == 2
    pd.testing.assert_frame_equal(workspace.read(ws, "facility_capabilities"), before)


def test_real_wam_file_all_capabilities_unknown(shared_data):
    path = shared_data / "facilities/group_homes/wam_kyodo_seikatsu_enjo_13_cp932.csv"
    rep = ImportReport(file=str(path), kind="facilities")
    table = reading.read_table(path, rep)
    m = caps.header_map(table.columns)
    assert set(m["capabilities"].values()) >= {
        "hours_weekday",
        "hours_saturday",
        "hours_sunday_holiday",
        "closed_days",
    }
    assert m["unknown"] == []  # every WAM column is read or knowingly left out
    long = caps.from_table(table, ids=table["事業所番号"], source="WAM", report=rep)
    # the real extract leaves hours and 定休日 empty: nothing is invented, nothing is "no"
    assert not long["capability"].isin(["hours_weekday", "nurse_on_site"]).any()
    assert set(long["capability"]) <= {"url", "fax"}
    assert len(long) > 0 and (long["source"] == "WAM").all()


def test_real_home_nursing_file_has_no_capability_columns(shared_data):
    path = shared_data / "facilities/home_nursing/houmon_kango_42.csv"
    rep = ImportReport(file=str(path), kind="facilities")
    table = reading.read_table(path, rep)
    m = caps.header_map(table.columns)
    assert m["capabilities"] == {} and m["unknown"] == []
    long = caps.from_table(table, ids=table["jigyosho_no"], source="介護", report=rep)
    assert long.empty  # pediatric experience stays unknown for every station


def test_facility_import_reports_capability_columns_and_keeps_them(tmp_path):
    from geo.importers import facilities

    path = _write(
        tmp_path / "places.csv",
        pd.DataFrame(
            {
                "事業所番号": ["N1", "N2"],
                "事業所名": ["保育園A", "保育園B"],
                "サービス種別": ["医療的ケア児受入れ保育所・幼稚園", "nursery_medical"],
                "緯度": ["35.0", "35.01"],
                "経度": ["139.0", "139.01"],
                "更新日": ["2025-04-01", "2025-04-01"],
                "看護師配置": ["あり", "たぶん"],
                "営業時間(平日)": ["7:30～18:30", ""],
                "駐車場": ["2", ""],
            }
        ),
    )
    fac, rep = facilities.facilities_from_file(path, fmt="generic")
    assert fac["service"].tolist() == ["nursery_medical", "nursery_medical"]
    text = " ".join(rep.warnings)
    assert "看護師配置 = 看護職員の配置" in text
    assert "看護師配置 could not be read (rows 3)" in text
    assert rep.tables["unknown_columns"] == ["駐車場"]
    long = caps.from_extra(fac)
    got = {(r.facility_id, r.capability): r.value for r in long.itertuples()}
    assert got == {("N1", "nurse_on_site"): "true", ("N1", "hours_weekday"): "07:30-18:30"}
    assert (
        set(long["source_date"]) == {"2025-04-01"} and long["source"].str.contains("generic").all()
    )


def test_sheet_joins_real_home_nursing_offices_on_jigyosho_no(shared_data, tmp_path):
    from geo.importers import facilities

    fac, rep = facilities.facilities_from_file(
        shared_data / "facilities/home_nursing/houmon_kango_42.csv", fmt="kaigo"
    )
    assert rep.rows_accepted > 150
    numbers = fac["jigyosho_no"].head(3).tolist()
    sheet = _write(
        tmp_path / "kids_ok.csv",
        pd.DataFrame(
            {
                "事業所番号": numbers,
                "小児の受入れ実績": ["あり", "なし", "不明"],
                "緊急時訪問": ["○", "", "×"],
            }
        ),
    )
    long, cov, rep2 = caps.capabilities_from_file(sheet, facilities=fac, source_date="2025-05-01")
    assert rep2.rows_rejected == 0 and cov.empty
    got = {(r.facility_id, r.capability): r.value for r in long.itertuples()}
    ids = [f"{n}-visiting_nurse" for n in numbers]
    assert got == {
        (ids[0], "pediatric_experience"): "true",
        (ids[0], "emergency_acceptance"): "true",
        (ids[1], "pediatric_experience"): "false",
        (ids[2], "emergency_acceptance"): "false",
    }  # 不明 stays unknown: no row for ids[2]'s pediatric experience
    assert set(long["source_date"]) == {"2025-05-01"}
