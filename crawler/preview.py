"""What a source's settings extract from one fetched page: the «Проверить» of the source form.

Owns: :func:`preview_entries` — the crawler's own extraction (:mod:`ecitizen.crawler.extract`,
the functions the spider calls, with the same first-page checks) applied to one body, returned
as plain :class:`Preview` data (titles, links, dates as read, the problem in the crawler's own
words) — and :func:`preview_url`, the address the crawler asks for first. Never a second
extractor: a selector that fails here fails the same way in the crawl.

Pure: no network, no database, no Scrapy engine. The caller fetches (the web form through
``ecitizen.fetch.fetch_configured``, which refuses private-network targets) and passes the bytes.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from cssselect import SelectorError as CssSelectorError
from lxml.etree import XPathError
from parsel import Selector

from ecitizen.crawler import extract as ex
from ecitizen.errors import ParseError, SelectorError, SourceError
from ecitizen.pipeline import EntryData
from ecitizen.source_settings import (
    AnySettings,
    CatalogSettings,
    JsonSettings,
    ListingSettings,
    PageSettings,
    SitemapSettings,
    TelegramSettings,
)
from ecitizen.textcodec import decode_html
from ecitizen.urls import display_url

#: the entries a preview lists at most (the count of all is in ``Preview.found``)
SHOWN = 30
#: the text of a watched region shown at most
TEXT_SHOWN = 6000
#: a gzip-compressed sitemap is unpacked up to this size
MAX_UNPACKED = 20_000_000


@dataclass(frozen=True)
class PreviewEntry:
    """One entry as the crawler would read it."""

    title: str
    url: str
    #: the date read (in the site's timezone); None when no date selector value read as a date
    published_at: datetime | None = None
    #: the catalogue section, the start of the summary, or what the entry is (a nested sitemap)
    note: str = ""


@dataclass(frozen=True)
class Preview:
    kind: str
    #: the address the entries were read from
    url: str
    entries: tuple[PreviewEntry, ...] = ()
    #: how many entries the page gave (``entries`` holds the first :data:`SHOWN`)
    found: int = 0
    #: how many elements the main selector matched (item, entry, message block, records, addresses)
    matched: int = 0
    #: why nothing usable was found, in the crawler's own words (None: the settings work)
    problem: str | None = None
    #: the setting the problem names (``item``, ``title``, ``region``, ``items_path``…), if any
    field: str | None = None
    #: the problem is a selector that cannot be read at all (not one that found nothing)
    bad_selector: bool = False
    #: things to know: dates not read, records refused, links shared, pages not fetched by a preview
    notes: tuple[str, ...] = ()
    #: a watched page: the region's text as compared between crawls
    text: str = ""
    #: the page only redirects by script here; the crawler follows it (fetch it and preview again)
    follow: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.follow is None


def preview_url(kind: str, url: str, settings: AnySettings, *, now: datetime, tz: tzinfo) -> str:
    """The first address the crawler requests for a source (a Telegram channel's preview page, a
    JSON API with its page and date parameters)."""
    if kind == "telegram":
        return ex.telegram_preview_url(url)
    if kind == "json" and isinstance(settings, JsonSettings):
        return ex.json_page_url(url, settings, settings.start_page, now=now, tz=tz)
    return url


def _entry(e: EntryData, note: str = "") -> PreviewEntry:
    return PreviewEntry(e.title, e.url, e.published_at, note)


def _summary(e: EntryData) -> str:
    from ecitizen.html import html_to_text

    text = html_to_text(e.summary_html) if e.summary_html else ""
    return text[:200] + ("…" if len(text) > 200 else "")


def _date_notes(entries: list[EntryData], selectors: tuple[str, ...]) -> list[str]:
    if not entries or not selectors:
        return []
    missing = sum(1 for e in entries if e.published_at is None)
    if missing == len(entries):
        return ["Дата не прочитана ни у одной записи: проверьте селектор даты (при обходе датой станет время "
                "обнаружения)."]
    if missing:
        return [f"Дата не прочитана у {missing} из {len(entries)} записей."]
    return []


def _selector(body: bytes, url: str, charset: str | None) -> Selector:
    return Selector(text=decode_html(body, charset).text, base_url=url)


def _listing(sel: Selector, url: str, s: ListingSettings, *, tz: tzinfo, now: datetime,
             follow: bool) -> Preview:
    page = ex.extract_listing(sel, url, s, tz=tz, now=now)
    if page.matched == 0 and s.follow_js_redirect and follow:
        target = ex.find_script_redirect(sel, url)
        if target:
            return Preview("listing", url, follow=target,
                           notes=(f"Страница сразу перенаправляет на {display_url(target)}: обход читает её.",))
    ex.require_matches(page.matched, len(page.entries))
    entries = list(page.entries)
    notes = _date_notes(entries, s.date)
    if page.next_url:
        notes.append(f"Следующая страница найдена: {display_url(page.next_url)} (при проверке не открывается).")
    elif s.next_page:
        notes.append("Ссылка «следующая страница» на этой странице не найдена.")
    if s.pages is not None and s.max_pages > 1:
        [second] = ex.page_urls(url, s.pages.template, s.pages.start, 1)
        notes.append(f"Вторая страница списка: {display_url(second)} (при проверке не открывается).")
    if s.fetch_item_page and s.content:
        notes.append("При обходе полный текст каждой новости берётся с её страницы (при проверке не открывается).")
    return Preview("listing", url, tuple(_entry(e, _summary(e)) for e in entries[:SHOWN]), len(entries),
                   page.matched, notes=tuple(notes))


def _catalog(sel: Selector, url: str, s: CatalogSettings) -> Preview:
    records, matched = ex.extract_catalog(sel, url, s)
    ex.require_matches(matched, len(records), "entry")
    unique = {r.key: r for r in records}
    notes = []
    if len(unique) < len(records):
        notes.append(f"{len(records) - len(unique)} записей повторяют код другой записи: "
                     "в каталоге они считаются одной.")
    if s.next_page:
        nxt = ex.field_link(sel, s.next_page)
        notes.append(f"Следующая страница: {display_url(nxt)} (при проверке не открывается)." if nxt
                     else "Ссылка «следующая страница» на этой странице не найдена.")
    entries = tuple(PreviewEntry(r.title, r.url, None, r.category) for r in records[:SHOWN])
    return Preview("catalog", url, entries, len(records), matched, notes=tuple(notes))


def _telegram(sel: Selector, url: str, s: TelegramSettings, *, tz: tzinfo, now: datetime) -> Preview:
    posts, matched, _more = ex.extract_telegram(sel, url, s, tz=tz, now=now)
    if matched == 0:
        raise SelectorError(f"{ex.NO_MATCH} (div.tgme_widget_message)")
    return Preview("telegram", url, tuple(_entry(p) for p in posts[:SHOWN]), len(posts), matched)


def _json(body: bytes, url: str, s: JsonSettings, charset: str | None, *, tz: tzinfo, now: datetime) -> Preview:
    text = decode_html(body, charset).text
    doc = ex.load_json_document(text, s)
    page = ex.extract_json(doc, url, s, tz=tz, now=now)
    ex.require_json_links(page)
    entries = list(page.entries)
    notes = _date_notes(entries, (s.fields.date,) if s.fields.date else ())
    if page.rejected:
        notes.append(f"Не приняты {len(page.rejected)} записей, например {page.rejected[0]}.")
    shared = ex.shared_link_warning(entries, base_url=url)
    if shared:
        notes.append(shared[:1].upper() + shared[1:] + ".")
    return Preview("json", url, tuple(_entry(e, _summary(e)) for e in entries[:SHOWN]), len(entries),
                   page.records, notes=tuple(notes))


def _unpacked(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, MAX_UNPACKED)
    except zlib.error as exc:
        raise ParseError(f"архив карты сайта не распакован: {exc}") from exc


def _sitemap(body: bytes, url: str, s: SitemapSettings) -> Preview:
    doc = ex.parse_sitemap(_unpacked(body))
    if doc.is_index:
        entries = tuple(PreviewEntry(display_url(loc), loc, None, "вложенная карта сайта") for loc in doc.locs[:SHOWN])
        return Preview("sitemap", url, entries, len(doc.locs), len(doc.locs), notes=(
            f"Это указатель: в нём {len(doc.locs)} вложенных карт. При обходе они будут прочитаны "
            f"(до глубины {s.max_depth}); при проверке — только указатель.",))
    host = urlsplit(url).netloc
    wanted = [loc for loc in doc.locs if ex.under_prefixes(loc, s.prefixes, host=host)]
    if doc.locs and not wanted:
        raise SelectorError(f"ни один из {len(doc.locs)} адресов карты не начинается с указанных разделов "
                          f"({', '.join(s.prefixes)}) на {host}")
    notes = [f"В карте {len(doc.locs)} адресов, в указанных разделах — {len(wanted)}. Новостями станут только "
             "адреса, которых не было при прошлом обходе (первый обход запоминает их молча)."]
    entries = tuple(PreviewEntry(display_url(loc), loc) for loc in wanted[:SHOWN])
    return Preview("sitemap", url, entries, len(wanted), len(doc.locs), notes=tuple(notes))


def _page(sel: Selector, url: str, s: PageSettings) -> Preview:
    text = ex.region_text(sel, s)
    title = ex.field_text(sel, s.title) if s.title else ex.page_title(sel)
    lines = text.count("\n") + 1 if text else 0
    shown = text[:TEXT_SHOWN] + ("\n…" if len(text) > TEXT_SHOWN else "")
    notes = ("При первом обходе этот текст запоминается; запись в очереди появится, когда он изменится "
             "(с тем, что добавлено и удалено).",)
    if not text:
        notes = ("Выбранная часть страницы пуста: следить не за чем. Проверьте селектор части страницы.",)
    return Preview("page", url, (PreviewEntry(title or display_url(url), url),), 1, lines, notes=notes, text=shown)


_NAMED = re.compile(r"селектор\s+([a-z_]+)|(items_path|link_template|prefixes)")


def _field_of(message: str, settings: AnySettings) -> str | None:
    """The setting a crawler message names («селектор item», «items_path»), if it is one of ``settings``."""
    if "разделов" in message:
        return "prefixes"
    for m in _NAMED.finditer(message):
        name = m.group(1) or m.group(2)
        if name in type(settings).model_fields:
            return name
    return None


def _wrong_selector(settings: AnySettings, sel: Selector | None) -> str | None:
    """The first selector setting that does not compile (None when none can be found)."""
    probe = sel if sel is not None else Selector(text="<html></html>")
    for name, value in settings:
        for expr in (value if isinstance(value, tuple) else (value,)):
            if not isinstance(expr, str) or name in ("link_template", "items_path", "date_param_format"):
                continue
            try:
                ex.select(probe, expr)
            except (CssSelectorError, XPathError, ValueError):
                return name
    return None


def preview_entries(kind: str, settings: AnySettings, body: bytes, url: str, *, charset: str | None = None,
                    tz: tzinfo, now: datetime, follow_redirect: bool = True) -> Preview:
    """What ``settings`` of a ``kind`` source extract from ``body`` (fetched from ``url``; the
    header's ``charset`` if any), exactly as the crawler reads a first page. A selector that finds
    nothing, a body that is not what the kind expects or a selector written wrongly is the
    preview's ``problem`` (Russian), never an exception."""
    sel: Selector | None = None
    try:
        if kind == "listing" and isinstance(settings, ListingSettings):
            sel = _selector(body, url, charset)
            return _listing(sel, url, settings, tz=tz, now=now, follow=follow_redirect)
        if kind == "catalog" and isinstance(settings, CatalogSettings):
            sel = _selector(body, url, charset)
            return _catalog(sel, url, settings)
        if kind == "telegram" and isinstance(settings, TelegramSettings):
            sel = _selector(body, url, charset)
            return _telegram(sel, url, settings, tz=tz, now=now)
        if kind == "json" and isinstance(settings, JsonSettings):
            return _json(body, url, settings, charset, tz=tz, now=now)
        if kind == "sitemap" and isinstance(settings, SitemapSettings):
            return _sitemap(body, url, settings)
        if kind == "page" and isinstance(settings, PageSettings):
            sel = _selector(body, url, charset)
            return _page(sel, url, settings)
    except SourceError as exc:
        return Preview(kind, url, problem=str(exc), field=_field_of(str(exc), settings))
    except (CssSelectorError, XPathError, ValueError) as exc:
        return Preview(kind, url, problem=f"селектор записан с ошибкой: {exc}", field=_wrong_selector(settings, sel),
                       bad_selector=True)
    raise ValueError(f"settings of another kind for {kind!r}: {type(settings).__name__}")
