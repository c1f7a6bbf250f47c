"""Shared fixtures: the real data folder, the demo workspace, a small hand-made world."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("IKEMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared_data():
    """Path of ../shared/data (real public files); skips outside CI when absent."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {SHARED_DATA} is missing")
        pytest.skip(
            f"real data not found at {SHARED_DATA}: put the shared/ folder beside the checkout "
            "(or set IKEMAP_SHARED_DATA) to run these tests"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    """A freshly generated small demo workspace (seed 42), built once per test session."""
    from geo import demo

    path = tmp_path_factory.getbasetemp() / "demo_seed42.gpkg"
    if not path.exists():
        demo.write(path, seed=42, size="small")
    return path


@pytest.fixture(scope="session")
def demo_layers(demo_path):
    """Every input layer of the demo workspace as a dict of frames (read once)."""
    from geo import workspace

    return workspace.read_all(demo_path)
