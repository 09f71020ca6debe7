"""The one spider: crawls every requested source, whatever its kind, and hands each source's
outcome to a callback as soon as that source is finished.

Orchestration only: extraction is in :mod:`crawler.extract`; storing in :mod:`crawler.recorder`
(called through ``on_finished``). Each source keeps a count of its requests in flight; when it
drops to zero the source is finished (or starts its next phase: sitemap titles).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from ecitizen.crawler import extract as ex
from ecitizen.crawler.jobs import (
    CatalogRow,
    CrawlProcessError,
    RobotsDisallowedError,
    SourceJob,
    SourceOutcome,
)
from ecitizen.crawler.middlewares import UNSAFE_MARK
from ecitizen.errors import (
    ConnectError,
    DNSError,
    FetchError,
    HTTPStatusError,
    ParseError,
    ResponseTooLargeError,
    SelectorError,
    SourceError,
    TimeoutError_,
    TLSError,
    UnsafeTargetError,
)
from ecitizen.pipeline import EntryData
from ecitizen.source_settings import (
    CatalogSettings,
    JsonSettings,
    ListingSettings,
    PageSettings,
    SitemapSettings,
    TelegramSettings,
)
from ecitizen.urls import display_url

log = logging.getLogger("crawler")


@dataclass
class SourceRun:
    job: SourceJob
    tz: ZoneInfo
    pending: int = 0
    pages: int = 0
    status: int | None = None
    finished: bool = False
    error: SourceError | None = None
    entries: list[EntryData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: entries refused while extracting, with the reason (json: no value for a link placeholder)
    rejected: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    # kind-specific
    sitemap_urls: set[str] = field(default_factory=set)
    phase: int = 1
    catalog: dict[str, CatalogRow] = field(default_factory=dict)
    page_text: str | None = None
    page_title: str = ""
    #: listing entries waiting for their item page, by URL
    waiting: dict[str, EntryData] = field(default_factory=dict)

    def outcome(self) -> SourceOutcome:
        kind = self.job.kind
        return SourceOutcome(
            name=self.job.name,
            entries=tuple(self.entries) if self.error is None else (),
            error=self.error,
            status=self.status,
            pages=self.pages,
            warnings=tuple(self.warnings),
            rejected=tuple(self.rejected),
            sitemap_urls=frozenset(self.sitemap_urls) if kind == "sitemap" and self.error is None else None,
            catalog=tuple(self.catalog.values()) if kind == "catalog" and self.error is None else None,
            page_text=self.page_text if self.error is None else None,
            page_title=self.page_title,
        )


def translate_failure(failure: Failure) -> SourceError:
    """A Twisted/Scrapy download failure → our error hierarchy (the one place it happens)."""
    from scrapy import exceptions as sx
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as te

    exc = failure.value
    request = getattr(failure, "request", None)
    url = request.url if request is not None else None
    if isinstance(exc, HttpError):
        status = exc.response.status
        return HTTPStatusError(f"сервер ответил ошибкой HTTP {status}", url=url, status=status)
    if isinstance(exc, sx.IgnoreRequest) and UNSAFE_MARK in str(exc):
        return UnsafeTargetError("адрес ведёт во внутреннюю сеть, обход запрещён", url=url)
    if isinstance(exc, sx.IgnoreRequest) and "robots.txt" in str(exc):
        return RobotsDisallowedError("robots.txt сайта запрещает обход этой страницы", url=url)
    if isinstance(exc, sx.IgnoreRequest):
        return FetchError(f"запрос отменён: {exc}", url=url)
    if isinstance(exc, (sx.DownloadTimeoutError, te.TimeoutError, te.TCPTimedOutError)):
        return TimeoutError_("сайт не ответил вовремя", url=url)
    if isinstance(exc, (sx.CannotResolveHostError, te.DNSLookupError)):
        return DNSError("имя сайта не найдено (DNS)", url=url)
    if isinstance(exc, sx.DownloadCancelledError) or "maxsize" in str(exc).lower():
        return ResponseTooLargeError("ответ сайта слишком большой", url=url)
    if "SSL" in type(exc).__name__ or "certificate" in str(exc).lower():
        return TLSError(f"ошибка TLS: {exc}", url=url)
    if isinstance(exc, (sx.DownloadConnectionRefusedError, te.ConnectionRefusedError, te.ConnectError,
                        sx.DownloadFailedError, sx.ResponseDataLossError, te.ConnectionLost)):
        return ConnectError(f"соединение не удалось: {type(exc).__name__}", url=url)
    return FetchError(f"ошибка загрузки: {type(exc).__name__}: {exc}", url=url)


class SourcesSpider(scrapy.Spider):
    name = "ecitizen"

    def __init__(self, jobs: Iterable[SourceJob], now: datetime,
                 on_finished: Callable[[SourceJob, SourceOutcome], None], *, allow_private: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = now
        #: read by PrivateTargetMiddleware
        self.allow_private = allow_private
        self.on_finished = on_finished
        self.runs: dict[str, SourceRun] = {}
        for job in jobs:
            self.runs[job.name] = SourceRun(job, ZoneInfo(job.timezone))

    # -- plumbing ------------------------------------------------------------------------------
    async def start(self) -> Any:  # Scrapy ≥ 2.13
        for req in self._start_requests():
            yield req

    def start_requests(self) -> Any:  # older Scrapy
        yield from self._start_requests()

    def _start_requests(self) -> Iterable[scrapy.Request]:
        for run in list(self.runs.values()):
            job = run.job
            if not job.obey_robots:
                self.logger.warning("source %s: robots.txt is not obeyed (per-source override)", job.name)
            try:
                reqs = [r for r in self._begin(run) if r is not None]
            except SourceError as exc:
                self._fail(run, exc)
                continue
            if not reqs:
                self._finish(run)
            yield from reqs

    def _request(self, run: SourceRun, url: str, handler: str, *, essential: bool = True,
                 **meta: Any) -> scrapy.Request | None:
        if url in run.visited:
            return None
        run.visited.add(url)
        run.pending += 1
        return scrapy.Request(
            url,
            callback=self._dispatch,
            errback=self._errback,
            dont_filter=True,
            meta={"source": run.job.name, "handler": handler, "essential": essential,
                  "dont_obey_robotstxt": not run.job.obey_robots, **meta},
        )

    def _dispatch(self, response: Response) -> list[Any]:
        run = self.runs[response.meta["source"]]
        out: list[Any] = []
        if not run.finished:
            run.pages += 1
            if run.status is None:
                run.status = response.status
            try:
                handler = getattr(self, "_on_" + response.meta["handler"])
                out = [r for r in handler(run, response) if r is not None]
            except SourceError as exc:
                self._fail(run, exc)
                out = []
            except Exception as exc:
                self.logger.exception("source %s: unexpected error on %s", run.job.name, response.url)
                self._fail(run, ParseError(f"страница не разобрана: {type(exc).__name__}: {exc}"))
                out = []
        return out + self._done_one(run)

    def _errback(self, failure: Failure) -> list[Any]:
        request = failure.request  # type: ignore[attr-defined]
        run = self.runs[request.meta["source"]]
        out: list[Any] = []
        if not run.finished:
            err = translate_failure(failure)
            if request.meta.get("essential"):
                self._fail(run, err)
            else:
                run.warnings.append(f"{display_url(request.url)}: {err}")
                fallback = getattr(self, "_lost_" + request.meta["handler"], None)
                if fallback is not None:
                    fallback(run, request)
        return out + self._done_one(run)

    def _done_one(self, run: SourceRun) -> list[Any]:
        run.pending -= 1
        if run.pending > 0 or run.finished:
            return []
        more: list[Any] = []
        try:
            more = [r for r in self._idle(run) if r is not None]
        except SourceError as exc:
            self._fail(run, exc)
            return []
        if not more:
            self._finish(run)
        return more

    def _fail(self, run: SourceRun, exc: SourceError) -> None:
        if run.finished:
            return
        run.error = exc
        self._finish(run)

    def _finish(self, run: SourceRun) -> None:
        if run.finished:
            return
        run.finished = True
        for entry in run.waiting.values():  # item pages that never answered: keep the list text
            run.entries.append(entry)
        run.waiting.clear()
        self.on_finished(run.job, run.outcome())

    def closed(self, reason: str) -> None:
        for run in self.runs.values():
            if not run.finished:
                self._fail(run, CrawlProcessError(f"обход прерван ({reason}) до завершения источника"))

    @staticmethod
    def _selector(response: Response) -> scrapy.Selector:
        if not isinstance(response, TextResponse):
            ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            raise ParseError(f"ответ не является страницей (Content-Type: {ctype or 'не указан'})")
        return response.selector

    # -- phases --------------------------------------------------------------------------------
    def _begin(self, run: SourceRun) -> Iterable[scrapy.Request | None]:
        job, s = run.job, run.job.settings
        if job.kind == "listing":
            yield self._request(run, job.url, "listing", first=True, page_no=1)
        elif job.kind == "catalog":
            yield self._request(run, job.url, "catalog", page_no=1)
        elif job.kind == "sitemap":
            yield self._request(run, job.url, "sitemap", depth=1)
        elif job.kind == "page":
            yield self._request(run, job.url, "page")
        elif job.kind == "telegram":
            yield self._request(run, ex.telegram_preview_url(job.url), "telegram", page_no=1)
        elif job.kind == "json":
            assert isinstance(s, JsonSettings)
            yield self._request(run, self._json_url(run, s, s.start_page), "json", page_no=1)
        else:
            raise ParseError(f"неизвестный вид источника {job.kind!r}")

    def _idle(self, run: SourceRun) -> Iterable[scrapy.Request | None]:
        """Called when a source has nothing in flight: start a next phase or finish (empty)."""
        if run.job.kind == "sitemap" and run.phase == 1:
            run.phase = 2
            yield from self._sitemap_new(run)

    # -- listing -------------------------------------------------------------------------------
    def _on_listing(self, run: SourceRun, response: Response) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, ListingSettings)
        sel = self._selector(response)
        page = ex.extract_listing(sel, response.url, s, tz=run.tz, now=self.now)
        first = response.meta.get("first", False)
        if first and page.matched == 0 and s.follow_js_redirect and not response.meta.get("redirected"):
            target = ex.find_script_redirect(sel, response.url)
            if target:
                yield self._request(run, target, "listing", first=True, page_no=1, redirected=True)
                return
        if first:
            ex.require_matches(page.matched, len(page.entries))
        for entry in page.entries:
            if s.fetch_item_page and s.content and entry.url and entry.url not in run.waiting:
                run.waiting[entry.url] = entry
                yield self._request(run, entry.url, "item", essential=False, key=entry.url)
            else:
                run.entries.append(entry)
        page_no = response.meta.get("page_no", 1)
        if first and s.pages is not None:
            for n, url in enumerate(ex.page_urls(response.url, s.pages.template, s.pages.start, s.max_pages - 1), 2):
                yield self._request(run, url, "listing", essential=False, page_no=n)
        elif page.next_url and page_no < s.max_pages and page.entries:
            yield self._request(run, page.next_url, "listing", essential=False, page_no=page_no + 1)

    def _on_item(self, run: SourceRun, response: Response) -> Iterable[None]:
        s = run.job.settings
        assert isinstance(s, ListingSettings)
        entry = run.waiting.pop(response.meta.get("key", response.url), None)
        if entry is None:
            return ()
        content = ex.field_html(self._selector(response), s.content) if isinstance(response, TextResponse) else ""
        if not content:
            run.warnings.append(f"{display_url(response.url)}: селектор content ничего не нашёл")
        run.entries.append(EntryData(**{**entry.__dict__, "summary_html": content or entry.summary_html}))
        return ()

    def _lost_item(self, run: SourceRun, request: scrapy.Request) -> None:
        entry = run.waiting.pop(request.meta.get("key", request.url), None)
        if entry is not None:
            run.entries.append(entry)

    # -- catalogue -----------------------------------------------------------------------------
    def _on_catalog(self, run: SourceRun, response: Response) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, CatalogSettings)
        sel = self._selector(response)
        records, matched = ex.extract_catalog(sel, response.url, s)
        page_no = response.meta.get("page_no", 1)
        if page_no == 1:
            ex.require_matches(matched, len(records), "entry")
        for r in records:
            run.catalog.setdefault(r.key, CatalogRow(r.key, r.title, r.url, r.category))
        if page_no == 1 and s.pages is not None:
            for n, url in enumerate(ex.page_urls(response.url, s.pages.template, s.pages.start, s.max_pages - 1), 2):
                yield self._request(run, url, "catalog", page_no=n)
        elif s.next_page and page_no < s.max_pages and records:
            nxt = ex.field_link(sel, s.next_page)
            if nxt:
                yield self._request(run, response.urljoin(nxt), "catalog", page_no=page_no + 1)

    # -- sitemap -------------------------------------------------------------------------------
    def _on_sitemap(self, run: SourceRun, response: Response) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, SitemapSettings)
        body = response.body
        if body[:2] == b"\x1f\x8b":
            from scrapy.utils.gz import gunzip

            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception as exc:
                raise ParseError(f"архив карты сайта не распакован: {exc}") from exc
        doc = ex.parse_sitemap(body)
        host = urlsplit(run.job.url).netloc
        depth = response.meta.get("depth_level", 1)
        if doc.is_index:
            if depth >= s.max_depth:
                run.warnings.append(f"{display_url(response.url)}: вложенность карт сайта больше {s.max_depth}")
                return
            for loc in doc.locs:
                if urlsplit(loc).netloc.lower() == host.lower():
                    yield self._request(run, loc, "sitemap", depth_level=depth + 1)
            return
        for loc in doc.locs:
            if ex.under_prefixes(loc, s.prefixes, host=host):
                run.sitemap_urls.add(loc)

    def _sitemap_new(self, run: SourceRun) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, SitemapSettings)
        if not run.job.known_urls:
            return  # first crawl: a silent baseline
        new = sorted(run.sitemap_urls - run.job.known_urls)
        if len(new) > s.max_new_items:
            run.warnings.append(
                f"сразу {len(new)} новых адресов (больше {s.max_new_items}): записаны без новостей, "
                "похоже на перестройку сайта")
            return
        rule = "sitemap-new" if s.item_kind == "service" else None
        for url in new:
            entry = EntryData(url=url, title=display_url(url), guid=f"sitemap:{url}", new_service_rule=rule)
            if s.fetch_titles:
                run.waiting[url] = entry
                yield self._request(run, url, "title", essential=False, key=url)
            else:
                run.entries.append(entry)

    def _on_title(self, run: SourceRun, response: Response) -> Iterable[None]:
        entry = run.waiting.pop(response.meta.get("key", response.url), None)
        if entry is None:
            return ()
        title = ex.page_title(self._selector(response)) if isinstance(response, TextResponse) else ""
        run.entries.append(EntryData(**{**entry.__dict__, "title": title or entry.title}))
        return ()

    _lost_title = _lost_item

    # -- watched page --------------------------------------------------------------------------
    def _on_page(self, run: SourceRun, response: Response) -> Iterable[None]:
        s = run.job.settings
        assert isinstance(s, PageSettings)
        sel = self._selector(response)
        run.page_text = ex.region_text(sel, s)
        run.page_title = ex.field_text(sel, s.title) if s.title else ex.page_title(sel)
        return ()

    # -- telegram ------------------------------------------------------------------------------
    def _on_telegram(self, run: SourceRun, response: Response) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, TelegramSettings)
        posts, matched, more = ex.extract_telegram(self._selector(response), response.url, s, tz=run.tz, now=self.now)
        page_no = response.meta.get("page_no", 1)
        if page_no == 1 and matched == 0:
            raise SelectorError(f"{ex.NO_MATCH} (div.tgme_widget_message)")
        run.entries.extend(posts)
        if more and page_no < s.max_pages and posts:
            yield self._request(run, more, "telegram", essential=False, page_no=page_no + 1)

    # -- json ----------------------------------------------------------------------------------
    def _json_url(self, run: SourceRun, s: JsonSettings, page: int) -> str:
        return ex.json_page_url(run.job.url, s, page, now=self.now, tz=run.tz)

    def _on_json(self, run: SourceRun, response: Response) -> Iterable[scrapy.Request | None]:
        s = run.job.settings
        assert isinstance(s, JsonSettings)
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        doc = ex.load_json_document(text, s)
        page = ex.extract_json(doc, response.url, s, tz=run.tz, now=self.now)
        page_no = response.meta.get("page_no", 1)
        if page_no == 1:
            ex.require_json_links(page)
        run.entries.extend(page.entries)
        run.rejected.extend(page.rejected)
        if s.page_param and page.records and page_no < s.max_pages:
            yield self._request(run, self._json_url(run, s, s.start_page + page_no), "json",
                                essential=False, page_no=page_no + 1)
