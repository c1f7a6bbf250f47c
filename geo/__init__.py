"""Reading and shaping space for ikemap: workspace I/O, code tables, roads, travel time.

Modules are exposed so that call sites name the concept: ``geo.workspace.read(...)``.
"""

from __future__ import annotations

from . import codes as codes
from . import errors as errors
from . import settings as settings
from . import workspace as workspace
