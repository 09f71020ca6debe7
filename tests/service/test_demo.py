"""`ecitizen demo --cycle-only`: the whole offline cycle against the bundled demo portal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from ecitizen.db import dispose_engines
from ecitizen.shell.demo_portal import DemoPortal


def test_demo_portal_serves_both_encodings_and_broken_targets() -> None:
    import requests

    with DemoPortal() as portal:
        r = requests.get(portal.url("/rss/omsk-1251.xml"), timeout=5)
        assert "charset" not in r.headers["Content-Type"]
        assert r.content.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
        assert "Омск".encode("cp1251") in r.content and portal.base.encode() in r.content
        utf8 = requests.get(portal.url("/rss/gosuslugi.xml"), timeout=5)
        assert "{{" not in utf8.text and "Госуслуги" in utf8.text
        assert requests.get(portal.url("/removed-page"), timeout=5).status_code == 404
        moved = requests.get(portal.url("/old/doctor"), timeout=5, allow_redirects=False)
        assert moved.status_code == 301 and moved.headers["Location"] == portal.url("/new-place/doctor")
        a, b = (requests.get(portal.url("/help/mfc"), timeout=5).text for _ in range(2))
        assert a != b  # boilerplate changes on every load; the watched region does not


@pytest.mark.slow
def test_demo_cycle_runs_to_completion_offline(tmp_path: Path) -> None:
    from ecitizen.shell.cli import main

    demo_dir = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--cycle-only", "--json", "--dir", str(demo_dir), "--port", "8099"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    steps = {s["step"]: s for s in doc["steps"]}
    assert list(steps) == ["sources", "links", "feeds_poll", "crawl", "links_check", "snapshots", "approve", "weekly_digest",
                           "monthly_outputs", "publish"]
    assert all(s["outcome"] == "ok" for s in doc["steps"]), doc["steps"]
    assert steps["feeds_poll"]["details"]["new_items"] > 0
    assert steps["feeds_poll"]["details"]["failed"] == 1  # the deliberately missing feed, reported not fatal
    assert steps["crawl"]["details"]["added"] > 0
    assert steps["approve"]["details"]["approved"] > 0
    assert steps["snapshots"]["details"]["snapshots"] >= 2
    out = demo_dir / "out"
    assert list(out.rglob("*.pdf")), "posters were rendered"
    assert (out / "public" / "feed.atom").is_file() and (out / "public" / "widget.html").is_file()
    assert doc["user"] == "demo" and len(doc["password"]) >= 8
    dispose_engines()

    # the demo database is a normal one: job runs recorded, links checked, the demo user can log in
    from ecitizen.app import App
    from ecitizen.shell.auth import authenticate
    from ecitizen.storage import JobRun, Link

    app = App(str(demo_dir / "config.yaml"))
    from ecitizen.db import session_scope

    with session_scope(app.engine) as s:
        runs = s.exec(select(JobRun)).all()
        links = {lk.url.rsplit("/", 1)[-1]: lk for lk in s.exec(select(Link)).all()}
    assert {r.job for r in runs} >= {"feeds_poll", "crawl", "links_check", "publish"}
    assert links["pension"].status == "ok"
    assert links["removed-page"].status in ("broken", "soft_404")
    assert links["doctor"].proposed_url and links["doctor"].proposed_url.endswith("/new-place/doctor")
    assert authenticate(app.engine, "demo", doc["password"], now=app.now()).role == "manager"
    dispose_engines()
