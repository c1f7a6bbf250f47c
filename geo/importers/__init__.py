"""Importers for the files Japanese prefectures and municipalities hold.

One module per source family. Every importer returns an :class:`ImportReport` besides its
layer: rows read = rows accepted + rows rejected, each rejection with file, row, field, value and
reason. (Foundation version: workspace-format files only; the real importers land with their issue.)
"""

from __future__ import annotations

from .report import ImportReport, Rejection, validate_file

__all__ = ["ImportReport", "Rejection", "validate_file"]
