"""The validation report every import returns: rows in = accepted + rejected, always.

Row numbers are the ones a user finds in the file: for a CSV or Excel sheet the spreadsheet row
(the header is row 1, the first data row is row 2); for a vector file (GeoJSON, Shapefile,
GeoPackage) the feature number counted from 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import codes, workspace


@dataclass(frozen=True)
class Rejection:
    """One rejected (or repaired) row: where, which field, what value, and why."""

    file: str
    row: object
    field: str
    value: object
    reason: str

    def describe(self):
        """Return the rejection as one line."""
        return f"{self.file} row {self.row}: {self.field} = {self.value!r}: {self.reason}"


@dataclass
class ImportReport:
    """Counts and problems of one import or validation run.

    ``rejections`` are rows left out, ``repairs`` rows kept after a fix (an unclosed ring closed,
    a code padded), ``errors`` problems of the file as a whole (unreadable, a required column
    missing, a municipality missing from a 圏域 table): any error makes the import fail.

    Examples
    --------
    >>> r = ImportReport(file="kids.csv", kind="children", rows_read=2)
    >>> r.reject(3, "age", "x", "age must be a whole number")
    >>> r.settle()
    >>> (r.rows_accepted, r.rows_rejected)
    (1, 1)
    """

    file: str
    kind: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_repaired: int = 0
    rejections: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    repairs: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    fmt: str | None = None
    encoding: str | None = None
    #: Side tables an import produces besides its layer (e.g. ``children_unresolved``).
    tables: dict = field(default_factory=dict)

    @property
    def rows_rejected(self):
        """Number of distinct rejected rows."""
        return len({r.row for r in self.rejections})

    @property
    def failed(self):
        """True when the file as a whole could not be imported (see ``errors``)."""
        return bool(self.errors)

    @property
    def ok(self):
        """True when nothing was rejected and the file had no error."""
        return not self.rejections and not self.errors

    @property
    def name(self):
        """The file name without its folder (for messages)."""
        return Path(self.file).name

    def reject(self, row, field_, value, reason):
        """Record a rejected row (once per row and field: the first reason found stands)."""
        if any(r.row == row and r.field == field_ for r in self.rejections):
            return
        self.rejections.append(Rejection(self.name, row, field_, _plain(value), reason))

    def repair(self, row, field_, value, reason):
        """Record a repaired (kept) row; each row counts once in ``rows_repaired``."""
        self.repairs.append(Rejection(self.name, row, field_, _plain(value), reason))
        self.rows_repaired = len({r.row for r in self.repairs})

    def error(self, message):
        """Record a problem of the whole file (the import fails)."""
        self.errors.append(message)

    def warn(self, message):
        """Record a note that does not reject anything."""
        self.warnings.append(message)

    def rejected_rows(self):
        """Return the set of rejected row numbers."""
        return {r.row for r in self.rejections}

    def settle(self):
        """Set ``rows_accepted`` to rows read minus rows rejected, then check the balance."""
        self.rows_accepted = self.rows_read - self.rows_rejected
        self.check_balance()

    def check_balance(self):
        """Raise AssertionError unless rows read = accepted + rejected.

        A file that failed as a whole (``errors``) and reports no rows read is balanced: its
        rows were never counted.
        """
        if self.failed and self.rows_read == 0:
            return
        if self.rows_read != self.rows_accepted + self.rows_rejected:
            msg = (
                f"{self.file}: {self.rows_read} rows read but {self.rows_accepted} accepted + "
                f"{self.rows_rejected} rejected"
            )
            raise AssertionError(msg)

    def summary(self, *, limit=None):
        """Return a human-readable summary with every rejection (or the first ``limit``)."""
        head = (
            f"{self.file} ({self.kind}{', ' + self.fmt if self.fmt else ''}): "
            f"{self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_repaired} repaired, {self.rows_rejected} rejected."
        )
        lines = [head]
        lines += [f"  ERROR: {e}" for e in self.errors]
        shown = self.rejections if limit is None else self.rejections[:limit]
        lines += [f"  rejected: {r.describe()}" for r in shown]
        if len(shown) < len(self.rejections):
            more = len(self.rejections) - len(shown)
            lines.append(f"  ... and {more} more rejections (write them all with --report R.csv)")
        rep = self.repairs if limit is None else self.repairs[:limit]
        lines += [f"  repaired: {r.describe()}" for r in rep]
        if len(rep) < len(self.repairs):
            lines.append(f"  ... and {len(self.repairs) - len(rep)} more repairs")
        lines += [f"  note: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_frame(self):
        """Rejections as a DataFrame (file, row, field, value, reason)."""
        cols = ["file", "row", "field", "value", "reason"]
        return pd.DataFrame([r.__dict__ for r in self.rejections], columns=cols)

    def records(self):
        """Every rejection, repair, error and note as a DataFrame with a ``status`` column."""
        rows = [{"status": "rejected", "kind": self.kind, **r.__dict__} for r in self.rejections]
        rows += [{"status": "repaired", "kind": self.kind, **r.__dict__} for r in self.repairs]
        rows += [
            {"status": "error", "kind": self.kind, "file": self.name, "reason": e}
            for e in self.errors
        ]
        rows += [
            {"status": "note", "kind": self.kind, "file": self.name, "reason": w}
            for w in self.warnings
        ]
        cols = ["file", "kind", "status", "row", "field", "value", "reason"]
        return pd.DataFrame(rows, columns=cols)

    def counts(self):
        """The counts as a dict (one row of the summary table)."""
        return {
            "file": self.name,
            "kind": self.kind,
            "format": self.fmt,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_repaired": self.rows_repaired,
            "rows_rejected": self.rows_rejected,
            "failed": self.failed,
        }


def _plain(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float | int | str | bool):
        return value
    return str(value)


def summary_frame(reports):
    """One row of counts per report."""
    cols = [
        "file",
        "kind",
        "format",
        "rows_read",
        "rows_accepted",
        "rows_repaired",
        "rows_rejected",
        "failed",
    ]
    return pd.DataFrame([r.counts() for r in reports], columns=cols)


def records_frame(reports):
    """Every rejection, repair, error and note of several reports in one DataFrame."""
    frames = [r.records() for r in reports]
    frames = [f for f in frames if len(f)]
    if not frames:
        return ImportReport(file="", kind="").records()
    out = pd.concat(frames, ignore_index=True)
    for col in ("row", "value"):
        out[col] = out[col].astype(object)
    return out


_KIND_TO_LAYER = {
    "facilities": "facilities",
    "children": "children",
    "shelters": "shelters",
    "hazards": "hazards",
    "areas": "area_members",
    "boundaries": "municipalities",
}


def validate_file(path, *, kind, fmt=None, workspace_path=None, address_points=None):
    """Run the importer of ``kind`` on a file without writing anything; return its report.

    Parameters
    ----------
    path : Path
        The file.
    kind : str
        facilities, children, shelters, hazards, areas or boundaries.
    fmt : str, optional
        Source format: for facilities ``wam``, ``kaigo``, ``generic`` or ``capabilities``;
        for hazards a layout (``a31``, ``a33``, ``a40``, ``a49``, ``tokyo_dosha``, ``generic``).
        Detected from the columns when omitted.
    workspace_path : Path, optional
        A workspace whose ``municipalities`` are used to check that points lie in their
        municipality and that a 圏域 table covers every municipality once.
    address_points : Path, optional
        位置参照情報 points to resolve addresses of a child register or facility list
        (default: the workspace's ``address_points`` layer, when it has one).

    Returns
    -------
    ImportReport

    Examples
    --------
    >>> rep = validate_file("houmon_kango_13.csv", kind="facilities", fmt="kaigo")  # doctest: +SKIP
    >>> rep.rows_read == rep.rows_accepted + rep.rows_rejected  # doctest: +SKIP
    True
    """
    from . import region

    if kind not in _KIND_TO_LAYER:
        msg = f"Unknown kind {kind!r}; expected one of {sorted(_KIND_TO_LAYER)}."
        raise KeyError(msg)
    municipalities = None
    present = workspace.layers(workspace_path) if workspace_path is not None else []
    if "municipalities" in present:
        municipalities = workspace.read(workspace_path, "municipalities")
    if (
        address_points is None
        and kind in ("children", "facilities")
        and "address_points" in present
    ):
        # the workspace's 位置参照 points (what the app's address search uses) resolve addresses
        pts = workspace.read(workspace_path, "address_points")
        address_points = pd.DataFrame(
            {
                "pref": pts["pref"],
                "city": pts["city"],
                "town": pts["town"],
                "lat": pts.geometry.y,
                "lon": pts.geometry.x,
            }
        )
    return region.validate_one(
        Path(path),
        kind=kind,
        fmt=fmt,
        municipalities=municipalities,
        address_points=address_points,
    )


def validate_upload(name, data, *, kind, fmt=None, workspace_path=None, address_points=None):
    """Validate an uploaded file (the app's データ page) through the same intake path as the CLI.

    The upload is checked (size, extension, magic bytes, zip members) and staged under a safe
    name in a private temporary folder by :func:`geo.safe_io.stage_upload`, run through
    :func:`validate_file`, and the folder is removed before returning: no copy outlives the
    call.

    Parameters
    ----------
    name : str
        The file name as uploaded (never used as a path).
    data : bytes
        The content.
    kind, fmt, workspace_path, address_points
        As :func:`validate_file`.

    Returns
    -------
    ImportReport
        A refused upload is a report with ``errors`` (nothing raised).

    Examples
    --------
    >>> rep = validate_upload("../../kids.csv", b"%PDF-1.7", kind="children")
    >>> rep.failed, "a PDF" in rep.errors[0]
    (True, True)
    """
    import os
    import tempfile

    from .. import safe_io
    from ..errors import ValidationError

    remove_stale_uploads()
    with tempfile.TemporaryDirectory(prefix=f"ikemap-upload-{os.getpid()}-") as tmp:
        try:
            staged = safe_io.stage_upload(name, data, tmp)
        except ValidationError as exc:
            report = ImportReport(file=safe_io.safe_name(name), kind=kind)
            for p in exc.problems:
                report.error(f"{p.layer}: {p.column} is {p.value!r}; expected {p.expected}.")
            return report
        vector = (".shp", ".geojson", ".json", ".gpkg")
        if (
            kind in ("hazards", "boundaries")
            and str(name).lower().endswith(".zip")
            and staged.suffix.lower() not in vector
        ):
            root = staged if staged.is_dir() else staged.parent  # the zip's own folder
            found = sorted(str(f.relative_to(root)) for f in root.rglob("*") if f.is_file())
            shown = [f for f in found if Path(f).suffix.lower() in vector]
            report = ImportReport(file=safe_io.safe_name(name), kind=kind)
            report.error(
                f"{report.name}: the zip holds "
                + (
                    f"several layers ({', '.join(shown)}): upload one"
                    if len(shown) > 1
                    else f"no Shapefile (.shp with its .shx and .dbf), GeoJSON or GeoPackage "
                    f"(it holds {', '.join(found) or 'nothing'})"
                )
                + "; zip the files of one layer, or upload the GeoJSON itself."
            )
            return report
        return validate_file(
            staged,
            kind=kind,
            fmt=fmt,
            workspace_path=workspace_path,
            address_points=address_points,
        )


def remove_stale_uploads():
    """Remove upload folders (``ikemap-upload-<pid>-*`` in the temp folder) of dead processes.

    A process killed while validating an upload cannot remove its staged copy (perhaps a child
    register); the next upload does. Returns the folders removed.
    """
    import os
    import shutil
    import tempfile

    removed = []
    for folder in Path(tempfile.gettempdir()).glob("ikemap-upload-*"):
        pid = folder.name.split("-")[2] if folder.name.count("-") >= 3 else ""
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except PermissionError:
            continue
    return removed


def validate_workspace_schema(path, *, kind):
    """Validate a file already in the workspace schema (GeoPackage, GeoJSON or CSV)."""
    path = Path(path)
    layer = _KIND_TO_LAYER[kind]
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame.replace({"": None})
    else:
        frame = gpd.read_file(path)
    for col in workspace.LAYERS[layer].columns:
        if col.kind == "codes" and col.name in frame.columns:
            frame[col.name] = [codes.split_list(v) for v in frame[col.name]]
    report = ImportReport(file=str(path), kind=kind, rows_read=len(frame))
    for p in workspace.validate(layer, frame):
        report.rejections.append(Rejection(str(path), p.row, p.column, p.value, p.expected))
    report.rows_accepted = report.rows_read - report.rows_rejected
    return report
