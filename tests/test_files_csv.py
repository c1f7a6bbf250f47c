"""to_csv_bytes: the whole-column neutralisation writes the same bytes as the cell-by-cell one."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gate import files


def _cell_by_cell(s):
    # the writer before: one Python call per cell
    return np.array([files.neutralise(files._flatten(v)) for v in s] or [], dtype=object)


def _both(frame, monkeypatch, **kw):
    new = files.to_csv_bytes(frame, **kw)
    with monkeypatch.context() as m:
        m.setattr(files, "_neutralise_column", _cell_by_cell)
        old = files.to_csv_bytes(frame, **kw)
    return old, new


TRICKY = [
    "=1+1", "+81", "-5", "@SUM(A1)", "\tx", "\rx", "＝式", "＋1", "－2", "＠a",
    'say "hi"', "a,b", "line\nbreak", "", " =not", "a-b", "名前", "きたの市 北体育館",
    "'already", "x=1",
]  # fmt: skip


def test_tricky_text_columns(monkeypatch):
    n = len(TRICKY)
    frame = pd.DataFrame(
        {
            "text": TRICKY,
            "text_none": [None if i % 3 == 0 else v for i, v in enumerate(TRICKY)],
            "text_nan": [np.nan if i % 4 == 0 else v for i, v in enumerate(TRICKY)],
            "arrow": pd.array(TRICKY, dtype="string"),
            "lists": [["ventilator", "suction"], ("a", "=b"), np.array([1, 2]), None, "=x"]
            * (n // 5),
            "mixed": [1, "=2", 3.5, True, None] * (n // 5),
            "bools": [True, False] * (n // 2),
            "bool_none": [True, None, False, None] * (n // 4),
            "boolean": pd.array([True, None, False, True] * (n // 4), dtype="boolean"),
            "floats": np.linspace(-1.5, 1e6, n) / 3,
            "float_nan": [np.nan, 0.1, -0.0, 1e-9, 19.84911287108306] * (n // 5),
            "ints": np.arange(-10, 10),
            "Int64": pd.array([1, None, -3, 4] * (n // 4), dtype="Int64"),
            "obj_floats": pd.Series([1.25, None, -2.0, np.nan] * (n // 4), dtype=object),
            "dates": pd.date_range("2024-04-01", periods=n, freq="D"),
            "tz": pd.date_range("2024-04-01", periods=n, freq="h", tz="Asia/Tokyo"),
            "pydates": [dt.date(2024, 4, 1 + i % 28) for i in range(n)],
            "=danger": ["ok"] * n,
            "-col": [None] * n,
        }
    )
    old, new = _both(frame, monkeypatch)
    assert new == old
    assert new.startswith(files.BOM)
    text = new.decode("utf-8-sig")
    assert "'=1+1" in text and "'－2" in text and "'=danger" in text and '"say ""hi"""' in text


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_frames(monkeypatch, rows):
    frame = pd.DataFrame({"a": ["=x"] * rows, "b": [None] * rows, "c": [1.5] * rows})
    old, new = _both(frame, monkeypatch)
    assert new == old


def test_evacuation_shaped_frame(monkeypatch):
    # the shape of an evacuation export: text, codes, bool-or-None, minutes, a point per child
    rng = np.random.default_rng(7)
    n = 3000
    text = np.array(["きたの市 北体育館", "=1", "-", "", "a;b", "避難所\n2", '"q"'], dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "triage_rank": np.arange(1, n + 1),
            "child_id": [f"D{i:06d}" for i in range(n)],
            "municipality_code": rng.choice(["99204", "13101"], n),
            "care": [["ventilator", "suction"] if i % 7 == 0 else "oxygen" for i in range(n)],
            "shelter_name": rng.choice(text, n),
            "reason": [None if i % 5 == 0 else "人工呼吸器; 個別避難計画なし" for i in range(n)],
            "shelter_has_power": rng.choice(np.array([True, False, None], dtype=object), n),
            "minutes_normal": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 60),
            "hazard_level": rng.integers(0, 9, n),
            "isolated": rng.random(n) < 0.2,
        },
        geometry=[Point(139 + i * 1e-5, 35 + i * 1e-5) for i in range(n)],
        crs="EPSG:4326",
    )
    old, new = _both(frame, monkeypatch)
    assert new == old
