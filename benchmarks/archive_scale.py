"""Benchmark: does a page cost the same when the archive is big? 300,000 items, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/archive_scale.py [--items 300000] [--backend both|sqlite|postgresql] [--smoke]

Grows a fresh database (``benchmarks.common.grow_archive``: 10 % of the items awaiting review,
10 % rejected, the rest approved, 4 % undated, over two years and 40 sources; 300 links) on SQLite
(a file in a temp folder, no ``ANALYZE``, as the application leaves it) and on the PostgreSQL server
of the test suite (a throwaway database, vacuumed and analysed as autovacuum would after the
inserts), then times, in this process:

* every staff page (the real Flask app, signed in as a manager, through Flask's test client):
  the dashboard, the review queue (first page, a page deep in the archive, the page before it, each
  status and filter), one item, sources, links, outputs, job runs, users;
* every public endpoint the first time after a change (an item approved; the public cache told to
  look again) and then from the cache;
* ``ecitizen items list --json`` (its default page, and a page deep in the archive) with the bytes
  it wrote;
* the digest's ``media-note --year`` and ``publish`` (their code is the digest's; measured here).

Each figure is the median of ``--repeat`` runs after one warm-up run (the first run is printed too).
Goal: every page and public endpoint under 300 ms at 300,000 items.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, grow_archive, make_app
from tests.support.config import base_config_data

GOAL_MS = 300.0
PASSWORD = "bench-password-1"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first run ms, median of ``repeat`` further runs ms, the last result)."""
    t = time.perf_counter()
    out = fn()
    first = (time.perf_counter() - t) * 1000
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t) * 1000)
    return first, statistics.median(runs) if runs else first, out


class Report:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.rows: list[tuple[str, str, float, float, str]] = []

    def add(self, group: str, label: str, first: float, median: float, note: str = "") -> None:
        self.rows.append((group, label, first, median, note))
        goal = "" if group in ("cli", "digest") else ("  ok" if median < GOAL_MS else "  OVER 300 ms")
        print(f"  {self.backend:<10} {label:<52} first {first:8.1f} ms  median {median:8.1f} ms{goal}"
              f"{'  ' + note if note else ''}", flush=True)

    def worst(self, groups: tuple[str, ...]) -> tuple[str, float]:
        rows = [(label, med) for g, label, _f, med, _n in self.rows if g in groups]
        return max(rows, key=lambda r: r[1]) if rows else ("-", 0.0)


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'scale.db'}"
        return
    from tests.support.pg import fresh_database

    with fresh_database() as url:
        yield url


