"""Site suggestion on the hand-made world (tests/analysis_world.py) and the covering core."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from analysis_world import node_xy, world
from shapely.geometry import Point

from analysis import context, sites


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


def test_milp_beats_greedy_on_the_classic_trap():
    pairs = ([1, 2, 3, 4, 0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    kw = {"n_demand": 6, "n_cand": 3, "weights": [1.0] * 6, "k": 2}
    exact, solver = sites.maximal_covering(*pairs, **kw)
    greedy, gsolver = sites.maximal_covering(*pairs, method="greedy", **kw)
    assert solver == "highs" and gsolver == "greedy"
    assert sum(g for _, g in exact) == 6.0 and sum(g for _, g in greedy) == 5.0


def test_greedy_fallback_above_the_size_limit(monkeypatch):
    monkeypatch.setattr(sites, "MILP_MAX_NNZ", 3)
    chosen, solver = sites.maximal_covering(
        [0, 1, 2, 3], [0, 0, 1, 1], n_demand=4, n_cand=2, weights=[1, 1, 1, 5], k=1
    )
    assert solver == "greedy" and chosen == [(1, 6.0)]


def test_weights_decide():
    chosen, _ = sites.maximal_covering(
        [0, 1, 2], [0, 0, 1], n_demand=3, n_cand=2, weights=[1, 1, 3], k=1
    )
    assert chosen == [(1, 3.0)]


def test_clusters_by_hand():
    lab = sites.clusters([0, 50, 100, 10_000, 10_050], [0] * 5, eps_m=100, min_samples=2)
    assert lab.tolist() == [0, 0, 0, 1, 1]


def test_clusters_follow_dbscan_numbering_and_border_rule():
    # eps 10 inclusive, min_samples counts the point itself. x: 0 10 20 | 40 | 55 65 75 | 500
    # with min_samples 3: cores 10 (0, 20 within) and 65; 40 is 20 from 20 and 15 from 55:
    # noise; clusters are numbered by their first core point
    x = [0, 10, 20, 40, 55, 65, 75, 500]
    lab = sites.clusters(x, [0] * len(x), eps_m=10, min_samples=3)
    assert lab.tolist() == [0, 0, 0, -1, 1, 1, 1, -1]
    # min_samples 4: x=25 has only 15 and 35 within 10 (3 points): a border point of both
    # clusters; it joins the lower-numbered one, the cluster whose first core comes first
    x = [25, 35, 40, 45, 50, 0, 5, 10, 15]
    assert sites.clusters(x, [0] * 9, eps_m=10, min_samples=4).tolist() == [0] * 5 + [1] * 4
    x = [25, 0, 5, 10, 15, 35, 40, 45, 50]
    assert sites.clusters(x, [0] * 9, eps_m=10, min_samples=4).tolist() == [0] * 5 + [1] * 4
    assert sites.clusters([], [], eps_m=10).tolist() == []
    # a 3-4-5 triangle: distance 5 is within eps 5 (inclusive)
    assert sites.clusters([0, 3, 4], [0, 4, 0], eps_m=5, min_samples=3).tolist() == [0, 0, 0]


def test_suggest_by_hand(ctx):
    # at 4 minutes nobody is covered; the ventilator child (weight 3) and the suction child
    # (weight 2) beat tube feeding (1.5) and no care (1)
    s = sites.suggest(
        ctx, service="short_stay_medical", k=2, threshold_min=4, min_samples=1, eps_m=500
    )
    assert s["node_id"].tolist() == [2, 7]
    assert s["newly_covered_weight"].tolist() == [3.0, 2.0]
    assert s["cumulative_covered"].tolist() == [1, 2] and s["solver"].iloc[0] == "highs"


def test_user_candidates_and_hazard_exclusion(ctx):
    cands = pd.DataFrame(
        {
            "candidate_id": ["in_flood", "dry"],
            "lat": [node_xy(6)[1], node_xy(2)[1]],
            "lon": [node_xy(6)[0], node_xy(2)[0]],
        }
    )
    s = sites.suggest(ctx, service="short_stay_medical", k=2, threshold_min=4, candidates=cands)
    assert set(s["candidate_id"]) == {"in_flood", "dry"}
    s2 = sites.suggest(
        ctx,
        service="short_stay_medical",
        k=2,
        threshold_min=4,
        candidates=cands,
        exclude_hazard_level=1,
    )
    assert s2["candidate_id"].tolist() == ["dry"]


def test_what_if_recomputes_coverage_and_gaps(ctx):
    new = gpd.GeoDataFrame(
        {
            "facility_id": ["new-1"],
            "name": ["新設"],
            "service": ["short_stay_medical"],
            "accepts": [["suction", "ventilator"]],
        },
        geometry=[Point(node_xy(7))],
        crs="EPSG:4326",
    )
    r = sites.what_if(ctx, new, role="admin", thresholds={"short_stay_medical": 4})
    summ = r["summary"].loc["short_stay_medical"]
    assert summ[["covered_before", "covered_after", "gain"]].tolist() == [0, 1, 1]
    # the new site's capacity is unknown: c3 is within reach of it but has no known place
    assert summ[["placed_before", "placed_after", "capacity_unknown_after"]].tolist() == [0, 0, 1]
    after = r["area_gaps_after"].set_index(["area_id", "service"])
    assert after.loc[("W", "short_stay_medical"), "covered"] == 1
    assert np.all(r["area_gaps_after"]["covered"].to_numpy() >= 0)


def test_capacitated_core_by_hand():
    # site 0 reaches children 0-2 with 1 place, site 1 reaches 1-2 with 2 places
    pairs = ([0, 1, 2, 1, 2], [0, 0, 0, 1, 1])
    kw = {"n_demand": 3, "n_cand": 2, "weights": [1, 1, 1]}
    chosen, at, solver = sites.capacitated_covering(*pairs, k=1, capacity=[1, 2], **kw)
    assert (chosen, at.tolist(), solver) == ([(1, 2.0)], [-1, 1, 1], "highs")
    # uncapacitated, site 0 would win (3 children)
    assert sites.maximal_covering(*pairs, k=1, **kw)[0] == [(0, 3.0)]
    # two sites: every child gets a place (0 -> site 0, 1 and 2 -> site 1)
    chosen, at, _ = sites.capacitated_covering(*pairs, k=2, capacity=[1, 2], **kw)
    assert sorted(j for j, _ in chosen) == [0, 1] and at.tolist() == [0, 1, 1]
    # the greedy fallback answers the same here and says so
    chosen, at, solver = sites.capacitated_covering(
        *pairs, k=1, capacity=[1, 2], method="greedy", **kw
    )
    assert (chosen, solver) == ([(1, 2.0)], "greedy") and at.tolist() == [-1, 1, 1]


def test_capacitated_milp_beats_greedy():
    # S0 (2 places) reaches A (3), B (3); S1 (2) reaches A, C (2); S2 (2) reaches B, D (2).
    # k=2: greedy takes S0 (6) and then C or D (2) = 8; the optimum S1 + S2 places all four = 10
    pairs = ([0, 1, 0, 2, 1, 3], [0, 0, 1, 1, 2, 2])
    kw = {"n_demand": 4, "n_cand": 3, "weights": [3, 3, 2, 2], "k": 2, "capacity": [2, 2, 2]}
    exact, at, solver = sites.capacitated_covering(*pairs, **kw)
    greedy, gat, gsolver = sites.capacitated_covering(*pairs, method="greedy", **kw)
    assert solver == "highs" and sorted(j for j, _ in exact) == [1, 2]
    assert sum(g for _, g in exact) == 10.0 and at.tolist() == [1, 2, 1, 2]
    assert gsolver == "greedy" and greedy[0] == (0, 6.0) and sum(g for _, g in greedy) == 8.0
    assert (gat >= 0).sum() == 3


def _capacity_world(caps):
    layers = world()
    fac = layers["facilities"].copy()
    fac["capacity"] = pd.array(caps, dtype="Int64")
    layers["facilities"] = fac
    return context.from_layers(layers)


def test_capacitated_suggest_by_hand():
    # 6 minutes, F1 0 places, F2 1, F3 0: c3 takes F2 (5 min); c1 (ventilator, 3), c2 (tube
    # feeding, 1.5) and c4 (no care, 1) are without a place. Candidates: A at node 5 reaches
    # c1 and c2 (5 min), B at node 6 reaches c2 (0) and c4 (5).
    c = _capacity_world([0, 1, 0, 3])
    cands = pd.DataFrame(
        {
            "candidate_id": ["A", "B"],
            "lat": [node_xy(5)[1], node_xy(6)[1]],
            "lon": [node_xy(5)[0], node_xy(6)[0]],
        }
    )
    kw = {"service": "short_stay_medical", "threshold_min": 6, "candidates": cands}
    one = sites.suggest(c, k=1, capacity=1, capacitated=True, **kw)
    assert one["candidate_id"].tolist() == ["A"] and one["newly_covered"].tolist() == [1]
    assert one["newly_covered_weight"].tolist() == [3.0]
    assert one["uncovered_before"].iloc[0] == 3
    assert (one["placed_before"].iloc[0], one["placed_after"].iloc[0]) == (1, 2)
    assert one["capacitated"].all() and one["site_capacity"].iloc[0] == 1.0
    assert one.attrs["defaults"] == ["accepts", "age_max", "age_min"]
    # two sites of 1 place: A places c1, B places c2 (heavier than c4)
    two = sites.suggest(c, k=2, capacity=1, capacitated=True, **kw)
    assert two["candidate_id"].tolist() == ["A", "B"]
    assert two["newly_covered_weight"].tolist() == [3.0, 1.5]
    assert two["placed_after"].iloc[0] == 3
    # a site that accepts tube feeding only: c1 cannot go there; B (c2 + c4) wins
    tube = sites.suggest(c, k=1, capacity=2, capacitated=True, accepts=["tube_feeding"], **kw)
    assert tube["candidate_id"].tolist() == ["B"] and tube["newly_covered"].tolist() == [2]
    assert tube["site_accepts"].iloc[0] == "tube_feeding"
    # default capacity is the service's median known capacity (0, 1, 0 -> 0): nobody placed
    zero = sites.suggest(c, k=1, capacitated=True, **kw)
    assert zero.empty
    # without capacity at all the request is refused with the fix
    layers = world()
    fac = layers["facilities"].copy()
    fac["capacity"] = pd.array([None] * 4, dtype="Int64")
    layers["facilities"] = fac
    with pytest.raises(ValueError, match="give capacity="):
        sites.suggest(context.from_layers(layers), k=1, capacitated=True, **kw)


def test_site_defaults(ctx):
    d = sites.site_defaults(ctx, "short_stay_medical")
    # medical service: every care code; median of 2, 4, 1; the service's ages (0, no upper)
    assert "ventilator" in d["accepts"] and len(d["accepts"]) == 11
    assert d["capacity"] == 2.0 and d["age_min"] == 0 and np.isnan(d["age_max"])
    nd = sites.site_defaults(ctx, "child_development")  # no facility of it in the world
    assert nd["accepts"] == [] and nd["capacity"] is None and nd["age_max"] == 6


def test_capacitated_greedy_fallback_above_the_size_limit(monkeypatch):
    monkeypatch.setattr(sites, "MILP_CAP_MAX_NNZ", 3)
    pairs = ([0, 1, 0, 2, 1, 3], [0, 0, 1, 1, 2, 2])
    kw = {"n_demand": 4, "n_cand": 3, "weights": [3, 3, 2, 2], "k": 2, "capacity": [2, 2, 2]}
    chosen, _, solver = sites.capacitated_covering(*pairs, **kw)
    assert solver == "greedy" and chosen[0] == (0, 6.0)


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [("--accepts", "wings", "care_types.csv"), ("--capacity", "-1", "0 or more")],
)
def test_cli_sites_bad_site_profile_fails_before_reading(tmp_path, capsys, flag, value, says):
    from ikemap import cli

    args = ["sites", "--workspace", str(tmp_path / "none.gpkg"), "--service", "life_care"]
    args += ["--k", "1", "--out", str(tmp_path / "s.csv"), "--capacitated", flag, value]
    assert cli.main(args) == 2
    assert says in capsys.readouterr().err
