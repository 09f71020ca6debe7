"""The job log: recent runs of the scheduled jobs, and "run now" for managers.

Owns: the ``/runs`` pages. The run records are :mod:`ecitizen.shell.jobs`'s; the jobs and their
titles :mod:`ecitizen.shell.tasks`'.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ecitizen.db import session_scope
from ecitizen.shell import tasks
from ecitizen.shell.jobs import last_runs
from ecitizen.shell.web.common import background, core, manager_required, service

bp = Blueprint("runs", __name__)


@bp.get("/runs")
def runs() -> str:
    with session_scope(core().engine) as s:
        rows = last_runs(s, limit=200, job=request.args.get("job") or None)
    return render_template("runs.html", runs=rows)


@bp.post("/runs/start")
@manager_required
def runs_start() -> BaseResponse:
    job = request.form.get("job", "")
    if job not in tasks.JOBS:
        abort(400)
    background().submit(service().run_now, job, record_as=job)
    flash(f"Задача «{tasks.job_title(job)}» запущена. Результат появится в журнале.", "ok")
    return redirect(url_for("runs.runs"))
