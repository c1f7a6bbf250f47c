"""Benchmark of the coordinator lookup (``ikemap nearby``): cold command line and loaded answers.

Run against a workspace (the prefecture-size one for the issue #13 targets)::

    PYTHONPATH=. .venv/bin/python -m bench.nearby --workspace /tmp/ws/pref.gpkg

Two measurements, each with a baseline taken in the same run (the machine is shared, so only
ratios measured side by side are comparable):

* **cold**: ``ikemap --quiet nearby`` in a fresh process per address (wall, CPU = user + sys,
  peak RSS of the child), against a fresh process doing what the command did before: every
  input layer read and every point layer snapped with the KD-tree at load, the numba kernels
  for the searches.
* **loaded**: :func:`analysis.nearby.nearby` with the workspace already loaded (what the app's
  coordinator page does), per address, against the former answer (one bounded search per
  direction with the kernel, a ``DataFrame.iloc`` row per facility, the age ranges and the
  compatibility recomputed per answer). The two answers are compared (same rows, same order).
  The CCH metrics of the lookups are customised first (``--no-cch``: not), as the app's
  coordinator page does once per process (:func:`analysis.nearby.prepare`): the current answer
  then queries the CCH, and the same answer with the bounded Dijkstra (the cold command line's
  engine) is measured beside it.

The addresses are children's homes picked with a fixed seed (``--points``), or ``--lat/--lon``.
The 1-minute load average is printed with every block.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def _load_avg():
    return os.getloadavg()[0]


def _points(workspace, n, seed):
    """``n`` children's homes of the workspace (seeded), as (lat, lon)."""
    import pyogrio

    kids = pyogrio.read_dataframe(workspace, layer="children", columns=[])
    pick = np.random.default_rng(seed).choice(len(kids), min(n, len(kids)), replace=False)
    return [(round(g.y, 5), round(g.x, 5)) for g in kids.geometry.iloc[np.sort(pick)]]


# ---------------------------------------------------------------------------------------------
# the former answer (the baseline)


def former_nearby(ctx, *, lat, lon):
    """The lookup as it was before the issue #13 work (same rows, slower).

    Bounded search per direction with the numba kernel, one ``fac.iloc`` row per facility,
    ``coverage.facility_age_range`` and ``coverage.compatibility`` per answer.
    """
    from analysis import coverage, exposure
    from analysis.nearby import COLUMNS, _point
    from geo import _kernels, codes, travel

    pt, _ = _point(ctx, lat, lon, None)
    fac = ctx.facilities
    services = codes.analysed(fac["service"].tolist())
    sn = ctx.snap(pt).iloc[0]
    node, acc = int(sn["node"]), float(sn["access_s"])
    lo, hi = coverage.facility_age_range(fac)
    compat = coverage.compatibility([[]], [np.nan], fac["accepts"].tolist(), lo, hi)[0]
    fsn = ctx.snaps["facilities"]
    st = codes.service_types()
    reach_s = {}
    for s in services:
        d = coverage.direction(s)
        reach_s[d] = max(reach_s.get(d, 0.0), float(st.loc[s, "threshold_min"]) * 60.0)
    times, rows = {}, []
    for s in services:
        d = coverage.direction(s)
        if d not in times:
            flipped = "to_home" if d == "to_facility" else "to_facility"
            src, off = travel._sources(ctx.net, [node], None)
            times[d], _ = _kernels.nearest_kernel(
                *ctx.net.adjacency(flipped),
                src,
                off,
                max(reach_s[d] - acc, 0.0),
                np.zeros(ctx.net.n_nodes, dtype=np.bool_),
                0,
            )
        limit = float(st.loc[s, "threshold_min"])
        idx = np.flatnonzero((fac["service"] == s).to_numpy() & (compat > 0))
        t = (times[d][fsn["node"].to_numpy()[idx]] + fsn["access_s"].to_numpy()[idx] + acc) / 60
        for i, m in zip(idx, t):
            if not np.isfinite(m) or m > limit:
                continue
            r = fac.iloc[i]
            rows.append(
                {
                    "service": s,
                    "service_ja": st.loc[s, "label_ja"],
                    "facility_id": r["facility_id"],
                    "name": r["name"],
                    "minutes": round(float(m), 1),
                    "within": True,
                    "basis": coverage.BASIS[int(compat[i])],
                    "accepts": None if r["accepts"] is None else ";".join(r["accepts"]),
                    "age_min": lo[i],
                    "age_max": hi[i],
                    "capacity": r.get("capacity"),
                    "has_power": r.get("has_power"),
                    "node_id": int(fsn["node_id"].iloc[i]),
                }
            )
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.sort_values(["service", "minutes"], kind="stable").reset_index(drop=True)
    ex = exposure.point_exposure(pt, ctx.hazards)
    out.attrs["exposure"] = ex.iloc[0].to_dict()
    return out


def _former_cold(workspace, lat, lon):
    """Child process of the cold baseline: eager load (all layers, all snaps, KD-tree)."""
    from analysis import context

    ctx = context.load(workspace)
    ctx.net.kdtree  # noqa: B018  (the former load built the tree for the point layers)
    for name in context.LAYERS:
        if name not in ("roads_nodes", "roads_edges"):
            ctx.layers[name]  # noqa: B018
    for name in ("children", "facilities", "shelters"):
        ctx.snaps[name]  # noqa: B018
    r = former_nearby(ctx, lat=lat, lon=lon)
    print(r.to_csv(index=False), end="")


# ---------------------------------------------------------------------------------------------
# measurements


