"""The programme's errors (part of the project's one hierarchy, :mod:`ecitizen.errors`)::

    EcitizenError
    └── ProgrammeError                 catch-all of this package
        └── RefusedError (ValueError)  entered data broke a rule; ``.problems`` says which and why

The reasons are Russian: the manager and the librarians read them (CLI, web form, import report).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecitizen.errors import EcitizenError


@dataclass(frozen=True)
class Problem:
    #: what was wrong: a field (``trained``), a CSV line (``строка 4``) or an argument
    where: str
    #: why, in plain Russian
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason


class ProgrammeError(EcitizenError):
    """Something about the programme's data went wrong."""


class RefusedError(ProgrammeError, ValueError):
    """Entered data was refused; nothing was written."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "отклонено")


def refuse(where: str, reason: str) -> RefusedError:
    return RefusedError([Problem(where, reason)])
