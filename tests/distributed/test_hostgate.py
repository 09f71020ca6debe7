"""The shared host gate (``ecitizen.hostgate``) on the PostgreSQL server, used from several processes.

The sites count the requests in flight per host; the gates' users are separate processes (spawned),
as workers on several machines would be. The in-process gate is run the same way as a control: it
lets each process reach the limit, so together they pass it.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import Pool

import pytest
from sqlalchemy import text

from ecitizen.db import get_engine, migrate
from ecitizen.hostgate import GateRules, SharedHostGates, SharedHostLimiter, lease_for, libpq_url
from tests.distributed import gate_client
from tests.distributed.sites import Sites, host_ip
from tests.support.pg import fresh_database

pytestmark = pytest.mark.slow  # spawned processes and fresh databases: about 25 s for the module

PROCESSES = 3


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    with Sites(hosts=2, delay=0.05) as s:
        yield s


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """One database for the module: each test uses hosts of its own."""
    with fresh_database() as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as p:
        yield p


def _in_processes(pool: Pool, conninfo: str | None, url: str, host: str, rules: GateRules, n: int) -> list[float]:
    results = pool.starmap(gate_client.requests, [(conninfo, url, host, rules, n)] * PROCESSES)
    return sorted(t for r in results for t in r)


def test_at_most_limit_requests_in_flight_per_host_across_processes(pool: Pool, sites: Sites, pg_url: str) -> None:
    rules = GateRules(limit=2, lease=10)
    sites.reset()
    _in_processes(pool, libpq_url(pg_url), sites.url(0, "/page/1"), host_ip(0), rules, 12)
    shared = sites.stats()
    assert shared["per_host"][host_ip(0)] == PROCESSES * 12
    assert shared["max_inflight"][host_ip(0)] == 2
    # control: the in-process gate holds per process only, so three processes pass the limit
    sites.reset()
    _in_processes(pool, None, sites.url(0, "/page/1"), host_ip(0), rules, 12)
    assert sites.stats()["max_inflight"][host_ip(0)] > 2


def test_request_starts_to_a_host_are_an_interval_apart_across_processes(pool: Pool, sites: Sites, pg_url: str
                                                                         ) -> None:
    interval = 0.1
    starts = _in_processes(pool, libpq_url(pg_url), sites.url(1, "/page/2"), host_ip(1),
                           GateRules(limit=4, interval=interval, lease=10), 5)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == PROCESSES * 5
    # a start can be late by the sender's scheduling delay (milliseconds), never early
    assert min(gaps) > interval - 0.03, gaps
    assert starts[-1] - starts[0] >= (len(starts) - 1) * interval - 0.03


def test_a_dead_holders_slot_is_free_when_its_lease_ends(pg_url: str) -> None:
    engine = get_engine(pg_url)
    with engine.begin() as conn:  # a worker killed while holding the host's only slot
        conn.execute(text("INSERT INTO host_slot (host, slot, holder, expires_at) "
                          "VALUES ('dead.example', 0, 'killed:1:x', clock_timestamp() + interval '1 second')"))

    async def take() -> float:
        async with SharedHostGates(libpq_url(pg_url), GateRules(limit=1, lease=5)) as gates:
            t0 = time.monotonic()
            async with gates.slot("dead.example"):
                return time.monotonic() - t0

    waited = asyncio.run(take())
    assert 0.7 < waited < 3
    with engine.connect() as conn:  # given back at the end
        assert conn.execute(text("SELECT holder FROM host_slot WHERE host = 'dead.example'")).scalar() is None


def test_the_feed_polls_limiter_holds_across_threads_and_limiters(sites: Sites, pg_url: str) -> None:
    engine = get_engine(pg_url)
    rules = GateRules(limit=2, lease=10)
    limiters = [SharedHostLimiter(engine, rules) for _ in range(3)]  # as three worker processes
    url = sites.url(0, "/page/3")
    sites.reset()

    def fetch(i: int) -> None:
        with limiters[i % 3](url), urllib.request.urlopen(url, timeout=10) as resp:
            resp.read()

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(fetch, range(24)))
    stats = sites.stats()
    assert stats["per_host"][host_ip(0)] == 24
    assert stats["max_inflight"][host_ip(0)] == 2


def test_a_lease_outlasts_the_longest_use_of_a_slot() -> None:
    rules = GateRules(limit=4, interval=0.25, lease=lease_for(20, 4, 0.25))
    # handed on for at most half a lease, then one request (deadline) after waiting for a ticket
    assert rules.hold + 20 + 4 * 0.25 < rules.lease
    with pytest.raises(ValueError):
        GateRules(limit=0)


def test_gates_are_released_when_a_run_ends(pg_url: str) -> None:
    async def run() -> None:
        async with SharedHostGates(libpq_url(pg_url), GateRules(limit=3, lease=30)) as gates:
            async def one() -> None:
                async with gates.slot("h.example"):
                    await asyncio.sleep(0.01)

            await asyncio.gather(*(one() for _ in range(10)))
            assert gates.requests == 10 and gates.claims <= 3  # slots handed on, not claimed again

    asyncio.run(run())
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM host_slot WHERE holder IS NOT NULL")).scalar() == 0
