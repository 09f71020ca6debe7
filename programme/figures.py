"""Entered figures: a library's numbers for a month, their history, and the yearly targets.

One operation per action: :func:`set_figures` (the CLI ``indicators set``, the web's monthly form,
each line of :func:`import_figures`) validates everything first — the month is not in the future,
the library exists and the person may act for it, every name is an entered number, every value a
whole number ≥ 0 — and writes nothing unless all is right. Every change of a stored number adds a
row to ``programme_figure_change``: old and new value, who, when, how (cli / import / web).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from ecitizen.config import Library
from ecitizen.errors import NotFoundError
from ecitizen.programme import indicators as ind
from ecitizen.programme.actor import Actor
from ecitizen.programme.csvfile import SkippedLine, norm_header, read_table
from ecitizen.programme.errors import Problem, RefusedError, refuse
from ecitizen.programme.libraries import get_library, list_libraries
from ecitizen.programme.months import check_year, is_future, month_label, parse_month
from ecitizen.storage import IndicatorTarget, LibraryRecord, ProgrammeFigure, ProgrammeFigureChange

_WHOLE = re.compile(r"^\d+$")


def parse_count(value: str | int, *, where: str) -> int:
    """A whole number ≥ 0 from what a person typed (``1 200`` is 1200). Raises RefusedError."""
    if isinstance(value, bool):
        raise refuse(where, "нужно число")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            raise refuse(where, "пусто — напишите число (0, если ничего не было)")
        if text.startswith("-") and _WHOLE.match(text[1:]):
            raise refuse(where, f"«{value}» — число не может быть меньше нуля")
        if re.match(r"^-?\d+[.,]\d+$", text):
            raise refuse(where, f"«{value}» — нужно целое число")
        if not _WHOLE.match(text):
            raise refuse(where, f"«{value}» — не число")
        number = int(text)
    if number < 0:
        raise refuse(where, f"{number} — число не может быть меньше нуля")
    if number > ind.MAX_VALUE:
        raise refuse(where, f"{number} — слишком большое число для одной библиотеки за месяц; проверьте")
    return number


def parse_assignments(args: Iterable[str], *, what: str = "NAME=VALUE") -> dict[str, str]:
    """``["trained=12", "events=3"]`` → ``{"trained": "12", "events": "3"}``. Raises RefusedError."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or not name.strip():
            problems.append(Problem(arg, f"напишите так: {what}"))
            continue
        key = name.strip()
        if key in out:
            problems.append(Problem(key, "указан дважды"))
            continue
        out[key] = value.strip()
    if problems:
        raise RefusedError(problems)
    if not out:
        raise refuse("", f"не указано ни одного значения ({what})")
    return out


def check_month(month: str, *, now: datetime, tz: tzinfo) -> str:
    key = parse_month(month)
    if is_future(key, now, tz):
        raise refuse("месяц", f"{month_label(key)} ещё не наступил — данные вводятся за прошедший или текущий месяц")
    return key


@dataclass(frozen=True)
class Change:
    measure: str
    old: int | None
    new: int


@dataclass(frozen=True)
class FiguresSaved:
    library_id: str
    month: str
    changed: tuple[Change, ...]
    #: measures given with the value they already had
    unchanged: tuple[str, ...]
    #: things worth knowing that did not stop the entry (Russian)
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"library": self.library_id, "month": self.month,
                "changed": [{"name": c.measure, "old": c.old, "new": c.new} for c in self.changed],
                "unchanged": list(self.unchanged), "warnings": list(self.warnings)}


