"""Every page of the app driven through streamlit's AppTest on the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo import workspace

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app(demo_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IKEMAP_WORKSPACE", str(demo_path))
    monkeypatch.delenv("IKEMAP_USERS", raising=False)
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _as(at, role):
    at.selectbox(key="ikemap_demo_role").set_value(role).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at):
    return " ".join(
        [h.value for h in at.header]
        + [s.value for s in at.subheader]
        + [m.value for m in at.markdown]
        + [c.value for c in at.caption]
    )


def test_overview_figures_and_language(app, demo_layers):
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["医療的ケア児"] == f"{len(demo_layers['children']):,}"
    assert metrics["事業所"] == f"{len(demo_layers['facilities']):,}"
    assert "地域の概要" in _texts(app)
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert "The region at a glance" in _texts(app)
    assert "Children" in {m.label for m in app.metric}


def test_planner_gap_table_per_service_and_threshold(app):
    app.switch_page("ui/pages/planner.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.selectbox(key="planner_service").set_value("short_stay_medical")
    app.number_input(key="planner_thr_short_stay_medical").set_value(45)
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    tables = [d.value for d in app.dataframe]
    gap = tables[0]
    assert "圏域" in " ".join(map(str, gap.columns)) or len(gap.columns) > 3
    assert len(gap) >= 4  # one row per 圏域 of the demo's first kind
    assert "不足の一覧" in _texts(app)


def test_planner_never_sees_child_rows(app):
    app.switch_page("ui/pages/disaster.py").run()
    assert not app.exception, [e.value for e in app.exception]
    for df in app.dataframe:
        assert "child_id" not in df.value.columns and "児のID" not in df.value.columns


def test_coordinator_latlon_search(app, demo_layers):
    _as(app, "coordinator")
    app.switch_page("ui/pages/coordinator.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.radio(key="coord_mode").set_value("latlon").run()
    fac = demo_layers["facilities"]
    pt = fac[fac["service"] == "visiting_nurse"].geometry.iloc[0]
    app.number_input(key="coord_lat").set_value(round(pt.y, 5))
    app.number_input(key="coord_lon").set_value(round(pt.x, 5))
    app.multiselect(key="coord_services").set_value(["visiting_nurse"])
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "結果" in _texts(app)
    table = app.dataframe[0].value
    assert len(table) >= 1 and "所要時間（分）" in table.columns
    assert set(table["受入の確認"]) <= {"受入確認済み", "受入未確認（要確認）"}


def test_coordinator_address_search_candidates_then_results(app):
    _as(app, "coordinator")
    app.switch_page("ui/pages/coordinator.py").run()
    app.text_input(key="coord_address").set_value("デモ市")
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("候補から選んでください" in w.value for w in app.warning)
    pick = app.radio(key="coord_pick_radio")
    assert len(pick.options) == 5  # the five wards of デモ市
    pick.set_value(1)
    next(b for b in app.button if b.label == "この場所で検索する").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("検索地点: デモ県デモ市北区" in s.value for s in app.success)
    assert "この住所を担当する" in _texts(app)  # who covers it (directory section)
    app.text_input(key="coord_address").set_value("どこにもない町1-1")
    app.button[0].click().run()
    assert any("見つかりません" in e.value for e in app.error)


def test_coordinator_compare_candidate_addresses(app, demo_layers):
    _as(app, "coordinator")
    app.switch_page("ui/pages/coordinator.py").run()
    compare = next(b for b in app.button if b.label == "比較する")
    app.text_area(key="compare_text").set_value("A, 31.0, not-a-number")
    compare.click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("2地点以上" in w.value for w in app.warning)
    kids = demo_layers["children"]
    a, b = kids.geometry.iloc[0], kids.geometry.iloc[1]
    app.text_area(key="compare_text").set_value(f"A, {a.y}, {a.x}\nB, {b.y}, {b.x}")
    next(b for b in app.button if b.label == "比較する").click().run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[-1].value
    assert {"A", "B"} <= set(table.columns)


def test_coordinator_child_search_lists_only_children(app, demo_layers):
    _as(app, "coordinator")
    app.switch_page("ui/pages/coordinator.py").run()
    app.radio(key="coord_mode").set_value("child").run()
    picker = app.selectbox(key="coord_child")
    ids = {o.split(" — ")[0] for o in picker.options}
    assert ids == set(demo_layers["children"]["child_id"])  # demo: no scope
    kid = demo_layers["children"].iloc[0]
    shown = next(o for o in picker.options if o.startswith(kid["child_id"]))
    assert f"{int(kid['age'])}歳" in shown and "・" in shown  # age, care and municipality
    from ui import labels

    by_child = labels.t("by_child", "ja")
    assert by_child in app.radio(key="coord_mode").options
    _as(app, "planner")
    app.switch_page("ui/pages/coordinator.py").run()
    assert by_child not in app.radio(key="coord_mode").options


def test_disaster_call_list_for_disaster_officer(app):
    _as(app, "disaster")
    app.switch_page("ui/pages/disaster.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "安否確認の電話リスト（優先順）" in _texts(app)
    calls = app.dataframe[0].value
    assert len(calls) >= 1


def test_data_page_lists_layers_and_validation(app, demo_path):
    app.switch_page("ui/pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]
    inv = app.dataframe[0].value
    names = {
        getattr(workspace.LAYERS.get(n), "label_ja", "") or n for n in workspace.layers(demo_path)
    }
    assert names <= set(inv.iloc[:, 0])
    assert app.success or app.warning


def test_reruns_without_a_search_write_no_audit_entries(app, demo_path):
    from gate import audit

    _as(app, "coordinator")
    app.switch_page("ui/pages/coordinator.py").run()
    assert not app.exception, [e.value for e in app.exception]
    before = len(audit.read(demo_path))
    app.run()
    app.run()
    assert len(audit.read(demo_path)) == before
    app.radio(key="coord_mode").set_value("child").run()  # the picker shows children: once
    app.run()
    assert len(audit.read(demo_path)) == before + 1
