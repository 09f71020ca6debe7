"""Benchmark: the link checker against its politeness bound and against LinkChecker.

2,000 links on 20 loopback hosts (127.0.0.10–127.0.0.29), every answer delayed 100 ms, per-host
limit 4, minimum host interval 0. The bound is (links per host / per-host limit) × delay = 2.5 s.
The servers run in a separate process: an asyncio protocol answering from a timer, so that their
CPU (printed) is a small fraction of the checker's. Two runs of the checker on a fresh database:
the first check of new links (every page gets its main-text baseline; worker processes extract
it, their CPU printed apart) and the steady-state repeat. In the same run, LinkChecker (default
settings, recursion level 1 from a page listing the same URLs, external links checked) is timed on
the same servers. Peak memory is measured for 10,000 links in a subprocess (the checker process and,
apart, its largest main-text worker).

Goals: steady state ≤ 1.3× the bound, first check ≤ 2× the bound, peak memory at 10,000 links
< 150 MB, and ≥ 10× faster than LinkChecker in both runs.

    .venv/bin/python benchmarks/links_check.py [--links 2000] [--memory-links 10000] [--no-linkchecker] [--smoke]

LinkChecker is run from the same virtualenv as this script (or from PATH); when it is not installed
its column is skipped with a note and the rest runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, HTTPRequests, peer_skipped

if TYPE_CHECKING:
    from ecitizen.app import App

HOSTS = [f"127.0.0.{i}" for i in range(10, 30)]
LIST_HOST = "127.0.0.9"
DELAY = 0.1
PER_HOST = 4


def _page(path: str) -> tuple[int, bytes]:
    if not path.startswith("/page/"):
        return 404, b"<html><head><title>404</title></head><body>not found</body></html>"
    n = path.rsplit("/", 1)[-1]
    return 200, (f"<!DOCTYPE html><html><head><title>Услуга {n}</title></head><body><nav>Меню</nav>"
                 f"<main><h1>Услуга {n}</h1><p>Как получить услугу номер {n} через портал госуслуг: "
                 f"заявление, документы, сроки.</p></main></body></html>").encode()


class _SlowHTTP(HTTPRequests):
    """Every answer ``DELAY`` after its request, with a timer, not a coroutine (the server must cost
    far less CPU than the checker it serves)."""

    def __init__(self, extra: dict[str, bytes]) -> None:
        super().__init__()
        self.extra = extra

    def request(self, method: str, path: str, header_lines: list[str]) -> None:
        if path in self.extra:
            self._answer(method, 200, self.extra[path])
        else:
            status, body = _page(path)
            asyncio.get_running_loop().call_later(DELAY, self._answer, method, status, body)

    def _answer(self, method: str, status: int, body: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        reason = "OK" if status == 200 else "Not Found"
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
                             f"Content-Length: {len(body)}\r\n\r\n".encode() + (b"" if method == "HEAD" else body))


def serve(port_file: str) -> None:
    """Run the 20 slow hosts and the list-page host until killed."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        links_html = Path(port_file).with_suffix(".html")
        ports: list[int] = []
        for host in HOSTS:
            srv = await loop.create_server(lambda: _SlowHTTP({}), host, 0, backlog=1024)
            ports.append(srv.sockets[0].getsockname()[1])
        lister = await loop.create_server(lambda: _SlowHTTP({"/links.html": links_html.read_bytes()}), LIST_HOST, 0)
        list_url = f"http://{LIST_HOST}:{lister.sockets[0].getsockname()[1]}/links.html"
        Path(port_file).write_text(json.dumps({"ports": ports, "list": list_url}))
        await asyncio.Event().wait()

    asyncio.run(run())


def make_urls(ports: list[int], n: int) -> list[str]:
    return [f"http://{HOSTS[i % len(HOSTS)]}:{ports[i % len(HOSTS)]}/page/{i}" for i in range(n)]


def make_app(tmp: Path, *, global_concurrency: int) -> App:
    from ecitizen.app import App
    from ecitizen.config import parse_config

    data: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp / 'bench.db'}", "data_dir": str(tmp / "data"),
        "http": {"allow_private_targets": True},
        "links": {"per_host_concurrency": PER_HOST, "global_concurrency": global_concurrency,
                  "min_host_interval_seconds": 0, "retries": 2},
    }
    return App(config=parse_config(data, base_dir=str(tmp)))


