"""Append-only audit log of views and exports of individual-level data.

The log is the table ``audit_log`` inside the workspace GeoPackage (a GeoPackage is SQLite), so
it travels with the data. Rows are only ever inserted: this module has no update or delete, and
SQLite triggers abort any ``UPDATE`` or ``DELETE`` on the table. Each row also carries a SHA-256
hash chained to the previous row, so :func:`verify` detects a row changed or removed by other
means (another SQLite tool, a dropped trigger).

Columns: ``id``, ``ts`` (UTC, ISO 8601), ``user``, ``role``, ``action`` (view, export, login,
login_failed, logout), ``what`` (which table or list), ``rows`` (how many rows were shown or
exported), ``detail`` (scope, identity columns), ``hash``.

An append is one ``INSERT`` in a plain SQLite transaction (``BEGIN IMMEDIATE``) on the
GeoPackage itself: the file is never copied or rewritten here, so appends from several app
sessions and commands at once serialise on SQLite's lock. (Workspace writes that copy and
replace the whole file, :func:`geo.workspace.write_layers`, could drop an entry appended in the
instant between the copy and the replacement; they are becoming transactions in the file too.)

Examples
--------
>>> import tempfile, pathlib
>>> from geo import workspace
>>> ws = pathlib.Path(tempfile.mkdtemp()) / "w.gpkg"
>>> workspace.write_metadata(ws, {"region": "demo"})
>>> record(ws, user="sato", role="disaster", action="view", what="evacuation", rows=12)
1
>>> read(ws)[["user", "action", "what", "rows"]].values.tolist()
[['sato', 'view', 'evacuation', 12]]
>>> verify(ws)
True
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from pathlib import Path

import pandas as pd

from geo import workspace as _ws
from geo.errors import WorkspaceError

logger = logging.getLogger(__name__)

TABLE = "audit_log"

COLUMNS = ("id", "ts", "user", "role", "action", "what", "rows", "detail", "hash")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL,
    rows INTEGER NOT NULL,
    detail TEXT,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""

_GENESIS = "0" * 64


def _ensure(con, path):
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if TABLE in tables:
        return
    if tables and "gpkg_contents" not in tables:
        msg = f"{path} is a SQLite file but not a GeoPackage workspace; the audit log needs one."
        raise WorkspaceError(msg)
    con.executescript(_SCHEMA)
    if "gpkg_contents" in tables:
        # register as an attribute table so QGIS and GDAL list it
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)"
            " VALUES (?, 'attributes', ?, 'ikemap audit log (append-only)')",
            (TABLE, TABLE),
        )


def _digest(prev, ts, user, role, action, what, rows, detail):
    text = "\x1f".join([prev, ts, user, role, action, what, str(int(rows)), detail or ""])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(workspace, *, user, role, action, what, rows, detail=None):
    """Append one entry to the workspace's audit log and return its id.

    Parameters
    ----------
    workspace : path
        The workspace GeoPackage (the table is created on first use).
    user, role : str
        Who.
    action : str
        view, export, login, login_failed or logout.
    what : str
        Which data (e.g. ``"children"``, ``"evacuation list"``).
    rows : int
        How many rows of individual data were shown or exported.
    detail : str, optional
        Scope, file format, whether names were included.
    """
    path = Path(workspace)
    if not path.exists():
        msg = (
            f"Audit log: workspace {path} does not exist. Create it with `ikemap demo` or "
            "`ikemap import` first."
        )
        raise WorkspaceError(msg)
    ts = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    values = [str(user), str(role), str(action), str(what), int(rows), detail]
    # workspace.native_sqlite: Python's SQLite and GDAL's own copy drop each other's POSIX locks
    # inside one process, so plain SQL waits until no GDAL read or write of this file is running
    with _ws.native_sqlite(path) as con:
        _ensure(con, path)
        try:
            con.execute("BEGIN IMMEDIATE")
            last = con.execute(f"SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()
            digest = _digest(last[0] if last else _GENESIS, ts, *values)
            cur = con.execute(
                f"INSERT INTO {TABLE} (ts, user, role, action, what, rows, detail, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (ts, *values, digest),
            )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        entry_id = cur.lastrowid
    logger.debug("Audit %s %s %s (%d rows) by %s", action, what, detail or "", rows, user)
    return entry_id


def read(workspace, *, limit=None):
    """The audit log as a DataFrame, oldest first (the last ``limit`` entries when given)."""
    path = Path(workspace)
    if not path.exists():
        msg = f"Workspace {path} does not exist."
        raise WorkspaceError(msg)
    with _ws.native_sqlite(path, readonly=True) as con:
        present = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)
        ).fetchone()
        if not present:
            return pd.DataFrame(columns=list(COLUMNS))
        sql = f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id"
        if limit is not None:
            sql = (
                f"SELECT * FROM (SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id DESC "
                f"LIMIT {int(limit)}) ORDER BY id"
            )
        return pd.read_sql_query(sql, con)


def verify(workspace):
    """True when the hash chain of the log is intact (no entry changed, removed or reordered).

    Raises :class:`geo.errors.WorkspaceError` naming the first broken entry otherwise.
    """
    log = read(workspace)
    prev = _GENESIS
    for row in log.itertuples(index=False):
        detail = None if pd.isna(row.detail) else row.detail
        expected = _digest(prev, row.ts, row.user, row.role, row.action, row.what, row.rows, detail)
        if expected != row.hash:
            msg = (
                f"{workspace}: audit_log entry {row.id} ({row.ts}, {row.user}) does not match "
                "the hash chain: an entry was changed or removed outside ikemap."
            )
            raise WorkspaceError(msg)
        prev = row.hash
    return True
