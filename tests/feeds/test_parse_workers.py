"""Feed parsing in worker processes (``python -P feeds/parse.py`` through ``ecitizen.frames``): the
same result as in this process, a lean worker, a dead worker's feeds parsed here, and a poll started
from a script without the ``if __name__ == "__main__"`` guard (the workers import nothing of it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ecitizen.errors import ParseError
from ecitizen.feeds import parse as feed_parse
from ecitizen.feeds.parse import parse_and_prepare, parse_answer, parse_request
from ecitizen.frames import FramePool, WorkerGone
from ecitizen.pipeline import Rules, slim_result
from tests.feeds.helpers import news, rss
from tests.support.httpserver import LocalServer, Reply

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Omsk")
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def app_rules(make_app) -> Rules:  # type: ignore[no-untyped-def]
    return make_app().rules  # type: ignore[no-any-return]


def pension_news(i: int) -> bytes:
    return rss([*news(4, prefix=str(i)), {"title": f"Заявление на пенсию онлайн через Госуслуги ({i})",
                                          "link": f"http://e.org/p{i}", "description": "<p>Как подать.</p>"}])


def _call(body: bytes, rules: Rules) -> dict[str, object]:
    return {"url": "http://e.org/feed", "content_type": "application/rss+xml", "header_charset": None,
            "tz": TZ, "now": NOW, "rules": rules}


def test_a_worker_imports_the_parser_and_the_core_pipeline_only() -> None:
    probe = textwrap.dedent(f"""
        import runpy, sys
        runpy.run_path({feed_parse.__file__!r}, run_name="worker")
        heavy = [m for m in ("sqlalchemy", "sqlmodel", "flask", "scrapy", "ecitizen.feeds", "ecitizen.db")
                 if m in sys.modules]
        print("feedparser" in sys.modules, "ecitizen.pipeline" in sys.modules, heavy)
    """)
    out = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, text=True, timeout=60,
                         check=True).stdout.strip().split(maxsplit=2)
    assert out == ["True", "True", "[]"]


def test_worker_answers_equal_parsing_here(app_rules: Rules) -> None:
    bodies = [pension_news(i) for i in range(4)]
    with FramePool(feed_parse.__file__ or "", 2, name="feed parser") as pool:
        answers = [parse_answer(pool.call(parse_request(b, **_call(b, app_rules)))) for b in bodies]  # type: ignore[arg-type]
        assert pool.answered == 4
    here = [parse_and_prepare(b, **_call(b, app_rules)) for b in bodies]  # type: ignore[arg-type]
    assert answers == [(w, n, slim_result(p)) for w, n, p in here]  # topics in stored form only
    assert answers[0][1] == 5 and "pensions" in answers[0][2].items[-1].topics_json  # classified in the worker


def test_worker_sends_back_the_parse_error(app_rules: Rules) -> None:
    bad = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss/>'
    with FramePool(feed_parse.__file__ or "", 1) as pool, pytest.raises(ParseError, match="ENTITY"):
        parse_answer(pool.call(parse_request(bad, **_call(bad, app_rules))))  # type: ignore[arg-type]


def test_a_dead_worker_is_dropped_and_the_last_one_gone_says_so(app_rules: Rules) -> None:
    body = rss(news(2))
    request = parse_request(body, **_call(body, app_rules))  # type: ignore[arg-type]
    with FramePool(feed_parse.__file__ or "", 2) as pool:
        assert pool.size == 0  # nothing asked yet: no worker started
        parse_answer(pool.call(request))
        assert pool.size == 2
        asked_next = pool._all[0].proc  # the least busy worker, the first of equals
        asked_next.kill()
        asked_next.wait()
        with pytest.raises(WorkerGone, match=r"ended|failed"):
            pool.call(request)  # the caller parses this one itself
        assert pool.size == 1
        # the live worker answers the rest
        w, n, p = parse_and_prepare(body, **_call(body, app_rules))  # type: ignore[arg-type]
        assert [parse_answer(pool.call(request)) for _ in range(2)] == [(w, n, slim_result(p))] * 2
        pool._all[0].proc.kill()
        pool._all[0].proc.wait()
        with pytest.raises(WorkerGone):
            pool.call(request)
        with pytest.raises(WorkerGone, match=r"no (feed parser|worker)"):
            pool.call(request)
        assert pool.size == 0


def test_poll_from_a_script_without_a_main_guard(tmp_path: Path, server: LocalServer) -> None:
    for i in range(3):
        server.route(f"/f{i}", Reply(200, rss(news(3, prefix=str(i))), RSS))
    urls = [server.url(f"/f{i}") for i in range(3)]
    script = tmp_path / "poll.py"
    # no ``if __name__ == "__main__":`` guard, on purpose; preparing in this process fails loudly
    script.write_text(textwrap.dedent(f"""
        from ecitizen.app import App
        from ecitizen.config import parse_config
        from ecitizen.db import session_scope
        import importlib
        feeds_poll = importlib.import_module("ecitizen.feeds.poll")
        from ecitizen.storage import Source

        def in_the_caller(*args, **kwargs):
            raise RuntimeError("prepared in the caller, not in a worker")

        feeds_poll.prepare_entries = in_the_caller
        app = App(config=parse_config({{
            "database_url": "sqlite:///{tmp_path / 'db.sqlite'}", "data_dir": "{tmp_path / 'data'}",
            "http": {{"allow_private_targets": True}},
            "feeds": {{"parse_processes": 2, "process_min_sources": 1}}}}, base_dir="{tmp_path}"))
        with session_scope(app.engine) as s:
            for i, u in enumerate({urls!r}):
                s.add(Source(name=f"f{{i}}", kind="feed", url=u, origin="cli"))
        report = feeds_poll.poll(app)
        print(sorted({{r.outcome for r in report.results}}), report.new_items)
    """), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["['ok']", "9"], proc.stderr[-2000:]
    assert "prepared in the caller" not in proc.stderr
