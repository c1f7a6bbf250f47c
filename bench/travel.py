"""Benchmark of the travel engine against networkx and pandana on the same inputs.

    python -m bench.travel --nodes 1000000 --children 10000 --facilities 2000 --k 3

Builds (or loads from ``bench/out/``) a synthetic prefecture road graph (``bench/roads.py``),
places children and facilities over 6 services with care tiers and age ranges, forms the
compatibility groups (service x accepted care tier; children filtered by the service's ages) and,
for every group, computes the k nearest compatible facilities and those within the service's
threshold (capped at ``--k-max``) with:

- **ikemap**: snapping + one ``geo.travel.k_nearest_within`` pass per group (numba);
- **networkx**: ``multi_source_dijkstra_path_length`` per group (nearest) plus per-child
  ``single_source_dijkstra_path_length`` with the threshold as cutoff on a sample of children,
  scaled to all (child, group) pairs; graph construction is reported apart;
- **pandana**: ``Network`` (contraction hierarchies, both directions needed) + ``set_pois`` and
  ``nearest_pois`` (k nearest, then ``k_max`` within the threshold) per group.

It asserts the engines agree on the minutes and ends with a ``RESULT`` line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import codes, network, settings, snap, travel

from . import roads as bench_roads

SERVICES = (
    "short_stay_medical",
    "child_development",
    "after_school_day",
    "daytime_care",
    "visiting_nurse",
    "home_medical",
)
TIERS = (0, 1, 2)  # care tier a child needs / the highest tier a facility accepts


def peak_mb():
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def log(msg):
    print(msg, flush=True)


def place(net, n_children, n_facilities, seed):
    """Children (points near random core nodes) and facilities (on core nodes)."""
    rng = np.random.default_rng(seed + 1)
    core = np.flatnonzero(net.core)
    st = codes.service_types()
    fnode = rng.choice(core, n_facilities, replace=False)
    fac = gpd.GeoDataFrame(
        {
            "service": [SERVICES[i % len(SERVICES)] for i in range(n_facilities)],
            "tier": rng.choice(TIERS, n_facilities, p=[0.4, 0.35, 0.25]),
        },
        geometry=gpd.points_from_xy(net.lon[fnode], net.lat[fnode]),
        crs="EPSG:4326",
    )
    cnode = rng.choice(core, n_children)
    jit = rng.uniform(-0.0006, 0.0006, (n_children, 2))
    kids = gpd.GeoDataFrame(
        {
            "tier": rng.choice(TIERS, n_children, p=[0.5, 0.3, 0.2]),
            "age": rng.integers(0, 19, n_children),
        },
        geometry=gpd.points_from_xy(net.lon[cnode] + jit[:, 0], net.lat[cnode] + jit[:, 1]),
        crs="EPSG:4326",
    )
    services = {}
    for s in SERVICES:
        lo = st.loc[s, "age_min"]
        hi = st.loc[s, "age_max"]
        services[s] = {
            "direction": st.loc[s, "direction"],
            "limit_s": float(st.loc[s, "threshold_min"]) * 60.0,
            "age_min": 0 if pd.isna(lo) else int(lo),
            "age_max": 99 if pd.isna(hi) else int(hi),
        }
    return fac, kids, services


def make_groups(fac, kids, services):
    """(service, tier, facility rows, child rows) per compatibility group."""
    groups = []
    ftier = fac["tier"].to_numpy()
    fserv = fac["service"].to_numpy()
    ktier = kids["tier"].to_numpy()
    kage = kids["age"].to_numpy()
    for s, spec in services.items():
        for t in TIERS:
            f = np.flatnonzero((fserv == s) & (ftier >= t))
            c = np.flatnonzero((ktier == t) & (kage >= spec["age_min"]) & (kage <= spec["age_max"]))
            if f.size and c.size:
                groups.append((s, t, f, c))
    return groups


def run_ikemap(net, fac, kids, groups, services, k, k_max, threads):
    c0 = time.process_time()
    t0 = time.perf_counter()
    fs = snap.snap(net, fac)
    ks = snap.snap(net, kids)
    fnode = fs["node"].to_numpy()
    foff = fs["access_s"].to_numpy()
    knode = ks["node"].to_numpy()
    kacc = ks["access_s"].to_numpy()
    t_snap = time.perf_counter() - t0

    def one(g):
        s, _t, f, c = g
        spec = services[s]
        args = {
            "direction": spec["direction"],
            "targets": knode[c],
            "offsets_s": foff[f],
        }
        a0 = time.perf_counter()
        tk, sk = travel.k_nearest(net, fnode[f], k=k, **args)
        a1 = time.perf_counter()
        w = None
        if k_max > 0:
            w = travel.within(net, fnode[f], limit_s=spec["limit_s"], k_max=k_max, **args)
        a2 = time.perf_counter()
        minutes = (tk + kacc[c][:, None]) / 60.0  # door to door, what coverage reports
        return {
            "node_s": tk,
            "src": sk,
            "minutes": minutes,
            "within": w,
            "k_s": a1 - a0,
            "within_s": a2 - a1,
        }

    # numba kernels release the GIL: groups run on `threads` cores at once
    with ThreadPoolExecutor(max_workers=threads) as pool:
        out = list(pool.map(one, groups))
    n_capped = sum(o["within"].n_capped for o in out if o["within"] is not None)
    n_pairs = sum(len(o["within"].time_s) for o in out if o["within"] is not None)
    k_cpu = sum(o["k_s"] for o in out)
    within_cpu = sum(o["within_s"] for o in out)
    total = time.perf_counter() - t0
    return {
        "seconds": total,
        "cpu_s": time.process_time() - c0,
        "snap_s": t_snap,
        "k_nearest_thread_s": k_cpu,
        "within_thread_s": within_cpu,
        "groups": out,
        "n_capped": n_capped,
        "n_pairs": n_pairs,
        "fnode": fnode,
        "foff": foff,
        "knode": knode,
    }


def single_address(net, fac_nodes, fac_service, services, seed, repeats=5):
    """Seconds of the slowest of a few single-address queries (all services within threshold)."""
    rng = np.random.default_rng(seed + 7)
    limit = max(spec["limit_s"] for spec in services.values())
    worst = 0.0
    for _ in range(repeats):
        i = int(rng.integers(0, net.n_nodes))
        pt = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy([net.lon[i] + 0.0003], [net.lat[i]]), crs="EPSG:4326"
        )
        t0 = time.perf_counter()
        sn = snap.snap(net, pt)
        node = int(sn["node"].iloc[0])
        times = {
            d: travel.from_node(net, node, direction=d, limit_s=limit) for d in travel.DIRECTIONS
        }
        found = 0
        for s, spec in services.items():
            sel = fac_service == s
            tt = times[spec["direction"]][fac_nodes[sel]]
            found += int((tt <= spec["limit_s"]).sum())
        worst = max(worst, time.perf_counter() - t0)
    return worst


def run_networkx(net, groups, services, ik, sample, seed, k, k_max):
    import networkx as nx

    t0 = time.perf_counter()
    fwd = nx.DiGraph()
    fwd.add_nodes_from(range(net.n_nodes))
    ip, ix, w = net.forward
    u = np.repeat(np.arange(net.n_nodes), np.diff(ip))
    fwd.add_weighted_edges_from(zip(u.tolist(), ix.tolist(), w.tolist()))
    rev = fwd.reverse(copy=True)
    t_build = time.perf_counter() - t0
    log(f"networkx: graphs built in {t_build:.1f} s")
    fnode, knode = ik["fnode"], ik["knode"]
    t_multi = 0.0
    mism = 0
    for gi, (s, _t, f, c) in enumerate(groups):
        spec = services[s]
        # sources search away from the facilities: to_facility = reversed graph
        G = rev if spec["direction"] == "to_facility" else fwd
        t1 = time.perf_counter()
        dist = nx.multi_source_dijkstra_path_length(G, set(fnode[f].tolist()), weight="weight")
        t_multi += time.perf_counter() - t1
        got = ik["groups"][gi]["node_s"][:, 0]
        exp = np.array([dist.get(int(n), math.inf) for n in knode[c]])
        # ikemap adds the facilities' (zero-length) access legs
        bad = ~np.isclose(got, exp, atol=1e-3, rtol=0) & ~(np.isinf(got) & np.isinf(exp))
        mism += int(bad.sum())
    # per-child searches on a sample of (child, group) pairs, scaled
    rng = np.random.default_rng(seed + 11)
    pairs = [(gi, j) for gi, g in enumerate(groups) for j in range(len(g[3]))]
    pick = rng.choice(len(pairs), min(sample, len(pairs)), replace=False)
    t_child = 0.0
    wmis = 0
    for p in pick:
        gi, j = pairs[int(p)]
        s, _t, f, c = groups[gi]
        spec = services[s]
        # the child searches toward facilities: to_facility = forward graph from home
        G = fwd if spec["direction"] == "to_facility" else rev
        t1 = time.perf_counter()
        dist = nx.single_source_dijkstra_path_length(
            G, int(knode[c[j]]), cutoff=spec["limit_s"], weight="weight"
        )
        t_child += time.perf_counter() - t1
        near = np.sort([dist[n] + ik["foff"][i] for i, n in zip(f, fnode[f]) if n in dist])
        near = near[near <= spec["limit_s"]][:k_max]
        w = ik["groups"][gi]["within"]
        if w is None:
            continue
        mine = w.time_s[w.target_pos == j]
        if len(mine) != len(near) or not np.allclose(mine, near, atol=1e-6):
            wmis += 1
    scaled = t_child / max(len(pick), 1) * len(pairs)
    return {
        "build_s": t_build,
        "multi_s": t_multi,
        "child_sample": len(pick),
        "child_sample_s": t_child,
        "child_scaled_s": scaled,
        "seconds": t_multi + scaled,
        "nearest_mismatch": mism,
        "within_mismatch": wmis,
    }


def run_pandana(net, groups, services, ik, k, k_max):
    try:
        import pandana
    except ImportError as exc:  # optional extra `bench`
        return {"available": False, "reason": f"pandana not importable: {exc}"}
    t0 = time.perf_counter()
    ip, ix, w = net.forward
    u = np.repeat(np.arange(net.n_nodes), np.diff(ip))
    nodes_x = pd.Series(net.x, index=np.arange(net.n_nodes))
    nodes_y = pd.Series(net.y, index=np.arange(net.n_nodes))
    needed = {services[s]["direction"] for s, *_ in groups}
    nets = {}
    # pandana measures from each node to the POIs: home -> facility on the forward graph
    if "to_facility" in needed:
        nets["to_facility"] = pandana.Network(
            nodes_x,
            nodes_y,
            pd.Series(u),
            pd.Series(ix.astype(np.int64)),
            pd.DataFrame({"t": w}),
            twoway=False,
        )
    if "to_home" in needed:
        nets["to_home"] = pandana.Network(
            nodes_x,
            nodes_y,
            pd.Series(ix.astype(np.int64)),
            pd.Series(u),
            pd.DataFrame({"t": w}),
            twoway=False,
        )
    t_pre = time.perf_counter() - t0
    log(f"pandana: preprocessing {t_pre:.1f} s")
    fnode, knode = ik["fnode"], ik["knode"]
    t_q = 0.0
    mism = 0
    checked = 0
    for gi, (s, t, f, c) in enumerate(groups):
        spec = services[s]
        pn = nets[spec["direction"]]
        mine = ik["groups"][gi]["node_s"]
        far = max(float(np.nanmax(np.where(np.isfinite(mine), mine, 0))) + 60.0, spec["limit_s"])
        # pandana stores maxdist as float32 and refuses a float64 query above the stored value
        # ("POIIndex.h:161 Maximum distance to POIs must not be larger in query than during
        # preprocessing"): use a float32-representable distance for both
        far = float(np.nextafter(np.float32(far), np.float32(np.inf)))
        cat = f"{s}_{t}"
        t1 = time.perf_counter()
        pn.set_pois(
            category=cat,
            maxdist=far,
            maxitems=max(k, k_max),
            x_col=pd.Series(net.x[fnode[f]]),
            y_col=pd.Series(net.y[fnode[f]]),
        )
        near = pn.nearest_pois(far, cat, num_pois=k, max_distance=np.inf)
        if k_max > 0:
            pn.nearest_pois(spec["limit_s"], cat, num_pois=k_max, max_distance=np.inf)
        t_q += time.perf_counter() - t1
        theirs = near.to_numpy()[knode[c]]
        ok = np.isfinite(theirs) & np.isfinite(mine)
        checked += int(ok.sum())
        mism += int((~np.isclose(theirs[ok], mine[ok], atol=0.5, rtol=0)).sum())
    return {
        "available": True,
        "preprocess_s": t_pre,
        "query_s": t_q,
        "seconds": t_pre + t_q,
        "mismatch": mism,
        "checked": checked,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.travel", description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--children", type=int, default=5_000)
    ap.add_argument("--facilities", type=int, default=1_000)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--k-max", type=int, default=None, help="cap of the within lists")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="groups searched at once (ikemap)")
    ap.add_argument("--nx-sample", type=int, default=20, help="children searched with networkx")
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--no-pandana", action="store_true")
    ap.add_argument("--json", default=None, help="write the measurements to this JSON file")
    a = ap.parse_args(argv)
    k_max = settings.k_max if a.k_max is None else a.k_max

    t0 = time.perf_counter()
    arrays = bench_roads.load(a.nodes, seed=a.seed)
    net = network.network_from_arrays(**arrays)
    net.forward, net.reverse, net.kdtree  # noqa: B018  (build the cached structures)
    log(
        f"graph: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
        f"({net.n_edges / net.n_nodes:.2f}/node), loaded in {time.perf_counter() - t0:.1f} s"
    )
    fac, kids, services = place(net, a.children, a.facilities, a.seed)
    groups = make_groups(fac, kids, services)
    log(f"{len(groups)} compatibility groups; {len(kids):,} children; {len(fac):,} facilities")
    # compile (cached on disk) outside the timing
    travel.k_nearest_within(net, [0, 1], k=2, limit_s=60, direction="to_home", targets=[2], k_max=2)
    travel.nearest(net, [0], direction="to_home", limit_s=1)
    for m in ("labels", "per_source"):
        travel.within(net, [0, 1], limit_s=60, direction="to_home", targets=[2], method=m)

    ik = run_ikemap(net, fac, kids, groups, services, a.k, k_max, a.threads)
    ik_peak = peak_mb()
    single = single_address(net, ik["fnode"], fac["service"].to_numpy(), services, a.seed)
    log(
        f"ikemap: {ik['seconds']:.2f} s wall, {ik['cpu_s']:.2f} s CPU (snap {ik['snap_s']:.2f} s; "
        f"thread-seconds: k nearest "
        f"{ik['k_nearest_thread_s']:.2f}, within {ik['within_thread_s']:.2f}), {ik['n_pairs']:,} "
        f"within pairs, {ik['n_capped']:,} capped at k_max={k_max}, peak {ik_peak:.0f} MB; "
        f"single address {single:.3f} s"
    )
    nxr = None
    if not a.no_networkx:
        nxr = run_networkx(net, groups, services, ik, a.nx_sample, a.seed, a.k, k_max)
        log(
            f"networkx: multi-source {nxr['multi_s']:.1f} s + per-child "
            f"{nxr['child_scaled_s']:.1f} s (scaled from {nxr['child_sample']} in "
            f"{nxr['child_sample_s']:.1f} s); build {nxr['build_s']:.1f} s"
        )
    pdr = {"available": False, "reason": "skipped (--no-pandana)"}
    if not a.no_pandana:
        pdr = run_pandana(net, groups, services, ik, a.k, k_max)

    ik_s = ik["seconds"]
    nx_s = nxr["seconds"] if nxr else math.nan
    pd_s = pdr["seconds"] if pdr.get("available") else math.nan
    rows = [
        ("ikemap", ik_s, ik_peak, 1.0),
        ("networkx", nx_s, math.nan, nx_s / ik_s),
        ("pandana", pd_s, math.nan, pd_s / ik_s),
    ]
    log("")
    log(f"{'engine':<10} {'seconds':>10} {'peak MB':>9} {'x ikemap':>9}")
    for name, sec, mb, ratio in rows:
        log(f"{name:<10} {sec:>10.2f} {mb:>9.0f} {ratio:>9.1f}")
    if not pdr.get("available"):
        log(f"pandana unavailable: {pdr.get('reason')}")
    log(f"single-address query: {single:.3f} s; process peak {peak_mb():.0f} MB")
    log(
        f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    failures = []
    if nxr and (nxr["nearest_mismatch"] or nxr["within_mismatch"]):
        failures.append(
            f"networkx disagrees: {nxr['nearest_mismatch']} nearest, "
            f"{nxr['within_mismatch']} within lists"
        )
    if pdr.get("available") and pdr["mismatch"]:
        failures.append(f"pandana disagrees on {pdr['mismatch']} of {pdr['checked']} times")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "args": vars(a),
                    "k_max": k_max,
                    "ikemap": {
                        kk: v
                        for kk, v in ik.items()
                        if kk.endswith("_s") or kk in ("seconds", "n_capped", "n_pairs")
                    },
                    "ikemap_peak_mb": ik_peak,
                    "single_address_s": single,
                    "networkx": nxr,
                    "pandana": pdr,
                    "groups": len(groups),
                },
                fh,
                indent=2,
            )
    for f in failures:
        log(f"DISAGREEMENT: {f}")
    log(
        f"RESULT nodes={net.n_nodes} children={len(kids)} facilities={len(fac)} "
        f"ikemap_s={ik_s:.3f} networkx_s={nx_s:.3f} pandana_s={pd_s:.3f} "
        f"speedup_networkx={nx_s / ik_s:.1f} speedup_pandana={pd_s / ik_s:.1f} "
        f"peak_mb={ik_peak:.0f}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
