"""`ikemap reconcile`: match child lists from several sources; return files per municipality.

Acts as ``admin`` unless ``--user``/``--role`` say otherwise (the files hold individual records
with birth dates: a planner is refused, a coordinator gets the municipalities of their scope).
Every file written is audited in the workspace's log when a workspace is given.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path


def parse_lists(items):
    """``["nurses=a.csv", ...]`` -> ``[("nurses", Path("a.csv")), ...]``; checks both parts."""
    out = []
    for item in items or []:
        name, sep, file = str(item).partition("=")
        if not sep or not name.strip() or not file.strip():
            msg = f"--list {item!r}: write SOURCE=FILE, e.g. --list nurses=hokenshi.csv."
            raise ValueError(msg)
        path = Path(file.strip())
        if not path.exists():
            msg = f"--list {item!r}: file {path} does not exist."
            raise FileNotFoundError(msg)
        out.append((name.strip(), path))
    names = [n for n, _ in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"--list names {dup} more than once; give each source one file."
        raise ValueError(msg)
    return out


def load_lists(args):
    """Source lists from the workspace (``child_sources``) and from ``--list`` files."""
    from analysis import reconcile
    from geo import workspace

    as_of = _dt.date.fromisoformat(args.as_of) if args.as_of else None
    munis = None
    stored = []
    if args.workspace:
        path = Path(args.workspace)
        if not path.exists():
            msg = f"Workspace {path} does not exist."
            raise FileNotFoundError(msg)
        if "municipalities" in workspace.layers(path):
            munis = workspace.read(path, "municipalities")
        stored = reconcile.stored_sources(path)
    lists, problems = [], []
    given = parse_lists(args.list)
    for name, file in given:
        recs, probs = reconcile.read_list(file, source=name, municipalities=munis, as_of=as_of)
        lists.append(recs)
        problems += probs
    names = {reconcile.nfkc(n) for n, _ in given}
    lists += [s for s in stored if s["source"].iloc[0] not in names]
    return lists, problems, munis


def run(args):
    """Reconcile, then write summary, merged register and one return file per municipality."""
    import gate
    from analysis import reconcile

    from ._planner import through_gate, who

    audience = who(args)
    lists, problems, munis = load_lists(args)
    sources = [f["source"].iloc[0] for f in lists if len(f)]
    if len(sources) < 2:
        msg = (
            f"reconcile needs two or more source lists; found {sources or 'none'}. Give "
            "--list SOURCE=FILE (repeatable) or store lists with "
            "`ikemap import --children FILE --source NAME`."
        )
        raise ValueError(msg)
    for p in problems[:30]:
        print(f"  problem: {p.describe()}")
    if len(problems) > 30:
        print(f"  ... and {len(problems) - 30} more problems")
    min_score = reconcile.MIN_SCORE if args.min_score is None else args.min_score
    as_of = _dt.date.fromisoformat(args.as_of) if args.as_of else None
    coverage = reconcile.parse_coverage(args.ages)
    unknown = sorted(set(coverage) - set(sources))
    if unknown:
        msg = f"--ages names {unknown}, which are not sources; the sources are {sources}."
        raise ValueError(msg)
    recon = reconcile.reconcile(lists, min_score=min_score, coverage=coverage, as_of=as_of)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workspace = args.workspace
    summ = reconcile.summary(recon)
    kinds = list(reconcile.ISSUE_KINDS)
    shown = through_gate(summ, args, what="reconciliation summary", count_columns=kinds)
    gate.display(shown).to_csv(out_dir / "summary.csv", index=False, encoding="utf-8-sig")
    written = [out_dir / "summary.csv"]
    reg = reconcile.register_frame(recon)
    data = gate.export(
        reg,
        audience,
        fmt="csv",
        what="merged child register",
        workspace=workspace,
        include_identity=True,
    )
    (out_dir / "register.csv").write_bytes(data)
    written.append(out_dir / "register.csv")
    for code, table in reconcile.return_tables(recon, municipalities=munis).items():
        if not audience.in_scope(code):
            continue
        data = gate.export(
            table,
            audience,
            fmt="csv",
            what=f"reconciliation return list {code}",
            workspace=workspace,
            include_identity=True,
        )
        path = out_dir / f"reconcile_{code}.csv"
        path.write_bytes(data)
        written.append(path)
    if args.write_register:
        if not workspace:
            msg = "--write-register needs --workspace."
            raise ValueError(msg)
        from geo import workspace as ws

        ws.write_layers(workspace, {"children_register": reg.astype(object)}, validate_schema=False)
        print(f"Merged register written to {workspace} (layer children_register).")
    counts = recon.issues["kind"].value_counts().to_dict() if len(recon.issues) else {}
    per_source = recon.records["source"].value_counts().reindex(sources).to_dict()
    print(
        f"Reconciled {len(recon.records)} records from {len(sources)} sources "
        f"({', '.join(f'{s} {n}' for s, n in per_source.items())}) into {len(recon.register)} "
        f"children as {audience.role}; issues: "
        + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none")
        + f". Wrote {len(written)} files to {out_dir}."
    )
    return 0
