"""Benchmark of the travel engine against numba, scipy, networkx and pandana on the same inputs.

    python -m bench.travel --nodes 1000000 --children 10000 --facilities 2000 --k 3

Builds (or loads from ``bench/out/``) a synthetic prefecture road graph (``bench/roads.py``,
whole-millisecond travel times like a real workspace), places children and facilities over 6
services with care tiers and age ranges and forms the compatibility groups (service x accepted
care tier; children filtered by the service's ages). The answer every engine must give: for each
group, the k nearest compatible facilities of every child and every compatible facility within
the service's threshold (complete lists, no cap), door to door.

- **ikemap** — what the analyses do now: :func:`analysis.matrix.travel_matrix` computes the
  child x facility matrix **once per direction** (one search per facility; CCH through
  ``pyroutingkit`` when the weights are whole milliseconds, else the numba bounded Dijkstra,
  :func:`geo.travel.matrix`), then every group's k nearest and within lists are array operations
  on it (as :func:`analysis.coverage.service_pass`). The CCH node order (once per road network,
  saved with a workspace) is timed apart as preprocessing.
- **engines on the matrix step** (same facility nodes, same children, bounded by the
  direction's largest threshold): numba bounded Dijkstra per facility (``geo.travel.matrix``,
  ``engine="dijkstra"``), ``scipy.sparse.csgraph.dijkstra(limit=)`` per facility, and
  **networkx** as the fair baseline: one ``single_source_dijkstra_path_length(cutoff=)`` per
  facility, measured on a random sample of facility locations and scaled per facility (the
  sample size and the spread are printed). Their whole-computation figure adds ikemap's array
  operations (the same for every engine).
- **pandana**: ``Network`` (contraction hierarchies, one per direction: counted as
  preprocessing), then per group ``set_pois`` + ``nearest_pois`` (k nearest and the within lists
  in one query).

Every engine is checked against ikemap (exit status 1 and a ``DISAGREEMENT:`` line otherwise);
the run ends with a ``RESULT`` line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import cch, codes, network, snap, travel

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
#: Agreement tolerances (seconds): float64 engines; pandana returns float32 seconds.
ATOL = 1e-6
ATOL_PANDANA = 1e-3


def peak_mb():
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def log(msg):
    print(msg, flush=True)


class Clock:
    """Wall and CPU (all threads of the process) seconds of a stage."""

    def __init__(self):
        self.t = time.perf_counter()
        self.c = time.process_time()

    def stop(self):
        return {"wall_s": time.perf_counter() - self.t, "cpu_s": time.process_time() - self.c}


def place(net, n_children, n_facilities, seed):
    """Children (points near random core nodes) and facilities (on distinct core nodes)."""
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


def direction_limits(fac, services):
    """Per direction: facility positions and the largest threshold of its services (seconds)."""
    out = {}
    fserv = fac["service"].to_numpy()
    for d in travel.DIRECTIONS:
        ss = [s for s, spec in services.items() if spec["direction"] == d]
        fa = np.flatnonzero(np.isin(fserv, ss))
        if fa.size:
            out[d] = (fa, max(services[s]["limit_s"] for s in ss))
    return out


# ------------------------------------------------------------------------------------------
# ikemap: the analyses' path


def run_ikemap(net, fac, kids, groups, services, k, threads):
    """Snap, one travel matrix per direction, then every group's k nearest and within lists."""
    from analysis import context, coverage, matrix

    dirs = direction_limits(fac, services)
    engine = travel.matrix_engine(net)
    total = Clock()
    pre = {"wall_s": 0.0, "cpu_s": 0.0}
    if engine == "cch":
        # the CCH node order: once per road network (a workspace keeps it in W.gpkg.net/);
        # the reversed topology reuses the order, as geo.cch does for a workspace
        clk = Clock()
        for d in dirs:
            cch._topology(net, d)  # noqa: SLF001  (timed apart: preprocessing)
        pre = clk.stop()
    clk = Clock()
    fs = snap.snap(net, fac)
    ks = snap.snap(net, kids)
    t_snap = clk.stop()
    ctx = context.Context(
        layers={"children": kids, "facilities": fac},
        net=net,
        snaps={"children": ks, "facilities": fs},
    )
    mats = {}
    t_mat = {}
    complete = {}
    for d, (fa, lim) in dirs.items():
        complete[d] = fa.size * net.n_nodes <= coverage.MATRIX_MAX_CELLS or engine == "cch"
        clk = Clock()
        mats[d] = matrix.travel_matrix(
            ctx, direction=d, limit_s=None if complete[d] else lim, threads=threads
        )
        t_mat[d] = clk.stop()
    clk = Clock()
    c_node = ks["node"].to_numpy(dtype=np.int64)
    c_acc = ks["access_s"].to_numpy(dtype=float)
    f_node = fs["node"].to_numpy(dtype=np.int64)
    f_acc = fs["access_s"].to_numpy(dtype=float)
    out = []
    n_rest = 0
    n_pairs = 0
    for s, _t, f, c in groups:
        spec = services[s]
        d = spec["direction"]
        full = matrix.dense(mats[d][c][:, f])
        kk = min(k, f.size)
        order = np.argsort(full, axis=1, kind="stable")[:, :kk]
        tk = np.full((c.size, k), np.inf)
        tk[:, :kk] = np.take_along_axis(full, order, axis=1)
        ci, fj = np.nonzero(full <= spec["limit_s"])
        if not complete[d]:
            # beyond the bounded matrix: children short of k, one k-nearest pass among them only
            short = np.flatnonzero(np.isfinite(tk[:, :kk]).sum(axis=1) < kk)
            n_rest += short.size
            if short.size:
                t2, p2 = travel.k_nearest(
                    net,
                    f_node[f],
                    k=kk,
                    direction=d,
                    targets=c_node[c[short]],
                    offsets_s=f_acc[f],
                )
                tk[short, :kk] = np.where(p2 >= 0, t2 + c_acc[c[short], None], np.inf)
        n_pairs += ci.size
        out.append({"k_s": tk, "within": (ci, fj, full[ci, fj])})
    t_groups = clk.stop()
    whole = total.stop()
    return {
        "engine": engine,
        "threads": threads,
        "preprocess": pre,
        "snap": t_snap,
        "matrix": t_mat,
        "complete": complete,
        "groups_ops": t_groups,
        "whole": whole,
        "warm": {kk: whole[kk] - pre[kk] for kk in whole},
        "n_pairs": n_pairs,
        "n_remainder": n_rest,
        "groups": out,
        "mats": mats,
        "c_node": c_node,
        "c_acc": c_acc,
        "f_node": f_node,
        "f_acc": f_acc,
    }


