"""The 計画支援ツール page driven through streamlit's AppTest on the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "ui/pages/planner_tools.py"


@pytest.fixture
def app(demo_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IKEMAP_WORKSPACE", str(demo_path))
    monkeypatch.delenv("IKEMAP_USERS", raising=False)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _small_numbers(frame):
    """Cells of a displayed table that read as a count from 1 to 9."""
    return [v for v in frame.to_numpy().ravel() if isinstance(v, str) and v.isdigit() and
            1 <= int(v) <= 9]  # fmt: skip


def test_page_as_planner_then_admin_reconciles(app):
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("計画支援ツール" in h.value for h in app.header)
    # subsidy tab defaults: medical short stay, ¥2,000k equipment, 50 helper-days
    assert any(m.value == "¥2,500,000" for m in app.metric)
    # transition and consultation tables: counts of children/consultations gated for a planner
    frames = [df.value for df in app.dataframe]
    projection = next(f for f in frames if "1年以内（累計）" in f.columns)
    counts = [c for c in projection.columns if "18歳" in c or "累計" in c]
    assert not _small_numbers(projection[counts])
    consult = next(f for f in frames if "合計" in f.columns and "月" in f.columns)
    assert not _small_numbers(consult.drop(columns=["圏域ID", "圏域", "月"]))
    # reconciliation as an administrator: three stored sources, return files offered
    app.selectbox(key="ikemap_demo_role").set_value("admin").run()
    app.text_input(key="rc_tools_sages_NICU").set_value("0-2").run()
    app.button(key="rc_tools_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    done = [s.value for s in app.success]
    assert any("3 出典" in s for s in done), done
