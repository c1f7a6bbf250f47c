"""Shelters whose backup power is unknown (every GSI 指定避難所 of a real import: the open data
has no power column) must not be reported as shelters without power.

Seen on a real 東京都 workspace (3,185 GSI shelters, has_power all unknown): a ventilator
child in a flood zone got 「適した避難所なし」, 「適した避難所に到達できない（平常時も）」 and
「近くの避難所に非常用電源なし」 on the 防災 call list: analysis/evacuation.py reads an unknown
``has_power`` as False (``fillna(False)``), against "unknown stays unknown" (docs/importing.md).
"""

from __future__ import annotations

import pytest
from analysis_world import world

from analysis import context, evacuation


@pytest.mark.xfail(
    strict=True,
    reason="analysis/evacuation.py (H2): unknown has_power is read as 'no power' "
    "(_power_mask / suitable: fillna(False))",
)
def test_unknown_shelter_power_is_not_called_no_power():
    w = world()
    w["shelters"] = w["shelters"].assign(has_power=None)  # as imported from GSI open data
    ev = evacuation.evacuation(context.from_layers(w), hazard_level=2).set_index("child_id")
    powered = ev[ev["power_dependent"].astype(bool)]
    assert len(powered)  # c1 (ventilator) and c3
    for cid, reason in powered["reason"].items():
        assert "非常用電源なし" not in reason, (cid, reason)
