"""The scheduled jobs' bodies: thin calls into the domain packages, returning counts.

Owns: the list of jobs (:data:`JOBS`, names match the ``schedule`` config keys) and what each one
calls, through each domain's front door (plain imports: mypy checks every call). Each body is
one unit of work for graceful shutdown: the scheduler lets it finish.

In distributed mode (:mod:`ecitizen.shell.distributed`) a job is split into units of work instead
(:func:`plan_units`: a feed poll per group of sources, a link check per host batch, a crawl per
host, a poster per library, …), each run by one queue worker through :data:`UNIT_BODIES`, with the
shared per-host gates it is given (:class:`Politeness`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ecitizen import archive, crawler, digest, feeds, outcomes
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.programme import list_libraries
from ecitizen.shell.jobs import UNIT_PREFIX
from ecitizen.source_settings import CRAWLER_KINDS
from ecitizen.sources import list_sources
from ecitizen.urls import host_of

TaskFn = Callable[[App, threading.Event], Mapping[str, Any]]


_SUMMED = ("new_items", "updated_items", "entries", "added", "updated", "unchanged", "rejected", "pages")


def summarize_rows(rows: list[Any]) -> dict[str, Any]:
    """Per-source result rows → totals, the number that failed and (a few of) their names."""
    out: dict[str, Any] = {"sources": len(rows)}
    failed: list[str] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        for key in _SUMMED:
            if isinstance(row.get(key), int):
                out[key] = out.get(key, 0) + row[key]
        if row.get("outcome") is not None and row.get("outcome") != "unchanged" and outcomes.is_failure(row["outcome"]):
            failed.append(str(row.get("name", "?")))
    out["failed"] = len(failed)
    if failed:
        out["failed_sources"] = ", ".join(failed[:10])
    return out


def report_counts(report: Any) -> dict[str, Any]:
    """Counts for the run record from a domain report (``as_json()``, a dict, a list of paths...)."""
    if report is None:
        return {}
    data = report.as_json() if hasattr(report, "as_json") else report
    if isinstance(data, Mapping):
        # keep the run record small: scalars, small mappings, list lengths
        out: dict[str, Any] = {}
        for k, v in data.items():
            if k in ("sources", "results") and isinstance(v, list | tuple):
                out.update(summarize_rows(list(v)) if k == "sources" else {"checked": len(v)})
            elif isinstance(v, int | float | str | bool) or v is None:
                out[str(k)] = v
            elif isinstance(v, list | tuple):
                out[str(k)] = len(v)
            elif isinstance(v, Mapping):
                out[str(k)] = {str(kk): vv for kk, vv in list(v.items())[:20] if isinstance(vv, int | float | str)}
        return out
    if isinstance(data, list | tuple):
        if all(isinstance(x, Mapping) for x in data):
            return summarize_rows(list(data))
        return {"files": len(data)}
    return {"result": str(data)[:500]}


def out_dir(app: App) -> Path:
    return app.config.path(app.config.outputs.out_dir)


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def current_month(today: date) -> str:
    return f"{today.year:04d}-{today.month:02d}"


def feeds_poll(app: App, stop: threading.Event) -> Mapping[str, Any]:
    return report_counts(feeds.poll(app))


def crawl(app: App, stop: threading.Event) -> Mapping[str, Any]:
    report = crawler.crawl(app)
    if getattr(report, "error", None):  # the child process itself failed (per-source errors are not this)
        raise RuntimeError(f"обход не завершён: {report.error}")
    return report_counts(report)


def links_check(app: App, stop: threading.Event) -> Mapping[str, Any]:
    return report_counts(archive.check_links(app, due_only=True))


def weekly_digest(app: App, stop: threading.Event) -> Mapping[str, Any]:
    send = bool(app.config.smtp.recipients)
    result = digest.make_weekly(app, send=send)
    counts = report_counts(result)
    counts["sent"] = send
    return counts


def monthly_outputs(app: App, stop: threading.Event) -> Mapping[str, Any]:
    """Posters for every library and a media note for the month that is starting."""
    today = app.now().astimezone(app.config.tz).date()
    month = current_month(today)
    posters = digest.make_posters(app, month=month, library="all")
    counts: dict[str, Any] = {"month": month, "posters": len(list(posters or []))}
    if stop.is_set():
        return counts
    paths = digest.make_media_note(app, month=month)
    counts["media_note"] = ", ".join(Path(str(p)).name for p in (paths or []))
    return counts


def publish(app: App, stop: threading.Event) -> Mapping[str, Any]:
    result = digest.publish(app, out_dir=out_dir(app) / "public")
    return report_counts(result)


#: job name -> body; names are the keys of the ``schedule`` config section
JOBS: dict[str, TaskFn] = {
    "feeds_poll": feeds_poll,
    "crawl": crawl,
    "links_check": links_check,
    "weekly_digest": weekly_digest,
    "monthly_outputs": monthly_outputs,
    "publish": publish,
}

#: what a librarian sees for each job
JOB_TITLES: dict[str, str] = {
    "feeds_poll": "Опрос лент новостей",
    "crawl": "Обход сайтов без лент",
    "links_check": "Проверка ссылок архива",
    "weekly_digest": "Еженедельный обзор",
    "monthly_outputs": "Плакаты и заметка для СМИ (раз в месяц)",
    "publish": "Публикация лент и виджета",
}


DEMO_TITLES = {"sources": "Демо: источники", "links": "Демо: ссылки архива", "approve": "Демо: одобрение записей",
               "snapshots": "Демо: сохранённые копии"}


def job_title(name: str) -> str:
    if name.startswith(UNIT_PREFIX):
        job, label = unit_of(name)
        return JOB_TITLES.get(job, job) + (f" — {label}" if label else "")
    if name.startswith("demo:"):
        return DEMO_TITLES.get(name.split(":", 1)[1], name)
    if name.startswith("check_source:"):
        return "Проверка источника «" + name.split(":", 1)[1] + "»"
    if name.startswith("manual:"):
        return JOB_TITLES.get(name.split(":", 1)[1], name) + " (вручную)"
    return JOB_TITLES.get(name, name)



# -- distributed mode: units of work ------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """One unit of work of a scheduled job, run once by one queue worker."""

    #: the scheduled job it is part of (a :data:`JOBS` key)
    job: str
    #: what runs it (a :data:`UNIT_BODIES` key)
    kind: str
    #: the body's arguments (JSON: they travel through the queue)
    args: dict[str, Any]
    #: what the job log shows beside the job's title
    label: str = ""


@dataclass(frozen=True)
class Politeness:
    """The per-host gates a unit uses: shared by every worker in distributed mode; None: the
    domain's in-process default."""

    link_gates: archive.GatesFactory | None = None
    feed_limiter: feeds.HostLimit | None = None


