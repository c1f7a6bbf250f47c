"""The 資源ディレクトリ page driven through streamlit's AppTest on the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(scope="module")
def app(demo_path):
    import os

    from streamlit.testing.v1 import AppTest

    old = os.environ.get("IKEMAP_WORKSPACE")
    os.environ["IKEMAP_WORKSPACE"] = str(demo_path)
    os.environ.pop("IKEMAP_USERS", None)
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("ui/pages/directory.py").run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    if old is None:
        os.environ.pop("IKEMAP_WORKSPACE", None)
    else:
        os.environ["IKEMAP_WORKSPACE"] = old


def _run(at):
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_filter_life_care_without_nurse_in_the_west(app):
    app.multiselect(key="dir_kinds").set_value(["life_care"])
    app.selectbox(key="dir_area").set_value("K05")
    _run(app)
    table = app.dataframe[0].value
    assert table["名称"].tolist() == ["にしやま市 やまなみ 生活介護事業所"]
    assert table["看護職員の配置"].tolist() == ["なし"]
    assert table["入浴"].tolist() == ["不明"]  # unknown, not "なし"
    app.multiselect(key="dir_needs").set_value(["nurse_on_site"])
    _run(app)
    assert any("条件に合う場所はありません" in i.value for i in app.info)


def test_placements_tab_counts_the_shared_coordinator_once(app):
    tables = [d.value for d in app.dataframe]
    per_area = next(t for t in tables if "配置数" in t.columns)
    row = per_area[per_area["名称"] == "西部山間圏域"].iloc[0]
    assert row["配置数"] == 1 and row["市町村数"] == 6


def test_english_mode(app):
    app.radio(key="lang").set_value("en").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Resource directory" in [h.value for h in app.header]
    app.multiselect(key="dir_needs").set_value([])
    _run(app)
    table = app.dataframe[0].value
    assert "Nurse on site" in table.columns
    app.radio(key="lang").set_value("ja").run()
