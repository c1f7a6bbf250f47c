"""The planner's capacity section (ui/sections/gap_params.py) through AppTest on the hand world."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")


def _page():
    import sys
    from pathlib import Path

    import pandas as pd
    import streamlit as st

    sys.path.insert(0, str(Path.cwd() / "tests"))
    from analysis_world import world

    from analysis import context
    from ui.sections import gap_params

    if "world_ctx" not in st.session_state:
        layers = world()
        fac = layers["facilities"].copy()
        fac["capacity"] = pd.array([0, 1, 0, 3], dtype="Int64")
        layers["facilities"] = fac
        st.session_state["world_ctx"] = context.from_layers(layers)
    st.session_state["ikemap_session"] = st.session_state.get("as_role", "admin")
    gap_params.render(
        st.session_state["world_ctx"], kind="圏域", service="short_stay_medical", threshold=6
    )


@pytest.fixture
def app(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IKEMAP_WORKSPACE", str(tmp_path / "none.gpkg"))
    return AppTest.from_function(_page, default_timeout=180)


def _texts(at):
    return " ".join(c.value for c in at.caption) + " " + " ".join(m.value for m in at.markdown)


def test_section_shows_parameters_statuses_and_full_facilities(app):
    at = app.run()
    assert not at.exception, at.exception
    text = _texts(at)
    # the parameters head the tables
    assert "到達時間のしきい値（分）: 6" in text and "N: 20%" in text and "全年齢" in text
    frames = [d.value for d in at.dataframe]
    areas = next(f for f in frames if "受入枠あり" in f.columns)
    east = areas[areas["圏域ID"] == "E"].iloc[0]
    # by hand (6 min, F2 1 place): c3 (W) takes F2; c1, c2, c4 (E) find their facilities full
    assert str(east["到達圏内だが空きなし"]) == "3" and str(east["受入枠あり"]) == "0"
    load = next(f for f in frames if "満員" in f.columns)
    assert load["満員"].tolist() == [True, True, True]


def test_parameters_change_the_tables(app):
    at = app.run()
    at.number_input[1].set_value(70.0)  # N
    at.selectbox[0].set_value("0-5")
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "N: 70%" in text and "年齢帯: 0-5" in text
    areas = next(d.value for d in at.dataframe if "受入枠あり" in d.value.columns)
    east = areas[areas["圏域ID"] == "E"].iloc[0]
    # ages 0-5 in E: c1 (3) and c4 (5), both without a place
    assert str(east["児の数"]) == "2"
    assert str(east["到達圏内だが空きなし"]) == "2"


def test_capacity_aware_sites_from_the_section(app):
    at = app.run()
    # the default capacity is the service's median (0, 1, 0 -> 0): no site adds a place
    go = next(b for b in at.button if b.label == "候補地を探す")
    go.click()
    at.run()
    assert not at.exception, at.exception
    assert any("受入枠を増やせる候補地はありません" in i.value for i in at.info)
    # one place per new site: the best site places the ventilator child (c1): 1 -> 2
    cap = next(n for n in at.number_input if n.label == "新拠点の定員（枠）")
    cap.set_value(1.0)
    next(b for b in at.button if b.label == "候補地を探す").click()
    at.run()
    assert not at.exception, at.exception
    assert "受入枠のある児: 1人 → 2人" in _texts(at)
    sites = at.dataframe[-1].value  # the suggestions, last on the section
    assert len(sites) == 1
    ids = sites.iloc[0].astype(str).tolist()
    assert any(v.startswith(("node:", "cluster:", "facility:")) for v in ids)


def test_a_planner_sees_no_small_gain_of_places(app):
    app.session_state["as_role"] = "planner"
    at = app.run()
    cap = next(n for n in at.number_input if n.label == "新拠点の定員（枠）")
    cap.set_value(1.0)
    next(b for b in at.button if b.label == "候補地を探す").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    # 1 -> 2 children with a place: both small, and the gain (1) would be given by the difference
    assert "受入枠のある児: <10 → 秘匿" in text
    assert "1人" not in text and "2人" not in text
