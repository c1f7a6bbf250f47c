"""Moved to :mod:`gate.files` (the access gate is its own package beside analysis).

This name stays so that older imports keep working: it *is* the gate module.
"""

import sys

from gate import files as _module

sys.modules[__name__] = _module
