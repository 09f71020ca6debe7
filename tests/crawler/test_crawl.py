"""Whole crawls: the runner starts the crawl process against real local servers serving the saved
pages and fixtures built from them; results are read back from the SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecitizen.db import session_scope
from ecitizen.storage.crawl import CatalogEntry, PageState, SeenUrl
from tests.crawler.conftest import HTML, by_name, items_of, run_crawl, source_row
from tests.support.httpserver import LocalServer, Reply, Request

SAMPLES = Path(__file__).resolve().parents[2] / "crawler" / "samples"

SFR = {
    "item": "article.re-news__article", "title": "h3.re-news__article-title",
    "link": "a.re-news__article-link::attr(href)", "date": "time.re-news__article-time::attr(datetime)",
    "summary": "p.re-news__article-description",
}
GOV = {"item": "div.headline", "title": "span.headline_title_link", "link": "a.headline__link::attr(href)",
       "date": "time::attr(datetime)", "summary": "span.headline_lead"}


def sfr_page(corpus: Path, page: int) -> bytes:
    text = (corpus / "gov-pages" / "sfr.gov.ru-news-2026-08.html").read_text(encoding="utf-8")
    if page > 1:  # an older page: same markup, other ids and titles
        text = text.replace("284025", f"1{page}4025").replace("283992", f"1{page}3992")
        text = text.replace("Соцфонд направил", f"Страница {page}: Соцфонд направил")
        text = text.replace("Более 15 тысяч", f"Страница {page}: более 15 тысяч")
    return text.encode("utf-8")


def article(title: str, body: str) -> Reply:
    html = (f"<html><head><title>{title}</title></head><body><nav>меню</nav><div class='article'><h1>{title}</h1>"
            f"<div class='article__text'><p>{body}</p><script>alert(1)</script></div></div></body></html>")
    return Reply(200, html.encode(), HTML)


def test_listings_paging_item_pages_redirect_and_errors(crawl_app: Any, server: LocalServer, corpus: Path) -> None:
    server.route("/press_center/news/", Reply(200, sfr_page(corpus, 1), HTML))
    server.route("/press_center/news/?page=2", Reply(200, sfr_page(corpus, 2), HTML))
    server.route("/press_center/news/?page=3", Reply(200, b"<html><body><main></main></body></html>", HTML))
    server.route("/press_center/news/~2026/08/19/284025",
                 article("Соцфонд", "Теперь можно получить выплату на Госуслугах без визита в клиентскую службу."))
    # the omskportal front page redirects by script; the real list lives on /ru/government.html
    server.route("/", Reply(200, (corpus / "gov-pages" / "omskportal.ru-2018-03.approx.html").read_bytes(), HTML))
    server.route("/ru/government.html", Reply(200, (corpus / "gov-pages" / "government.ru-2026-08.html").read_bytes(),
                                             HTML))
    server.route("/spa/", Reply(200, (corpus / "gov-pages" / "gosuslugi.ru-2018-03.html").read_bytes(), HTML))
    server.route("/down/", Reply(503, b"maintenance", {"Content-Type": "text/plain"}))
    mintrud = (corpus / "gov-pages" / "mintrud.gov.ru-2026-08.html").read_text(encoding="utf-8")
    server.route("/docs", Reply(200, mintrud.replace("</body>", '<a class="next" href="/docs?page=2">»</a></body>')
                                .encode(), HTML))
    server.route("/docs?page=2", Reply(200, mintrud.replace("/docs/2810", "/docs/2700").replace(
        "/orders/3223", "/orders/3100").replace("</body>", '<a class="next" href="/docs?page=3">»</a></body>')
        .encode(), HTML))
    app = crawl_app([
        {"name": "sfr-list", "kind": "listing", "url": server.url("/press_center/news/"), "timezone": "Europe/Moscow",
         "topics": ["pensions"],
         "settings": {**SFR, "pages": {"template": "?page={n}"}, "max_pages": 3, "fetch_item_page": True,
                      "content": "div.article__text"}},
        {"name": "omsk-portal", "kind": "listing", "url": server.url("/"), "settings": GOV},
        {"name": "spa-shell", "kind": "listing", "url": server.url("/spa/"),
         "settings": {"item": "div.news-item", "title": "a"}},
        {"name": "down", "kind": "listing", "url": server.url("/down/"), "settings": {"item": "li", "title": "a"}},
        {"name": "mintrud-next", "kind": "listing", "url": server.url("/docs"), "timezone": "Europe/Moscow",
         "settings": {"item": "div.post-list", "title": "p.post-name", "link": "a.text-black", "date": "p.page-date",
                      "next_page": "a.next::attr(href)", "max_pages": 2}},
    ])
    rep = run_crawl(app)
    assert rep.exit_code == 0, rep.as_json()
    sfr = by_name(rep, "sfr-list")
    assert (sfr.outcome, sfr.entries, sfr.added) == ("ok", 4, 4), sfr
    items = items_of(app, "sfr-list")
    assert len(items) == 4
    full = next(i for i in items if i.url.endswith("/284025"))
    assert "без визита" in full.summary_text and "alert" not in full.summary_html  # item page, sanitised
    assert full.is_new_service and full.kind == "service"
    assert {i.title for i in items} >= {"Страница 2: более 15 тысяч бойцов СВО прошли лечение в центрах Социального фонда"}
    other = next(i for i in items if i.url.endswith("/283992"))
    assert other.summary_text == "Ветераны могут приезжать в реабилитационный центр вместе с сопровождающим"
    assert other.published_at.isoformat() == "2026-08-18T09:17:50+00:00"

    omsk = by_name(rep, "omsk-portal")
    assert (omsk.outcome, omsk.added) == ("ok", 1)
    assert items_of(app, "omsk-portal")[0].url == server.url("/docs/59616/")

    spa = by_name(rep, "spa-shell")
    assert spa.outcome == "selector_error" and "селектор не нашёл ни одной записи" in spa.error
    row = source_row(app, "spa-shell")
    assert row.last_outcome == "selector_error" and row.consecutive_failures == 1
    assert "селектор не нашёл" in row.last_error

    nxt = by_name(rep, "mintrud-next")
    assert (nxt.outcome, nxt.pages, nxt.added) == ("ok", 2, 4)  # max_pages stops before page 3
    assert not server.requests_to("/docs") or all(r.query != "page=3" for r in server.requests_to("/docs"))

    down = by_name(rep, "down")
    assert down.outcome == "http_error"
    assert source_row(app, "down").last_status == 503

    ok_row = source_row(app, "sfr-list")
    assert ok_row.last_outcome == "ok" and ok_row.last_item_count == 4 and ok_row.next_due_at is not None

    # a rerun is idempotent
    rep2 = run_crawl(app, "sfr-list", "omsk-portal")
    assert [(s.name, s.added, s.unchanged) for s in rep2.sources] == [("sfr-list", 0, 4), ("omsk-portal", 0, 1)] or \
        sorted((s.name, s.added, s.unchanged) for s in rep2.sources) == [("omsk-portal", 0, 1), ("sfr-list", 0, 4)]
    assert len(items_of(app, "sfr-list")) == 4


def test_politeness_robots_size_timeout_and_user_agent(crawl_app: Any, server: LocalServer, corpus: Path) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}))
    body = sfr_page(corpus, 1)
    server.route("/private/news/", Reply(200, body, HTML))
    server.route("/private/other/", Reply(200, body, HTML))
    server.route("/big/", Reply(200, b"<html><body>" + b"<p>x</p>" * 40_000 + b"</body></html>", HTML))
    server.route("/slow/", Reply(200, body, HTML, delay=6))
    app = crawl_app([
        {"name": "private", "kind": "listing", "url": server.url("/private/news/"), "settings": SFR},
        {"name": "private-override", "kind": "listing", "url": server.url("/private/other/"),
         "settings": {**SFR, "robots_obey": False}},
        {"name": "big", "kind": "listing", "url": server.url("/big/"), "settings": SFR},
        {"name": "slow", "kind": "listing", "url": server.url("/slow/"), "settings": SFR},
    ], crawler={"max_response_bytes": 100_000, "timeout": 2})
    rep = run_crawl(app)
    assert by_name(rep, "private").outcome == "robots_disallowed"
    assert "robots.txt" in source_row(app, "private").last_error
    assert by_name(rep, "private-override").outcome == "ok"
    assert by_name(rep, "big").outcome == "too_large"
    assert by_name(rep, "slow").outcome == "timeout"
    assert not server.requests_to("/private/news/")
    assert server.requests_to("/private/other/")
    log = Path(rep.log_path).read_text(encoding="utf-8")
    assert "private-override: robots.txt is not obeyed (per-source override)" in log
    ua = server.requests_to("/private/other/")[0].headers["user-agent"]
    assert ua.startswith("ecitizen-watch/") and "e-citizen@example.org" in ua


def catalog_html(entries: list[tuple[str, str, str]]) -> bytes:
    cards = "".join(
        f'<li class="service-card" data-id="{k}"><a class="service-card__link" href="/{k}/1/form">{t}</a>'
        f'<span class="service-card__category">{c}</span></li>' for k, t, c in entries)
    return f"<html><body><div class='visits'>{len(entries)}</div><ul>{cards}</ul></body></html>".encode()


CATALOG = {"entry": "li.service-card", "id": "::attr(data-id)", "title": "a.service-card__link",
           "link": "a.service-card__link::attr(href)", "category": "span.service-card__category",
           "pages": {"template": "?page={n}"}, "max_pages": 2}


@pytest.mark.slow
def test_catalog_baseline_new_removed_renamed_and_partial_failure(crawl_app: Any, server: LocalServer) -> None:
    page1 = [(str(k), f"Услуга {k}", "Здоровье") for k in range(1, 6)]
    page2 = [(str(k), f"Услуга {k}", "Налоги") for k in range(6, 11)]
    state: dict[str, Any] = {"p1": page1, "p2": page2, "p2_status": 200}
    server.route("/catalog/", lambda r: Reply(200, catalog_html(state["p1"]), HTML))
    server.route("/catalog/?page=2", lambda r: Reply(state["p2_status"], catalog_html(state["p2"]), HTML))
    app = crawl_app([{"name": "catalog", "kind": "catalog", "url": server.url("/catalog/"), "settings": CATALOG}])

    first = by_name(run_crawl(app), "catalog")
    assert (first.outcome, first.added) == ("ok", 0)  # silent baseline
    assert "исходные" in first.note
    with session_scope(app.engine) as s:
        assert len(s.exec(select(CatalogEntry)).all()) == 10

    # one new service, one renamed, one removed
    state["p1"] = [*page1[:4], ("11", "Оформление электронной подписи", "Документы")]
    state["p2"] = [("6", "Услуга 6 (обновлено)", "Налоги"), *page2[1:]]
    second = by_name(run_crawl(app), "catalog")
    assert second.outcome == "ok"
    items = items_of(app, "catalog")
    got = sorted((i.kind, i.title, i.is_new_service) for i in items)
    assert got == [
        ("catalog_event", "Услуга исключена из каталога: Услуга 5", False),
        ("catalog_event", "Услуга переименована: Услуга 6 (обновлено)", False),
        ("service", "Оформление электронной подписи", True),
    ]
    assert next(i for i in items if i.kind == "service").new_service_rule == "catalog-new"

    # a half-failed crawl (page 2 answers 500): a failure, not five removals
    state["p2_status"] = 500
    third = by_name(run_crawl(app), "catalog")
    assert third.outcome == "http_error"
    # a crawl returning far fewer entries than the last good one: a failure too
    state["p2_status"] = 200
    state["p1"], state["p2"] = page1[:1], []
    fourth = by_name(run_crawl(app), "catalog")
    assert fourth.outcome == "parse_error" and "1 записей из 10" in fourth.error
    assert len(items_of(app, "catalog")) == 3
    with session_scope(app.engine) as s:
        removed = s.exec(select(CatalogEntry).where(CatalogEntry.removed_at.is_not(None))).all()
        assert [r.entry_key for r in removed] == ["5"]
    assert source_row(app, "catalog").consecutive_failures == 2


def test_sitemap_index_recursion_baseline_and_new_pages(crawl_app: Any, server: LocalServer) -> None:
    base = server.base.encode()
    files = {p.name: p.read_bytes().replace(b"{base}", base) for p in SAMPLES.glob("sitemap-*.xml")}
    xml = {"Content-Type": "application/xml"}
    for name, body in files.items():
        server.route("/" + name, Reply(200, body, xml))
    server.route("/landing/ecp", Reply(200, "<html><head><title>Госуслуги</title></head><body><h1>Электронная "
                                           "подпись в приложении Госключ</h1></body></html>".encode(), HTML))
    # a gzipped sitemap, and an index one of whose sitemaps fails
    import gzip

    server.route("/gz/sitemap.xml.gz", Reply(200, gzip.compress(files["sitemap-services.xml"]),
                                             {"Content-Type": "application/x-gzip"}))
    server.route("/broken-index.xml", Reply(200, files["sitemap-index.xml"].replace(
        b"/sitemap-services.xml", b"/missing.xml"), xml))
    app = crawl_app([
        {"name": "sitemap", "kind": "sitemap", "url": server.url("/sitemap-index.xml"),
         "settings": {"prefixes": ["/landing/", "/help/"]}},
        {"name": "sitemap-gz", "kind": "sitemap", "url": server.url("/gz/sitemap.xml.gz"),
         "settings": {"prefixes": ["/landing/"]}},
        {"name": "sitemap-broken", "kind": "sitemap", "url": server.url("/broken-index.xml")},
    ])
    rep = run_crawl(app)
    first = by_name(rep, "sitemap")
    assert (first.outcome, first.added) == ("ok", 0)
    assert by_name(rep, "sitemap-gz").outcome == "ok"
    broken = by_name(rep, "sitemap-broken")
    assert broken.outcome == "http_error"  # a failed sub-sitemap fails the crawl: no partial baseline
    gz_id, broken_id = source_row(app, "sitemap-gz").id, source_row(app, "sitemap-broken").id
    with session_scope(app.engine) as s:
        assert len(s.exec(select(SeenUrl).where(SeenUrl.source_id == gz_id)).all()) == 2
        assert s.exec(select(SeenUrl).where(SeenUrl.source_id == broken_id)).all() == []
    main_id = source_row(app, "sitemap").id
    with session_scope(app.engine) as s:
        seen = sorted(u.removeprefix(server.base)
                      for u in s.exec(select(SeenUrl.url).where(SeenUrl.source_id == main_id)).all())
    assert seen == ["/help/faq/health/1", "/landing/family", "/landing/passport", "/landing/pensions",
                    "/landing/transport"]  # nested index followed; /about/ outside the prefixes
    # a new landing page appears in the nested sitemap
    server.route("/sitemap-landings-2.xml", Reply(200, files["sitemap-landings-2.xml"].replace(
        b"</urlset>", b"<url><loc>" + base + b"/landing/ecp</loc></url></urlset>"), xml))
    second = by_name(run_crawl(app, "sitemap"), "sitemap")
    assert (second.outcome, second.added) == ("ok", 1)
    item = items_of(app, "sitemap")[0]
    assert item.title == "Электронная подпись в приложении Госключ" and item.is_new_service
    assert item.new_service_rule == "sitemap-new"
    third = by_name(run_crawl(app, "sitemap"), "sitemap")
    assert (third.outcome, third.added) == ("ok", 0)


def test_watched_page_boilerplate_changes_but_content_does_not(crawl_app: Any, server: LocalServer) -> None:
    template = (SAMPLES / "watched-page.html").read_text(encoding="utf-8")
    counter = {"n": 0, "extra": ""}

    def page(_: Request) -> Reply:
        counter["n"] += 1
        n = counter["n"]
        text = (template.replace("{token}", f"tok{n}").replace("{visitors}", str(100 + n))
                .replace("{clock}", f"10:0{n % 10}").replace("{banner}", f"баннер {n}")
                .replace("</ul>", counter["extra"] + "</ul>"))
        return Reply(200, text.encode(), HTML)

    server.route("/mfc/zapis", page)
    app = crawl_app([{"name": "mfc-page", "kind": "page", "url": server.url("/mfc/zapis"),
                      "settings": {"region": "main", "ignore": [".banner", ".counter"]}}])
    assert by_name(run_crawl(app), "mfc-page").added == 0  # baseline
    assert by_name(run_crawl(app), "mfc-page").added == 0  # only boilerplate changed
    counter["extra"] = "<li>Теперь можно записаться онлайн через Госуслуги.</li>"
    third = by_name(run_crawl(app), "mfc-page")
    assert (third.outcome, third.added) == ("ok", 1)
    item = items_of(app, "mfc-page")[0]
    assert item.kind == "page_change"
    assert item.diff_text == "+ Теперь можно записаться онлайн через Госуслуги."
    assert "Как записаться на приём в МФЦ" in item.title
    with session_scope(app.engine) as s:
        assert "Теперь можно записаться" in s.exec(select(PageState)).one().text
    assert counter["n"] == 3


def test_telegram_channel_preview(crawl_app: Any, server: LocalServer) -> None:
    body = (SAMPLES / "telegram-gosuslugi.html").read_bytes()
    older = body.replace(b"5121", b"5101").replace(b"5122", b"5102").replace(b"5123", b"5103").replace(
        b'href="/s/gosuslugi?before=5120"', b'href="/s/gosuslugi?before=5100"')
    server.route("/s/gosuslugi", Reply(200, body, HTML))
    server.route("/s/gosuslugi?before=5120", Reply(200, older, HTML))
    # a channel without a public preview: t.me shows a "join" page with no message blocks
    server.route("/s/closed", Reply(200, "<html><body><div class='tgme_page'><div class='tgme_page_title'>Канал"
                                         "</div><a class='tgme_action_button_new'>View in Telegram</a></div>"
                                         "</body></html>".encode(), HTML))
    app = crawl_app([{"name": "tg-gosuslugi", "kind": "telegram", "url": server.url("/gosuslugi"),
                      "topics": ["doctor"], "settings": {"max_pages": 2}},
                     {"name": "tg-closed", "kind": "telegram", "url": server.url("/s/closed")}])
    report = run_crawl(app)
    closed = by_name(report, "tg-closed")
    assert closed.outcome == "selector_error" and "tgme_widget_message" in closed.error
    rep = by_name(report, "tg-gosuslugi")
    assert (rep.outcome, rep.pages, rep.added) == ("ok", 2, 6)
    items = items_of(app, "tg-gosuslugi")
    first = next(i for i in items if i.guid == "tg:gosuslugi/5121")
    assert first.title == "Теперь можно записаться к врачу по полису ОМС из любого региона"
    assert first.url == "https://t.me/gosuslugi/5121"
    assert first.is_new_service and "doctor" in first.topic_ids()


def test_json_api_with_paging_and_date_window(crawl_app: Any, server: LocalServer, clock: Any) -> None:
    seen: list[str] = []

    def api(req: Request) -> Reply:
        seen.append(req.query)
        q = dict(p.split("=", 1) for p in req.query.split("&"))
        page = int(q["page"])
        items = [] if page > 2 else [
            {"code": f"news-{page}-{i}", "title": f"Новость {page}-{i}: теперь можно оплатить ЖКХ",
             "pubDate": "2026-11-20T10:00:00+03:00", "annotation": "<p>Оплата <b>онлайн</b></p>"}
            for i in range(3)]
        return Reply(200, json.dumps({"items": items, "total": 6}).encode(), {"Content-Type": "application/json"})

    server.route("/api/cms/v1/news", api)
    app = crawl_app([{"name": "gosuslugi-api", "kind": "json",
                      "url": server.url("/api/cms/v1/news?size=3&region=52000000000&personType=PERSON"),
                      "settings": {"items_path": "items", "page_param": "page", "max_pages": 5,
                                   "fields": {"title": "title", "date": "pubDate", "summary": "annotation",
                                              "id": "code"},
                                   "link_template": "https://www.gosuslugi.ru/news/{code}",
                                   "start_date_param": "startDate", "end_date_param": "endDate"}}])
    rep = by_name(run_crawl(app), "gosuslugi-api")
    assert (rep.outcome, rep.added, rep.pages) == ("ok", 6, 3)
    assert seen[0] == "size=3&region=52000000000&personType=PERSON&page=1&startDate=26.10.2026&endDate=25.11.2026"
    urls = sorted(i.url for i in items_of(app, "gosuslugi-api"))
    assert urls[0] == "https://www.gosuslugi.ru/news/news-1-0"


def test_source_added_at_run_time_with_bad_settings_is_a_settings_error(crawl_app: Any) -> None:
    """Sources added through the web or CLI skip config validation: the crawl checks them."""
    from ecitizen.storage import Source

    app = crawl_app([])
    with session_scope(app.engine) as s:
        s.add(Source(name="web-added", kind="catalog", url="https://example.org/", settings={"title": "a"},
                     origin="web"))
    rep = by_name(run_crawl(app), "web-added")
    assert rep.outcome == "settings_error" and "settings.entry: required key is missing" in rep.error
    assert source_row(app, "web-added").last_outcome == "settings_error"


def _crawl_process_start() -> float:
    """Seconds a crawl process takes to import what it runs (the runner's timeout counts them)."""
    t = time.monotonic()
    subprocess.run([sys.executable, "-P", "-c", "import ecitizen.crawler.run"], check=True)
    return time.monotonic() - t


@pytest.mark.slow
def test_killed_crawl_leaves_nothing_half_written_and_rerun_is_idempotent(
        crawl_app: Any, server: LocalServer, corpus: Path) -> None:
    server.route("/fast/", Reply(200, sfr_page(corpus, 1), HTML))
    server.route("/slow/", Reply(200, sfr_page(corpus, 2), HTML))
    slow = {"delay": 300.0}
    for path in ("/slow/press_center/news/~2026/08/19/124025", "/press_center/news/~2026/08/19/124025"):
        server.route(path, lambda r: Reply(200, b"<html><body><div class='t'>text</div></body></html>", HTML,
                                           delay=slow["delay"]))
    app = crawl_app([
        {"name": "fast", "kind": "listing", "url": server.url("/fast/"), "settings": SFR},
        {"name": "slow", "kind": "listing", "url": server.url("/slow/"),
         "settings": {**SFR, "fetch_item_page": True, "content": "div.t"}},
    ], crawler={"timeout": 120})
    # the runner SIGKILLs the crawl process when the time is up; its budget includes the process's
    # start (importing Scrapy and Twisted: 1 s on a quick machine, 8 s on a slow one), measured here
    rep = run_crawl(app, timeout=8 + 2 * _crawl_process_start())
    assert rep.exit_code == -9 and "остановлен" in rep.error
    assert by_name(rep, "fast").added == 2
    assert by_name(rep, "slow").outcome == "crawl_failed"
    assert items_of(app, "slow") == []  # none of the slow source's entries was stored
    assert source_row(app, "slow").last_outcome == "crawl_failed"

    slow["delay"] = 0.0
    again = run_crawl(app)
    assert by_name(again, "slow").added == 2 and by_name(again, "fast").added == 0
    assert by_name(again, "fast").unchanged == 2
    once_more = run_crawl(app)
    assert [s.added for s in once_more.sources] == [0, 0]
    assert len(items_of(app, "slow")) == 2 and len(items_of(app, "fast")) == 2
    assert source_row(app, "slow").consecutive_failures == 0


def test_private_network_targets_are_refused_unless_allowed(crawl_app: Any, server: LocalServer) -> None:
    server.route("/news/", Reply(200, b"<html><body><article><h3>x</h3></article></body></html>", HTML))
    app = crawl_app([{"name": "internal", "kind": "listing", "url": server.url("/news/"),
                      "settings": {"item": "article", "title": "h3"}}], http={"allow_private_targets": False})
    rep = by_name(run_crawl(app), "internal")
    assert rep.outcome == "unsafe_target" and "внутреннюю сеть" in rep.error
    assert server.log == []  # not even robots.txt was fetched


def test_retries_with_backoff(crawl_app: Any, server: LocalServer, corpus: Path) -> None:
    import time

    times: list[float] = []

    def flaky(_: Request) -> Reply:
        times.append(time.monotonic())
        if len(times) < 3:
            return Reply(503, b"busy", {"Content-Type": "text/plain"})
        return Reply(200, sfr_page(corpus, 1), HTML)

    server.route("/flaky/", flaky)
    app = crawl_app([{"name": "flaky", "kind": "listing", "url": server.url("/flaky/"), "settings": SFR}],
                    crawler={"retry_times": 2, "retry_backoff_seconds": 0.6})
    rep = by_name(run_crawl(app), "flaky")
    assert (rep.outcome, rep.added) == ("ok", 2)
    assert len(times) == 3
    assert times[1] - times[0] >= 0.55 and times[2] - times[1] >= 1.15  # 0.6 s, then 1.2 s
