"""Local sites for the distributed tests and benchmark: hosts on 127.0.0.x served by one asyncio
process (its CPU is not the workers'), counting what politeness is about.

Every host answers, after ``delay`` seconds, ``/page/<n>`` (a small HTML page), ``/feed/<n>`` (an
RSS feed of ``entries`` entries) and anything else with a 404 page. Per host it counts the requests
in flight (and the most seen at once) and the requests served; per path, the requests served.
``http://127.0.0.9:<port>/stats`` answers those counts as JSON; ``/reset`` zeroes them.

    with Sites(hosts=20, delay=0.02) as sites:
        sites.url(3, "/page/17")     # host 3 (127.0.0.13)
        sites.stats()["max_inflight"]

Run by itself: ``python -m tests.distributed.sites --port-file F [--hosts N] [--delay S] [--entries N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
CONTROL_HOST = "127.0.0.9"
WORDS = ("пенсия портал госуслуги заявление врач полис паспорт транспорт оплата налог библиотека семья "
         "пособие справка выплата запись талон подпись регион Омск фонд сервис документ льгота школа "
         "дорога карта банк почта мошенники пароль вход электронный цифровой онлайн").split()
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def host_ip(index: int) -> str:
    return f"127.0.0.{10 + index}"


def page(n: int) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>Услуга {n}</title></head><body><nav>Меню</nav><main>"
            f"<h1>Услуга {n}</h1><p>Как получить услугу номер {n} через портал госуслуг: заявление, "
            f"документы, сроки.</p></main></body></html>").encode()


def feed(n: int, entries: int) -> bytes:
    """Feed ``n``: ``entries`` items with GUIDs unique to the feed, dated a day apart."""
    items = []
    for j in range(entries):
        words = [WORDS[(n * 7 + j * 3 + k) % len(WORDS)] for k in range(12)]
        title = f"Новость {n}-{j}: {' '.join(words[:5])}"
        body = " ".join(f"<p>{' '.join(words)} {n} {j} {k}.</p>" for k in range(4))
        items.append(f"<item><title>{escape(title)}</title><link>http://example.org/news/{n}/{j}</link>"
                     f"<guid isPermaLink=\"false\">feed-{n}-item-{j}</guid>"
                     f"<pubDate>{format_datetime(BASE - timedelta(days=j))}</pubDate>"
                     f"<description>{escape(body)}</description></item>")
    return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Лента {n}</title>"
            f"<link>http://example.org/{n}</link><description>Лента номер {n}</description>"
            f"{''.join(items)}</channel></rss>").encode()


class _Counts:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self.per_host: Counter[str] = Counter()
        self.per_path: Counter[str] = Counter()

    def as_json(self) -> dict[str, Any]:
        return {"max_inflight": dict(self.max_inflight), "per_host": dict(self.per_host),
                "per_path": dict(self.per_path), "inflight": dict(self.inflight)}


async def _serve(port_file: Path, hosts: int, delay: float, entries: int) -> None:
    counts = _Counts()
    feeds: dict[int, bytes] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                path = target.split("?", 1)[0]
                if host == CONTROL_HOST:
                    if path == "/reset":
                        counts.reset()
                    status, ctype, body = 200, "application/json", json.dumps(counts.as_json()).encode()
                else:
                    counts.inflight[host] += 1
                    counts.max_inflight[host] = max(counts.max_inflight[host], counts.inflight[host])
                    try:
                        await asyncio.sleep(delay)
                        status, ctype, body = 200, "text/html; charset=utf-8", b""
                        if path.startswith("/page/"):
                            body = page(int(path.rsplit("/", 1)[1]))
                        elif path.startswith("/feed/"):
                            n = int(path.rsplit("/", 1)[1])
                            body = feeds.get(n) or feeds.setdefault(n, feed(n, entries))
                            ctype = "application/rss+xml; charset=utf-8"
                        else:
                            status, body = 404, b"<html><head><title>404</title></head><body>not found</body></html>"
                        counts.per_host[host] += 1
                        counts.per_path[f"{host}{path}"] += 1
                        writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                                     f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                                     + (b"" if method == "HEAD" else body))
                        await writer.drain()
                    finally:
                        counts.inflight[host] -= 1
                    continue
                writer.write(f"HTTP/1.1 {status} OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                             f"Connection: close\r\n\r\n".encode() + body)
                await writer.drain()
                break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    ports: list[int] = []
    for i in range(hosts):
        ip = host_ip(i)
        srv = await asyncio.start_server(functools.partial(handle, host=ip), ip, 0, backlog=1024)
        ports.append(srv.sockets[0].getsockname()[1])
    control = await asyncio.start_server(functools.partial(handle, host=CONTROL_HOST), CONTROL_HOST, 0)
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"ports": ports, "control": control.sockets[0].getsockname()[1]}))
    tmp.replace(port_file)
    await asyncio.Event().wait()


class Sites:
    """The sites in a child process; ``stats()`` reads its counts."""

    def __init__(self, *, hosts: int = 20, delay: float = 0.02, entries: int = 20) -> None:
        self.hosts, self.delay, self.entries = hosts, delay, entries
        self._dir = tempfile.TemporaryDirectory(prefix="ecitizen-sites-")
        self._proc: subprocess.Popen[bytes] | None = None
        self.ports: list[int] = []
        self.control = 0

    def __enter__(self) -> Sites:
        port_file = Path(self._dir.name) / "ports.json"
        self._proc = subprocess.Popen([sys.executable, "-m", "tests.distributed.sites", "--port-file", str(port_file),
                                       "--hosts", str(self.hosts), "--delay", str(self.delay),
                                       "--entries", str(self.entries)], cwd=ROOT)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise RuntimeError("the local sites did not start")
            time.sleep(0.05)
        info = json.loads(port_file.read_text())
        self.ports, self.control = info["ports"], info["control"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
        self._dir.cleanup()

    def url(self, host: int, path: str) -> str:
        return f"http://{host_ip(host)}:{self.ports[host]}{path}"

    def _get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://{CONTROL_HOST}:{self.control}{path}", timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data

    def stats(self) -> dict[str, Any]:
        return self._get("/stats")

    def reset(self) -> None:
        self._get("/reset")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--delay", type=float, default=0.02)
    ap.add_argument("--entries", type=int, default=20)
    args = ap.parse_args()
    asyncio.run(_serve(Path(args.port_file), args.hosts, args.delay, args.entries))


if __name__ == "__main__":
    main()
