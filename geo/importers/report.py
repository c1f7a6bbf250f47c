"""The validation report every import returns: rows in = accepted + rejected, always."""

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
    """Counts and problems of one import or validation run."""

    file: str
    kind: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_repaired: int = 0
    rejections: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def rows_rejected(self):
        """Number of distinct rejected rows."""
        return len({r.row for r in self.rejections})

    @property
    def ok(self):
        """True when nothing was rejected."""
        return not self.rejections

    def check_balance(self):
        """Raise AssertionError unless rows read = accepted + rejected."""
        if self.rows_read != self.rows_accepted + self.rows_rejected:
            msg = (
                f"{self.file}: {self.rows_read} rows read but {self.rows_accepted} accepted + "
                f"{self.rows_rejected} rejected"
            )
            raise AssertionError(msg)

    def summary(self):
        """Return a human-readable summary with every rejection."""
        head = (
            f"{self.file} ({self.kind}): {self.rows_read} rows read, "
            f"{self.rows_accepted} accepted, "
            f"{self.rows_repaired} repaired, {self.rows_rejected} rejected."
        )
        lines = [head] + [r.describe() for r in self.rejections] + list(self.warnings)
        return "\n".join(lines)

    def to_frame(self):
        """Rejections as a DataFrame (file, row, field, value, reason)."""
        cols = ["file", "row", "field", "value", "reason"]
        return pd.DataFrame([r.__dict__ for r in self.rejections], columns=cols)


_KIND_TO_LAYER = {
    "facilities": "facilities",
    "children": "children",
    "shelters": "shelters",
    "hazards": "hazards",
    "areas": "area_members",
    "boundaries": "municipalities",
}


def validate_file(path, *, kind, fmt=None, workspace_path=None):
    """Validate a file already in the workspace schema (GeoPackage, GeoJSON or CSV).

    Parameters
    ----------
    path : Path
        The file.
    kind : str
        facilities, children, shelters, hazards, areas or boundaries.
    fmt, workspace : optional
        Source format and workspace (used by the source importers).

    Returns
    -------
    ImportReport
    """
    del fmt, workspace_path
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