def login(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, "no CSRF token on the login page"
    resp = client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": m.group(1)})
    assert resp.status_code == 302, resp.status_code


def run_backend(backend: str, a: argparse.Namespace, tmp: Path) -> Report:
    import yaml
    from click.testing import CliRunner

    from ecitizen.db import dispose_engines, session_scope
    from ecitizen.programme import current_month
    from ecitizen.queries import MAX_ID, ItemCursor, ItemFilter, iter_items, set_status
    from ecitizen.shell.auth import add_user
    from ecitizen.shell.cli import main as cli_main
    from ecitizen.shell.web import create_app
    from ecitizen.storage import Link

    report = Report(backend)
    work = tmp / backend
    work.mkdir()
    with database(backend, work) as url:
        data = base_config_data(work)
        data["database_url"] = url
        app = make_app(data, work)
        t = time.perf_counter()
        grown = grow_archive(app, a.items)
        with session_scope(app.engine) as s:
            add_user(s, "bench", PASSWORD, role="manager")
        if backend == "postgresql":
            with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"  {backend:<10} grew {a.items:,} items in {time.perf_counter() - t:.1f} s", flush=True)
        cfg = work / "config.yaml"
        cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

        # a position deep in the archive: the approved items of a year ago (half-way down)
        with session_scope(app.engine) as s:
            middle = next(iter_items(s, ItemFilter(status="approved"),
                                     after=ItemCursor(grown["newest"] - timedelta(days=365), MAX_ID)))
            deep = ItemCursor.of(middle[0]).token()
            some_id = middle[0].id
        web = create_app(app)
        client = web.test_client()
        login(client)

        # -- staff pages --------------------------------------------------------------------------
        topic = grown["topics"][3 % len(grown["topics"])]
        this_month = current_month(app.now(), app.config.tz)
        pages = [
            ("/", "dashboard"), ("/review", "review queue, first page"),
            ("/review?status=approved", "review: approved"), (f"/review?status=approved&after={deep}",
                                                             "review: approved, a page deep in the archive"),
            (f"/review?status=approved&before={deep}", "review: approved, the page before it"),
            ("/review?status=rejected", "review: rejected"), ("/review?status=all", "review: all"),
            (f"/review?status=all&topic={topic}", "review: all, one topic"),
            (f"/review?status=approved&topic={topic}", "review: approved, one topic"),
            ("/review?status=all&source=src-07", "review: all, one source"),
            ("/review?status=all&new_services=1", "review: all, new services"),
            (f"/review/{some_id}", "one item"), ("/sources", "sources"), ("/archive", "links (archive)"),
            ("/outputs", "outputs"), ("/runs", "job runs"), ("/users", "users"),
            # the programme's pages (their queries are the programme domain's; measured here)
            ("/programme", "programme"), ("/programme/figures", "programme: figures"),
            ("/programme/libraries", "programme: libraries"), ("/programme/lessons", "programme: lessons"),
            ("/programme/report", "programme: report"),
            (f"/programme/lessons/{this_month}/1", "programme: one lesson's sheet"),
        ]
        for path, label in pages:
            def get(path: str = path) -> tuple[int, int]:
                r = client.get(path)
                assert r.status_code in (200, 404), (path, r.status_code)
                return r.status_code, len(r.get_data())
            first, med, (status, size) = timed(get, a.repeat)
            if status == 200:
                report.add("web", f"{label} ({size // 1024} kB)", first, med)
            else:
                print(f"  {backend:<10} {label}: {path} answers {status} (not in this version)")

        # -- public endpoints: first request after a change, then cached -------------------------
        from ecitizen.shell.web.public import cache_of

        cache = cache_of(web)
        with session_scope(app.engine) as s:
            queue = [i.id for i, _n in iter_items(s, ItemFilter(status="new"), batch=50) if i.id is not None][:200]
        for path in ("/feed.json", "/feed.atom", "/feed.rss", "/widget", "/widget.html", "/links", "/links.html",
                     "/widget.js"):
            def change_then_get(path: str = path) -> int:
                with session_scope(app.engine) as s:
                    if path.startswith("/links"):  # the catalogue shows links: a link is reviewed
                        link = s.get(Link, len(queue))
                        assert link is not None
                        link.reviewed_at = app.now()
                        s.add(link)
                    set_status(s, [queue.pop()], "approved", reviewer="bench", now=app.now())
                cache.expire()
                r = client.get(path)
                assert r.status_code == 200, (path, r.status_code)
                return len(r.get_data())
            first, med, size = timed(change_then_get, a.repeat)
            report.add("public", f"{path} first after a change ({size // 1024} kB)", first, med)
            def cached_get(path: str = path) -> int:
                return int(client.get(path).status_code)
            first, med, _ = timed(cached_get, a.repeat)
            report.add("public", f"{path} cached", first, med)

        # -- CLI ------------------------------------------------------------------------------------
        dispose_engines()
        runner = CliRunner()
        commands = [(["items", "list", "--json"], "items list --json (default page)"),
                    (["items", "list", "--json", "--after", deep], "items list --json --after <deep>"),
                    (["items", "list", "--status", "approved", "--json"], "items list --status approved --json")]
        for args, label in commands:
            def cli(args: list[str] = args) -> int:
                r = runner.invoke(cli_main, ["--config", str(cfg), *args], catch_exceptions=False)
                assert r.exit_code == 0, r.output[-500:]
                return len(r.stdout_bytes)
            first, med, size = timed(cli, a.repeat)
            report.add("cli", label, first, med, f"{size / 1024:.0f} kB written")

        # -- digest (measured; the code is the digest's) -----------------------------------------
        from ecitizen.digest.media import make_media_note
        from ecitizen.digest.publish import publish

        year = grown["newest"].year
        first, med, _ = timed(lambda: make_media_note(app, year=year, out_dir=work / "media"), max(1, a.repeat - 2))
        report.add("digest", f"media-note --year {year}", first, med)
        first, med, _ = timed(lambda: publish(app, out_dir=work / "site"), max(1, a.repeat - 2))
        report.add("digest", "publish", first, med)
        dispose_engines()
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=300_000)
    ap.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    a = ap.parse_args()
    if a.smoke:
        a.items, a.repeat = 2000, 1
    import logging

    logging.disable(logging.WARNING)
    os.environ.setdefault("ECITIZEN_SECRET_KEY", "bench-secret-key-not-for-production-use-0123456789")
    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-scale-"))
    backends = ["sqlite", "postgresql"] if a.backend == "both" else [a.backend]
    load_before = os.getloadavg()[0]
    print(f"archive of {a.items:,} items; median of {a.repeat} after a warm-up; goal < {GOAL_MS:.0f} ms "
          "for every page and public endpoint")
    reports = []
    try:
        for backend in backends:
            reports.append(run_backend(backend, a, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after")
    for r in reports:
        label, ms = r.worst(("web", "public"))
        verdict = "met" if ms < GOAL_MS else "NOT met"
        print(f"{r.backend}: slowest page or endpoint {ms:.1f} ms ({label}); goal < {GOAL_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