def store_values(session: Session, library_id: str, month: str, values: Mapping[str, int], *, actor: Actor,
                 now: datetime) -> tuple[list[Change], list[str]]:
    """Write checked values (measure → number) with their history. Callers validate first."""
    changed: list[Change] = []
    unchanged: list[str] = []
    existing = {
        f.measure: f for f in session.exec(
            select(ProgrammeFigure).where(ProgrammeFigure.library_id == library_id, ProgrammeFigure.month == month,
                                          col(ProgrammeFigure.measure).in_(list(values)))
        )
    }
    for measure, value in values.items():
        row = existing.get(measure)
        if row is not None and row.value == value:
            unchanged.append(measure)
            continue
        old = row.value if row is not None else None
        if row is None:
            row = ProgrammeFigure(library_id=library_id, month=month, measure=measure, value=value)
        row.value, row.updated_at, row.updated_by = value, now, actor.name
        session.add(row)
        session.add(ProgrammeFigureChange(library_id=library_id, month=month, measure=measure, old_value=old,
                                          new_value=value, changed_by=actor.name, changed_at=now, via=actor.via))
        changed.append(Change(measure, old, value))
    session.flush()
    return changed, unchanged


def check_entry(session: Session, library_id: str, month: str, *, actor: Actor, now: datetime,
                tz: tzinfo) -> tuple[Library, str]:
    """The checks every entry for a library and month passes (library, permission, month)."""
    try:
        lib = get_library(session, library_id)
    except NotFoundError:
        raise refuse("библиотека", f"нет библиотеки с кодом «{library_id}»") from None
    actor.check_library(lib.id)
    return lib, check_month(month, now=now, tz=tz)


def set_figures(session: Session, *, library_id: str, month: str, values: Mapping[str, str | int], actor: Actor,
                now: datetime, tz: tzinfo) -> FiguresSaved:
    """Enter a library's numbers for a month. ``values``: name → number as typed; a name is an
    entered indicator's id (``trained``) or number (``2``), or a part (``consultations_ict``).
    Raises RefusedError listing every problem; writes nothing then."""
    lib, key = check_entry(session, library_id, month, actor=actor, now=now, tz=tz)
    problems: list[Problem] = []
    checked: dict[str, int] = {}
    if not values:
        problems.append(Problem("", "не указано ни одного значения"))
    for name, raw in values.items():
        m = ind.measure_for_name(name)
        if m is None:
            problems.append(Problem(name, ind.why_not_a_measure(name)))
            continue
        if m.id in checked:
            problems.append(Problem(name, f"«{m.label}» указан дважды"))
            continue
        try:
            checked[m.id] = parse_count(raw, where=name)
        except RefusedError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RefusedError(problems)
    changed, unchanged = store_values(session, lib.id, key, checked, actor=actor, now=now)
    warnings: list[str] = []
    at_cpi = [m for m in checked if ind.indicator(ind.measure(m).indicator).at_cpi and checked[m] > 0]
    if at_cpi and not lib.is_cpi:
        warnings.append(f"библиотека «{lib.name}» не отмечена как ЦПИ, а показатели "
                        + ", ".join(str(ind.indicator(ind.measure(m).indicator).no) for m in at_cpi)
                        + " по программе считаются на базе ЦПИ; если в библиотеке есть ЦПИ, "
                          "отметьте это в списке библиотек")
    return FiguresSaved(lib.id, key, tuple(changed), tuple(unchanged), tuple(warnings))


# -- CSV import ----------------------------------------------------------------------------------

_FIGURE_HEADERS: dict[str, frozenset[str]] = {
    "library": frozenset({"library", "library_id", "id", "библиотека", "код", "код библиотеки"}),
    "month": frozenset({"month", "месяц", "период"}),
}


@dataclass(frozen=True)
class FiguresImport:
    saved: tuple[FiguresSaved, ...]
    skipped: tuple[SkippedLine, ...] = field(default_factory=tuple)

    @property
    def changed_count(self) -> int:
        return sum(len(s.changed) for s in self.saved)

    def as_json(self) -> dict[str, Any]:
        return {"lines_saved": len(self.saved), "values_changed": self.changed_count,
                "saved": [s.as_json() for s in self.saved], "skipped": [s.as_json() for s in self.skipped]}


