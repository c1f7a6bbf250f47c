"""E2SFCA numeric core on matrices small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import e2sfca


def test_decay_shapes():
    g = e2sfca.decay([0, 1800, 3600, 3601, np.inf], 3600)
    assert g[0] == pytest.approx(1.0)
    # (exp(-1/8) - exp(-1/2)) / (1 - exp(-1/2))
    assert g[1] == pytest.approx((np.exp(-0.125) - np.exp(-0.5)) / (1 - np.exp(-0.5)))
    assert g[2] == pytest.approx(0.0)
    assert g[3] == 0.0 and g[4] == 0.0
    s = e2sfca.decay([0, 1199, 1200, 2399, 2400, 3600, 3601], 3600, kind="step")
    assert s.tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0.0]
    assert e2sfca.decay([10, 4000], 3600, kind="none").tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="Unknown decay"):
        e2sfca.decay([1], 10, kind="cubic")


def test_3x3_by_hand_without_decay():
    # children 0,1,2; facilities A(cap 6), B(cap 3), C(cap 4)
    # A reaches 0 and 1; B reaches 1 and 2; C reaches nobody
    d = [0, 1, 1, 2]
    s = [0, 0, 1, 1]
    t = [0, 0, 0, 0]
    a, r = e2sfca.e2sfca(
        d, s, t, n_demand=3, n_supply=3, capacity=[6, 3, 4], catchment_s=1800, kind="none"
    )
    # R_A = 6/2 = 3, R_B = 3/2 = 1.5, R_C undefined
    assert r[0] == pytest.approx(3.0) and r[1] == pytest.approx(1.5) and np.isnan(r[2])
    # A_0 = 3, A_1 = 3 + 1.5, A_2 = 1.5
    assert a.tolist() == pytest.approx([3.0, 4.5, 1.5])


def test_3x3_with_step_decay_by_hand():
    # one facility of 10 places; child 0 at 0 min (w=1), child 1 at 15 min of a 30-min
    # catchment (zone 2, w=0.68), child 2 beyond (w=0)
    a, r = e2sfca.e2sfca(
        [0, 1, 2],
        [0, 0, 0],
        [0, 900, 2000],
        n_demand=3,
        n_supply=1,
        capacity=[10],
        catchment_s=1800,
        kind="step",
    )
    # zone of 900 s: floor(3*900/1800) = 1 -> 0.68; zone of 2000 s: outside
    assert r[0] == pytest.approx(10 / (1 + 0.68))
    assert a.tolist() == pytest.approx([10 / 1.68, 0.68 * 10 / 1.68, 0.0])


@pytest.mark.parametrize("kind", ["gaussian", "step", "none"])
def test_supply_sums_to_capacity_when_everyone_reaches_everything(kind):
    rng = np.random.default_rng(7)
    n_d, n_s = 9, 4
    d, s = np.meshgrid(np.arange(n_d), np.arange(n_s), indexing="ij")
    t = rng.uniform(0, 1700, size=d.shape)
    cap = rng.integers(1, 20, size=n_s).astype(float)
    dem = rng.uniform(0.5, 3, size=n_d)
    a, _ = e2sfca.e2sfca(
        d.ravel(),
        s.ravel(),
        t.ravel(),
        n_demand=n_d,
        n_supply=n_s,
        capacity=cap,
        catchment_s=1800,
        demand=dem,
        kind=kind,
    )
    assert (dem * a).sum() == pytest.approx(cap.sum())


def test_no_pairs_gives_zero_access():
    a, r = e2sfca.e2sfca([], [], [], n_demand=2, n_supply=1, capacity=[3], catchment_s=60)
    assert a.tolist() == [0.0, 0.0] and np.isnan(r[0])


def test_capacity_shape_is_checked():
    with pytest.raises(ValueError, match="one value per facility"):
        e2sfca.e2sfca([0], [0], [0], n_demand=1, n_supply=2, capacity=[1], catchment_s=60)
