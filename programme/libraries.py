"""The programme's libraries: one table (``library``), kept by the manager, seeded from the config.

One operation per action, whoever calls it (config seeding, ``ecitizen libraries import``, the
web form): :func:`check_library_fields` is the one validation, with Russian reasons;
:func:`save_library` the one write. Plain data out: :class:`ecitizen.config.Library` — the same
type the digest's posters take, so a poster can be made from a row of the table.

Seeding from ``config.yaml`` (:func:`seed_libraries`) adds the libraries the table lacks and
updates the ones nobody has edited (``origin == "config"``); once the manager edits or imports a
library, the table wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from ecitizen.config import Library
from ecitizen.errors import NotFoundError
from ecitizen.programme.actor import LIBRARIAN, Actor
from ecitizen.programme.csvfile import SkippedLine, parse_bool, read_table, write_csv
from ecitizen.programme.errors import Problem, RefusedError, refuse
from ecitizen.storage import LibraryRecord, User

#: the columns of a library, in the order of the CSV template and the export
FIELDS: tuple[str, ...] = ("id", "name", "address", "hours", "phone", "email", "website", "is_cpi", "active")
#: Russian names of the fields (form labels, the CSV template's Russian header)
FIELD_LABELS: dict[str, str] = {
    "id": "Код", "name": "Название", "address": "Адрес", "hours": "Часы работы", "phone": "Телефон",
    "email": "Электронная почта", "website": "Сайт", "is_cpi": "ЦПИ", "active": "Участвует",
}
_HEADERS: dict[str, frozenset[str]] = {
    "id": frozenset({"id", "код", "код библиотеки", "идентификатор"}),
    "name": frozenset({"name", "название", "наименование", "библиотека", "название библиотеки"}),
    "address": frozenset({"address", "адрес"}),
    "hours": frozenset({"hours", "часы работы", "режим работы", "часы", "график работы"}),
    "phone": frozenset({"phone", "телефон", "тел.", "тел"}),
    "email": frozenset({"email", "e-mail", "эл. почта", "электронная почта", "почта", "mail"}),
    "website": frozenset({"website", "site", "url", "сайт", "страница на сайте", "страница"}),
    "is_cpi": frozenset({"is_cpi", "cpi", "цпи", "центр правовой информации"}),
    "active": frozenset({"active", "участвует", "активна", "действует", "участвует в программе"}),
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXT_MAX = 300

ORIGIN_CONFIG = "config"
ORIGIN_MANAGER = "manager"


def _problem(field_name: str, reason: str) -> Problem:
    return Problem(FIELD_LABELS.get(field_name, field_name), reason)


def check_library_fields(fields: Mapping[str, Any], *, existing: Library | None = None) -> Library:
    """Validate a library's fields as a person typed them (strings; booleans may be ``да``/``нет``).

    With ``existing``, an empty or missing field keeps the stored value (a re-import of a partly
    filled file never erases what is known). Raises :class:`RefusedError` listing every problem.
    """
    problems: list[Problem] = []
    out: dict[str, Any] = existing.model_dump() if existing is not None else {
        "address": "", "hours": "", "phone": "", "email": "", "website": "", "is_cpi": False, "active": True,
    }
    raw_id = str(fields.get("id", "") or "").strip()
    lib_id = raw_id.lower()
    if existing is not None:
        lib_id = existing.id
    elif not lib_id:
        problems.append(_problem("id", "нет кода библиотеки"))
    elif not _SLUG.match(lib_id):
        problems.append(_problem("id", f"«{raw_id}» — код пишется латинскими строчными буквами и цифрами, "
                                       "можно «-» и «_» (например, cgb или lib-12)"))
    out["id"] = lib_id
    for name in ("name", "address", "hours", "phone", "email", "website"):
        value = fields.get(name)
        text = re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""
        if not text:
            continue
        if len(text) > _TEXT_MAX:
            problems.append(_problem(name, f"слишком длинно (больше {_TEXT_MAX} знаков)"))
            continue
        if name == "email" and not _EMAIL.match(text):
            problems.append(_problem(name, f"«{text}» — не адрес электронной почты"))
            continue
        if name == "website":
            if "://" not in text:
                text = "https://" + text
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or "." not in parts.netloc:
                problems.append(_problem(name, f"«{text}» — не адрес сайта"))
                continue
        out[name] = text
    if not str(out.get("name") or "").strip():
        problems.append(_problem("name", "нет названия библиотеки"))
    for name in ("is_cpi", "active"):
        value = fields.get(name)
        if isinstance(value, bool):
            out[name] = value
            continue
        try:
            flag = parse_bool(str(value or ""))
        except ValueError:
            problems.append(_problem(name, f"«{value}» — напишите «да» или «нет»"))
            continue
        if flag is not None:
            out[name] = flag
    if problems:
        raise RefusedError(problems)
    return Library.model_validate(out)


def _library(row: LibraryRecord) -> Library:
    return Library(id=row.id, name=row.name, address=row.address, hours=row.hours, phone=row.phone,
                   email=row.email, website=row.website, is_cpi=row.is_cpi, active=row.active)


def _sort_key(lib: Library) -> tuple[str, str]:
    return (lib.name.casefold().replace("ё", "е"), lib.id)


def list_libraries(session: Session, *, active_only: bool = False) -> list[Library]:
    """The libraries by name (all, or only those taking part now)."""
    q = select(LibraryRecord)
    if active_only:
        q = q.where(col(LibraryRecord.active).is_(True))
    return sorted((_library(r) for r in session.exec(q)), key=_sort_key)


def get_library(session: Session, library_id: str) -> Library:
    row = session.get(LibraryRecord, library_id)
    if row is None:
        raise NotFoundError(f"нет библиотеки с кодом {library_id!r} (список: ecitizen libraries list)")
    return _library(row)


@dataclass(frozen=True)
class SavedLibrary:
    library: Library
    created: bool
    changed: bool


def _write(session: Session, lib: Library, *, origin: str, by: str, now: datetime) -> SavedLibrary:
    row = session.get(LibraryRecord, lib.id)
    created = row is None
    if row is None:
        row = LibraryRecord(id=lib.id, name=lib.name)
    before = None if created else _library(row)
    changed = created or before != lib
    if changed:
        for name in FIELDS[1:]:
            setattr(row, name, getattr(lib, name))
        row.origin, row.updated_at, row.updated_by = origin, now, by
        session.add(row)
        session.flush()
    elif row.origin != origin and origin == ORIGIN_MANAGER:
        row.origin = origin  # confirmed by the manager as it is: config no longer overrides it
        session.add(row)
        session.flush()
    return SavedLibrary(lib, created, changed)


def save_library(session: Session, fields: Mapping[str, Any], *, actor: Actor, now: datetime) -> SavedLibrary:
    """Add or edit a library (the web form, the CLI). Only the manager; the fields are validated by
    :func:`check_library_fields` (an empty field keeps the stored value; to empty a field, pass
    ``clear=("phone", ...)``)."""
    actor.check_manager("библиотеки")
    lib_id = str(fields.get("id", "") or "").strip().lower()
    row = session.get(LibraryRecord, lib_id) if lib_id else None
    lib = check_library_fields(fields, existing=_library(row) if row is not None else None)
    clear = [c for c in fields.get("clear", ()) if c in ("address", "hours", "phone", "email", "website")]
    if clear:
        lib = lib.model_copy(update={c: "" for c in clear})
    return _write(session, lib, origin=ORIGIN_MANAGER, by=actor.name, now=now)


def seed_libraries(session: Session, libraries: Iterable[Library], *, now: datetime) -> tuple[list[str], list[str]]:
    """Config → table: add missing libraries, update the ones still owned by the config. Returns
    (added, updated) ids. Call it where ``store.seed_sources`` is called (``init``, service start)."""
    added: list[str] = []
    updated: list[str] = []
    for lib in libraries:
        row = session.get(LibraryRecord, lib.id)
        if row is not None and row.origin != ORIGIN_CONFIG:
            continue
        saved = _write(session, lib, origin=ORIGIN_CONFIG, by="config.yaml", now=now)
        if saved.created:
            added.append(lib.id)
        elif saved.changed:
            updated.append(lib.id)
    return added, updated


# -- import / export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryImport:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[SkippedLine, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "updated": list(self.updated), "unchanged": list(self.unchanged),
                "skipped": [s.as_json() for s in self.skipped]}


def import_libraries(session: Session, data: bytes | str, *, actor: Actor, now: datetime) -> LibraryImport:
    """Import a CSV of libraries (Russian or English headers). Lines are added or update the library
    with their id; a bad line is skipped with its reason and the good ones are saved."""
    actor.check_manager("библиотеки")
    table = read_table(data, _HEADERS)
    missing = [c for c in ("id", "name") if c not in table.columns]
    if missing:
        names = " и ".join(f"«{FIELD_LABELS[c]}» ({c})" for c in missing)
        raise refuse("заголовок", f"в файле нет столбца {names}; первая строка файла — названия столбцов")
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    skipped: list[SkippedLine] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        lib_id = row.cells.get("id", "").strip().lower()
        if lib_id and lib_id in seen:
            skipped.append(SkippedLine(row.line, f"код {lib_id} уже был в строке {seen[lib_id]}; строка пропущена"))
            continue
        stored = session.get(LibraryRecord, lib_id) if lib_id else None
        try:
            lib = check_library_fields(row.cells, existing=_library(stored) if stored is not None else None)
        except RefusedError as exc:
            skipped.append(SkippedLine(row.line, "; ".join(str(p) for p in exc.problems)))
            continue
        seen[lib_id] = row.line
        saved = _write(session, lib, origin=ORIGIN_MANAGER, by=actor.name, now=now)
        (added if saved.created else updated if saved.changed else unchanged).append(lib.id)
    return LibraryImport(tuple(added), tuple(updated), tuple(unchanged), tuple(skipped))


def _cell(lib: Library, name: str) -> str:
    value = getattr(lib, name)
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


def libraries_csv(libraries: Iterable[Library], *, russian_headers: bool = False) -> str:
    """The libraries as CSV (``;``-separated, the template's columns; booleans as да/нет)."""
    header = [FIELD_LABELS[f] for f in FIELDS] if russian_headers else list(FIELDS)
    return write_csv(header, [[_cell(lib, f) for f in FIELDS] for lib in libraries])


def library_json(lib: Library) -> dict[str, Any]:
    return lib.model_dump()


def libraries_json(libraries: Iterable[Library]) -> str:
    return json.dumps([library_json(lib) for lib in libraries], ensure_ascii=False, indent=2)


# -- a librarian's library -----------------------------------------------------------------------


def set_user_library(session: Session, user_name: str, library_id: str | None) -> User:
    """Attach a librarian account to a library (``None``: detach). Only librarians belong to one."""
    user = session.exec(select(User).where(User.name == user_name)).first()
    if user is None:
        raise NotFoundError(f"нет пользователя {user_name!r}")
    if library_id is not None:
        get_library(session, library_id)
        if user.role != LIBRARIAN:
            raise refuse("--library", "к библиотеке привязывается только учётная запись библиотекаря "
                                      "(руководитель проекта работает со всеми библиотеками)")
    user.library_id = library_id
    session.add(user)
    session.flush()
    return user


def actor_for(user: User, *, via: str = "web") -> Actor:
    """The :class:`Actor` of a logged-in user (the web views pass it to the writing functions)."""
    return Actor(name=user.name, role=user.role, library_id=user.library_id, via=via)