def single_address(net, fac_nodes, fac_service, services, seed, repeats=5):
    """Wall and CPU seconds of the slowest of a few single-address queries (all services)."""
    rng = np.random.default_rng(seed + 7)
    limit = max(spec["limit_s"] for spec in services.values())
    worst = 0.0
    worst_cpu = 0.0
    for _ in range(repeats):
        i = int(rng.integers(0, net.n_nodes))
        pt = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy([net.lon[i] + 0.0003], [net.lat[i]]), crs="EPSG:4326"
        )
        t0 = time.perf_counter()
        c0 = time.process_time()
        sn = snap.snap(net, pt)
        node = int(sn["node"].iloc[0])
        times = {
            d: travel.from_node(net, node, direction=d, limit_s=limit) for d in travel.DIRECTIONS
        }
        for s, spec in services.items():
            tt = times[spec["direction"]][fac_nodes[fac_service == s]]
            int((tt <= spec["limit_s"]).sum())
        worst = max(worst, time.perf_counter() - t0)
        worst_cpu = max(worst_cpu, time.process_time() - c0)
    return worst, worst_cpu


# ------------------------------------------------------------------------------------------
# engines side by side on the matrix step


def _pick(rng, n, sample):
    """Sorted random positions 0..n-1: all when ``sample`` is 0 or >= n."""
    if sample <= 0 or sample >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, sample, replace=False))


