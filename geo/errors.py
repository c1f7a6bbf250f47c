"""The small exception family of ikemap.

Every error a user can cause is one of these, with a message that names the file, the row or
field, the value, what was expected and how to fix it. The CLI prints the message, not a traceback.
"""

from __future__ import annotations


class IkemapError(Exception):
    """Base class of every error ikemap raises on purpose."""


class ValidationError(IkemapError, ValueError):
    """Input data broke a schema or a code table.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, so a user can fix them all in one go.
    context : str
        What was being validated (a file name or a layer name).
    """

    def __init__(self, problems, context=""):
        self.problems = list(problems)
        self.context = context
        shown = self.problems[:30]
        lines = [p.describe() for p in shown]
        more = len(self.problems) - len(shown)
        if more > 0:
            lines.append(f"... and {more} more problems of the same kind.")
        head = f"{context}: " if context else ""
        msg = f"{head}{len(self.problems)} problem(s) found:\n" + "\n".join(lines)
        super().__init__(msg)


class CRSError(IkemapError, ValueError):
    """A layer has a missing or wrong coordinate reference system."""


class WorkspaceError(IkemapError):
    """A workspace file is missing, unreadable or lacks a layer."""
