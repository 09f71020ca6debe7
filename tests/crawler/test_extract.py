"""Extraction on responses built in memory from the saved real pages (tables of input → expected)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from ecitizen.crawler import extract as ex
from ecitizen.crawler.middlewares import CharsetMiddleware, detect_charset
from ecitizen.errors import ParseError, SelectorError
from ecitizen.source_settings import parse_source_settings

SAMPLES = Path(__file__).resolve().parents[2] / "crawler" / "samples"
MSK = ZoneInfo("Europe/Moscow")
OMSK = ZoneInfo("Asia/Omsk")
NOW = datetime(2026, 8, 20, 6, 0, tzinfo=UTC)


def response(url: str, body: bytes, headers: dict[str, str] | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers=headers or {"Content-Type": "text/html; charset=utf-8"},
                        request=Request(url))


LISTINGS = [
    (
        "sfr.gov.ru-news-2026-08.html", "https://sfr.gov.ru/press_center/news/",
        {"item": "article.re-news__article", "title": "h3.re-news__article-title",
         "link": "a.re-news__article-link::attr(href)", "date": "time.re-news__article-time::attr(datetime)",
         "summary": "p.re-news__article-description"},
        [("https://sfr.gov.ru/press_center/news/~2026/08/19/284025",
          "Соцфонд направил россиянам 4,7 миллиона уведомлений о положенных мерах поддержки",
          datetime(2026, 8, 19, 13, 36, 57, tzinfo=UTC)),
         ("https://sfr.gov.ru/press_center/news/~2026/08/18/283992",
          "Более 15 тысяч бойцов СВО прошли лечение в центрах Социального фонда",
          datetime(2026, 8, 18, 9, 17, 50, tzinfo=UTC))],
    ),
    (   # kremlin: the datetime holds a date only; the visible text has the time (Moscow)
        "kremlin.ru-2026-08.html", "http://www.kremlin.ru/acts/news",
        {"item": "div.hentry", "title": "span.entry-title", "link": "a[itemprop=url]::attr(href)",
         "date": ["time.published::text", "time.published::attr(datetime)"]},
        [("http://www.kremlin.ru/acts/news/80518", "Указ о награждении государственными наградами",
          datetime(2026, 8, 12, 13, 30, tzinfo=UTC))],
    ),
    (   # government.ru: +04:00 offset kept as given
        "government.ru-2026-08.html", "http://government.ru/docs/",
        {"item": "div.headline", "title": "span.headline_title_link", "link": "a.headline__link::attr(href)",
         "date": "time::attr(datetime)", "summary": "span.headline_lead"},
        [("http://government.ru/docs/59616/",
          "Правительство расширило перечень мероприятий, реализуемых в рамках государственной программы «Строительство»",
          datetime(2026, 8, 19, 6, 0, tzinfo=UTC))],
    ),
    (   # mintrud: Russian month text only
        "mintrud.gov.ru-2026-08.html", "https://mintrud.gov.ru/docs",
        {"item": "div.post-list", "title": "p.post-name", "link": "a.text-black", "date": "p.page-date"},
        [("https://mintrud.gov.ru/docs/2810",
          "Отчет о ходе реализации государственной программы Российской Федерации «Доступная среда» за 2025 год",
          datetime(2026, 7, 23, 21, 0, tzinfo=UTC)),
         ("https://mintrud.gov.ru/docs/mintrud/orders/3223", "Приказ Минтруда России № 312 от 24 июля 2026 г.",
          datetime(2026, 7, 23, 21, 0, tzinfo=UTC))],
    ),
    (   # pravo.gov.ru: XPath, DD.MM.YYYY beside a label, title spread over <br/>
        "pravo.gov.ru-2026-08.html", "http://publication.pravo.gov.ru/Documents/search?index=1",
        {"item": "div.documents-table-row", "title": "a.documents-item-name",
         "link": "a.documents-item-name::attr(href)",
         "date": "xpath:.//span[@class='info-name'][contains(., 'Дата опубликования')]/following-sibling::span/text()"},
        [("http://publication.pravo.gov.ru/document/0001202608190017",
          'Распоряжение Правительства Российской Федерации от 19.08.2026 № 2198-р "О Торговом представителе '
          'Российской Федерации в Турецкой Республике"',
          datetime(2026, 8, 18, 21, 0, tzinfo=UTC))],
    ),
]


@pytest.mark.parametrize(("fname", "url", "settings", "expected"), LISTINGS, ids=[x[0] for x in LISTINGS])
def test_listing_on_saved_pages(corpus: Path, fname: str, url: str, settings: dict, expected: list) -> None:
    s = parse_source_settings("listing", settings)
    resp = response(url, (corpus / "gov-pages" / fname).read_bytes())
    page = ex.extract_listing(resp.selector, resp.url, s, tz=MSK, now=NOW)
    got = [(e.url, e.title, e.published_at) for e in page.entries]
    assert got == expected
    if "summary" in settings:
        assert all(e.summary_html for e in page.entries)


def test_kremlin_2018_front_page_relative_and_full_dates(corpus: Path) -> None:
    s = parse_source_settings("listing", {
        "item": "div.hentry", "title": "h3 span[itemprop=name]", "link": "h3 a::attr(href)",
        "date": ["time::text", "time::attr(datetime)"]})
    resp = response("http://kremlin.ru/", (corpus / "gov-pages" / "kremlin.ru-2018-03.html").read_bytes())
    now = datetime(2018, 3, 17, 9, 0, tzinfo=UTC)
    page = ex.extract_listing(resp.selector, resp.url, s, tz=MSK, now=now)
    assert page.matched == 24
    assert len(page.entries) == 24
    assert all(e.published_at is not None for e in page.entries)
    first = {e.url: e for e in page.entries}["http://kremlin.ru/events/president/news/57071"]
    assert first.published_at == datetime(2018, 3, 15, 15, 0, tzinfo=UTC)  # "15 марта 2018 года, 18:00" MSK


def test_government_2018_headlines(corpus: Path) -> None:
    s = parse_source_settings("listing", {
        "item": "div.headline", "title": "span.headline_title_link", "link": "a.headline__link::attr(href)",
        "date": "time::attr(datetime)"})
    resp = response("http://government.ru/", (corpus / "gov-pages" / "government.ru-2018-03.html").read_bytes())
    page = ex.extract_listing(resp.selector, resp.url, s, tz=MSK, now=NOW)
    assert len(page.entries) >= 40
    assert all(e.url.startswith("http://government.ru/") for e in page.entries)
    dated = [e for e in page.entries if e.published_at]
    assert dated and all(e.published_at.utcoffset().total_seconds() == 4 * 3600 for e in dated)


def test_gosuslugi_spa_shell_has_no_news(corpus: Path) -> None:
    """A JS application shell: selectors find nothing → a selector error, not "no news"."""
    s = parse_source_settings("listing", {"item": "div.news-item", "title": "a"})
    resp = response("https://www.gosuslugi.ru/", (corpus / "gov-pages" / "gosuslugi.ru-2018-03.html").read_bytes())
    page = ex.extract_listing(resp.selector, resp.url, s, tz=MSK, now=NOW)
    assert page.matched == 0
    with pytest.raises(SelectorError, match="селектор не нашёл ни одной записи"):
        ex.require_matches(page.matched, len(page.entries))
    assert ex.find_script_redirect(resp.selector, resp.url) is None


@pytest.mark.parametrize(("html", "url", "expected"), [
    ('<script>top.location.replace("/ru/government.html")</script>', "http://omskportal.ru/",
     "http://omskportal.ru/ru/government.html"),
    ("<script>window.location.href = '/news/';</script>", "https://a.ru/", "https://a.ru/news/"),
    ('<meta http-equiv="refresh" content="0; url=/list.html">', "https://a.ru/", "https://a.ru/list.html"),
    ('<script>location.replace("https://evil.example/")</script>', "https://a.ru/", None),  # other host
    ('<script src="x.js"></script><p>нет</p>', "https://a.ru/", None),
])
def test_script_redirects(html: str, url: str, expected: str | None) -> None:
    assert ex.find_script_redirect(Selector(text=html), url) == expected


def test_omskportal_saved_page_redirects_to_government(corpus: Path) -> None:
    body = (corpus / "gov-pages" / "omskportal.ru-2018-03.approx.html").read_bytes()
    assert ex.find_script_redirect(response("http://omskportal.ru/", body).selector,
                                   "http://omskportal.ru/") == "http://omskportal.ru/ru/government.html"


def test_mos_ru_next_data_embedded_json(corpus: Path) -> None:
    payload = (corpus / "gov-pages" / "mos.ru-2026-08.json").read_text(encoding="utf-8")
    page = f'<html><body><div class="x_1a2b">…</div><script id="__NEXT_DATA__" type="application/json">{payload}</script></body></html>'
    s = parse_source_settings("json", {
        "embedded": "script#__NEXT_DATA__::text",
        "items_path": "props.pageProps.initialState.documentsList.data",
        "fields": {"title": "title", "date": "date_published", "id": "id"},
        "link_template": "https://www.mos.ru/authority/documents/doc/{id}/",
    })
    doc = ex.load_json_document(page, s)
    got = ex.extract_json(doc, "https://www.mos.ru/authority/documents/", s, tz=MSK, now=NOW)
    assert (got.records, got.rejected) == (2, ())
    assert [(e.url, e.title, e.published_at, e.guid) for e in got.entries] == [
        ("https://www.mos.ru/authority/documents/doc/58844220/",
         "Распоряжение № 64626 от 17.08.2026 «Об изъятии для государственных нужд объектов недвижимого имущества»",
         datetime(2026, 8, 19, 8, 47, tzinfo=UTC), "www.mos.ru:58844220"),
        ("https://www.mos.ru/authority/documents/doc/58844111/", "Без даты публикации", None, "www.mos.ru:58844111"),
    ]


@pytest.mark.parametrize(("doc", "path", "error"), [
    ({"items": []}, "data", SelectorError),
    ({"data": {"a": 1}}, "data", ParseError),
])
def test_json_mapping_errors(doc: dict, path: str, error: type) -> None:
    s = parse_source_settings("json", {"items_path": path, "fields": {"title": "t"}})
    with pytest.raises(error):
        ex.extract_json(doc, "https://x.ru/api", s, tz=MSK, now=NOW)


@pytest.mark.parametrize(("template", "record", "expected"), [
    ("https://www.gosuslugi.ru/news/{code}", {"code": "abc-1"}, ("https://www.gosuslugi.ru/news/abc-1", ())),
    ("/doc/{a.b}/", {"a": {"b": 7}}, ("/doc/7/", ())),
    ("/doc/{id.__class__}/", {"id": 1}, ("/doc//", ("id.__class__",))),  # no attribute access
    ("/doc/{missing}/", {}, ("/doc//", ("missing",))),
    ("/doc/{a}/{b}/{a}", {"a": "", "b": {"c": 1}}, ("/doc///", ("a", "b"))),  # empty / not a value
])
def test_fill_template(template: str, record: dict, expected: tuple[str, tuple[str, ...]]) -> None:
    assert ex.fill_template(template, record) == expected


def test_pravo_cp1251_without_charset_is_detected(corpus: Path) -> None:
    text = (corpus / "gov-pages" / "pravo.gov.ru-2026-08.html").read_text(encoding="utf-8")
    body = text.encode("cp1251")
    assert detect_charset(body) == "cp1251"
    assert detect_charset(text.encode("utf-8")) is None
    raw = HtmlResponse("http://publication.pravo.gov.ru/x", body=body, headers={"Content-Type": "text/html"})
    fixed = CharsetMiddleware().process_response(Request(raw.url), raw)
    assert "Распоряжение Правительства" in fixed.text
    assert fixed.encoding == "cp1251"
    # a declared charset is left alone
    declared = HtmlResponse(raw.url, body=body, headers={"Content-Type": "text/html; charset=windows-1251"})
    assert CharsetMiddleware().process_response(Request(raw.url), declared) is declared


def test_telegram_preview_markup() -> None:
    body = (SAMPLES / "telegram-gosuslugi.html").read_bytes()
    resp = response("https://t.me/s/gosuslugi", body)
    s = parse_source_settings("telegram", {})
    posts, matched, more = ex.extract_telegram(resp.selector, resp.url, s, tz=OMSK, now=NOW)
    assert matched == 3
    assert more == "https://t.me/s/gosuslugi?before=5120"
    assert [(p.guid, p.url, p.title, p.published_at) for p in posts] == [
        ("tg:gosuslugi/5121", "https://t.me/gosuslugi/5121",
         "Теперь можно записаться к врачу по полису ОМС из любого региона",
         datetime(2026, 11, 24, 9, 15, 2, tzinfo=UTC)),
        ("tg:gosuslugi/5122", "https://t.me/gosuslugi/5122",
         "Мошенники рассылают письма от имени Госуслуг. Никому не сообщайте код из СМС — даже «сотрудникам портала».",
         datetime(2026, 11, 24, 13, 40, 11, tzinfo=UTC)),
        ("tg:gosuslugi/5123", "https://t.me/gosuslugi/5123", "Публикация с фото или видео без текста",
         datetime(2026, 11, 25, 5, 2, 45, tzinfo=UTC)),
    ]
    assert "Услуга доступна на Госуслугах" in posts[0].summary_html


@pytest.mark.parametrize(("url", "expected"), [
    ("https://t.me/gosuslugi", "https://t.me/s/gosuslugi"),
    ("https://t.me/s/gosuslugi", "https://t.me/s/gosuslugi"),
    ("https://t.me/mincifry/123", "https://t.me/s/mincifry"),
])
def test_telegram_preview_url(url: str, expected: str) -> None:
    assert ex.telegram_preview_url(url) == expected


def test_catalog_sample() -> None:
    s = parse_source_settings("catalog", {"entry": "li.service-card", "id": "::attr(data-id)",
                                          "title": "a.service-card__link", "link": "a.service-card__link::attr(href)",
                                          "category": "span.service-card__category"})
    resp = response("https://www.gosuslugi.ru/category", (SAMPLES / "catalog-services.html").read_bytes())
    records, matched = ex.extract_catalog(resp.selector, resp.url, s)
    assert matched == 5
    assert records[0] == ex.CatalogRecord("10001", "Запись на приём к врачу", "https://www.gosuslugi.ru/10001/1/form",
                                          "Здоровье")


def K(key: str, title: str = "", removed: bool = False) -> ex.KnownEntry:
    return ex.KnownEntry(key, title or f"T{key}", f"https://x.ru/{key}", "", removed)


def R(key: str, title: str = "") -> ex.CatalogRecord:
    return ex.CatalogRecord(key, title or f"T{key}", f"https://x.ru/{key}")


@pytest.mark.parametrize(("known", "current", "expected"), [
    ([], [R("1"), R("2")], dict(baseline=True, new=["1", "2"], removed=[], renamed=[], returned=[])),
    ([K("1"), K("2")], [R("1"), R("2"), R("3")], dict(baseline=False, new=["3"], removed=[], renamed=[], returned=[])),
    ([K("1"), K("2"), K("3")], [R("1"), R("2")], dict(baseline=False, new=[], removed=["3"], renamed=[], returned=[])),
    ([K("1"), K("2")], [R("1", "Новое имя"), R("2")],
     dict(baseline=False, new=[], removed=[], renamed=["1"], returned=[])),
    ([K("1"), K("2", removed=True)], [R("1"), R("2")],
     dict(baseline=False, new=[], removed=[], renamed=[], returned=["2"])),
])
def test_diff_catalog(known: list, current: list, expected: dict) -> None:
    d = ex.diff_catalog(known, current, min_ratio=0.5)
    assert d.baseline == expected["baseline"]
    assert [r.key for r in d.new] == expected["new"]
    assert [k.key for k in d.removed] == expected["removed"]
    assert [old.key for old, _ in d.renamed] == expected["renamed"]
    assert [r.key for r in d.returned] == expected["returned"]


def test_diff_catalog_half_failed_crawl_is_a_failure_not_mass_removal() -> None:
    known = [K(str(i)) for i in range(10)]
    with pytest.raises(ParseError, match="3 записей из 10"):
        ex.diff_catalog(known, [R("1"), R("2"), R("3")], min_ratio=0.5)
    # exactly at the ratio is still accepted
    assert len(ex.diff_catalog(known, [R(str(i)) for i in range(5)], min_ratio=0.5).removed) == 5


def test_catalog_entries_kinds() -> None:
    d = ex.diff_catalog([K("1"), K("2")], [R("1", "Новое"), R("3")], min_ratio=0.5)
    entries = ex.catalog_entries(d, when=NOW)
    kinds = sorted((e.kind, e.new_service_rule or "") for e in entries)
    assert kinds == [("catalog_event", ""), ("catalog_event", ""), ("service", "catalog-new")]
    assert ex.catalog_entries(ex.diff_catalog([], [R("1")], min_ratio=0.5), when=NOW) == []


def _watched(token: str, visitors: int, clock: str, banner: str, extra: str = "") -> Selector:
    text = (SAMPLES / "watched-page.html").read_text(encoding="utf-8")
    text = text.replace("{token}", token).replace("{visitors}", str(visitors)).replace("{clock}", clock)
    text = text.replace("{banner}", banner).replace("</ul>", extra + "</ul>")
    return Selector(text=text)


def test_region_ignores_boilerplate_that_changes_on_every_load() -> None:
    s = parse_source_settings("page", {"region": "main", "ignore": [".banner", ".counter"]})
    a = ex.region_text(_watched("t1", 10, "10:00", "скидки"), s)
    b = ex.region_text(_watched("t2", 99, "10:05", "кредиты"), s)
    assert a == b
    assert "Как записаться на приём в МФЦ" in a and "Возьмите паспорт и СНИЛС." in a
    c = ex.region_text(_watched("t3", 5, "11:00", "x", "<li>Можно записаться через Госуслуги онлайн.</li>"), s)
    assert c != a
    diff = ex.readable_diff(a, c)
    assert diff == "+ Можно записаться через Госуслуги онлайн."
    entry = ex.page_change_entry("https://x.ru/p", "Запись", a, c, when=NOW)
    assert entry.kind == "page_change" and entry.diff_text == diff
    assert "Можно записаться через Госуслуги онлайн." in entry.title


def test_region_ignore_patterns_and_missing_region() -> None:
    s = parse_source_settings("page", {"region": "header", "ignore_patterns": [r"\d+"]})
    assert ex.region_text(_watched("a", 1, "10:00", ""), s) == ex.region_text(_watched("b", 2, "12:30", ""), s)
    with pytest.raises(SelectorError):
        ex.region_text(Selector(text="<p>x</p>"), parse_source_settings("page", {"region": "main"}))


def test_parse_sitemap() -> None:
    idx = ex.parse_sitemap((SAMPLES / "sitemap-index.xml").read_bytes().replace(b"{base}", b"https://a.ru"))
    assert idx.is_index and idx.locs == ("https://a.ru/sitemap-services.xml", "https://a.ru/sitemap-nested-index.xml")
    urls = ex.parse_sitemap((SAMPLES / "sitemap-services.xml").read_bytes().replace(b"{base}", b"https://a.ru"))
    assert not urls.is_index and len(urls.locs) == 4
    with pytest.raises(ParseError):
        ex.parse_sitemap(b"<html><body>not a sitemap</body></html>")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://a.ru/landing/x", True), ("https://a.ru/about/x", False), ("https://b.ru/landing/x", False),
])
def test_under_prefixes(url: str, expected: bool) -> None:
    assert ex.under_prefixes(url, ("/landing/", "/help/"), host="a.ru") is expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<meta property="og:title" content="OG"><h1>H</h1><title>T</title>', "OG"),
    ("<h1> Новая  услуга </h1><title>T</title>", "Новая услуга"),
    ("<title>Только title</title>", "Только title"),
])
def test_page_title(html: str, expected: str) -> None:
    assert ex.page_title(Selector(text=html)) == expected


@pytest.mark.parametrize("text", [
    "12 августа 2026 года, 16:30", "24 июля 2026", "1 января 2026 г.", "3 Марта 2026 в 09:05", "19 августа 2026",
    "31 февраля 2026", "12 авгу 2026", "сегодня, 14:30", "19.08.2026", "2026-08-12",
])
def test_fast_russian_dates_agree_with_the_core_parser(text: str) -> None:
    from ecitizen.dates import parse_date

    fast = ex.ru_month_date(text, MSK)
    assert fast is None or fast == parse_date(text, tz=MSK, now=NOW)
    assert ex.read_date(text, tz=MSK, now=NOW) == parse_date(text, tz=MSK, now=NOW)
