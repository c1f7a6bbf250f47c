"""`ikemap import --children F --source NAME` and the guard against replacing a register.

A second ``--children`` file used to replace the first silently. Now:

* ``--children F --source NAME`` stores F as the named source list (``child_sources`` layer,
  :func:`analysis.reconcile.store_source`) for ``ikemap reconcile``; the ``children`` layer is
  not touched, and other sources stay.
* ``--children F`` without ``--source`` refuses to replace an existing ``children`` layer unless
  ``--replace-children`` is given.
"""

from __future__ import annotations

from pathlib import Path


def before_import(args, files):
    """Handle ``--source`` / the replace guard before the region import runs.

    Returns an exit status to stop with, or None to go on (``files["children_path"]`` is
    cleared when the list was stored as a source).
    """
    from analysis import reconcile
    from geo import workspace

    children = getattr(args, "children", None)
    if not children:
        return None
    path = Path(args.workspace)
    present = workspace.layers(path)
    source = getattr(args, "source", None)
    if source:
        munis = workspace.read(path, "municipalities") if "municipalities" in present else None
        records, problems = reconcile.read_list(children, source=source, municipalities=munis)
        for p in problems[:30]:
            print(f"  {p.describe()}")
        if records.empty:
            print(
                f"ikemap import: no record of {children} could be read as source {source!r} "
                f"(see above); {path} was left unchanged."
            )
            return 2
        stored = reconcile.store_source(path, records, source=source)
        others = sorted(set(stored["source"]) - {reconcile.nfkc(source)})
        print(
            f"Stored {len(records)} records of {children} as source {reconcile.nfkc(source)!r} "
            f"in {path} (layer child_sources; other sources kept: {', '.join(others) or 'none'}). "
            "The children layer was not changed; run `ikemap reconcile` to compare the sources."
        )
        files["children_path"] = None
        rest = [k for k, v in files.items() if v and k not in ("clip_roads", "address_points")]
        return 0 if not rest else None
    if "children" in present and not getattr(args, "replace_children", False):
        n = len(workspace.read(path, "children"))
        if n:
            print(
                f"ikemap import: {path} already holds a children register ({n} children). "
                f"Importing {children} would replace it. Give --replace-children to replace it, "
                "or --source NAME to store the file as another source list for "
                "`ikemap reconcile`. Nothing was imported."
            )
            return 2
    return None
