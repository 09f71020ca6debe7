"""The start page: what is new since the last visit, what waits, what is broken, the jobs.

Owns: :func:`dashboard_data` — one read of the core, the archive's link report and the job
records — and the ``/`` page. The "links that need a person" are exactly the archive's
:func:`~ecitizen.archive.link_report` ``needs_attention`` (the weekly digest reads the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, render_template, session

from ecitizen import archive
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.link_history import open_event_count
from ecitizen.queries import ItemFilter, list_items, review_counts
from ecitizen.shell import tasks
from ecitizen.shell.jobs import last_run_per_job
from ecitizen.shell.web.common import core
from ecitizen.shell.web.programme import programme_summary
from ecitizen.sources import failing_sources
from ecitizen.storage import Item, JobRun, Source

bp = Blueprint("dashboard", __name__)

#: the start page lists at most this many new items and links
SHOWN = 20
SHOWN_LINKS = 30


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    new_items: list[tuple[Item, str]]
    queue: int
    new_services: int
    failing: list[Source]
    #: the link report's "needs a person" entries (a link may be there for its status and a change)
    links_need: tuple[archive.AttentionItem, ...]
    open_events: int
    last_runs: dict[str, JobRun]


def dashboard_data(app: App, *, since: datetime) -> Dashboard:
    with session_scope(app.engine) as s:
        new_items = [(i, n) for i, n in list_items(s, ItemFilter(since=since, limit=200)) if i.fetched_at >= since]
        counts = review_counts(s)
        failing = failing_sources(s)
        report = archive.link_report(s, now=app.now())
        open_events = open_event_count(s)
        last = last_run_per_job(s)
    return Dashboard(since, new_items, counts.queue, counts.new_services, failing, report.needs_attention,
                     open_events, last)


def next_runs(app: App) -> dict[str, datetime | None]:
    """When each job runs next: from the running scheduler, else from its job store."""
    service = current_app.extensions.get("ecitizen_service")
    runs: dict[str, datetime | None] = {}
    if service is not None and getattr(service, "scheduler", None) is not None:
        runs = service.next_runs()
    if not runs:
        from ecitizen.shell.scheduler import next_runs_from_store

        try:
            runs = next_runs_from_store(app)
        except Exception:  # noqa: BLE001 - the dashboard still shows without it
            runs = {}
    return runs


@bp.get("/")
def dashboard() -> str:
    app = core()
    prev = session.get("prev_seen")
    since = datetime.fromisoformat(prev) if prev else app.now() - timedelta(days=7)
    data = dashboard_data(app, since=since)
    upcoming = next_runs(app)
    jobs = [{"name": n, "title": tasks.job_title(n), "last": data.last_runs.get(n), "next": upcoming.get(n)}
            for n in tasks.JOBS]
    return render_template(
        "dashboard.html", since=since, new_items=data.new_items[:SHOWN], new_count=len(data.new_items),
        queue=data.queue, new_services=data.new_services, failing=data.failing,
        links_need=data.links_need[:SHOWN_LINKS], links_need_count=len(data.links_need),
        open_events=data.open_events, jobs=jobs, programme=programme_summary(app),
    )
