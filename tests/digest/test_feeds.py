"""The public feeds: Atom (RFC 4287 schema), RSS 2.0, JSON Feed 1.1 (schema); feedparser reads all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.digest.feeds import build_feeds, entry_id, load_public_items, render_widget_html, widget_js
from ecitizen.digest.validate import atom_errors, jsonfeed_errors
from ecitizen.pipeline import EntryData
from tests.digest.conftest import HOSTILE_TITLE, add_items, nov, sample_entries

NOW = datetime(2026, 11, 25, 6, tzinfo=UTC)


def corpus_entries(corpus: Path) -> list[EntryData]:
    """Real Cyrillic RSS (newsru.com, windows-1251) read by feedparser."""
    parsed = feedparser.parse((corpus / "cyrillic-feeds" / "windows-1251" / "newsru.com.xml").read_bytes())
    out = []
    for e in parsed.entries:
        when = datetime(*e.published_parsed[:6], tzinfo=UTC) if e.get("published_parsed") else None
        out.append(EntryData(url=e.link, title=e.title, guid=e.get("id"), summary_html=e.get("summary", ""),
                             published_at=when))
    return out


def _items(app: App) -> list:  # type: ignore[type-arg]
    with session_scope(app.engine) as s:
        return load_public_items(s)


@pytest.fixture
def feeds(app: App, corpus: Path) -> dict[str, bytes]:
    add_items(app, "newsru", corpus_entries(corpus))
    add_items(app, "gosuslugi-news", sample_entries())
    add_items(app, "hostile", [EntryData(url="https://example.org/h?a=1&b=2", title="x", published_at=nov(20),
                                         summary_html='<p onclick="x()">Текст <script>alert(1)</script>'
                                                      '<a href="javascript:alert(1)">ссылка</a> &amp; ещё</p>')],
              display_title=HOSTILE_TITLE)
    add_items(app, "pending", [EntryData(url="https://example.org/pending", title="Не проверено",
                                         published_at=nov(24))], approve=False)
    return build_feeds(_items(app), config=app.config, now=NOW)


def test_feeds_validate_against_their_schemas(feeds: dict[str, bytes]) -> None:
    assert atom_errors(feeds["atom"]) == []
    assert jsonfeed_errors(feeds["json"]) == []


def test_json_feed_reads_in_a_json_feed_client(feeds: dict[str, bytes]) -> None:
    """feedparser 6.0.14 (the newest release) has no JSON Feed reader; reader's parser does."""
    import io

    jsonfeed = pytest.importorskip("reader._parser.jsonfeed")
    feed, entries = jsonfeed.JSONFeedParser()("https://lib.example/feed.json", io.BytesIO(feeds["json"]))
    assert feed.version == "json11" and feed.title == "Электронный гражданин: новости и новые онлайн-услуги"
    assert any("загранпаспорт" in (e.title or "") for e in entries)
    assert all(e.link and e.link.startswith("http") and e.published for e in entries)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feedparser_reads_every_feed_cleanly(feeds: dict[str, bytes], kind: str) -> None:
    parsed = feedparser.parse(feeds[kind])
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == {"atom": "atom10", "rss": "rss20"}[kind]
    titles = [e.title for e in parsed.entries]
    assert "Не проверено" not in titles  # approved items only
    assert any("загранпаспорт" in t for t in titles)
    assert any("Минюста" in t for t in titles)  # real Cyrillic from the corpus survives
    hostile = next(e for e in parsed.entries if e.link == "https://example.org/h?a=1&b=2")
    assert hostile.title.startswith('<script>alert("x")</script> Налоги & «кавычки»')
    assert "\u202e" not in hostile.title
    for e in parsed.entries:
        assert e.link.startswith(("http://", "https://"))
        assert e.id.startswith("urn:uuid:")
    assert parsed.feed.title == "Электронный гражданин: новости и новые онлайн-услуги"


def test_content_is_sanitised_and_escaped(feeds: dict[str, bytes]) -> None:
    doc = json.loads(feeds["json"])
    item = next(i for i in doc["items"] if i["url"] == "https://example.org/h?a=1&b=2")
    assert "<script" not in item["content_html"] and "javascript:" not in item["content_html"]
    assert "onclick" not in item["content_html"]
    assert b"<script>" not in feeds["atom"] and b"&lt;script&gt;" in feeds["atom"]
    assert b"<script>" not in feeds["rss"]
    assert "&amp;" in item["content_html"]


