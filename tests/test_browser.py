"""Real-browser journeys: each role's headline task, end to end, offline.

Starts ``streamlit run app.py`` on a free loopback port against a demo workspace built in the
test's tmp dir (demo mode: the role is picked in the sidebar), drives Debian's headless Chromium
(playwright-python) through the pages as a user would and takes the results away as a user
would (the CSV downloads are parsed). Every request the browser makes is recorded; any that
leaves 127.0.0.1 fails the test. Screenshots go to a temporary folder (set
``IKEMAP_SCREENSHOTS=docs/screenshots`` to refresh the README's). Skips (with the reason) when
/usr/bin/chromium is absent, except under CI=true, where that is a failure.

Journeys:

* コーディネーター: types 「デモ県デモ市中央区中央1-1」, gets the services of every type in
  reach with the map zoomed to them, downloads the list;
* 防災担当: the flood call list, downloaded as CSV: triage order, the deep-flood ventilator
  children of the demo first among the ventilator users;
* 計画担当: the priority list of 医療型短期入所 gaps holds the worst 圏域 (西部山間圏域, no
  facility) with its reason.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROLE_TEXT = {
    "planner": "計画担当",
    "coordinator": "コーディネーター",
    "disaster": "防災担当",
    "admin": "管理者",
}

pytestmark = pytest.mark.browser


def _need_chromium():
    if CHROMIUM.exists():
        return
    msg = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {msg}")
    pytest.skip(msg)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_path, tmp_path_factory):
    _need_chromium()
    pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed")
    work = tmp_path_factory.mktemp("browser")
    ws = work / "demo.gpkg"
    shutil.copy(demo_path, ws)
    port = _free_port()
    env = {**os.environ, "IKEMAP_WORKSPACE": str(ws), "PYTHONPATH": str(ROOT)}
    env.pop("IKEMAP_USERS", None)  # demo mode: the role is picked in the sidebar
    log = open(work / "streamlit.log", "w")  # noqa: SIM115 (closed in the finaliser)
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.runOnSave", "false", "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    if proc.poll() is not None or time.monotonic() >= deadline:
        proc.terminate()
        pytest.fail(f"streamlit did not start: {(work / 'streamlit.log').read_text()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 2400},
            locale="ja-JP",
            accept_downloads=True,
        )
        yield ctx
        ctx.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: $IKEMAP_SCREENSHOTS (e.g. docs/screenshots) or a temporary folder."""
    target = os.environ.get("IKEMAP_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser):
    """A fresh page (a new app session) whose requests are all recorded."""
    requests = []

    def record(request):
        requests.append(request.url)

    browser.on("request", record)
    pg = browser.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.requests = requests
    yield pg
    pg.close()
    browser.remove_listener("request", record)
    outside = [
        u
        for u in requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert outside == [], f"requests outside 127.0.0.1: {outside[:5]}"


def _idle(page, timeout_s=120):
    """Wait until the script run is over (no running indicator), then a moment more."""
    deadline = time.monotonic() + timeout_s
    page.wait_for_timeout(800)
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        spinning = page.locator('[data-testid="stSpinner"]').count()
        if not running and not spinning:
            break
        page.wait_for_timeout(400)
    page.wait_for_timeout(600)


def _no_exception(page):
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def _open(page, server, name, role):
    """Open page ``name`` and pick ``role`` in the sidebar (demo mode)."""
    page.goto(f"{server}/{'' if name == 'overview' else name}", wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=60_000)
    _idle(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    page.get_by_role("option", name=ROLE_TEXT[role], exact=False).first.click()
    _idle(page)
    _no_exception(page)


def _wait_for_map(page, timeout_s=90):
    """True once Leaflet has drawn vector layers inside the streamlit-folium iframe."""
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if frame.locator(".leaflet-container .leaflet-interactive").count() > 0:
            return True
        page.wait_for_timeout(500)
    return False


def _download_csv(page, nth=0):
    """Click the ``nth`` CSV download button; return the parsed rows (header first)."""
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="CSV").nth(nth)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 BOM (Excel reads it garbled)"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_coordinator_finds_an_address_and_takes_the_list_away(page, server, shots):
    _open(page, server, "coordinator", "coordinator")
    box = page.get_by_role("textbox", name="住所", exact=True)
    # the example is an address of the workspace in use (the demo's デモ県 here)
    assert box.get_attribute("placeholder").startswith("例: デモ県"), box.get_attribute(
        "placeholder"
    )
    box.fill("デモ市")
    page.get_by_role("button", name="検索する", exact=True).click()
    _idle(page)
    page.get_by_text("候補から選んでください", exact=False).first.wait_for(timeout=60_000)
    # a candidate to pick (the radio streams in after the warning: wait for it)
    page.get_by_text("デモ県デモ市北区", exact=False).first.wait_for(timeout=60_000)
    box.fill("デモ県デモ市中央区中央1-1")
    page.get_by_role("button", name="検索する", exact=True).click()
    _idle(page)
    _no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("検索地点: デモ県デモ市中央区中央一丁目", exact=False).wait_for(timeout=60_000)
    page.get_by_role("tab").first.wait_for(timeout=90_000)
    _idle(page)
    tabs = [t.inner_text() for t in page.get_by_role("tab").all()]
    assert len(tabs) >= 3 and tabs[0].startswith("すべて"), tabs
    assert any("訪問看護" in t for t in tabs), tabs
    # who covers it: rendered after the results (its own searches), so wait for it
    main.get_by_text("この住所を担当する", exact=False).first.wait_for(timeout=90_000)
    _idle(page)
    assert _wait_for_map(page), "the result map did not render"
    page.screenshot(path=str(shots / "coordinator.png"), full_page=True)
    rows = _download_csv(page)
    header, body = rows[0], rows[1:]
    assert "事業所ID" in header and "所要時間（分）" in header, header  # Japanese headers
    minutes = [float(r[header.index("所要時間（分）")]) for r in body]
    assert body and all(0 < m <= 180 for m in minutes)
    # values as the coordinator reads them: labels, not codes (visiting_nurse, confirmed)
    services = {r[header.index("サービス")] for r in body}
    assert "訪問看護" in services and not any(s.isascii() for s in services), services
    basis = {r[header.index("受入の確認")] for r in body}
    assert basis <= {"受入確認済み", "受入未確認（要確認）"}, basis


def test_disaster_officer_downloads_the_call_list(page, server, shots):
    _open(page, server, "disaster", "disaster")
    page.get_by_text("安否確認の電話リスト", exact=False).first.wait_for(timeout=90_000)
    _no_exception(page)
    assert _wait_for_map(page), "the disaster map did not render"
    page.screenshot(path=str(shots / "disaster.png"), full_page=True)
    rows = _download_csv(page)
    header, body = rows[0], rows[1:]
    assert {"優先順位", "管理番号", "市区町村"} <= set(header), header
    ranks = [int(r[header.index("優先順位")]) for r in body]
    assert ranks == list(range(1, len(body) + 1)), ranks  # the call order, without gaps
    # values in Japanese: はい/いいえ, the hazard's name (not True/False, flood)
    assert {r[header.index("電源依存")] for r in body} <= {"はい", "いいえ", ""}
    assert {r[header.index("ハザード")] for r in body} == {"洪水浸水想定区域"}
    ids = [r[header.index("管理番号")] for r in body]
    # the demo's ventilator users in deep flood zones are on the flood call list
    assert {"D310001", "D310002", "D310003"} <= set(ids)
    names = {r[header.index("市区町村")] for r in body}
    assert not any(n.isdigit() for n in names), names  # names, not codes


def test_planner_priority_list_holds_the_worst_gap(page, server, shots):
    _open(page, server, "planner", "planner")
    page.get_by_text("優先度の高い不足", exact=False).first.wait_for(timeout=120_000)
    _idle(page)
    _no_exception(page)
    assert _wait_for_map(page), "the planner map did not render"
    page.screenshot(path=str(shots / "planner.png"), full_page=True)
    rows = _download_csv(page, nth=1)  # the gap table's CSV comes first, then the flags'
    header, body = rows[0], rows[1:]
    assert header[:3] == ["順位", "圏域", "深刻度"], header
    worst = body[0]
    assert worst[1] == "西部山間圏域", body
    assert "圏域内に事業所なし" in worst[header.index("フラグ")]
    assert worst[header.index("理由")].strip()


@pytest.mark.parametrize(("name", "role"), [("overview", "planner"), ("data", "admin")])
def test_other_pages_render_offline(page, server, shots, name, role):
    _open(page, server, name, role)
    assert _wait_for_map(page), f"the map of page {name} did not render"
    _idle(page)
    _no_exception(page)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_data_staff_upload_lists_rejections_in_japanese(page, server, shots, tmp_path, demo_path):
    """A malformed register (swapped lat/lon, an empty care cell, CP932 behind a UTF-8 BOM)
    checked on the データ page: the counts and the rejection table read in Japanese, every
    rejection names row, field and value, and nothing shows 'None' or 'nan'."""
    from geo import workspace

    home = workspace.read(demo_path, "children").geometry.iloc[0]  # a point of the region
    y, x = round(home.y, 6), round(home.x, 6)
    bad = tmp_path / "台帳.csv"
    text = (
        "管理番号,年齢,医療的ケア,緯度,経度\n"
        f"K1,3,吸引,{x},{y}\n"  # swapped
        f"K2,4,,{y},{x}\n"  # care empty (unknown is not none)
        f"K3,5,人工呼吸器,{y},{x}\n"
    )
    bad.write_bytes(b"\xef\xbb\xbf" + text.encode("cp932"))
    _open(page, server, "data", "admin")
    form = page.locator('[data-testid="stForm"]').first
    form.get_by_text("ファイルの種類").wait_for(timeout=90_000)
    form.locator('input[type="file"]').set_input_files(str(bad))
    _idle(page)
    form.locator('[data-testid="stFormSubmitButton"] button').click()
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("読み込んだ行 3", exact=False).wait_for(timeout=90_000)
    _idle(page)
    _no_exception(page)
    body = main.inner_text()
    assert "除外される行 2" in body and "(read / accepted / rejected)" not in body
    page.screenshot(path=str(shots / "data_upload.png"), full_page=True)
    rows = _download_csv(
        page,
        nth=page.locator('[data-testid="stDownloadButton"] button', has_text="CSV").count() - 1,
    )
    header, found = rows[0], rows[1:]
    assert header[:5] == ["ファイル", "行", "列（項目）", "値", "理由"], header
    assert {r[1] for r in found} == {"2", "3"}, found
    assert not any(c in ("None", "nan") for r in found for c in r), found
