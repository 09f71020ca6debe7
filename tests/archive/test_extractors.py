"""Main-text extraction in worker processes (``archive.checker.TextExtractors``): the same text as
in the thread, a dead worker's pages go to the thread, and a first check started from a script
without the ``if __name__ == "__main__"`` guard works (the workers import nothing of it)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ecitizen.archive.checker import TextExtractors, extractor_processes
from ecitizen.archive.page import extract_main_text
from tests.support.httpserver import LocalServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}


def _pages(corpus: Path) -> list[str]:
    folder = corpus / "gov-pages"
    small = "<html><body><main><h1>Услуга</h1><p>Заявление на портале госуслуг.</p></main></body></html>"
    return [*[p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))][:4], small, ""]


def test_worker_processes_give_the_text_the_thread_gives(corpus: Path) -> None:
    pages = _pages(corpus)

    async def run() -> tuple[list[str], int]:
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            ex = TextExtractors(2, thread)
            try:
                texts = await asyncio.gather(*(ex.extract(h) for h in pages))
            finally:
                await ex.aclose()
            return list(texts), ex.in_processes

    texts, in_processes = asyncio.run(run())
    assert texts == [extract_main_text(h) for h in pages]
    assert in_processes == len(pages)


def test_a_dead_worker_leaves_its_pages_to_the_thread(corpus: Path) -> None:
    page = _pages(corpus)[0]

    async def run() -> tuple[str, str, int]:
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            ex = TextExtractors(1, thread)
            try:
                first = await ex.extract(page)
                for worker in list(ex._workers):
                    worker.proc.kill()
                    await worker.proc.wait()
                second = await ex.extract(page)
                third = await ex.extract(page)
            finally:
                await ex.aclose()
            assert third == second
            return first, second, ex.in_processes

    first, second, in_processes = asyncio.run(run())
    assert first == second == extract_main_text(page)
    assert in_processes == 1


@pytest.mark.parametrize(("pages", "cpus", "expected"), [
    (10, 8, 0),       # a few pages: the thread (a process costs more to start)
    (5000, 1, 0),     # one core: the event loop needs it
    (5000, 2, 1),     # two cores: one for the loop, one worker
    (5000, 8, 4),     # at most four
    (130, 8, 2),      # a worker per 64 pages
])
def test_how_many_workers(pages: int, cpus: int, expected: int) -> None:
    assert extractor_processes(pages, cpus) == expected


def test_first_check_from_a_script_without_a_main_guard(tmp_path: Path, server: LocalServer) -> None:
    for i in range(3):
        server.route(f"/p{i}", Reply(200, f"<html><body><article><h1>Услуга {i}</h1><p>Как подать заявление "
                                          f"на услугу {i} через портал госуслуг.</p></article></body></html>"
                                          .encode(), HTML))
    urls = [server.url(f"/p{i}") for i in range(3)]
    script = tmp_path / "check.py"
    # no ``if __name__ == "__main__":`` guard, on purpose; extraction in this process fails loudly
    script.write_text(textwrap.dedent(f"""
        from ecitizen.app import App
        from ecitizen.archive import checker
        from ecitizen.archive.catalogue import add_link
        from ecitizen.config import parse_config
        from ecitizen.db import session_scope
        from ecitizen.storage import Link
        from sqlmodel import select

        def in_the_caller(html):
            raise RuntimeError("extracted in the caller's thread, not in a worker")

        checker.extract_main_text = in_the_caller
        checker.extractor_processes = lambda pages, cpus=None: 1
        app = App(config=parse_config({{
            "database_url": "sqlite:///{tmp_path / 'db.sqlite'}", "data_dir": "{tmp_path / 'data'}",
            "http": {{"allow_private_targets": True}},
            "links": {{"min_host_interval_seconds": 0, "retries": 0}}}}, base_dir="{tmp_path}"))
        with session_scope(app.engine) as s:
            for u in {urls!r}:
                add_link(s, u, now=app.now(), allow_private=True, resolve=None)
        report = checker.check_links(app, due_only=False)
        with session_scope(app.engine) as s:
            texts = [l.main_text for l in s.exec(select(Link))]
        print(len(report.results), sum(1 for t in texts if t and "госуслуг" in t))
    """), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["3", "3"], proc.stderr[-2000:]
    assert "extracted in the caller" not in proc.stderr