def _door(road, f_acc, c_acc, limit):
    """Road seconds (facilities x children) -> door to door (children x facilities), inf > limit."""
    t = road.T + c_acc[:, None] + f_acc[None, :]
    t[~(t <= limit)] = np.inf
    return t


def _bad(a, b, atol=ATOL):
    """Differing cells of two door-to-door arrays (inf = no pair)."""
    both_inf = np.isinf(a) & np.isinf(b)
    return int((~both_inf & ~np.isclose(a, b, atol=atol, rtol=0)).sum())


def run_engines(net, ik, dirs, args):
    """numba, scipy and networkx on the matrix of each direction; cch is ikemap's matrix step."""
    from scipy import sparse
    from scipy.sparse import csgraph

    rng = np.random.default_rng(args.seed + 11)
    c_node, c_acc = ik["c_node"], ik["c_acc"]
    res = {}
    agree = []
    for d, (fa, lim) in dirs.items():
        n_loc = fa.size  # facilities are on distinct nodes: one location each
        f_node = ik["f_node"][fa]
        f_acc = ik["f_acc"][fa]
        ref = travel.dense(ik["mats"][d])[:, fa]
        ref[~(ref <= lim)] = np.inf  # the bounded engines' answer, from ikemap's matrix
        entry = {"locations": n_loc, "limit_s": lim}
        if ik["engine"] == "cch":
            entry["cch"] = dict(ik["matrix"][d], n=n_loc, threads=ik["threads"])
        pick = _pick(rng, n_loc, args.sample)
        # numba bounded Dijkstra per facility (the fallback engine of geo.travel.matrix)
        travel.matrix(net, f_node[:1], c_node[:1], direction=d, limit_s=1.0, engine="dijkstra")
        clk = Clock()
        m = travel.matrix(
            net,
            f_node[pick],
            c_node,
            direction=d,
            limit_s=lim,
            offsets_s=f_acc[pick],
            target_offsets_s=c_acc,
            engine="dijkstra",
            threads=args.threads,
        )
        entry["numba"] = dict(clk.stop(), n=pick.size, threads=args.threads)
        agree.append((d, "numba", _bad(travel.dense(m), ref[:, pick]), pick.size))
        del m
        # scipy: csgraph.dijkstra(limit=) per facility, chunks on threads (it releases the GIL)
        if not args.no_scipy:
            ip, ix, w = net.adjacency(d)
            g = sparse.csr_matrix((w, ix, ip), shape=(net.n_nodes, net.n_nodes))
            chunks = [pick[i : i + 16] for i in range(0, pick.size, 16)]

            def one(ch, g=g, f_node=f_node, f_acc=f_acc, lim=lim):
                road = csgraph.dijkstra(g, indices=f_node[ch], limit=lim)[:, c_node]
                return _door(road, f_acc[ch], c_acc, lim)

            clk = Clock()
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                parts = list(pool.map(one, chunks))
            entry["scipy"] = dict(clk.stop(), n=pick.size, threads=args.threads)
            agree.append((d, "scipy", _bad(np.hstack(parts), ref[:, pick]), pick.size))
            del parts, g
        # networkx: one cutoff search per facility, on a random sample, scaled per facility
        if not args.no_networkx:
            import networkx as nx

            clk = Clock()
            ip, ix, w = net.adjacency(d)
            G = nx.DiGraph()
            G.add_nodes_from(range(net.n_nodes))
            src = np.repeat(np.arange(net.n_nodes), np.diff(ip))
            G.add_weighted_edges_from(zip(src.tolist(), np.asarray(ix).tolist(), w.tolist()))
            build = clk.stop()
            nxp = _pick(rng, n_loc, args.nx_sample)
            kid_list = c_node.tolist()
            per = []
            rows = np.full((c_node.size, nxp.size), np.inf)
            clk = Clock()
            for j, i in enumerate(nxp.tolist()):
                c0 = time.process_time()
                dd = nx.single_source_dijkstra_path_length(G, int(f_node[i]), cutoff=lim)
                road = np.array([dd.get(kk, np.inf) for kk in kid_list])[None, :]
                rows[:, j] = _door(road, f_acc[i : i + 1], c_acc, lim)[:, 0]
                per.append(time.process_time() - c0)
            entry["networkx"] = dict(clk.stop(), n=nxp.size, threads=1, build_s=build["wall_s"])
            entry["networkx_per_s"] = per
            agree.append((d, "networkx", _bad(rows, ref[:, nxp]), nxp.size))
            del G, rows
        res[d] = entry
    return res, agree


