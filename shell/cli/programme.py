"""CLI commands of ``programme``: ``libraries``, ``indicators``, ``report``, ``lessons``, ``survey``.

A thin loop over :mod:`ecitizen.programme`'s front door: each command parses its arguments, calls
one function in a transaction and prints the result (``--json``: one JSON document on stdout).
Refused input (a future month, a negative number, an unknown library) prints every reason and
exits with 2; nothing is written then.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ecitizen.shell.cli.base import command, config_option, emit_json, get_app, json_option

if TYPE_CHECKING:
    from sqlmodel import Session

    from ecitizen.app import App

F = TypeVar("F", bound=Callable[..., Any])


def refusals(f: F) -> F:
    """Print a :class:`~ecitizen.programme.RefusedError`'s reasons one per line; exit 2."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ecitizen.programme import RefusedError

        try:
            return f(*args, **kwargs)
        except RefusedError as exc:
            click.echo("ecitizen: отклонено, ничего не записано:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _session() -> Iterator[tuple[App, Session]]:
    from ecitizen.db import session_scope

    app = get_app()
    app.config  # noqa: B018 - validate before opening the database
    with session_scope(app.engine) as session:
        yield app, session


def _out(app: App, out_dir: Path | None, *parts: str) -> Path:
    return Path(out_dir) if out_dir is not None else app.config.path(app.config.outputs.out_dir).joinpath(*parts)


def _print_paths(paths: list[Path], as_json: bool) -> None:
    if as_json:
        emit_json([str(p) for p in paths])
    else:
        for p in paths:
            click.echo(str(p))


def _print_skipped(skipped: Any) -> None:
    for line in skipped:
        click.echo(f"  пропущена {line}")


# -- libraries -----------------------------------------------------------------------------------


@click.group("libraries")
def libraries_group() -> None:
    """The programme's libraries (id, name, address, hours, contacts, ЦПИ, taking part)."""


@command(libraries_group, "list")
@click.option("--active", "active_only", is_flag=True, help="Only the libraries taking part now.")
@json_option
def libraries_list(active_only: bool, as_json: bool) -> None:
    """List the libraries."""
    from ecitizen.programme import library_json, list_libraries

    with _session() as (_app, session):
        libs = list_libraries(session, active_only=active_only)
    if as_json:
        emit_json([library_json(lib) for lib in libs])
        return
    for lib in libs:
        flags = " ".join(f for f in ("ЦПИ" if lib.is_cpi else "", "" if lib.active else "не участвует") if f)
        click.echo(f"{lib.id:<20} {lib.name}" + (f"  [{flags}]" if flags else ""))
        details = ", ".join(p for p in (lib.address, lib.hours, lib.phone, lib.email, lib.website) if p)
        if details:
            click.echo(f"{'':<20} {details}")
    click.echo(f"всего: {len(libs)}")


@command(libraries_group, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default="cli", show_default=True, help="Who imports (kept with the data).")
@json_option
@refusals
def libraries_import(file: Path, by: str, as_json: bool) -> None:
    """Import libraries from CSV (Russian or English headers; a line with a known id updates it)."""
    from ecitizen.programme import Actor, import_libraries

    with _session() as (app, session):
        result = import_libraries(session, file.read_bytes(), actor=Actor.cli(by), now=app.now())
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"добавлено: {len(result.added)}, обновлено: {len(result.updated)}, без изменений: "
               f"{len(result.unchanged)}, пропущено строк: {len(result.skipped)}")
    _print_skipped(result.skipped)


