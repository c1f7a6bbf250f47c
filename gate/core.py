"""The one gate: what an audience may see of every table, metric, download, CSV and report.

Every table, metric, map layer, chart, download, CLI CSV and report that a person sees passes
a function of this module, which knows the audience (:class:`gate.Audience`).

* :func:`table` — what an audience may see of a table. Child-level tables (a ``child_id``
  column): planner refused (:class:`gate.AccessDenied`); coordinator/disaster their scope
  only; names/addresses only on explicit request; the view is audited. Aggregates: admin sees
  them as they are; a planner gets small counts suppressed (jointly with the linked tables of
  the same publication, :mod:`gate.disclosure`); a scoped coordinator/disaster officer sees
  the rows of their scope as they are and the other rows as a planner does.
* :func:`metric` — one count for a metric tile: 「<10」 for a planner when it is 1-9.
* :func:`export` — bytes (csv with BOM and neutralised formulas, xlsx, gpkg) of what
  :func:`table` lets through; child-level exports are audited.
* :func:`display` — the table as text: 「<10」 where a hidden count is 1-9, 「秘匿」 where a
  count was hidden only to protect another (complementary suppression).

Flags, severities and reasons are never hidden: they are not counts.

Examples
--------
>>> import pandas as pd
>>> from gate import Audience
>>> t = pd.DataFrame({"area": ["A", "B", "C"], "children": [12, 3, 40]})
>>> shown = table(t, Audience("sato", "planner"), what="children", count_columns=["children"])
>>> display(shown)["children"].tolist()
['秘匿', '<10', '40']
>>> table(t, Audience("root", "admin"), what="children", count_columns=["children"])[
...     "children"].tolist()
[12, 3, 40]
>>> metric(3, Audience("sato", "planner"), what="power-dependent children")
'<10'
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from geo import settings

from . import disclosure
from .roles import IDENTITY_ROLES, AccessDenied, audience, identity_columns, is_individual

logger = logging.getLogger(__name__)

#: Suffix of the boolean column that marks a hidden count.
FLAG_SUFFIX = "_suppressed"
#: Suffix of the boolean column that marks a hidden count whose true value is 1..threshold-1.
SMALL_SUFFIX = "_small"

#: Text of a complementary (protecting) suppression, per language.
SUPPRESSED_TEXT = {"ja": "秘匿", "en": "suppressed"}


def threshold_for(who, requested=None):
    """The suppression threshold for an audience: never below the setting unless admin.

    ``ikemap gaps --threshold 1`` asked by a planner still hides counts under the default.

    Examples
    --------
    >>> threshold_for("planner", 1), threshold_for("admin", 1), threshold_for("planner", 20)
    (10, 1, 20)
    """
    base = settings.suppression_threshold
    if requested is None:
        return base
    requested = int(requested)
    return requested if audience(who).unsuppressed else max(requested, base)


def small_label(threshold=None):
    """Text of a hidden count that is 1..threshold-1, e.g. ``"<10"``.

    Examples
    --------
    >>> small_label(10)
    '<10'
    """
    thr = settings.suppression_threshold if threshold is None else int(threshold)
    return f"<{thr}"


def _audit(workspace, who, *, action, what, rows, include_identity=False, detail=None):
    if workspace is None:
        return
    from . import audit

    audit.record(
        workspace,
        user=who.name,
        role=who.role,
        action=action,
        what=what,
        rows=int(rows),
        detail=(detail or who.describe()) + ("; identity" if include_identity else ""),
    )


def individuals(
    frame,
    who,
    *,
    what,
    workspace=None,
    include_identity=False,
    action="view",
    audit_detail=None,
):
    """The child-level rows ``who`` may see (scope, identity), audited when ``workspace`` is set.

    Raises
    ------
    AccessDenied
        For a planner, for names asked by a role that may not see them, and for a scoped user
        when the table has no ``municipality_code`` column.
    """
    from .roles import scope_filter

    who = audience(who)
    if include_identity and who.role not in IDENTITY_ROLES:
        msg = (
            f"The {who.role} role may not see names or addresses; "
            "export with pseudonymous child_id only."
        )
        raise AccessDenied(msg)
    if not who.may_see_individuals:
        msg = (
            f"The {who.role} role sees aggregates only (counts per area or mesh, small counts "
            f"hidden), never one row per child; {what} is child-level. Log in as a "
            "coordinator or disaster officer to see individual children of your scope."
        )
        raise AccessDenied(msg)
    out = scope_filter(frame, who.scope)
    if not include_identity:
        drop = identity_columns(out)
        if drop:
            out = out.drop(columns=drop)
    _audit(
        workspace,
        who,
        action=action,
        what=what,
        rows=len(out),
        include_identity=include_identity,
        detail=audit_detail,
    )
    return out


def _known_rows(frame, who, linked, unit=None):
    """Boolean array: rows whose counts this audience knows anyway (its own scope)."""
    n = len(frame)
    if who.unsuppressed:
        return np.ones(n, dtype=bool)
    if not who.may_see_individuals:
        return np.zeros(n, dtype=bool)
    if who.scope is None:
        return np.ones(n, dtype=bool)
    if "municipality_code" in frame.columns:
        return frame["municipality_code"].astype(str).isin(who.scope).to_numpy()
    members = getattr(linked, "members", None)
    unit = unit or getattr(linked, "unit", "area_id")
    if unit in frame.columns and frame[unit].astype(str).isin(who.scope).any():
        return frame[unit].astype(str).isin(who.scope).to_numpy()  # rows per municipality
    if members is not None and unit in frame.columns:
        inside = disclosure.units_inside(members, who.scope)
        return frame[unit].astype(str).isin(inside).to_numpy()
    return np.zeros(n, dtype=bool)


def table(
    frame,
    who,
    *,
    what,
    count_columns=None,
    threshold=None,
    linked=None,
    include_identity=False,
    workspace=None,
    action="view",
    kind=None,
    unit=None,
    **suppress_options,
):
    """The part of ``frame`` an audience may see (the single gate of every output).

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame
        An analysis output. Child-level when it has a ``child_id`` column, else an aggregate.
    who : Audience, role name or session-like
        The audience (see :func:`gate.roles.audience`).
    what : str
        What is shown (e.g. ``"evacuation list"``), for the audit log and messages.
    count_columns : list of str, optional
        Count columns of an aggregate (children); without them nothing is suppressed.
    threshold : int, optional
        Counts 1..threshold-1 are hidden (default :data:`geo.settings.suppression_threshold`).
    linked : gate.disclosure.Linked, optional
        The linked publication this table belongs to (built from municipality counts with the
        other tables the audience sees, :func:`gate.disclosure.linked`). The table's counts are
        then suppressed jointly with every other table of the publication; without it the table
        is suppressed on its own (column totals assumed public).
    include_identity : bool, default False
        Keep names and addresses of a child-level table (coordinator, disaster, admin; audited).
    workspace : path, optional
        Workspace whose ``audit_log`` records views of child-level rows.
    action : str
        ``"view"`` or ``"export"`` (audit log).
    kind, unit : str, optional
        With ``linked``: the unit kind of the rows (an area kind or ``"municipality"``;
        default the frame's ``area_kind``) and the column naming the unit (default
        ``area_id``).
    **suppress_options
        ``by``, ``sums``, ``dependents``, ``column_totals`` of
        :func:`analysis.privacy.suppress` (tables without ``linked``).

    Returns
    -------
    DataFrame
        Child-level: the rows of the audience's scope. Aggregates: the same rows; hidden counts
        are ``pd.NA`` in ``Int64`` columns, with boolean ``<col>_suppressed`` and ``<col>_small``
        columns after each count column (``_small``: the hidden value is 1..threshold-1).

    Raises
    ------
    AccessDenied
        A planner asked for child-level rows, a role asked for names it may not see, or a scoped
        user asked for a child table that cannot be scoped.
    """
    who = audience(who)
    if is_individual(frame):
        return individuals(
            frame,
            who,
            what=what,
            workspace=workspace,
            include_identity=include_identity,
            action=action,
        )
    if include_identity and who.role not in IDENTITY_ROLES:
        msg = f"The {who.role} role may not see names or addresses."
        raise AccessDenied(msg)
    if count_columns is None and linked is not None:
        count_columns = linked.columns_of(frame)
    count_columns = [c for c in (count_columns or []) if c in frame.columns]
    if not count_columns:
        return frame
    if any(c + FLAG_SUFFIX in frame.columns for c in count_columns):
        return frame  # already through the gate
    known = _known_rows(frame, who, linked, unit=unit)
    if known.all():
        return _mark(frame, count_columns, None, None)
    dependents = suppress_options.pop("dependents", None)
    if dependents is None and linked is not None:
        dependents = linked.dependents
    threshold = threshold_for(who, threshold)
    out = None
    if linked is not None:
        try:
            out = linked.apply(
                frame, count_columns=count_columns, who=who, kind=kind, unit=unit or "area_id"
            )
        except (KeyError, ValueError) as exc:
            # not the publication's table (e.g. counts of a coordinator's own children only):
            # protect it on its own rather than fail the page
            logger.warning("%s: %s; suppressed on its own", what, exc)
    if out is None:
        out = disclosure.suppress_flat(
            frame, count_columns=count_columns, threshold=threshold, known=known, **suppress_options
        )
    hidden = {c: out[c + FLAG_SUFFIX].to_numpy(dtype=bool) for c in count_columns}
    return hide_dependents(out, dependents, hidden)


_NUMBER = re.compile(
    r"(?<![\d.])(?<![<>] )(?<![<>])(?<!県全体 )(?<!県平均 )\d+(?:\.\d+)?(?=\s*(?:人|%))"
)
_RATIO = re.compile(r"((?:定員/児|E2SFCA) )\d+(?:\.\d+)?")


def mask_text(text, label="秘匿"):
    """Counts and shares in a reason text replaced by ``label`` (limits and settings kept).

    Examples
    --------
    >>> mask_text("ケアを受け入れる事業所が到達圏にない児 3人 / 30分を超える児の割合 40% > 20%")
    'ケアを受け入れる事業所が到達圏にない児 秘匿人 / 30分を超える児の割合 秘匿% > 20%'
    """
    if not isinstance(text, str):
        return text
    return _RATIO.sub(lambda m: m.group(1) + label, _NUMBER.sub(label, text))


def hide_dependents(out, dependents, hidden):
    """Hide values computed from hidden counts (rates NA; counts inside reason texts masked).

    ``dependents`` maps a column to the count columns it is computed from. Flags, severities
    and the reasons themselves stay: only the numbers inside a reason are masked.
    """
    out = out.copy() if dependents else out
    for dep, sources in (dependents or {}).items():
        if dep not in out.columns:
            continue
        hide = np.zeros(len(out), bool)
        for src in sources:
            if src in hidden:
                hide |= hidden[src]
        if not hide.any():
            continue
        col = out[dep]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out[dep] = col.astype("Float64").where(~hide, pd.NA)
        else:
            out[dep] = [mask_text(v) if h else v for v, h in zip(col, hide, strict=True)]
    return out


def breakdown(
    tab,
    who,
    *,
    what,
    linked=None,
    kind=None,
    columns=None,
    total_column=None,
    threshold=None,
    label="計",
    group=(),
):
    """A breakdown (index = area, one column per band, 「計」 margins) as ``who`` may see it.

    Parameters
    ----------
    tab : DataFrame
        Raw counts with the 「計」 margin column and row (as :func:`analysis.gaps.breakdown`).
    linked : gate.disclosure.Linked, optional
        The publication the breakdown belongs to; ``columns`` maps each band column to the
        publication's column (e.g. ``{"0-5": "children_age:0-5"}``) and ``total_column`` names
        the publication column of the 「計」 column (e.g. ``"children"``).
    kind : str
        Area kind of the rows (with ``linked``).
    group : tuple
        The publication's group key of the table (e.g. ``(service,)``).

    Returns
    -------
    DataFrame
        ``Int64`` with NA in hidden cells and ``attrs["suppressed"]``/``attrs["small"]``
        (boolean frames); :func:`display` labels them.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"0-5": [12, 15, 27], "6-17": [3, 20, 23], "計": [15, 35, 50]},
    ...                  index=["A", "B", "計"])
    >>> display(breakdown(t, "planner", what="ages")).values.tolist()
    [['秘匿', '<10', '15'], ['秘匿', '秘匿', '35'], ['27', '23', '50']]
    """
    who = audience(who)
    if who.unsuppressed or (who.may_see_individuals and who.scope is None):
        return tab
    if linked is not None:
        return linked.breakdown(
            tab,
            kind=kind,
            column_of=columns or {},
            total_column=total_column,
            label=label,
            group=group,
        )
    from analysis import privacy

    thr = settings.suppression_threshold if threshold is None else int(threshold)
    inner = tab.drop(index=label, errors="ignore").drop(columns=label, errors="ignore")
    row_totals = tab[label].drop(index=label, errors="ignore") if label in tab.columns else None
    out = privacy.suppress_breakdown(inner, threshold=thr, row_totals=row_totals)
    raw = tab.reindex(index=out.index, columns=out.columns)
    hidden = out.attrs["suppressed"]
    small = hidden & (raw >= 1) & (raw < thr)
    out.attrs["small"] = small.fillna(False).astype(bool)
    out.attrs["threshold"] = thr
    return out


def _mark(frame, count_columns, hidden, small):
    """Add ``_suppressed``/``_small`` flags (all False when ``hidden`` is None)."""
    out = frame.copy()
    for c in count_columns:
        h = np.zeros(len(out), bool) if hidden is None else hidden[c]
        s = np.zeros(len(out), bool) if small is None else small[c]
        values = pd.array(pd.to_numeric(out[c], errors="coerce"), dtype="Float64")
        if (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")
        values[h] = pd.NA
        out[c] = values
        for suffix in (FLAG_SUFFIX, SMALL_SUFFIX):
            if c + suffix in out.columns:
                out = out.drop(columns=c + suffix)
        pos = out.columns.get_loc(c)
        out.insert(pos + 1, c + FLAG_SUFFIX, pd.array(h, dtype="boolean"))
        out.insert(pos + 2, c + SMALL_SUFFIX, pd.array(s, dtype="boolean"))
    return out


def metric(value, who, *, what, threshold=None, known=False):
    """One count for a metric tile, as text: the number, or 「<10」 for a planner when 1-9.

    Parameters
    ----------
    value : int
        The true count (e.g. power-dependent children in the region).
    who : Audience or role
    what : str
        What is counted (for messages).
    known : bool, default False
        The audience knows this count anyway (e.g. a scoped coordinator counting its own scope).

    Examples
    --------
    >>> metric(120, "planner", what="children"), metric(3, "admin", what="children")
    ('120', '3')
    >>> metric(0, "planner", what="children")
    '0'
    """
    who = audience(who)
    thr = settings.suppression_threshold if threshold is None else int(threshold)
    if value is None or pd.isna(value):
        return "—"
    v = int(value)
    if who.unsuppressed or known or (who.may_see_individuals and who.scope is None):
        return f"{v:,}"
    if 1 <= v < thr:
        return small_label(thr)
    return f"{v:,}"


def display(frame, *, lang="ja", threshold=None, numbers=False):
    """The table as text: 「<10」 for hidden counts 1-9, 「秘匿」 for complementary ones.

    Flag columns are dropped; non-count columns are kept as they are. With ``numbers`` the
    shown counts stay numbers (for spreadsheets); only hidden cells become text.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": pd.array([None, None, 60], dtype="Int64"),
    ...                   "n_suppressed": [True, True, False], "n_small": [True, False, False]})
    >>> display(t)["n"].tolist()
    ['<10', '秘匿', '60']
    """
    thr = frame.attrs.get("threshold") or threshold
    small_text = small_label(thr)
    other_text = SUPPRESSED_TEXT.get(lang, SUPPRESSED_TEXT["ja"])
    out = pd.DataFrame(frame).copy() if not hasattr(frame, "geometry") else frame.copy()
    flags = [c for c in out.columns if isinstance(c, str) and c.endswith(FLAG_SUFFIX)]
    smalls = [c for c in out.columns if isinstance(c, str) and c.endswith(SMALL_SUFFIX)]
    for flag in flags:
        col = flag[: -len(FLAG_SUFFIX)]
        if col not in out.columns:
            continue
        hide = out[flag].fillna(False).to_numpy(dtype=bool)
        small_col = col + SMALL_SUFFIX
        small = (
            out[small_col].fillna(False).to_numpy(dtype=bool)
            if small_col in out.columns
            else np.ones(len(out), bool)  # unknown kind of suppression: the engine's primary
        )
        out[col] = [
            _cell(v, h, s, small_text, other_text, numbers)
            for h, s, v in zip(hide, small, out[col], strict=True)
        ]
    hidden_frame = frame.attrs.get("suppressed")
    small_frame = frame.attrs.get("small")
    out = out.drop(columns=[c for c in flags + smalls if c in out.columns])
    if isinstance(hidden_frame, pd.DataFrame):
        for col in out.columns:
            if col in hidden_frame.columns:
                hide = hidden_frame[col].reindex(out.index).fillna(False).to_numpy(dtype=bool)
                if isinstance(small_frame, pd.DataFrame) and col in small_frame.columns:
                    small = small_frame[col].reindex(out.index).fillna(False).to_numpy(dtype=bool)
                else:
                    small = np.ones(len(out), bool)
                out[col] = [
                    _cell(v, h, s, small_text, other_text, numbers)
                    for h, s, v in zip(hide, small, out[col], strict=True)
                ]
    out.attrs = {}
    return out


def _cell(v, hidden, small, small_text, other_text, numbers):
    if hidden:
        return small_text if small else other_text
    if pd.isna(v):
        return None if numbers else ""
    return _fmt(v, numbers)


def _fmt(v, numbers=False):
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return int(v) if numbers else str(int(v))
    if numbers and isinstance(v, int | np.integer):
        return int(v)
    return v if numbers else str(v)


def export(
    frame,
    who,
    *,
    fmt,
    what,
    workspace=None,
    include_identity=False,
    count_columns=None,
    linked=None,
    layer=None,
    **options,
):
    """Bytes of what ``who`` may take away of ``frame``: csv, xlsx or gpkg.

    The one export function of app, command line and reports: the table passes :func:`table`
    (scope, identity, suppression), child-level exports are audited as ``export``; CSV is UTF-8
    with a BOM, formula-like cells (``=``, ``+``, ``-``, ``@``, tab, CR) get a leading
    apostrophe; hidden counts read 「<10」 or 「秘匿」; GeoPackages keep the geometry.

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame, or dict of sheet name to DataFrame (xlsx only)
    who : Audience or role
    fmt : {"csv", "xlsx", "gpkg"}
    what : str
        What is exported (audit log).
    workspace : path, optional
        Workspace whose audit log records child-level exports.

    Returns
    -------
    bytes

    Examples
    --------
    >>> import pandas as pd
    >>> kids = pd.DataFrame({"child_id": ["c1"], "municipality_code": ["01001"],
    ...                      "memo": ["@SUM(A1)"]})
    >>> data = export(kids, "coordinator", fmt="csv", what="children")
    >>> data.decode("utf-8-sig").splitlines()[1]
    "c1,01001,'@SUM(A1)"
    >>> export(kids, "planner", fmt="csv", what="children")
    Traceback (most recent call last):
    ...
    gate.roles.AccessDenied: The planner role sees aggregates only ...
    """
    from . import files as _export

    if fmt not in _export.WRITERS:
        msg = (
            f"Export format {fmt!r} is not supported; expected one of {', '.join(_export.WRITERS)}."
        )
        raise ValueError(msg)
    who = audience(who)
    frames = frame if isinstance(frame, dict) else {layer or "data": frame}
    if len(frames) > 1 and fmt != "xlsx":
        msg = f"Several tables can only be exported as xlsx, not {fmt}."
        raise ValueError(msg)
    shown = {}
    for name, f in frames.items():
        f = f if isinstance(f, pd.DataFrame) else pd.DataFrame(f)
        shown[name] = table(
            f,
            who,
            what=f"{what} ({fmt})",
            count_columns=count_columns,
            linked=linked,
            include_identity=include_identity,
            workspace=workspace,
            action="export",
            **options,
        )
    logger.info("Exported %s as %s for %s", what, fmt, who.role)
    if fmt == "xlsx":
        data = shown if isinstance(frame, dict) else next(iter(shown.values()))
        return _export.to_excel_bytes(data, include_identity=include_identity, role=who.role)
    one = next(iter(shown.values()))
    if fmt == "gpkg":
        return _export.to_gpkg_bytes(
            one, layer or "export", include_identity=include_identity, role=who.role
        )
    return _export.to_csv_bytes(one, include_identity=include_identity, role=who.role)
