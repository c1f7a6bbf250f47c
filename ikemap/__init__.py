"""The ``ikemap`` command line: a thin argparse front over ``geo`` and ``analysis``."""

from __future__ import annotations

__version__ = "0.1.0"