@command(libraries_group, "export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--russian-headers", is_flag=True, help="CSV headers in Russian (Код, Название, …).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
def libraries_export(fmt: str, russian_headers: bool, out_file: Path | None) -> None:
    """Export the libraries as CSV (the import's columns) or JSON."""
    from ecitizen.files import write_atomic
    from ecitizen.programme import libraries_csv, libraries_json, list_libraries

    with _session() as (_app, session):
        libs = list_libraries(session)
    text = libraries_csv(libs, russian_headers=russian_headers) if fmt == "csv" else libraries_json(libs) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        # a BOM lets a Russian Excel open the UTF-8 CSV by double-click
        write_atomic(out_file, ("\ufeff" + text) if fmt == "csv" else text)
        click.echo(str(out_file))


@command(libraries_group, "set")
@click.argument("library_id")
@click.argument("fields", nargs=-1, required=True)
@click.option("--clear", "clear", multiple=True,
              type=click.Choice(["address", "hours", "phone", "email", "website"]), help="Empty a field.")
@click.option("--by", "by", default="cli", show_default=True)
@json_option
@refusals
def libraries_set(library_id: str, fields: tuple[str, ...], clear: tuple[str, ...], by: str, as_json: bool) -> None:
    """Add or edit one library: FIELD=VALUE… (name, address, hours, phone, email, website, is_cpi, active)."""
    from ecitizen.programme import Actor, library_json, parse_assignments, save_library

    values: dict[str, Any] = dict(parse_assignments(fields, what="FIELD=VALUE"))
    values["id"] = library_id
    values["clear"] = clear
    with _session() as (app, session):
        saved = save_library(session, values, actor=Actor.cli(by), now=app.now())
    if as_json:
        emit_json({**library_json(saved.library), "created": saved.created, "changed": saved.changed})
    else:
        click.echo(f"{'добавлена' if saved.created else 'изменена' if saved.changed else 'без изменений'}: "
                   f"{saved.library.id} {saved.library.name}")


# -- indicators ----------------------------------------------------------------------------------


@click.group("indicators")
def indicators_group() -> None:
    """Target indicators of the programme: targets, entered figures, what the service counts."""


@command(indicators_group, "show")
@click.option("--year", type=int, required=True)
@click.option("--library", "library_id", help="One library's figures (no targets then).")
@json_option
def indicators_show(year: int, library_id: str | None, as_json: bool) -> None:
    """The indicator table of a year: target, actual, entered or counted, met."""
    from ecitizen.programme import indicator_table

    with _session() as (_app, session):
        rows = indicator_table(session, year, library_id=library_id)
    if as_json:
        emit_json([r.as_json() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.no}. {r.short:<36} план {r.target_text:>9}  факт {r.actual:>7}  {r.met_text:<12} "
                   f"[{r.id}, {'вводится' if r.source == 'entered' else 'считается'}]")
        if r.detail:
            click.echo(f"   {r.detail}")


@command(indicators_group, "set")
@click.option("--library", "library_id", required=True, help="Library id.")
@click.option("--month", required=True, help="Month, e.g. 2026-11.")
@click.argument("values", nargs=-1, required=True)
@click.option("--by", "by", default="cli", show_default=True, help="Who enters (kept in the history).")
@json_option
@refusals
def indicators_set(library_id: str, month: str, values: tuple[str, ...], by: str, as_json: bool) -> None:
    """Enter a library's figures for a month: NAME=VALUE… (NAME: an entered indicator or a part)."""
    from ecitizen.programme import Actor, parse_assignments, set_figures

    parsed = parse_assignments(values)
    with _session() as (app, session):
        saved = set_figures(session, library_id=library_id, month=month, values=parsed, actor=Actor.cli(by),
                            now=app.now(), tz=app.config.tz)
    if as_json:
        emit_json(saved.as_json())
        return
    for c in saved.changed:
        click.echo(f"{c.measure}: {'—' if c.old is None else c.old} → {c.new}")
    if saved.unchanged:
        click.echo("без изменений: " + ", ".join(saved.unchanged))
    for w in saved.warnings:
        click.echo(f"внимание: {w}", err=True)


@command(indicators_group, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default="cli", show_default=True)
@json_option
@refusals
def indicators_import(file: Path, by: str, as_json: bool) -> None:
    """Import monthly figures from CSV: библиотека; месяц; one column per entered number."""
    from ecitizen.programme import Actor, import_figures

    with _session() as (app, session):
        result = import_figures(session, file.read_bytes(), actor=Actor.cli(by), now=app.now(), tz=app.config.tz)
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"строк принято: {len(result.saved)}, чисел изменено: {result.changed_count}, "
               f"строк пропущено: {len(result.skipped)}")
    _print_skipped(result.skipped)


@command(indicators_group, "target")
@click.option("--year", type=int, required=True)
@click.argument("values", nargs=-1, required=True)
@click.option("--by", "by", default="cli", show_default=True)
@json_option
@refusals
def indicators_target(year: int, values: tuple[str, ...], by: str, as_json: bool) -> None:
    """Set yearly targets: NAME=VALUE… (NAME: an indicator's id or number 1–8)."""
    from ecitizen.programme import Actor, parse_assignments, set_targets

    with _session() as (app, session):
        changes = set_targets(session, year=year, values=parse_assignments(values), actor=Actor.cli(by),
                              now=app.now())
    if as_json:
        emit_json([{"name": c.measure, "old": c.old, "new": c.new} for c in changes])
        return
    for c in changes:
        click.echo(f"{c.measure}: {'—' if c.old is None else c.old} → {c.new}")
    if not changes:
        click.echo("без изменений")


