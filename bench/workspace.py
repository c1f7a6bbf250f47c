"""Benchmark on a real workspace (the demo prefecture): engines side by side, then the CLI.

Usage::

    .venv/bin/python -m bench.workspace --workspace /tmp/pref.gpkg --sample 24 --cli

Part 1 — engines, on the workspace's own facilities and children (9 services, care tiers,
ages). Each engine computes the same thing: the road seconds from facility locations to every
child's node, bounded by the direction's largest threshold (what the travel matrix needs):

- ``cch``: :func:`geo.cch.distances`, every facility location of both directions (complete rows,
  no limit needed), measured whole;
- ``numba``: :func:`geo.travel.matrix` ``engine="dijkstra"`` (one bounded search per facility),
  one thread, on a sample of facility locations;
- ``scipy``: ``scipy.sparse.csgraph.dijkstra(limit=...)`` per facility, same sample;
- ``networkx``: ``single_source_dijkstra_path_length(cutoff=...)`` per facility (the fair
  baseline: one cutoff search per facility), a smaller sample (graph build not counted).

Sampled engines are reported per facility location and scaled by the number of locations (each
search is the same kind of work); the old per-group engine's search count is printed too. All
engines must agree on the sample (1e-6 s), else the run exits 1 with ``DISAGREEMENT``.

Part 2 (``--cli``) — the commands as a user runs them, each in a fresh process: wall, CPU
(user + system) and peak RSS from ``/usr/bin/time``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def old_group_searches(ctx):
    """Compatibility groups and per-group facility searches of the former engine."""
    from analysis import coverage

    n_groups = n_searches = 0
    for s in sorted(set(ctx.facilities["service"])):
        sp = coverage.service_pass(ctx, s, method="matrix")  # compat only; matrix is cached
        for gfac, _ in coverage.groups(sp.compat):
            n_groups += 1
            n_searches += len(gfac)
    return n_groups, n_searches


def engines(ws, sample, nx_sample, seed):
    from scipy import sparse
    from scipy.sparse import csgraph

    from analysis import context, coverage, matrix
    from geo import cch, travel

    t = _clock()
    ctx = context.load(ws)
    load_wall, load_cpu = _since(t)
    log(f"context.load {load_wall:.1f} s wall, {load_cpu:.1f} s CPU")
    net = ctx.net
    kids = ctx.snaps["children"]["node"].to_numpy(dtype=np.int64)
    fnode = ctx.snaps["facilities"]["node"].to_numpy(dtype=np.int64)
    rng = np.random.default_rng(seed)
    rows = {}
    agree = []
    total_locations = 0
    for d in travel.DIRECTIONS:
        fa = matrix.facilities_of_direction(ctx, d)
        if fa.size == 0:
            continue
        services = sorted(set(ctx.facilities["service"].iloc[fa]))
        limit = max(coverage.thresholds_s(services).values())
        nodes = np.unique(fnode[fa])
        total_locations += nodes.size
        pick = np.sort(rng.choice(nodes, min(sample, nodes.size), replace=False))
        log(f"{d}: {nodes.size} facility locations, limit {limit / 60:.0f} min")
        res = {}
        if cch.usable(net):
            t = _clock()
            full = cch.distances(net, nodes, kids, direction=d)
            w, c = _since(t)
            res["cch"] = (w, c, nodes.size)
            ref = full[np.searchsorted(nodes, pick)]
            log(f"  cch: {nodes.size} locations {w:.1f} s wall {c:.1f} s CPU (incl. customise)")
        # warm the numba kernels for these array types (memory-mapped arrays compile once)
        travel.matrix(net, pick[:1], kids[:1], direction=d, limit_s=1.0, engine="dijkstra")
        t = _clock()
        m = travel.matrix(net, pick, kids, direction=d, limit_s=limit, engine="dijkstra", threads=1)
        w, c = _since(t)
        res["numba"] = (w, c, pick.size)
        numba = travel.dense(m).T
        adj = net.adjacency(d)
        g = sparse.csr_matrix((adj[2], adj[1], adj[0]), shape=(net.n_nodes, net.n_nodes))
        t = _clock()
        sc = csgraph.dijkstra(g, indices=pick, limit=limit)[:, kids]
        w, c = _since(t)
        res["scipy"] = (w, c, pick.size)
        import networkx as nx

        tb = time.perf_counter()
        G = nx.DiGraph()
        G.add_nodes_from(range(net.n_nodes))
        ip, ix, wt = adj
        src = np.repeat(np.arange(net.n_nodes), np.diff(ip))
        G.add_weighted_edges_from(zip(src.tolist(), np.asarray(ix).tolist(), wt.tolist()))
        log(f"  networkx graph built in {time.perf_counter() - tb:.1f} s (not counted)")
        nxp = pick[:nx_sample]
        t = _clock()
        nxt = np.full((nxp.size, kids.size), np.inf)
        for i, s in enumerate(nxp.tolist()):
            dd = nx.single_source_dijkstra_path_length(G, s, cutoff=limit)
            nxt[i] = [dd.get(k, np.inf) for k in kids.tolist()]
        w, c = _since(t)
        res["networkx"] = (w, c, nxp.size)
        del G
        inside = lambda a, lim=limit: np.where(a <= lim, a, np.inf)  # noqa: E731
        checks = {"numba": numba, "scipy": sc}
        if "cch" in res:
            checks["cch"] = ref
        for name, arr in checks.items():
            bad = ~np.isclose(inside(arr), inside(sc), atol=1e-6, rtol=0)
            agree.append((d, name, int(bad.sum()), int(np.isfinite(inside(sc)).sum())))
        bad = ~np.isclose(inside(nxt), inside(sc[: nxp.size]), atol=1e-6, rtol=0)
        agree.append((d, "networkx", int(bad.sum()), int(np.isfinite(inside(nxt)).sum())))
        for name, (w, c, n) in res.items():
            r = rows.setdefault(name, {"cpu": 0.0, "wall": 0.0, "sampled": name != "cch"})
            r["cpu"] += c / n * nodes.size
            r["wall"] += w / n * nodes.size
            r.setdefault("per_location_ms", {})[d] = 1000 * c / n
    n_groups, n_searches = old_group_searches(ctx)
    return {
        "load_wall_s": load_wall,
        "load_cpu_s": load_cpu,
        "n_nodes": int(net.n_nodes),
        "n_edges": int(net.n_edges),
        "n_children": int(kids.size),
        "n_facilities": len(ctx.facilities),
        "n_locations": int(total_locations),
        "old_groups": n_groups,
        "old_searches": n_searches,
        "engines": rows,
        "agreement": agree,
    }


CLI = [
    ("coverage", ["coverage", "-w", "{ws}", "--out", "{tmp}/cov.csv"]),
    ("gaps", ["gaps", "-w", "{ws}", "--out", "{tmp}/gaps.csv"]),
    ("evacuation", ["evacuation", "-w", "{ws}", "--out", "{tmp}/evac.csv"]),
    (
        "sites --k 5",
        [
            "sites",
            "-w",
            "{ws}",
            "--service",
            "short_stay_medical",
            "--k",
            "5",
            "--out",
            "{tmp}/sites.csv",
        ],
    ),
    ("nearby (one address)", ["nearby", "-w", "{ws}", "--lat", "{lat}", "--lon", "{lon}"]),
]


def cli(ws, tmp, only=None):
    from geo import workspace

    kids = workspace.read(ws, "children")
    p = kids.geometry.iloc[0]
    out = []
    exe = str(Path(sys.executable).with_name("ikemap"))
    for name, argv in CLI:
        if only and name.split()[0] not in only:
            continue
        args = [a.format(ws=ws, tmp=tmp, lat=p.y, lon=p.x) for a in argv]
        # admin: the role gate lets child-level outputs through (what is timed is the work)
        cmd = ["/usr/bin/time", "-f", "TIME %e %U %S %M", exe, "--quiet", *args, "--role", "admin"]
        log("$ " + " ".join(cmd[3:]))
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        line = [x for x in r.stderr.splitlines() if x.startswith("TIME ")]
        if not line:
            log(r.stderr[-2000:])
            continue
        e, u, s, m = line[-1].split()[1:]
        row = {
            "command": name,
            "wall_s": float(e),
            "cpu_s": float(u) + float(s),
            "peak_mb": int(m) / 1024,
            "status": r.returncode,
        }
        log(f"  {row}")
        out.append(row)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--sample", type=int, default=24, help="facility locations per direction")
    ap.add_argument("--nx-sample", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-engines", action="store_true")
    ap.add_argument("--cli", action="store_true", help="also time the CLI commands")
    ap.add_argument("--only", nargs="*", help="CLI commands to run (default all)")
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    load = os.getloadavg()[0]
    log(f"1-minute load average at start: {load:.1f} (2 CPUs: above 2 means shared)")
    res = {"load_start": load}
    failures = []
    if not a.no_engines:
        e = engines(a.workspace, a.sample, a.nx_sample, a.seed)
        res["engines"] = e
        print(
            f"\n{e['n_nodes']:,} nodes, {e['n_edges']:,} edges, {e['n_children']:,} children, "
            f"{e['n_facilities']:,} facilities at {e['n_locations']:,} locations; the former "
            f"engine searched {e['old_searches']:,} times in {e['old_groups']} groups"
        )
        print(f"context.load: {e['load_wall_s']:.1f} s wall, {e['load_cpu_s']:.1f} s CPU")
        print("\n| engine | whole matrix, CPU s | per location, CPU ms | vs cch |")
        print("|---|---|---|---|")
        base = e["engines"].get("cch", {}).get("cpu")
        for name, r in e["engines"].items():
            per = ", ".join(f"{d} {v:.0f}" for d, v in r["per_location_ms"].items())
            ratio = f"{r['cpu'] / base:.1f}x" if base else "-"
            scaled = " (scaled from the sample)" if r["sampled"] else ""
            print(f"| {name} | {r['cpu']:.1f}{scaled} | {per} | {ratio} |")
        for d, name, bad, n in e["agreement"]:
            print(f"agreement {d} {name}: {bad} of {n} pairs differ")
            if bad:
                failures.append(f"{name} ({d}) disagrees on {bad} of {n} pairs")
    if a.cli:
        rows = cli(a.workspace, a.tmp, a.only)
        res["cli"] = rows
        print("\n| command | wall s | CPU s | peak MB |")
        print("|---|---|---|---|")
        for r in rows:
            flag = "" if r["status"] == 0 else f" (exit {r['status']})"
            print(
                f"| `ikemap {r['command']}`{flag} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                f"{r['peak_mb']:.0f} |"
            )
    res["load_end"] = os.getloadavg()[0]
    print(f"\nload average: {res['load_start']:.1f} at start, {res['load_end']:.1f} at end")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1, default=float), encoding="utf-8")
    for f in failures:
        print(f"DISAGREEMENT: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
