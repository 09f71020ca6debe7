"""What the benchmarks share: the corpus, an app on a temp folder, the peer-skipped line.

Every benchmark runs by path (``python benchmarks/feeds_poll.py``) or as a module from the
repository root (``python -m benchmarks.feeds_poll``); ``--smoke`` runs it with tiny sizes in a few
seconds (``tests/test_benchmarks_smoke.py``): the real code paths and the peers, figures meaningless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when used: the benchmarks' server and client processes stay light
    from ecitizen.app import App

ROOT = Path(__file__).resolve().parent.parent
#: the real captured feeds and pages the tests use (tests/fixtures/corpus/SOURCES.md)
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SMOKE_HELP = "tiny sizes, a few seconds: checks that the benchmark runs (figures mean nothing)"


def make_app(data: dict[str, Any], tmp: Path, *, now: Callable[[], datetime] | None = None) -> App:
    from ecitizen.app import App
    from ecitizen.config import parse_config

    config = parse_config(data, base_dir=str(tmp))
    return App(config=config) if now is None else App(config=config, now=now)


def peer_skipped(peer: str, why: str) -> None:
    """The one line a benchmark prints for a comparison it cannot run (the rest still runs)."""
    print(f"{peer}: column skipped ({why}; pip install -e '.[bench]')")


#: the words e-government news are made of (headlines and summaries of the grown archive and of the
#: feed benchmark's "shared vocabulary" shape)
EGOV_WORDS = (
    "Госуслуги пенсия СФР Омской области услуга онлайн заявление запись врачу портал МФЦ выплата "
    "пособие семьям справка электронный кабинет подать оформить стало можно теперь новая жителям"
).split()


def egov_text(seed: int, words: int) -> str:
    """A deterministic e-government sentence of ``words`` words from :data:`EGOV_WORDS`."""
    n = len(EGOV_WORDS)
    x = seed * 2654435761 % 4294967296
    out = []
    for _ in range(words):
        x = (x * 1103515245 + 12345) % 2147483648
        out.append(EGOV_WORDS[(x >> 16) % n])
    return " ".join(out).capitalize()


def grow_archive(app: App, n: int, *, sources: int = 40, links: int = 300, span_days: int = 730,
                 batch: int = 5000, now: datetime | None = None) -> dict[str, Any]:
    """Fill a fresh database with ``n`` items (10 % awaiting review, 10 % rejected, the rest
    approved; 4 % undated; 2 % new services; pairs of near-duplicates in clusters) over
    ``span_days`` days, ``sources`` sources and ``links`` links, with bulk inserts.

    Returns what the benchmarks need: ``{"newest": datetime, "topics": [...], "sources": [...]}``.
    """
    from datetime import UTC, timedelta

    from sqlalchemy import insert, text

    from ecitizen.db import session_scope
    from ecitizen.storage import Item, Link, Source

    now = now or datetime.now(UTC)
    topic_ids = [t.id for t in app.config.topics] or ["gosuslugi"]
    names = [f"src-{i:02d}" for i in range(sources)]
    step = timedelta(days=span_days) / max(1, n)
    with session_scope(app.engine) as s:
        s.execute(insert(Source), [
            {"id": i + 1, "name": name, "kind": "feed" if i % 3 else "listing",
             "url": f"https://{name}.example.org/rss", "topics": [], "settings": {}, "origin": "cli",
             "created_at": now - timedelta(days=span_days), "enabled": True, "consecutive_failures": 0}
            for i, name in enumerate(names)])
        s.execute(insert(Link), [
            {"url": f"https://links{i % 20}.example.org/page/{i}", "title": egov_text(i, 5), "tags": [],
             "topics": [topic_ids[i % len(topic_ids)]], "status": "ok" if i % 10 else "broken",
             "last_checked_at": now - timedelta(hours=i % 48), "added_at": now - timedelta(days=100)}
            for i in range(links)])
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            ident = i + 1
            age = n - i  # id order is date order (oldest first), as a growing archive would be
            published = now - step * age
            fetched = published + timedelta(hours=1)
            status = "new" if i % 10 == 0 else "rejected" if i % 10 == 1 else "approved"
            t1, t2 = topic_ids[i % len(topic_ids)], topic_ids[(i * 7 + 3) % len(topic_ids)]
            title = egov_text(i, 9)
            summary = egov_text(i + 7919, 40) + "."
            rows.append({
                "id": ident, "source_id": i % sources + 1, "kind": "service" if i % 50 == 0 else "news",
                "guid": f"g{ident}", "url": f"https://{names[i % sources]}.example.org/news/{ident}",
                "title": title, "summary_html": f"<p>{summary}</p>", "summary_text": summary,
                "published_at": None if i % 25 == 3 else published, "fetched_at": fetched,
                "topics": [{"id": t, "keywords": [t], "matched": [t]} for t in dict.fromkeys((t1, t2))],
                "is_new_service": i % 50 == 0, "new_service_rule": "now-possible" if i % 50 == 0 else None,
                "title_key": title.lower(), "cluster_id": (ident - 1 if i % 20 == 1 else ident) if i % 20 in (0, 1)
                else None, "content_hash": f"h{ident}", "status": status,
                "reviewed_by": None if status == "new" else "bench",
                "reviewed_at": None if status == "new" else fetched + timedelta(hours=20),
                "manual_topics": None,
            })
        with session_scope(app.engine) as s:
            if app.engine.dialect.name == "postgresql":  # COPY: 300,000 rows in seconds, not minutes
                _copy_rows(s, "item", rows)
            else:
                s.execute(insert(Item), rows)
    if app.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with session_scope(app.engine) as s:
            for table in ("item", "source"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))"))
    return {"newest": now, "topics": topic_ids, "sources": names}


def _copy_rows(session: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """``COPY table FROM STDIN`` through the session's psycopg connection (JSON values dumped)."""
    import json

    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, (list, dict)) else v
                            for v in (row[c] for c in columns)])


class HTTPRequests(asyncio.Protocol):
    """The server side of the benchmarks' loopback hosts: a minimal HTTP/1.1 keep-alive protocol
    that splits the requests (no bodies) and hands each to :meth:`request`; a connection whose
    request line cannot be read is closed."""

    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, _ = lines[0].split(" ", 2)
            except ValueError:
                if self.transport is not None:
                    self.transport.close()
                return
            self.request(method, target.split("?", 1)[0], lines[1:])

    def request(self, method: str, path: str, header_lines: list[str]) -> None:
        raise NotImplementedError

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def header(lines: list[str], name: str) -> str | None:
    """The value of the header ``name`` (lower case) among a request's header lines."""
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None
