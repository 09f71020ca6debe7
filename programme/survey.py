"""The survey of course participants (plan item 4): the printable questionnaire, the entry of its
answers as counts per library and month, and the year's results.

The questions come from ``config.yaml`` (``survey:``; defaults in :mod:`ecitizen.config`). Answers
are stored as entered numbers (``programme_figure``, measure ``survey:<question>:<option>``, and
``survey:forms`` for the number of filled-in forms), so they share the history of every change and
the checks of :mod:`ecitizen.programme.figures` (no future month, whole numbers ≥ 0, own library).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ecitizen.config import Config, SurveyConfig, SurveyQuestion
from ecitizen.files import write_atomic
from ecitizen.programme import indicators as ind
from ecitizen.programme.actor import Actor
from ecitizen.programme.csvfile import SkippedLine, read_table
from ecitizen.programme.errors import Problem, RefusedError, refuse
from ecitizen.programme.figures import (
    FiguresImport,
    FiguresSaved,
    check_entry,
    parse_count,
    resolve_library_id,
    store_values,
)
from ecitizen.programme.months import parse_month
from ecitizen.programme.render import html_to_pdf, render
from ecitizen.storage import ProgrammeFigure

FORMS_NAMES = frozenset({"forms", "анкет", "анкеты", "анкет заполнено", "заполнено анкет"})


def parse_survey_args(args: Iterable[str]) -> dict[str, str]:
    """CLI words ``useful=often:12`` ``forms=20`` → ``{"useful:often": "12", "forms": "20"}``."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for arg in args:
        question, sep, rest = arg.partition("=")
        if not sep or not question.strip():
            problems.append(Problem(arg, "напишите так: ВОПРОС=ОТВЕТ:ЧИСЛО (или forms=ЧИСЛО)"))
            continue
        if question.strip().lower() in FORMS_NAMES:
            key, value = "forms", rest
        else:
            option, sep2, value = rest.rpartition(":")
            if not sep2 or not option.strip():
                problems.append(Problem(arg, "напишите так: ВОПРОС=ОТВЕТ:ЧИСЛО, например useful=often:12"))
                continue
            key = f"{question.strip()}:{option.strip()}"
        if key in out:
            problems.append(Problem(arg, "указано дважды"))
            continue
        out[key] = value.strip()
    if problems:
        raise RefusedError(problems)
    return out


def _question(survey: SurveyConfig, name: str) -> SurveyQuestion | None:
    key = name.strip().lower()
    for i, q in enumerate(survey.questions, start=1):
        if key in (q.id, str(i)):
            return q
    return None


def _option_id(question: SurveyQuestion, name: str) -> str | None:
    key = name.strip().lower()
    for i, o in enumerate(question.options, start=1):
        if key in (o.id, str(i)) or key == o.text.strip().lower():
            return o.id
    return None


def survey_measure_for(survey: SurveyConfig, name: str) -> str:
    """``forms`` or ``question:option`` (ids or the numbers printed on the form) → the stored measure.
    Raises RefusedError with the known questions or answers."""
    if name.strip().lower() in FORMS_NAMES:
        return ind.SURVEY_FORMS
    qname, _, oname = name.partition(":")
    question = _question(survey, qname)
    if question is None:
        known = ", ".join(f"{i} {q.id}" for i, q in enumerate(survey.questions, start=1))
        raise refuse(name, f"нет вопроса «{qname}» в анкете; вопросы: {known}")
    option = _option_id(question, oname)
    if option is None:
        known = ", ".join(f"{i} {o.id}" for i, o in enumerate(question.options, start=1))
        raise refuse(name, f"в вопросе {question.id} нет ответа «{oname}»; ответы: {known}")
    return ind.survey_measure(question.id, option)


def enter_survey(session: Session, survey: SurveyConfig, *, library_id: str, month: str,
                 answers: Mapping[str, str | int], actor: Actor, now: datetime, tz: tzinfo) -> FiguresSaved:
    """Enter the month's answer counts of a library: ``{"useful:often": 12, "forms": 20}``.
    All or nothing, like :func:`~ecitizen.programme.figures.set_figures`."""
    lib, key = check_entry(session, library_id, month, actor=actor, now=now, tz=tz)
    problems: list[Problem] = []
    checked: dict[str, int] = {}
    if not answers:
        problems.append(Problem("", "не указано ни одного ответа"))
    for name, raw in answers.items():
        try:
            measure = survey_measure_for(survey, name)
            if measure in checked:
                raise refuse(name, "указано дважды")
            checked[measure] = parse_count(raw, where=name)
        except RefusedError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RefusedError(problems)
    changed, unchanged = store_values(session, lib.id, key, checked, actor=actor, now=now)
    warnings: list[str] = []
    stored = {f.measure: f.value for f in session.exec(
        select(ProgrammeFigure).where(ProgrammeFigure.library_id == lib.id, ProgrammeFigure.month == key)
        .where(col(ProgrammeFigure.measure).startswith(ind.SURVEY_PREFIX)))}
    forms = stored.get(ind.SURVEY_FORMS)
    if forms is not None:
        for q in survey.questions:
            total = sum(stored.get(ind.survey_measure(q.id, o.id), 0) for o in q.options)
            if not q.multiple and total > forms:
                warnings.append(f"на вопрос {q.id} ответов ({total}) больше, чем анкет ({forms}); проверьте")
    return FiguresSaved(lib.id, key, tuple(changed), tuple(unchanged), tuple(warnings))


