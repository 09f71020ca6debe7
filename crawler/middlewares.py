"""Downloader middlewares: refuse private-network targets; read every page in the right charset.

Private targets: every request — including redirects, robots.txt and links found on crawled
pages — is refused when its host is a local name or resolves to a private, loopback, link-local or
reserved address, unless ``http.allow_private_targets`` (tests, demo) is set. The host is resolved
once, in a reactor thread, by :class:`GuardedNameResolver` (the core's
:class:`~ecitizen.netguard.NetGuard`; installed as Scrapy's ``TWISTED_DNS_RESOLVER``), which
remembers the checked addresses for the crawl: the connection goes to exactly those addresses,
never to a second DNS answer. :class:`PrivateTargetMiddleware` asks it before each request, so a
refusal is reported as ``unsafe_target``, not as a DNS failure.

Charset: pravo.gov.ru and garant.ru send windows-1251 with no charset in the header and none in
the page, others declare a wrong one; Scrapy would believe the header or guess and garble the
Cyrillic. Every text response goes through the core's one decoder policy
(:func:`ecitizen.textcodec.choose_encoding`: declared charsets checked against the bytes); when
it disagrees with the encoding Scrapy would use, the response is replaced by one whose header
names the chosen charset.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer

from ecitizen.errors import UnsafeURLError
from ecitizen.fetch import charset_from_content_type
from ecitizen.netguard import HostTable, NetGuard
from ecitizen.textcodec import choose_encoding, codec_name
from ecitizen.urls import normalise_host

UNSAFE_MARK = "unsafe target"


def detect_charset(body: bytes, declared: str | None = None) -> str | None:
    """The charset that reads ``body`` (``declared``: the header's), or None when UTF-8. Pure."""
    enc = choose_encoding(body, declared)
    return None if enc == "utf-8" else enc


class CharsetMiddleware:
    def process_response(self, request: Any, response: Response, spider: Any = None) -> Response:
        if not isinstance(response, TextResponse):
            return response
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        enc = choose_encoding(response.body, charset_from_content_type(ctype))
        if codec_name(response.encoding) == enc:
            return response
        headers = response.headers.copy()
        headers[b"Content-Type"] = f"{ctype.split(';')[0].strip() or 'text/html'}; charset={enc}".encode("latin-1")
        return response.replace(headers=headers, encoding=enc)


def guard_from_settings(settings: Any) -> NetGuard:
    """The crawl's :class:`NetGuard`: ``ECITIZEN_ALLOW_PRIVATE`` (from ``http.allow_private_targets``)
    and, for tests and the demo only, ``ECITIZEN_HOSTS`` (name → address, instead of DNS) with
    ``ECITIZEN_TRUSTED_HOSTS`` (names whose addresses count as public)."""
    hosts = settings.getdict("ECITIZEN_HOSTS") if settings.get("ECITIZEN_HOSTS") else None
    table = HostTable(hosts, trusted=settings.getlist("ECITIZEN_TRUSTED_HOSTS")) if hosts else None
    return NetGuard(allow_private=settings.getbool("ECITIZEN_ALLOW_PRIVATE", False), resolver=table)


@implementer(IHostnameResolver)
class GuardedNameResolver:
    """Twisted's host name resolver for the crawl (an ``IHostnameResolver``): each host resolved
    once by the :class:`NetGuard` in a reactor thread (within ``DNS_TIMEOUT``), private addresses
    refused, and the checked addresses remembered for the crawl and handed to the connection."""

    def __init__(self, reactor: Any, guard: NetGuard, timeout: float) -> None:
        self.reactor = reactor
        self.guard = guard
        self.timeout = timeout
        self._checked: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedNameResolver:
        settings = crawler.settings
        return cls(reactor, guard_from_settings(settings), settings.getfloat("DNS_TIMEOUT", 60.0))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def lookup(self, host: str) -> Any:
        """A Deferred of the checked addresses of ``host`` (fails with ``UnsafeTargetError`` or an
        ``OSError`` for a name that does not resolve)."""
        from twisted.internet import defer, threads

        name = normalise_host(host.strip("[]"))
        if name in self._checked:
            return defer.succeed(self._checked[name])
        d = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.guard.addresses, name)
        d.addTimeout(self.timeout, self.reactor)

        def remember(addresses: tuple[str, ...]) -> tuple[str, ...]:
            self._checked[name] = addresses
            return addresses

        return d.addCallback(remember)

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,  # noqa: N802, N803
                        addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:  # noqa: N803
        from scrapy.resolver import HostResolution
        from twisted.internet.address import IPv4Address, IPv6Address

        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def found(addresses: tuple[str, ...]) -> None:
            for a in addresses:
                resolutionReceiver.addressResolved(
                    IPv6Address("TCP", a, portNumber) if ":" in a else IPv4Address("TCP", a, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(failure: Any) -> None:
            import logging

            logging.getLogger("crawler").info("host %s not connected: %s", hostName, failure.getErrorMessage())
            resolutionReceiver.resolutionComplete()  # no address: the download fails as a DNS miss

        self.lookup(hostName).addCallbacks(found, failed)
        return resolution


class PrivateTargetMiddleware:
    """Refuse requests whose host is private (checked and resolved once, see the module docstring)."""

    def __init__(self, guard: NetGuard | None = None) -> None:
        self.guard = guard or NetGuard()

    @classmethod
    def from_crawler(cls, crawler: Any) -> PrivateTargetMiddleware:
        return cls(guard_from_settings(crawler.settings))

    async def process_request(self, request: Any, spider: Any = None) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor

        try:
            self.guard.check_url(request.url)
            resolver = getattr(reactor, "nameResolver", None)
            if isinstance(resolver, GuardedNameResolver):
                from urllib.parse import urlsplit

                await maybe_deferred_to_future(resolver.lookup(urlsplit(request.url).hostname or ""))
        except UnsafeURLError as exc:
            raise IgnoreRequest(f"{UNSAFE_MARK}: {exc}") from None
        except Exception:  # noqa: BLE001 - a name that does not resolve: the download reports it
            return None
        return None


class RetryBackoffMiddleware:
    """Retries with backoff: a request that Scrapy's RetryMiddleware re-queued (``retry_times`` in
    its meta) waits ``RETRY_BACKOFF_BASE × 2^(n-1)`` seconds (capped) before it is sent again."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryBackoffMiddleware:
        return cls(crawler.settings.getfloat("RETRY_BACKOFF_BASE", 0.0),
                   crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0))

    def backoff(self, retry_times: int) -> float:
        if retry_times <= 0 or self.base <= 0:
            return 0.0
        return float(min(self.cap, self.base * 2 ** (retry_times - 1)))

    def process_request(self, request: Any, spider: Any = None) -> Any:
        delay = self.backoff(int(request.meta.get("retry_times", 0)))
        if not delay:
            return None
        from twisted.internet import reactor, task

        return task.deferLater(reactor, delay, lambda: None)