def resolve_library_id(session: Session, text: str) -> str:
    """A library id from a cell holding its id or its exact name (any letter case)."""
    key = text.strip()
    if session.get(LibraryRecord, key.lower()) is not None:
        return key.lower()
    folded = norm_header(key)
    for lib in list_libraries(session):
        if norm_header(lib.name) == folded:
            return lib.id
    return key


def import_figures(session: Session, data: bytes | str, *, actor: Actor, now: datetime, tz: tzinfo) -> FiguresImport:
    """Monthly figures from CSV: columns «библиотека» (id or name), «месяц», then one column per
    entered number (its id, label or a short Russian name: «обучено», «мероприятия»…). An empty
    cell changes nothing; a bad line is skipped with its reason, the good ones are saved."""
    table = read_table(data, _FIGURE_HEADERS)
    missing = [n for n, ru in (("library", "библиотека"), ("month", "месяц")) if n not in table.columns]
    if missing:
        raise refuse("заголовок", "в файле нет столбца " + " и ".join(f"«{n}»" for n in missing))
    unknown = [h for h in table.extra_headers if ind.measure_for_name(h) is None]
    if unknown:
        raise RefusedError([Problem(f"столбец «{h}»", ind.why_not_a_measure(h)) for h in unknown])
    if not table.extra_headers:
        raise refuse("заголовок", "в файле нет ни одного столбца с числами (например, «обучено», «мероприятия»)")
    saved: list[FiguresSaved] = []
    skipped: list[SkippedLine] = []
    seen: dict[tuple[str, str], int] = {}
    import_actor = Actor(actor.name, actor.role, actor.library_id, via="import")
    for row in table.rows:
        values = {h: v for h, v in row.extra.items() if v.strip()}
        try:
            lib_id = resolve_library_id(session, row.cells.get("library", ""))
            if not lib_id:
                raise refuse("библиотека", "не указана")
            if not values:
                raise refuse("", "нет ни одного числа")
            month_key = parse_month(row.cells.get("month", ""))
            if (lib_id, month_key) in seen:
                raise refuse("", f"библиотека {lib_id} за {month_label(month_key)} уже была в строке "
                                 f"{seen[(lib_id, month_key)]}")
            result = set_figures(session, library_id=lib_id, month=month_key, values=values, actor=import_actor,
                                 now=now, tz=tz)
        except RefusedError as exc:
            skipped.append(SkippedLine(row.line, "; ".join(str(p) for p in exc.problems)))
            continue
        seen[(lib_id, month_key)] = row.line
        saved.append(result)
    return FiguresImport(tuple(saved), tuple(skipped))


# -- reading: the entry form, history, who has not entered --------------------------------------


@dataclass(frozen=True)
class EntryField:
    measure: str
    label: str
    indicator_no: int
    plan_item: str
    value: int | None


@dataclass(frozen=True)
class EntryForm:
    """What the monthly entry form shows for a library and month."""

    library: Library
    month: str
    month_label: str
    fields: tuple[EntryField, ...]
    #: when the numbers were last changed, and by whom
    last_change: tuple[datetime, str] | None


def month_values(session: Session, library_id: str, month: str) -> dict[str, int]:
    return {f.measure: f.value for f in session.exec(
        select(ProgrammeFigure).where(ProgrammeFigure.library_id == library_id, ProgrammeFigure.month == month))}


def entry_form(session: Session, *, library_id: str, month: str, actor: Actor, now: datetime, tz: tzinfo) -> EntryForm:
    """The monthly form of a library: every entered number with its current value (``None``: not entered)."""
    lib, key = check_entry(session, library_id, month, actor=actor, now=now, tz=tz)
    values = month_values(session, lib.id, key)
    fields = tuple(EntryField(m.id, m.label, ind.indicator(m.indicator).no, m.plan_item, values.get(m.id))
                   for m in ind.MEASURES)
    last = session.exec(
        select(ProgrammeFigureChange).where(ProgrammeFigureChange.library_id == lib.id,
                                            ProgrammeFigureChange.month == key)
        .order_by(col(ProgrammeFigureChange.changed_at).desc()).limit(1)
    ).first()
    return EntryForm(lib, key, month_label(key), fields, (last.changed_at, last.changed_by) if last else None)


