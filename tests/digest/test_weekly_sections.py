"""The weekly digest read as mail: one week's bounds in every section, counts that agree with the
sections under them, each thing once, links to click, plain text with its line breaks right."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.digest.weekly import make_weekly
from ecitizen.pipeline import EntryData
from ecitizen.storage import Link, LinkEvent, Source
from tests.digest.conftest import add_items, nov, sample_entries

W47 = "2026-W47"  # 16–22 November 2026 (Asia/Omsk); the clock is Wed 25 Nov 2026


def _link(app: App, url: str, title: str, status: str, since: datetime, **fields: object) -> int:
    with session_scope(app.engine) as s:
        link = Link(url=url, title=title, status=status, status_since=since, added_at=nov(1), **fields)
        s.add(link)
        s.flush()
        assert link.id is not None
        return link.id


def _event(app: App, link_id: int, at: datetime, kind: str, summary: str, diff: str | None = None) -> None:
    with session_scope(app.engine) as s:
        s.add(LinkEvent(link_id=link_id, at=at, kind=kind, summary=summary, diff_text=diff))


def _week(app: App) -> None:
    add_items(app, "gosuslugi-news", sample_entries((17, 17, 18, 18, 19, 19)), fetched_at=nov(18))
    # the same news from another source (one cluster) and the same page linked by a third
    add_items(app, "sfr-news", [EntryData(url="https://sfr.gov.ru/other", published_at=nov(17, 12),
                                          title="Социальный фонд: выплата пенсии в декабре пройдёт раньше")],
              fetched_at=nov(18), approve=False)
    add_items(app, "digital", [EntryData(url="https://digital.gov.ru/news/safe-phone", published_at=nov(18),
                                         title="Мошенники звонят от имени банка: как не попасться")],
              fetched_at=nov(19))
    # a watched page that changed twice in the week (two sources watch it): one entry
    for source, day in (("pages", 18), ("pages-2", 20)):
        add_items(app, source, [EntryData(url="https://www.gosuslugi.ru/help", kind="page_change",
                                          title="Справка Госуслуг изменилась", diff_text=f"- было {day}\n+ стало {day}")],
                  fetched_at=nov(day), approve=False)
    # after the week: not in it
    add_items(app, "later", [EntryData(url="https://example.org/later", title="Новость следующей недели",
                                       published_at=nov(24))], fetched_at=nov(24), approve=False)
    add_items(app, "later-pages", [EntryData(url="https://example.org/later-page", kind="page_change",
                                             title="Страница, изменённая после недели")], fetched_at=nov(23, 20),
              approve=False)
    moved = _link(app, "https://old.example.org/page", "Запись в МФЦ", "moved", nov(19),
                  proposed_url="https://new.example.org/page")
    _event(app, moved, nov(19), "moved", "Страница переехала")
    changed = _link(app, "https://xn--c1aapkosapc.xn--p1ai/doc", "Документ на госуслуги.рф", "ok", nov(1))
    _event(app, changed, nov(19), "changed", "Изменился текст страницы", "- было\n+ стало")
    back = _link(app, "https://back.example.org/", "Снова работает", "ok", nov(18))
    _event(app, back, nov(18), "recovered", "Ссылка снова работает (200)")
    late = _link(app, "https://late.example.org/", "Сломалась после недели", "broken", nov(24))
    _event(app, late, nov(24), "broken", "Ссылка не работает")
    with session_scope(app.engine) as s:
        s.add(Source(name="broken-feed", url="https://broken.example.org/rss", last_outcome="timeout",
                     last_error="read timeout after 20 s", consecutive_failures=4, failing_since=nov(15, 3)))
        s.add(Source(name="failing-later", url="https://later.example.org/rss", last_outcome="timeout",
                     last_error="timeout", consecutive_failures=1, failing_since=nov(24)))


def _section(html: str, heading: str) -> str:
    start = html.index(f">{heading} (")
    end = html.find("<h2", start)
    return html[start:end if end > 0 else len(html)]


def _text_section(text: str, heading: str) -> str:
    start = text.index(f"== {heading} (")
    end = text.find("\n== ", start + 3)
    return text[start:end if end > 0 else len(text)]


@pytest.fixture
def digest_app(make_app: Callable[..., App]) -> App:
    app = make_app(web={"base_url": "https://ecitizen.example.org/"})
    _week(app)
    return app


def test_every_section_keeps_to_the_week_and_counts_agree(digest_app: App, tmp_path: Path) -> None:
    result = make_weekly(digest_app, week=W47, out_dir=tmp_path)
    html = result.html_path.read_text(encoding="utf-8")
    text = result.text_path.read_text(encoding="utf-8")
    c = result.counts
    assert (c["new_services"], c["news"], c["page_changes"], c["links_need_person"], c["link_changes"],
            c["failing_sources"], c["awaiting_review"]) == (2, 4, 1, 2, 1, 1, 3)
    for out in (html, text):
        for later in ("следующей недели", "после недели", "failing-later", "Ссылка не работает"):
            assert later not in out.replace("Сломалась после недели", ""), later
    # the header's numbers are the numbers of entries below them
    sections = {"Новые онлайн-услуги": c["new_services"], "Новости по темам курса": c["news"],
                "Изменения на отслеживаемых страницах": c["page_changes"],
                "Ссылки, которые нужно проверить": c["links_need_person"], "Источники с ошибками": c["failing_sources"]}
    for heading, n in sections.items():
        body = _section(html, heading)
        assert body.startswith(f">{heading} ({n})")
        items = body.count("<li")
        if heading == "Ссылки, которые нужно проверить":
            items -= c["link_changes"]  # «Другие события со ссылками» is a part of this section
        assert items == n, heading
        assert _text_section(text, heading.upper()).count("\n* ") == (
            n + (c["link_changes"] if heading == "Ссылки, которые нужно проверить" else 0)), heading
    summary = html[html.index("Коротко о неделе"):html.index("<h2")]
    assert f"изменения на отслеживаемых страницах: <b>{c['page_changes']}</b>" in summary
    assert f"ожидают проверки: <b>{c['awaiting_review']}</b>" in summary
    assert "- изменения на отслеживаемых страницах: 1\n" in text


def test_each_news_page_and_link_appears_once(digest_app: App, tmp_path: Path) -> None:
    result = make_weekly(digest_app, week=W47, out_dir=tmp_path)
    html = result.html_path.read_text(encoding="utf-8")
    text = result.text_path.read_text(encoding="utf-8")
    for out in (html, text):
        assert out.count("Социальный фонд: выплата пенсии в декабре пройдёт раньше") == 1
        assert out.count("Справка Госуслуг изменилась") == 1
        assert "изменений за неделю: 2, показано последнее" in out and "стало 20" in out and "стало 18" not in out
        # the changed link needs a person: it is in that list, not again under the other events
        assert out.count("Изменился текст страницы") == 1
    # two sources of one page: one entry naming the other source
    assert html.count("Мошенники звонят от имени банка: как не попасться") + html.count(
        "Как защититься от телефонных мошенников") == 1


def test_addresses_are_links_and_the_review_queue_is_one_click_away(digest_app: App, tmp_path: Path) -> None:
    result = make_weekly(digest_app, week=W47, out_dir=tmp_path / "a")
    html = result.html_path.read_text(encoding="utf-8")
    for url in ("https://www.gosuslugi.ru/news/passport-new", "https://www.gosuslugi.ru/help",
                "https://old.example.org/page", "https://new.example.org/page",
                "https://xn--c1aapkosapc.xn--p1ai/doc", "https://back.example.org/", "https://broken.example.org/rss"):
        assert f'href="{url}"' in html, url
    assert ">https://госуслуги.рф/doc</a>" in html  # shown as people read it, linked as browsers need it
    assert 'href="https://ecitizen.example.org/review"' in html and "Открыть очередь проверки" in html
    assert 'href="https://ecitizen.example.org/archive"' in html
    text = result.text_path.read_text(encoding="utf-8")
    assert "Очередь проверки: https://ecitizen.example.org/review" in text
    # every address printed in the mail's HTML is a link
    shown = set(re.findall(r">(https?://[^<\s]+)<", html))
    linked = set(re.findall(r'<a href="[^"]+"[^>]*>(https?://[^<]+)</a>', html))
    assert shown and shown <= linked


def test_without_a_web_address_the_digest_says_where_to_go(app: App, tmp_path: Path) -> None:
    _week(app)
    words = make_weekly(app, week=W47, out_dir=tmp_path)
    for out in (words.html_path.read_text(encoding="utf-8"), words.text_path.read_text(encoding="utf-8")):
        assert "раздел «Очередь проверки»" in out and "/review" not in out and "web.base_url" in out


def test_a_javascript_link_in_a_feed_is_never_a_link_in_the_mail(app: App, tmp_path: Path) -> None:
    add_items(app, "s", [EntryData(url="https://example.org/x", title="Ссылка", published_at=nov(17))],
              fetched_at=nov(17), url="javascript:alert(1)")
    html = make_weekly(app, week=W47, out_dir=tmp_path).html_path.read_text(encoding="utf-8")
    assert "javascript:" not in html.split("<body", 1)[1].replace(">javascript:alert(1)<", "")
    assert 'href="javascript' not in html


def test_plain_text_line_breaks(digest_app: App, tmp_path: Path) -> None:
    text = make_weekly(digest_app, week=W47, out_dir=tmp_path).text_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "\n\n\n" not in text and not text.startswith("\n")
    assert all(line == line.rstrip() for line in lines), [line for line in lines if line != line.rstrip()]
    assert "г.." not in text and ".." not in text.replace("...", "")
    # an entry: the title line, then its address on a line of its own, indented
    for i, line in enumerate(lines):
        if line.startswith("* ") and i + 1 < len(lines):
            assert lines[i + 1].startswith("  "), (line, lines[i + 1])
    moved = lines.index("* Запись в МФЦ")
    assert lines[moved + 1] == "  https://old.example.org/page"
    assert lines[moved + 2].startswith("  Страница переехала")
    assert "  Предлагаемый новый адрес: https://new.example.org/page" in lines
    # explanations are wrapped for a mail reader, words and commands whole
    long_lines = [line for line in lines if len(line) > 76 and " " in line.strip() and not line.startswith(
        ("* ", "- ", "ЕЖЕНЕДЕЛЬНАЯ", "КОРОТКО", "Состояние", "Материалов", "Проверить", "БУК", "Компетентный"))]
    assert not long_lines, long_lines
    assert not [line for line in lines if line.endswith("-") and not line.strip().startswith("-")]
    assert "QR-коды" in text
    # sections are separated by one empty line
    for heading in ("== НОВЫЕ ОНЛАЙН-УСЛУГИ", "== НОВОСТИ ПО ТЕМАМ КУРСА", "== ИСТОЧНИКИ С ОШИБКАМИ"):
        i = next(k for k, line in enumerate(lines) if line.startswith(heading))
        assert lines[i - 1] == "" and lines[i - 2] != "" and lines[i + 1] == ""


def test_the_current_week_for_the_demo(app: App, tmp_path: Path) -> None:
    add_items(app, "s", [EntryData(url="https://example.org/now", title="Пришло сегодня", published_at=nov(25))],
              fetched_at=nov(25, 5))
    result = make_weekly(app, week="current", out_dir=tmp_path)
    assert result.period.key == "2026-W48" and result.counts["news"] == 1
    assert "Пришло сегодня" in result.html_path.read_text(encoding="utf-8")
    assert make_weekly(app, out_dir=tmp_path).counts["news"] == 0  # the last complete week: nothing yet


def test_pending_counts_what_arrived_by_the_end_of_the_week(app: App, tmp_path: Path) -> None:
    add_items(app, "a", [EntryData(url="https://example.org/a", title="До конца недели", published_at=nov(20))],
              fetched_at=nov(20), approve=False)
    add_items(app, "b", [EntryData(url="https://example.org/b", title="После недели", published_at=nov(24))],
              fetched_at=nov(24), approve=False)
    result = make_weekly(app, week=W47, out_dir=tmp_path)
    assert result.counts["awaiting_review"] == 1
    assert result.digest is not None and result.digest.pending.oldest == datetime(2026, 11, 20, 9, tzinfo=UTC)
