"""Resource directory on a hand-made world: capabilities, needs, who covers, placements.

The world is tests/analysis_world.py (3x3 grid, 5 min per edge, west town 99001 = column 0,
east city 99002 = columns 1-2) plus these places::

    N1 @4 nursery_medical (99001)     nurse yes, open weekdays 08:00-18:00, Saturday closed
    N2 @9 nursery_medical (99002)     nurse unknown
    S1 @6 special_school (99002)
    L1 @5 life_care (99002)           nurse no, transport yes, bathing yes
    L2 @7 life_care (99001)           nurse yes, transport yes, bathing unknown
    W0 @7 municipal_window (99001)    weekdays 08:30-17:15, Saturday and Sunday closed
    W2 @2 municipal_window (99002)    hours unknown
    C1 @5 area_coordinator            covers 99001 and 99002 (place_coverage): one placement
    P1 @3 support_centre              no coverage rows: the whole prefecture; Mon-Fri 9-17
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from analysis_world import _pts, node_xy, world

from analysis import context, directory, nearby
from geo import codes

MONDAY_10 = dt.datetime(2025, 4, 7, 10, 0)
SATURDAY_10 = dt.datetime(2025, 4, 5, 10, 0)
MONDAY_20 = dt.datetime(2025, 4, 7, 20, 0)

PLACES = [
    ("N1", "保育園A", "nursery_medical", 4, "99001"),
    ("N2", "保育園B", "nursery_medical", 9, "99002"),
    ("S1", "特別支援学校", "special_school", 6, "99002"),
    ("L1", "生活介護1", "life_care", 5, "99002"),
    ("L2", "生活介護2", "life_care", 7, "99001"),
    ("W0", "西町 障害福祉課", "municipal_window", 7, "99001"),
    ("W2", "東市 障害福祉課", "municipal_window", 2, "99002"),
    ("C1", "圏域コーディネーター", "area_coordinator", 5, "99002"),
    ("P1", "支援センター", "support_centre", 3, "99002"),
]

CAPS = [
    ("N1", "nurse_on_site", "true"),
    ("N1", "hours_weekday", "08:00-18:00"),
    ("N1", "hours_saturday", "closed"),
    ("L1", "nurse_on_site", "false"),
    ("L1", "transport", "true"),
    ("L1", "bathing", "true"),
    ("L2", "nurse_on_site", "true"),
    ("L2", "transport", "true"),
    ("W0", "hours_weekday", "08:30-17:15"),
    ("W0", "hours_saturday", "closed"),
    ("W0", "hours_sunday_holiday", "closed"),
    ("P1", "hours_weekday", "09:00-17:00"),
    ("P1", "hours_saturday", "closed"),
    ("P1", "hours_sunday_holiday", "closed"),
    ("F1", "accepts_age0", "true"),
    ("F2", "accepts_age0", "false"),
    ("V1", "pediatric_experience", "true"),
]


def directory_world():
    w = world()
    fac = w["facilities"]
    extra = gpd.GeoDataFrame(
        {
            "facility_id": [p[0] for p in PLACES],
            "name": [p[1] for p in PLACES],
            "service": [p[2] for p in PLACES],
            "capacity": pd.array([None] * len(PLACES), dtype="Int64"),
            "accepts": [None] * len(PLACES),
            "age_min": pd.array([None] * len(PLACES), dtype="Int64"),
            "age_max": pd.array([None] * len(PLACES), dtype="Int64"),
            "has_power": pd.array([None] * len(PLACES), dtype="boolean"),
            "municipality_code": [p[4] for p in PLACES],
            "source": "test",
            "source_date": "2025-04-01",
        },
        geometry=_pts([p[3] for p in PLACES]),
        crs="EPSG:4326",
    )
    w["facilities"] = gpd.GeoDataFrame(
        pd.concat([fac, extra], ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    return w


@pytest.fixture(scope="module")
def ctx():
    c = context.from_layers(directory_world())
    c.layers["facility_capabilities"] = pd.DataFrame(
        [(f, k, v, "survey.csv", "2025-04-01") for f, k, v in CAPS],
        columns=["facility_id", "capability", "value", "source", "source_date"],
    )
    c.layers["place_coverage"] = pd.DataFrame(
        {"facility_id": ["C1", "C1"], "municipality_code": ["99001", "99002"]}
    )
    return c


def _ids(frame):
    return frame["facility_id"].tolist()


def test_capability_table_keeps_unknown_unknown(ctx):
    w = directory.capability_table(ctx)
    by_id = w.set_axis(ctx.facilities["facility_id"])
    l1 = by_id.loc["L1", "nurse_on_site"]
    assert pd.notna(l1) and not l1  # a known "no"
    assert pd.isna(by_id.loc["N2", "nurse_on_site"])  # no row: unknown, not "no"
    assert by_id.loc["N1", "hours_saturday"] == "closed"
    assert by_id.loc["N2", "hours_saturday"] is None


def test_need_status_confirmed_possible_no(ctx):
    fac = ctx.facilities
    status = dict(zip(fac["facility_id"], directory.need_status(ctx, ["nurse_on_site"])))
    assert status["N1"] == "confirmed"
    assert status["N2"] == "possible"
    assert status["L1"] == "no"
    both = dict(zip(fac["facility_id"], directory.need_status(ctx, "nurse_on_site,transport")))
    assert both["L2"] == "confirmed" and both["L1"] == "no"
    with pytest.raises(ValueError, match="unknown need"):
        directory.need_status(ctx, ["wings"])


def test_directory_filters_by_kind_need_area_and_day(ctx):
    life = directory.directory(ctx, kinds=["life_care"], needs=["nurse_on_site", "transport"])
    assert _ids(life) == ["L2"]  # L1 has no nurse: excluded, not hidden as unknown
    both = directory.directory(ctx, kinds="life_care", needs=["transport", "bathing"])
    assert dict(zip(both.facility_id, both.basis)) == {"L1": "confirmed", "L2": "possible"}
    sure = directory.directory(
        ctx, kinds="life_care", needs=["transport", "bathing"], include_possible=False
    )
    assert _ids(sure) == ["L1"]
    west = directory.directory(ctx, area_id="W", categories=["place"])
    assert _ids(west) == ["N1"]
    sat = directory.directory(ctx, kinds=["nursery_medical"], open_on="saturday")
    assert dict(zip(sat.facility_id, sat.basis)) == {"N2": "possible"}  # N1 closed Saturdays
    contacts = directory.directory(ctx, categories="contact")
    assert set(contacts["service"]) == {"municipal_window", "area_coordinator", "support_centre"}
    assert contacts.set_index("facility_id").loc["C1", "covers"] == "西町、東市"
    with pytest.raises(ValueError, match="unknown area_id"):
        directory.directory(ctx, area_id="nowhere")


def test_directory_from_address_sorts_by_minutes(ctx):
    lon, lat = node_xy(1)
    d = directory.directory(ctx, categories=["place"], lat=lat, lon=lon)
    # from node 1: N1 @4 5 min, S1 @6 15 min, N2 @9 20 min
    assert list(zip(d.facility_id, d.minutes)) == [("N1", 5.0), ("S1", 15.0), ("N2", 20.0)]
    near = directory.directory(ctx, categories=["place"], lat=lat, lon=lon, minutes=15)
    assert _ids(near) == ["N1", "S1"]


def test_directory_care_and_age(ctx):
    d = directory.directory(ctx, kinds=["short_stay_medical"], care=["ventilator"], age=3)
    assert dict(zip(d.facility_id, d.basis)) == {"F1": "confirmed", "F2": "possible"}
    d20 = directory.directory(ctx, kinds=["short_stay_medical"], care=["ventilator"], age=20)
    assert _ids(d20) == ["F2"]  # F1 takes 0-18


def test_opening_hours():
    h = {"hours_weekday": "09:00-17:00", "hours_saturday": "closed"}
    assert directory.is_open(h, MONDAY_10) is True
    assert directory.is_open(h, MONDAY_20) is False
    assert directory.is_open(h, SATURDAY_10) is False
    assert directory.is_open(h, dt.datetime(2025, 4, 6, 10)) is None  # Sunday unknown
    assert directory.is_open(h, MONDAY_10, holiday=True) is None
    night = {"hours_weekday": "17:00-09:00"}
    assert directory.is_open(night, MONDAY_20) is True
    assert directory.is_open(night, MONDAY_10) is False
    aware = dt.datetime(2025, 4, 7, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
    assert directory.is_open(h, aware) is True
    assert directory.hours_text(h) == "平日 09:00-17:00／土曜 休／日祝 不明"


def test_who_covers_west_town(ctx):
    lon, lat = node_xy(1)
    w = directory.who_covers(ctx, lat=lat, lon=lon, when=MONDAY_10)
    assert w.attrs["municipality_code"] == "99001"
    assert w["level"].tolist() == ["municipality", "area", "prefecture"]
    assert _ids(w) == ["W0", "C1", "P1"]
    open_now = w["open_now"].tolist()
    assert open_now[0] is True and pd.isna(open_now[1]) and open_now[2] is True
    assert w.set_index("facility_id").loc["C1", "covers_n"] == 2
    assert w["minutes"].tolist() == [10.0, 10.0, 10.0]  # @7, @5, @3 from node 1
    sat = directory.who_covers(ctx, lat=lat, lon=lon, when=SATURDAY_10)
    assert sat["open_now"].tolist()[0] is False  # the window is closed on Saturdays


def test_who_covers_east_city_and_a_missing_level(ctx):
    lon, lat = node_xy(3)
    w = directory.who_covers(ctx, lat=lat, lon=lon, when=MONDAY_10)
    assert w.attrs["municipality_code"] == "99002"
    assert _ids(w) == ["W2", "C1", "P1"]
    assert pd.isna(w["open_now"].iloc[0])  # W2's hours are unknown: not "closed"
    c = context.from_layers(world())  # no contacts at all
    empty = directory.who_covers(c, lat=lat, lon=lon, when=MONDAY_10)
    assert empty["facility_id"].isna().all() and len(empty) == 3
    assert (empty["name"] == "（登録なし）").all()


def test_placements_count_a_shared_coordinator_once(ctx):
    per_muni, per_area = directory.placements(ctx)
    m = per_muni.set_index("municipality_code")
    assert m.loc["99001", "n_coordinators"] == 1 and m.loc["99001", "shared_with"] == 1
    a = per_area.set_index("area_id")
    assert a.loc["W", "placements"] == 1 and a.loc["E", "placements"] == 1
    # the prefecture-wide count: one coordinator, two municipalities
    assert per_muni["coordinators"].eq("圏域コーディネーター").all()


def test_nearby_filters_on_capabilities(ctx):
    lon, lat = node_xy(2)
    r = nearby.nearby(ctx, lat=lat, lon=lon, service="short_stay_medical", needs=["accepts_age0"])
    assert dict(zip(r.facility_id, r.basis)) == {"F1": "confirmed", "F3": "possible"}
    v = nearby.nearby(
        ctx,
        lat=lat,
        lon=lon,
        service="visiting_nurse",
        needs={"visiting_nurse": ["pediatric_experience"]},
    )
    assert _ids(v) == ["V1"] and v["basis"].tolist() == ["confirmed"]


def test_capabilities_kept_in_extra_are_read_and_stored_values_win():
    layers = directory_world()
    fac = layers["facilities"]
    fac["extra"] = None
    fac.loc[fac["facility_id"] == "N2", "extra"] = '{"看護師配置": "あり", "駐車場": "2"}'
    fac.loc[fac["facility_id"] == "N1", "extra"] = '{"看護師配置": "なし"}'
    c = context.from_layers(layers)
    c.layers["facility_capabilities"] = pd.DataFrame(
        [("N1", "nurse_on_site", "true", "survey.csv", "2025-04-01")],
        columns=["facility_id", "capability", "value", "source", "source_date"],
    )
    status = dict(zip(c.facilities["facility_id"], directory.need_status(c, ["nurse_on_site"])))
    assert status["N2"] == "confirmed"  # from the imported file's extra column
    assert status["N1"] == "confirmed"  # the stored survey value wins over the file's なし
    rows = directory.capability_sources(c, "N2")
    assert rows[["capability", "value", "source"]].values.tolist() == [
        ["nurse_on_site", "true", "test"]
    ]


def test_coverage_and_gaps_skip_directory_places(ctx):
    from analysis import coverage, gaps

    ca = coverage.child_access(ctx)
    assert set(ca["service"]) == {"short_stay_medical", "visiting_nurse", "life_care"}
    g = gaps.area_gaps(ctx, role="admin")
    assert set(g["service"]) <= {"short_stay_medical", "visiting_nurse", "life_care"}
    assert not set(g["service"]) & set(codes.service_codes(["place", "contact", "power"]))


def test_directory_refuses_unknown_kinds_days_and_categories(ctx):
    with pytest.raises(ValueError, match="unknown kind of place"):
        directory.directory(ctx, kinds=["spaceport"])
    with pytest.raises(ValueError, match="open_on"):
        directory.directory(ctx, open_on="friday")
    with pytest.raises(ValueError, match="Unknown service category"):
        directory.directory(ctx, categories=["shops"])
    with pytest.raises(ValueError, match="WGS84"):
        directory.who_covers(ctx, lat=135.0, lon=35.0)
