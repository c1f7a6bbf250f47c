"""Evacuation risk on the hand-made world (tests/analysis_world.py), worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_world import world

from analysis import context, evacuation, exposure


@pytest.fixture(scope="module")
def ctx():
    return context.from_layers(world())


@pytest.fixture(scope="module")
def ev(ctx):
    return evacuation.evacuation(ctx, hazard_level=2).set_index("child_id")


def test_point_exposure_by_hand(ctx):
    ex = exposure.point_exposure(ctx.children, ctx.hazards)
    assert ex["flood_level"].tolist() == [0, 3, 0, 0]  # only c2 (node 6) is in the square
    assert ex["flood_depth_m"].iloc[1] == 4.0 and ex.index.equals(ctx.children.index)


def test_shelter_choice_and_minutes(ev):
    # S3 sits inside the flood square and is never suitable; S1 has no power
    assert ev.loc["c1", "shelter_id"] == "S2" and ev.loc["c1", "minutes_normal"] == 5.0
    # c3 needs power (suction): S2 is 4 edges away although S1 is next door
    assert ev.loc["c3", "shelter_id"] == "S2" and ev.loc["c3", "minutes_normal"] == 20.0
    assert ev.loc["c3", "primary_shelter_id"] == "S1" and ev.loc["c3", "primary_minutes"] == 5.0
    assert not ev.loc["c3", "primary_has_power"]
    # c4: 10 min normally; with the square's roads closed it goes round the west: 30 min
    assert ev.loc["c4", "minutes_normal"] == 10.0 and ev.loc["c4", "minutes_hazard"] == 30.0


def test_isolated_child_in_deep_flood(ev):
    assert ev["isolated"].to_dict() == {"c1": False, "c3": False, "c2": True, "c4": False}
    assert np.isnan(ev.loc["c2", "minutes_hazard"])
    assert ev.loc["c2", "hazard_type"] == "flood" and ev.loc["c2", "hazard_level"] == 3
    assert ev.loc["c2", "depth_m"] == 4.0


def test_power_and_need(ev):
    assert ev["power_dependent"].to_dict() == {"c1": True, "c3": True, "c2": False, "c4": False}
    assert ev.loc["c1", "high_need"] and not ev.loc["c4", "high_need"]


def test_triage_default_and_flood(ctx, ev):
    assert ev["triage_rank"].sort_values().index.tolist() == ["c1", "c3", "c2", "c4"]
    flood = evacuation.evacuation(ctx, hazard_type="flood").set_index("child_id")
    # hazard rows: ventilator, power-dependent, then the rest by exposure (c2 level 3 first)
    assert flood["triage_rank"].sort_values().index.tolist() == ["c1", "c3", "c2", "c4"]
    assert flood.loc["c4", "care_priority"] == flood.loc["c2", "care_priority"] == 3


def test_triage_table_by_disaster():
    care = [["tube_feeding"], ["suction"], ["ventilator"], ["catheterization"], []]
    p = evacuation.care_priority(care, disaster="earthquake_power_outage")
    assert p.tolist() == [5, 2, 1, 6, 7]
    q = evacuation.care_priority(care, disaster="earthquake_power_water_outage")
    assert q.tolist() == [4, 2, 1, 5, 6]  # water outage raises tube feeding
    r = evacuation.care_priority(care, disaster="landslide")  # falls back to the hazard rows
    assert r.tolist() == [3, 2, 1, 3, 3]
    with pytest.raises(ValueError, match="triage.csv"):
        evacuation.care_priority(care, disaster="volcano_and_meteor")


def test_only_unpowered_nearby():
    layers = world()
    sh = layers["shelters"].copy()
    sh["has_power"] = pd.array([False, False, False], dtype="boolean")
    layers["shelters"] = sh
    ev = evacuation.evacuation(context.from_layers(layers)).set_index("child_id")
    # no shelter has power: power-dependent children have no suitable shelter at all
    assert pd.isna(ev.loc["c1", "shelter_id"]) and ev.loc["c1", "only_unpowered_nearby"]
    assert ev.loc["c4", "shelter_id"] in {"S1", "S2"}


def test_call_list_has_ids_and_no_names(ev):
    cl = evacuation.call_list(ev.reset_index())
    assert cl.columns[0] == "優先順位" and "管理番号" in cl.columns
    assert cl["優先順位"].tolist() == [1, 2, 3, 4]
    assert not any("氏名" in c or c == "name" for c in cl.columns)
