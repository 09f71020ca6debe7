"""«Проверить» of the source form: the crawler's own extraction over one page (``crawler.preview_entries``).

Table-driven over the sample pages of every crawler kind; the problems are the crawler's own words,
and the entries are exactly what the crawler's extraction gives for the same page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecitizen.crawler import preview_entries, preview_url
from ecitizen.source_settings import parse_source_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "crawler" / "samples"
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "gov-pages"
OMSK = ZoneInfo("Asia/Omsk")
MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
SFR = {"item": "article.re-news__article", "title": "h3.re-news__article-title",
       "link": "a.re-news__article-link::attr(href)", "date": ["time.re-news__article-time::attr(datetime)"],
       "summary": "p.re-news__article-description"}


def body_of(path: Path, base: str = "https://www.gosuslugi.ru") -> bytes:
    return path.read_bytes().replace(b"{base}", base.encode())


@pytest.mark.parametrize(
    ("kind", "settings", "page", "url", "found", "first_title"),
    [
        ("listing", SFR, CORPUS / "sfr.gov.ru-news-2026-08.html", "https://sfr.gov.ru/press_center/news/", 2,
         "Соцфонд направил россиянам 4,7 миллиона уведомлений о положенных мерах поддержки"),
        ("catalog", {"entry": "li.service-card", "id": "::attr(data-id)", "title": "a.service-card__link",
                     "link": "a.service-card__link::attr(href)", "category": "span.service-card__category"},
         SAMPLES / "catalog-services.html", "https://www.gosuslugi.ru/category", None, "Запись на приём к врачу"),
        ("telegram", {}, SAMPLES / "telegram-gosuslugi.html", "https://t.me/s/gosuslugi", None, None),
        ("sitemap", {"prefixes": ["/landing/", "/help/"]}, SAMPLES / "sitemap-services.xml",
         "https://www.gosuslugi.ru/sitemap-services.xml", 3, "https://www.gosuslugi.ru/landing/pensions"),
        ("page", {"region": "main", "ignore": [".banner", ".counter"]}, SAMPLES / "watched-page.html",
         "https://www.gosuslugi.ru/help/faq/login/2", 1, None),
        ("json", {"items_path": "props.pageProps.initialState.documentsList.data",
                  "fields": {"title": "title", "date": "date_published", "id": "id"},
                  "link_template": "https://www.mos.ru/authority/documents/doc/{id}/"},
         CORPUS / "mos.ru-2026-08.json", "https://www.mos.ru/authority/documents/", None, None),
    ],
)
def test_every_kind_previews_what_the_crawler_reads(kind: str, settings: dict[str, Any], page: Path, url: str,
                                                    found: int | None, first_title: str | None) -> None:
    s = parse_source_settings(kind, settings)
    p = preview_entries(kind, s, body_of(page), url, tz=MOSCOW, now=NOW)
    assert p.ok and p.problem is None, p.problem
    assert p.entries and all(e.title for e in p.entries)
    if found is not None:
        assert p.found == found
    if first_title is not None:
        assert p.entries[0].title == first_title


def test_listing_preview_is_the_crawlers_extraction() -> None:
    """Never a second extractor: the preview's entries are ``extract_listing``'s, field for field."""
    from parsel import Selector

    from ecitizen.crawler import extract as ex  # the crawler's own module, for the comparison only

    s = parse_source_settings("listing", SFR)
    body = (CORPUS / "sfr.gov.ru-news-2026-08.html").read_bytes()
    url = "https://sfr.gov.ru/press_center/news/"
    crawled = ex.extract_listing(Selector(text=body.decode()), url, s, tz=MOSCOW, now=NOW).entries
    shown = preview_entries("listing", s, body, url, tz=MOSCOW, now=NOW).entries
    assert [(e.title, e.url, e.published_at) for e in shown] == [(e.title, e.url, e.published_at) for e in crawled]
    assert shown[0].published_at == datetime(2026, 8, 19, 16, 36, 57, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("kind", "settings", "page", "problem", "field"),
    [
        ("listing", {**SFR, "item": "div.news-item"}, CORPUS / "sfr.gov.ru-news-2026-08.html",
         "селектор не нашёл ни одной записи (селектор item)", "item"),
        ("listing", {**SFR, "title": "h4.nothing"}, CORPUS / "sfr.gov.ru-news-2026-08.html",
         "записи найдены, но без заголовков", "title"),
        ("listing", {**SFR, "item": "article["}, CORPUS / "sfr.gov.ru-news-2026-08.html",
         "селектор записан с ошибкой", "item"),
        ("catalog", {"entry": "li.card", "title": "a"}, SAMPLES / "catalog-services.html",
         "селектор не нашёл ни одной записи (селектор entry)", "entry"),
        ("page", {"region": "section.rules"}, SAMPLES / "watched-page.html",
         "селектор не нашёл ни одной записи (селектор region)", "region"),
        ("telegram", {}, CORPUS / "sfr.gov.ru-news-2026-08.html", "селектор не нашёл ни одной записи", None),
        ("sitemap", {"prefixes": ["/news/"]}, SAMPLES / "sitemap-services.xml",
         "ни один из 4 адресов карты не начинается с указанных разделов", "prefixes"),
        ("sitemap", {}, CORPUS / "sfr.gov.ru-news-2026-08.html", "карт", None),
        ("json", {"items_path": "items", "fields": {"title": "title"}}, CORPUS / "mos.ru-2026-08.json",
         "путь items_path 'items' не найден", "items_path"),
        ("json", {"fields": {"title": "title"}}, CORPUS / "sfr.gov.ru-news-2026-08.html", "не является JSON", None),
    ],
)
def test_problems_are_the_crawlers_own_words(kind: str, settings: dict[str, Any], page: Path, problem: str,
                                             field: str | None) -> None:
    s = parse_source_settings(kind, settings)
    p = preview_entries(kind, s, body_of(page), "https://www.gosuslugi.ru/x", tz=OMSK, now=NOW)
    assert not p.ok and p.problem is not None and problem in p.problem, p.problem
    assert p.field == field
    assert not p.entries


def test_a_script_redirect_is_followed_like_the_crawler_does() -> None:
    s = parse_source_settings("listing", {"item": "div.news-item", "title": "a"})
    body = (CORPUS / "omskportal.ru-2018-03.approx.html").read_bytes()
    p = preview_entries("listing", s, body, "http://omskportal.ru/", tz=OMSK, now=NOW)
    assert p.follow == "http://omskportal.ru/ru/government.html" and not p.ok
    again = preview_entries("listing", s, body, "http://omskportal.ru/", tz=OMSK, now=NOW, follow_redirect=False)
    assert again.follow is None and again.problem is not None


def test_dates_that_do_not_read_are_said() -> None:
    s = parse_source_settings("listing", {**SFR, "date": ["span.no-such-date"]})
    p = preview_entries("listing", s, (CORPUS / "sfr.gov.ru-news-2026-08.html").read_bytes(),
                        "https://sfr.gov.ru/press_center/news/", tz=MOSCOW, now=NOW)
    assert p.ok and all(e.published_at is None for e in p.entries)
    assert any("Дата не прочитана ни у одной записи" in n for n in p.notes)


@pytest.mark.parametrize(
    ("kind", "url", "settings", "expected"),
    [
        ("telegram", "https://t.me/gosuslugi", {}, "https://t.me/s/gosuslugi"),
        ("json", "https://www.gosuslugi.ru/api/cms/v1/news?size=100", {
            "fields": {"title": "title"}, "page_param": "page", "start_date_param": "startDate",
            "end_date_param": "endDate", "window_days": 30},
         "https://www.gosuslugi.ru/api/cms/v1/news?size=100&page=1&startDate=26.10.2026&endDate=25.11.2026"),
        ("listing", "https://sfr.gov.ru/news/", {"item": "a", "title": "a"}, "https://sfr.gov.ru/news/"),
    ],
)
def test_the_first_address_is_the_crawlers(kind: str, url: str, settings: dict[str, Any], expected: str) -> None:
    assert preview_url(kind, url, parse_source_settings(kind, settings), now=NOW, tz=OMSK) == expected


def test_config_ships_a_source_of_every_kind_whose_settings_read_a_sample() -> None:
    """config.yaml has a real source of every kind; the catalogue and page ones read the sample pages."""
    from ecitizen.config import load_config
    from ecitizen.source_settings import SOURCE_KINDS

    config = load_config(str(ROOT / "config.yaml"))
    by_kind = {s.kind: s for s in config.sources}
    assert set(by_kind) == set(SOURCE_KINDS)
    for kind, sample in (("catalog", "catalog-services.html"), ("page", "watched-page.html")):
        src = by_kind[kind]
        assert src.url.startswith("https://www.gosuslugi.ru/")
        p = preview_entries(kind, parse_source_settings(kind, dict(src.settings)), body_of(SAMPLES / sample),
                            src.url, tz=MOSCOW, now=NOW)
        assert p.ok and p.entries, (kind, p.problem)