def load_links(app: App, urls: list[str]) -> None:
    from sqlalchemy import insert

    from ecitizen.db import session_scope
    from ecitizen.storage import Link
    from ecitizen.urls import canonical_url

    with session_scope(app.engine) as s:
        s.execute(insert(Link), [{"url": canonical_url(u), "tags": [], "topics": []} for u in urls])


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a running process (the server), from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float
    cpu: float
    #: CPU of the main-text worker processes (ended by the run, so counted in RUSAGE_CHILDREN)
    workers_cpu: float
    server_cpu: float
    outcomes: dict[str, int]


def run_ours(urls: list[str], tmp: Path, server_pid: int) -> tuple[Run, Run]:
    from ecitizen.archive.checker import check_links

    app = make_app(tmp, global_concurrency=PER_HOST * len(HOSTS))
    load_links(app, urls)
    runs = []
    for _ in range(2):
        t0, c0, w0, s0 = time.perf_counter(), _cpu(), _cpu(resource.RUSAGE_CHILDREN), _proc_cpu(server_pid)
        report = check_links(app, due_only=False)
        runs.append(Run(time.perf_counter() - t0, _cpu() - c0, _cpu(resource.RUSAGE_CHILDREN) - w0,
                        _proc_cpu(server_pid) - s0, report.counts_by_outcome))
        assert len(report.results) == len(urls)
    return runs[0], runs[1]


def run_network_only(urls: list[str]) -> float:
    """The HTTP layer alone (Prober.fetch: gates, requests, capped bodies; no analysis, no database)."""
    from ecitizen.archive.probe import Prober
    from ecitizen.config import HttpConfig, LinksConfig

    links = LinksConfig(per_host_concurrency=PER_HOST, global_concurrency=PER_HOST * len(HOSTS),
                        min_host_interval_seconds=0)

    async def go() -> float:
        async with Prober(links, HttpConfig(allow_private_targets=True)) as prober:
            t0 = time.perf_counter()
            await asyncio.gather(*(prober.fetch(u) for u in urls))
            return time.perf_counter() - t0

    return asyncio.run(go())


def memory_child(ports: list[int], n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="links-mem-"))
    from ecitizen.archive.checker import check_links

    app = make_app(tmp, global_concurrency=PER_HOST * len(HOSTS))
    load_links(app, make_urls(ports, n))
    workers_kb: dict[int, int] = {}
    done = threading.Event()

    def watch_workers() -> None:
        """The children's high-water RSS (VmHWM of their own image: ``ru_maxrss`` of a child
        counts the parent's pages it saw before exec)."""
        me = str(os.getpid())
        while not done.wait(0.1):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    for line in (stat.parent / "status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            pid = int(stat.parent.name)
                            workers_kb[pid] = max(workers_kb.get(pid, 0), int(line.split()[1]))
                except (OSError, IndexError, ValueError):
                    continue

    watcher = threading.Thread(target=watch_workers, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    report = check_links(app, due_only=False)
    elapsed = time.perf_counter() - t0
    done.set()
    watcher.join()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"links": len(report.results), "elapsed": elapsed, "peak_mb": peak_kb / 1024,
                      "worker_peak_mb": max(workers_kb.values(), default=0) / 1024, "workers": len(workers_kb),
                      "outcomes": report.counts_by_outcome}))
    shutil.rmtree(tmp, ignore_errors=True)


def find_linkchecker() -> str | None:
    """The ``linkchecker`` command beside this interpreter, else on PATH, else None."""
    beside = Path(sys.executable).parent / "linkchecker"
    return str(beside) if beside.exists() else shutil.which("linkchecker")


