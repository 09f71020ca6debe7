"""One scheduler and three workers check 10,000 links on 20 local hosts; one worker is killed.

Real processes (``ecitizen run --role …``) on a fresh database of the PostgreSQL server, the
sites in their own asyncio process counting the requests in flight per host. Checked: every link
is checked (a ``link_check`` row) exactly once; no host ever had more requests in flight than the
per-host limit, across the three workers; the units of the worker killed with SIGKILL in the middle
of the run are run again by the others after its lease, and recorded as such in the job log.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from ecitizen.db import get_engine, migrate, session_scope
from ecitizen.storage import Link
from tests.distributed.cluster import Cluster, wait_for
from tests.distributed.sites import Sites
from tests.support.pg import fresh_database

pytestmark = pytest.mark.slow

HOSTS = 20
LINKS = 10_000
LIMIT = 4
LEASE = 3.0


def _count(engine: object, sql: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(sql)).scalar_one())


def test_three_workers_check_every_link_once_within_the_host_limit_and_survive_a_kill(tmp_path: Path) -> None:
    with Sites(hosts=HOSTS, delay=0.02) as sites, fresh_database() as url:
        migrate(url)
        engine = get_engine(url)
        with session_scope(engine) as s:
            s.execute(insert(Link), [{"url": sites.url(i % HOSTS, f"/page/{i}"), "tags": [], "topics": []}
                                     for i in range(LINKS)])
        cluster = Cluster(tmp_path, url, links={
            "per_host_concurrency": LIMIT, "min_host_interval_seconds": 0, "global_concurrency": 64,
            "total_deadline": 3, "retries": 1, "retry_backoff_seconds": 0.2})
        try:
            for name, role in (("scheduler", "scheduler"), ("w1", "worker"), ("w2", "worker"), ("w3", "worker")):
                cluster.start(name, role, lease=LEASE)
            for name in ("scheduler", "w1", "w2", "w3"):
                cluster.wait_started(name)
            t0 = time.monotonic()
            planned = cluster.cli("jobs", "run", "links_check", "--enqueue", "--json")
            assert planned["outcome"] == "ok" and planned["counts"] == {"units": 40, "links": LINKS}

            # kill w1 in the middle of a unit, once a quarter of the links are checked
            wait_for(lambda: _count(engine, "SELECT count(*) FROM link_check") >= LINKS // 4
                     and _count(engine, "SELECT count(*) FROM job_run WHERE worker = 'w1' AND outcome = 'running'"),
                     90, "a quarter of the links, w1 inside a unit")
            cluster.kill("w1")
            killed_at = _count(engine, "SELECT count(*) FROM link_check")
            wait_for(lambda: _count(engine, "SELECT count(*) FROM link_check") >= LINKS
                     and not _count(engine, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"),
                     150, "every link checked and the queue empty")
            elapsed = time.monotonic() - t0
            stats = sites.stats()
        finally:
            codes = cluster.stop_all()
        assert codes == {"scheduler": 0, "w1": -9, "w2": 0, "w3": 0}, codes

        # every link checked exactly once, all fine
        assert _count(engine, "SELECT count(*) FROM link_check") == LINKS
        assert _count(engine, "SELECT count(DISTINCT link_id) FROM link_check") == LINKS
        assert _count(engine, "SELECT count(*) FROM link WHERE status = 'ok'") == LINKS
        # ... and every page served (re-requests: only pages in flight in the killed worker's unit)
        pages = {p: n for p, n in stats["per_path"].items() if "/page/" in p}
        assert len(pages) == LINKS
        again = sum(n - 1 for n in pages.values())
        # never more requests in flight to one host than the limit, across the three workers
        assert set(stats["max_inflight"]) == {f"127.0.0.{10 + i}" for i in range(HOSTS)}
        assert max(stats["max_inflight"].values()) <= LIMIT, stats["max_inflight"]
        assert max(stats["max_inflight"].values()) == LIMIT  # the limit was reached: the gate did not serialise

        # the job log: w1's interrupted units were finished by the others
        with engine.connect() as conn:
            units = conn.execute(text(
                "SELECT split_part(job, '#', 2), worker, outcome FROM job_run WHERE job LIKE 'unit:%' ORDER BY id"
            )).all()
        interrupted = {u for u, w, o in units if o == "interrupted"}
        assert interrupted and all(w == "w1" for u, w, o in units if o == "interrupted")
        finished = {u: w for u, w, o in units if o == "ok"}
        assert set(finished) == {u for u, _w, _o in units} and len(finished) == 40
        assert all(finished[u] in ("w2", "w3") for u in interrupted)
        ran_by = {w for w in finished.values()}
        assert ran_by >= {"w2", "w3"}
        print(f"\n{LINKS} links on {HOSTS} hosts, 3 workers (w1 killed at {killed_at} checks): {elapsed:.1f} s; "
              f"max in flight per host {max(stats['max_inflight'].values())} (limit {LIMIT}); "
              f"units interrupted and run again: {len(interrupted)}; pages requested twice: {again}; "
              f"units per worker: { {w: list(finished.values()).count(w) for w in sorted(ran_by)} }")
