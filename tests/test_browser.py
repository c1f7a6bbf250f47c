"""Real-browser check: every page renders its map offline, with no request leaving 127.0.0.1.

Starts ``streamlit run app.py`` on a free loopback port against a demo workspace built in the
test's tmp dir, opens each page in Debian's headless Chromium (playwright-python), waits for the
Leaflet map inside the streamlit-folium iframe, records every request the browser makes and
saves a screenshot per page (to a temporary folder; set ``IKEMAP_SCREENSHOTS=docs/screenshots``
to refresh the README's screenshots). Skips (with the reason) when
/usr/bin/chromium is absent, except under CI=true, where that is a failure.
"""

from __future__ import annotations

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
PAGES = ("overview", "planner", "coordinator", "disaster", "data")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

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
    log = open(work / "streamlit.log", "w")  # noqa: SIM115 (closed in the finaliser)
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
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
            viewport={"width": 1400, "height": 1000},
            locale="ja-JP",
        )
        yield ctx
        ctx.close()


def _wait_for_map(page, timeout_s=60):
    """True once Leaflet has drawn vector layers inside the streamlit-folium iframe."""
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if frame.locator(".leaflet-container .leaflet-interactive").count() > 0:
            return True
        page.wait_for_timeout(500)
    return False


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: $IKEMAP_SCREENSHOTS (e.g. docs/screenshots) or a temporary folder."""
    target = os.environ.get("IKEMAP_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(browser, server, name, shots):
    requests = []

    def record(request):
        requests.append(request.url)

    browser.on("request", record)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    path = "" if name == "overview" else name
    page.goto(f"{server}/{path}", wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=60_000)
    if not _wait_for_map(page):
        page.screenshot(path=str(shots / f"failed_{name}.png"), full_page=True)
        text = page.locator('[data-testid="stMain"]').inner_text()[:1500]
        pytest.fail(f"the map of page {name} did not render; the page shows:\n{text}")
    # let the rest of the page (tables, charts) settle before the screenshot
    page.wait_for_timeout(1500)
    deadline = time.monotonic() + 60
    while page.locator('[data-testid="stStatusWidget"]').count() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    outside = [
        u
        for u in requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert outside == [], f"page {name} requested outside 127.0.0.1: {outside[:5]}"
    page.close()
    browser.remove_listener("request", record)
