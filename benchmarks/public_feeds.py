"""Benchmark: /feed.json and /feed.atom under load, beside a static file, one waitress server.

    .venv/bin/python benchmarks/public_feeds.py [--seconds 5] [--connections 8] [--items 200] [--smoke]

The server (the real Flask app under waitress, as ``ecitizen run`` serves it) runs in this
process on 127.0.0.1; the load comes from a second process (``--client`` mode of this script):
``--connections`` threads, each with one keep-alive ``http.client`` connection, for ``--seconds``
per case. Cases: the static CSS file, /feed.json and /feed.atom plain (200 with the body), and
conditional (``If-None-Match`` with the current ETag → 304). Prints requests/s and the ratio to the
static file. Goal: every feed case ≥ 0.5 × static. Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, make_app
from tests.support.config import base_config_data

if TYPE_CHECKING:
    from ecitizen.app import App


def client_main(argv: list[str]) -> None:
    """Load generator (runs in its own process): prints one JSON object."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--etag", default="")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--connections", type=int, default=8)
    a = p.parse_args(argv)
    counts = [0] * a.connections
    statuses: dict[int, int] = {}
    nbytes = [0] * a.connections
    lock = threading.Lock()
    deadline = time.monotonic() + a.seconds
    headers = {"If-None-Match": a.etag} if a.etag else {}

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
        local: dict[int, int] = {}
        while time.monotonic() < deadline:
            conn.request("GET", a.path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            nbytes[i] += len(body)
            local[resp.status] = local.get(resp.status, 0) + 1
            counts[i] += 1
            if resp.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
        conn.close()
        with lock:
            for k, v in local.items():
                statuses[k] = statuses.get(k, 0) + v

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    print(json.dumps({"requests": sum(counts), "seconds": elapsed, "rps": sum(counts) / elapsed,
                      "statuses": statuses, "bytes_per_request": sum(nbytes) / max(1, sum(counts))}))


def seed(app: App, n: int) -> None:
    from ecitizen.db import session_scope
    from ecitizen.storage import Item, Source

    now = datetime.now(UTC)
    with session_scope(app.engine) as s:
        src = Source(name="bench", url="https://bench.example.org/rss")
        s.add(src)
        s.flush()
        assert src.id is not None
        for i in range(n):
            s.add(Item(source_id=src.id, guid=f"b{i}", url=f"https://bench.example.org/n/{i}",
                       title=f"Новость {i}: запись к врачу через Госуслуги", summary_text="Текст новости. " * 20,
                       published_at=now - timedelta(hours=i), status="approved" if i % 2 == 0 else "new",
                       reviewed_at=now, reviewed_by="bench",
                       topics=[{"id": "doctor", "keywords": [], "matched": []}]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    p.add_argument("--items", type=int, default=200)
    p.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    a = p.parse_args()
    if a.smoke:
        a.seconds, a.connections, a.threads, a.items = 0.3, 2, 2, 10

    import logging

    from ecitizen.db import dispose_engines

    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-bench-"))
    try:
        run(a, tmp)
    finally:
        dispose_engines()
        shutil.rmtree(tmp, ignore_errors=True)


def run(a: argparse.Namespace, tmp: Path) -> None:
    from ecitizen.shell.server import WebServer
    from ecitizen.shell.web import create_app

    app = make_app(base_config_data(tmp), tmp)
    seed(app, a.items)
    web = create_app(app)
    with WebServer(web, host="127.0.0.1", port=0, threads=a.threads) as server:
        probe = http.client.HTTPConnection("127.0.0.1", server.port)
        etags: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for path in ("/static/style.css", "/feed.json", "/feed.atom"):
            probe.request("GET", path)
            resp = probe.getresponse()
            sizes[path] = len(resp.read())
            assert resp.status == 200, (path, resp.status)
            etags[path] = resp.getheader("ETag") or ""
        probe.close()
        cases = [
            ("static file /static/style.css", "/static/style.css", ""),
            ("/feed.json", "/feed.json", ""),
            ("/feed.atom", "/feed.atom", ""),
            ("/feed.json  If-None-Match → 304", "/feed.json", etags["/feed.json"]),
            ("/feed.atom  If-None-Match → 304", "/feed.atom", etags["/feed.atom"]),
        ]
        results: list[tuple[str, dict[str, Any]]] = []
        for label, path, etag in cases:
            cmd = [sys.executable, __file__, "--client", "--port", str(server.port), "--path", path,
                   "--seconds", str(a.seconds), "--connections", str(a.connections)]
            if etag:
                cmd += ["--etag", etag]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append((label, json.loads(out.stdout)))
        cache = web.extensions.get("ecitizen_public_cache")
    static_rps = results[0][1]["rps"]
    print(f"waitress threads={a.threads}, client connections={a.connections} (keep-alive, separate process), "
          f"{a.seconds:g} s per case, {a.items // 2} approved items (feed shows 50)")
    print(f"body sizes: static {sizes['/static/style.css']} B, feed.json {sizes['/feed.json']} B, "
          f"feed.atom {sizes['/feed.atom']} B; feed renders during the run: {getattr(cache, 'renders', '?')}")
    print(f"{'case':<36} {'req/s':>9} {'× static':>9}  statuses")
    for label, r in results:
        print(f"{label:<36} {r['rps']:>9.0f} {r['rps'] / static_rps:>9.2f}  {r['statuses']}")
    worst = min(r["rps"] for _, r in results[1:]) / static_rps
    print(f"goal ≥ 0.50 × static: {'met' if worst >= 0.5 else 'NOT met'} (worst feed case {worst:.2f})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2:])
    else:
        main()
