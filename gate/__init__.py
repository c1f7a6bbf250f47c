"""The one access gate: who sees what of the children's data (roles, scope, suppression, audit).

Everything a person sees — app tables, metrics, maps, charts, downloads, command-line CSVs,
reports — passes :mod:`gate.core` with an :class:`Audience`:

>>> import pandas as pd
>>> import gate
>>> from gate import Audience
>>> t = pd.DataFrame({"area": ["A", "B", "C"], "children": [12, 3, 40]})
>>> gate.display(gate.table(t, Audience("sato", "planner"), what="children",
...                         count_columns=["children"]))["children"].tolist()
['秘匿', '<10', '40']

Modules: :mod:`gate.roles` (roles, audience, scope, identity columns), :mod:`gate.core`
(table, metric, export, display), :mod:`gate.disclosure` (linked tables from municipality
atoms, LP audit), :mod:`gate.publish` (the planner publications of a workspace),
:mod:`gate.users` (users file), :mod:`gate.login` (lockout), :mod:`gate.audit`
(append-only log), :mod:`gate.files` (csv/xlsx/gpkg writers). The library (``analysis``)
returns raw frames and never branches on a role.
"""

from __future__ import annotations

from .core import (
    FLAG_SUFFIX,
    SMALL_SUFFIX,
    breakdown,
    display,
    export,
    individuals,
    metric,
    small_label,
    table,
)
from .roles import (
    IDENTITY_ROLES,
    INDIVIDUAL_ROLES,
    ROLES,
    Access,
    AccessDenied,
    Audience,
    audience,
    identity_columns,
    is_individual,
    scope_filter,
)

__all__ = [
    "FLAG_SUFFIX",
    "SMALL_SUFFIX",
    "breakdown",
    "display",
    "export",
    "individuals",
    "metric",
    "small_label",
    "table",
    "IDENTITY_ROLES",
    "INDIVIDUAL_ROLES",
    "ROLES",
    "Access",
    "AccessDenied",
    "Audience",
    "audience",
    "identity_columns",
    "is_individual",
    "scope_filter",
]
