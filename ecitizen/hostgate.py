"""The shared host gate: per-host politeness that holds across every worker on one PostgreSQL.

Owns: the ``host_slot`` leases and the ``host_pace`` tickets (tables in
:mod:`ecitizen.storage.hostgate`) and the two ways of using them —

* :class:`SharedHostGates` (asyncio): ``async with gates.slot(host)`` around each request of the
  link checker (it fits :class:`ecitizen.archive.probe.HostGates`, the checker's injectable gate);
* :class:`SharedHostLimiter` (threads): ``with limiter(url)`` around each fetch of the feed poll
  (it fits the poll's ``HostLimit``).

The rules, for each host and across every process that uses the same database:

* **at most ``limit`` requests in flight.** A request holds one of the host's ``limit``
  ``host_slot`` rows, claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` + ``UPDATE`` (two claimers
  never get the same row and never wait on each other's row lock). A claim is a *lease*: it ends
  at ``expires_at``, so a worker killed while holding a slot blocks the host for at most
  ``lease`` seconds. A gate that still has local requests waiting for the same host hands its
  slot straight to the next one (no round trip), for at most half a lease; then it gives the slot
  back so that other workers get their turn.
* **request starts at least ``interval`` apart.** Each request takes a ticket from the host's
  ``host_pace`` row in one statement (``next_start_at = max(next_start_at, now) + interval``,
  returning the start it reserved) and sleeps until then. The start is on the database's clock,
  turned into this machine's with an offset measured when the gate opens (the smallest of a few
  round trips, as NTP does), so neither the machines' clocks nor the time a reply takes to come
  back moves a start closer to the previous one.

``lease`` must be longer than half a lease plus the longest request (connect to last byte) plus
``limit × interval`` of waiting for a ticket: :func:`lease_for` computes it from the deadline.

Core adapter: imports ``psycopg`` (the ``postgres`` extra) when a gate opens; imports no part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine, make_url

from ecitizen.urls import host_of

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("ecitizen.hostgate")

#: first and last pause between two attempts to claim a slot of a busy host (seconds)
POLL_FIRST, POLL_MAX = 0.005, 0.1

ENSURE_SLOTS = """
INSERT INTO host_slot (host, slot)
SELECT %(host)s, s FROM generate_series(0, %(limit)s - 1) AS s
ON CONFLICT DO NOTHING
"""

CLAIM_SLOT = """
UPDATE host_slot SET holder = %(holder)s, expires_at = clock_timestamp() + make_interval(secs => %(lease)s)
WHERE (host, slot) = (
    SELECT host, slot FROM host_slot
    WHERE host = %(host)s AND slot < %(limit)s AND (holder IS NULL OR expires_at < clock_timestamp())
    ORDER BY slot LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING slot
"""

RELEASE_SLOT = """
UPDATE host_slot SET holder = NULL, expires_at = NULL
WHERE host = %(host)s AND slot = %(slot)s AND holder = %(holder)s
"""

RELEASE_ALL = "UPDATE host_slot SET holder = NULL, expires_at = NULL WHERE holder = %(holder)s"

TAKE_TICKET = """
INSERT INTO host_pace AS p (host, next_start_at)
VALUES (%(host)s, clock_timestamp() + make_interval(secs => %(interval)s))
ON CONFLICT (host) DO UPDATE
SET next_start_at = GREATEST(p.next_start_at, clock_timestamp()) + make_interval(secs => %(interval)s)
RETURNING EXTRACT(EPOCH FROM p.next_start_at)::float8 - %(interval)s AS start_at
"""

DB_CLOCK = "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8"


@dataclass(frozen=True)
class GateRules:
    """Per-host politeness: ``limit`` requests in flight, starts ``interval`` seconds apart."""

    limit: int
    interval: float = 0.0
    #: a slot not given back within this many seconds is free again (its holder died)
    lease: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.interval < 0 or self.lease <= 0:
            raise ValueError(f"bad gate rules {self!r}")

    @property
    def hold(self) -> float:
        """How long a gate may keep handing one slot to its own next request."""
        return self.lease / 2


def lease_for(deadline: float, limit: int, interval: float) -> float:
    """A lease that outlasts the longest use of a slot: half a lease of handing it on, one request
    (``deadline``, connect to last byte) and the wait for a ticket (``limit × interval``)."""
    return 2 * (deadline + limit * interval) + 5.0


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy) → ``postgresql://…`` (libpq, psycopg)."""
    url = make_url(sqlalchemy_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the shared host gate needs PostgreSQL")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _offset(samples: list[tuple[float, float, float]]) -> float:
    """Database clock minus local clock, from (sent, database time, received) samples: the one with
    the shortest round trip, its database time taken as the middle of the trip."""
    sent, db, received = min(samples, key=lambda s: s[2] - s[0])
    return db - (sent + received) / 2


def _pause(tries: int) -> float:
    return float(min(POLL_MAX, POLL_FIRST * 2.0 ** min(tries, 8)) * (0.5 + random.random() / 2))


# -- asyncio: the link checker ------------------------------------------------------------------


@dataclass
class _Host:
    local: asyncio.Semaphore
    #: requests of this gate inside ``slot()`` for the host (waiting or running)
    wanted: int = 0
    #: slots this gate holds and no request uses: (slot, claimed at, monotonic)
    idle: list[tuple[int, float]] = field(default_factory=list)
    claiming: asyncio.Lock = field(default_factory=asyncio.Lock)
    ensured: bool = False


class SharedHostGates:
    """The host gate for one event loop (one checking run): ``async with SharedHostGates(...) as g``,
    then ``async with g.slot(host)`` around each request. One connection, autocommit."""

    def __init__(self, conninfo: str, rules: GateRules, *, holder: str | None = None) -> None:
        self.conninfo = conninfo
        self.rules = rules
        self.holder = holder or make_holder()
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._hosts: dict[str, _Host] = {}
        self._clock_offset = 0.0
        #: requests that went through the gate, and slot claims that needed the database
        self.requests = 0
        self.claims = 0

    async def __aenter__(self) -> SharedHostGates:
        import psycopg

        self._conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        if self.rules.interval > 0:
            samples = []
            for _ in range(3):
                sent = time.time()
                row = await self._execute(DB_CLOCK, {})
                samples.append((sent, float(row[0]), time.time()))
            self._clock_offset = _offset(samples)
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute(RELEASE_ALL, {"holder": self.holder})
        finally:
            await conn.close()

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.rules.limit))
        return state

    async def _execute(self, sql: str, params: dict[str, Any]) -> Any:
        assert self._conn is not None, "use SharedHostGates as an async context manager"
        cur = await self._conn.execute(sql, params)
        return await cur.fetchone() if cur.description else None

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        state = self._host(host)
        state.wanted += 1
        try:
            async with state.local:
                slot = await self._take(host, state)
                try:
                    await self._ticket(host)
                    self.requests += 1
                    yield
                finally:
                    await self._give_back(host, state, slot)
        finally:
            state.wanted -= 1

    async def _idle(self, host: str, state: _Host) -> tuple[int, float] | None:
        """A slot this gate holds and no request uses, still within its time for handing on."""
        while state.idle:
            slot, since = state.idle.pop()
            if time.monotonic() - since < self.rules.hold:
                return slot, since
            await self._release(host, slot)
        return None

    async def _take(self, host: str, state: _Host) -> tuple[int, float]:
        held = await self._idle(host, state)
        if held is not None:
            return held
        async with state.claiming:  # one claimer per host at a time in this gate
            if not state.ensured:
                await self._execute(ENSURE_SLOTS, {"host": host, "limit": self.rules.limit})
                state.ensured = True
            tries = 0
            while True:
                held = await self._idle(host, state)  # handed back by a request of ours meanwhile
                if held is not None:
                    return held
                row = await self._execute(CLAIM_SLOT, {"host": host, "limit": self.rules.limit,
                                                       "holder": self.holder, "lease": self.rules.lease})
                if row is not None:
                    self.claims += 1
                    return int(row[0]), time.monotonic()
                await asyncio.sleep(_pause(tries))
                tries += 1

    async def _ticket(self, host: str) -> None:
        if self.rules.interval <= 0:
            return
        row = await self._execute(TAKE_TICKET, {"host": host, "interval": self.rules.interval})
        wait = float(row[0]) - self._clock_offset - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _give_back(self, host: str, state: _Host, held: tuple[int, float]) -> None:
        slot, since = held
        if state.wanted > 1 and time.monotonic() - since < self.rules.hold:
            state.idle.append(held)  # the next request of ours takes it without a round trip
            return
        await self._release(host, slot)

    async def _release(self, host: str, slot: int) -> None:
        try:
            await self._execute(RELEASE_SLOT, {"host": host, "slot": slot, "holder": self.holder})
        except Exception:  # the lease frees it anyway
            log.warning("could not give back slot %s of %s", slot, host, exc_info=True)


