"""The planner page of the app on a workspace, driven in a real browser: first load and 集計する.

    python -m bench.app_planner --workspace /tmp/pref.gpkg --shots /tmp/shots [--baseline]

Serves ``app.py`` with ``streamlit run`` on a free 127.0.0.1 port (``IKEMAP_WORKSPACE`` =
the workspace; demo mode, so the role is picked in the sidebar as in ``tests/test_browser.py``),
opens the planner page in Debian's headless Chromium (playwright) as the planner and times,
wall clock, from the request (or the click) until this run's gap table is shown and until the
run is over (the app's ``data-test-script-state``), with the server's CPU seconds per step:

1. first load (a fresh server: workspace, network, travel matrices, publication);
2. 集計する with the same parameters;
3. 集計する after changing a parameter (the threshold, 5 minutes less);
4. 集計する after changing the service (a second service: its own gaps and publication);
5. a second browser session (another planner) opening the page on the same server.

The server's resident memory (VmRSS now, VmHWM peak) is read from ``/proc`` after each step, the
1-minute load average at the start and the end. ``--baseline`` first runs ``ikemap gaps`` on the
same workspace in a fresh process (``/usr/bin/time``: wall, CPU, peak RSS; its progress lines
are printed) and prints each step's ratio to it: on a shared machine the ratio is steadier than
the seconds. Screenshots of every step go to ``--shots``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def log(msg):
    print(msg, flush=True)


def loadavg():
    return float(Path("/proc/loadavg").read_text().split()[0])


def rss_mb(pid):
    """(VmRSS, VmHWM) of process ``pid`` in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024.0
    return out.get("VmRSS", 0.0), out.get("VmHWM", 0.0)


def cpu_s(pid):
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid):
    """Process ids below ``pid`` (children, grandchildren, ...)."""
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def browser_cpu_s(exclude):
    """CPU seconds of the Chromium processes below this one (not playwright's driver)."""
    total = 0.0
    for p in descendants(os.getpid()):
        if p in exclude:
            continue
        with contextlib.suppress(OSError):
            if "chrom" in Path(f"/proc/{p}/comm").read_text():
                total += cpu_s(p)
    return total


