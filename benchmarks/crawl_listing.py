"""Benchmark: crawl a local listing site of 1,000 pages × 20 items with politeness lifted, with full
item processing (extract → prepare_entries → store_items in SQLite), beside ``scrapy bench`` run on
the same machine in the same run.

    .venv/bin/python benchmarks/crawl_listing.py [--pages 1000] [--bench-seconds 20] [--smoke]

Prints pages/min for both and the ratio (goal: ≥ 0.8 of scrapy bench). The site is served by a
separate process on 127.0.0.5 (Twisted, like ``scrapy bench``'s own server) so that it does not
share the crawler's interpreter.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, make_app
from tests.support.config import base_config_data

ITEMS_PER_PAGE = 20
HOST = "127.0.0.5"
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")


def listing_page(n: int) -> bytes:
    rows = []
    for i in range(ITEMS_PER_PAGE):
        k = n * ITEMS_PER_PAGE + i
        day, month = 1 + k % 28, MONTHS[k % 12]
        rows.append(
            f'<article class="re-news__article"><div class="re-news__article-info">'
            f'<span class="re-news__article-date">{day} {month} 2026 года, {k % 24:02d}:{k % 60:02d}</span></div>'
            f'<a class="re-news__article-link" href="/press_center/news/{k}">'
            f'<h3 class="re-news__article-title">Новость {k}: Соцфонд сообщает о выплатах и пенсиях, '
            f'теперь можно подать заявление на Госуслугах</h3></a>'
            f'<p class="re-news__article-description">Подробности о мерах поддержки №{k} для жителей '
            f'<b>Омской области</b>, <a href="/x/{k}">ссылка</a>.</p></article>')
    nav = "".join(f'<a href="?page={p}">{p}</a>' for p in range(max(1, n - 3), n + 4))
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Новости — стр. {n}</title></head><body>"
            f"<header><nav>{'<a href=/>Главная</a>' * 20}</nav></header><main>{''.join(rows)}</main>"
            f"<div class='pager'>{nav}</div><footer>{'© СФР ' * 50}</footer></body></html>")
    return html.encode("utf-8")


def serve(port_queue: multiprocessing.Queue[int], pages: int) -> None:
    """The listing site: a Twisted web server (as ``scrapy bench``'s own server is) in this process."""
    from twisted.internet import reactor as twisted_reactor
    from twisted.web import resource, server

    # the reactor's methods come from zope interfaces, which mypy cannot read without the mypy-zope plugin
    reactor: Any = twisted_reactor
    cache = {n: listing_page(n) for n in range(1, pages + 1)}

    class Listing(resource.Resource):
        isLeaf = True

        def render_GET(self, request: server.Request) -> bytes:
            page = int((request.args.get(b"page") or [b"1"])[0])
            body = cache.get(page) if request.path == b"/press_center/news/" else None
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")  # type: ignore[no-untyped-call]
            if body is None:
                request.setResponseCode(404)
                return b"not found"
            return body

    site = server.Site(Listing())  # type: ignore[no-untyped-call]
    port = reactor.listenTCP(0, site, interface=HOST)
    port_queue.put(port.getHost().port)
    reactor.run()


def run_ours(pages: int) -> dict[str, float]:
    from ecitizen.crawler.runner import crawl
    from ecitizen.db import dispose_engines, session_scope
    from ecitizen.store import seed_sources

    q: multiprocessing.Queue[int] = multiprocessing.Queue()
    proc = multiprocessing.Process(target=serve, args=(q, pages), daemon=True)
    proc.start()
    port = q.get(timeout=60)
    try:
        with tempfile.TemporaryDirectory(prefix="ecitizen-bench-") as tmp_name:
            tmp = Path(tmp_name)
            data = base_config_data(tmp)
            data["crawler"] = {**data["crawler"], "download_delay": 0, "autothrottle": False,
                               "concurrency_per_domain": 16, "retry_times": 0}
            data["sources"] = [{
                "name": "bench-listing", "kind": "listing", "timezone": "Europe/Moscow",
                "url": f"http://{HOST}:{port}/press_center/news/",
                "settings": {"item": "article.re-news__article", "title": "h3.re-news__article-title",
                             "link": "a.re-news__article-link::attr(href)", "date": "span.re-news__article-date",
                             "summary": "p.re-news__article-description",
                             "pages": {"template": "?page={n}", "start": 2}, "max_pages": pages},
            }]
            app = make_app(data, tmp)
            with session_scope(app.engine) as s:
                seed_sources(s, app.config.sources)
            t0 = time.perf_counter()
            report = crawl(app, timeout=1800)
            wall = time.perf_counter() - t0
            src = report.sources[0]
            log = Path(report.log_path or "").read_text(encoding="utf-8", errors="replace")
            m = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
            elapsed = float(m.group(1)) if m else wall
            m = re.search(r"stored in ([\d.]+) s", log)
            store = float(m.group(1)) if m else 0.0
            if src.outcome != "ok" or src.added != pages * ITEMS_PER_PAGE:
                print(f"warning: {src}", file=sys.stderr)
            dispose_engines()
            return {"pages": float(src.pages), "added": float(src.added), "wall_s": wall, "crawl_s": elapsed,
                    "store_s": store}
    finally:
        proc.terminate()
        proc.join()


def run_scrapy_bench(seconds: int) -> dict[str, float]:
    """``scrapy bench`` (its own local server and spider) for ``seconds``, by the Scrapy installed here."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
             "-s", "LOGSTATS_INTERVAL=2"],
            capture_output=True, text=True, cwd=tmp, timeout=seconds + 120, check=False,
        )
    text = out.stdout + out.stderr
    rates = [int(r) for r in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", text)]
    m = re.search(r"'response_received_count': (\d+)", text)  # the final stats (what "Crawled" counts)
    pages = int(m.group(1)) if m else max((int(p) for p in re.findall(r"Crawled (\d+) pages", text)), default=0)
    if out.returncode or not pages:
        raise SystemExit(f"scrapy bench failed (exit code {out.returncode}):\n{text[-2000:]}")
    m = re.search(r"'elapsed_time_seconds': ([\d.]+)", text)
    elapsed = float(m.group(1)) if m else float(seconds)
    steady = [r for r in rates[1:] if r > 0] or rates
    return {"median_rate": float(statistics.median(steady)) if steady else 0.0,
            "overall_rate": pages / elapsed * 60}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--bench-seconds", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = ap.parse_args()
    if args.smoke:
        args.pages, args.bench_seconds = 3, 1
    load_before = os.getloadavg()[0]
    ours = run_ours(args.pages)
    ours_rate = ours["pages"] / ours["crawl_s"] * 60
    ours_wall_rate = ours["pages"] / ours["wall_s"] * 60
    print(f"ecitizen listing crawl: {ours['pages']:.0f} pages, {ours['added']:.0f} items stored")
    print(f"  crawl (Scrapy elapsed, incl. item processing and the SQLite commit): {ours['crawl_s']:.1f} s "
          f"→ {ours_rate:.0f} pages/min")
    print(f"  end to end (process start, migrations, report): {ours['wall_s']:.1f} s → {ours_wall_rate:.0f} pages/min")
    fetch_s = max(ours["crawl_s"] - ours["store_s"], 1e-9)
    print(f"  of which fetch + extract: {fetch_s:.1f} s → {ours['pages'] / fetch_s * 60:.0f} pages/min; "
          f"prepare_entries + store_items of {ours['added']:.0f} items: {ours['store_s']:.1f} s "
          f"({ours['store_s'] / max(ours['added'], 1) * 1000:.1f} ms/item)")
    bench = run_scrapy_bench(args.bench_seconds)
    median = f"{bench['median_rate']:.0f} pages/min" if bench["median_rate"] else "n/a (run too short)"
    print(f"scrapy bench ({args.bench_seconds} s): median {median}, overall {bench['overall_rate']:.0f} pages/min")
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after")
    ref = bench["overall_rate"] or bench["median_rate"]
    if ref:
        print(f"ratio crawl / scrapy bench (overall): {ours_rate / ref:.2f}   end-to-end: {ours_wall_rate / ref:.2f}"
              f"   fetch + extract only: {ours['pages'] / fetch_s * 60 / ref:.2f}   (goal ≥ 0.80)")


if __name__ == "__main__":
    main()