@command(indicators_group, "history")
@click.option("--library", "library_id")
@click.option("--month")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
@refusals
def indicators_history(library_id: str | None, month: str | None, limit: int, as_json: bool) -> None:
    """Changes of entered figures, newest first: who, when, old → new."""
    from ecitizen.programme import figure_history

    with _session() as (app, session):
        rows = figure_history(session, library_id=library_id, month=month, limit=limit)
        tz = app.config.tz
    if as_json:
        emit_json([h.as_json() for h in rows])
        return
    for h in rows:
        click.echo(f"{h.at.astimezone(tz):%Y-%m-%d %H:%M}  {h.by:<12} {h.via:<6} {h.library_id:<16} {h.month}  "
                   f"{h.label}: {'—' if h.old is None else h.old} → {h.new}")


@command(indicators_group, "missing")
@click.option("--month", help="Month (default: the previous one).")
@json_option
@refusals
def indicators_missing(month: str | None, as_json: bool) -> None:
    """Active libraries that have not entered their figures for a month."""
    from ecitizen.programme import libraries_without_figures, parse_month, previous_month

    with _session() as (app, session):
        key = parse_month(month) if month else previous_month(app.now(), app.config.tz)
        libs = libraries_without_figures(session, key)
    if as_json:
        emit_json({"month": key, "libraries": [{"id": lib.id, "name": lib.name} for lib in libs]})
        return
    click.echo(f"{key}: не ввели данные — {len(libs)}")
    for lib in libs:
        click.echo(f"  {lib.id:<20} {lib.name}")


@command(indicators_group, "zones")
@click.option("--year", type=int)
@click.option("--month")
@json_option
@refusals
def indicators_zones(year: int | None, month: str | None, as_json: bool) -> None:
    """Info-zone sheets produced (indicator 6) and whether their library confirmed them «вывешено»."""
    from ecitizen.programme import info_zone_sheets

    with _session() as (app, session):
        zones = info_zone_sheets(session, year=year, month=month)
        tz = app.config.tz
    if as_json:
        emit_json([z.as_json() for z in zones])
        return
    for z in zones:
        state = f"вывешено {z.confirmed_at.astimezone(tz):%Y-%m-%d} ({z.confirmed_by})" if z.confirmed_at \
            else "не подтверждено"
        click.echo(f"{z.month}  {z.library_id:<20} {state}  {z.path}")


@command(indicators_group, "confirm-zone")
@click.option("--library", "library_id", required=True)
@click.option("--month", required=True)
@click.option("--by", "by", default="cli", show_default=True)
@refusals
def indicators_confirm_zone(library_id: str, month: str, by: str) -> None:
    """Mark a library's info-zone sheet of a month as put up («вывешено»)."""
    from ecitizen.programme import Actor, confirm_info_zone

    with _session() as (app, session):
        zone = confirm_info_zone(session, library_id=library_id, month=month, actor=Actor.cli(by), now=app.now(),
                                 tz=app.config.tz)
    click.echo(f"{zone.month} {zone.library_id}: вывешено")


@command(indicators_group, "notes")
@click.option("--year", type=int)
@json_option
def indicators_notes(year: int | None, as_json: bool) -> None:
    """Media notes produced (indicator 8) and whether they were sent."""
    from ecitizen.programme import media_notes

    with _session() as (app, session):
        notes = media_notes(session, year=year)
        tz = app.config.tz
    if as_json:
        emit_json([n.as_json() for n in notes])
        return
    for n in notes:
        state = f"отправлено {n.sent_at.astimezone(tz):%Y-%m-%d} {n.sent_to}".rstrip() if n.sent_at else "не отправлено"
        click.echo(f"#{n.id:<4} {n.period:<8} {n.library_id or 'программа':<16} {state}  {n.path}")


@command(indicators_group, "note-sent")
@click.argument("note_id", type=int)
@click.option("--to", "sent_to", default="", help="Where it went (newspaper, site, radio).")
@click.option("--by", "by", default="cli", show_default=True)
@refusals
def indicators_note_sent(note_id: int, sent_to: str, by: str) -> None:
    """Mark a media note as sent to the media."""
    from ecitizen.programme import Actor, mark_media_note_sent

    with _session() as (app, session):
        note = mark_media_note_sent(session, note_id, actor=Actor.cli(by), now=app.now(), sent_to=sent_to)
    click.echo(f"#{note.id} {note.period}: отправлено")


# -- the yearly report, lessons ------------------------------------------------------------------


