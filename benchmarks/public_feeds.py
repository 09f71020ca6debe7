"""Benchmark: /feed.json, /feed.atom and /widget under load, beside the same bytes as static files.

    .venv/bin/python benchmarks/public_feeds.py [--seconds 4] [--connections 50] [--items 20000] [--smoke]

One waitress server (the real Flask app of ``ecitizen run``, 8 threads) in this process on
127.0.0.1. For each public output the benchmark first fetches its bytes, writes them into the
app's static folder (a copy of it in a temp folder) and then loads both: the static file through
Flask's own static route (``send_file``: stat, ETag, ``wsgi.file_wrapper``) and the endpoint, on
the same server and the same hooks. The load comes from a second process (``--client`` mode of this
script): one asyncio loop holding ``--connections`` keep-alive connections, each sending a request
as soon as the previous answer is read (a cheap client, so the server is what is measured), for
``--seconds`` per case; static and endpoint alternate, twice, and the better of the two runs counts.
Cases: plain GET (200 with the body) and conditional GET (``If-None-Match`` with the current
ETag → 304). Prints requests/s and the ratio endpoint / static of the same bytes. Goal: every
endpoint ≥ 0.90 × its static file. The database holds ``--items`` items (a grown archive), so the
public cache's once-a-second look at the content version is part of what is measured. Nothing
leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, grow_archive, make_app
from tests.support.config import base_config_data

GOAL = 0.90
#: endpoint → the static file name its bytes are written to (the names ``publish`` writes)
OUTPUTS = {"/feed.json": "feed.json", "/feed.atom": "feed.atom", "/widget": "widget.html"}
_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def client_main(argv: list[str]) -> None:
    """Load generator (its own process): ``--connections`` keep-alive connections on one asyncio
    loop; prints one JSON object (requests, seconds, rps, statuses, bytes per request)."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--etag", default="")
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--connections", type=int, default=50)
    a = p.parse_args(argv)
    extra = f"If-None-Match: {a.etag}\r\n" if a.etag else ""
    request = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\nAccept-Encoding: identity\r\n"
               f"{extra}\r\n").encode("latin-1")
    statuses: dict[str, int] = {}
    totals = {"requests": 0, "bytes": 0}

    async def one_connection(deadline: float) -> None:
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
        try:
            while loop.time() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = head[9:12].decode()
                m = _LENGTH.search(head)
                if m is None and status != "304":
                    raise RuntimeError(f"no Content-Length in {head[:200]!r}")
                n = int(m.group(1)) if m else 0
                if n:
                    await reader.readexactly(n)
                statuses[status] = statuses.get(status, 0) + 1
                totals["requests"] += 1
                totals["bytes"] += n
                if b"\r\nconnection: close" in head.lower():
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
        finally:
            writer.close()

    async def run() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(one_connection(started + a.seconds) for _ in range(a.connections)))
        return loop.time() - started

    elapsed = asyncio.run(run())
    n = totals["requests"]
    print(json.dumps({"requests": n, "seconds": elapsed, "rps": n / elapsed, "statuses": statuses,
                      "bytes_per_request": totals["bytes"] / max(1, n)}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    p.add_argument("--items", type=int, default=20_000,
                   help="archive size (benchmarks.common.grow_archive: 80 %% approved); the public cache "
                        "looks at the database once a second while the load runs")
    p.add_argument("--rounds", type=int, default=2, help="static/endpoint alternations per case (best counts)")
    p.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    a = p.parse_args()
    if a.smoke:
        a.seconds, a.connections, a.threads, a.items, a.rounds = 0.3, 4, 2, 200, 1

    import logging

    from ecitizen.db import dispose_engines

    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-bench-"))
    try:
        run(a, tmp)
    finally:
        dispose_engines()
        shutil.rmtree(tmp, ignore_errors=True)


def _get(port: int, path: str) -> tuple[bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, (path, resp.status)
        return body, resp.getheader("ETag") or ""
    finally:
        conn.close()


def _load(port: int, path: str, etag: str, a: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--client", "--port", str(port), "--path", path,
           "--seconds", str(a.seconds), "--connections", str(a.connections)]
    if etag:
        cmd += ["--etag", etag]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def run(a: argparse.Namespace, tmp: Path) -> None:
    from ecitizen.shell.server import WebServer
    from ecitizen.shell.web import create_app, static_path

    app = make_app(base_config_data(tmp), tmp)
    grow_archive(app, a.items)
    web = create_app(app)
    # the app's static folder, copied, with each output's bytes beside style.css: served by
    # Flask's own static route, through the same hooks as the endpoints
    static = tmp / "static"
    shutil.copytree(static_path(), static)
    web.static_folder = str(static)
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    with WebServer(web, host="127.0.0.1", port=0, threads=a.threads) as server:
        sizes: dict[str, int] = {}
        for path, name in OUTPUTS.items():
            body, etag = _get(server.port, path)
            (static / name).write_bytes(body)
            _, static_etag = _get(server.port, f"/static/{name}")
            sizes[path] = len(body)
            for conditional in (False, True):
                best: dict[str, dict[str, Any]] = {}
                for _ in range(a.rounds):
                    for side, target, tag in (("static", f"/static/{name}", static_etag), ("endpoint", path, etag)):
                        r = _load(server.port, target, tag if conditional else "", a)
                        if side not in best or r["rps"] > best[side]["rps"]:
                            best[side] = r
                label = f"{path}  If-None-Match → 304" if conditional else path
                rows.append((label, best["static"], best["endpoint"]))
        cache = web.extensions.get("ecitizen_public_cache")
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after")
    print(f"waitress threads={a.threads}, client: {a.connections} keep-alive connections on one asyncio loop "
          f"(separate process), {a.seconds:g} s per case, best of {a.rounds}, an archive of {a.items:,} items")
    print("body sizes: " + ", ".join(f"{p} {n} B" for p, n in sizes.items())
          + f"; public outputs built during the run: {getattr(cache, 'builds', '?')}")
    print(f"{'case':<32} {'static req/s':>12} {'endpoint req/s':>15} {'ratio':>6}  statuses")
    worst = float("inf")
    for label, st, ep in rows:
        ratio = ep["rps"] / st["rps"]
        worst = min(worst, ratio)
        print(f"{label:<32} {st['rps']:>12.0f} {ep['rps']:>15.0f} {ratio:>6.2f}  {ep['statuses']}")
    print(f"goal ≥ {GOAL:.2f} × the same bytes as a static file: {'met' if worst >= GOAL else 'NOT met'} "
          f"(worst case {worst:.2f})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2:])
    else:
        main()
