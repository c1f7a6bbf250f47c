"""A4 print views (ui.print_views): head, tables in the reader's language, legend, sources."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ui import print_views


def test_page_has_a4_css_head_legend_and_sources():
    html = print_views.page(
        "電話リスト",
        [("表", pd.DataFrame({"名前": ["A&B"], "分": [3.25]}))],
        region="デモ県",
        meta=[("圏域の種類", "障害保健福祉圏域"), ("しきい値", "60 分")],
        legend=["孤立: 説明"],
        sources=pd.DataFrame({"出典": ["WAM"], "時点": ["2024-04-01"]}),
        date=dt.date(2026, 1, 2),
    )
    assert "@page { size: A4" in html
    for text in ("電話リスト", "デモ県", "2026-01-02", "障害保健福祉圏域", "60 分", "孤立: 説明"):
        assert text in html
    assert "A&amp;B" in html and "A&B" not in html  # escaped
    assert '<td class="num">3.2</td>' in html or '<td class="num">3.3</td>' in html
    assert "WAM" in html and "2024-04-01" in html


def test_call_list_in_triage_order_with_labels_and_names():
    calls = pd.DataFrame(
        {
            "triage_rank": [2, 1],
            "child_id": ["D2", "D1"],
            "municipality_code": ["99101", "99401"],
            "care": [["tube_feeding"], ["ventilator", "suction"]],
            "power_dependent": [False, True],
            "isolated": [False, True],
        }
    )
    html = print_views.call_list(
        calls, disaster="洪水", municipalities={"99101": "デモ市中央区", "99401": "おくやま村"}
    )
    assert html.index("D1") < html.index("D2")
    assert "人工呼吸器、吸引" in html and "おくやま村" in html and "99401" not in html
    assert "ventilator" not in html and "True" not in html
    en = print_views.call_list(calls, disaster="Flood", lang="en")
    assert "Ventilator, Suction" in en and "Call list" in en and "Triage rank" in en


def test_gap_report_head_and_reasons():
    gaps = pd.DataFrame(
        {
            "area_name": ["西部山間圏域", "デモ市圏域"],
            "coverage_pct": [0.0, 100.0],
            "severity": [5, 1],
        }
    )
    flags = pd.DataFrame(
        {"rank": [1], "area_name": ["西部山間圏域"], "reasons": ["圏域内に事業所なし"]}
    )
    html = print_views.gap_report(
        gaps, flags=flags, area_kind="障害保健福祉圏域", service="short_stay_medical",
        threshold=60, region="デモ県",
    )  # fmt: skip
    for text in (
        "医療型短期入所",
        "障害保健福祉圏域",
        "60 分",
        "圏域内に事業所なし",
        "灰色",
        "デモ県",
    ):
        assert text in html
    assert html.index("優先度の高い不足") < html.index("圏域ごとの不足</h2>")


def test_nearby_and_child_sheets():
    r = pd.DataFrame(
        {
            "service": ["visiting_nurse", "short_stay_medical"],
            "name": ["A", "B"],
            "minutes": [12.0, 40.0],
            "basis": ["confirmed", "possible"],
            "accepts": [["suction"], None],
        }
    )
    html = print_views.nearby_sheet(
        r, query={"label": "デモ県デモ市中央区中央一丁目"}, exposure={"flood_level": 0}
    )
    assert "デモ県デモ市中央区中央一丁目" in html and "なし（区域外）" in html
    assert "受入未確認（要確認）" in html and "不明（要確認）" in html
    assert "訪問看護 30分" in html  # each service's threshold when no limit was given
    kid = pd.DataFrame({"child_id": ["D1"], "age": [4], "care": [["suction"]]})
    sheet = print_views.child_sheet(kid, access=r, evacuation=pd.DataFrame({"isolated": [True]}))
    assert "D1" in sheet and "吸引" in sheet and "はい" in sheet and "訪問看護" in sheet


def test_sources_table_counts_rows_per_source_and_date():
    fac = pd.DataFrame({"source": ["WAM", "WAM", "demo"], "source_date": ["2024", "2024", None]})
    t = print_views.sources_table({"facilities": fac, "areas": pd.DataFrame({"x": [1]})})
    assert t.values.tolist() == [["事業所", "WAM", "2024", 2], ["事業所", "demo", "—", 1]]