def scaled(res, name):
    """Whole-matrix seconds of an engine over both directions, scaled from its samples."""
    wall = cpu = 0.0
    for e in res.values():
        if name not in e:
            return None
        r = e[name]
        wall += r["wall_s"] / r["n"] * e["locations"]
        cpu += r["cpu_s"] / r["n"] * e["locations"]
    return {"wall_s": wall, "cpu_s": cpu}


# ------------------------------------------------------------------------------------------
# pandana


def _f32_at_least(x):
    """The smallest float32 >= x, as a Python float (exactly representable in float32)."""
    q = np.float32(x)
    if float(q) < x:
        q = np.nextafter(q, np.float32(np.inf))
    return float(q)


class _QuietStdout:
    """Silences the C++ progress lines pandana prints to file descriptor 1."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)

    def __exit__(self, *exc):
        os.dup2(self.saved, 1)
        os.close(self.saved)


def run_pandana(net, groups, services, ik, k):
    """pandana's CH per direction, then set_pois + nearest_pois per group; checked vs ikemap."""
    try:
        import pandana
    except ImportError as exc:  # optional extra `bench`
        return {"available": False, "reason": f"pandana not importable: {exc}"}
    nodes_x = pd.Series(net.x, index=np.arange(net.n_nodes))
    nodes_y = pd.Series(net.y, index=np.arange(net.n_nodes))
    ip, ix, w = net.forward
    u = np.repeat(np.arange(net.n_nodes), np.diff(ip))
    # pandana multiplies the weights by 1000 and truncates to integers: a whole-millisecond
    # weight stored as 1.2339999... would lose 1 ms; +1e-7 s keeps every weight's milliseconds
    wt = pd.DataFrame({"t": np.asarray(w, dtype=np.float64) + 1e-7})
    needed = {services[s]["direction"] for s, *_ in groups}
    clk = Clock()
    nets = {}
    # pandana measures from each node to the POIs: home -> facility is the forward graph
    with _QuietStdout():
        if "to_facility" in needed:
            nets["to_facility"] = pandana.Network(
                nodes_x, nodes_y, pd.Series(u), pd.Series(ix.astype(np.int64)), wt, twoway=False
            )
        if "to_home" in needed:
            nets["to_home"] = pandana.Network(
                nodes_x, nodes_y, pd.Series(ix.astype(np.int64)), pd.Series(u), wt, twoway=False
            )
    pre = clk.stop()
    log(f"pandana: preprocessing {pre['wall_s']:.1f} s wall, {pre['cpu_s']:.1f} s CPU")
    c_node, c_acc, f_node, f_acc = ik["c_node"], ik["c_acc"], ik["f_node"], ik["f_acc"]
    q = Clock()
    mism_k = mism_w = checked = 0
    max_cells = 0
    for gi, (s, t, f, c) in enumerate(groups):
        spec = services[s]
        thr = spec["limit_s"]
        pn = nets[spec["direction"]]
        mine = ik["groups"][gi]
        road_k = mine["k_s"] - c_acc[c][:, None]  # pandana measures node to node
        ci, _fj, wt_ = mine["within"]
        n_in = np.bincount(ci, minlength=c.size)
        # one query answers both: the k nearest (distance bound = the farthest k-th nearest)
        # and the within lists (one more POI than the longest list, to see a missing one)
        need = max(thr, float(np.max(np.where(np.isfinite(road_k), road_k, 0.0)))) + 1.0
        num = int(min(f.size, max(k, int(n_in.max(initial=0)) + 1)))
        # pandana keeps maxdist and the query distance as unsigned milliseconds, the query
        # distance converted through float32 ("POIIndex.h:161 Maximum distance to POIs must
        # not be larger in query than during preprocessing"): query with a float32 value and
        # preprocess with the next float32 above it, both exact in float32 and float64
        dist = _f32_at_least(need)
        maxdist = float(np.nextafter(np.float32(dist), np.float32(np.inf)))
        cat = f"{s}_{t}"
        pn.set_pois(
            category=cat,
            maxdist=maxdist,
            maxitems=num,
            x_col=pd.Series(net.x[f_node[f]]),
            y_col=pd.Series(net.y[f_node[f]]),
        )
        g0 = time.perf_counter()
        res = pn.nearest_pois(dist, cat, num_pois=num, max_distance=np.inf)
        log(
            f"  pandana group {gi + 1}/{len(groups)} {cat}: {f.size} POIs, {num} per node, "
            f"bound {dist:.0f} s: {time.perf_counter() - g0:.1f} s"
        )
        theirs = res.to_numpy()[c_node[c]]  # (children, num) road seconds, inf = none
        max_cells = max(max_cells, net.n_nodes * num)
        del res
        # agreement: the k nearest (door to door minus the child's leg; facilities sit on nodes)
        kk = min(k, f.size)
        a = road_k[:, :kk] - f_acc[f].min()
        b = theirs[:, :kk]
        checked += int(np.isfinite(a).sum())
        mism_k += _bad(a, b, ATOL_PANDANA)
        # the within lists: same times per child, up to pairs on the threshold (float32)
        door = theirs + c_acc[c][:, None]
        inside = door <= thr + ATOL_PANDANA
        n_p = inside.sum(axis=1)
        edge = (np.abs(door - thr) <= ATOL_PANDANA).sum(axis=1)
        wrong = np.abs(n_p - n_in) > edge
        same = np.flatnonzero(n_p == n_in)
        if same.size:
            order = np.lexsort((wt_, ci))
            mine_sorted = np.full((c.size, num), np.inf)
            rank = np.arange(ci.size) - np.repeat(np.cumsum(n_in) - n_in, n_in)
            mine_sorted[ci[order], rank] = wt_[order] - c_acc[c][ci[order]]
            th = np.where(inside, theirs, np.inf)
            diff = ~np.isclose(th[same], mine_sorted[same], atol=ATOL_PANDANA, rtol=0) & ~(
                np.isinf(th[same]) & np.isinf(mine_sorted[same])
            )
            wrong[same] |= diff.any(axis=1)
        mism_w += int(wrong.sum())
    qt = q.stop()
    return {
        "available": True,
        "threads": os.environ.get("OMP_NUM_THREADS", f"{os.cpu_count()} (OpenMP default)"),
        "preprocess": pre,
        "query": qt,
        "whole": {kk: pre[kk] + qt[kk] for kk in pre},
        "mismatch_k": mism_k,
        "mismatch_within": mism_w,
        "checked": checked,
        "largest_result_cells": max_cells,
    }