@dataclass(frozen=True)
class HistoryEntry:
    library_id: str
    month: str
    measure: str
    label: str
    old: int | None
    new: int
    by: str
    at: datetime
    via: str

    def as_json(self) -> dict[str, Any]:
        return {"library": self.library_id, "month": self.month, "name": self.measure, "label": self.label,
                "old": self.old, "new": self.new, "by": self.by, "at": self.at.isoformat(), "via": self.via}


def measure_label(measure: str) -> str:
    if measure.startswith(ind.SURVEY_PREFIX):
        return "анкета: " + measure[len(ind.SURVEY_PREFIX):]
    try:
        return ind.measure(measure).label
    except KeyError:
        return measure


def figure_history(session: Session, *, library_id: str | None = None, month: str | None = None,
                   limit: int = 200) -> list[HistoryEntry]:
    """Changes of entered numbers, newest first."""
    q = select(ProgrammeFigureChange)
    if library_id:
        q = q.where(ProgrammeFigureChange.library_id == library_id)
    if month:
        q = q.where(ProgrammeFigureChange.month == parse_month(month))
    q = q.order_by(col(ProgrammeFigureChange.changed_at).desc(), col(ProgrammeFigureChange.id).desc()).limit(limit)
    return [HistoryEntry(c.library_id, c.month, c.measure, measure_label(c.measure), c.old_value, c.new_value,
                         c.changed_by, c.changed_at, c.via) for c in session.exec(q)]


def libraries_without_figures(session: Session, month: str) -> list[Library]:
    """Active libraries that have entered no indicator number for ``month`` (an entered 0 counts)."""
    entered = set(session.exec(
        select(ProgrammeFigure.library_id).where(ProgrammeFigure.month == month)
        .where(col(ProgrammeFigure.measure).in_([m.id for m in ind.MEASURES]))
    ).all())
    return [lib for lib in list_libraries(session, active_only=True) if lib.id not in entered]


# -- targets -----------------------------------------------------------------------------------


def targets_for(session: Session, year: int) -> dict[str, int]:
    return {t.indicator_id: t.value for t in session.exec(select(IndicatorTarget).where(IndicatorTarget.year == year))}


def set_targets(session: Session, *, year: int, values: Mapping[str, str | int], actor: Actor,
                now: datetime) -> list[Change]:
    """The manager sets yearly targets: indicator id or number → value. Returns what changed."""
    actor.check_manager("плановые значения")
    check_year(year)
    problems: list[Problem] = []
    checked: dict[str, int] = {}
    for name, raw in values.items():
        try:
            target = ind.indicator(name.strip().lower())
        except KeyError:
            problems.append(Problem(name, "нет такого показателя; номера 1–8 или: "
                                          + ", ".join(i.id for i in ind.INDICATORS)))
            continue
        if target.id in checked:
            problems.append(Problem(name, "указан дважды"))
            continue
        try:
            checked[target.id] = parse_count(raw, where=name)
        except RefusedError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RefusedError(problems)
    changes: list[Change] = []
    for indicator_id, value in checked.items():
        row = session.get(IndicatorTarget, (indicator_id, year))
        old = row.value if row is not None else None
        if old == value:
            continue
        if row is None:
            row = IndicatorTarget(indicator_id=indicator_id, year=year, value=value)
        row.value, row.set_by, row.set_at = value, actor.name, now
        session.add(row)
        changes.append(Change(indicator_id, old, value))
    session.flush()
    return changes
