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


def test_the_source_list_explains_failures_and_shows_warnings(manager: FlaskClient, app: App) -> None:
    from ecitizen import outcomes

    with session_scope(app.engine) as s:
        s.add(Source(name="gone", url="https://a.example/rss", last_outcome="http_error", consecutive_failures=2,
                     last_error="HTTP 404 Not Found: the address no longer exists"))
        s.add(Source(name="merged", kind="json", url="https://b.example/api", settings={"fields": {"title": "t"}},
                     last_outcome="ok", last_error="3 записи с одинаковой ссылкой https://b.example/: сохранена "
                                                   "только первая"))
        s.add(Source(name="fine", url="https://c.example/rss", last_outcome="ok"))
    text = page_text(manager.get("/sources"))
    # a failure: the short Russian name, the plain explanation, the technical detail small and last
    assert f"Не работает: {outcomes.label('http_error')}" in text and outcomes.explain("http_error") in text
    assert 'class="detail">Подробности: HTTP 404 Not Found' in text
    # an ok source that carries a warning is visibly not a plain «работает»
    assert '<tr class="warn">' in text and "Работает, но есть предупреждение" in text
    assert "3 записи с одинаковой ссылкой" in text
    assert f'state-ok">{outcomes.label("ok")}' in text


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
    # the refusal offers the two kinds as buttons that switch the form (nothing saved, the fields kept)
    assert 'name="switch_kind" value="page"' in r.get_data(as_text=True)
    r = post_source(manager, name="about", url=site.url("/about/"), switch_kind="page")
    assert r.status_code == 200 and names(app) == []
    switched = r.get_data(as_text=True)
    assert '<option value="page" selected>' in switched and f'value="{site.url("/about/")}"' in switched
    assert 'data-kind="page">' in switched  # the page kind's settings are shown (not hidden)
    # as a watched page it is fine
    r = post_source(manager, name="about", url=site.url("/about/"), kind="page", **{"s.page.region": "main"})
    assert r.status_code == 302, page_text(r)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source)).one()
    assert (src.kind, src.settings, src.feed_url, src.origin) == ("page", {"region": "main"}, None, "web")


def test_a_crawler_kind_needs_its_settings(manager: FlaskClient, site: LocalServer, app: App) -> None:
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing")
    assert r.status_code == 400
    text = page_text(r)
    # in Russian, next to the field it belongs to
    assert 'id="s-listing-item-error">Обязательное поле: заполните его.' in text
    assert 'id="s-listing-title-error">Обязательное поле' in text
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing",
                    **{"s.listing.item": "article", "s.listing.title": "h3", "s.listing.max_pages": "0"})
    assert r.status_code == 400 and 'id="s-listing-max-pages-error">Число не меньше 1.' in page_text(r)
    assert names(app) == []
    r = post_source(manager, name="sfr-list", url=site.url("/about/"), kind="listing",
                    **{"s.listing.item": "article", "s.listing.title": "h3", "s.listing.link": "a::attr(href)",
                       "s.listing.date": "time::attr(datetime)\r\n\r\n", "s.listing.follow_js_redirect": "true",
                       "s.listing.robots_obey": ""})
    assert r.status_code == 302, page_text(r)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source)).one()
    # only what differs from the defaults is stored, as a config.yaml entry would say it
    assert src.settings == {"item": "article", "title": "h3", "date": ["time::attr(datetime)"]}
    # the edit form shows the settings in their fields, and a broken edit is refused without a change
    form = manager.get(f"/sources/{src.id}/edit").get_data(as_text=True)
    assert 'name="s.listing.item" type="text" value="article"' in form
    assert 'name="s.listing.title" type="text" value="h3"' in form
    assert ">time::attr(datetime)</textarea>" in form
    r = post_source(manager, f"/sources/{src.id}/edit", name="sfr-list", url=site.url("/about/"), kind="listing",
                    **{"s.listing.item": "article"})
    assert r.status_code == 400 and 'id="s-listing-title-error"' in page_text(r)
    with session_scope(app.engine) as s:
        assert s.get(Source, src.id).settings["title"] == "h3"  # type: ignore[union-attr]


def test_the_form_has_labelled_fields_for_every_setting_of_every_kind(manager: FlaskClient) -> None:
    from ecitizen.source_settings import KIND_MODELS

    page = manager.get("/sources/new").get_data(as_text=True)
    for kind, model in KIND_MODELS.items():
        assert f'data-kind="{kind}" hidden disabled' in page, kind
        for name, info in model.model_fields.items():
            assert info.title, f"{kind}.{name} has no Russian title"
            if name in ("pages", "fields"):
                assert f"<legend>{info.title}</legend>" in page
                continue
            input_id = f"s-{kind}-{name}".replace("_", "-")
            assert f'<label for="{input_id}">{html.escape(info.title, quote=False)}' in page, (kind, name)
            assert f'name="s.{kind}.{name}"' in page