def _child(cmd):
    """Run ``cmd``; return (wall_s, cpu_s, peak_mb, stdout) of that child (user + sys CPU)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read().decode()
        proc.stdout.close()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            msg = f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}"
            raise RuntimeError(msg)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


def cold(workspace, points):
    """Cold command line vs the former cold path, per address."""
    print(f"\n## cold: one address per fresh process (load {_load_avg():.1f})")
    print("address | now wall s / CPU s / MB | former wall s / CPU s / MB | CPU ratio | same rows")
    ratios = []
    for lat, lon in points:
        now = _child(
            [
                sys.executable,
                "-m",
                "ikemap",
                "--quiet",
                "nearby",
                "-w",
                str(workspace),
                "--lat",
                str(lat),
                "--lon",
                str(lon),
                "--role",
                "coordinator",
            ]
        )
        former = _child(
            [sys.executable, "-m", "bench.nearby", "--former-cold", str(workspace), str(lat),
             str(lon)]
        )  # fmt: skip
        same = now[3].split("# hazard")[0] == former[3]
        ratios.append(former[1] / now[1])
        print(
            f"{lat},{lon} | {now[0]:.2f} / {now[1]:.2f} / {now[2]:.0f} | "
            f"{former[0]:.2f} / {former[1]:.2f} / {former[2]:.0f} | "
            f"{former[1] / now[1]:.2f}x | {same}"
        )
    print(f"median CPU ratio {np.median(ratios):.2f}x")


def _dijkstra_nearby(ctx, **kw):
    """:func:`analysis.nearby.nearby` with the bounded Dijkstra even when a CCH metric is held."""
    from analysis import nearby
    from geo import travel

    real = travel.node_times_engine
    travel.node_times_engine = lambda net, direction: "dijkstra"
    try:
        return nearby.nearby(ctx, **kw)
    finally:
        travel.node_times_engine = real


def loaded(workspace, points, repeat, *, cch=True):
    """Answers with the workspace loaded vs the former answer, per address.

    With ``cch`` the lookups' CCH metrics are customised first (what the app's coordinator
    page does, :func:`geo.travel.prepare_node_times`): ``now`` answers with one CCH query per
    direction, ``dijkstra`` is the same code with the bounded Dijkstra (the
    command line's engine), ``former`` the answer before the issue #13 work.
    """
    from analysis import context, nearby
    from geo import travel

    ctx = context.load(workspace)
    if cch:
        c, t = time.process_time(), time.perf_counter()
        warm = travel.prepare_node_times(ctx.net)
        print(
            f"\nCCH metrics customised for {warm or 'nothing'} in "
            f"{time.process_time() - c:.1f} CPU s / {time.perf_counter() - t:.1f} s wall "
            "(once per process: analysis.nearby.prepare, the app's coordinator page)"
        )
    kinds = [("now", nearby.nearby), ("dijkstra", _dijkstra_nearby), ("former", former_nearby)]
    if not cch:
        kinds = [kinds[0], kinds[2]]
    for _, fn in kinds:  # first touch of the mapped arrays
        fn(ctx, lat=points[0][0], lon=points[0][1])
    engine = travel.node_times_engine(ctx.net, "to_facility")
    print(f"\n## loaded: answers in one process, now = {engine} (load {_load_avg():.1f})")
    print(
        "address | rows | "
        + " | ".join(f"{name} CPU / wall ms" for name, _ in kinds)
        + " | CPU ratios to now | same rows"
    )
    ratios = {name: [] for name, _ in kinds[1:]}
    cpu = {name: [] for name, _ in kinds}
    for lat, lon in points:
        best = {}
        for name, fn in kinds:
            runs = []
            for _ in range(repeat):
                c, t = time.process_time(), time.perf_counter()
                r = fn(ctx, lat=lat, lon=lon)
                runs.append((time.process_time() - c, time.perf_counter() - t))
            best[name] = (min(runs), r)
            cpu[name].append(best[name][0][0])
        (nc, _), a = best["now"]
        for name in ratios:
            ratios[name].append(best[name][0][0] / nc)
        same = all(a.equals(best[name][1]) for name, _ in kinds)
        print(
            f"{lat},{lon} | {len(a)} | "
            + " | ".join(f"{best[n][0][0] * 1e3:.0f} / {best[n][0][1] * 1e3:.0f}" for n, _ in kinds)
            + " | "
            + ", ".join(f"{n} {ratios[n][-1]:.2f}x" for n in ratios)
            + f" | {same}"
        )
    print(
        f"median CPU ms (best of {repeat} per address): "
        + ", ".join(f"{n} {np.median(v) * 1e3:.0f}" for n, v in cpu.items())
        + "; median ratios to now: "
        + ", ".join(f"{n} {np.median(v):.2f}x" for n, v in ratios.items())
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workspace", "-w", required=False, help="workspace GeoPackage")
    p.add_argument("--points", type=int, default=4, help="children's homes to look up")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lat", type=float, action="append", help="an address (repeatable)")
    p.add_argument("--lon", type=float, action="append")
    p.add_argument("--repeat", type=int, default=3, help="loaded answers per address")
    p.add_argument("--skip-cold", action="store_true")
    p.add_argument(
        "--no-cch", action="store_true", help="loaded answers without customising the CCH"
    )
    p.add_argument("--former-cold", nargs=3, metavar=("WS", "LAT", "LON"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.former_cold:
        ws, lat, lon = args.former_cold
        _former_cold(ws, float(lat), float(lon))
        return 0
    if not args.workspace:
        p.error("--workspace is required")
    points = (
        list(zip(args.lat, args.lon, strict=True))
        if args.lat
        else _points(args.workspace, args.points, args.seed)
    )
    print(f"workspace {args.workspace}, {len(points)} addresses")
    if not args.skip_cold:
        cold(args.workspace, points)
    loaded(args.workspace, points, args.repeat, cch=not args.no_cch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