@click.command("report")
@config_option
@click.option("--year", type=int, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: outputs.out_dir/reports).")
@json_option
@refusals
def report_cmd(year: int, out_dir: Path | None, as_json: bool) -> None:
    """The yearly report on the programme's implementation: DOCX and PDF."""
    from ecitizen.programme import write_year_report

    with _session() as (app, session):
        paths = write_year_report(session, app.config, year=year, now=app.now(), out_dir=_out(app, out_dir, "reports"))
    _print_paths(paths, as_json)


@click.command("lessons")
@config_option
@click.option("--month", required=True, help="Month, e.g. 2026-11.")
@click.option("--lesson", default="all", show_default=True, help="Lesson: topic id or number 1–11, or 'all'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: outputs.out_dir/lessons/<month>).")
@json_option
@refusals
def lessons_cmd(month: str, lesson: str, out_dir: Path | None, as_json: bool) -> None:
    """«Что изменилось для занятия»: a sheet per course lesson for the month (HTML and PDF)."""
    from ecitizen.programme import parse_month, write_lesson_sheets

    key = parse_month(month)
    with _session() as (app, session):
        sheets, paths = write_lesson_sheets(session, app.config, month=key, lesson=lesson, now=app.now(),
                                            out_dir=_out(app, out_dir, "lessons", key))
    if as_json:
        emit_json([{**s.as_json(), "html": str(paths[2 * i]), "pdf": str(paths[2 * i + 1])}
                   for i, s in enumerate(sheets)])
        return
    for i, s in enumerate(sheets):
        click.echo(f"{s.lesson_no:>2}. {s.title}: {s.total or 'без изменений'}  {paths[2 * i + 1]}")


# -- survey --------------------------------------------------------------------------------------


@click.group("survey")
def survey_group() -> None:
    """The survey of course participants: the printable form, entering answers, results."""


@command(survey_group, "form")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: outputs.out_dir/survey).")
@json_option
def survey_form(out_dir: Path | None, as_json: bool) -> None:
    """The one-page questionnaire (PDF and HTML) from config.yaml's survey section."""
    from ecitizen.programme import write_survey_form

    app = get_app()
    _print_paths(write_survey_form(app.config, out_dir=_out(app, out_dir, "survey")), as_json)


@command(survey_group, "enter")
@click.option("--library", "library_id", required=True)
@click.option("--month", required=True)
@click.argument("answers", nargs=-1, required=True)
@click.option("--by", "by", default="cli", show_default=True)
@json_option
@refusals
def survey_enter(library_id: str, month: str, answers: tuple[str, ...], by: str, as_json: bool) -> None:
    """Enter answer counts: QUESTION=OPTION:COUNT… and forms=COUNT (ids or the form's numbers)."""
    from ecitizen.programme import Actor, enter_survey, parse_survey_args

    parsed = parse_survey_args(answers)
    with _session() as (app, session):
        saved = enter_survey(session, app.config.survey, library_id=library_id, month=month, answers=parsed,
                             actor=Actor.cli(by), now=app.now(), tz=app.config.tz)
    if as_json:
        emit_json(saved.as_json())
        return
    for c in saved.changed:
        click.echo(f"{c.measure}: {'—' if c.old is None else c.old} → {c.new}")
    for w in saved.warnings:
        click.echo(f"внимание: {w}", err=True)


@command(survey_group, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", default="cli", show_default=True)
@json_option
@refusals
def survey_import(file: Path, by: str, as_json: bool) -> None:
    """Import answer counts from CSV: библиотека; месяц; вопрос; ответ; количество."""
    from ecitizen.programme import Actor, import_survey

    with _session() as (app, session):
        result = import_survey(session, app.config.survey, file.read_bytes(), actor=Actor.cli(by), now=app.now(),
                               tz=app.config.tz)
    if as_json:
        emit_json(result.as_json())
        return
    click.echo(f"строк принято: {len(result.saved)}, строк пропущено: {len(result.skipped)}")
    _print_skipped(result.skipped)


@command(survey_group, "results")
@click.option("--year", type=int, required=True)
@click.option("--library", "library_id")
@json_option
def survey_results_cmd(year: int, library_id: str | None, as_json: bool) -> None:
    """The year's answer counts."""
    from ecitizen.programme import survey_results

    with _session() as (app, session):
        res = survey_results(session, app.config.survey, year=year, library_id=library_id)
    if as_json:
        emit_json(res.as_json())
        return
    click.echo(f"анкет: {res.forms if res.forms is not None else 'не указано'}, библиотек: {res.libraries}")
    for q in res.questions:
        click.echo(q.text)
        for o in q.options:
            click.echo(f"  {o.count:>6}  {o.text}")


#: attached to the root group by ``ecitizen.shell.cli``
COMMANDS = (libraries_group, indicators_group, report_cmd, lessons_cmd, survey_group)
