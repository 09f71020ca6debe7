"""Feed poll benchmark: 200 feeds × 50 entries served from loopback, in two shapes.

Shapes (``--shape``, default both, one after the other in one process):

* ``random``: headlines and summaries drawn from the 5,584 Russian words of the corpus feeds
  (few titles share words: little for near-duplicate clustering to compare);
* ``shared``: headlines and summaries built from 25 e-government words (Госуслуги, пенсия, СФР,
  Омской области, услуга, онлайн, заявление…), as the real regional feeds write them: every title
  shares words with many others, the hard case for clustering and classification.

The feeds are served by an asyncio HTTP/1.1 server (keep-alive, ETag and 304) in a separate
process, so that serving them takes neither the poller's nor ``reader``'s interpreter (a threaded
server in the same process competed with both for the GIL); it counts the bytes it sends.

Prints, in one run, for each shape:
  * cold poll (fetch, parse, prepare, store into a fresh SQLite file): seconds, bytes;
  * warm poll where every feed answers 304: seconds and bytes as a share of the cold poll;
  * the floor: feedparser alone parsing the same 200 documents in memory, measured just before
    and just after the cold poll (the machine's speed drifts; the ratio uses their mean);
  * our parser alone (feeds.parse.parse_feed, encoding checks + feedparser) on the same bytes;
  * the core pipeline alone (prepare_entries: sanitise + classify) on the parsed entries;
  * the peer: the ``reader`` library adding and updating the same 200 feeds (same concurrency).

Goals (both shapes): cold poll ≤ 1.5× the feedparser floor and faster than ``reader``; warm poll
≤ 10 % of the cold time and ≤ 2 % of its bytes.

Usage: python benchmarks/feeds_poll.py [--feeds 200] [--entries 50] [--hosts 8] [--shape both] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser
from sqlalchemy import func
from sqlmodel import col, select

from benchmarks.common import CORPUS, EGOV_WORDS, SMOKE_HELP, HTTPRequests, header, make_app, peer_skipped
from ecitizen.db import dispose_engines, session_scope
from ecitizen.feeds.parse import parse_feed
from ecitizen.feeds.poll import poll
from ecitizen.pipeline import prepare_entries
from ecitizen.storage import Item, Source
from tests.support.config import base_config_data

BASE = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
VOCAB = (
    "пенсия портал госуслуги заявление врач полис паспорт транспорт маршрут оплата налог библиотека "
    "семья пособие справка выплата запись талон кабинет подпись регион Омск область министерство "
    "фонд сервис приложение документ квитанция льгота школа сад жильё ремонт дорога автобус карта "
    "банк почта безопасность мошенники пароль вход электронный цифровой новый онлайн губернатор "
    "совещание проект закон указ правительство поддержка бизнес выставка конкурс фестиваль театр "
    "музей спорт здоровье больница поликлиника вакцинация зима погода отопление вода свет газ "
    "строительство мост улица парк двор субсидия ипотека молодёжь ветераны студенты учителя "
    "экзамен олимпиада выборы депутаты бюджет инвестиции завод урожай фермеры лес пожар полиция"
).split()


def corpus_vocabulary() -> list[str]:
    """Russian words of the real corpus feeds (a realistic vocabulary for the headlines)."""
    folder = CORPUS / "cyrillic-feeds" / "windows-1251"
    found: dict[str, None] = {}
    for f in sorted(folder.glob("*.xml")):
        for w in re.findall(r"[а-яё]{4,}", f.read_bytes().decode("cp1251", "replace").lower()):
            found.setdefault(w, None)
    return list(found) if len(found) > 500 else VOCAB


WORDS = corpus_vocabulary()


#: shape name → the words headlines and summaries are drawn from
SHAPES = {"random": WORDS, "shared": EGOV_WORDS}


def headline(seed: str, words: list[str] = WORDS) -> str:
    h = hashlib.sha256(seed.encode()).digest()
    chosen = [words[(h[i] * 256 + h[i + 1]) % len(words)] for i in range(0, 18, 2)]
    return " ".join(chosen).capitalize()


def make_feed(i: int, n: int, words: list[str] = WORDS) -> bytes:
    items: list[str] = []
    for j in range(n):
        link = f"http://news{i}.example/item/{j}"
        summary = "<p>" + headline(f"d{i}-{j}", words) + ". " + headline(f"e{i}-{j}", words) + ".</p>"
        items.append(
            f"<item><title>{escape(headline(f'{i}-{j}', words))}</title><link>{link}</link><guid>{link}</guid>"
            f"<description>{escape(summary)}"
            f"</description><pubDate>{format_datetime(BASE - timedelta(hours=i % 24 + j * 6))}</pubDate></item>"
        )
    doc = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента {i}</title>'
        f"<link>http://news{i}.example/</link><description>Новости</description>{''.join(items)}</channel></rss>"
    )
    return doc.encode("utf-8")


class _FeedHTTP(HTTPRequests):
    """Fixed documents, 304 to a matching If-None-Match; adds every byte it writes to ``sent``."""

    def __init__(self, routes: dict[str, tuple[bytes, str]], sent: list[int]) -> None:
        super().__init__()
        self.routes = routes
        self.sent = sent

    def request(self, method: str, path: str, header_lines: list[str]) -> None:
        body, etag = self.routes.get(path, (b"", ""))
        if not etag:
            out = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        elif header(header_lines, "if-none-match") == etag:
            out = f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n".encode()
        else:
            out = (f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        self.sent[0] += len(out)
        self.sent[1] += 1
        if self.transport is not None:
            self.transport.write(out)


def serve(spec_file: str) -> None:
    """The feed hosts: {"hosts": [...], "feeds": n, "entries": m, "shape": s} in, ports out (the same
    file, ".ports"); "GET /__sent" answers the bytes and responses sent so far, then zeroes them."""
    spec = json.loads(Path(spec_file).read_text())
    words = SHAPES[spec["shape"]]
    hosts = spec["hosts"]
    routes: list[dict[str, tuple[bytes, str]]] = [{} for _ in hosts]
    for i in range(spec["feeds"]):
        body = make_feed(i, spec["entries"], words)
        routes[i % len(hosts)][f"/feed{i}.xml"] = (body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
    sent = [0, 0]

    class Control(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            if b"\r\n\r\n" in data:
                text = json.dumps(sent).encode()
                sent[0] = sent[1] = 0
                self.transport.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: "
                                     + str(len(text)).encode() + b"\r\n\r\n" + text)
                self.transport.close()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        ports = []
        for host, host_routes in zip(hosts, routes, strict=True):
            srv = await loop.create_server(functools.partial(_FeedHTTP, host_routes, sent), host, 0, backlog=1024)
            ports.append(srv.sockets[0].getsockname()[1])
        control = await loop.create_server(Control, hosts[0], 0)
        info = {"ports": ports, "control": control.sockets[0].getsockname()[1]}
        Path(spec_file + ".ports").write_text(json.dumps(info))
        await asyncio.Event().wait()

    asyncio.run(run())


class FeedServer:
    """The feed hosts in their own process (see :func:`serve`)."""

    def __init__(self, tmp: Path, hosts: list[str], *, feeds: int, entries: int, shape: str) -> None:
        spec = tmp / "feeds.json"
        spec.write_text(json.dumps({"hosts": hosts, "feeds": feeds, "entries": entries, "shape": shape}))
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(spec)])
        ports_file = Path(str(spec) + ".ports")
        deadline = time.monotonic() + 120
        while not (ports_file.exists() and ports_file.read_text()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the feed server did not start")
            time.sleep(0.05)
        info = json.loads(ports_file.read_text())
        ports = info["ports"]
        self.urls = [f"http://{hosts[i % len(hosts)]}:{ports[i % len(hosts)]}/feed{i}.xml" for i in range(feeds)]
        self.control = f"http://{hosts[0]}:{info['control']}/__sent"

    def sent(self) -> tuple[int, int]:
        """Bytes and responses sent since the last call."""
        import urllib.request

        with urllib.request.urlopen(self.control, timeout=30) as r:
            data, count = json.loads(r.read())
        return data, count

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--processes", type=int, default=0, help="ecitizen.feeds.parse_processes (0: automatic)")
    ap.add_argument("--shape", choices=["both", *SHAPES], default="both")
    ap.add_argument("--no-reader", action="store_true", help="leave the reader column out")
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.smoke:
        args.feeds, args.entries, args.hosts, args.concurrency = 4, 5, 2, 4
    load_before = os.getloadavg()[0]
    shapes = list(SHAPES) if args.shape == "both" else [args.shape]
    verdicts = []
    for n, shape in enumerate(shapes):
        figures = run_shape(shape, args, host_base=20 + n * args.hosts)
        verdicts.append((shape, figures))
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after")
    for shape, f in verdicts:
        cold_ok = f["cold"] / f["floor"] <= 1.5
        reader_ok = f["reader"] != f["reader"] or f["cold"] < f["reader"]
        warm_ok = f["warm"] / f["cold"] <= 0.10 and f["warm_bytes"] / f["cold_bytes"] <= 0.02
        print(f"goals, {shape} vocabulary: cold ≤ 1.5× floor {'met' if cold_ok else 'NOT met'} "
              f"({f['cold'] / f['floor']:.2f}×); faster than reader "
              f"{'met' if reader_ok else 'NOT met'} ({f['cold'] / f['reader']:.2f}); "
              f"warm ≤ 10 % time and ≤ 2 % bytes {'met' if warm_ok else 'NOT met'} "
              f"({f['warm'] / f['cold']:.1%}, {f['warm_bytes'] / f['cold_bytes']:.2%})")


def floor_seconds(docs: list[bytes]) -> float:
    """The floor: feedparser alone parsing the documents in memory."""
    t = time.perf_counter()
    n = sum(len(feedparser.parse(d).entries) for d in docs)
    assert n == sum(d.count(b"<item>") for d in docs)
    return time.perf_counter() - t


def run_shape(shape: str, args: argparse.Namespace, *, host_base: int) -> dict[str, float]:
    words = SHAPES[shape]
    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-bench-feeds-"))
    docs = [make_feed(i, args.entries, words) for i in range(args.feeds)]
    hosts = [f"127.0.0.{host_base + h}" for h in range(args.hosts)]
    server = FeedServer(tmp, hosts, feeds=args.feeds, entries=args.entries, shape=shape)
    urls = server.urls
    total_doc_bytes = sum(len(d) for d in docs)
    print(f"== shape: {shape} vocabulary ==")
    print(f"{args.feeds} feeds × {args.entries} entries, {total_doc_bytes / 1e6:.1f} MB of XML, "
          f"headlines from a {len(words)}-word vocabulary, "
          f"{args.hosts} loopback hosts (served by another process), concurrency {args.concurrency}", flush=True)

    try:
        # -- our parser alone --------------------------------------------------------------------
        t = time.perf_counter()
        parsed = [parse_feed(d, url=u, content_type="application/rss+xml") for d, u in zip(docs, urls, strict=True)]
        ours_parse = time.perf_counter() - t
        assert sum(len(p.entries) for p in parsed) == args.feeds * args.entries

        # -- our poll: cold then warm -------------------------------------------------------------
        data = base_config_data(tmp)
        data["http"].update(global_concurrency=args.concurrency,
                            per_host_concurrency=max(1, args.concurrency // args.hosts))
        data["feeds"]["parse_processes"] = args.processes
        app = make_app(data, tmp)
        # -- core pipeline alone (sanitise + classify), same entries --------------------------------
        t = time.perf_counter()
        for p, u in zip(parsed, urls, strict=True):
            prepare_entries(p.entries, app.rules, base_url=u)
        pipeline_alone = time.perf_counter() - t
        with session_scope(app.engine) as s:
            for i, u in enumerate(urls):
                s.add(Source(name=f"feed{i:03d}", kind="feed", url=u, origin="cli"))
        server.sent()
        # -- the floor just before and just after the cold poll (the machine's speed drifts) --------
        floor_before = floor_seconds(docs)
        t = time.perf_counter()
        cold = poll(app)
        cold_s = time.perf_counter() - t
        floor_after = floor_seconds(docs)
        floor = (floor_before + floor_after) / 2
        cold_bytes, cold_req = server.sent()
        assert not cold.failed, [r.error for r in cold.failed][:3]
        assert cold.new_items == args.feeds * args.entries, cold.new_items
        t = time.perf_counter()
        warm = poll(app, force=True)
        warm_s = time.perf_counter() - t
        warm_bytes, _ = server.sent()
        assert all(r.outcome == "not_modified" for r in warm.results)
        with session_scope(app.engine) as s:
            clusters = s.exec(select(func.count(func.distinct(col(Item.cluster_id))))).one()
        dispose_engines()

        # -- the peer: reader ---------------------------------------------------------------------
        reader_s = reader_warm_s = float("nan")
        reader_entries = 0
        try:
            if args.no_reader:
                raise ImportError("--no-reader")
            from reader import make_reader
        except ImportError as exc:
            peer_skipped("reader update_feeds", f"reader is not installed: {exc}")
        else:
            r = make_reader(str(tmp / "reader.sqlite"))
            for u in urls:
                r.add_feed(u)
            server.sent()
            t = time.perf_counter()
            r.update_feeds(workers=args.concurrency)
            reader_s = time.perf_counter() - t
            reader_entries = r.get_entry_counts().total or 0
            t = time.perf_counter()
            r.update_feeds(workers=args.concurrency, scheduled=False)
            reader_warm_s = time.perf_counter() - t
            r.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"feedparser floor (parse in memory):   {floor:7.2f} s  "
          f"(mean of {floor_before:.2f} s just before and {floor_after:.2f} s just after the cold poll)")
    print(f"our parse_feed alone (same bytes):    {ours_parse:7.2f} s  ({ours_parse / floor:.2f}× floor)")
    print(f"core prepare_entries alone:           {pipeline_alone:7.2f} s  ({pipeline_alone / floor:.2f}× floor)")
    print(f"cold poll (fetch+parse+prepare+store): {cold_s:6.2f} s  ({cold_s / floor:.2f}× floor; goal ≤ 1.5×) "
          f"{cold_bytes / 1e6:.2f} MB in {cold_req} responses; {clusters} clusters")
    print(f"warm poll (all 304):                  {warm_s:7.2f} s  ({warm_s / cold_s:.1%} of cold; goal < 10%) "
          f"{warm_bytes / 1e3:.1f} kB ({warm_bytes / cold_bytes:.2%} of cold bytes; goal < 2%)")
    if reader_s == reader_s:
        print(f"reader update_feeds (cold):           {reader_s:7.2f} s  (ours/reader = {cold_s / reader_s:.2f}; "
              f"goal < 1) {reader_entries} entries")
        print(f"reader update_feeds (warm, 304s):     {reader_warm_s:7.2f} s")
    return {"floor": floor, "cold": cold_s, "warm": warm_s, "cold_bytes": cold_bytes, "warm_bytes": warm_bytes,
            "reader": reader_s}


if __name__ == "__main__":
    main()
