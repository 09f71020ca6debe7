"""``ecitizen demo``: a local sample portal, a demo config and database, one full cycle, the web UI.

Owns: writing ``<dir>/config.yaml`` (sources and links pointing at the demo portal,
``allow_private_targets: true``), a fresh database each run (the portal's port changes between
runs, and a demo must not inherit yesterday's state), running the cycle through the same job
wrapper as the scheduler (so every step is a recorded job run; a failing step is reported and the
demo goes on), a demo manager account with a random password, and serving the web interface.
Works offline: nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import click
import yaml

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import dispose_engines, session_scope
from ecitizen.shell.demo_portal import DemoPortal

DEMO_USER = "demo"


@dataclass
class StepResult:
    step: str
    title: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


@dataclass
class DemoResult:
    directory: Path
    config_path: Path
    portal_url: str
    web_url: str
    user: str
    password: str
    steps: list[StepResult]

    @property
    def ok(self) -> bool:
        return all(s.outcome in ("ok", "skipped") for s in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory), "config": str(self.config_path), "portal": self.portal_url,
            "web": self.web_url, "user": self.user, "password": self.password,
            "steps": [{"step": s.step, "title": s.title, "outcome": s.outcome, "details": s.details,
                       "error": s.error, "seconds": round(s.seconds, 2)} for s in self.steps],
        }


def demo_config(base: str, directory: Path, *, web_port: int) -> dict[str, Any]:
    """The demo config: the repository's topics/rules/libraries, sources and limits for the portal."""
    common = yaml.safe_load((resources.files("ecitizen.shell") / "demo_site" / "demo-base.yaml")
                            .read_text(encoding="utf-8"))
    topic_ids = {t["id"] for t in common["topics"]}

    def topics(*ids: str) -> list[str]:
        return [t for t in ids if t in topic_ids]

    return {
        "database_url": "sqlite:///ecitizen.db",
        "timezone": common.get("timezone", "Asia/Omsk"),
        "data_dir": "data",
        "http": {"allow_private_targets": True, "connect_timeout": 3, "read_timeout": 5, "total_deadline": 15},
        "feeds": {"min_interval_minutes": 1},
        "links": {"min_host_interval_seconds": 0, "retries": 0, "broken_after_failures": 1, "total_deadline": 10,
                  "snapshot_warc": False},
        "crawler": {"download_delay": 0, "autothrottle": False, "retry_times": 0, "timeout": 10},
        "libraries": common["libraries"],
        "topics": common["topics"],
        "new_service_rules": common["new_service_rules"],
        "sources": [
            {"name": "demo-gosuslugi", "kind": "feed", "url": base + "/rss/gosuslugi.xml",
             "topics": topics("gosuslugi", "cabinet"), "timezone": "Europe/Moscow"},
            {"name": "demo-omsk-1251", "kind": "feed", "url": base + "/rss/omsk-1251.xml",
             "topics": topics("transport", "one-window")},
            {"name": "demo-aif-health-1251", "kind": "feed", "url": base + "/rss/aif-health.xml",
             "topics": topics("doctor")},
            {"name": "demo-broken-feed", "kind": "feed", "url": base + "/rss/missing.xml"},
            {"name": "demo-sfr-list", "kind": "listing", "url": base + "/press_center/news/",
             "topics": topics("pensions"), "timezone": "Europe/Moscow",
             "settings": {"item": "article.re-news__article", "title": "h3.re-news__article-title",
                          "link": "a.re-news__article-link::attr(href)",
                          "date": ["time.re-news__article-time::attr(datetime)", "span.re-news__article-date"],
                          "summary": "p.re-news__article-description"}},
            {"name": "demo-sitemap", "kind": "sitemap", "url": base + "/sitemap-index.xml",
             "settings": {"prefixes": ["/landing/", "/help/"]}},
            {"name": "demo-catalog", "kind": "catalog", "url": base + "/catalog/",
             "settings": {"entry": "li.service-card", "id": "::attr(data-id)", "title": "a.service-card__link",
                          "link": "a.service-card__link::attr(href)", "category": "span.service-card__category"}},
            {"name": "demo-telegram", "kind": "telegram", "url": base + "/s/gosuslugi", "topics": topics("gosuslugi")},
            {"name": "demo-watched-page", "kind": "page", "url": base + "/help/mfc",
             "settings": {"region": "main", "ignore": [".banner", ".counter"]}},
        ],
        "outputs": {"out_dir": "out", "public_base_url": f"http://127.0.0.1:{web_port}"},
        "web": {"host": "127.0.0.1", "port": web_port},
    }


