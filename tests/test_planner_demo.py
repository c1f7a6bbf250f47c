"""Demo data of the planner tools (geo.demo_planner) on the seed-42 demo, end to end."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis import consultations, reconcile
from geo import demo_planner, workspace
from ikemap.cli import main


@pytest.fixture(scope="module")
def planner_layers(demo_path):
    return {
        name: workspace.read(demo_path, name)
        for name in ("consultations", "child_sources", "children", "areas", "area_members")
    }


def test_columns_match_the_library(planner_layers):
    assert tuple(planner_layers["consultations"].columns) == consultations.LAYER_COLUMNS
    assert tuple(planner_layers["child_sources"].columns) == reconcile.RECORD_COLUMNS


def test_consultations_are_seasonal_and_anonymous(planner_layers):
    log = planner_layers["consultations"]
    assert len(log) > 24 * 30
    assert set(log["category"]) == set(consultations.categories().index)
    monthly = consultations.monthly(log).set_index("month")
    for year in (2023, 2024):
        assert monthly.loc[f"{year}-11", "nursery"] > monthly.loc[f"{year}-07", "nursery"]
        assert monthly.loc[f"{year + 1}-01", "adult_life"] > monthly.loc[f"{year}-07", "adult_life"]
    assert not {"child_id", "name", "address"} & set(log.columns)


def test_add_keeps_every_other_layer_and_is_deterministic(demo_path):
    layers = workspace.read_all(demo_path)
    layers["area_members"] = workspace.read(demo_path, "area_members")
    before = {k: v.copy() for k, v in layers.items()}
    again = demo_planner.add(dict(layers), seed=42)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(again[name], frame)
    stored = workspace.read(demo_path, "child_sources")
    assert len(again["child_sources"]) == len(stored)
    assert list(again["child_sources"]["record_id"]) == list(stored["record_id"])


def test_reconcile_the_demo_sources(demo_path):
    lists = reconcile.stored_sources(demo_path)
    assert [f["source"].iloc[0] for f in lists] == ["保健師", "教育委員会", "NICU"]
    r = reconcile.reconcile(
        lists,
        as_of=dt.date(2025, 3, 31),
        coverage={"NICU": (0, 2), "教育委員会": (6, 17)},
    )
    kinds = r.issues["kind"].value_counts()
    assert kinds["care_conflict"] > 0 and kinds["age_conflict"] > 0 and kinds["only_in"] > 0
    # the five school children and three infants missing from the nurses' list are only_in
    only = r.issues[r.issues["kind"] == "only_in"]
    assert (only["sources_missing"].str.contains("保健師")).sum() >= 8
    children = workspace.read(demo_path, "children")
    assert len(r.register) >= len(children) - 40


def test_cli_on_the_demo(demo_path, tmp_path, capsys):
    ws = tmp_path / "demo.gpkg"
    ws.write_bytes(demo_path.read_bytes())
    out = tmp_path / "c.csv"
    assert main(["consultations", "-w", str(ws), "--out", str(out)]) == 0
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert "<10" in set(got["nursery"]) and any(v.isdigit() and int(v) >= 10 for v in got["total"])
    assert main(["transition", "-w", str(ws), "--out", str(tmp_path / "t.csv")]) == 0
    assert main(["reconcile", "-w", str(ws), "--out-dir", str(tmp_path / "r"), "--as-of",
                 "2025-03-31", "--ages", "NICU=0-2"]) == 0  # fmt: skip
    assert (tmp_path / "r" / "summary.csv").exists()
    capsys.readouterr()