LISTING = """<html><head><meta charset="windows-1251"></head><body><h1>Новости</h1>
<div class="news"><a class="t" href="/n/1">Запись к врачу через Госуслуги</a><span class="d">12 августа 2026 года, 16:30</span></div>
<div class="news"><a class="t" href="/n/2">Пенсия онлайн</a><span class="d">вчера в 09:15</span></div>
</body></html>"""


def test_check_shows_what_the_settings_extract_before_saving(manager: FlaskClient, server: LocalServer,
                                                             app: App) -> None:
    server.route("/list/", Reply(200, LISTING.encode("cp1251"), {"Content-Type": "text/html"}))
    fields = {"s.listing.item": "div.news", "s.listing.title": "a.t", "s.listing.date": "span.d"}
    r = post_source(manager, name="omsk", url=server.url("/list/"), kind="listing", action="preview", **fields)
    assert r.status_code == 200
    text = page_text(r)
    assert "Найдено записей: <strong>2</strong>" in text
    assert "Запись к врачу через Госуслуги" in text and server.url("/n/1") in text
    assert "12.08.2026 16:30" in text  # the date as read (Omsk time; the site's timezone is the service's)
    assert names(app) == []  # nothing saved
    # the portal changed its markup: the crawler's own words, next to the field to fix
    fields["s.listing.item"] = "article.news"
    r = post_source(manager, name="omsk", url=server.url("/list/"), kind="listing", action="preview", **fields)
    text = page_text(r)
    assert "Ничего не найдено: селектор не нашёл ни одной записи" in text
    assert 'id="s-listing-item-error">Проверка: по этой настройке на странице ничего не нашлось' in text
    # a selector written wrongly is a problem, not a crash
    fields["s.listing.item"] = "div["
    text = page_text(post_source(manager, name="omsk", url=server.url("/list/"), kind="listing", action="preview",
                                 **fields))
    assert "селектор записан с ошибкой" in text and 'id="s-listing-item-error">Проверка: этот селектор' in text


def test_check_of_a_page_that_does_not_open_is_explained(manager: FlaskClient, server: LocalServer) -> None:
    from ecitizen import outcomes

    server.route("/gone/", Reply(404, b"no"))
    r = post_source(manager, name="x", url=server.url("/gone/"), kind="page", action="preview")
    text = page_text(r)
    assert f"Страница не открылась: {outcomes.label('http_error')}." in text
    assert outcomes.explain("http_error") in text
    assert 'class="detail">Подробности: HTTP 404' in text  # the technical detail, secondary


def test_check_refuses_private_targets(make_app: Any) -> None:
    from ecitizen.shell.auth import add_user
    from ecitizen.shell.web import create_app
    from tests.service.conftest import login

    app = make_app(http={"allow_private_targets": False})
    with session_scope(app.engine) as s:
        add_user(s, "m", "correct-horse-1", role="manager")
    c = create_app(app, testing=True).test_client()
    login(c, "m")
    for url, words in (("http://127.0.0.1:9/admin", "внутреннюю сеть"), ("ftp://example.org/", "http://")):
        r = post_source(c, name="x", url=url, kind="page", action="preview")
        text = page_text(r)
        assert "Адрес не принят" in text and words in text, text
        assert "only http" not in text and "private" not in text


def test_a_page_kind_check_shows_the_watched_text(manager: FlaskClient, server: LocalServer) -> None:
    server.route("/rules/", Reply(200, "<html><body><nav>меню</nav><main><h1>Госпошлина</h1><p>2000 рублей"
                                       "</p><p class='c'>Посетителей: 5</p></main></body></html>".encode(), HTML))
    r = post_source(manager, name="x", url=server.url("/rules/"), kind="page", action="preview",
                    **{"s.page.region": "main", "s.page.ignore": ".c"})
    text = page_text(r)
    assert "Текст, за изменениями которого будем следить" in text
    assert "2000 рублей" in text and "Посетителей" not in text and "меню" not in text


def test_an_address_that_does_not_answer_is_saved_with_a_warning(
    manager: FlaskClient, server: LocalServer, app: App
) -> None:
    server.route("/down.xml", Reply(503, b"busy"))
    r = manager.post("/sources/new", data={
        "csrf_token": csrf_of(manager.get("/sources/new").get_data(as_text=True)), "name": "down",
        "url": server.url("/down.xml"), "kind": "feed", "enabled": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "Адрес сейчас не открывается. Источник сохранён" in page_text(r)
    assert "Подробности: HTTP 503" in page_text(r)
    assert names(app) == ["down"]


def test_unknown_topics_and_short_intervals_are_shown_next_to_their_fields(
    manager: FlaskClient, site: LocalServer
) -> None:
    r = post_source(manager, name="x", url=site.url("/news/rss.xml"), topics=["gosuslugi", "no-such"], interval="2")
    text = page_text(r)
    assert r.status_code == 400 and "Неизвестная тема «no-such»" in text and "Интервал не меньше" in text