# -- threads: the feed poll ---------------------------------------------------------------------


class SharedHostLimiter:
    """The host gate for threads (the feed poll): ``with limiter(url):`` around a fetch. Thread-safe;
    one per process is enough. Uses the project's SQLAlchemy engine (its pool)."""

    def __init__(self, engine: Engine, rules: GateRules, *, holder: str | None = None) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the shared host gate needs PostgreSQL")
        self.engine = engine
        self.rules = rules
        self.holder = holder or make_holder()
        self._lock = threading.Lock()
        self._local: dict[str, threading.BoundedSemaphore] = {}
        self._ensured: set[str] = set()
        self._clock_offset: float | None = None

    def _execute(self, sql: str, params: dict[str, Any]) -> Any:
        with self.engine.begin() as conn:
            result = conn.exec_driver_sql(sql, params)
            return result.fetchone() if result.returns_rows else None

    def __call__(self, url: str) -> contextlib.AbstractContextManager[None]:
        return self.slot(host_of(url))

    @contextlib.contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            local = self._local.get(host)
            if local is None:
                local = self._local[host] = threading.BoundedSemaphore(self.rules.limit)
        with local:
            slot = self._claim(host)
            try:
                if self.rules.interval > 0:
                    row = self._execute(TAKE_TICKET, {"host": host, "interval": self.rules.interval})
                    wait = float(row[0]) - self._offset() - time.time()
                    if wait > 0:
                        time.sleep(wait)
                yield
            finally:
                try:
                    self._execute(RELEASE_SLOT, {"host": host, "slot": slot, "holder": self.holder})
                except Exception:  # the lease frees it anyway
                    log.warning("could not give back slot %s of %s", slot, host, exc_info=True)

    def _offset(self) -> float:
        if self._clock_offset is None:
            samples = []
            for _ in range(3):
                sent = time.time()
                row = self._execute(DB_CLOCK, {})
                samples.append((sent, float(row[0]), time.time()))
            self._clock_offset = _offset(samples)
        return self._clock_offset

    def _claim(self, host: str) -> int:
        if host not in self._ensured:
            self._execute(ENSURE_SLOTS, {"host": host, "limit": self.rules.limit})
            self._ensured.add(host)
        tries = 0
        while True:
            row = self._execute(CLAIM_SLOT, {"host": host, "limit": self.rules.limit, "holder": self.holder,
                                             "lease": self.rules.lease})
            if row is not None:
                return int(row[0])
            time.sleep(_pause(tries))
            tries += 1
