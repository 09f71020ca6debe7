"""A region on one machine: one scheduler and three workers (``ecitizen run --role …`` processes) on a
fresh database of the PostgreSQL server, 20 local hosts served by their own asyncio process, which
counts the requests in flight per host.

* The feed poll of 200 sources is split across the workers and stores each entry once; the per-host
  limit of the poll holds across them; the stores are idempotent (a group polled again, or twice at
  the same time, stores nothing twice).
* The three workers check 10,000 links: every link exactly once, never more requests in flight to
  a host than the limit across the workers; one worker killed with SIGKILL in the middle of a unit,
  its units run again by the others after its lease, and the job log says so.

One region for both tests (starting four processes is the slow part); the link test kills a worker,
so it comes last.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from ecitizen.app import App
from ecitizen.config import SourceConfig, parse_config
from ecitizen.db import get_engine, migrate, session_scope
from ecitizen.feeds import poll_sources
from ecitizen.storage import Link
from ecitizen.store import seed_sources
from tests.distributed.cluster import Cluster, wait_for
from tests.distributed.sites import Sites
from tests.support.config import base_config_data
from tests.support.pg import fresh_database

pytestmark = pytest.mark.slow

HOSTS = 20
SOURCES = 200
ENTRIES = 20
FEED_LIMIT = 2
LINKS = 10_000
LINK_LIMIT = 4
#: a worker silent this long has its units run again by the others; on a slow, loaded machine (two
#: cores ten times slower than usual, four busy processes) a live worker's heartbeat was once late
#: by more than 3 s and a unit ran twice
LEASE = 10.0
ROLES = (("scheduler", "scheduler"), ("w1", "worker"), ("w2", "worker"), ("w3", "worker"))


@dataclass
class Region:
    sites: Sites
    url: str
    engine: Engine
    cluster: Cluster
    tmp: Path

    def count(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    def app(self) -> App:
        data = base_config_data(self.tmp)
        data["database_url"] = self.url
        return App(config=parse_config(data, base_dir=str(self.tmp)))


def _seed(engine: Engine, sites: Sites, numbers: range) -> None:
    with session_scope(engine) as s:
        seed_sources(s, [SourceConfig(name=f"feed-{n:03d}", url=sites.url(n % HOSTS, f"/feed/{n}"))
                         for n in numbers], resolve=None)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    tmp = tmp_path_factory.mktemp("region")
    with Sites(hosts=HOSTS, delay=0.02, entries=ENTRIES) as sites, fresh_database() as url:
        migrate(url)
        engine = get_engine(url)
        _seed(engine, sites, range(SOURCES))
        with session_scope(engine) as s:
            s.execute(insert(Link), [{"url": sites.url(i % HOSTS, f"/page/{i}"), "tags": [], "topics": []}
                                     for i in range(LINKS)])
        cluster = Cluster(tmp, url, http={"per_host_concurrency": FEED_LIMIT}, links={
            "per_host_concurrency": LINK_LIMIT, "min_host_interval_seconds": 0, "global_concurrency": 64,
            "total_deadline": 3, "retries": 1, "retry_backoff_seconds": 0.2})
        try:
            t0 = time.monotonic()
            for name, role in ROLES:
                cluster.start(name, role, lease=LEASE)
            for name, _role in ROLES:
                cluster.wait_started(name)
            print(f"\nstart-up of 4 processes: {time.monotonic() - t0:.1f} s")
            yield Region(sites, url, engine, cluster, tmp)
        finally:
            cluster.stop_all()


def test_200_sources_split_across_three_workers_store_each_entry_once(region: Region) -> None:
    region.sites.reset()
    t0 = time.monotonic()
    planned = region.cluster.cli("jobs", "run", "feeds_poll", "--enqueue", "--json")
    assert planned["counts"] == {"units": 20, "sources": SOURCES}, planned
    wait_for(lambda: region.count("SELECT count(*) FROM job_run WHERE job LIKE 'unit:feeds_poll:%' "
                                  "AND outcome = 'ok'") == 20, 300, "20 units done")
    elapsed = time.monotonic() - t0
    stats = region.sites.stats()

    feeds = {p: n for p, n in stats["per_path"].items() if "/feed/" in p}
    assert len(feeds) == SOURCES and set(feeds.values()) == {1}  # every feed fetched once
    assert max(stats["max_inflight"].values()) <= FEED_LIMIT, stats["max_inflight"]
    assert region.count("SELECT count(*) FROM item") == SOURCES * ENTRIES
    assert region.count("SELECT count(DISTINCT (source_id, guid)) FROM item") == SOURCES * ENTRIES
    assert region.count("SELECT count(*) FROM source WHERE last_success_at IS NOT NULL") == SOURCES
    with region.engine.connect() as conn:
        workers = dict(conn.execute(text(
            "SELECT worker, count(*) FROM job_run WHERE job LIKE 'unit:feeds_poll:%' GROUP BY worker")).all())
    assert len(workers) >= 2 and sum(workers.values()) == 20, workers
    print(f"{SOURCES} feeds × {ENTRIES} entries, 3 workers: {elapsed:.1f} s; units per worker {workers}; "
          f"max in flight per host {max(stats['max_inflight'].values())} (limit {FEED_LIMIT})")

    # the stores are idempotent: a group polled again (forced) stores nothing new ...
    app = region.app()
    with region.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM source ORDER BY id LIMIT 10"))]
    again = poll_sources(app, ids, due_only=False)
    assert again.new_items == 0 and len(again.results) == 10
    assert region.count("SELECT count(*) FROM item") == SOURCES * ENTRIES
    # ... and one group polled twice at the same time (a unit run again while it still runs)
    _seed(region.engine, region.sites, range(SOURCES, SOURCES + 5))
    with region.engine.connect() as conn:
        fresh = [int(r[0]) for r in conn.execute(text("SELECT id FROM source WHERE last_success_at IS NULL"))]
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(poll_sources(app, fresh, due_only=False)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2
    assert region.count("SELECT count(*) FROM item") == (SOURCES + 5) * ENTRIES
    assert region.count("SELECT count(DISTINCT (source_id, guid)) FROM item") == (SOURCES + 5) * ENTRIES


def test_three_workers_check_every_link_once_within_the_host_limit_and_survive_a_kill(region: Region) -> None:
    region.sites.reset()
    t0 = time.monotonic()
    planned = region.cluster.cli("jobs", "run", "links_check", "--enqueue", "--json")
    assert planned["outcome"] == "ok" and planned["counts"] == {"units": 40, "links": LINKS}

    # kill w1 in the middle of a unit, once a quarter of the links are checked
    wait_for(lambda: region.count("SELECT count(*) FROM link_check") >= LINKS // 4
             and region.count("SELECT count(*) FROM job_run WHERE worker = 'w1' AND outcome = 'running'"),
             300, "a quarter of the links, w1 inside a unit")
    region.cluster.kill("w1")
    killed_at = region.count("SELECT count(*) FROM link_check")
    wait_for(lambda: region.count("SELECT count(*) FROM link_check") >= LINKS
             and not region.count("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"),
             400, "every link checked and the queue empty")
    elapsed = time.monotonic() - t0
    stats = region.sites.stats()
    codes = region.cluster.stop_all()
    assert codes == {"scheduler": 0, "w1": -9, "w2": 0, "w3": 0}, codes

    # every link checked exactly once, all fine
    assert region.count("SELECT count(*) FROM link_check") == LINKS
    assert region.count("SELECT count(DISTINCT link_id) FROM link_check") == LINKS
    assert region.count("SELECT count(*) FROM link WHERE status = 'ok'") == LINKS
    # ... and every page served (asked twice: only pages in flight in the killed worker's units)
    pages = {p: n for p, n in stats["per_path"].items() if "/page/" in p}
    assert len(pages) == LINKS
    again = sum(n - 1 for n in pages.values())
    # never more requests in flight to one host than the limit, across the three workers
    assert set(stats["max_inflight"]) == {f"127.0.0.{10 + i}" for i in range(HOSTS)}
    assert max(stats["max_inflight"].values()) <= LINK_LIMIT, stats["max_inflight"]
    assert max(stats["max_inflight"].values()) == LINK_LIMIT  # reached: the gate does not serialise

    # the job log: w1's interrupted units were finished by the others
    with region.engine.connect() as conn:
        units = conn.execute(text("SELECT split_part(job, '#', 2), worker, outcome FROM job_run "
                                  "WHERE job LIKE 'unit:links_check:%' ORDER BY id")).all()
    interrupted = {u for u, _w, o in units if o == "interrupted"}
    assert interrupted and all(w == "w1" for _u, w, o in units if o == "interrupted")
    finished = {u: w for u, w, o in units if o == "ok"}
    assert set(finished) == {u for u, _w, _o in units} and len(finished) == 40
    assert all(finished[u] in ("w2", "w3") for u in interrupted)
    per_worker = {w: list(finished.values()).count(w) for w in sorted(set(finished.values()))}
    print(f"{LINKS} links on {HOSTS} hosts, 3 workers (w1 killed at {killed_at} checks): {elapsed:.1f} s; "
          f"max in flight per host {max(stats['max_inflight'].values())} (limit {LINK_LIMIT}); "
          f"units interrupted and run again: {len(interrupted)}; pages requested twice: {again}; "
          f"units per worker: {per_worker}")
