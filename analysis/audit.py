"""Moved to :mod:`access.audit` (access is its own package beside analysis).

This name stays so that older imports keep working: it *is* the access module.
"""

import sys

from access import audit as _module

sys.modules[__name__] = _module
