"""The outputs page: posters, the media note and the weekly review on demand, and the files made.

Owns: the ``/outputs`` pages. Making the outputs is the digest package's (``digest.poster_preview``
and ``make_poster_run``, ``make_media_note``, ``make_weekly``); files are served only from the
outputs folder (the public part excluded), HTML ones under a sandbox CSP.

Before printing, «Посмотреть, что войдёт в плакат» shows the digest's account of the month's poster
(``GET /outputs/posters/preview``): which approved items are printed as written, which are
shortened (with the printed text and a link to edit the item) and which are left out, and the
sheets per library. The poster form's two buttons post to one address (the CSRF token never goes
into a URL): «Посмотреть» redirects to the preview, «Создать» makes the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import digest
from ecitizen.app import App
from ecitizen.config import Library
from ecitizen.dates import MONTHS_NOMINATIVE
from ecitizen.db import session_scope
from ecitizen.errors import EcitizenError
from ecitizen.programme import list_libraries
from ecitizen.shell import tasks
from ecitizen.shell.auth import get_user
from ecitizen.shell.web.common import core

bp = Blueprint("outputs", __name__)

#: the kinds of file listed on the page
LISTED = (".pdf", ".docx", ".html", ".txt", ".png", ".md", ".eml")
MONTH_HINT = "Месяц укажите в виде ГГГГ-ММ (год и номер месяца), например 2026-11."
#: the sheet sizes offered, in the digest's names (``digest.POSTER_SIZES``), with plain words
SIZE_WORDS = {"A4": "обычный лист", "A3": "большой лист, вдвое больше A4"}


def out_dir() -> Path:
    return tasks.out_dir(core())


def output_files(base: Path, *, limit: int = 200) -> list[dict[str, Any]]:
    """The files made so far, newest first (not the published ``public/`` folder)."""
    out: list[dict[str, Any]] = []
    if base.is_dir():
        for p in sorted(base.rglob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            if p.is_file() and p.suffix.lower() in LISTED:
                rel = p.relative_to(base).as_posix()
                if rel.startswith("public/"):
                    continue
                out.append({"rel": rel, "name": p.name, "size": p.stat().st_size,
                            "mtime": datetime.fromtimestamp(p.stat().st_mtime).astimezone()})
    return out[:limit]


def _is_month(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        return False
    return True


def month_choices(today: date, *, back: int = 24, ahead: int = 1) -> list[tuple[str, str]]:
    """The months offered in the forms, newest first: (``ГГГГ-ММ``, «ноябрь 2026»)."""
    out = []
    for k in range(-ahead, back + 1):
        index = today.year * 12 + today.month - 1 - k
        year, month = divmod(index, 12)
        out.append((f"{year:04d}-{month + 1:02d}", f"{MONTHS_NOMINATIVE[month]} {year}"))
    return out


# -- the poster form ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PosterForm:
    """What the poster form offers and has chosen."""

    #: the libraries taking part, the signed-in librarian's own first
    libraries: tuple[Library, ...]
    #: the signed-in librarian's library (``None`` for the manager or a librarian not bound to one)
    mine: str | None
    month: str
    library: str
    size: str

    def name_of(self, library: str) -> str:
        return next((lib.name for lib in self.libraries if lib.id == library), "все библиотеки")

    def offers(self, library: str) -> bool:
        return library == "all" or any(lib.id == library for lib in self.libraries)


def poster_libraries(app: App, user_name: str) -> tuple[tuple[Library, ...], str | None]:
    """The libraries taking part (the ``library`` table; while the table is still empty,
    config.yaml's list, as the poster itself reads it) with the user's own library first."""
    with session_scope(app.engine) as s:
        libs = list_libraries(s, active_only=True)
        if not libs and not list_libraries(s):
            libs = [lib for lib in app.config.libraries if lib.active]
        mine = get_user(s, user_name).library_id
    ordered = sorted(libs, key=lambda lib: lib.id != mine)  # stable: the rest keep the table's order
    return tuple(ordered), mine if any(lib.id == mine for lib in libs) else None


def poster_form(app: App, values: Any) -> PosterForm:
    """The form from ``values`` (query or form fields); what is missing is the default: this month,
    the librarian's own library (else all), the configured sheet size."""
    libraries, mine = poster_libraries(app, g.user.name)
    today = app.now().astimezone(app.config.tz).date()
    return PosterForm(
        libraries=libraries, mine=mine,
        month=(values.get("month") or tasks.current_month(today)).strip(),
        library=values.get("library") or mine or "all",
        size=(values.get("size") or app.config.outputs.poster_size).strip().upper(),
    )


def render_outputs(app: App, form: PosterForm, preview: digest.PosterPreview | None = None) -> str:
    today = app.now().astimezone(app.config.tz).date()
    return render_template("outputs.html", files=output_files(out_dir()), form=form, preview=preview,
                           months=month_choices(today), sizes=[(s, SIZE_WORDS.get(s, "")) for s in digest.POSTER_SIZES],
                           month=tasks.current_month(today))


@bp.get("/outputs")
def outputs() -> str:
    app = core()
    return render_outputs(app, poster_form(app, {}))


@bp.get("/outputs/posters/preview")
def poster_preview() -> Any:
    """«Посмотреть, что войдёт в плакат»: the digest's account of the month's poster; nothing is written."""
    app = core()
    form = poster_form(app, request.args)
    if not _is_month(form.month):
        flash(MONTH_HINT, "warn")
        return redirect(url_for("outputs.outputs"))
    if not form.offers(form.library) or form.size not in digest.POSTER_SIZES:
        flash("Такой библиотеки или размера листа нет в списке: выберите их ещё раз.", "warn")
        return redirect(url_for("outputs.outputs"))
    try:
        preview = digest.poster_preview(app, month=form.month, library=form.library, size=form.size)
    except EcitizenError as exc:
        flash(f"Не удалось показать плакат: {exc}", "error")
        return redirect(url_for("outputs.outputs"))
    return render_outputs(app, form, preview)


@bp.post("/outputs/posters")
def outputs_posters() -> BaseResponse:
    app = core()
    form = poster_form(app, request.form)
    if not form.offers(form.library) or form.size not in digest.POSTER_SIZES:
        abort(400)
    if not _is_month(form.month):
        flash(MONTH_HINT, "warn")
        return redirect(url_for("outputs.outputs"))
    if request.form.get("do") == "preview":
        return redirect(url_for("outputs.poster_preview", month=form.month, library=form.library,
                                size=form.size))
    try:
        run = digest.make_poster_run(app, month=form.month, library=form.library, size=form.size)
    except EcitizenError as exc:
        flash(f"Плакаты не созданы: {exc}", "error")
        return redirect(url_for("outputs.outputs"))
    if run.preview.is_empty:
        flash(run.preview.message, "warn")
    else:
        flash(f"Создано плакатов: {len(run.pdfs)}. {run.preview.message}", "ok")
    return redirect(url_for("outputs.outputs"))


@bp.post("/outputs/media")
def outputs_media() -> BaseResponse:
    app = core()
    month = request.form.get("month") or None
    if month is not None and not _is_month(month):
        flash(MONTH_HINT, "warn")
        return redirect(url_for("outputs.outputs"))
    try:
        paths = digest.make_media_note(app, month=month)
    except EcitizenError as exc:
        flash(f"Заметка не создана: {exc}", "error")
        return redirect(url_for("outputs.outputs"))
    names = ", ".join(Path(str(p)).name for p in (paths or []))
    flash(f"Заметка для СМИ готова: {names or '—'}.", "ok")
    return redirect(url_for("outputs.outputs"))


@bp.post("/outputs/weekly")
def outputs_weekly() -> BaseResponse:
    app = core()
    try:
        digest.make_weekly(app, send=False)
    except EcitizenError as exc:
        flash(f"Обзор не создан: {exc}", "error")
        return redirect(url_for("outputs.outputs"))
    flash("Обзор недели создан.", "ok")
    return redirect(url_for("outputs.outputs"))


@bp.get("/outputs/file/<path:rel>")
def outputs_file(rel: str) -> BaseResponse:
    resp = send_from_directory(out_dir().resolve(), rel, as_attachment=not rel.endswith(".html"))
    if rel.endswith(".html"):
        from ecitizen.shell.web import SANDBOX_CSP

        resp.headers["Content-Security-Policy"] = SANDBOX_CSP.replace("frame-ancestors 'self'",
                                                                      "frame-ancestors 'none'")
    return resp
