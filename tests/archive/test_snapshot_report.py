"""Saved copies (files + row + WARC) and the link report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ecitizen.app import App
from ecitizen.archive import status as st
from ecitizen.archive.report import link_report
from ecitizen.archive.snapshot import take_snapshot
from ecitizen.db import session_scope
from ecitizen.errors import FetchError
from ecitizen.files import write_atomic
from ecitizen.storage import Link, LinkEvent, Snapshot
from tests.archive.conftest import add, check, get
from tests.support.httpserver import LocalServer, Reply

HTML = {"Content-Type": "text/html; charset=windows-1251"}
PAGE = ("<html><head><title>Пенсия онлайн</title></head><body><nav>Меню сайта</nav><article><h1>Пенсия онлайн</h1>"
        "<p>Заявление о назначении пенсии можно подать через портал госуслуг без визита в клиентскую службу. "
        "Понадобится подтверждённая учётная запись и СНИЛС.</p></article><footer>2026</footer></body></html>")


def test_snapshot_saves_html_text_meta_and_warc(links_app: Callable[..., App], server: LocalServer) -> None:
    app = links_app(snapshot_warc=True)
    server.route("/pension", Reply(200, PAGE.encode("cp1251"), HTML))
    add(app, server.url("/pension"))
    link = get(app, server.url("/pension"))
    result = take_snapshot(app, link)
    data = app.config.data_path
    assert result.link_id == link.id and result.http_status == 200
    assert (data / result.html_path).read_bytes() == PAGE.encode("cp1251")
    text = (data / result.text_path).read_text(encoding="utf-8")
    assert "СНИЛС" in text and "Меню сайта" not in text
    meta = json.loads((data / result.html_path).with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["http_status"] == 200 and meta["sha256"] == result.sha256
    assert result.warc_path
    from warcio.archiveiterator import ArchiveIterator

    with open(data / result.warc_path, "rb") as fh:
        records = list(ArchiveIterator(fh))
    assert [r.rec_type for r in records] == ["response"]
    assert records[0].rec_headers.get_header("WARC-Target-URI") == server.url("/pension")
    with session_scope(app.engine) as s:
        row = s.exec(select(Snapshot)).one()
        assert row.text_length == len(text) and row.html_path == result.html_path
    assert not list(data.rglob("*.tmp"))  # atomic writes leave no temp files


def test_snapshot_of_a_failing_page_raises_and_writes_nothing(links_app: Callable[..., App]) -> None:
    app = links_app()
    with pytest.raises(FetchError):
        take_snapshot(app, "http://127.0.0.41:1/")
    with session_scope(app.engine) as s:
        assert not s.exec(select(Snapshot)).all()


def test_snapshot_refuses_private_targets_for_user_urls(make_app: Callable[..., App]) -> None:
    app = make_app(http={"allow_private_targets": False})
    with pytest.raises(ValueError, match="private"):
        take_snapshot(app, "http://127.0.0.1:9/")


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_link_report(links_app: Callable[..., App], server: LocalServer, clock) -> None:
    app = links_app(broken_after_failures=1)
    server.route("/ok", Reply(200, PAGE.encode("cp1251"), HTML))
    server.route("/old", Reply(301, b"", {"Location": "/ok"}))
    add(app, server.url("/ok"), server.url("/old"), server.url("/gone"))
    check(app)
    take_snapshot(app, get(app, server.url("/ok")))
    with session_scope(app.engine) as s:
        s.add(LinkEvent(link_id=get(app, server.url("/ok")).id or 0, at=clock(), kind="changed",
                        summary="Изменился текст «Пенсия онлайн»", diff_text="-было\n+стало"))
    clock.advance(hours=1)
    with session_scope(app.engine) as s:
        report = link_report(s, now=clock())
    assert report.total == 3
    assert report.counts == {st.BROKEN: 1, st.MOVED: 1, st.OK: 1}
    reasons = {a.url: (a.status, a.proposed_url) for a in report.needs_attention}
    assert reasons == {
        server.url("/old"): (st.MOVED, server.url("/ok")),
        server.url("/gone"): (st.BROKEN, None),
        server.url("/ok"): ("changed", None),
    }
    assert all(a.explanation for a in report.needs_attention)
    saved = {a.url: a.snapshot_path for a in report.needs_attention}
    assert saved[server.url("/ok")] and saved[server.url("/gone")] is None
    kinds = sorted(e.kind for e in report.recent_events)
    assert kinds == ["broken", "changed", "moved"]
    data = report.as_json()
    json.dumps(data, ensure_ascii=False)
    assert data["needs_attention"][0]["explanation"]
    assert len(data["oldest_unreviewed"]) == 3
    with session_scope(app.engine) as s:
        later = link_report(s, now=clock() + timedelta(days=30))
    assert later.recent_events == () and {a.status for a in later.needs_attention} == {st.MOVED, st.BROKEN}


def test_link_report_period_bounds_the_events(app: App, clock) -> None:
    """``since``/``until`` select the events of a period (the digest's week); statuses stay current."""
    with session_scope(app.engine) as s:
        link = Link(url="https://a.ru/page", title="Страница", status=st.OK)
        s.add(link)
        s.flush()
        for day, summary in ((10, "до"), (18, "в неделе"), (24, "после")):
            s.add(LinkEvent(link_id=link.id or 0, at=datetime(2026, 11, day, 6, tzinfo=UTC), kind=st.CHANGED,
                            summary=summary))
    start, end = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    with session_scope(app.engine) as s:
        week = link_report(s, now=clock(), since=start, until=end)
        recent = link_report(s, now=clock(), days=7)
    assert [e.summary for e in week.recent_events] == ["в неделе"]
    assert [(a.status, a.detail) for a in week.needs_attention] == [(st.CHANGED, "в неделе")]
    assert [e.summary for e in recent.recent_events] == ["после", "в неделе"]
    assert week.counts == recent.counts == {st.OK: 1}
