"""bench.travel on a tiny grid: every engine agrees with ikemap and the RESULT line parses.

No timing is asserted (the numbers depend on the machine); this only keeps the benchmark
runnable and its agreement checks honest. pandana is optional (the ``bench`` extra).
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("networkx")

TINY = ["--nodes", "2000", "--children", "200", "--facilities", "36", "--k", "3", "--threads", "2"]


def _result(out):
    lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
    assert len(lines) == 1, out[-2000:]
    return dict(kv.split("=", 1) for kv in lines[0].split()[1:])


def _run(args, tmp_path, monkeypatch, capsys):
    from bench import roads, travel

    monkeypatch.setattr(roads, "OUT", tmp_path)  # the graph cache and the CCH folder
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # pandana's OpenMP: no spinning on a busy box
    rc = travel.main([*TINY, *args])
    out = capsys.readouterr().out
    assert "DISAGREEMENT" not in out, out[-3000:]
    assert rc == 0
    # the grid cache went to the temporary folder, the CCH folder was removed
    assert [p.name for p in tmp_path.iterdir()] == ["grid_v2_2000_0.npz"]
    return out, _result(out)


def test_bench_travel_tiny_grid_engines_agree(tmp_path, monkeypatch, capsys):
    out, res = _run(["--nx-sample", "4", "--no-pandana"], tmp_path, monkeypatch, capsys)
    assert res["nodes"] == "2025"  # 45 x 45 grid
    assert res["children"] == "200"
    assert res["facilities"] == "36"
    assert res["engine"] in ("cch", "dijkstra")
    for key in ("ikemap_s", "ikemap_cpu_s", "ikemap_warm_s", "networkx_s", "speedup_networkx"):
        assert math.isfinite(float(res[key])), key
    assert res["pandana_s"] == "nan"
    assert float(res["peak_mb"]) > 0
    # every engine was checked, on both directions
    for name in ("numba", "scipy", "networkx"):
        for d in ("to_facility", "to_home"):
            assert f"agreement {d} {name} vs ikemap: 0 differing cells" in out
    assert "agreement former per-group engine: 0 differing" in out
    assert "networkx sample: 4 random locations of" in out
    assert "pandana unavailable: skipped (--no-pandana)" in out


def test_bench_travel_tiny_grid_pandana_agrees(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandana")
    out, res = _run(["--no-networkx", "--no-scipy"], tmp_path, monkeypatch, capsys)
    assert math.isfinite(float(res["pandana_s"]))
    assert math.isfinite(float(res["speedup_pandana"]))
    assert "agreement pandana: 0 of " in out
    assert " 0 within lists differ" in out
