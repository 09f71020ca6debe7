"""The outputs page: posters, the media note and the weekly review on demand, and the files made.

Owns: the ``/outputs`` pages. Making the outputs is the digest package's (``digest.make_posters``,
``make_media_note``, ``make_weekly``); files are served only from the outputs folder (the public
part excluded), HTML ones under a sandbox CSP.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import digest
from ecitizen.dates import MONTHS_NOMINATIVE
from ecitizen.errors import EcitizenError
from ecitizen.shell import tasks
from ecitizen.shell.web.common import core

bp = Blueprint("outputs", __name__)

#: the kinds of file listed on the page
LISTED = (".pdf", ".docx", ".html", ".txt", ".png", ".md", ".eml")
MONTH_HINT = "Месяц укажите в виде ГГГГ-ММ (год и номер месяца), например 2026-11."


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


@bp.get("/outputs")
def outputs() -> str:
    app = core()
    today = app.now().astimezone(app.config.tz).date()
    return render_template("outputs.html", files=output_files(out_dir()), libraries=app.config.libraries,
                           month=tasks.current_month(today), months=month_choices(today))


@bp.post("/outputs/posters")
def outputs_posters() -> BaseResponse:
    app = core()
    month = request.form.get("month", "")
    library = request.form.get("library", "all")
    if library != "all" and library not in {lib.id for lib in app.config.libraries}:
        abort(400)
    if not _is_month(month):
        flash(MONTH_HINT, "warn")
        return redirect(url_for("outputs.outputs"))
    try:
        paths = digest.make_posters(app, month=month, library=library)
    except EcitizenError as exc:
        flash(f"Плакаты не созданы: {exc}", "error")
        return redirect(url_for("outputs.outputs"))
    flash(f"Создано плакатов: {len(list(paths or []))}.", "ok")
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