def run_linkchecker(exe: str, list_url: str, tmp: Path) -> tuple[float, int]:
    """LinkChecker with default settings; CSV on stdout (as root it drops to ``nobody``, so no files)."""
    home = tmp / "lc-home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home)}
    t0 = time.perf_counter()
    proc = subprocess.run([exe, "--check-extern", "-r", "1", "--no-status", "-v", "-o", "csv", list_url],
                          env=env, check=False, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - t0
    checked = len({line.split(";")[0] for line in proc.stdout.splitlines() if "/page/" in line})
    return elapsed, checked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--links", type=int, default=2000)
    ap.add_argument("--memory-links", type=int, default=10_000)
    ap.add_argument("--no-linkchecker", action="store_true")
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.memory_child:
        memory_child(json.loads(args.memory_child), args.memory_links)
        return
    if args.smoke:
        args.links, args.memory_links = 40, 200

    tmp = Path(tempfile.mkdtemp(prefix="links-bench-"))
    port_file = tmp / "ports.json"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    try:
        for _ in range(100):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        info = json.loads(port_file.read_text())
        ports = info["ports"]
        urls = make_urls(ports, args.links)
        port_file.with_suffix(".html").write_text(
            "<html><body>" + "".join(f'<a href="{u}">{i}</a>\n' for i, u in enumerate(urls)) + "</body></html>")
        per_host = args.links / len(HOSTS)
        bound = per_host / PER_HOST * DELAY
        load_before = os.getloadavg()[0]
        first, steady = run_ours(urls, tmp, server.pid)
        n = args.links
        print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / "
              f"{os.getloadavg()[0]:.1f} after (other work shares these cores)")
        print(f"links: {n} on {len(HOSTS)} hosts, delay {DELAY * 1000:.0f} ms, per-host limit {PER_HOST}")
        print(f"bound: {bound:.2f} s")
        for label, r in (("first run (main text extracted for every page)", first),
                         ("second run (steady state)                     ", steady)):
            print(f"ours, {label}: {r.seconds:.2f} s = {r.seconds / bound:.2f}x bound; "
                  f"CPU {r.cpu:.2f} s ({r.cpu / n * 1000:.2f} ms/link) + main-text workers {r.workers_cpu:.2f} s; "
                  f"server CPU {r.server_cpu:.2f} s")
        print(f"outcomes: {steady.outcomes}")
        net = run_network_only(urls)
        print(f"HTTP layer alone (same schedule, no page analysis, no database): {net:.2f} s "
              f"= {net / bound:.2f}x bound")
        exe = find_linkchecker()
        lc = float("nan")
        if args.no_linkchecker:
            print("LinkChecker: column skipped (--no-linkchecker)")
        elif exe is None:
            peer_skipped("LinkChecker", "the linkchecker command is not installed")
        else:
            lc, checked = run_linkchecker(exe, info["list"], tmp)
            print(f"LinkChecker (default settings, -r 1 --check-extern): {lc:.2f} s for {checked} URLs "
                  f"= {lc / bound:.2f}x bound")
            print(f"speed ratio LinkChecker / ours: {lc / steady.seconds:.1f}x (steady state), "
                  f"{lc / first.seconds:.1f}x (first run)")
        mem_mb = float("nan")
        if args.memory_links:
            mem = subprocess.run([sys.executable, __file__, "--memory-child", json.dumps(ports),
                                  "--memory-links", str(args.memory_links)],
                                 capture_output=True, text=True, check=True)
            m = json.loads(mem.stdout.strip().splitlines()[-1])
            mbound = args.memory_links / len(HOSTS) / PER_HOST * DELAY
            mem_mb = m["peak_mb"]
            print(f"memory: {m['links']} links, peak RSS {m['peak_mb']:.0f} MB (goal < 150 MB), "
                  f"main-text workers: {m['workers']}, {m['worker_peak_mb']:.0f} MB each at most; "
                  f"time {m['elapsed']:.2f} s = {m['elapsed'] / mbound:.2f}x its bound {mbound:.1f} s")
        verdict = {
            "steady ≤ 1.3x": steady.seconds / bound <= 1.3,
            "first ≤ 2x": first.seconds / bound <= 2.0,
            "memory < 150 MB": mem_mb < 150 if mem_mb == mem_mb else None,
            "≥ 10x LinkChecker (both runs)": lc / first.seconds >= 10 if lc == lc else None,
        }
        print("goals: " + "; ".join(f"{k} {'-' if v is None else 'met' if v else 'NOT met'}"
                                    for k, v in verdict.items()))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
