"""The feed poll of 200 sources split across three workers stores each entry once.

Real processes on a fresh PostgreSQL database; 200 feeds of 20 entries on 20 local hosts. Checked:
every feed fetched once, every entry stored once (4,000 items), the units spread over the workers,
the per-host limit of the poll held across them; then the stores' idempotency: the same sources
polled again, and one group polled twice at the same time, store nothing twice.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ecitizen.app import App
from ecitizen.config import SourceConfig, parse_config
from ecitizen.db import get_engine, migrate, session_scope
from ecitizen.feeds import poll_sources
from ecitizen.store import seed_sources
from tests.distributed.cluster import Cluster, wait_for
from tests.distributed.sites import Sites
from tests.support.config import base_config_data
from tests.support.pg import fresh_database

pytestmark = pytest.mark.slow

HOSTS = 20
SOURCES = 200
ENTRIES = 20
PER_HOST = 2


def _count(engine: object, sql: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(sql)).scalar_one())


def _seed(engine: object, sites: Sites, numbers: range) -> None:
    with session_scope(engine) as s:  # type: ignore[arg-type]
        seed_sources(s, [SourceConfig(name=f"feed-{n:03d}", url=sites.url(n % HOSTS, f"/feed/{n}"))
                         for n in numbers], resolve=None)


def test_200_sources_split_across_three_workers_store_each_entry_once(tmp_path: Path) -> None:
    with Sites(hosts=HOSTS, delay=0.05, entries=ENTRIES) as sites, fresh_database() as url:
        migrate(url)
        engine = get_engine(url)
        _seed(engine, sites, range(SOURCES))
        cluster = Cluster(tmp_path, url, http={"per_host_concurrency": PER_HOST})
        t_start = time.monotonic()
        try:
            for name, role in (("scheduler", "scheduler"), ("w1", "worker"), ("w2", "worker"), ("w3", "worker")):
                cluster.start(name, role)
            for name in ("scheduler", "w1", "w2", "w3"):
                cluster.wait_started(name)
            t0 = time.monotonic()
            print(f"\nstart-up of 4 processes: {t0 - t_start:.1f} s")
            planned = cluster.cli("jobs", "run", "feeds_poll", "--enqueue", "--json")
            assert planned["counts"] == {"units": 20, "sources": SOURCES}, planned
            wait_for(lambda: _count(engine, "SELECT count(*) FROM job_run WHERE job LIKE 'unit:feeds_poll:%' "
                                            "AND outcome = 'ok'") == 20, 120, "20 units done")
            elapsed = time.monotonic() - t0
            stats = sites.stats()
        finally:
            codes = cluster.stop_all()
        assert codes == {"scheduler": 0, "w1": 0, "w2": 0, "w3": 0}, codes

        feeds = {p: n for p, n in stats["per_path"].items() if "/feed/" in p}
        assert len(feeds) == SOURCES and set(feeds.values()) == {1}  # every feed fetched once
        assert max(stats["max_inflight"].values()) <= PER_HOST, stats["max_inflight"]
        assert _count(engine, "SELECT count(*) FROM item") == SOURCES * ENTRIES
        assert _count(engine, "SELECT count(DISTINCT (source_id, guid)) FROM item") == SOURCES * ENTRIES
        assert _count(engine, "SELECT count(*) FROM source WHERE last_success_at IS NOT NULL") == SOURCES
        with engine.connect() as conn:
            workers = dict(conn.execute(text(
                "SELECT worker, count(*) FROM job_run WHERE job LIKE 'unit:feeds_poll:%' GROUP BY worker")).all())
        assert len(workers) >= 2 and sum(workers.values()) == 20, workers
        print(f"\n{SOURCES} feeds × {ENTRIES} entries, 3 workers: {elapsed:.1f} s; units per worker {workers}; "
              f"max in flight per host {max(stats['max_inflight'].values())} (limit {PER_HOST})")

        # the stores are idempotent: a group polled again (forced) stores nothing new ...
        t1 = time.monotonic()
        data = base_config_data(tmp_path)
        data["database_url"] = url
        app = App(config=parse_config(data, base_dir=str(tmp_path)))
        with engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM source ORDER BY id LIMIT 10"))]
        again = poll_sources(app, ids, due_only=False)
        assert again.new_items == 0 and len(again.results) == 10
        assert _count(engine, "SELECT count(*) FROM item") == SOURCES * ENTRIES
        # ... and one group polled twice at the same time (a unit run again while still running)
        _seed(engine, sites, range(SOURCES, SOURCES + 5))
        with engine.connect() as conn:
            fresh = [int(r[0]) for r in conn.execute(text("SELECT id FROM source WHERE last_success_at IS NULL"))]
        reports = []
        threads = [threading.Thread(target=lambda: reports.append(poll_sources(app, fresh, due_only=False)))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(reports) == 2
        assert _count(engine, "SELECT count(*) FROM item") == (SOURCES + 5) * ENTRIES
        assert _count(engine, "SELECT count(DISTINCT (source_id, guid)) FROM item") == (SOURCES + 5) * ENTRIES
        print(f"idempotency checks: {time.monotonic() - t1:.1f} s")
