"""Roles through the real app (streamlit AppTest): login, what each role sees, concurrent sessions.

A small world (tests/analysis_world.py plus 20 children in 東市 99002) is written to a temporary
workspace; users.toml holds a planner, a coordinator scoped to 西町 (99001) and a disaster
officer scoped to 東市 (99002).
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from gate import audit, users
from geo import workspace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis_world  # noqa: E402

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGES = [
    "ui/pages/overview.py",
    "ui/pages/planner.py",
    "ui/pages/coordinator.py",
    "ui/pages/disaster.py",
    "ui/pages/data.py",
]
PASSWORDS = {"p": "planner-pw", "c": "coord-pw-1", "d": "disaster-pw"}
#: A coordinate only the extra children have (never a road node, facility or shelter).
EXTRA_LAT = "35.0117"


def _labels(raw):
    from ui import labels

    return set(labels.columns(pd.DataFrame(columns=raw), "ja").columns) | set(raw)


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("roles")
    w = analysis_world.world()
    n = 20
    extra = gpd.GeoDataFrame(
        {
            "child_id": [f"zzkid{i}" for i in range(n)],
            "age": pd.array([i % 18 for i in range(n)], dtype="Int64"),
            "care": [["suction"] if i % 3 else ["ventilator"] for i in range(n)],
            "mobility": ["walk"] * n,
            "municipality_code": ["99002"] * n,
            "has_evac_plan": pd.array([True] * n, dtype="boolean"),
        },
        geometry=[Point(139.0113 + 0.0004 * i, float(EXTRA_LAT)) for i in range(n)],
        crs="EPSG:4326",
    )
    kids = pd.concat([w["children"], extra], ignore_index=True)
    kids["氏名"] = [f"テスト氏名{i}" for i in range(len(kids))]
    w["children"] = gpd.GeoDataFrame(kids, geometry="geometry", crs="EPSG:4326")
    ws = base / "w.gpkg"
    workspace.write_layers(ws, w, validate_schema=False)
    path = base / "users.toml"
    users.add(path, "p", role="planner", password=PASSWORDS["p"], rounds=4)
    users.add(path, "c", role="coordinator", password=PASSWORDS["c"], scope="99001", rounds=4)
    users.add(path, "d", role="disaster", password=PASSWORDS["d"], scope="99002", rounds=4)
    return {"workspace": ws, "users": path, "layers": w}


@pytest.fixture
def env(app_env, monkeypatch):
    monkeypatch.setenv("IKEMAP_WORKSPACE", str(app_env["workspace"]))
    monkeypatch.setenv("IKEMAP_USERS", str(app_env["users"]))
    monkeypatch.chdir(ROOT)
    return app_env


def _login(name, password=None):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert len(at.text_input) == 2, "the login form should be shown before anything else"
    at.text_input[0].input(name)
    at.text_input[1].input(PASSWORDS.get(name, "") if password is None else password)
    at.button[0].click().run()
    return at


def _frames(at):
    return [df.value for df in at.dataframe]


def test_login_rejects_a_wrong_password(env):
    at = _login("p", "not-the-password")
    assert any("パスワードが違います" in e.value for e in at.error)
    assert len(at.text_input) == 2  # still on the form
    assert not at.dataframe and not at.metric
    log = audit.read(env["workspace"])
    assert "login_failed" in log["action"].tolist()


def test_unknown_user_is_rejected_the_same_way(env):
    at = _login("nobody", "whatever-pw")
    assert any("パスワードが違います" in e.value for e in at.error)


def test_planner_sees_no_child_rows_and_no_small_counts(env):
    at = _login("p")
    child_cols = _labels(["child_id"]) | {"氏名"}
    count_cols = _labels(["n_children", "children", "covered", "covered_confirmed", "uncovered"])
    seen_tables = 0
    for page in PAGES:
        at.switch_page(page).run()
        for frame in _frames(at):
            seen_tables += 1
            assert not child_cols & set(frame.columns), (page, list(frame.columns))
            for col in count_cols & set(frame.columns):
                for value in frame[col]:
                    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
                    assert pd.isna(number) or not 1 <= number < 10, (page, col, value)
        for md in at.markdown:
            assert "テスト氏名" not in md.value
    assert seen_tables >= 2  # the overview and planner tables were really checked


def test_planner_map_draws_no_child_point(env):
    from ui import maps

    layers = env["layers"]
    planner = maps.region_map(layers, role="planner").get_root().render()
    disaster = maps.region_map(layers, role="disaster").get_root().render()
    assert EXTRA_LAT in disaster  # the check can fail: individual roles do get the points
    assert EXTRA_LAT not in planner
    assert "zzkid" not in planner and "テスト氏名" not in planner


def test_coordinator_sees_only_children_of_their_scope(env):
    at = _login("c")
    id_cols = _labels(["child_id"])
    muni_cols = _labels(["municipality_code"])
    rows_seen = 0
    for page in PAGES:
        at.switch_page(page).run()
        for frame in _frames(at):
            ids = id_cols & set(frame.columns)
            if not ids:
                continue
            col = ids.pop()
            rows_seen += len(frame)
            assert set(frame[col]) <= {"c3"}, (page, set(frame[col]))
            for mc in muni_cols & set(frame.columns):
                assert set(frame[mc]) <= {"99001"}
            assert "氏名" not in frame.columns
    # the coordinator page lists exactly the children of the scope (c3 lives in 西町 99001)
    at.switch_page("ui/pages/coordinator.py").run()
    at.radio(key="coord_mode").set_value("child").run()
    picker = at.selectbox(key="coord_child")
    assert [str(o).split(" ")[0] for o in picker.options] == ["c3"]
    rows_seen += len(picker.options)
    assert rows_seen >= 1
    log = audit.read(env["workspace"])
    views = log[(log["user"] == "c") & (log["action"] == "view")]
    assert len(views) >= 1 and (views["rows"] <= 1).all()


def test_logout_returns_to_the_login_form(env):
    at = _login("d")
    assert len(at.text_input) < 2 or at.text_input[0].label != "ユーザー名 / User name"
    at.sidebar.button(key="ikemap_logout").click().run()
    assert len(at.text_input) == 2


def _session_in_process(name, workspace_path, users_path):
    """One whole app session (login, overview page) in its own process.

    Streamlit's AppTest keeps one Runtime per process, so sessions in threads step on each
    other; separate processes are real concurrent users of the same workspace file (reads,
    audit appends and login records all hit one GeoPackage at once).
    """
    import os

    os.environ["IKEMAP_WORKSPACE"] = workspace_path
    os.environ["IKEMAP_USERS"] = users_path
    os.chdir(ROOT)
    at = _login(name)
    at.switch_page("ui/pages/overview.py").run()
    shown = [e.value for e in at.error] + [e.message for e in at.exception]
    return name, shown, len(at.dataframe)


def _concurrent(names, env):
    ctx = multiprocessing.get_context("spawn")
    args = [(n, str(env["workspace"]), str(env["users"])) for n in names]
    # An earlier AppTest leaves Streamlit's script module (app.py) as __main__, and spawn re-runs
    # the parent's __main__ in every child: give the children a neutral one instead.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with ProcessPoolExecutor(max_workers=len(names), mp_context=ctx) as pool:
            futures = [pool.submit(_session_in_process, *a) for a in args]
            return [f.result(timeout=600) for f in futures]
    finally:
        sys.modules["__main__"] = main


NAMES = ["p", "c", "d"] * 3 + ["p"]


def test_ten_concurrent_sessions_without_errors_all_render_their_tables(env):
    results = _concurrent(NAMES, env)
    assert len(results) == 10
    for name, errors, _ in results:
        assert errors == [], (name, errors)
    assert [n for _, _, n in results if n < 1] == []
    log = audit.read(env["workspace"])
    assert (log["action"] == "login").sum() >= 10  # every session's login was recorded
    assert audit.verify(env["workspace"])


#: Bytes of every file the app handed to Streamlit's media storage, by file id.
MEDIA = {}


@pytest.fixture
def media(monkeypatch):
    """Record the bytes of download buttons (AppTest drops its media storage after a run)."""
    from streamlit.runtime import memory_media_file_storage as mfs

    original = mfs.MemoryMediaFileStorage.load_and_get_id

    def load(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        MEDIA[file_id] = path_or_data if isinstance(path_or_data, bytes) else b""
        return file_id

    monkeypatch.setattr(mfs.MemoryMediaFileStorage, "load_and_get_id", load)
    return MEDIA


def _download_bytes(button):
    """The bytes behind a rendered download button (built while the page rendered)."""
    url = button.proto.url
    assert url, f"download {button.label!r} has no data (built later, in a thread?)"
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    return MEDIA[file_id]


@pytest.mark.parametrize("name", ["p", "c", "d"])
def test_every_page_metrics_and_downloads_per_role(env, media, name):
    at = _login(name)
    downloads = 0
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.message for e in at.exception])
        assert not [e.value for e in at.error if "AccessDenied" in e.value or "denied" in e.value]
        if name == "p":  # a planner's child-count metrics never show a count 1-9
            for m in at.metric:
                if not any(w in m.label for w in ("児", "電源", "孤立", "区域", "child")):
                    continue  # facilities, shelters, areas: not counts of children
                number = pd.to_numeric(str(m.value).replace(",", ""), errors="coerce")
                assert pd.isna(number) or not 1 <= number < 10, (page, m.label, m.value)
        for button in at.download_button:
            data = _download_bytes(button)
            assert data, (page, button.label)
            if button.proto.url.endswith(".csv") or data[:3] == b"\xef\xbb\xbf":
                text = data.decode("utf-8-sig")
                assert "テスト氏名" not in text  # names never leave without an explicit ask
                if name == "p":
                    assert "zzkid" not in text  # no child rows for a planner
            downloads += 1
    assert downloads >= 3, "the pages offer their downloads"


def test_disaster_call_list_download_is_built_and_audited(env, media):
    at = _login("d")
    at.switch_page("ui/pages/disaster.py").run()
    assert not at.exception
    csv = [b for b in at.download_button if (b.key or "").startswith("dl_calls") and "csv" in b.key]
    assert csv, "the call list offers a CSV download to the disaster officer"
    import io

    calls = pd.read_csv(io.BytesIO(_download_bytes(csv[0])), encoding="utf-8-sig", dtype=str)
    ids = calls[[c for c in calls.columns if c in _labels(["child_id"]) | {"管理番号"}][0]]
    kids = env["layers"]["children"]
    scope = set(kids.loc[kids["municipality_code"] == "99002", "child_id"])
    assert len(ids) and set(ids) <= scope  # 東市 99002 only: the officer's scope
    assert ids.str.startswith("zzkid").any()
    before = len(audit.read(env["workspace"]))
    csv[0].click().run()
    log = audit.read(env["workspace"]).iloc[before:]
    assert ((log["action"] == "export") & (log["user"] == "d")).any()
