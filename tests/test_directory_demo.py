"""The demo's directory places and their built-in situations (seed 42), scenarios 5, 6, 10, 11."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis import context, directory, nearby
from geo import codes, demo_places, workspace

SIT = demo_places.SITUATIONS
MONDAY_10 = dt.datetime(2025, 4, 7, 10, 0)
SATURDAY_10 = dt.datetime(2025, 4, 5, 10, 0)
SUNDAY_10 = dt.datetime(2025, 4, 6, 10, 0)


@pytest.fixture(scope="module")
def ctx(demo_path):
    return context.load(demo_path)


def _town_point(ctx, code):
    """A point of a municipality: its consultation window (on a road node)."""
    fac = ctx.facilities
    g = fac.loc[fac["facility_id"] == f"DP-MW-{code}", "geometry"].iloc[0]
    return g.y, g.x


def test_demo_has_every_kind_and_stored_capabilities(demo_path, ctx):
    fac = ctx.facilities
    for cat in ("place", "contact", "power"):
        assert set(codes.service_codes(cat)) <= set(fac["service"]), cat
    long = workspace.read(demo_path, "facility_capabilities")
    assert workspace.validate("facility_capabilities", long) == []
    assert set(long["facility_id"]) <= set(fac["facility_id"])
    mine = long[long["source"] == demo_places.SOURCE]
    assert len(mine) > 100 and (mine["source_date"] == demo_places.SOURCE_DATE).all()
    # unknown stays unknown: some facilities have no nurse value at all, none is guessed
    life = fac[fac["service"] == "life_care"]["facility_id"]
    nurse = mine[mine["capability"] == "nurse_on_site"]
    assert set(life) - set(nurse["facility_id"])  # at least one life_care place is unknown
    assert set(nurse["value"]) == {"true", "false"}


def test_area_whose_only_life_care_has_no_nurse(ctx):
    area, fid = SIT["life_care_without_nurse"]
    here = directory.directory(ctx, kinds=["life_care"], area_id=area)
    assert here["facility_id"].tolist() == [fid]
    row = here.iloc[0]
    assert not row["nurse_on_site"] and row["transport"] and row["bathing"] is pd.NA
    with_nurse = directory.directory(ctx, kinds=["life_care"], area_id=area, needs="nurse_on_site")
    assert with_nurse.empty
    # scenario 14: 生活介護 with nurse, transport and bathing elsewhere are listed, with basis
    all_three = directory.directory(
        ctx, kinds=["life_care"], needs=["nurse_on_site", "transport", "bathing"]
    )
    assert fid not in set(all_three["facility_id"])
    assert set(all_three["basis"]) <= {"confirmed", "possible"}


def test_town_shares_its_coordinator_with_five_others(ctx):
    town, fid, n_others = SIT["shared_coordinator"]
    per_muni, per_area = directory.placements(ctx, area_kind="障害保健福祉圏域")
    m = per_muni.set_index("municipality_code")
    assert m.loc[town, "n_coordinators"] == 1 and m.loc[town, "shared_with"] == n_others
    a = per_area.set_index("area_id")
    assert a.loc["K05", "placements"] == 1 and a.loc["K05", "municipalities"] == 6
    assert a.loc["K01", "placements"] == 1 and a.loc["K01", "municipalities"] == 5  # one city
    assert a.loc["K04", "uncovered"] == "ひがしはま町"
    lat, lon = _town_point(ctx, town)
    w = directory.who_covers(ctx, lat=lat, lon=lon, when=MONDAY_10)
    coord = w[w["level"] == "area"]
    assert coord["facility_id"].tolist() == [fid] and coord["covers_n"].iloc[0] == 6


def test_centre_open_weekdays_only(ctx):
    lat, lon = _town_point(ctx, "99401")
    centre = SIT["weekdays_only_centre"]
    for when, expected in ((MONDAY_10, True), (SATURDAY_10, False), (SUNDAY_10, False)):
        w = directory.who_covers(ctx, lat=lat, lon=lon, when=when)
        row = w[w["level"] == "prefecture"]
        assert row["facility_id"].tolist() == [centre]
        assert row["open_now"].tolist() == [expected], when
    assert (
        directory.who_covers(ctx, lat=lat, lon=lon, when=MONDAY_10, holiday=True)[
            "open_now"
        ].tolist()[-1]
        is False
    )
    assert row["hours"].iloc[0] == "平日 09:00-17:00／土曜 休／日祝 休"


def test_who_covers_names_the_gap_of_an_uncovered_town(ctx):
    lat, lon = _town_point(ctx, SIT["uncovered_town"])
    w = directory.who_covers(ctx, lat=lat, lon=lon, when=MONDAY_10)
    assert w.attrs["municipality_code"] == SIT["uncovered_town"]
    assert w["level"].tolist() == ["municipality", "area", "prefecture"]
    assert w["facility_id"].iloc[0] == "DP-MW-99301" and w["facility_id"].iloc[1] is None
    assert np.isfinite(w["minutes"].iloc[0]) and w["minutes"].iloc[0] < 5


def test_scenario5_discharge_with_capability_needs(ctx):
    lat, lon = _town_point(ctx, "99101")
    r = nearby.nearby(
        ctx,
        lat=lat,
        lon=lon,
        service=["visiting_nurse", "short_stay_medical", "child_development"],
        care=["tracheostomy", "suction"],
        age=0,
        minutes=30,
        needs={"visiting_nurse": ["pediatric_experience"], "short_stay_medical": ["accepts_age0"]},
    )
    assert (r["minutes"] <= 30).all() and len(r)
    status = dict(zip(ctx.facilities["facility_id"], directory.need_status(ctx, "accepts_age0")))
    ss = r[r["service"] == "short_stay_medical"]
    assert all(status[f] != "no" for f in ss["facility_id"])
    vn = r[r["service"] == "visiting_nurse"]
    ped = dict(
        zip(ctx.facilities["facility_id"], directory.need_status(ctx, "pediatric_experience"))
    )
    assert all(ped[f] != "no" for f in vn["facility_id"])
    assert (vn["basis"][[ped[f] == "possible" for f in vn["facility_id"]]] == "possible").all()
    plain = nearby.nearby(ctx, lat=lat, lon=lon, service="visiting_nurse", age=0, minutes=30)
    assert len(plain) > len(vn)  # the need removed the known "no" stations


def test_scenario6_relocation_compares_nursery_and_school(ctx):
    a, b = _town_point(ctx, "99101"), _town_point(ctx, "99401")
    t = nearby.compare(
        ctx,
        {"A": a, "B": b},
        services=["short_stay_medical", "visiting_nurse", "nursery_medical", "special_school"],
        needs={"nursery_medical": ["nurse_on_site"]},
    )
    assert (
        t.loc["医療的ケア児受入れ保育所・幼稚園: 最短分", "A"]
        < t.loc["医療的ケア児受入れ保育所・幼稚園: 最短分", "B"]
    )
    assert t.loc["特別支援学校: 最短分", "A"] < t.loc["特別支援学校: 最短分", "B"]


def test_default_services_leave_places_out(ctx):
    r = nearby.nearby(ctx, lat=_town_point(ctx, "99101")[0], lon=_town_point(ctx, "99101")[1])
    assert set(r["service"]) <= set(codes.service_codes("service"))
