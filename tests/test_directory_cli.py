"""`ikemap directory`, `ikemap who-covers` and `ikemap nearby --need` on the demo workspace."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import workspace
from ikemap.cli import main


@pytest.fixture(scope="module")
def points(demo_path):
    fac = workspace.read(demo_path, "facilities")
    win = fac[fac["service"] == "municipal_window"].set_index("municipality_code")
    return {c: (g.y, g.x) for c, g in win.geometry.items()}


def test_directory_command_filters_and_writes(demo_path, tmp_path):
    out = tmp_path / "d.csv"
    code = main(
        ["directory", "-w", str(demo_path), "--kind", "life_care", "--area", "K05",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    d = pd.read_csv(out, dtype=str)
    assert d["facility_id"].tolist() == ["DP-LC-99205"]
    assert d["nurse_on_site"].tolist() == ["False"] and d["bathing"].isna().all()


def test_directory_sorted_by_minutes_from_an_address(demo_path, tmp_path, points):
    lat, lon = points["99203"]
    out = tmp_path / "near.csv"
    code = main(
        ["directory", "-w", str(demo_path), "--category", "place", "--lat", str(lat),
         "--lon", str(lon), "--minutes", "60", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    d = pd.read_csv(out)
    assert len(d) and d["minutes"].is_monotonic_increasing and (d["minutes"] <= 60).all()
    assert set(d["category"]) == {"place"}


def test_directory_placements(demo_path, capsys):
    assert main(["directory", "-w", str(demo_path), "--placements"]) == 0
    text = capsys.readouterr().out
    assert "K05,西部山間圏域,1,6,6," in text
    assert "ひがしはま町" in text


def test_directory_bad_input_exits_2(demo_path, capsys):
    assert main(["directory", "-w", str(demo_path), "--need", "wings"]) == 2
    assert "unknown need" in capsys.readouterr().err
    assert main(["directory", "-w", str(demo_path), "--minutes", "30"]) == 2
    assert "needs an address" in capsys.readouterr().err


def test_who_covers_command(demo_path, tmp_path, points, capsys):
    lat, lon = points["99303"]
    out = tmp_path / "w.csv"
    code = main(
        ["who-covers", "-w", str(demo_path), "--lat", str(lat), "--lon", str(lon),
         "--when", "2025-04-05T10:00", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    w = pd.read_csv(out, dtype=str)
    assert w["facility_id"].tolist() == ["DP-MW-99303", "DP-AC-K05", "DP-SC-1"]
    assert w["open_now"].tolist() == ["False", "False", "False"]  # a Saturday
    assert w.loc[1, "covers_n"] == "6"
    assert "きたやま町" in capsys.readouterr().out
    assert main(["who-covers", "-w", str(demo_path), "--lat", "35"]) == 2
    assert (
        main(["who-covers", "-w", str(demo_path), "--lat", "1", "--lon", "1", "--when", "tuesday"])
        == 2
    )


def test_nearby_need_flag(demo_path, tmp_path, points):
    lat, lon = points["99101"]
    base = ["nearby", "-w", str(demo_path), "--lat", str(lat), "--lon", str(lon),
            "--service", "visiting_nurse", "--minutes", "30"]  # fmt: skip
    all_out, need_out = tmp_path / "all.csv", tmp_path / "need.csv"
    assert main([*base, "--out", str(all_out)]) == 0
    need = ["--need", "visiting_nurse=pediatric_experience"]
    assert main([*base, *need, "--out", str(need_out)]) == 0
    a, n = pd.read_csv(all_out), pd.read_csv(need_out)
    assert set(n["facility_id"]) < set(a["facility_id"])  # known "no" stations left out
