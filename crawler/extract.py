"""Extraction: pure functions from a page (a parsel ``Selector`` + its URL) to plain data.

Owns: applying the declared selectors of each source kind (listing, catalogue, page region,
sitemap, JSON mapping, Telegram preview), reading dates in the site's timezone, following a
script redirect, and the readable diff of a watched region. Spiders only orchestrate; everything
here is tested with tables of (input, expected) over responses built in memory.

Must not import: Scrapy's engine, the database, or the network. (``parsel`` is Scrapy's selector
library; ``scrapy.utils.sitemap`` is a pure parser.)
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector, SelectorList

from ecitizen.dates import MONTHS_GENITIVE, MONTHS_NOMINATIVE, parse_date
from ecitizen.errors import ParseError, SelectorError
from ecitizen.html import clean_text
from ecitizen.pipeline import EntryData
from ecitizen.russian import plural
from ecitizen.source_settings import (
    LINK_PLACEHOLDER,
    CatalogSettings,
    JsonFields,
    JsonSettings,
    ListingSettings,
    PageSettings,
    TelegramSettings,
)
from ecitizen.urls import canonical_url, display_url

NO_MATCH = "селектор не нашёл ни одной записи"

_PSEUDO = re.compile(r"::(text|attr\([^)]*\))\s*$")


# -- selectors ---------------------------------------------------------------------------------


def _is_xpath(expr: str) -> bool:
    return expr.startswith(("xpath:", "/", "./", "("))


def select(sel: Selector | SelectorList[Selector], expr: str) -> SelectorList[Selector]:
    """Apply a declared selector (CSS by default, XPath with ``xpath:`` or a leading ``/``)."""
    if _is_xpath(expr):
        return sel.xpath(expr.removeprefix("xpath:"))
    return sel.css(expr)


def _is_value_selector(expr: str) -> bool:
    if _is_xpath(expr):
        return bool(re.search(r"(/@[\w-]+|text\(\)|string\()\s*\)?\s*$", expr))
    return bool(_PSEUDO.search(expr))


def field_text(sel: Selector, expr: str | None) -> str:
    """The text a field selector points at: ``::text``/``::attr`` values joined, or the whole text
    of the first matched element."""
    if not expr:
        return ""
    found = select(sel, expr)
    if not found:
        return ""
    if _is_value_selector(expr):
        return clean_text(" ".join(v for v in found.getall() if v))
    return clean_text(found[0].xpath("string()").get() or "")


def field_link(sel: Selector, expr: str | None) -> str:
    """A link: an ``::attr`` value, or the ``href`` of the matched element (or of its first ``a``)."""
    if not expr:
        return ""
    found = select(sel, expr)
    if not found:
        return ""
    if _is_value_selector(expr):
        return (found.get() or "").strip()
    first = found[0]
    href = first.attrib.get("href") or first.css("a::attr(href)").get() or ""
    return href.strip()


def field_html(sel: Selector, expr: str | None) -> str:
    """HTML of a summary/content field (values selected with ``::text`` are escaped)."""
    if not expr:
        return ""
    found = select(sel, expr)
    if not found:
        return ""
    if _is_value_selector(expr):
        return html.escape(" ".join(v.strip() for v in found.getall() if v.strip()))
    return "".join(found.getall())


_MONTHS = {m: i for i, m in enumerate(MONTHS_GENITIVE, 1)} | {m: i for i, m in enumerate(MONTHS_NOMINATIVE, 1)}
_RU_DATE = re.compile(
    r"^(\d{1,2})\s+([а-яё]+)\s+(\d{4})(?:\s*(?:года|г\.?))?(?:\s*,?\s*(?:в\s+)?(\d{1,2}):(\d{2}))?$", re.I)


def ru_month_date(text: str, tz: tzinfo) -> datetime | None:
    """Fast path for the commonest list-page form, «12 августа 2026 года, 16:30» / «24 июля 2026».

    Anything else returns None and goes to :func:`ecitizen.dates.parse_date` (dateparser, ~5 ms).
    """
    m = _RU_DATE.match(text.strip())
    if not m:
        return None
    month = _MONTHS.get(m.group(2).lower().replace("ё", "е"))
    if month is None:
        return None
    try:
        return datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4) or 0), int(m.group(5) or 0),
                        tzinfo=tz)
    except ValueError:
        return None


def read_date(value: str, *, tz: tzinfo, now: datetime) -> datetime | None:
    if not value:
        return None
    return ru_month_date(value, tz) or parse_date(value, tz=tz, now=now)


def field_date(sel: Selector, exprs: Sequence[str], *, tz: tzinfo, now: datetime) -> datetime | None:
    """The first of ``exprs`` whose value parses as a date (Russian forms, ISO, ``DD.MM.YYYY``)."""
    for expr in exprs:
        dt = read_date(field_text(sel, expr), tz=tz, now=now)
        if dt is not None:
            return dt
    return None


# -- listing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingPage:
    entries: tuple[EntryData, ...]
    next_url: str | None
    #: how many elements the item selector matched (0 means the selectors no longer fit)
    matched: int


def extract_listing(sel: Selector, url: str, settings: ListingSettings,
                    *, tz: tzinfo, now: datetime) -> ListingPage:
    """Entries of one list page. Items without a title are skipped; links are made absolute."""
    items = select(sel, settings.item)
    entries: list[EntryData] = []
    for it in items:
        title = field_text(it, settings.title)
        link = field_link(it, settings.link)
        if not title:
            continue
        entries.append(
            EntryData(
                url=urljoin(url, link) if link else "",
                title=title,
                summary_html=field_html(it, settings.summary),
                published_at=field_date(it, settings.date, tz=tz, now=now),
            )
        )
    nxt = field_link(sel, settings.next_page) if settings.next_page else ""
    next_url = urljoin(url, nxt) if nxt else None
    if next_url == url:
        next_url = None
    return ListingPage(tuple(entries), next_url, len(items))


def require_matches(page_matched: int, entries: int, what: str = "item") -> None:
    """Raise :class:`SelectorError` when a first page yields nothing usable."""
    if page_matched == 0:
        raise SelectorError(f"{NO_MATCH} (селектор {what})")
    if entries == 0:
        raise SelectorError(f"{NO_MATCH} (записи найдены, но без заголовков — проверьте селектор title)")


_JS_REDIRECT = re.compile(
    r"""(?:top|window|document|self)?\.?location(?:\.href)?\s*(?:\.replace\(|\.assign\(|=)\s*['"]([^'"]+)['"]""",
)


def find_script_redirect(sel: Selector, url: str) -> str | None:
    """The target of a script (``top.location.replace("/ru/government.html")``) or meta-refresh
    redirect on the same host, else ``None``."""
    target = None
    for content in sel.css("meta[http-equiv]"):
        if (content.attrib.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", content.attrib.get("content") or "", re.I)
            if m:
                target = m.group(1).strip()
                break
    if target is None:
        for script in sel.css("script:not([src])::text").getall():
            m = _JS_REDIRECT.search(script)
            if m:
                target = m.group(1).strip()
                break
    if not target:
        return None
    absolute: str = urljoin(url, str(target))
    if urlsplit(absolute).netloc != urlsplit(url).netloc or absolute == url:
        return None
    return absolute


def page_urls(url: str, template: str, start: int, count: int) -> list[str]:
    """The numbered list pages ``start .. start+count-1`` built from ``template``."""
    return [urljoin(url, template.replace("{n}", str(n))) for n in range(start, start + count)]


# -- item page, page titles ----------------------------------------------------------------------


def page_title(sel: Selector) -> str:
    """A page's own title: ``og:title``, else the first ``h1``, else ``<title>``."""
    for expr in ('meta[property="og:title"]::attr(content)', "h1", "title"):
        value = field_text(sel, expr)
        if value:
            return value
    return ""


# -- catalogue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogRecord:
    key: str
    title: str
    url: str
    category: str = ""


def extract_catalog(sel: Selector, url: str, settings: CatalogSettings) -> tuple[list[CatalogRecord], int]:
    """Catalogue entries of one page and how many elements the entry selector matched."""
    found = select(sel, settings.entry)
    out: list[CatalogRecord] = []
    for e in found:
        title = field_text(e, settings.title)
        link = field_link(e, settings.link)
        absolute = urljoin(url, link) if link else ""
        key = field_text(e, settings.id) if settings.id else ""
        if not key and absolute:
            key = canonical_url(absolute)
        if not title or not key:
            continue
        out.append(CatalogRecord(key[:500], title, absolute or url, field_text(e, settings.category)))
    return out, len(found)


@dataclass(frozen=True)
class KnownEntry:
    key: str
    title: str
    url: str
    category: str
    removed: bool


@dataclass(frozen=True)
class CatalogDiff:
    baseline: bool
    new: tuple[CatalogRecord, ...] = ()
    removed: tuple[KnownEntry, ...] = ()
    renamed: tuple[tuple[KnownEntry, CatalogRecord], ...] = ()
    returned: tuple[CatalogRecord, ...] = ()


def diff_catalog(known: Sequence[KnownEntry], current: Sequence[CatalogRecord], *, min_ratio: float) -> CatalogDiff:
    """Compare a catalogue crawl with what is stored. Pure.

    The first crawl (nothing known) is a silent baseline. A crawl that returns fewer entries than
    ``min_ratio`` × the entries currently listed is a failure (:class:`ParseError`), never a mass
    removal.
    """
    current_by_key: dict[str, CatalogRecord] = {}
    for rec in current:
        current_by_key.setdefault(rec.key, rec)
    if not known:
        return CatalogDiff(baseline=True, new=tuple(current_by_key.values()))
    active = [k for k in known if not k.removed]
    if active and len(current_by_key) < min_ratio * len(active):
        raise ParseError(
            f"каталог вернул {len(current_by_key)} записей из {len(active)} известных "
            f"(меньше {min_ratio:.0%}): обход считается неудачным, удаления не записаны"
        )
    known_by_key = {k.key: k for k in known}
    new: list[CatalogRecord] = []
    renamed: list[tuple[KnownEntry, CatalogRecord]] = []
    returned: list[CatalogRecord] = []
    for key, rec in current_by_key.items():
        old = known_by_key.get(key)
        if old is None:
            new.append(rec)
        elif old.removed:
            returned.append(rec)
        elif clean_text(old.title) != clean_text(rec.title):
            renamed.append((old, rec))
    removed = tuple(k for k in active if k.key not in current_by_key)
    return CatalogDiff(False, tuple(new), removed, tuple(renamed), tuple(returned))


def catalog_entries(diff: CatalogDiff, *, when: datetime) -> list[EntryData]:
    """Items for a catalogue diff: new services, and removed/renamed events. Pure."""
    if diff.baseline:
        return []
    day = when.date().isoformat()
    out: list[EntryData] = []
    for rec in diff.new:
        summary = f"<p>Новая услуга в каталоге{': ' + html.escape(rec.category) if rec.category else ''}.</p>"
        out.append(EntryData(url=rec.url, title=rec.title, guid=f"catalog:{rec.key}:new", summary_html=summary,
                             kind="service", new_service_rule="catalog-new"))
    for old, rec in diff.renamed:
        digest = hashlib.sha256(rec.title.encode()).hexdigest()[:12]
        out.append(EntryData(
            url=rec.url, title=f"Услуга переименована: {rec.title}", guid=f"catalog:{rec.key}:renamed:{digest}",
            summary_html=f"<p>Было: «{html.escape(old.title)}». Стало: «{html.escape(rec.title)}».</p>",
            kind="catalog_event"))
    for k in diff.removed:
        out.append(EntryData(
            url=k.url, title=f"Услуга исключена из каталога: {k.title}", guid=f"catalog:{k.key}:removed:{day}",
            summary_html="<p>Запись больше не найдена в каталоге.</p>", kind="catalog_event"))
    for rec in diff.returned:
        out.append(EntryData(
            url=rec.url, title=f"Услуга снова в каталоге: {rec.title}", guid=f"catalog:{rec.key}:returned:{day}",
            kind="catalog_event"))
    return out


# -- watched page region ---------------------------------------------------------------------


def region_text(sel: Selector, settings: PageSettings) -> str:
    """The watched region's visible text, one block per line, boilerplate removed.

    Raises :class:`SelectorError` when the region selector matches nothing.
    """
    found = select(sel, settings.region)
    if not found:
        raise SelectorError(f"{NO_MATCH} (селектор region)")
    # work on a copy so that removing ignored parts does not touch the caller's tree
    region = Selector(text="<div>" + "".join(found.getall()) + "</div>")
    for expr in ("script", "style", "noscript", "template", *settings.ignore):
        for el in select(region, expr):
            el.drop()
    lines: list[str] = []
    blocks = region.xpath(
        "//*[self::p or self::li or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 "
        "or self::td or self::th or self::dt or self::dd or self::div or self::section or self::article "
        "or self::tr or self::a or self::span or self::time]"
        "/text()[normalize-space()]"
    )
    chunks = [t.get() for t in blocks] if blocks else [region.xpath("string()").get() or ""]
    text = "\n".join(clean_text(c) for c in chunks)
    for pattern in settings.ignore_patterns:
        text = re.sub(pattern, "", text)
    for raw in text.split("\n"):
        line = clean_text(raw)
        if line:
            lines.append(line)
    return "\n".join(lines)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def readable_diff(old: str, new: str, *, max_lines: int = 60) -> str:
    """A diff a librarian can read: «+ добавлено» / «− удалено» lines, no unified-diff noise."""
    out: list[str] = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("+ "):
            out.append("+ " + line[2:])
        elif line.startswith("- "):
            out.append("− " + line[2:])
    if len(out) > max_lines:
        out = [*out[:max_lines], f"… и ещё {len(out) - max_lines} строк"]
    return "\n".join(out)


def page_change_entry(url: str, title: str, old: str, new: str, *, when: datetime) -> EntryData:
    diff = readable_diff(old, new)
    added = [ln[2:] for ln in diff.splitlines() if ln.startswith("+ ")]
    summary = "<p>Изменения на странице:</p><ul>" + "".join(
        f"<li>{html.escape(ln)}</li>" for ln in diff.splitlines()
    ) + "</ul>"
    head = added[0] if added else "часть текста удалена"
    return EntryData(
        url=url,
        title=f"Изменилась страница «{title}»: {head}"[:300] if title else f"Изменилась страница: {head}"[:300],
        guid=f"page:{text_hash(new)[:24]}",
        summary_html=summary,
        published_at=when,
        kind="page_change",
        diff_text=diff,
    )


# -- sitemap -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapDoc:
    is_index: bool
    locs: tuple[str, ...]


def parse_sitemap(body: bytes) -> SitemapDoc:
    """A sitemap or sitemap index (gzip already undone). Raises :class:`ParseError`."""
    from scrapy.utils.sitemap import Sitemap

    try:
        sm = Sitemap(body)
    except Exception as exc:
        raise ParseError(f"не удалось прочитать карту сайта: {exc}") from exc
    kind = sm.type
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"это не карта сайта (корневой элемент {kind!r})")
    locs = tuple(d["loc"].strip() for d in sm if d.get("loc"))
    return SitemapDoc(kind == "sitemapindex", locs)


def under_prefixes(url: str, prefixes: Iterable[str], *, host: str) -> bool:
    parts = urlsplit(url)
    if parts.netloc.lower() != host.lower():
        return False
    return any(parts.path.startswith(p) for p in prefixes)


# -- JSON --------------------------------------------------------------------------------------


def dig(data: Any, path: str) -> Any:
    """``dig({"a": [{"b": 1}]}, "a.0.b") == 1``; ``None`` when a step is missing."""
    cur = data
    if not path:
        return cur
    for step in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(step)
        elif isinstance(cur, list) and step.isdigit() and int(step) < len(cur):
            cur = cur[int(step)]
        else:
            return None
    return cur


def fill_template(template: str, record: Any, fields: JsonFields | None = None) -> tuple[str, tuple[str, ...]]:
    """``link_template`` filled from a record, and the placeholders that had no value in it.

    ``{name}`` is the value at ``fields.<name>`` when the mapping maps that field (``{id}`` with
    ``fields: {id: code}`` is the record's ``code``), otherwise the value at the dotted path
    ``name`` in the record. No attribute access, no format spec. A placeholder whose value is
    missing, empty or not a scalar is left empty and named in the second element: the caller
    must not use such a link (it would be shared by every record that lacks the value).
    """
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        mapped = getattr(fields, name, None) if fields is not None and name in JsonFields.model_fields else None
        value = dig(record, mapped or name)
        if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
            missing.append(name)
            return ""
        return str(value).strip()

    return LINK_PLACEHOLDER.sub(repl, template), tuple(dict.fromkeys(missing))


def load_json_document(body: str, settings: JsonSettings) -> Any:
    """The JSON document from a response body (or from the embedded element). Raises ParseError."""
    text = body
    if settings.embedded:
        sel = Selector(text=body)
        found = select(sel, settings.embedded)
        if not found:
            raise SelectorError(f"{NO_MATCH} (селектор embedded)")
        value = found.get() if _is_value_selector(settings.embedded) else found[0].xpath("string()").get()
        text = value or ""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParseError(f"ответ не является JSON: {exc}") from exc


@dataclass(frozen=True)
class JsonPage:
    """What one JSON document gave: entries, how many records the items path held, and the
    records rejected (with the reason) because ``link_template`` had no value for them."""

    entries: tuple[EntryData, ...]
    records: int
    rejected: tuple[str, ...] = ()
    #: the placeholders that were missing, in the order first met
    missing: tuple[str, ...] = ()


def extract_json(doc: Any, url: str, settings: JsonSettings, *, tz: tzinfo, now: datetime) -> JsonPage:
    """Entries from a JSON document (see :class:`JsonPage`)."""
    records = dig(doc, settings.items_path)
    if records is None:
        raise SelectorError(f"{NO_MATCH} (путь items_path {settings.items_path!r} не найден)")
    if not isinstance(records, list):
        raise ParseError(f"по пути {settings.items_path!r} не список, а {type(records).__name__}")
    f = settings.fields
    out: list[EntryData] = []
    rejected: list[str] = []
    missing_all: dict[str, None] = {}
    for rec in records:
        if not isinstance(rec, dict):
            continue
        title = clean_text(str(dig(rec, f.title) or ""))
        if not title:
            continue
        link = ""
        if settings.link_template:
            link, missing = fill_template(settings.link_template, rec, f)
            if missing:
                missing_all.update(dict.fromkeys(missing))
                names = ", ".join(f"{{{n}}}" for n in missing)
                rejected.append(f"«{title[:80]}»: в записи нет значения для {names} в link_template")
                continue
        elif f.link:
            link = str(dig(rec, f.link) or "")
        raw_date = dig(rec, f.date) if f.date else None
        published = None
        if isinstance(raw_date, (int, float)) and not isinstance(raw_date, bool):
            # epoch seconds or milliseconds
            ts = raw_date / 1000 if raw_date > 1e11 else raw_date
            published = datetime.fromtimestamp(ts, tz)
        elif raw_date:
            published = read_date(str(raw_date), tz=tz, now=now)
        summary = dig(rec, f.summary) if f.summary else None
        guid = dig(rec, f.id) if f.id else None
        out.append(EntryData(
            url=urljoin(url, link) if link else "",
            title=title,
            guid=f"{urlsplit(url).netloc}:{guid}" if guid not in (None, "") else None,
            summary_html=str(summary) if summary else "",
            published_at=published,
        ))
    return JsonPage(tuple(out), len(records), tuple(rejected), tuple(missing_all))


def require_json_links(page: JsonPage) -> None:
    """A first page whose every record lacks a ``link_template`` value: the template is wrong.

    Raises :class:`~ecitizen.crawler.jobs.SettingsError` naming the placeholder."""
    if page.entries or not page.rejected:
        return
    from ecitizen.crawler.jobs import SettingsError

    names = ", ".join(f"{{{n}}}" for n in page.missing)
    raise SettingsError(f"настройки источника неверны: settings.link_template: ни в одной записи нет значения "
                        f"для {names} (это поле сопоставления или ключ записи?)")


def shared_link_warning(entries: Iterable[EntryData], *, base_url: str) -> str | None:
    """A warning (Russian) when different entries of one crawl share a link, or None.

    Items are stored by link, so all but the first of them would be lost (merged into one). Links
    are compared as stored (:func:`~ecitizen.urls.canonical_url`); entries without an own link
    (the source's address) and repeated copies of one entry (same guid and title, e.g. a news item
    that moved from page 1 to page 2 while the list was read) are not counted. Pure.
    """
    base = _canonical(base_url)
    groups: dict[str, set[tuple[str | None, str]]] = {}
    for e in entries:
        link = _canonical(urljoin(base_url, e.url)) if e.url else None
        if link and link != base:
            groups.setdefault(link, set()).add((e.guid, clean_text(e.title)))
    shared = {link: len(group) for link, group in groups.items() if len(group) > 1}
    if not shared:
        return None
    n = sum(shared.values())
    example = display_url(max(shared, key=lambda k: shared[k]))
    records = f"{n} {plural(n, 'запись', 'записи', 'записей')}"
    if len(shared) == 1:
        return (f"{records} с одинаковой ссылкой {example}: сохранена только первая, остальные не сохранены — "
                "проверьте, как строится ссылка (link, link_template)")
    links = f"{len(shared)} {plural(len(shared), 'ссылка', 'ссылки', 'ссылок')}"
    return (f"{records} с одинаковыми ссылками ({links}, например {example}): из записей с одной ссылкой "
            "сохранена только первая — проверьте, как строится ссылка (link, link_template)")


def _canonical(url: str) -> str | None:
    try:
        return canonical_url(url)
    except ValueError:
        return None


def date_window(now: datetime, tz: tzinfo, days: int, fmt: str) -> tuple[str, str]:
    local = now.astimezone(tz)
    return (local - timedelta(days=days)).strftime(fmt), local.strftime(fmt)


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended to its query string."""
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def json_page_url(url: str, settings: JsonSettings, page: int, *, now: datetime, tz: tzinfo) -> str:
    """The address of page ``page`` of a JSON source: the page parameter and the date window added."""
    params: dict[str, str] = {}
    if settings.page_param:
        params[settings.page_param] = str(page)
    if settings.start_date_param or settings.end_date_param:
        start, end = date_window(now, tz, settings.window_days, settings.date_param_format)
        if settings.start_date_param:
            params[settings.start_date_param] = start
        if settings.end_date_param:
            params[settings.end_date_param] = end
    return with_query(url, params) if params else url


# -- Telegram preview --------------------------------------------------------------------------


def telegram_preview_url(url: str) -> str:
    """``https://t.me/gosuslugi`` → ``https://t.me/s/gosuslugi`` (already-preview URLs unchanged)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    if path.startswith("s/"):
        return url
    return f"{parts.scheme}://{parts.netloc}/s/{path.split('/')[0]}"


def extract_telegram(sel: Selector, url: str, settings: TelegramSettings, *, tz: tzinfo,
                     now: datetime) -> tuple[list[EntryData], int, str | None]:
    """Posts of a ``t.me/s/<channel>`` page, how many message blocks matched, and the older-posts link."""
    messages = sel.css("div.tgme_widget_message[data-post]")
    out: list[EntryData] = []
    base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    for m in messages:
        post = (m.attrib.get("data-post") or "").strip()
        if not post:
            continue
        text_el = m.css("div.tgme_widget_message_text")
        body_html = text_el[0].get() if text_el else ""
        # the title is the first line of the text (a <br> ends it)
        first_line = ""
        if text_el:
            for chunk in text_el[0].xpath(".//text()[normalize-space()] | .//br").getall():
                if chunk.startswith("<br"):
                    if first_line:
                        break
                    continue
                first_line += chunk
        title = clean_text(first_line)
        if len(title) > settings.title_length:
            cut = title[: settings.title_length].rsplit(" ", 1)[0]
            title = cut + "…"
        if not title:
            if m.css(".tgme_widget_message_photo_wrap, .tgme_widget_message_video_player"):
                title = "Публикация с фото или видео без текста"
            else:
                continue
        when_text = m.css("a.tgme_widget_message_date time::attr(datetime)").get()
        published = parse_date(when_text, tz=tz, now=now) if when_text else None
        link = m.css("a.tgme_widget_message_date::attr(href)").get() or f"{base}/{post}"
        out.append(EntryData(url=link, title=title, guid=f"tg:{post}", summary_html=body_html,
                             published_at=published))
    more = sel.css("a.tme_messages_more::attr(href)").get()
    return out, len(messages), (urljoin(url, more) if more else None)
