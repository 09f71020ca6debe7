"""Staff accounts for the manager: who may sign in, and ending a user's sessions.

Owns: the ``/users`` pages. Accounts and sessions are :mod:`ecitizen.shell.auth`'s; accounts are
created and removed with ``ecitizen users add|remove`` (a password is never typed into a web form
by someone else).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import programme
from ecitizen.db import session_scope
from ecitizen.shell.auth import end_sessions_of, staff
from ecitizen.shell.web.common import core, manager_required

bp = Blueprint("users", __name__)

ROLE_LABELS = {"manager": "руководитель проекта", "librarian": "библиотекарь"}


@bp.get("/users")
@manager_required
def users() -> str:
    app = core()
    with session_scope(app.engine) as s:
        rows = staff(s, now=app.now())
        libraries = programme.list_libraries(s, active_only=False)
    return render_template("users.html", rows=rows, role_labels=ROLE_LABELS,
                           libraries=[(lib.id, lib.name) for lib in libraries])


@bp.post("/users/<int:user_id>/end-sessions")
@manager_required
def end_sessions(user_id: int) -> BaseResponse:
    ended = end_sessions_of(core().engine, user_id)
    flash(f"Завершено сеансов: {ended}. Сотруднику нужно будет войти заново.", "ok")
    return redirect(url_for("users.users"))


@bp.post("/users/<name>/library")
@manager_required
def set_library(name: str) -> BaseResponse:
    """Attach a librarian to her library (she then enters its figures and sees its sheets first)."""
    library_id = request.form.get("library_id") or None
    with session_scope(core().engine) as s:
        try:
            programme.set_user_library(s, name, library_id)
        except programme.RefusedError as exc:
            flash(str(exc), "error")
            return redirect(url_for("users.users"))
    flash(f"Библиотека сотрудника «{name}» сохранена.", "ok")
    return redirect(url_for("users.users"))