UnitBody = Callable[[App, Mapping[str, Any], Politeness], Mapping[str, Any]]


def unit_run_name(unit: Unit, queue_id: int) -> str:
    """The ``job_run.job`` of a unit: ``unit:<job>:<label>#<queue job id>``."""
    return f"{UNIT_PREFIX}{unit.job}:{unit.label}#{queue_id}"


def unit_of(run_name: str) -> tuple[str, str]:
    """(job, label) of a unit's ``job_run.job``."""
    rest = run_name.removeprefix(UNIT_PREFIX).rsplit("#", 1)[0]
    job, _, label = rest.partition(":")
    return job, label


def plan_units(app: App, job: str, *, feed_group: int = 10, link_batch: int = 250) -> list[Unit]:
    """The units of work of one run of ``job`` (none when there is nothing due)."""
    if job == "feeds_poll":
        return [Unit(job, "feeds", {"ids": list(g.ids)}, g.label)
                for g in feeds.plan_poll(app, group_size=feed_group)]
    if job == "links_check":
        return [Unit(job, "links", {"ids": list(b.ids)}, b.label)
                for b in archive.plan_link_batches(app, batch_size=link_batch)]
    if job == "crawl":
        return [Unit(job, "crawl", {"names": names}, host) for host, names in crawl_groups(app)]
    if job == "monthly_outputs":
        month = current_month(app.now().astimezone(app.config.tz).date())
        with session_scope(app.engine) as session:  # the programme's table: the libraries taking part now
            libraries = list_libraries(session, active_only=True)
        units = [Unit(job, "poster", {"month": month, "library": lib.id}, lib.name) for lib in libraries]
        return [*units, Unit(job, "media_note", {"month": month}, "заметка для СМИ")]
    if job in ("weekly_digest", "publish"):
        return [Unit(job, job, {})]
    raise KeyError(f"unknown job {job!r}")


def crawl_groups(app: App) -> list[tuple[str, list[str]]]:
    """The enabled crawler sources grouped by host: one host's sources are crawled by one worker,
    so the crawler's per-domain politeness holds across workers."""
    by_host: dict[str, list[str]] = {}
    with session_scope(app.engine) as session:
        for src in list_sources(session):
            if src.enabled and src.kind in CRAWLER_KINDS:
                by_host.setdefault(host_of(src.url), []).append(src.name)
    return sorted(by_host.items())


def feeds_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    return report_counts(feeds.poll_sources(app, list(args["ids"]), limiter=gates.feed_limiter))


def links_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    return report_counts(archive.check_link_batch(app, list(args["ids"]), gates=gates.link_gates))


def crawl_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    report = crawler.crawl(app, list(args["names"]))
    if getattr(report, "error", None):
        raise RuntimeError(f"обход не завершён: {report.error}")
    return report_counts(report)


def poster_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    paths = digest.make_posters(app, month=str(args["month"]), library=str(args["library"]))
    return {"month": args["month"], "files": len(list(paths or []))}


def media_note_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    paths = digest.make_media_note(app, month=str(args["month"]))
    return {"month": args["month"], "media_note": ", ".join(Path(str(p)).name for p in (paths or []))}


def weekly_digest_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    return weekly_digest(app, threading.Event())


def publish_unit(app: App, args: Mapping[str, Any], gates: Politeness) -> Mapping[str, Any]:
    return publish(app, threading.Event())


#: unit kind -> body
UNIT_BODIES: dict[str, UnitBody] = {
    "feeds": feeds_unit,
    "links": links_unit,
    "crawl": crawl_unit,
    "poster": poster_unit,
    "media_note": media_note_unit,
    "weekly_digest": weekly_digest_unit,
    "publish": publish_unit,
}
