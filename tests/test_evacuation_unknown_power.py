"""Shelters whose backup power is unknown (every GSI 指定避難所 of a real import: the open data
has no power column) must not be reported as shelters without power.

Seen on a real 東京都 workspace (3,185 GSI shelters, has_power all unknown): a ventilator
child in a flood zone got 「適した避難所なし」, 「適した避難所に到達できない（平常時も）」 and
「近くの避難所に非常用電源なし」 on the 防災 call list: analysis/evacuation.py reads an unknown
``has_power`` as False (``fillna(False)``), against "unknown stays unknown" (docs/importing.md).

Now: a shelter of unknown power is neither ruled out for a power-dependent child nor counted as
powered (``powered_*`` is "known to have power"); its ``*_has_power`` is None (shown 不明), and a
power-dependent child with no known powered shelter nearby but some unknown gets
「近くの避難所の非常用電源は不明（要確認）」. Fully known power gives the same table as before.
"""

from __future__ import annotations

import pandas as pd
from analysis_world import world

from analysis import context, evacuation


def test_unknown_shelter_power_is_not_called_no_power():
    w = world()
    w["shelters"] = w["shelters"].assign(has_power=None)  # as imported from GSI open data
    ev = evacuation.evacuation(context.from_layers(w), hazard_level=2).set_index("child_id")
    powered = ev[ev["power_dependent"].astype(bool)]
    assert len(powered)  # c1 (ventilator) and c3
    for cid, reason in powered["reason"].items():
        assert "非常用電源なし" not in reason, (cid, reason)


def _evac(has_power):
    w = world()
    w["shelters"] = w["shelters"].assign(has_power=pd.array(has_power, dtype="boolean"))
    return evacuation.evacuation(context.from_layers(w), hazard_level=2).set_index("child_id")


def test_all_unknown_power_keeps_shelters_and_says_unknown():
    # S1 @4 designated, S2 @3 welfare, S3 @6 in the flood square (never suitable); power unknown
    ev = _evac([None, None, None])
    known = _evac([False, True, True])  # the world as drawn: same shelters, same minutes
    for col in ("shelter_id", "minutes_normal", "primary_shelter_id", "welfare_shelter_id"):
        assert ev[col].equals(known[col]), col
    assert ev["cut_off"].to_dict() == {"c1": "", "c3": "", "c2": "in_zone", "c4": ""}
    assert ev["triage_rank"].to_dict() == known["triage_rank"].to_dict()
    # no shelter is known to have power: no powered tier, and every has_power is unknown
    assert ev["powered_shelter_id"].isna().all() and ev["powered_minutes"].isna().all()
    for col in ("shelter_has_power", "primary_has_power", "welfare_has_power"):
        assert ev[col].isna().all(), col
    assert not ev["only_unpowered_nearby"].any()
    for cid in ("c1", "c3"):  # power-dependent: asked to check, never told "no power"
        reason = ev.loc[cid, "reason"]
        assert "近くの避難所の非常用電源は不明（要確認）" in reason, reason
        assert "適した避難所なし" not in reason and "非常用電源なし" not in reason, reason
    for cid in ("c2", "c4"):  # not power-dependent: nothing to check
        assert "非常用電源" not in ev.loc[cid, "reason"]


def test_known_unpowered_is_left_out_unknown_kept_known_powered_preferred_tier():
    # S1 unknown (next to c3), S2 known without power, S3 powered but in the flood square
    ev = _evac([None, False, True])
    # c3 (suction) @7: S1 is one edge away, its power unknown -> recommended, not ruled out
    assert ev.loc["c3", "shelter_id"] == "S1" and ev.loc["c3", "minutes_normal"] == 5.0
    assert pd.isna(ev.loc["c3", "shelter_has_power"])
    # c1 (ventilator) @2: S2 (welfare, known without power) is left out; S1 @4 is 10 min
    assert ev.loc["c1", "shelter_id"] == "S1" and ev.loc["c1", "minutes_normal"] == 10.0
    assert pd.isna(ev.loc["c1", "welfare_shelter_id"])
    # a child without power needs still gets the welfare shelter, shown as without power
    assert ev.loc["c4", "welfare_shelter_id"] == "S2" and ev.loc["c4", "welfare_has_power"] is False
    assert ev["powered_shelter_id"].isna().all()  # S3 is the only powered one, in the zone
    assert "近くの避難所の非常用電源は不明（要確認）" in ev.loc["c1", "reason"]


def test_mix_known_powered_tier_and_tristate():
    # S1 unknown, S2 known powered, S3 known without power (in the zone anyway)
    ev = _evac([None, True, False])
    assert ev.loc["c1", "shelter_id"] == "S2" and ev.loc["c1", "shelter_has_power"] is True
    assert ev.loc["c3", "powered_shelter_id"] == "S2" and ev.loc["c3", "powered_minutes"] == 20.0
    assert ev.loc["c3", "primary_shelter_id"] == "S1" and pd.isna(ev.loc["c3", "primary_has_power"])
    assert ev.loc["c4", "shelter_id"] == "S1" and pd.isna(ev.loc["c4", "shelter_has_power"])
    # a known powered shelter within reach: nothing to check, nothing missing
    for cid in ("c1", "c3"):
        assert "非常用電源" not in ev.loc[cid, "reason"], ev.loc[cid, "reason"]
    assert not ev["only_unpowered_nearby"].any()


def test_all_known_unpowered_still_says_no_power():
    ev = _evac([False, False, False])
    assert ev.loc["c1", "only_unpowered_nearby"] and pd.isna(ev.loc["c1", "shelter_id"])
    assert "近くの避難所に非常用電源なし" in ev.loc["c1", "reason"]
    assert "不明" not in ev.loc["c1", "reason"]
    assert ev.loc["c4", "shelter_has_power"] is False


def test_suitable_power_leaves_out_only_known_unpowered():
    sh = pd.DataFrame(
        {
            "kind": ["designated_shelter"] * 3,
            "hazards_ok": [["flood"]] * 3,
            "has_power": pd.array([True, False, None], dtype="boolean"),
        }
    )
    ex = pd.DataFrame({"flood_level": [0, 0, 0], "max_level": [0, 0, 0]})
    assert evacuation.suitable(sh, ex, "flood", power=True).tolist() == [True, False, True]
    no_col = sh.drop(columns="has_power")  # no power column at all: unknown
    assert evacuation.suitable(no_col, ex, "flood", power=True).tolist() == [True, True, True]
