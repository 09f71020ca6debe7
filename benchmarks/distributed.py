"""Benchmark: one queue worker against three on the same work (distributed mode, PostgreSQL).

Two parts, each on a fresh database of the PostgreSQL server, with the workers started before the
clock starts (``ecitizen run --role worker``, 4 units at a time each) and the round enqueued as the
scheduler does (``enqueue_now``), timed until the queue is empty:

* **CPU-bound**: the feed poll of 200 feeds × 50 entries (parse, prepare, store) from 20 local hosts
  answering at once — more worker processes use more cores;
* **politeness-bound**: the link check of 2,000 links on 20 hosts answering after 100 ms, per-host
  limit 4 held across the workers by the shared host gate — its bound is (links per host / limit) ×
  delay, whatever the number of workers; more workers only run more hosts' batches at once.

The sites run in their own process (tests/distributed/sites.py). The machine's cores are printed:
on 2 cores, three worker processes plus PostgreSQL and the sites share them.

    .venv/bin/python benchmarks/distributed.py [--feeds 200] [--entries 50] [--links 2000] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from benchmarks.common import SMOKE_HELP, make_app
from ecitizen.config import SourceConfig
from ecitizen.db import dispose_engines, get_engine, migrate, session_scope
from ecitizen.shell.distributed import QueueSettings, enqueue_now
from ecitizen.storage import Link
from ecitizen.store import seed_sources
from tests.distributed.cluster import Cluster, wait_for
from tests.distributed.sites import Sites
from tests.support.config import base_config_data
from tests.support.pg import fresh_database

HOSTS = 20
PER_HOST = 4
CONCURRENCY = 4


def _waiting(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"))
                   .scalar_one())


def run_rounds(workers: int, fill: Any, sections: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Seconds for ``workers`` worker processes to empty the queue of a feed poll round, then of a
    link check round, on a fresh database filled by ``fill``."""
    times: dict[str, float] = {}
    with fresh_database() as url, tempfile.TemporaryDirectory(prefix="dist-bench-") as tmp_name:
        tmp = Path(tmp_name)
        migrate(url)
        fill(url)
        cluster = Cluster(tmp, url, **sections)
        try:
            names = [f"w{i + 1}" for i in range(workers)]
            for name in names:
                cluster.start(name, "worker", lease=30, concurrency=CONCURRENCY)
            for name in names:
                cluster.wait_started(name)
            data = base_config_data(tmp)
            data["database_url"] = url
            for key, value in sections.items():
                data[key] = {**data[key], **value}
            app = make_app(data, tmp)
            for job in ("feeds_poll", "links_check"):
                t0 = time.perf_counter()
                result = enqueue_now(app, job, QueueSettings())
                assert result.outcome == "ok", result
                wait_for(lambda: _waiting(url) == 0, 1800, f"{job} with {workers} workers", every=0.05)
                times[job] = time.perf_counter() - t0
            with get_engine(url).connect() as conn:
                failed = conn.execute(text("SELECT count(*) FROM job_run WHERE job LIKE 'unit:%' "
                                           "AND outcome <> 'ok'")).scalar_one()
            assert failed == 0, f"{failed} units did not finish ok"
            return times
        finally:
            cluster.stop_all()
            dispose_engines()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--links", type=int, default=2000)
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = ap.parse_args()
    if args.smoke:
        args.feeds, args.entries, args.links = 20, 5, 40

    delay = 0.1
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
          f"(the workers, PostgreSQL and the sites share them)")
    with Sites(hosts=HOSTS, delay=0.0, entries=args.entries) as fast, Sites(hosts=HOSTS, delay=delay) as slow:
        def fill(url: str) -> None:
            with session_scope(get_engine(url)) as s:
                seed_sources(s, [SourceConfig(name=f"feed-{n:03d}", url=fast.url(n % HOSTS, f"/feed/{n}"))
                                 for n in range(args.feeds)], resolve=None)
                s.execute(insert(Link), [{"url": slow.url(i % HOSTS, f"/page/{i}"), "tags": [], "topics": []}
                                         for i in range(args.links)])

        sections: dict[str, dict[str, Any]] = {
            "http": {"per_host_concurrency": 2},
            "links": {"per_host_concurrency": PER_HOST, "min_host_interval_seconds": 0, "global_concurrency": 64,
                      "total_deadline": 5}}
        runs = {w: run_rounds(w, fill, sections) for w in (1, 3)}
    feeds = {w: r["feeds_poll"] for w, r in runs.items()}
    links = {w: r["links_check"] for w, r in runs.items()}
    print(f"feeds (CPU-bound): {args.feeds} feeds × {args.entries} entries: 1 worker {feeds[1]:.2f} s, "
          f"3 workers {feeds[3]:.2f} s, speed-up {feeds[1] / feeds[3]:.2f}x")
    bound = args.links / HOSTS / PER_HOST * delay
    print(f"links (politeness-bound): {args.links} on {HOSTS} hosts, {delay * 1000:.0f} ms per answer, "
          f"per-host limit {PER_HOST} (bound {bound:.2f} s): 1 worker {links[1]:.2f} s, 3 workers {links[3]:.2f} s, "
          f"speed-up {links[1] / links[3]:.2f}x")
    print(f"each worker runs {CONCURRENCY} units at once; units: feeds 10 sources, links up to 250 of one host")


if __name__ == "__main__":
    main()
