"""The app on a real (not fictional) workspace without a users file (streamlit AppTest).

The demo banner said 「架空の「デモ県」のデータです」 over any workspace, and the address box
offered 「デモ県デモ市中央区中央1-2」 as its example whatever the workspace held.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo import workspace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis_world  # noqa: E402

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


@pytest.fixture
def real_env(tmp_path, monkeypatch):
    w = analysis_world.world()
    w["address_points"] = gpd.GeoDataFrame(
        {
            "pref": ["テスト県", "テスト県"],
            "city": ["東市", "西町"],
            "town": ["本町二丁目", "上町"],
            "municipality_code": ["99002", "99001"],
        },
        geometry=[Point(139.011, 35.011), Point(139.001, 35.001)],
        crs="EPSG:4326",
    )
    ws = tmp_path / "real.gpkg"
    workspace.write_layers(ws, w, validate_schema=False)  # no 'fictional' in its metadata
    monkeypatch.setenv("IKEMAP_WORKSPACE", str(ws))
    monkeypatch.setenv("IKEMAP_USERS", str(tmp_path / "no-users.toml"))
    monkeypatch.chdir(ROOT)
    return ws


def test_real_workspace_without_users_is_not_called_fictional(real_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    shown = " ".join(e.value for e in [*at.warning, *at.error])
    assert "架空の「デモ県」のデータです" not in shown, shown
    assert "ログインなしで動作しています" in shown and "ikemap user add" in shown


def test_address_example_comes_from_the_workspace(real_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.selectbox[0].select("coordinator").run()
    at.switch_page("ui/pages/coordinator.py").run()
    assert not at.exception, at.exception
    boxes = [t for t in at.text_input if t.label == "住所"]
    assert boxes, [t.label for t in at.text_input]
    placeholder = boxes[0].placeholder
    # the first 町丁目 of the lowest municipality code, as a person types it
    assert placeholder == "例: テスト県西町上町1-2（都道府県は省略可）", placeholder
    assert "デモ" not in placeholder
