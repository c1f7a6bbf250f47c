"""`ikemap app`: serve the Streamlit app on 127.0.0.1 with XSRF protection, from any folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def command(args):
    """The streamlit command line (bound to the loopback, XSRF on, no telemetry)."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(args.port),
        "--server.enableXsrfProtection",
        "true",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return cmd


def run(args):
    """Start the app (blocks until it is stopped)."""
    import os

    env = dict(os.environ)
    if getattr(args, "workspace", None):
        env["IKEMAP_WORKSPACE"] = str(Path(args.workspace).resolve())
    print(f"ikemap: http://127.0.0.1:{args.port} (Ctrl+C to stop)")
    return subprocess.call(command(args), cwd=ROOT, env=env)
