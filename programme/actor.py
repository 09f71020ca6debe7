"""Who enters or confirms something, and the one rule of what they may do. Pure.

A manager (and the CLI, which runs on the server as the manager) acts for every library; a
librarian only for the library of their account (``user_account.library_id``). The web views pass
the logged-in user as an :class:`Actor`; every writing function of this package checks it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecitizen.programme.errors import refuse

MANAGER = "manager"
LIBRARIAN = "librarian"


@dataclass(frozen=True)
class Actor:
    name: str
    role: str = MANAGER
    #: a librarian's library (``None`` for a manager or a librarian not yet assigned)
    library_id: str | None = None
    #: cli | import | web: recorded in the history of every change
    via: str = "cli"

    @classmethod
    def cli(cls, name: str = "cli") -> Actor:
        return cls(name=name or "cli", role=MANAGER, via="cli")

    def check_library(self, library_id: str) -> None:
        """Raises RefusedError when this person may not act for ``library_id``."""
        if self.role == MANAGER:
            return
        if self.library_id is None:
            raise refuse("библиотека", "ваша учётная запись не привязана к библиотеке; "
                                       "обратитесь к руководителю проекта")
        if self.library_id != library_id:
            raise refuse("библиотека", "можно вводить данные только своей библиотеки")

    def check_manager(self, what: str) -> None:
        if self.role != MANAGER:
            raise refuse(what, "это может сделать только руководитель проекта")