_SURVEY_HEADERS: dict[str, frozenset[str]] = {
    "library": frozenset({"library", "library_id", "библиотека", "код", "код библиотеки"}),
    "month": frozenset({"month", "месяц"}),
    "question": frozenset({"question", "вопрос"}),
    "option": frozenset({"option", "answer", "ответ", "вариант"}),
    "count": frozenset({"count", "количество", "число", "сколько"}),
}


def import_survey(session: Session, survey: SurveyConfig, data: bytes | str, *, actor: Actor, now: datetime,
                  tz: tzinfo) -> FiguresImport:
    """Answers from CSV, one count per line: «библиотека; месяц; вопрос; ответ; количество»
    (the number of forms: вопрос «forms» / «анкет», ответ empty)."""
    table = read_table(data, _SURVEY_HEADERS)
    missing = [n for n in ("library", "month", "question", "count") if n not in table.columns]
    if missing:
        raise refuse("заголовок", "в файле нет столбца " + ", ".join(f"«{n}»" for n in missing)
                     + " (нужны: библиотека, месяц, вопрос, ответ, количество)")
    import_actor = Actor(actor.name, actor.role, actor.library_id, via="import")
    saved: list[FiguresSaved] = []
    skipped: list[SkippedLine] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in table.rows:
        c = row.cells
        try:
            lib_id = resolve_library_id(session, c.get("library", ""))
            month = parse_month(c.get("month", ""))
            question = c.get("question", "")
            name = question if question.strip().lower() in FORMS_NAMES else f"{question}:{c.get('option', '')}"
            measure = survey_measure_for(survey, name)
            if (lib_id, month, measure) in seen:
                raise refuse("", f"этот ответ уже был в строке {seen[(lib_id, month, measure)]}")
            result = enter_survey(session, survey, library_id=lib_id, month=month,
                                  answers={name: c.get("count", "")}, actor=import_actor, now=now, tz=tz)
        except RefusedError as exc:
            skipped.append(SkippedLine(row.line, "; ".join(str(p) for p in exc.problems)))
            continue
        seen[(lib_id, month, measure)] = row.line
        saved.append(result)
    return FiguresImport(tuple(saved), tuple(skipped))


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionResult:
    id: str
    text: str
    count: int


@dataclass(frozen=True)
class QuestionResult:
    id: str
    text: str
    multiple: bool
    options: tuple[OptionResult, ...]

    @property
    def answers(self) -> int:
        return sum(o.count for o in self.options)


@dataclass(frozen=True)
class SurveyResults:
    year: int
    #: filled-in forms entered (``None``: nobody entered the number of forms)
    forms: int | None
    questions: tuple[QuestionResult, ...]
    libraries: int

    @property
    def empty(self) -> bool:
        return not self.forms and not any(q.answers for q in self.questions)

    def as_json(self) -> dict[str, Any]:
        return {"year": self.year, "forms": self.forms, "libraries": self.libraries,
                "questions": [{"id": q.id, "text": q.text, "multiple": q.multiple,
                               "options": [{"id": o.id, "text": o.text, "count": o.count} for o in q.options]}
                              for q in self.questions]}


def survey_results(session: Session, survey: SurveyConfig, *, year: int,
                   library_id: str | None = None) -> SurveyResults:
    """The year's answer counts (all libraries, or one)."""
    q = select(ProgrammeFigure).where(col(ProgrammeFigure.month).startswith(f"{year:04d}-")) \
        .where(col(ProgrammeFigure.measure).startswith(ind.SURVEY_PREFIX))
    if library_id is not None:
        q = q.where(ProgrammeFigure.library_id == library_id)
    sums: dict[str, int] = {}
    libs: set[str] = set()
    for f in session.exec(q):
        sums[f.measure] = sums.get(f.measure, 0) + f.value
        libs.add(f.library_id)
    questions = tuple(
        QuestionResult(question.id, question.text, question.multiple, tuple(
            OptionResult(o.id, o.text, sums.get(ind.survey_measure(question.id, o.id), 0)) for o in question.options))
        for question in survey.questions
    )
    return SurveyResults(year, sums.get(ind.SURVEY_FORMS), questions, len(libs))


# -- the printable questionnaire -----------------------------------------------------------------


def render_survey_form_html(config: Config) -> str:
    o = config.outputs
    return render("survey_form.html", tz=config.tz, survey=config.survey, programme_name=o.programme_name,
                  organisation=o.organisation)


def write_survey_form(config: Config, *, out_dir: Path) -> list[Path]:
    """Write ``survey-form.html`` and ``survey-form.pdf`` (one A4 page) into ``out_dir``."""
    html = render_survey_form_html(config)
    return [write_atomic(out_dir / "survey-form.html", html),
            write_atomic(out_dir / "survey-form.pdf", html_to_pdf(html))]
