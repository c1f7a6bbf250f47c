"""Importers for the files Japanese prefectures and municipalities hold.

One module per source family: ``boundaries`` (N03), ``areas`` (圏域 tables), ``roads``,
``facilities`` (WAM NET, 介護サービス情報公表, generic CSV + capability columns), ``shelters``
(国土地理院 指定緊急避難場所・指定避難所), ``hazards`` (A31 / A33 / A40 / A49 and prefecture
layouts), ``children`` (a register CSV, addresses resolved offline by ``addresses``), and
``region`` which imports a set of files into one workspace. Every importer returns its layer
and an :class:`ImportReport`: rows read = rows accepted + rows rejected, each rejection with
file, row, field, value and reason.
"""

from __future__ import annotations

from . import reading as reading
from .report import ImportReport, Rejection, validate_file, validate_upload

__all__ = ["ImportReport", "Rejection", "validate_file", "validate_upload", "reading"]
