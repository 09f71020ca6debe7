"""The HTTP adapter of the link checker (aiohttp, asyncio).

Owns: politeness (a global limit, a per-host limit and a minimum interval between request starts
to the same host), HEAD/GET choice, manual redirect following (to see every hop), the body cap and
the total deadline per request (connect to last byte, headers included), retries with backoff
(timeouts, connection drops, 429 with Retry-After, 5xx), the per-host "random path" baseline for
soft-404 detection, and the translation of aiohttp/ssl errors into the short error kinds of
:class:`archive.decide.Observation`.

Private targets: every hop's URL is checked before its request (literal addresses, local names),
and every host name is resolved by :class:`GuardedResolver` — the core's
:class:`~ecitizen.netguard.NetGuard`, which refuses private addresses — so aiohttp connects to
exactly the addresses that were checked.

Decisions are not made here: :func:`archive.decide.classify_check` reads the observation.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import aiohttp.abc
import certifi
from aiohttp.abc import ResolveResult
from yarl import URL

from ecitizen.archive.decide import HostBaseline, Observation, prefers_head, resolve_location
from ecitizen.archive.page import analyse_html, decode_body
from ecitizen.config import HttpConfig, LinksConfig
from ecitizen.errors import UnsafeTargetError
from ecitizen.netguard import HostTable, NetGuard
from ecitizen.urls import is_http_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
HEAD_HOSTILE = frozenset({400, 403, 404, 405, 406, 410, 500, 501, 502, 503})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RawResponse:
    url: str
    method: str
    status: int | None = None
    final_url: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    error: str | None = None
    error_detail: str = ""
    elapsed_ms: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset" and v.strip():
                return v.strip().strip('"')
        return None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES or (not self.content_type and self.body.lstrip()[:1] == b"<")

    def text(self) -> str:
        return decode_body(self.body, self.charset)


@dataclass(frozen=True)
class ProbeResult:
    observation: Observation
    #: the decoded HTML of a 2xx page (for main-text extraction), else ""
    html: str = ""
    #: the page's visible-text fingerprint (cheap; gates the main-text extraction)
    fingerprint: str | None = None


def make_ssl_context(extra_ca_bundle: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=certifi.where())
    if extra_ca_bundle:
        ctx.load_verify_locations(cafile=extra_ca_bundle)
    return ctx


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@functools.lru_cache(maxsize=4096)
def _origin_host(origin: str) -> str:
    return (urlsplit(origin).hostname or "").lower()


def _host(url: str) -> str:
    """The host a request goes to (cached by origin: called for every request and hop)."""
    scheme_end = url.find("://")
    end = url.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    return _origin_host(url if end < 0 else url[:end])


class HostGate:
    """At most ``limit`` requests in flight to one host, starts at least ``interval`` apart."""

    def __init__(self, limit: int, interval: float) -> None:
        self._sem = asyncio.Semaphore(limit)
        self._interval = interval
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._sem:
            if self._interval > 0:
                async with self._lock:
                    loop = asyncio.get_running_loop()
                    wait = self._next_start - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._next_start = loop.time() + self._interval
            yield


class HostGates(Protocol):
    """Per-host politeness of one checking run: ``async with gates.slot(host)`` around each request.

    The default, :class:`LocalHostGates`, holds in this process; ``ecitizen.hostgate.SharedHostGates``
    holds across every worker sharing one PostgreSQL database (distributed mode)."""

    def slot(self, host: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalHostGates:
    """One :class:`HostGate` per host, in this process (the default)."""

    def __init__(self, limit: int, interval: float) -> None:
        self.limit = limit
        self.interval = interval
        self._by_host: dict[str, HostGate] = {}

    def slot(self, host: str) -> contextlib.AbstractAsyncContextManager[None]:
        gate = self._by_host.get(host)
        if gate is None:
            gate = self._by_host[host] = HostGate(self.limit, self.interval)
        return gate.slot()


def _translate(exc: BaseException) -> tuple[str, str]:
    """aiohttp/ssl/socket exceptions → (error kind, short detail)."""
    if isinstance(exc, UnsafeTargetError):
        return "refused", str(exc)[:300]
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return "timeout", "время ожидания истекло"
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError)):
        return "tls", str(getattr(exc, "certificate_error", exc))[:300]
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", str(exc)[:300]
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, socket.gaierror):
            return "dns", str(exc)[:300]
        return "connect", str(exc)[:300]
    if isinstance(exc, (aiohttp.InvalidURL, ValueError)):
        return "bad_redirect", str(exc)[:300]
    return "connect", f"{type(exc).__name__}: {exc}"[:300]


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver: each name resolved once by the :class:`NetGuard` (system DNS in a worker
    thread, or the guard's table), private addresses refused with :class:`UnsafeTargetError`; the
    connector then connects to exactly the addresses returned here."""

    def __init__(self, guard: NetGuard) -> None:
        self.guard = guard

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        addresses = await asyncio.to_thread(self.guard.addresses, host)
        return [ResolveResult(hostname=host, host=a, port=port,
                              family=socket.AF_INET6 if ":" in a else socket.AF_INET, proto=0,
                              flags=socket.AI_NUMERICHOST) for a in addresses]

    async def close(self) -> None:
        return None


