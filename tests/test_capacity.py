"""Capacity-aware coverage: the assignment core by hand, then the hand-made world.

World (tests/analysis_world.py), short_stay_medical within 12 minutes, compatible pairs:
c1 -> F1 5, F2 10; c2 -> F3 5, F2 10; c3 -> F2 5; c4 -> F2 5, F3 10 (F1 is 20 min away).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_world import world

from analysis import capacity, context, gaps

SS = "short_stay_medical"


def _status(r):
    return r.status.tolist()


def test_nearest_first_fills_the_nearest_facility_then_the_next():
    # facility 0 (1 place): child 0 at 10 s, child 1 at 20 s; facility 1 (1 place): child 1 at
    # 30 s. Child 0 takes 0, child 1 finds 0 full and takes 1 at 30 s.
    r = capacity.assign([0, 1, 1], [0, 0, 1], [10, 20, 30], n_children=2, capacity=[1, 1])
    assert _status(r) == ["placed", "placed"]
    assert r.facility.tolist() == [0, 1] and r.time_s.tolist() == [10.0, 30.0]
    assert r.load.tolist() == [1, 1] and r.full.tolist() == [True, True]


def test_ties_go_to_the_lower_child_position_then_the_lower_facility():
    r = capacity.assign([1, 0], [0, 0], [60, 60], n_children=2, capacity=[1])
    assert _status(r) == ["placed", "no_place"]
    # one child, two facilities at the same time: the lower facility position
    r = capacity.assign([0, 0], [1, 0], [60, 60], n_children=1, capacity=[1, 1])
    assert r.facility.tolist() == [0] and r.load.tolist() == [1, 0]


def test_greedy_by_time_is_not_an_optimum_as_documented():
    # A (0) reaches F0 at 10 and F1 at 20; B (1) reaches F0 only at 15; one place each.
    # Nearest first: A takes F0, B is left without a place although F1 stays empty.
    r = capacity.assign([0, 0, 1], [0, 1, 0], [10, 20, 15], n_children=2, capacity=[1, 1])
    assert _status(r) == ["placed", "no_place"] and r.load.tolist() == [1, 0]
    assert r.full.tolist() == [True, False]


def test_need_order_places_high_need_first():
    # child 0 (weight 1) is nearer; child 1 (ventilator, weight 3) comes first by need
    kw = {"n_children": 2, "capacity": [1]}
    assert _status(capacity.assign([0, 1], [0, 0], [10, 50], **kw)) == ["placed", "no_place"]
    r = capacity.assign([0, 1], [0, 0], [10, 50], order="need", weights=[1, 3], **kw)
    assert _status(r) == ["no_place", "placed"] and r.time_s[1] == 50.0
    # equal weights fall back on time
    r = capacity.assign([0, 1], [0, 0], [10, 50], order="need", weights=[2, 2], **kw)
    assert _status(r) == ["placed", "no_place"]


def test_unknown_capacity_is_neither_infinite_nor_zero():
    # F0 unknown capacity, F1 one place, F2 zero places (known)
    # child 0 reaches F0 only -> unknown; child 1 reaches F0 (5) and F1 (9) -> placed at F1
    # child 2 reaches F1 (12, full by then) and F0 -> unknown; child 3 reaches F2 only ->
    # no_place; child 4 reaches nothing -> out_of_reach
    r = capacity.assign(
        [0, 1, 1, 2, 2, 3],
        [0, 0, 1, 1, 0, 2],
        [1, 5, 9, 12, 3, 4],
        n_children=5,
        capacity=[None, 1, 0],
    )
    assert _status(r) == ["unknown", "placed", "unknown", "no_place", "out_of_reach"]
    assert r.facility.tolist() == [-1, 1, -1, -1, -1]
    assert np.isnan(r.places[0]) and r.places[1:].tolist() == [1.0, 0.0]
    # the unknown facility is never "full" and takes nobody
    assert r.full.tolist() == [False, True, True] and r.load.tolist() == [0, 1, 0]
    assert capacity.counts(r.status) == {
        "placed": 1,
        "no_place": 1,
        "unknown": 2,
        "out_of_reach": 1,
    }


def test_children_per_place_and_bad_input():
    assert capacity.places([3, 4], children_per_place=1.5).tolist() == [4.0, 6.0]
    r = capacity.assign([0, 1, 2], [0, 0, 0], [1, 2, 3], n_children=3, capacity=[1])
    assert _status(r) == ["placed", "no_place", "no_place"]
    r = capacity.assign(
        [0, 1, 2], [0, 0, 0], [1, 2, 3], n_children=3, capacity=[1], children_per_place=2
    )
    assert _status(r) == ["placed", "placed", "no_place"]
    with pytest.raises(ValueError, match="order"):
        capacity.assign([0], [0], [1], n_children=1, capacity=[1], order="random")
    with pytest.raises(ValueError, match="negative"):
        capacity.assign([0], [0], [1], n_children=1, capacity=[-2])
    with pytest.raises(ValueError, match="one per facility"):
        capacity.assign([0], [3], [1], n_children=1, capacity=[1])
    with pytest.raises(ValueError, match="positive"):
        capacity.places([1], children_per_place=0)


def test_empty_inputs():
    r = capacity.assign([], [], [], n_children=2, capacity=[3])
    assert _status(r) == ["out_of_reach", "out_of_reach"] and r.load.tolist() == [0]


def _world(caps):
    layers = world()
    fac = layers["facilities"].copy()
    fac["capacity"] = pd.array(caps, dtype="Int64")
    layers["facilities"] = fac
    return context.from_layers(layers)


def test_world_by_time_and_by_need():
    # F1 0 places, F2 1, F3 1. By time (ties at 5 min by child): c2 -> F3, c3 -> F2, c4 finds
    # F2 then F3 full; c1's F1 has no place and F2 (10) is full: the ventilator child is left.
    c = _world([0, 1, 1, 3])
    t = capacity.child_capacity(c, services=[SS], thresholds={SS: 12})
    by = t.set_index("child_id")
    assert by["status"].to_dict() == {
        "c1": "no_place",
        "c2": "placed",
        "c3": "placed",
        "c4": "no_place",
    }
    assert by.loc["c3", "facility_id"] == "F2" and by.loc["c2", "minutes"] == pytest.approx(5)
    assert by["covered"].all() and (t["n_capped"] == 0).all()
    assert set(t["order"]) == {"travel_time"} and set(t["threshold_min"]) == {12.0}
    # by need: c1 (ventilator, 3) takes F2 at 10 min, c3 (suction, 2) is left
    n = capacity.child_capacity(c, services=[SS], thresholds={SS: 12}, order="need")
    nb = n.set_index("child_id")
    assert nb.loc["c1", "facility_id"] == "F2" and nb.loc["c1", "minutes"] == pytest.approx(10)
    assert nb.loc["c3", "status"] == "no_place" and nb.loc["c2", "status"] == "placed"
    load = capacity.facility_load(c, service=SS, threshold_min=12).set_index("facility_id")
    assert load["placed"].tolist() == [0, 1, 1] and load["full"].all()


def test_world_unknown_capacity_and_area_counts():
    # F2 unknown: c3 reaches only F2 -> unknown; c4 reaches F2 and F3 (full after c2) -> unknown
    c = _world([2, None, 1, 3])
    t = capacity.child_capacity(c, services=[SS], thresholds={SS: 12}).set_index("child_id")
    assert t["status"].to_dict() == {
        "c1": "placed",
        "c2": "placed",
        "c3": "unknown",
        "c4": "unknown",
    }
    g = gaps.area_gaps(c, role="admin", services=[SS], thresholds={SS: 12})
    e = g[g.area_id == "E"].iloc[0]
    w = g[g.area_id == "W"].iloc[0]
    assert (e.children, e.placed, e.no_place, e.capacity_unknown) == (3, 2, 0, 1)
    assert (w.children, w.placed, w.capacity_unknown, w.capacity_unknown_facilities) == (1, 0, 1, 0)
    assert e.capacity_unknown_facilities == 1 and e.capacity == 1.0
    # placed + no_place + unknown = covered in every row
    assert ((g.placed + g.no_place + g.capacity_unknown) == g.covered).all()


def test_no_place_flag_beside_low_coverage():
    c = _world([0, 1, 1, 3])
    g = gaps.area_gaps(c, role="admin", services=[SS], thresholds={SS: 12})
    e = g[g.area_id == "E"].iloc[0]
    # E: c1 and c4 without a place out of 3 = 67 % > 20 %; everyone is within reach
    assert e.coverage_pct == 100.0 and e.no_place == 2
    assert "no_place" in e["flags"].split(";") and "low_coverage" not in e["flags"].split(";")
    assert "空きなし 2人" in e["reasons"]
    # with N = 70 % the same area is not flagged
    g70 = gaps.area_gaps(c, role="admin", services=[SS], thresholds={SS: 12}, max_outside_pct=70)
    assert "no_place" not in g70[g70.area_id == "E"].iloc[0]["flags"]
    assert (g70["max_outside_pct"] == 70).all()


def test_a_capped_within_list_is_reported_never_silent(monkeypatch, caplog):
    # the grouped cross-check engine caps within lists at settings.k_max: c4 has two
    # compatible facilities within 12 minutes (F2 5, F3 10), so k_max = 1 caps it
    from analysis import coverage
    from geo import settings

    c = _world([2, 4, 1, 3])
    monkeypatch.setattr(settings, "k_max", 1)
    sp = coverage.service_pass(c, SS, threshold_s=720.0, method="groups")
    assert sp.n_capped > 0
    with caplog.at_level("WARNING", logger="analysis.capacity"):
        capacity.for_pass(c, sp)
    assert "capped" in caplog.text and "exact=True" in caplog.text
    # the default engine (travel matrix) is exact: nothing capped, reported as 0
    t = capacity.child_capacity(c, services=[SS], thresholds={SS: 12})
    assert (t["n_capped"] == 0).all()
    exact = capacity.child_capacity(c, services=[SS], thresholds={SS: 12}, exact=True)
    assert exact["status"].tolist() == t["status"].tolist()


def test_assignment_invariants_on_random_worlds():
    # a placed child sits at a facility it reaches; no facility takes more than its places; a
    # "no_place" child reaches only known, full facilities; an "unknown" child reaches one of
    # unknown capacity; the nearest-first walk never leaves a place empty that a child reaching
    # it lacks (greedy is maximal)
    rng = np.random.default_rng(11)
    for _ in range(60):
        n_c, n_f = int(rng.integers(1, 30)), int(rng.integers(1, 6))
        mask = rng.uniform(size=(n_c, n_f)) < 0.4
        pc, pf = np.nonzero(mask)
        pt = rng.integers(0, 5, len(pc)).astype(float) * 60  # ties on purpose
        cap = rng.integers(0, 4, n_f).astype(float)
        cap[rng.uniform(size=n_f) < 0.2] = np.nan
        for order in capacity.ORDERS:
            r = capacity.assign(
                pc,
                pf,
                pt,
                n_children=n_c,
                capacity=cap,
                order=order,
                weights=rng.choice([1.0, 1.5, 2.0, 3.0], n_c),
            )
            placed = r.facility >= 0
            assert all(mask[i, r.facility[i]] for i in np.flatnonzero(placed))
            known = np.isfinite(cap)
            assert (r.load[known] <= cap[known]).all() and (r.load[~known] == 0).all()
            for i in range(n_c):
                reach = np.flatnonzero(mask[i])
                if r.status[i] == "no_place":
                    assert known[reach].all() and r.full[reach].all()
                elif r.status[i] == "unknown":
                    assert (~known[reach]).any() and r.full[reach[known[reach]]].all()
                elif r.status[i] == "out_of_reach":
                    assert len(reach) == 0


def test_compiled_walk_places_exactly_like_the_python_walk(monkeypatch):
    # long walks run compiled (numba), short ones in Python: the same placements either way
    rng = np.random.default_rng(5)
    for _ in range(20):
        n_c, n_f = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        pc, pf = np.nonzero(rng.uniform(size=(n_c, n_f)) < 0.5)
        pt = rng.integers(0, 5, len(pc)).astype(float) * 60
        cap = rng.integers(0, 4, n_f).astype(float)
        w = rng.choice([1.0, 1.5, 3.0], n_c)
        out = []
        for limit in (10**9, 0):  # everything in Python, then everything compiled
            monkeypatch.setattr(capacity, "WALK_PY_MAX_PAIRS", limit)
            r = capacity.assign(pc, pf, pt, n_children=n_c, capacity=cap, order="need", weights=w)
            out.append(
                (r.facility.tolist(), np.nan_to_num(r.time_s, nan=-1).tolist(), r.status.tolist())
            )
        assert out[0] == out[1]
