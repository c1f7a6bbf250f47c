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
    assert r["summary"].loc["short_stay_medical"].tolist() == [0, 1, 1]
    after = r["area_gaps_after"].set_index(["area_id", "service"])
    assert after.loc[("W", "short_stay_medical"), "covered"] == 1
    assert np.all(r["area_gaps_after"]["covered"].to_numpy() >= 0)
