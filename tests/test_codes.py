"""Code tables in data/: complete, labelled in Japanese, and the only source of codes."""

from __future__ import annotations

import pytest

from geo import codes

DESIGN_CARE = {
    "ventilator",
    "tracheostomy",
    "suction",
    "oxygen",
    "nasal_high_flow",
    "tube_feeding",
    "gastrostomy",
    "catheterization",
    "insulin",
    "central_venous",
    "dialysis",
}
DESIGN_SERVICES = {
    "short_stay_medical",
    "short_stay_welfare",
    "child_development",
    "after_school_day",
    "life_care",
    "daytime_care",
    "visiting_nurse",
    "home_medical",
    "consultation",
}


def _has_japanese(text):
    return any("\u3040" <= ch <= "\u9fff" for ch in text)


def test_care_types_cover_design_and_flag_power():
    care = codes.care_types()
    assert set(care.index) >= DESIGN_CARE
    assert care.loc["ventilator", "power_dependent"]
    assert not care.loc["catheterization", "power_dependent"]
    assert all(_has_japanese(label) for label in care["label_ja"])


def test_service_types_threshold_and_direction():
    svc = codes.service_types()
    assert set(svc.index) >= DESIGN_SERVICES
    assert svc.loc["visiting_nurse", "direction"] == "to_home"
    assert svc.loc["short_stay_medical", "direction"] == "to_facility"
    assert svc.loc["visiting_nurse", "threshold_min"] == 30
    assert svc.loc["short_stay_medical", "threshold_min"] == 60
    assert set(svc["direction"]) == {"to_facility", "to_home"}
    assert all(_has_japanese(label) for label in svc["label_ja"])


def test_hazard_levels_follow_national_layouts():
    lv = codes.hazard_levels()
    flood = lv[lv["hazard_type"] == "flood"]
    assert list(flood["level"]) == [1, 2, 3, 4, 5, 6]  # A31 depth ranks
    assert flood.loc[("flood", 3), "depth_min_m"] == 3.0
    slide = lv[lv["hazard_type"] == "landslide"]
    assert list(slide["label_ja"]) == ["土砂災害警戒区域", "土砂災害特別警戒区域"]  # A33
    assert len(lv[lv["hazard_type"] == "tsunami"]) >= 6  # A40 bands
    assert set(lv["hazard_type"]) <= codes.valid("hazard_types")


def test_road_speeds_cover_common_highways():
    speeds = codes.road_speeds()
    for hw in ("motorway", "trunk", "primary", "secondary", "tertiary", "residential"):
        assert speeds[hw] > 0
    assert speeds["motorway"] > speeds["primary"] > speeds["residential"]


def test_power_dependent_from_table():
    assert codes.power_dependent(["tube_feeding", "ventilator"])
    assert not codes.power_dependent(["catheterization"])
    assert not codes.power_dependent(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ventilator;suction", ["ventilator", "suction"]),
        ("人工呼吸器、吸引", ["人工呼吸器", "吸引"]),
        ("a, b", ["a", "b"]),
        ("", []),
        (None, None),
    ],
)
def test_split_list(text, expected):
    assert codes.split_list(text) == expected


def test_japanese_labels_map_to_codes():
    mapping = codes.label_to_code("care_types")
    assert mapping["人工呼吸器"] == "ventilator"
    assert mapping["suction"] == "suction"


def test_unknown_table():
    with pytest.raises(KeyError, match="Unknown code table 'cares'"):
        codes.table("cares")