def test_dates_and_ids(app: App, feeds: dict[str, bytes]) -> None:
    doc = json.loads(feeds["json"])
    dates = [i["date_published"] for i in doc["items"]]
    assert dates == sorted(dates, reverse=True)
    assert all(d.endswith("Z") for d in dates)
    parsed = feedparser.parse(feeds["atom"])
    assert parsed.feed.updated == max(dates)  # the newest item, not the clock: rebuilds are identical
    rebuilt = build_feeds(_items(app), config=app.config, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert rebuilt == feeds
    rss = feedparser.parse(feeds["rss"])
    assert rss.entries[0].published_parsed[:3] == tuple(int(x) for x in dates[0][:10].split("-"))


def test_entry_ids_are_stable_and_distinct() -> None:
    from ecitizen.digest.select import ItemView

    def v(i: int, source: str, guid: str) -> ItemView:
        return ItemView(i, source, "news", "https://e.org", guid, "t", "", "", None, NOW)

    assert entry_id(v(1, "a", "g")) == entry_id(v(99, "a", "g"))  # not the database id
    assert entry_id(v(1, "a", "g")) != entry_id(v(1, "b", "g"))
    assert entry_id(v(1, "a", "g")) == "urn:uuid:" + entry_id(v(1, "a", "g")).split(":")[-1]


@pytest.mark.parametrize(("broken", "reason"), [
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><updated>2026-11-25T06:00:00Z</updated>"
     b"<author><name>a</name></author></feed>", "id"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:x</id><title>t</title>"
     b"<updated>2026-11-25T06:00:00</updated><author><name>a</name></author></feed>", "timezone"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:x</id><title>t</title>"
     b"<updated>2026-11-25T06:00:00Z</updated><entry><id>urn:e</id><title>e</title>"
     b"<updated>2026-11-25T06:00:00Z</updated><link href='https://e.org'/></entry></feed>", "author"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:x</id><title>t</title>"
     b"<updated>2026-11-25T06:00:00Z</updated><author><name>a</name></author><entry><id>urn:e</id>"
     b"<title>e</title><updated>2026-11-25T06:00:00Z</updated></entry></feed>", "alternate"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:x</id><title type='bogus'>t</title>"
     b"<updated>2026-11-25T06:00:00Z</updated><author><name>a</name></author></feed>", "type"),
])
def test_the_atom_schema_rejects_invalid_feeds(broken: bytes, reason: str) -> None:
    assert atom_errors(broken), reason


def test_the_json_schema_rejects_invalid_feeds() -> None:
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "content_text": "x", "date_published": "2026-11-25T06:00:00Z"}]}
    assert jsonfeed_errors(json.dumps(good).encode()) == []
    for bad in (
        {**good, "version": "1.0"},
        {**good, "items": [{"id": "1"}]},
        {**good, "items": [{"id": "1", "content_text": "x", "date_published": "25.11.2026"}]},
        {k: v for k, v in good.items() if k != "title"},
        {**good, "unknown": 1},
    ):
        assert jsonfeed_errors(json.dumps(bad).encode())


def test_widget_html_is_escaped_and_script_free(app: App, feeds: dict[str, bytes]) -> None:
    html = render_widget_html(_items(app), config=app.config, now=NOW)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "Не проверено" not in html
    assert 'rel="noopener noreferrer"' in html and "Content-Security-Policy" in html


def test_widget_js_uses_text_nodes_only() -> None:
    js = widget_js().decode("utf-8")
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "document.write" not in js and "eval(" not in js
    assert "createTextNode" in js


@pytest.mark.slow
@pytest.mark.browser
def test_widget_js_renders_a_hostile_feed_as_text_in_chromium(app: App, feeds: dict[str, bytes], server) -> None:  # type: ignore[no-untyped-def]
    """The embed in a real browser: hostile titles show as text and run nothing."""
    import shutil

    from tests.support.httpserver import Reply

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    doc = json.loads(feeds["json"])
    doc["items"].insert(0, {"id": "evil", "url": "javascript:window.pwned=1", "content_text": "x",
                            "title": '<img src=x onerror="window.pwned=1"><b>жирный</b>',
                            "summary": "<script>window.pwned=1</script>"})
    page_html = (b'<!doctype html><meta charset="utf-8"><div id="ecitizen-news" data-feed="/feed.json" '
                 b'data-limit="5"></div><script src="/widget.js"></script>')
    server.route("/", Reply(200, page_html, {"Content-Type": "text/html; charset=utf-8"}))
    server.route("/widget.js", Reply(200, widget_js(), {"Content-Type": "text/javascript"}))
    server.route("/feed.json", Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/feed+json"}))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(server.url("/"))
            page.wait_for_selector(".ecitizen-item")
            items = page.locator(".ecitizen-item")
            assert items.count() == 5
            first = items.nth(0)
            assert first.locator("img, b, script").count() == 0
            assert '<img src=x onerror="window.pwned=1"><b>жирный</b>' in first.inner_text()
            assert first.locator("a").count() == 0  # a javascript: link is not made a link
            assert page.evaluate("window.pwned") is None
            assert "загранпаспорт" in page.locator("#ecitizen-news").inner_text()
        finally:
            browser.close()
