"""Subsidy what-if: the Kumamoto rules of seed 004 (lines 190-215), worked by hand.

Equipment: prefecture 3/4, grant capped at ¥2,500k without a vehicle, ¥7,500k with one.
Operating (medical short stay only, first year): ¥20k per helper-day at 10/10, capped ¥1,860k.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import subsidy
from geo.errors import ValidationError
from ikemap.cli import main
from ikemap.commands.subsidy import parse_yen

RULES_HEADER = ",".join(subsidy.RULE_COLUMNS)


@pytest.fixture(scope="module")
def rules():
    return subsidy.load_rules()


def _eq(rules, cost, *, vehicle=False, service="short_stay_medical"):
    r = subsidy.what_if(rules, service=service, equipment_cost_yen=cost, vehicle=vehicle)
    return int(r.loc["equipment", "subsidy_yen"])


def _op(rules, days, service="short_stay_medical", **kw):
    r = subsidy.what_if(rules, service=service, helper_days=days, **kw)
    return int(r.loc["operating", "subsidy_yen"])


def test_equipment_three_quarters_below_the_cap(rules):
    assert _eq(rules, 2_000_000) == 1_500_000  # 2,000k x 3/4


def test_equipment_cap_without_vehicle(rules):
    r = subsidy.what_if(rules, service="short_stay_medical", equipment_cost_yen=4_000_000)
    assert int(r.loc["equipment", "uncapped_yen"]) == 3_000_000
    assert int(r.loc["equipment", "subsidy_yen"]) == 2_500_000
    assert bool(r.loc["equipment", "capped"])
    assert int(r.loc["equipment", "provider_share_yen"]) == 1_500_000


def test_equipment_cap_with_vehicle(rules):
    assert _eq(rules, 12_000_000, vehicle=True) == 7_500_000  # 9,000k capped at 7,500k
    assert _eq(rules, 12_000_000, vehicle=False) == 2_500_000
    assert _eq(rules, 8_000_000, vehicle=True) == 6_000_000  # under the vehicle cap


def test_operating_per_helper_day_and_cap(rules):
    assert _op(rules, 50) == 1_000_000  # 50 x 20k
    assert _op(rules, 100) == 1_860_000  # 2,000k capped
    assert _op(rules, 92) == 1_840_000
    assert _op(rules, 93) == 1_860_000  # 93 x 20k = 1,860k: the cap is reached here
    r = subsidy.what_if(rules, service="short_stay_medical", helper_days=1)
    assert int(r.loc["operating", "cap_reached_at"]) == 93


def test_after_school_day_gets_equipment_only(rules):
    r = subsidy.what_if(
        rules, service="after_school_day", equipment_cost_yen=2_000_000, helper_days=50
    )
    assert int(r.loc["equipment", "subsidy_yen"]) == 1_500_000
    assert not bool(r.loc["operating", "eligible"])
    assert r.loc["operating", "reason"] == "service_not_eligible"
    assert int(r.loc["operating", "subsidy_yen"]) == 0
    assert r.attrs["total_yen"] == 1_500_000


def test_services_outside_the_programme_get_nothing(rules):
    r = subsidy.what_if(rules, service="visiting_nurse", equipment_cost_yen=2_000_000)
    assert r["subsidy_yen"].tolist() == [0, 0]
    assert set(r["reason"]) == {"service_not_eligible"}


def test_first_year_limit_and_new_acceptance(rules):
    assert _op(rules, 50, months_open=11) == 1_000_000
    assert _op(rules, 50, months_open=12) == 0
    r = subsidy.what_if(
        rules, service="short_stay_medical", equipment_cost_yen=2_000_000, new_acceptance=False
    )
    assert r.attrs["total_yen"] == 0
    assert set(r["reason"]) == {"not_new_acceptance"}


def test_combined_total(rules):
    r = subsidy.what_if(
        rules, service="short_stay_medical", equipment_cost_yen=4_000_000, helper_days=100
    )
    assert r.attrs["total_yen"] == 2_500_000 + 1_860_000


def test_for_sites_keeps_the_index(rules):
    sites = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"],
            "service": ["short_stay_medical", "after_school_day", "life_care"],
        },
        index=[10, 20, 30],
    )
    out = subsidy.for_sites(
        sites, rules, equipment_cost_yen=12_000_000, vehicle=True, helper_days=50
    )
    assert out.index.tolist() == [10, 20, 30]
    assert out["equipment_yen"].tolist() == [7_500_000, 7_500_000, 7_500_000]
    assert out["operating_yen"].tolist() == [1_000_000, 0, 0]
    assert out["subsidy_yen"].tolist() == [8_500_000, 7_500_000, 7_500_000]


def _write(tmp_path, lines, name="rules.csv"):
    p = tmp_path / name
    p.write_text("\n".join([RULES_HEADER, *lines]) + "\n", encoding="utf-8")
    return p


def test_another_prefecture_cost_base_cap_and_rounding(tmp_path):
    # A 補助基準額 read as a cost base: grant = min(cost, 3,000k) x 1/2, rounded down to 1,000 yen.
    p = _write(
        tmp_path,
        [
            "other_2025,equipment,備品,Equipment,life_care;after_school_day,1,2,cost,3000000,,,,,"
            "false,1000,test",
            "other_2025,operating,運営,Operating,life_care,2,3,subsidy,100000,,helper_day,"
            "10001,6,false,1000,test",
        ],
    )
    rules = subsidy.load_rules(p)
    r = subsidy.what_if(rules, service="life_care", equipment_cost_yen=5_000_000, helper_days=4)
    assert int(r.loc["equipment", "subsidy_yen"]) == 1_500_000  # min(5,000k, 3,000k) / 2
    # 4 x 10,001 x 2/3 = 26,669.33 -> 26,669 -> rounded down to 26,000
    assert int(r.loc["operating", "subsidy_yen"]) == 26_000
    r = subsidy.what_if(rules, service="life_care", equipment_cost_yen=1_234_567)
    assert int(r.loc["equipment", "subsidy_yen"]) == 617_000  # 617,283 rounded down
    assert int(r.loc["equipment", "subsidy_yen"]) % 1000 == 0


def test_bad_rules_report_every_problem(tmp_path):
    p = _write(
        tmp_path,
        [
            "x,equipment,備品,Eq,life_care;bogus_service,5,4,maybe,abc,,,,,perhaps,1,s",
            "x,operating,運営,Op,short_stay_medical,1,0,subsidy,100,,helper_day,,,true,1,s",
        ],
    )
    with pytest.raises(ValidationError) as e:
        subsidy.load_rules(p)
    text = str(e.value)
    for fragment in ("services", "rate_num", "cap_applies_to", "cap_yen", "new_acceptance_required",
                     "rate_den", "unit_amount_yen", "row 2", "row 3"):  # fmt: skip
        assert fragment in text
    missing = tmp_path / "short.csv"
    missing.write_text("programme,component\nx,y\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="rate_num"):
        subsidy.load_rules(missing)


def test_unknown_service_is_a_user_error(rules):
    with pytest.raises(ValueError, match="service_types"):
        subsidy.what_if(rules, service="karaoke")


def test_parse_yen():
    assert parse_yen("4,000k") == 4_000_000
    assert parse_yen("１２０００千円") == 12_000_000
    assert parse_yen("200万") == 2_000_000
    with pytest.raises(ValueError, match="not an amount"):
        parse_yen("two million")


def test_cli_single_site_and_sites_file(tmp_path, capsys):
    assert main(["subsidy", "--service", "short_stay_medical", "--equipment-cost", "4000k",
                 "--helper-days", "100"]) == 0  # fmt: skip
    assert "4,360,000" in capsys.readouterr().out
    sites = tmp_path / "sites.csv"
    pd.DataFrame({"site_id": ["s1", "s2"], "service": ["short_stay_medical", "after_school_day"]}
                 ).to_csv(sites, index=False)  # fmt: skip
    out = tmp_path / "sub.csv"
    code = main(["subsidy", "--sites", str(sites), "--equipment-cost", "2000000",
                 "--helper-days", "50", "--out", str(out)])  # fmt: skip
    assert code == 0
    got = pd.read_csv(out)
    assert got["subsidy_yen"].tolist() == [2_500_000, 1_500_000]
    assert main(["subsidy", "--service", "short_stay_medical", "--equipment-cost", "lots"]) == 2
    assert "not an amount" in capsys.readouterr().err


def test_rules_file_in_cp932_and_garbage(tmp_path):
    text = tmp_path / "x.csv"
    src = subsidy.DEFAULT_RULES.read_text(encoding="utf-8")
    text.write_bytes(src.encode("cp932"))
    assert subsidy.load_rules(text).loc["operating", "label_ja"] == "運営費助成（常時付き添い）"
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValidationError, match="UTF-8 or CP932"):
        subsidy.load_rules(junk)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError):
        subsidy.load_rules(empty)
