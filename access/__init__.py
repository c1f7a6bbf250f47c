"""The one access gate: who sees what of the children's data (roles, scope, suppression, audit).

Everything a person sees — app tables, metrics, maps, charts, downloads, command-line CSVs,
reports — passes :mod:`access.gate` with an :class:`Audience`:

>>> import pandas as pd
>>> from access import Audience, gate
>>> t = pd.DataFrame({"area": ["A", "B", "C"], "children": [12, 3, 40]})
>>> gate.display(gate.table(t, Audience("sato", "planner"), what="children",
...                         count_columns=["children"]))["children"].tolist()
['秘匿', '<10', '40']

Modules: :mod:`access.roles` (roles, audience, scope, identity columns), :mod:`access.gate`
(table, metric, export, display), :mod:`access.disclosure` (linked tables from municipality
atoms, LP audit), :mod:`access.publish` (the planner publications of a workspace),
:mod:`access.users` (users file), :mod:`access.login` (lockout), :mod:`access.audit`
(append-only log), :mod:`access.export` (csv/xlsx/gpkg writers). The library (``analysis``)
returns raw frames and never branches on a role.
"""

from __future__ import annotations

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
