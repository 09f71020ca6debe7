"""The source form: the one add/update operation behind it, against a real local site."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.storage import Source
from tests.feeds.helpers import news, rss
from tests.service.conftest import csrf_of
from tests.support.httpserver import LocalServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
PAGE_WITH_FEED = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/news/rss.xml"></head>'
                  b"<body>news</body></html>")
PAGE_WITHOUT_FEED = "<html><head><title>Новости</title></head><body><h1>Новости</h1></body></html>".encode()


def post_source(client: FlaskClient, path: str = "/sources/new", **fields: Any) -> Any:
    data = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True)), "kind": "feed", "enabled": "1", **fields}
    return client.post(path, data=data)


def page_text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def names(app: App) -> list[str]:
    with session_scope(app.engine) as s:
        return sorted(s.exec(select(Source.name)).all())


@pytest.fixture
def site(server: LocalServer) -> LocalServer:
    server.route("/news/", Reply(200, PAGE_WITH_FEED, HTML))
    server.route("/news/rss.xml", Reply(200, rss(news(2)), RSS))
    server.route("/about/", Reply(200, PAGE_WITHOUT_FEED, HTML))
    return server


def test_a_second_source_with_the_same_feed_is_refused_naming_the_first(
    manager: FlaskClient, site: LocalServer, app: App
) -> None:
    r = post_source(manager, name="omsk-news", url=site.url("/news/"))
    assert r.status_code == 302, page_text(r)
    # the feed itself, entered as a new source
    r = post_source(manager, name="omsk-rss", url=site.url("/news/rss.xml"))
    assert r.status_code == 400
    assert "этот адрес уже отслеживается: источник «omsk-news»" in page_text(r)
    # the same page again under another name
    r = post_source(manager, name="omsk-again", url=site.url("/news/"))
    assert r.status_code == 400 and "источник «omsk-news»" in page_text(r)
    assert names(app) == ["omsk-news"]


def test_a_duplicate_is_refused_when_editing_too(manager: FlaskClient, site: LocalServer, app: App) -> None:
    assert post_source(manager, name="a", url=site.url("/news/rss.xml")).status_code == 302
    assert post_source(manager, name="b", url=site.url("/about/"), kind="page").status_code == 302
    with session_scope(app.engine) as s:
        b_id = s.exec(select(Source.id).where(Source.name == "b")).one()
    r = post_source(manager, f"/sources/{b_id}/edit", name="b", url=site.url("/news/rss.xml"), kind="page")
    assert r.status_code == 400 and "этот адрес уже отслеживается: источник «a»" in page_text(r)


def test_an_html_page_without_a_feed_is_not_saved_as_a_feed(manager: FlaskClient, site: LocalServer, app: App) -> None:
    r = post_source(manager, name="about", url=site.url("/about/"))
    assert r.status_code == 400
    text = page_text(r)
    assert "нет ленты новостей" in text and "«страница»" in text and "«список новостей»" in text
    assert 'class="field-error"' in r.get_data(as_text=True)
    assert names(app) == []
    # as a watched page it is fine
    r = post_source(manager, name="about", url=site.url("/about/"), kind="page", settings="region: body")
    assert r.status_code == 302, page_text(r)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source)).one()
    assert (src.kind, src.settings, src.feed_url, src.origin) == ("page", {"region": "body"}, None, "web")


def test_a_crawler_kind_needs_its_settings(manager: FlaskClient, site: LocalServer, app: App) -> None:
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing")
    assert r.status_code == 400
    text = page_text(r)
    assert "Настройки не приняты: settings.item — обязательный ключ не указан" in text
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing", settings="item: [")
    assert r.status_code == 400 and "Настройки не читаются" in page_text(r)
    assert names(app) == []
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing",
                    settings='{"item": "article", "title": "h3", "date": ["time::attr(datetime)"]}')
    assert r.status_code == 302, page_text(r)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source)).one()
    assert src.settings == {"item": "article", "title": "h3", "date": ["time::attr(datetime)"]}
    # the edit form shows the settings as YAML, and a broken edit is refused without a change
    form = manager.get(f"/sources/{src.id}/edit").get_data(as_text=True)
    assert "item: article" in form and "title: h3" in form
    r = post_source(manager, f"/sources/{src.id}/edit", name="sfr-list", url=site.url("/about/"), kind="listing",
                    settings="item: article")
    assert r.status_code == 400 and "settings.title" in page_text(r)
    with session_scope(app.engine) as s:
        assert s.get(Source, src.id).settings["title"] == "h3"  # type: ignore[union-attr]


def test_an_address_that_does_not_answer_is_saved_with_a_warning(
    manager: FlaskClient, server: LocalServer, app: App
) -> None:
    server.route("/down.xml", Reply(503, b"busy"))
    r = manager.post("/sources/new", data={
        "csrf_token": csrf_of(manager.get("/sources/new").get_data(as_text=True)), "name": "down",
        "url": server.url("/down.xml"), "kind": "feed", "enabled": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "Адрес сейчас не открывается (HTTP 503)" in page_text(r)
    assert names(app) == ["down"]


def test_unknown_topics_and_short_intervals_are_shown_next_to_their_fields(
    manager: FlaskClient, site: LocalServer
) -> None:
    r = post_source(manager, name="x", url=site.url("/news/rss.xml"), topics=["gosuslugi", "no-such"], interval="2")
    text = page_text(r)
    assert r.status_code == 400 and "Неизвестная тема «no-such»" in text and "Интервал не меньше" in text