def baseline(workspace, work):
    """``ikemap gaps`` in a fresh process: (wall, cpu, peak MB)."""
    out = Path(work) / "baseline_gaps.csv"
    timing = Path(work) / "baseline_time.txt"
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(timing), sys.executable, "-m",
           "ikemap", "gaps", "-w", str(workspace), "--out", str(out),
           "--role", "admin"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    err = Path(work) / "baseline_stderr.txt"
    with open(err, "w") as f:
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=f)
    # the CLI's progress (not --quiet): what a user running it sees
    for line in err.read_text().splitlines():
        if "searched" in line or "Travel matrix" in line:
            log(f"  cli: {line.strip()}")
    wall, user, system, peak = timing.read_text().split()[-4:]
    return float(wall), float(user) + float(system), int(peak) / 1024.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workspace, work, py_spy=None):
    port = free_port()
    env = {**os.environ, "IKEMAP_WORKSPACE": str(workspace), "PYTHONPATH": str(ROOT)}
    env.pop("IKEMAP_USERS", None)
    logf = open(Path(work) / "streamlit.log", "w")  # noqa: SIM115 (closed by the caller)
    # py-spy (measuring only, not a dependency): samples the server, written on SIGINT
    spy = [] if not py_spy else [str(Path(sys.executable).with_name("py-spy")), "record",
                                 "-o", str(py_spy), "-f", "raw", "-r", "20", "--"]  # fmt: skip
    proc = subprocess.Popen(
        [*spy, sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.runOnSave", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, logf
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"streamlit did not start: {(Path(work) / 'streamlit.log').read_text()}")


APP = '[data-testid="stApp"]'
#: the gap table of this run (a table left from the previous run is marked stale)
FRESH_TABLE = (
    '[data-testid="stMain"] [data-testid="stElementContainer"]:not([data-stale="true"]) '
    '[data-testid="stDataFrame"]'
)


def running(page):
    """True while the script runs (the app's own state attribute, as Streamlit's e2e tests)."""
    state = page.locator(APP).first.get_attribute("data-test-script-state") or ""
    return state in ("running", "rerunRequested", "initial")


#: The status of a run that computes: its steps and counts (shot once per step while shown).
PROGRESS = '[data-testid="stMain"] [data-testid="stExpander"]:has-text("事業所地点")'


def wait_done(page, started, timeout_s, shot=None):
    """Wait until the run is over; (seconds to a fresh gap table, seconds to the end).

    ``shot``: a path for a screenshot of the status while it shows the search's counts.
    """
    deadline = time.monotonic() + timeout_s
    table = page.locator(FRESH_TABLE)
    first_table = None
    quiet_since = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if shot is not None and page.locator(PROGRESS).count() > 0:
            page.screenshot(path=str(shot))
            shot = None
        if first_table is None and table.count() > 0:
            first_table = now - started
        if not running(page) and first_table is not None:
            # one run can request the next (a widget default): quiet for 1 s means over
            quiet_since = quiet_since or now
            if now - quiet_since >= 1.0:
                return first_table, quiet_since - started
        else:
            quiet_since = None
        page.wait_for_timeout(250)  # each look costs the browser a little: not too often
    raise SystemExit(f"the planner page did not finish within {timeout_s} s")


def click_and_wait(page, button, timeout_s, shot=None):
    t0 = time.monotonic()
    button.click()
    # the click starts a rerun: wait until it shows (a very short run may be over already)
    for _ in range(50):
        if running(page):
            break
        page.wait_for_timeout(50)
    return wait_done(page, t0, timeout_s, shot)


def pick_role(page, timeout_s, role_text="計画担当"):
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.wait_for(timeout=timeout_s * 1000)
    if role_text in box.inner_text():
        return
    box.click()
    page.get_by_role("option", name=role_text, exact=False).first.click()


def run(args):
    from playwright.sync_api import sync_playwright

    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench_app_")
    log(f"load average at start: {loadavg():.2f}")
    base = None
    if args.baseline:
        base = baseline(args.workspace, work)
        log(f"baseline `ikemap gaps` (fresh process): {base[0]:.1f} s wall, {base[1]:.1f} s CPU, "
            f"{base[2]:.0f} MB peak")  # fmt: skip
    proc, url, logf = serve(args.workspace, work, args.py_spy)
    server = proc.pid
    if args.py_spy:  # the server is py-spy's child
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if kids:
                server = int(kids[0])
                break
            time.sleep(0.1)
    results = []

    cpu_before = [0.0, 0.0]
    not_browser = {proc.pid, server}

    def note(step, times, page):
        table_s, seconds = times
        rss, hwm = rss_mb(server)
        cpu = cpu_s(server)
        bcpu = browser_cpu_s(not_browser)
        results.append((step, seconds, cpu - cpu_before[0], rss, hwm, table_s))
        browser_step = bcpu - cpu_before[1]
        cpu_before[:] = [cpu, bcpu]
        ratio = f" ({seconds / base[0]:.2f}x the CLI)" if base else ""
        log(f"{step}: gap table after {table_s:.1f} s, run over after {seconds:.1f} s wall"
            f"{ratio}; CPU: server {results[-1][2]:.1f} s, browser {browser_step:.1f} s; "
            f"server RSS {rss:.0f} MB (peak {hwm:.0f} MB), load {loadavg():.2f}")  # fmt: skip
        page.screenshot(path=str(shots / f"{len(results)}_{step}.png"), full_page=True)
        # the screenshot is not the next step's work
        cpu_before[:] = [cpu_s(server), browser_cpu_s(not_browser)]

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            bctx = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="ja-JP")
            page = bctx.new_page()
            t0 = time.monotonic()
            page.goto(f"{url}/planner", wait_until="domcontentloaded")
            page.wait_for_selector('[data-testid="stSidebar"]', timeout=args.timeout * 1000)
            pick_role(page, args.timeout)
            shot = shots / "progress_first.png"
            note("first_load", wait_done(page, t0, args.timeout, shot), page)
            form = page.locator('[data-testid="stForm"]').first
            run_button = form.get_by_role("button", name="集計する")
            note("run_same", click_and_wait(page, run_button, args.timeout), page)
            thr = form.locator('[data-testid="stNumberInput"] input').first
            value = float(thr.input_value())
            thr.fill(str(int(value - 5 if value > 5 else value + 5)))
            note("run_threshold", click_and_wait(page, run_button, args.timeout), page)
            box = form.locator('[data-testid="stSelectbox"]').nth(1)
            box.click()
            page.get_by_role("option").nth(1).click()
            shot = shots / "progress_service.png"
            note("run_service", click_and_wait(page, run_button, args.timeout, shot), page)
            page2 = bctx.new_page()
            t0 = time.monotonic()
            page2.goto(f"{url}/planner", wait_until="domcontentloaded")
            page2.wait_for_selector('[data-testid="stSidebar"]', timeout=args.timeout * 1000)
            pick_role(page2, args.timeout)
            note("second_session", wait_done(page2, t0, args.timeout), page2)
            exc = page.locator('[data-testid="stException"]')
            if exc.count():
                log("EXCEPTION on the page: " + exc.first.inner_text()[:2000])
            browser.close()
    finally:
        if args.py_spy:
            import signal

            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=120)
        else:
            proc.terminate()
            proc.wait(timeout=30)
        logf.close()
    log(f"load average at the end: {loadavg():.2f}; screenshots in {shots}")
    log("RESULT " + " ".join(f"{r[0]}={r[5]:.1f}/{r[1]:.1f}s,cpu={r[2]:.1f}s" for r in results)
        + (f" baseline_cli={base[0]:.1f}s" if base else "")
        + f" server_peak={max(r[4] for r in results):.0f}MB")  # fmt: skip
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", required=True, type=Path)
    ap.add_argument("--shots", default="bench/out/app_planner")
    ap.add_argument("--baseline", action="store_true", help="time `ikemap gaps` first")
    ap.add_argument("--py-spy", type=Path, help="sample the server with py-spy into this file")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per step at most")
    run(ap.parse_args(argv))


if __name__ == "__main__":
    main()