DEMO_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("/help/pension", "Пенсионная система в один клик", "Пенсии и пособия", "Как узнать стаж и баллы онлайн"),
    ("/old/doctor", "Талон к врачу", "Здоровье", "Запись на приём (страница переехала)"),
    ("/removed-page", "Старая страница о льготах", "Пенсии и пособия", "Эта страница удалена на сайте"),
    ("/server-error", "Сервис оплаты ЖКХ", "Платежи", "Сайт отвечает ошибкой"),
    ("/gosuslugi-2018", "Портал госуслуг", "Госуслуги", "Главная страница портала"),
    ("/help/mfc", "Как записаться в МФЦ", "Документы", "Порядок записи на приём"),
)


def write_demo_files(directory: Path, base: str, web_port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("ecitizen.db", "ecitizen.db-wal", "ecitizen.db-shm"):
        (directory / name).unlink(missing_ok=True)  # a fresh demo each run
    cfg_path = directory / "config.yaml"
    tmp = cfg_path.with_suffix(".yaml.tmp")
    text = ("# Written by `ecitizen demo` (rewritten on each run). Sources point at the local demo portal.\n"
            + yaml.safe_dump(demo_config(base, directory, web_port=web_port), allow_unicode=True, sort_keys=False,
                             width=120))
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(cfg_path)
    return cfg_path


def _approve_for_demo(app: App) -> dict[str, Any]:
    """Stand in for the librarian: approve up to 8 items with a course topic (new services first)."""
    from ecitizen.queries import ItemFilter, list_items, set_status

    with session_scope(app.engine) as session:
        rows = list_items(session, ItemFilter(status="new"))
        rows.sort(key=lambda r: (not r[0].is_new_service, not r[0].topic_ids()))
        chosen = [i.id for i, _ in rows if i.topic_ids()][:8]
        set_status(session, [c for c in chosen if c is not None], "approved", reviewer=DEMO_USER, now=app.now())
    return {"approved": len(chosen), "left_for_review": len(rows) - len(chosen)}


def _add_links(app: App, base: str) -> dict[str, Any]:
    from ecitizen.archive import LinkInput, add_link

    added = 0
    with session_scope(app.engine) as session:
        for path, title, category, description in DEMO_LINKS:
            _link, created = add_link(session, LinkInput(base + path, title, description, category),
                                      added_by=DEMO_USER, now=app.now(), allow_private=True)
            added += int(created)
    return {"links": added}


def _snapshots(app: App) -> dict[str, Any]:
    """Saved copies of the working links (the archive's ``take_snapshot``)."""
    from sqlmodel import select

    from ecitizen.archive import take_snapshot
    from ecitizen.storage import Link

    with session_scope(app.engine) as session:
        links = list(session.exec(select(Link).where(Link.status == "ok")).all())
    saved = 0
    for link in links:
        take_snapshot(app, link)
        saved += 1
    return {"snapshots": saved}


def run_cycle(app: App, base: str, *, echo: Callable[[str], None]) -> list[StepResult]:
    """Seed, poll, crawl, check links, approve, digest, posters + media note, publish. Never raises."""
    from ecitizen.shell import tasks
    from ecitizen.shell.scheduler import Service
    from ecitizen.sources import SourceRules
    from ecitizen.store import seed_sources

    service = Service(app)
    steps: list[StepResult] = []

    def custom(name: str, title: str, fn: Callable[[], dict[str, Any]]) -> None:
        started = time.monotonic()
        result = service.run_body(f"demo:{name}", lambda stop: fn())
        steps.append(StepResult(name, title, result.outcome, dict(result.counts), result.error,
                                time.monotonic() - started))
        _echo_step(steps[-1], echo)

    def job(name: str) -> None:
        started = time.monotonic()
        result = service.run_now(name)
        steps.append(StepResult(name, tasks.job_title(name), result.outcome, dict(result.counts), result.error,
                                time.monotonic() - started))
        _echo_step(steps[-1], echo)

    def seed() -> dict[str, Any]:
        from ecitizen.programme import seed_libraries

        with session_scope(app.engine) as session:
            added, _ = seed_sources(session, app.config.sources, rules=SourceRules.from_config(app.config))
            libs_added, _ = seed_libraries(session, app.config.libraries, now=app.now())
        return {"sources": len(added), "libraries": len(libs_added)}

    custom("sources", "Источники из конфигурации", seed)
    custom("links", "Ссылки архива", lambda: _add_links(app, base))
    for name in ("feeds_poll", "crawl", "links_check"):
        job(name)
    custom("snapshots", "Сохранённые копии страниц", lambda: _snapshots(app))
    custom("approve", "Одобрение записей (вместо библиотекаря)", lambda: _approve_for_demo(app))
    # the demo's items arrive now: its weekly digest is of the week running now, not the last complete one
    custom("weekly_digest", tasks.job_title("weekly_digest"), lambda: _weekly_digest_this_week(app))
    for name in ("monthly_outputs", "publish"):
        job(name)
    return steps


def _weekly_digest_this_week(app: App) -> dict[str, Any]:
    from ecitizen.digest import make_weekly

    result = make_weekly(app, week="current")
    return {"week": result.period.key, **result.counts}


def _echo_step(step: StepResult, echo: Callable[[str], None]) -> None:
    mark = {"ok": "готово", "skipped": "пропущено", "error": "ОШИБКА"}.get(step.outcome, step.outcome)
    details = ", ".join(f"{k}: {v}" for k, v in step.details.items()
                        if isinstance(v, int | float) and not isinstance(v, bool) and k != "elapsed_seconds")
    echo(f"  [{mark:^9}] {step.title} ({step.seconds:.1f} с){' — ' + details if details else ''}")
    if step.error:
        echo(f"              {step.error}")


def create_demo_user(app: App) -> str:
    from ecitizen.shell.auth import add_user

    password = secrets.token_urlsafe(9)
    with session_scope(app.engine) as session:
        add_user(session, DEMO_USER, password, role="manager")
    return password


def prepare_demo(demo_dir: str | Path, *, web_port: int, echo: Callable[[str], None]) -> tuple[DemoResult, DemoPortal,
                                                                                                 App]:
    directory = Path(demo_dir).resolve()
    portal = DemoPortal().start()
    try:
        cfg_path = write_demo_files(directory, portal.base, web_port)
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        app = App(str(cfg_path), config=parse_config(data, base_dir=str(directory)))
        echo(f"Демонстрационный портал: {portal.base}")
        echo(f"Папка демонстрации: {directory}")
        echo("Полный цикл:")
        steps = run_cycle(app, portal.base, echo=echo)
        password = create_demo_user(app)
    except BaseException:
        portal.stop()
        raise
    result = DemoResult(directory, cfg_path, portal.base, f"http://127.0.0.1:{web_port}", DEMO_USER, password, steps)
    return result, portal, app


def check_port_free(port: int) -> None:
    """Fail before the cycle (not after a minute of work) when the web port is taken."""
    import socket

    from ecitizen.errors import EcitizenError

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise EcitizenError(f"port {port} on 127.0.0.1 is in use ({exc.strerror}); "
                                f"run `ecitizen demo --port <another>`") from exc


def run_demo(*, demo_dir: str | Path = "data/demo", port: int = 8080, serve: bool = True,
             as_json: bool = False, stop_event: threading.Event | None = None) -> DemoResult:
    """The ``ecitizen demo`` command. With ``serve`` it blocks until Ctrl-C/SIGTERM (or ``stop_event``)."""
    echo: Callable[[str], None] = (lambda s: click.echo(s, err=True)) if as_json else click.echo
    if serve:
        check_port_free(port)
    result, portal, app = prepare_demo(demo_dir, web_port=port, echo=echo)
    try:
        out = app.config.path(app.config.outputs.out_dir)
        echo("")
        echo(f"Файлы: {out} (плакаты, обзор, заметка для СМИ; публичные ленты в {out / 'public'})")
        echo(f"Вход: {result.web_url}/login   имя: {result.user}   пароль: {result.password}")
        echo(f"Открыто без входа: {result.web_url}/widget  /feed.atom  /feed.json  /links")
        if as_json:
            click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        if serve:
            from ecitizen.shell.server import run_service

            echo("Веб-интерфейс запущен; остановка — Ctrl-C.")
            run_service(app, host="127.0.0.1", port=port, web=True, scheduler=False, stop_event=stop_event,
                        echo=echo)
    finally:
        portal.stop()
        dispose_engines()
    return result