class Prober:
    """One checking run: a shared connection pool, per-host gates and per-host baselines.

    Use as ``async with Prober(links_cfg, http_cfg) as p: result = await p.probe(url)``.
    """

    def __init__(
        self, links: LinksConfig, http: HttpConfig, *, sleep: Sleep = asyncio.sleep,
        max_body_bytes: int | None = None, hosts: Mapping[str, str] | None = None,
        gates: HostGates | None = None,
    ) -> None:
        self.links = links
        self.http = http
        self._sleep = sleep
        self.max_body = max_body_bytes or links.max_body_bytes
        self._gates: HostGates = gates or LocalHostGates(links.per_host_concurrency, links.min_host_interval_seconds)
        self._global: asyncio.Semaphore | None = None
        self._baselines: dict[str, asyncio.Task[HostBaseline]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ssl = make_ssl_context(http.extra_ca_bundle)
        #: a static name table instead of DNS (tests and the demo: Cyrillic hosts on 127.0.0.x;
        #: a :class:`HostTable` may trust names); else the project's resolver hook
        table = hosts if isinstance(hosts, HostTable) or hosts is None else HostTable(hosts)
        self.guard = NetGuard(allow_private=http.allow_private_targets, resolver=table)

    async def __aenter__(self) -> Prober:
        self._global = asyncio.Semaphore(self.links.global_concurrency)
        connector = aiohttp.TCPConnector(
            limit=self.links.global_concurrency, limit_per_host=0, ttl_dns_cache=600, ssl=self._ssl,
            resolver=GuardedResolver(self.guard),
        )
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.http.connect_timeout, sock_read=self.http.read_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=True, cookie_jar=aiohttp.DummyCookieJar(),
            headers={
                "User-Agent": self.http.user_agent,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Language": "ru,en;q=0.5",
            },
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._baselines.values():
            task.cancel()
        if self._session is not None:
            await self._session.close()

    def _gate(self, url: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._gates.slot(_host(url))

    # -- one request -------------------------------------------------------------------------------
    async def _request(self, method: str, url: str, *, read_body: bool) -> RawResponse:
        assert self._session is not None and self._global is not None, "use Prober as an async context manager"
        started = time.monotonic()
        async with self._gate(url), self._global:
            try:
                async with asyncio.timeout(self.links.total_deadline):
                    async with self._session.request(
                        method, URL(url, encoded=True), allow_redirects=False,
                    ) as resp:
                        headers = {k.lower(): v for k, v in resp.headers.items()}
                        body = b""
                        truncated = False
                        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
                        wants = read_body and method == "GET" and (not ctype or ctype in HTML_TYPES)
                        if wants and not (300 <= resp.status < 400):
                            chunks: list[bytes] = []
                            size = 0
                            while size < self.max_body:
                                chunk = await resp.content.read(min(65536, self.max_body - size))
                                if not chunk:
                                    break
                                chunks.append(chunk)
                                size += len(chunk)
                            body = b"".join(chunks)
                            truncated = size >= self.max_body and not resp.content.at_eof()
                        if truncated or not wants:
                            resp.close()  # do not drain an endless or unwanted body
                        status = resp.status
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error kind
                kind, detail = _translate(exc)
                return RawResponse(url, method, error=kind, error_detail=detail,
                                   elapsed_ms=int((time.monotonic() - started) * 1000))
        return RawResponse(url, method, status, url, (), headers, body, truncated,
                           elapsed_ms=int((time.monotonic() - started) * 1000))

    async def fetch(self, url: str, method: str = "GET", *, read_body: bool = True) -> RawResponse:
        """One request with redirects followed hop by hop (each hop through its host's gate)."""
        chain: list[tuple[int, str]] = []
        seen = {url}
        current = url
        started = time.monotonic()
        refused = self._refused(url)
        if refused:
            return RawResponse(url, method, None, url, (), error="refused", error_detail=refused)
        for _ in range(self.http.max_redirects + 1):
            resp = await self._request(method, current, read_body=read_body)
            if resp.error or resp.status is None or not (300 <= resp.status < 400) or resp.status == 304:
                return replace(resp, url=url, final_url=current, redirects=tuple(chain),
                               elapsed_ms=int((time.monotonic() - started) * 1000))
            location = resp.headers.get("location")
            if not location:
                return replace(resp, url=url, final_url=current, redirects=tuple(chain))
            target = resolve_location(current, location)
            chain.append((resp.status, target))
            if not is_http_url(target):
                return RawResponse(url, method, resp.status, target, tuple(chain), error="bad_redirect",
                                   error_detail=f"перенаправление на {target[:200]}")
            refused = self._refused(target)
            if refused:
                return RawResponse(url, method, resp.status, target, tuple(chain), error="refused",
                                   error_detail=f"перенаправление на {target[:200]}: {refused}")
            if target in seen:
                return RawResponse(url, method, resp.status, target, tuple(chain), error="redirect_loop",
                                   error_detail=" → ".join([url, *[t for _, t in chain]])[:500])
            seen.add(target)
            current = target
        return RawResponse(url, method, None, current, tuple(chain), error="too_many_redirects",
                           error_detail=f"больше {self.http.max_redirects} перенаправлений")

    def _refused(self, url: str) -> str | None:
        """Why a hop is refused before its request (literal private address, local name), or None.
        Names are checked when the connector resolves them (:class:`GuardedResolver`)."""
        try:
            self.guard.check_url(url)
        except UnsafeTargetError as exc:
            return str(exc)[:300]
        return None

    # -- one link ----------------------------------------------------------------------------------
    async def _attempt(self, url: str) -> RawResponse:
        if prefers_head(url):
            head = await self.fetch(url, "HEAD", read_body=False)
            hostile = head.error is not None or head.status in HEAD_HOSTILE or head.status is None
            if not hostile and not head.is_html:
                return head
        return await self.fetch(url, "GET", read_body=True)

    def _retry_delay(self, resp: RawResponse, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final."""
        retriable = resp.error in ("timeout", "connect") or resp.status == 429 or (
            resp.status is not None and 500 <= resp.status < 600 and resp.status != 501)
        if not retriable or attempt >= self.links.retries:
            return None
        delay = self.links.retry_backoff_seconds * (2 ** attempt)
        if resp.status in (429, 503):
            after = parse_retry_after(resp.headers.get("retry-after"))
            if after is not None:
                if after > self.links.max_retry_after_seconds:
                    return None
                delay = max(delay, after)
        return float(delay)

    async def probe(self, url: str) -> ProbeResult:
        """Observe one link: request(s), retries, page analysis and the host's soft-404 baseline."""
        attempt = 0
        while True:
            resp = await self._attempt(url)
            delay = self._retry_delay(resp, attempt)
            if delay is None:
                break
            attempt += 1
            await self._sleep(delay)
        fields: dict[str, object] = {}
        html = ""
        info = None
        if resp.error is None and resp.status is not None and resp.body and resp.is_html:
            html = resp.text()
            info = analyse_html(html)
            fields = {"title": info.title, "h1": info.h1, "text": info.text, "canonical": info.canonical}
        success = resp.status is not None and 200 <= resp.status < 300 and info is not None
        baseline = await self.baseline(resp.final_url or url) if success else None
        obs = Observation(
            url=url, method=resp.method, status=resp.status, final_url=resp.final_url,
            redirects=resp.redirects, error=resp.error, error_detail=resp.error_detail,
            content_type=resp.content_type, retry_after=parse_retry_after(resp.headers.get("retry-after")),
            elapsed_ms=resp.elapsed_ms, attempts=attempt + 1, baseline=baseline,
            **fields,  # type: ignore[arg-type]
        )
        if success and info is not None:
            return ProbeResult(obs, html, info.fingerprint)
        return ProbeResult(obs)

    async def baseline(self, url: str) -> HostBaseline:
        """The host's answer for a random path that cannot exist (once per origin per run)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self._baselines.get(origin)
        if task is None:
            task = self._baselines[origin] = asyncio.ensure_future(self._fetch_baseline(origin))
        if task.done():
            return task.result()
        return await asyncio.shield(task)

    async def _fetch_baseline(self, origin: str) -> HostBaseline:
        resp = await self.fetch(f"{origin}/ecitizen-no-such-page-{secrets.token_hex(8)}", "GET", read_body=True)
        text = analyse_html(resp.text()).text if resp.body and resp.is_html else ""
        return HostBaseline(resp.status, resp.final_url if resp.redirects else None, text)
