"""Consultation trends: hand-made logs whose counts are worked out by hand.

Kanagawa fixture (seed 000 lines 8306-8314, one branch, April 2023 - January 2024): 65
consultations; by channel phone 51, in person 7, LINE/e-mail 7; by topic respite 17, nursery 16
(the other 32 are discharge, welfare services, school ... -> other here); by requester family 18,
supporters 47. Miyagi fixture (000:7499-7506): nursery consultations peak in the application
season (October-November), 生活介護 consultations before graduation (December-February).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import consultations as cons
from geo import workspace
from geo.errors import ValidationError
from ikemap.cli import main

MUNIS = pd.DataFrame({"code": ["99001", "99002", "99003"], "name": ["一町", "二町", "三村"]})
AREAS = pd.DataFrame(
    {
        "area_id": ["N", "S", "M"],
        "name": ["北圏域", "南圏域", "全医療圏"],
        "kind": ["障害保健福祉圏域", "障害保健福祉圏域", "二次医療圏"],
    }
)
MEMBERS = pd.DataFrame(
    {
        "area_id": ["N", "N", "S", "M", "M", "M"],
        "kind": ["障害保健福祉圏域"] * 3 + ["二次医療圏"] * 3,
        "municipality_code": ["99001", "99002", "99003"] * 2,
    }
)


def _kanagawa_rows():
    """65 rows: topics 17/16/32, channels 51/7/7, requesters 18/47, months Apr 2023-Jan 2024."""
    topics = ["レスパイト"] * 17 + ["保育園・幼稚園の入園"] * 16 + ["退院調整"] * 32
    channels = ["電話"] * 51 + ["対面"] * 7 + ["LINE"] * 7
    requesters = ["親・親族"] * 18 + ["支援者"] * 47
    months = [f"2023-{m:02d}" for m in range(4, 13)] + ["2024-01"]
    rows = []
    for i in range(65):
        rows.append(
            {
                "相談日": f"{months[i % 10]}-{1 + i % 28:02d}",
                "市区町村": "一町" if i % 2 else "99002",
                "相談内容": topics[i],
                "相談方法": channels[(i * 7) % 65],  # a permutation of the 65 channels
                "相談元": requesters[(i * 11) % 65],
            }
        )
    return rows


def _write(tmp_path, rows, name="log.csv", encoding="utf-8"):
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False, encoding=encoding)
    return p


def _read(path):
    return cons.read_log(path, municipalities=MUNIS, areas=AREAS, area_members=MEMBERS)


def test_kanagawa_topic_channel_and_requester_counts(tmp_path):
    log, rep = _read(_write(tmp_path, _kanagawa_rows()))
    assert (rep.rows_read, rep.rows_kept, rep.rejected) == (65, 65, [])
    assert log["category"].value_counts().to_dict() == {"other": 32, "respite": 17, "nursery": 16}
    assert log["channel"].value_counts().to_dict() == {"phone": 51, "visit": 7, "message": 7}
    assert log["requester"].value_counts().to_dict() == {"supporter": 47, "family": 18}
    log = log.assign(
        area_id=cons.assign_areas(log, area_kind="障害保健福祉圏域", area_members=MEMBERS)
    )
    table = cons.counts(log, areas=AREAS[AREAS["kind"] == "障害保健福祉圏域"])
    assert len(table) == 2 * 10  # 2 areas x 10 months, empty months included
    n = table[table["area_id"] == "N"]
    assert n[["respite", "nursery", "other"]].sum().to_dict() == {
        "respite": 17,
        "nursery": 16,
        "other": 32,
    }
    assert table[table["area_id"] == "S"]["total"].sum() == 0
    by = cons.by_channel(log)
    assert by.loc["phone", "total"] == 51


def test_seasonality_of_miyagi(tmp_path):
    rows = []
    # nursery: 1 a month, plus 8 in October and 10 in November; 生活介護: 6 in Dec, 9 in Jan, 7 Feb
    for m in range(1, 13):
        rows.append({"date": f"2024-{m:02d}-10", "area": "北圏域", "category": "nursery"})
    rows += [{"date": "2024-10-20", "area": "N", "category": "保育所"}] * 8
    rows += [{"date": "2024-11-20", "area": "N", "category": "入園"}] * 10
    rows += [{"date": "2024-12-05", "area": "N", "category": "生活介護"}] * 6
    rows += [{"date": "2024-01-05", "area": "N", "category": "卒業後"}] * 9
    rows += [{"date": "2024-02-05", "area": "N", "category": "adult_life"}] * 7
    log, rep = _read(_write(tmp_path, rows))
    assert rep.rows_kept == 12 + 8 + 10 + 6 + 9 + 7
    monthly = cons.monthly(log).set_index("month")
    assert monthly["nursery"].idxmax() == "2024-11"
    assert monthly.loc["2024-10", "nursery"] == 9 and monthly.loc["2024-11", "nursery"] == 11
    assert monthly["adult_life"].to_dict() == {
        f"2024-{m:02d}": v for m, v in zip(range(1, 13), [9, 7] + [0] * 9 + [6], strict=True)
    }
    # an area given by name counts for its own kind only
    other = cons.assign_areas(log, area_kind="二次医療圏", area_members=MEMBERS)
    assert other.isna().all()


def test_personal_columns_refuse_the_file(tmp_path):
    rows = [{"日付": "2024-04-01", "氏名": "山田", "市区町村": "99001", "分類": "保育"}]
    with pytest.raises(ValidationError, match="氏名"):
        _read(_write(tmp_path, rows))
    rows = [{"date": "2024-04-01", "phone": "x", "municipality": "99001", "category": "保育"}]
    with pytest.raises(ValidationError, match="personal data"):
        _read(_write(tmp_path, rows, name="b.csv"))


def test_bad_rows_are_rejected_with_reasons(tmp_path):
    rows = [
        {"date": "2024-04-01", "municipality": "99001", "category": "保育", "channel": "電話"},
        {"date": "2024/4/31", "municipality": "99001", "category": "保育", "channel": "電話"},
        {"date": "2024-04-02", "municipality": "99009", "category": "保育", "channel": "電話"},
        {"date": "2024-04-03", "municipality": "99001", "category": "karaoke", "channel": "電話"},
        {"date": "2024-04-04", "municipality": "99001", "category": "保育", "channel": "伝書鳩"},
        {
            "date": "2024-04-05",
            "municipality": "99001",
            "category": "保育",
            "channel": "03-1234-5678",
        },  # noqa: E501
        {"date": "2024-04-06", "municipality": "99001", "category": "a@b.jp", "channel": "電話"},
        {"date": "2024-04-07", "municipality": "南圏域", "category": "災害", "channel": "メール"},
        {"date": "", "municipality": "99001", "category": "保育", "channel": "電話"},
    ]
    log, rep = _read(_write(tmp_path, rows))
    assert rep.rows_kept == 2
    assert log["area_id"].tolist()[1] == "S"  # an area name in the municipality column
    reasons = rep.frame().set_index("row")["reason"]
    assert reasons.index.tolist() == [3, 4, 5, 6, 7, 8, 10]
    assert "day is out of range" in reasons[3] or "date" in reasons[3].lower()
    assert "not a municipality" in reasons[4]
    assert "unknown category" in reasons[5]
    assert "unknown channel" in reasons[6]
    assert "phone number" in reasons[7] and "phone number" in reasons[8]
    assert "03-1234" not in str(rep.frame()["value"].tolist())  # never echoed


def test_missing_columns(tmp_path):
    with pytest.raises(ValidationError, match="municipality or area"):
        _read(_write(tmp_path, [{"date": "2024-04-01", "category": "保育"}]))


def test_cp932_log(tmp_path):
    rows = [{"相談日": "令和6年4月1日", "市町村": "二町", "分類": "学校", "経路": "来所"}]
    log, rep = _read(_write(tmp_path, rows, encoding="cp932"))
    assert log[["date", "municipality_code", "category", "channel"]].values.tolist() == [
        ["2024-04-01", "99002", "school", "visit"]
    ]


@pytest.fixture
def tiny_workspace(tmp_path):
    path = tmp_path / "tiny.gpkg"
    munis = gpd.GeoDataFrame(
        MUNIS.assign(pref="デモ県"),
        geometry=[box(143 + i, 31, 143.9 + i, 31.9) for i in range(3)],
        crs="EPSG:4326",
    )
    areas = gpd.GeoDataFrame(
        AREAS,
        geometry=[box(143, 31, 145, 32), box(145, 31, 146, 32), box(143, 31, 146, 32)],
        crs="EPSG:4326",
    )
    workspace.write_layers(path, {"municipalities": munis, "areas": areas, "area_members": MEMBERS})
    return path


def test_cli_import_store_and_gate(tiny_workspace, tmp_path, capsys):
    log = _write(tmp_path, _kanagawa_rows())
    out = tmp_path / "c.csv"
    chart = tmp_path / "c.html"
    args = ["consultations", "-w", str(tiny_workspace), "--log", str(log), "--out", str(out)]
    assert main([*args, "--chart", str(chart)]) == 0
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    for col in cons.count_columns():
        assert not any(v.isdigit() and 1 <= int(v) <= 9 for v in got[col]), col
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
    # importing the same file again replaces its rows: still 65 stored
    assert main(args) == 0
    stored = workspace.read(tiny_workspace, "consultations")
    assert len(stored) == 65
    assert not set(stored.columns) & {"相談元", "氏名"}
    # an admin sees the counts as they are, from the stored log
    out2 = tmp_path / "c2.csv"
    assert main(["consultations", "-w", str(tiny_workspace), "--out", str(out2),
                 "--role", "admin"]) == 0  # fmt: skip
    admin = pd.read_csv(out2)
    assert admin["respite"].sum() == 17 and admin["total"].sum() == 65
    capsys.readouterr()


def test_cli_without_log_and_with_personal_log(tiny_workspace, tmp_path, capsys):
    out = str(tmp_path / "c.csv")
    assert main(["consultations", "-w", str(tiny_workspace), "--out", out]) == 2
    assert "consultation log" in capsys.readouterr().err.replace("\n", " ")
    bad = _write(tmp_path, [{"日付": "2024-04-01", "電話番号": "x", "市区町村": "99001",
                             "分類": "保育"}])  # fmt: skip
    assert main(["consultations", "-w", str(tiny_workspace), "--log", str(bad), "--out", out]) == 2
    assert "personal data" in capsys.readouterr().err.replace("\n", " ")
    assert "consultations" not in workspace.layers(tiny_workspace)