def check_former(net, groups, services, ik, k, n_groups=2):
    """The former per-group engine (geo.travel.k_nearest) on a few groups: same k nearest."""
    c_node, c_acc, f_node, f_acc = ik["c_node"], ik["c_acc"], ik["f_node"], ik["f_acc"]
    bad = checked = 0
    seen = set()
    for gi, (s, _t, f, c) in enumerate(groups):
        d = services[s]["direction"]
        if d in seen or len(seen) >= n_groups:
            continue
        seen.add(d)
        t, p = travel.k_nearest(
            net, f_node[f], k=k, direction=d, targets=c_node[c], offsets_s=f_acc[f]
        )
        t = np.where(p >= 0, t + c_acc[c][:, None], np.inf)
        bad += _bad(t, ik["groups"][gi]["k_s"])
        checked += c.size
    return bad, checked


# ------------------------------------------------------------------------------------------


def _fmt(x, nd=1):
    return "-" if x is None or not math.isfinite(x) else f"{x:,.{nd}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.travel", description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--children", type=int, default=5_000)
    ap.add_argument("--facilities", type=int, default=1_000)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--threads", type=int, default=None, help="threads per engine (default: the CPUs)"
    )
    ap.add_argument(
        "--engine",
        choices=("auto", "cch", "dijkstra"),
        default="auto",
        help="ikemap's matrix engine (auto = what the analyses pick: cch on whole-ms weights)",
    )
    ap.add_argument(
        "--sample",
        type=int,
        default=0,
        help="facility locations per direction for numba and scipy (0 = all)",
    )
    ap.add_argument(
        "--nx-sample", type=int, default=24, help="facility locations per direction for networkx"
    )
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--no-scipy", action="store_true")
    ap.add_argument("--no-pandana", action="store_true")
    ap.add_argument("--json", default=None, help="write the measurements to this JSON file")
    a = ap.parse_args(argv)
    a.threads = travel.default_threads() if a.threads is None else max(1, a.threads)
    load0 = os.getloadavg()[0]

    t0 = time.perf_counter()
    arrays = bench_roads.load(a.nodes, seed=a.seed)
    net = network.network_from_arrays(**arrays)
    net.forward, net.reverse, net.kdtree  # noqa: B018  (build the cached structures)
    log(
        f"graph: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
        f"({net.n_edges / net.n_nodes:.2f}/node), loaded in {time.perf_counter() - t0:.1f} s; "
        f"load average {load0:.1f} on {os.cpu_count()} CPUs"
    )
    fac, kids, services = place(net, a.children, a.facilities, a.seed)
    groups = make_groups(fac, kids, services)
    dirs = direction_limits(fac, services)
    log(f"{len(groups)} compatibility groups; {len(kids):,} children; {len(fac):,} facilities")
    # the matrix engine as the analyses choose it for a workspace (a prepared folder: cch when
    # the weights are whole ms); the folder holds the CCH order built here, removed at the end
    tmp = tempfile.mkdtemp(prefix="cch-", dir=bench_roads.OUT)
    net.__dict__["_prepared_dir"] = tmp
    if a.engine == "dijkstra":
        net.__dict__["_cch_ms"] = None  # as on travel times that are not whole milliseconds
    elif a.engine == "cch" and not cch.usable(net):
        log("--engine cch: pyroutingkit missing or weights not whole milliseconds")
        return 2
    # compile the numba kernels (cached on disk) outside the timing
    travel.k_nearest(net, [0, 1], k=2, direction="to_home", targets=[2])
    travel.matrix(net, [0], [1], direction="to_home", limit_s=1.0, engine="dijkstra", threads=1)
    travel.from_node(net, 0, direction="to_home", limit_s=1.0)

    try:
        ik = run_ikemap(net, fac, kids, groups, services, a.k, a.threads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ik_peak = peak_mb()
    single, single_cpu = single_address(
        net, ik["f_node"], fac["service"].to_numpy(), services, a.seed
    )
    w, p = ik["whole"], ik["preprocess"]
    log(
        f"ikemap ({ik['engine']}, {a.threads} threads): {w['wall_s']:.2f} s wall, "
        f"{w['cpu_s']:.2f} s CPU; preprocessing (CCH node order) {p['wall_s']:.2f} s wall "
        f"{p['cpu_s']:.2f} s CPU; "
        f"snap {ik['snap']['wall_s']:.2f} s; matrices "
        + ", ".join(
            f"{d} {v['wall_s']:.2f} s wall {v['cpu_s']:.2f} s CPU" for d, v in ik["matrix"].items()
        )
        + f"; group array ops {ik['groups_ops']['wall_s']:.2f} s; {ik['n_pairs']:,} within pairs "
        f"(no cap); {ik['n_remainder']:,} rows finished beyond the bounded matrix; "
        f"peak {ik_peak:.0f} MB; single address {single:.3f} s wall {single_cpu:.3f} s CPU"
    )
    bad_former, n_former = check_former(net, groups, services, ik, a.k)
    eng, agree = run_engines(net, ik, dirs, a)
    for d, e in eng.items():
        log(
            f"{d}: {e['locations']} facility locations, bound {e['limit_s'] / 60:.0f} min; "
            + "; ".join(
                f"{n} {e[n]['cpu_s'] / e[n]['n'] * 1000:.1f} ms CPU per location "
                f"({e[n]['n']} measured, {e[n]['threads']} thr)"
                for n in ("cch", "numba", "scipy", "networkx")
                if n in e
            )
        )
        if "networkx_per_s" in e:
            per = np.array(e["networkx_per_s"])
            sem = per.std(ddof=1) / math.sqrt(per.size) if per.size > 1 else math.nan
            log(
                f"  networkx sample: {per.size} random locations of {e['locations']}, CPU per "
                f"location min {per.min():.2f} / median {np.median(per):.2f} / max "
                f"{per.max():.2f} s, mean {per.mean():.2f} s +- {1.96 * sem:.2f} (95 %); "
                f"graph build {e['networkx']['build_s']:.1f} s (not counted)"
            )
    pdr = {"available": False, "reason": "skipped (--no-pandana)"}
    if not a.no_pandana:
        pdr = run_pandana(net, groups, services, ik, a.k)

    # the table: the matrix step, and the whole computation (matrix + the same array ops)
    ops = ik["groups_ops"]
    rows = []
    base_m = {kk: sum(v[kk] for v in ik["matrix"].values()) for kk in ("wall_s", "cpu_s")}
    for name in ("numba", "scipy", "networkx"):
        s = scaled(eng, name)
        if s is None:
            continue
        n_meas = sum(e[name]["n"] for e in eng.values())
        n_all = sum(e["locations"] for e in eng.values())
        how = "measured" if n_meas == n_all else f"scaled from {n_meas} of {n_all} locations"
        thr = eng[next(iter(eng))][name]["threads"]
        whole = {kk: s[kk] + ik["snap"][kk] + ops[kk] for kk in s}
        rows.append((name, thr, s, whole, how))
    log("")
    log("matrix step (child x facility per direction, bounded by the direction's threshold):")
    log(f"{'engine':<30} {'thr':>4} {'wall s':>10} {'CPU s':>10} {'x ikemap CPU':>13}  note")
    note = "complete rows" if all(ik["complete"].values()) else "bounded by the threshold"
    if ik["engine"] == "cch":
        note = "incl. CCH customisation; " + note
    log(
        f"{'ikemap (' + ik['engine'] + ')':<30} {a.threads:>4} "
        f"{base_m['wall_s']:>10.2f} {base_m['cpu_s']:>10.2f} {1.0:>13.1f}  {note}"
    )
    for name, thr, s, _whole, how in rows:
        log(
            f"{name:<30} {thr:>4} {s['wall_s']:>10.2f} {s['cpu_s']:>10.2f} "
            f"{s['cpu_s'] / base_m['cpu_s']:>13.1f}  {how}"
        )
    short = sum(
        int(
            (
                ~(
                    ik["groups"][gi]["k_s"][:, : min(a.k, g[2].size)]
                    <= dirs[services[g[0]]["direction"]][1]
                )
            )
            .any(axis=1)
            .sum()
        )
        for gi, g in enumerate(groups)
    )
    log(
        f"(bounded engines: {short:,} (child, group) rows have fewer than k facilities inside "
        "the bound and would need one more k-nearest pass, not counted below)"
    )
    log("")
    log("whole computation (k nearest + complete within lists of every group):")
    log(f"{'engine':<30} {'wall s':>10} {'CPU s':>10} {'x ikemap wall':>14} {'x ikemap CPU':>13}")
    full_rows = [("ikemap, incl. CCH order" if ik["engine"] == "cch" else "ikemap", ik["whole"])]
    if ik["engine"] == "cch":
        full_rows.append(("ikemap, order saved (workspace)", ik["warm"]))
    full_rows += [(f"{n} + same array ops", wh) for n, _t, _s, wh, _h in rows]
    if pdr.get("available"):
        full_rows += [
            ("pandana, incl. CH preprocessing", pdr["whole"]),
            ("pandana, queries only", pdr["query"]),
        ]
    base = ik["whole"]
    for name, r in full_rows:
        log(
            f"{name:<30} {r['wall_s']:>10.2f} {r['cpu_s']:>10.2f} "
            f"{r['wall_s'] / base['wall_s']:>14.1f} {r['cpu_s'] / base['cpu_s']:>13.1f}"
        )
    if not pdr.get("available"):
        log(f"pandana unavailable: {pdr.get('reason')}")
    else:
        log(
            f"pandana: OpenMP threads {pdr['threads']}; largest nearest_pois result "
            f"{pdr['largest_result_cells']:,} cells (every node x POIs asked)"
        )
    load1 = os.getloadavg()[0]
    log(
        f"single-address query: {single:.3f} s wall, {single_cpu:.3f} s CPU; process peak "
        f"{peak_mb():.0f} MB; load average "
        f"(1 min) {load0:.1f} at start, {load1:.1f} at the end on {os.cpu_count()} CPUs"
    )

    failures = []
    for d, name, bad, n in agree:
        log(f"agreement {d} {name} vs ikemap: {bad} differing cells ({n} facility columns)")
        if bad:
            failures.append(f"{name} ({d}) differs from ikemap's matrix in {bad} cells")
    log(f"agreement former per-group engine: {bad_former} differing of {n_former} children x k")
    if bad_former:
        failures.append(f"the former per-group k nearest differ in {bad_former} cells")
    if pdr.get("available"):
        log(
            f"agreement pandana: {pdr['mismatch_k']} of {pdr['checked']} k-nearest times, "
            f"{pdr['mismatch_within']} within lists differ"
        )
        if pdr["mismatch_k"] or pdr["mismatch_within"]:
            failures.append(
                f"pandana disagrees on {pdr['mismatch_k']} k-nearest times and "
                f"{pdr['mismatch_within']} within lists"
            )
    nx_row = next((r for r in rows if r[0] == "networkx"), None)
    nx_s = nx_row[3]["wall_s"] if nx_row else math.nan
    nx_cpu = nx_row[3]["cpu_s"] if nx_row else math.nan
    pd_s = pdr["whole"]["wall_s"] if pdr.get("available") else math.nan
    pd_cpu = pdr["whole"]["cpu_s"] if pdr.get("available") else math.nan
    ik_s, ik_cpu = ik["whole"]["wall_s"], ik["whole"]["cpu_s"]
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "args": vars(a),
                    "load_start": load0,
                    "load_end": load1,
                    "ikemap": {
                        kk: v
                        for kk, v in ik.items()
                        if kk not in ("groups", "mats", "c_node", "c_acc", "f_node", "f_acc")
                    },
                    "ikemap_peak_mb": ik_peak,
                    "single_address_s": single,
                    "single_address_cpu_s": single_cpu,
                    "engines": eng,
                    "agreement": agree,
                    "pandana": pdr,
                    "groups": len(groups),
                },
                fh,
                indent=1,
                default=float,
            )
    for f in failures:
        log(f"DISAGREEMENT: {f}")
    log(
        f"RESULT nodes={net.n_nodes} children={len(kids)} facilities={len(fac)} "
        f"engine={ik['engine']} threads={a.threads} ikemap_s={ik_s:.3f} ikemap_cpu_s={ik_cpu:.3f} "
        f"ikemap_warm_s={ik['warm']['wall_s']:.3f} networkx_s={nx_s:.3f} "
        f"networkx_cpu_s={nx_cpu:.3f} pandana_s={pd_s:.3f} pandana_cpu_s={pd_cpu:.3f} "
        f"speedup_networkx={nx_s / ik_s:.1f} speedup_networkx_cpu={nx_cpu / ik_cpu:.1f} "
        f"speedup_pandana={pd_s / ik_s:.1f} speedup_pandana_cpu={pd_cpu / ik_cpu:.1f} "
        f"peak_mb={ik_peak:.0f} load={load1:.1f}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
