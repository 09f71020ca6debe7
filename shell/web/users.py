"""Staff accounts for the manager: who may sign in, and ending a user's sessions.

Owns: the ``/users`` pages. Accounts and sessions are :mod:`ecitizen.shell.auth`'s; accounts are
created and removed with ``ecitizen users add|remove`` (a password is never typed into a web form
by someone else).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

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
    return render_template("users.html", rows=rows, role_labels=ROLE_LABELS)


@bp.post("/users/<int:user_id>/end-sessions")
@manager_required
def end_sessions(user_id: int) -> BaseResponse:
    ended = end_sessions_of(core().engine, user_id)
    flash(f"Завершено сеансов: {ended}. Сотруднику нужно будет войти заново.", "ok")
    return redirect(url_for("users.users"))
