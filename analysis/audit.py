"""Moved to :mod:`gate.audit` (the access gate is its own package beside analysis).

This name stays so that older imports keep working: it *is* the gate module.
"""

import sys

from gate import audit as _module

sys.modules[__name__] = _module
