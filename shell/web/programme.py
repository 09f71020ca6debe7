"""The programme «Компетентный е-гражданин» in the web: the year's progress, the monthly figures,
the libraries, «вывешено» / «отправлено», the lesson sheets and the yearly report.

Owns: the ``/programme`` pages. Every rule and every query is the programme's
(:mod:`ecitizen.programme`, through its front door): a view reads the request, calls the
programme, renders one ``programme_*.html`` template. The signed-in user acts as
:func:`~ecitizen.programme.actor_for` of her account, so a librarian bound to a library enters and
confirms for that library only (the programme refuses the rest, with Russian reasons shown next to
the fields). The libraries and the yearly report are the manager's.

The lesson sheet (a whole HTML document with its own ``<style>``) is served with a CSP that allows
that one style by its hash and nothing else: no script, no outside request.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen.app import App
from ecitizen.config import Library
from ecitizen.db import session_scope
from ecitizen.errors import NotFoundError
from ecitizen.programme import (
    ENTERED,
    FIELD_LABELS,
    INDICATORS,
    MEASURES,
    Actor,
    Dashboard,
    EntryForm,
    LessonCounts,
    LessonSheet,
    LibraryImport,
    MediaNote,
    Problem,
    RefusedError,
    ZoneSheet,
    actor_for,
    confirm_info_zone,
    current_month,
    entry_form,
    get_library,
    import_libraries,
    info_zone_sheets,
    lesson_overview,
    lesson_sheets,
    libraries_csv,
    list_libraries,
    mark_media_note_sent,
    media_notes,
    month_label,
    parse_month,
    previous_month,
    programme_dashboard,
    render_lesson_html,
    save_library,
    set_figures,
    write_lesson_sheets,
    write_year_report,
)
from ecitizen.shell import tasks
from ecitizen.shell.auth import get_user
from ecitizen.shell.web.common import core, manager_required, safe_next

bp = Blueprint("programme", __name__)

#: the library form's text fields (``id`` is typed only for a new library)
TEXT_FIELDS = ("name", "address", "hours", "phone", "email", "website")
#: the fields a manager may empty in the form (``name`` is required)
CLEARABLE = ("address", "hours", "phone", "email", "website")
_FIELD_OF_LABEL = {label: name for name, label in FIELD_LABELS.items()}
MEASURE_BY_ID = {m.id: m for m in MEASURES}
#: the indicators the libraries enter (the per-library table's columns)
ENTERED_INDICATORS = tuple(i for i in INDICATORS if i.source == ENTERED)
REPORT_KINDS = ("docx", "pdf")
#: the first year of the programme's current period (the report page offers it onwards)
FIRST_REPORT_YEAR = 2020


def _actor(session: Any) -> Actor:
    """The signed-in user as the programme's :class:`Actor` (her account's library included)."""
    return actor_for(get_user(session, g.user.name), via="web")


def _year(app: App) -> int:
    this_year = app.now().astimezone(app.config.tz).year
    year = request.args.get("year", type=int) or this_year
    return year if 2014 <= year <= this_year + 1 else this_year


def _problems_by_field(problems: tuple[Problem, ...], fields: Mapping[str, str]) -> tuple[dict[str, list[str]],
                                                                                        list[str]]:
    """Refusals split into the ones of a form field (``fields``: a problem's ``where`` → field name)
    and the rest (shown above the form)."""
    per_field: dict[str, list[str]] = {}
    general: list[str] = []
    for p in problems:
        name = fields.get(p.where)
        if name is None:
            general.append(str(p))
        else:
            per_field.setdefault(name, []).append(p.reason)
    return per_field, general


# -- the programme page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammePage:
    year: int
    dashboard: Dashboard
    is_manager: bool
    #: the librarian's library (``None`` for the manager or an account not bound to one)
    my_library: Library | None
    #: the month whose info-zone sheets are listed (the manager's view), and the sheets
    zone_month: str
    zone_sheets: tuple[ZoneSheet, ...]
    notes: tuple[MediaNote, ...]
    names: dict[str, str]
    this_month: str
    last_month: str


def programme_page(app: App, *, year: int, zone_month: str) -> ProgrammePage:
    """The ``/programme`` page's data: the dashboard, the sheets to confirm, the media notes."""
    now, tz = app.now(), app.config.tz
    with session_scope(app.engine) as s:
        actor = _actor(s)
        dash = programme_dashboard(s, year=year, now=now, tz=tz)
        names = {p.library.id: p.library.name for p in dash.libraries}
        mine = get_library(s, actor.library_id) if actor.role != "manager" and actor.library_id else None
        if actor.role == "manager":
            sheets = info_zone_sheets(s, month=zone_month)
            notes = media_notes(s, year=year)
        elif mine is not None:
            sheets = sorted(info_zone_sheets(s, year=year, library_id=mine.id), key=lambda z: z.month, reverse=True)
            notes = [n for n in media_notes(s, year=year) if n.library_id == mine.id]
        else:
            sheets, notes = [], []
    if actor.role == "manager":
        sheets = sorted(sheets, key=lambda z: names.get(z.library_id, z.library_id).casefold())
    return ProgrammePage(year, dash, actor.role == "manager", mine, zone_month, tuple(sheets), tuple(notes), names,
                         current_month(now, tz), previous_month(now, tz))


def output_link(app: App, path: str) -> str | None:
    """A made file's link on the «Материалы» page (``None`` when it is not in the outputs folder)."""
    try:
        rel = Path(path).resolve().relative_to(tasks.out_dir(app).resolve()).as_posix()
    except ValueError:
        return None
    if rel.startswith("public/") or not Path(path).is_file():
        return None
    return url_for("outputs.outputs_file", rel=rel)


@bp.get("/programme")
def programme() -> str:
    app = core()
    now, tz = app.now(), app.config.tz
    year = _year(app)
    try:
        zone_month = parse_month(request.args.get("zmonth") or current_month(now, tz))
    except RefusedError:
        zone_month = current_month(now, tz)
    page = programme_page(app, year=year, zone_month=zone_month)
    links = {z.path: output_link(app, z.path) for z in page.zone_sheets}
    links.update({n.path: output_link(app, n.path) for n in page.notes})
    this_year = now.astimezone(tz).year
    return render_template("programme_index.html", page=page, d=page.dashboard, links=links,
                           entered_indicators=ENTERED_INDICATORS, month_label=month_label,
                           years=list(range(this_year, FIRST_REPORT_YEAR - 1, -1)), back=request.full_path)


@bp.post("/programme/zones/confirm")
def confirm_zone() -> BaseResponse:
    app = core()
    library_id = request.form.get("library", "")
    month = request.form.get("month", "")
    try:
        with session_scope(app.engine) as s:
            sheet = confirm_info_zone(s, library_id=library_id, month=month, actor=_actor(s), now=app.now(),
                                      tz=app.config.tz)
            name = get_library(s, sheet.library_id).name
    except RefusedError as exc:
        flash("Не отмечено: " + "; ".join(p.reason for p in exc.problems), "error")
    else:
        flash(f"Отмечено: лист за {month_label(sheet.month)} в библиотеке «{name}» вывешен. Спасибо!", "ok")
    return redirect(safe_next(request.form.get("next") or url_for("programme.programme")))


@bp.post("/programme/notes/<int:note_id>/sent")
def note_sent(note_id: int) -> BaseResponse:
    app = core()
    try:
        with session_scope(app.engine) as s:
            note = mark_media_note_sent(s, note_id, actor=_actor(s), now=app.now(),
                                        sent_to=request.form.get("sent_to", ""))
    except RefusedError as exc:
        flash("Не отмечено: " + "; ".join(p.reason for p in exc.problems), "error")
    else:
        where = f" ({note.sent_to})" if note.sent_to else ""
        flash(f"Отмечено: сообщение для СМИ отправлено{where}.", "ok")
    return redirect(safe_next(request.form.get("next") or url_for("programme.programme")))


# -- the monthly figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiguresPage:
    this_month: str
    last_month: str
    month: str
    is_manager: bool
    libraries: tuple[Library, ...]
    library_id: str
    form: EntryForm | None
    #: what was typed (kept when the entry was refused)
    typed: dict[str, str] = field(default_factory=dict)
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()


def figures_page(app: App, *, library_id: str | None, month: str, typed: Mapping[str, str] | None = None,
                 refused: RefusedError | None = None) -> FiguresPage:
    """The monthly form's data: the library (a librarian's own by default), the month, the values."""
    now, tz = app.now(), app.config.tz
    errors: list[str] = []
    field_errors: dict[str, list[str]] = {}
    if refused is not None:
        field_errors, errors = _problems_by_field(refused.problems, {m.id: m.id for m in MEASURES})
    form: EntryForm | None = None
    with session_scope(app.engine) as s:
        actor = _actor(s)
        is_manager = actor.role == "manager"
        libraries = tuple(list_libraries(s)) if is_manager else ()
        chosen = library_id or (actor.library_id or "" if not is_manager else "")
        if chosen:
            try:
                form = entry_form(s, library_id=chosen, month=month, actor=actor, now=now, tz=tz)
            except RefusedError as exc:
                errors += [p.reason for p in exc.problems if p.reason not in errors]
        elif not is_manager:
            errors.append("ваша учётная запись не привязана к библиотеке; обратитесь к руководителю проекта")
    return FiguresPage(current_month(now, tz), previous_month(now, tz), month, is_manager, libraries, chosen,
                       form, dict(typed or {}), field_errors, tuple(errors))


def _render_figures(page: FiguresPage, status: int = 200) -> tuple[str, int]:
    return render_template("programme_figures.html", page=page, measures=MEASURE_BY_ID,
                           month_label=month_label), status


@bp.get("/programme/figures")
def figures() -> tuple[str, int]:
    app = core()
    month = (request.args.get("month") or current_month(app.now(), app.config.tz)).strip()
    return _render_figures(figures_page(app, library_id=request.args.get("library") or None, month=month))


@bp.post("/programme/figures")
def figures_save() -> BaseResponse | tuple[str, int]:
    app = core()
    library_id = request.form.get("library", "").strip()
    month = request.form.get("month", "").strip()
    typed = {m.id: request.form.get(m.id, "").strip() for m in MEASURES}
    values = {k: v for k, v in typed.items() if v}
    try:
        with session_scope(app.engine) as s:
            saved = set_figures(s, library_id=library_id, month=month, values=values, actor=_actor(s),
                                now=app.now(), tz=app.config.tz)
            name = get_library(s, saved.library_id).name
    except RefusedError as exc:
        refused = exc if values else RefusedError(
            [p for p in exc.problems if p.where] + [Problem("", "впишите хотя бы одно число (0, если ничего не было)")])
        return _render_figures(figures_page(app, library_id=library_id or None, month=month, typed=typed,
                                            refused=refused), 400)
    parts = [f"«{MEASURE_BY_ID[c.measure].label}» — {c.new}"
             + (f" (было {c.old})" if c.old is not None else "") for c in saved.changed]
    if parts:
        flash(f"Сохранено за {month_label(saved.month)}, {name}: " + "; ".join(parts) + ".", "ok")
    else:
        flash(f"Всё уже было записано так за {month_label(saved.month)}, {name}: ничего не изменилось.", "ok")
    for w in saved.warnings:
        flash("Обратите внимание: " + w + ".", "warn")
    return redirect(url_for("programme.figures", library=saved.library_id, month=saved.month))


# -- the libraries (manager) ----------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryForm:
    values: dict[str, str]
    is_cpi: bool
    active: bool

    @classmethod
    def of(cls, lib: Library | None) -> LibraryForm:
        if lib is None:
            return cls({f: "" for f in ("id", *TEXT_FIELDS)}, False, True)
        return cls({"id": lib.id, **{f: str(getattr(lib, f)) for f in TEXT_FIELDS}}, lib.is_cpi, lib.active)

    @classmethod
    def posted(cls, form: Mapping[str, str], library_id: str | None) -> LibraryForm:
        values = {f: form.get(f, "").strip() for f in TEXT_FIELDS}
        values["id"] = library_id if library_id is not None else form.get("id", "").strip()
        return cls(values, form.get("is_cpi") == "1", form.get("active") == "1")

    def fields(self, *, editing: bool) -> dict[str, Any]:
        """What :func:`save_library` takes: the strings, да/нет, and the emptied fields to clear."""
        out: dict[str, Any] = {**self.values, "is_cpi": "да" if self.is_cpi else "нет",
                               "active": "да" if self.active else "нет"}
        if editing:
            out["clear"] = tuple(f for f in CLEARABLE if not self.values.get(f))
        return out


@bp.get("/programme/libraries")
@manager_required
def libraries() -> str:
    with session_scope(core().engine) as s:
        libs = list_libraries(s)
    return render_template("programme_libraries.html", libraries=libs, result=None, import_errors=[])


@bp.post("/programme/libraries/import")
@manager_required
def libraries_import() -> tuple[str, int]:
    app = core()
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    result: LibraryImport | None = None
    errors: list[str] = []
    if not data:
        errors.append("Файл не выбран или пустой. Нажмите «Выберите файл», найдите файл CSV и нажмите «Загрузить».")
    else:
        try:
            with session_scope(app.engine) as s:
                result = import_libraries(s, data, actor=_actor(s), now=app.now())
        except RefusedError as exc:
            errors += [str(p) for p in exc.problems]
    with session_scope(app.engine) as s:
        libs = list_libraries(s)
    return render_template("programme_libraries.html", libraries=libs, result=result,
                           import_errors=errors), 400 if errors else 200


@bp.get("/programme/libraries.csv")
@manager_required
def libraries_export() -> Response:
    with session_scope(core().engine) as s:
        text = libraries_csv(list_libraries(s), russian_headers=True)
    resp = Response("\ufeff" + text, mimetype="text/csv")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = "attachment; filename=libraries.csv"
    return resp


def _render_library_form(form: LibraryForm, *, library_id: str | None, errors: Mapping[str, list[str]] | None = None,
                         general: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("programme_library_form.html", form=form, library_id=library_id, errors=errors or {},
                           general=general or [], labels=FIELD_LABELS), status


@bp.get("/programme/libraries/new")
@manager_required
def library_new() -> tuple[str, int]:
    return _render_library_form(LibraryForm.of(None), library_id=None)


@bp.get("/programme/libraries/<library_id>")
@manager_required
def library_edit(library_id: str) -> tuple[str, int]:
    with session_scope(core().engine) as s:
        lib = get_library(s, library_id)
    return _render_library_form(LibraryForm.of(lib), library_id=lib.id)


def _save_library(library_id: str | None) -> BaseResponse | tuple[str, int]:
    app = core()
    form = LibraryForm.posted(request.form, library_id)
    try:
        with session_scope(app.engine) as s:
            if library_id is None and form.values["id"]:
                try:
                    taken = get_library(s, form.values["id"].lower())
                except NotFoundError:
                    pass
                else:
                    raise RefusedError([Problem(FIELD_LABELS["id"], f"этот код уже у библиотеки «{taken.name}»; "
                                                                     "придумайте другой")])
            saved = save_library(s, form.fields(editing=library_id is not None), actor=_actor(s), now=app.now())
    except RefusedError as exc:
        per_field, general = _problems_by_field(exc.problems, _FIELD_OF_LABEL)
        return _render_library_form(form, library_id=library_id, errors=per_field, general=general, status=400)
    lib = saved.library
    if saved.created:
        flash(f"Библиотека «{lib.name}» добавлена.", "ok")
    elif saved.changed:
        flash(f"Изменения сохранены: «{lib.name}».", "ok")
    else:
        flash(f"Ничего не изменилось: «{lib.name}».", "ok")
    return redirect(url_for("programme.libraries"))


@bp.post("/programme/libraries/new")
@manager_required
def library_create() -> BaseResponse | tuple[str, int]:
    return _save_library(None)


@bp.post("/programme/libraries/<library_id>")
@manager_required
def library_update(library_id: str) -> BaseResponse | tuple[str, int]:
    with session_scope(core().engine) as s:
        get_library(s, library_id)  # an unknown id is a 404, not a new library
    return _save_library(library_id)


# -- lesson sheets --------------------------------------------------------------------------------


def _month_arg(app: App, name: str = "month") -> tuple[str, list[str]]:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return current_month(app.now(), app.config.tz), []
    try:
        return parse_month(raw), []
    except RefusedError as exc:
        return current_month(app.now(), app.config.tz), [p.reason for p in exc.problems]


@bp.get("/programme/lessons")
def lessons() -> str:
    app = core()
    month, errors = _month_arg(app)
    with session_scope(app.engine) as s:
        sheets: list[LessonCounts] = lesson_overview(s, app.config, month=month)
    now, tz = app.now(), app.config.tz
    return render_template("programme_lessons.html", sheets=sheets, month=month, month_label=month_label,
                           this_month=current_month(now, tz), last_month=previous_month(now, tz), errors=errors)


def _one_sheet(app: App, month: str, lesson_no: int) -> LessonSheet:
    try:
        key = parse_month(month)
    except RefusedError:
        abort(404)
    with session_scope(app.engine) as s:
        [sheet] = lesson_sheets(s, app.config, month=key, lesson=str(lesson_no))
    return sheet


def style_hashes(html: str) -> list[str]:
    """CSP sources for the document's own ``<style>`` blocks (their SHA-256, as CSP writes them)."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(m.encode('utf-8')).digest()).decode('ascii')}'"
            for m in re.findall(r"<style>(.*?)</style>", html, flags=re.S)]


@bp.get("/programme/lessons/<month>/<int:lesson_no>")
def lesson_sheet(month: str, lesson_no: int) -> Response:
    app = core()
    html = render_lesson_html(_one_sheet(app, month, lesson_no), app.config, now=app.now())
    resp = Response(html, mimetype="text/html")
    styles = " ".join(style_hashes(html)) or "'none'"
    resp.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {styles}; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return resp


@bp.get("/programme/lessons/<month>/<int:lesson_no>.pdf")
def lesson_pdf(month: str, lesson_no: int) -> BaseResponse:
    app = core()
    key = _one_sheet(app, month, lesson_no).month
    with session_scope(app.engine) as s:
        _sheets, paths = write_lesson_sheets(s, app.config, month=key, lesson=str(lesson_no), now=app.now(),
                                             out_dir=tasks.out_dir(app) / "lessons" / key)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    return send_from_directory(pdf.parent.resolve(), pdf.name, as_attachment=True, mimetype="application/pdf")


# -- the yearly report (manager) ---------------------------------------------------------------------


def reports_dir(app: App) -> Path:
    """Where ``ecitizen report`` writes by default (``outputs.out_dir/reports``)."""
    return tasks.out_dir(app) / "reports"


def report_files(app: App) -> list[dict[str, Any]]:
    """The reports made so far, newest year first: year → the kinds present."""
    base = reports_dir(app)
    found: dict[int, dict[str, Any]] = {}
    if base.is_dir():
        for p in base.iterdir():
            m = re.fullmatch(r"report-(\d{4})\.(docx|pdf)", p.name)
            if m and p.is_file():
                entry = found.setdefault(int(m.group(1)), {"year": int(m.group(1)), "kinds": [], "made": None})
                entry["kinds"].append(m.group(2))
                mtime = p.stat().st_mtime
                entry["made"] = max(entry["made"] or 0, mtime)
    return [found[y] for y in sorted(found, reverse=True)]


@bp.get("/programme/report")
@manager_required
def report() -> str:
    app = core()
    this_year = app.now().astimezone(app.config.tz).year
    files = [{**f, "made": datetime.fromtimestamp(f["made"]).astimezone() if f["made"] else None}
             for f in report_files(app)]
    return render_template("programme_report.html", files=files, years=list(range(this_year, FIRST_REPORT_YEAR - 1,
                                                                                     -1)),
                           this_year=this_year)


@bp.post("/programme/report")
@manager_required
def report_make() -> BaseResponse:
    app = core()
    year = request.form.get("year", type=int)
    this_year = app.now().astimezone(app.config.tz).year
    if year is None or not FIRST_REPORT_YEAR <= year <= this_year:
        flash("Выберите год из списка.", "error")
        return redirect(url_for("programme.report"))
    try:
        with session_scope(app.engine) as s:
            write_year_report(s, app.config, year=year, now=app.now(), out_dir=reports_dir(app))
    except RefusedError as exc:
        flash("Отчёт не сделан: " + "; ".join(p.reason for p in exc.problems), "error")
        return redirect(url_for("programme.report"))
    flash(f"Отчёт за {year} год готов: ниже можно скачать Word (DOCX) и PDF.", "ok")
    return redirect(url_for("programme.report"))


@bp.get("/programme/report/<int:year>.<kind>")
@manager_required
def report_file(year: int, kind: str) -> BaseResponse:
    if kind not in REPORT_KINDS:
        abort(404)
    return send_from_directory(reports_dir(core()).resolve(), f"report-{year}.{kind}", as_attachment=True)


# -- the start page's block ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeSummary:
    year: int
    met: int
    with_target: int
    last_month_label: str
    missing: tuple[Library, ...]
    #: a librarian's library, and whether it entered last month's figures
    my_library: Library | None
    my_entered_last_month: bool | None


def programme_summary(app: App) -> ProgrammeSummary:
    """The few lines about the programme on the start page (``dashboard.html`` includes them)."""
    now, tz = app.now(), app.config.tz
    year = now.astimezone(tz).year
    with session_scope(app.engine) as s:
        actor = _actor(s)
        dash = programme_dashboard(s, year=year, now=now, tz=tz)
    mine = next((p for p in dash.libraries if p.library.id == actor.library_id), None) \
        if actor.role != "manager" else None
    return ProgrammeSummary(year, sum(1 for r in dash.indicators if r.met),
                            sum(1 for r in dash.indicators if r.target is not None), dash.last_month_label,
                            dash.missing_last_month, mine.library if mine else None,
                            mine.entered_last_month if mine else None)
