"""The weekly digest's link section is the archive's link report for the week: same links, same count."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ecitizen.app import App
from ecitizen.archive import NEEDS_PERSON, STATUS_LABELS, link_report
from ecitizen.db import session_scope
from ecitizen.digest.periods import week_period
from ecitizen.digest.weekly import make_weekly
from ecitizen.storage import Link, LinkEvent
from tests.digest.conftest import nov

W47 = "2026-W47"  # 16–22 November 2026 (Asia/Omsk); the app's clock is Wed 25 Nov 2026
STATUSES = ("redirected", "moved", "broken", "soft_404", "tls_error", "server_error")


def _link(app: App, name: str, status: str, **fields: object) -> int:
    with session_scope(app.engine) as s:
        link = Link(url=f"https://example.org/{name}", title=f"Ссылка {name}", status=status,
                    status_since=nov(18), added_at=nov(1), **fields)
        s.add(link)
        s.flush()
        assert link.id is not None
        return link.id


def _event(app: App, link_id: int, at: datetime, summary: str) -> None:
    with session_scope(app.engine) as s:
        s.add(LinkEvent(link_id=link_id, at=at, kind="changed", summary=summary, diff_text="- было\n+ стало"))


def _fill(app: App) -> None:
    for status in STATUSES:
        extra = {"proposed_url": "https://example.org/new-place"} if status == "moved" else {}
        _link(app, status, status, **extra)
    changed = _link(app, "changed", "ok")
    _event(app, changed, nov(19), "Изменился текст на странице записи")


def test_digest_and_links_report_count_the_same_links(app: App, tmp_path: Path) -> None:
    _fill(app)
    result = make_weekly(app, week=W47, out_dir=tmp_path)
    with session_scope(app.engine) as s:
        report = link_report(s, now=app.now())  # what ``ecitizen links report`` prints (the last 7 days)
    assert result.digest is not None
    assert result.counts["links_need_person"] == len(report.needs_attention) == 5
    expected = {st for st in STATUSES if st in NEEDS_PERSON} | {"changed"}
    assert {n.status for n in result.digest.links.needs} == {a.status for a in report.needs_attention} == expected
    html = result.html_path.read_text(encoding="utf-8")
    section = html[html.index("Ссылки, которые нужно проверить"):html.index("Источники с ошибками")]
    for status in expected:
        assert f"Ссылка {status}" in section
    assert "Ссылка redirected" not in section and "Ссылка server_error" not in section
    assert "example.org/new-place" in section  # the proposed address
    assert f"{STATUS_LABELS['redirected']} — 1" in html  # the catalogue's state, in the archive's words


def test_events_outside_the_week_stay_out_of_its_digest(app: App, tmp_path: Path) -> None:
    _fill(app)
    later = _link(app, "later", "ok")
    _event(app, later, nov(24), "Изменение следующей недели")
    earlier = _link(app, "earlier", "ok")
    _event(app, earlier, nov(10), "Изменение прошлой недели")
    result = make_weekly(app, week=W47, out_dir=tmp_path)
    assert result.digest is not None
    # the week's one event is shown once: the changed page needs a person, so it is in that list
    assert [n.detail for n in result.digest.links.needs if n.status == "changed"] == [
        "Изменился текст на странице записи"]
    assert result.digest.links.changes == ()
    assert "Ссылка later" not in {n.title for n in result.digest.links.needs}
    text = result.text_path.read_text(encoding="utf-8")
    assert "следующей недели" not in text and "прошлой недели" not in text
    week = week_period(W47, app.config.tz)
    with session_scope(app.engine) as s:
        in_week = link_report(s, now=app.now(), since=week.start, until=week.end)
        last_days = link_report(s, now=app.now())
    assert len(in_week.needs_attention) == result.counts["links_need_person"] == 5
    assert "Ссылка later" in {a.title for a in last_days.needs_attention}  # the CLI's last 7 days
