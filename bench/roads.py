"""A synthetic road-like graph for benchmarks: a jittered grid with arterials and one-way streets.

About 2.5 directed edges per node (like real drive networks): ~62 % of the grid streets kept,
arterials every 10th row and column (40-50 km/h), local streets 20-30 km/h, 5 % one-way. Node
spacing ~100 m, so 1,000,000 nodes span ~100 km x 100 km (a prefecture). Travel times are whole
milliseconds, as the importers and the demo store them (so the CCH engine answers, as on a real
workspace). Seeded; cached under ``bench/out/`` as ``.npz``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"

#: Bumped when the generated graph changes (part of the cache file name). 2: whole milliseconds.
VERSION = 2


def build(n_nodes, *, seed=0, spacing_m=100.0, lon0=139.0, lat0=35.2):
    """Return dict of arrays: node_ids, lon, lat, u, v, travel_time, length."""
    rng = np.random.default_rng(seed)
    side = int(math.ceil(math.sqrt(n_nodes)))
    n = side * side
    r, c = np.divmod(np.arange(n), side)
    jx = rng.uniform(-0.25, 0.25, n) * spacing_m
    jy = rng.uniform(-0.25, 0.25, n) * spacing_m
    xm = c * spacing_m + jx
    ym = r * spacing_m + jy
    lat = lat0 + ym / 111_320.0
    lon = lon0 + xm / (111_320.0 * math.cos(math.radians(lat0)))
    # horizontal and vertical streets
    h = np.flatnonzero(c < side - 1)
    vv = np.flatnonzero(r < side - 1)
    a = np.concatenate([h, vv])
    b = np.concatenate([h + 1, vv + side])
    arterial = np.concatenate([r[h] % 10 == 0, c[vv] % 10 == 0])
    keep = arterial | (rng.random(a.size) < 0.58)
    a, b, arterial = a[keep], b[keep], arterial[keep]
    length = np.hypot(xm[b] - xm[a], ym[b] - ym[a]) * rng.uniform(1.0, 1.15, a.size)
    speed = np.where(arterial, rng.choice([40.0, 50.0], a.size), rng.choice([20.0, 30.0], a.size))
    # whole milliseconds (>= 1 ms), like the importers and the demo
    tt = np.maximum(np.round(length / (speed / 3.6), 3), 0.001)
    oneway = (~arterial) & (rng.random(a.size) < 0.05)
    flip = rng.random(a.size) < 0.5
    fa = np.where(flip, b, a)
    fb = np.where(flip, a, b)
    two = ~oneway
    u = np.concatenate([fa, fb[two]]).astype(np.int32)
    v = np.concatenate([fb, fa[two]]).astype(np.int32)
    return {
        "node_ids": np.arange(n, dtype=np.int64) + 1_000_000_000,
        "lon": lon,
        "lat": lat,
        "u": u,
        "v": v,
        "travel_time": np.concatenate([tt, tt[two]]),
        "length": np.concatenate([length, length[two]]),
    }


def load(n_nodes, *, seed=0):
    """Build or load (cached) the synthetic graph arrays."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"grid_v{VERSION}_{n_nodes}_{seed}.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    arrays = build(n_nodes, seed=seed)
    np.savez(path, **arrays)
    return arrays
