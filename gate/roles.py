"""Who is asking: roles, scopes, identity columns, and the audience of an output.

An :class:`Audience` (user name, role, scope, demo flag) is what every call of
:mod:`gate.core` receives. Roles, from least to most access:

==============  =========================================================================
role            sees
==============  =========================================================================
``planner``     aggregates only; small counts suppressed jointly (:mod:`gate.disclosure`)
``coordinator`` individual children of its scope (pseudonymous ``child_id``); areas outside
                its scope as a planner sees them
``disaster``    as coordinator (exposure, call list)
``admin``       everything, unsuppressed
==============  =========================================================================

Examples
--------
>>> a = audience("coordinator", scope="01202,01203", user="sato")
>>> a.role, a.scope, a.may_see_individuals
('coordinator', ('01202', '01203'), True)
>>> audience("planner").may_see_individuals
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.errors import IkemapError

#: Roles of app and command-line users, from least to most access.
ROLES = ("planner", "coordinator", "disaster", "admin")

#: Roles that may see individual children (in their scope).
INDIVIDUAL_ROLES = frozenset({"coordinator", "disaster", "admin"})

#: Roles that may ask for names and addresses explicitly (``include_identity=True``).
IDENTITY_ROLES = frozenset({"coordinator", "disaster", "admin"})

#: Roles that see counts unsuppressed (everything, every municipality).
UNSUPPRESSED_ROLES = frozenset({"admin"})

#: Column names that identify a person directly (compared case-insensitively, whole names).
IDENTITY_COLUMNS = frozenset(
    {
        "name",
        "full_name",
        "child_name",
        "kana",
        "name_kana",
        "furigana",
        "address",
        "child_address",
        "home_address",
        "street",
        "street_address",
        "phone",
        "tel",
        "telephone",
        "email",
        "birth_date",
        "birthdate",
        "date_of_birth",
        "dob",
        "guardian",
        "guardian_name",
        "parent_name",
        "contact",
    }
)
#: Fragments of Japanese column names that identify a person (氏名, 住所, 電話, ...).
IDENTITY_PATTERNS = (
    "氏名",
    "名前",
    "ふりがな",
    "フリガナ",
    "住所",
    "電話",
    "生年月日",
    "保護者",
    "連絡先",
)
_IDENTITY_RE = re.compile("|".join(IDENTITY_PATTERNS))

#: Columns that mark a table as child-level (one row per child).
INDIVIDUAL_MARKERS = ("child_id", "管理番号")


class AccessDenied(IkemapError, PermissionError):
    """A role asked for data it may not see (child rows for a planner, names, another scope)."""


@dataclass(frozen=True)
class Audience:
    """Who an output is for: user name, role, scope (municipality codes, None = all), demo.

    Examples
    --------
    >>> Audience(name="ito", role="disaster", scope=("04202",)).in_scope("04202")
    True
    """

    name: str
    role: str
    scope: tuple | None = None
    demo: bool = False

    def __post_init__(self):
        if self.role not in ROLES:
            msg = f"Unknown role {self.role!r}; expected one of {', '.join(ROLES)}."
            raise AccessDenied(msg)

    @property
    def user(self):
        """The user name (alias of ``name``)."""
        return self.name

    @property
    def may_see_individuals(self):
        """True when the role may see individual children (of its scope)."""
        return self.role in INDIVIDUAL_ROLES

    @property
    def unsuppressed(self):
        """True when counts are shown to this audience as they are (admin)."""
        return self.role in UNSUPPRESSED_ROLES

    def in_scope(self, municipality_code):
        """True when the municipality is in this audience's scope (always without a scope)."""
        return self.scope is None or str(municipality_code) in self.scope

    def describe(self):
        """Text for the audit log: ``scope=...``."""
        return f"scope={','.join(self.scope) if self.scope else 'all'}"


#: Backwards-compatible name (the app session object was ``analysis.privacy.Access``).
Access = Audience


def _scope(scope):
    if scope is None:
        return None
    if isinstance(scope, str):
        scope = [s.strip() for s in scope.split(",") if s.strip()]
    scope = tuple(str(s) for s in scope)
    return scope or None


def audience(who, *, scope=None, user=None, demo=False):
    """An :class:`Audience` from a role name, an Audience, or any object with ``role``.

    Parameters
    ----------
    who : str or Audience or session-like
        A role name (planner, coordinator, disaster, admin), or an object with ``name``/``role``/
        ``scope`` (the app session, a :class:`gate.users.User`).
    scope : list of str or str, optional
        Municipality codes (only with a role name); a comma-separated string is split.
    user : str, optional
        User name for the audit log (only with a role name).

    Examples
    --------
    >>> audience("admin", user="cli").name
    'cli'
    >>> audience("guest")
    Traceback (most recent call last):
    ...
    gate.roles.AccessDenied: Unknown role 'guest'; expected one of planner, ...
    """
    if isinstance(who, Audience):
        return who
    if hasattr(who, "role"):
        sc = getattr(who, "scope", None)
        return Audience(
            name=str(getattr(who, "name", None) or user or "?"),
            role=who.role,
            scope=_scope(sc),
            demo=bool(getattr(who, "demo", False)),
        )
    if who is None:
        who = "planner"
    return Audience(name=user or "?", role=str(who), scope=_scope(scope), demo=demo)


def identity_columns(frame):
    """Columns of ``frame`` that identify a person (names, addresses, phones, birth dates).

    Examples
    --------
    >>> import pandas as pd
    >>> identity_columns(pd.DataFrame(columns=["child_id", "氏名", "address", "age"]))
    ['氏名', 'address']
    """
    return [
        c
        for c in frame.columns
        if isinstance(c, str) and (c.lower() in IDENTITY_COLUMNS or _IDENTITY_RE.search(c))
    ]


def is_individual(frame):
    """True when the table has one row per child (a ``child_id`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> is_individual(pd.DataFrame(columns=["child_id"]))
    True
    """
    return any(m in getattr(frame, "columns", ()) for m in INDIVIDUAL_MARKERS)


def scope_filter(frame, scope, *, column="municipality_code"):
    """Rows of ``frame`` in the municipalities of ``scope`` (None = all rows).

    Raises :class:`AccessDenied` when a scope is set and the table has no municipality column
    (a scoped user cannot be shown rows that cannot be placed).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"child_id": ["a", "b"], "municipality_code": ["01001", "01002"]})
    >>> scope_filter(f, ["01002"])["child_id"].tolist()
    ['b']
    """
    if scope is None:
        return frame
    if column not in frame.columns:
        msg = (
            f"This table has no {column} column, so it cannot be limited to the scope "
            f"{', '.join(scope)} of this user; ask an admin, or add municipality codes to the data."
        )
        raise AccessDenied(msg)
    keep = frame[column].astype("string").isin([str(s) for s in scope]).fillna(False)
    return frame[keep.to_numpy(dtype=bool)]
