"""Distributed mode's pieces one at a time: the queue schema, the sweeper's lease, skipping a round
that is still queued, the units' entry points and names, the roles of ``ecitizen run``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from sqlalchemy import text

from ecitizen.app import App
from ecitizen.archive import check_link_batch, plan_link_batches
from ecitizen.config import parse_config
from ecitizen.db import get_engine, migrate, session_scope
from ecitizen.errors import EcitizenError
from ecitizen.shell import tasks
from ecitizen.shell.cli.service import parse_roles
from ecitizen.shell.distributed import (
    INTERRUPTED,
    TASK_NAME,
    Queue,
    QueueSettings,
    enqueue_now,
    ensure_queue_schema,
    sweep,
)
from ecitizen.shell.jobs import last_run_per_job, recover_interrupted
from ecitizen.shell.server import run_service
from ecitizen.storage import JobRun, Link
from tests.support.config import base_config_data
from tests.support.httpserver import LocalServer
from tests.support.pg import fresh_database

pytestmark = pytest.mark.slow  # with the rest of tests/distributed (a fresh PostgreSQL database each)

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture
def pg_app(tmp_path: Path) -> Iterator[App]:
    with fresh_database() as url:
        data = base_config_data(tmp_path)
        data["database_url"] = url
        app = App(config=parse_config(data, base_dir=str(tmp_path)), now=lambda: NOW)
        ensure_queue_schema(app.engine)
        yield app


def _add_links(app: App, urls: list[str]) -> list[int]:
    with session_scope(app.engine) as s:
        for u in urls:
            s.add(Link(url=u, tags=[], topics=[]))
    with app.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text("SELECT id FROM link ORDER BY id"))]


def test_the_queue_schema_is_created_once_by_processes_starting_together() -> None:
    with fresh_database() as url:
        migrate(url)
        engine = get_engine(url)
        created: list[bool] = []
        ts = [threading.Thread(target=lambda: created.append(ensure_queue_schema(engine))) for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert sorted(created) == [False, False, True]  # not "type … already exists" in two of them
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0


def test_a_silent_workers_unit_goes_back_to_the_queue_after_its_lease(pg_app: App) -> None:
    engine = pg_app.engine
    queue = Queue(pg_app)
    try:
        units = [tasks.Unit("links_check", "links", {"ids": [1]}, "a.example"),
                 tasks.Unit("links_check", "links", {"ids": [2]}, "b.example")]
        dead_id, live_id = queue.enqueue(units)
    finally:
        queue.close()
    with engine.begin() as conn:
        dead = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                 "VALUES (NOW() - interval '10 seconds') RETURNING id")).scalar()
        live = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (NOW()) RETURNING id")).scalar()
        for job_id, worker in ((dead_id, dead), (live_id, live)):
            conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :id"),
                         {"w": worker, "id": job_id})
    with session_scope(engine) as s:
        for job_id, worker in ((dead_id, "gone:1"), (live_id, "alive:2")):
            s.add(JobRun(job=tasks.unit_run_name(units[0], job_id), started_at=NOW, outcome="running", worker=worker))
    with engine.begin() as conn:  # the host slots their gates hold
        conn.execute(text("INSERT INTO host_slot (host, slot, holder, expires_at) VALUES "
                          "('a.example', 0, 'gone:1:1f2e', NOW() + interval '1 minute'), "
                          "('a.example', 1, 'gone:10:9a8b', NOW() + interval '1 minute'), "
                          "('b.example', 0, 'alive:2:3c4d', NOW() + interval '1 minute')"))
    assert sweep(engine, lease=3, now=NOW) == [dead_id]
    assert sweep(engine, lease=3, now=NOW) == []  # once
    with engine.connect() as conn:
        jobs = dict(conn.execute(text("SELECT id, status || '/' || attempts FROM procrastinate_jobs")).all())
        runs = dict(conn.execute(text("SELECT worker, outcome || '/' || coalesce(error, '') FROM job_run")).all())
        workers = {int(r[0]) for r in conn.execute(text("SELECT id FROM procrastinate_workers"))}
    assert jobs == {dead_id: "todo/1", live_id: "doing/0"}
    assert runs == {"gone:1": f"interrupted/{INTERRUPTED}", "alive:2": "running/"}
    assert workers == {live}  # the dead one is forgotten
    with engine.connect() as conn:  # its host slots are free at once, not at the end of their lease
        held = {r[0] for r in conn.execute(text("SELECT holder FROM host_slot WHERE holder IS NOT NULL"))}
    assert held == {"gone:10:9a8b", "alive:2:3c4d"}
    # the service's start-up recovery leaves units to the sweeper (they have no job lock)
    assert recover_interrupted(engine, now=NOW) == []


def test_a_round_is_skipped_while_the_previous_one_is_queued(pg_app: App) -> None:
    _add_links(pg_app, [f"https://h{i % 3}.example/p/{i}" for i in range(7)])
    first = enqueue_now(pg_app, "links_check", QueueSettings(link_batch=2))
    assert first.outcome == "ok" and first.counts == {"units": 4, "links": 7}  # h0: 3 links in 2 batches
    again = enqueue_now(pg_app, "links_check")
    assert again.outcome == "skipped" and "частей в очереди: 4" in (again.error or "")
    with pg_app.engine.connect() as conn:
        queued = conn.execute(text("SELECT queue_name, args->>'kind', count(*) FROM procrastinate_jobs "
                                   "WHERE task_name = :t GROUP BY 1, 2"), {"t": TASK_NAME}).all()
        workers = {r[0] for r in conn.execute(text("SELECT worker FROM job_run"))}
    assert queued == [("network", "links", 4)]
    assert all(w and ":" in w for w in workers)  # host:pid of the process that planned
    with session_scope(pg_app.engine) as s:
        assert last_run_per_job(s)["links_check"].outcome == "skipped"


def test_link_batches_are_per_host_biggest_first(make_app: Callable[..., App]) -> None:
    app = make_app()
    _add_links(app, [f"https://a.example/{i}" for i in range(5)] + ["https://b.example/1", "https://b.example/2"])
    batches = plan_link_batches(app, batch_size=3)
    assert [(b.host, len(b.ids), b.label) for b in batches] == [
        ("a.example", 3, "a.example (1/2)"), ("a.example", 2, "a.example (2/2)"), ("b.example", 2, "b.example")]
    units = tasks.plan_units(app, "links_check", link_batch=3)
    assert [u.args["ids"] for u in units] == [list(b.ids) for b in batches]


def test_a_batch_run_again_checks_only_what_was_not_written(make_app: Callable[..., App], server: LocalServer
                                                            ) -> None:
    app = make_app(http={"allow_private_targets": True}, links={"min_host_interval_seconds": 0, "retries": 0})
    ids = _add_links(app, [server.url(f"/p/{i}") for i in range(4)])
    assert len(check_link_batch(app, ids[:2]).results) == 2
    before = len(server.log)
    report = check_link_batch(app, ids)  # the same batch after its worker was killed
    assert sorted(r.link_id for r in report.results) == ids[2:]
    assert check_link_batch(app, ids).results == ()
    assert len([r for r in server.log[before:] if r.path.startswith("/p/")]) == 2


def test_unit_names_and_titles() -> None:
    unit = tasks.Unit("links_check", "links", {"ids": [1]}, "127.0.0.3 (1/2)")
    name = tasks.unit_run_name(unit, 17)
    assert name == "unit:links_check:127.0.0.3 (1/2)#17"
    assert tasks.unit_of(name) == ("links_check", "127.0.0.3 (1/2)")
    assert tasks.job_title(name) == "Проверка ссылок архива — 127.0.0.3 (1/2)"
    assert set(tasks.UNIT_BODIES) >= {u.kind for u in [unit]}


def test_roles_of_ecitizen_run(app: App) -> None:
    assert parse_roles(()) is None
    assert parse_roles(("worker", "scheduler,web")) == {"scheduler", "worker", "web"}
    with pytest.raises(click.BadParameter):
        parse_roles(("cook",))
    # SQLite: a worker alone has no queue to take units from
    with pytest.raises(EcitizenError, match="PostgreSQL"):
        run_service(app, roles=frozenset({"worker"}), stop_event=threading.Event())
    with pytest.raises(EcitizenError):
        QueueSettings(queues=("nowhere",))


def test_the_job_log_shows_where_each_run_ran(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecitizen.shell import auth
    from ecitizen.shell.web import create_app
    from tests.service.conftest import PASSWORD, login

    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:2000")
    with session_scope(app.engine) as s:
        auth.add_user(s, "manager", PASSWORD, role="manager")
        unit = tasks.Unit("links_check", "links", {"ids": [1]}, "127.0.0.3 (1/2)")
        s.add(JobRun(job=tasks.unit_run_name(unit, 17), started_at=NOW, finished_at=NOW, outcome="interrupted",
                     worker="node-2:4242", error=INTERRUPTED))
    client = create_app(app, testing=True).test_client()
    assert login(client, "manager").status_code == 302
    page = client.get("/runs").get_data(as_text=True)
    assert "Проверка ссылок архива — 127.0.0.3 (1/2)" in page
    assert "node-2:4242" in page and "Где выполнялась" in page


def test_behind_a_trusted_proxy_the_client_address_and_https_come_from_its_headers() -> None:
    import urllib.request

    from flask import Flask, request

    from ecitizen.shell.server import WebServer

    wsgi = Flask("probe")

    @wsgi.get("/")
    def who() -> str:
        return f"{request.remote_addr} {request.scheme}"

    def ask(server: WebServer, headers: dict[str, str]) -> str:
        req = urllib.request.Request(server.url + "/", headers=headers)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read().decode()

    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with WebServer(wsgi, trusted_proxy="127.0.0.1") as server:
        assert ask(server, forwarded) == "203.0.113.7 https"
    with WebServer(wsgi) as server:  # no proxy trusted: the headers are dropped
        assert ask(server, forwarded) == "127.0.0.1 http"
