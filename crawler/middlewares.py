"""Downloader middlewares: refuse private-network targets; detect the charset of undeclared pages.

Private targets: every request — including redirects and links found on crawled pages — to a
literal private/loopback address or ``localhost`` is refused unless
``http.allow_private_targets`` (tests, demo) is set. (No DNS lookups here: the reactor must not
block.)

Charset:
pravo.gov.ru and garant.ru send windows-1251 with no charset in the header and none in the page;
Scrapy may guess wrong and garble the Cyrillic. When neither the header nor the
body declares an encoding and the bytes are not valid UTF-8, charset_normalizer decides, and the
response is replaced by one whose header names that charset.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from ecitizen.errors import UnsafeURLError
from ecitizen.urls import check_public_url

UNSAFE_MARK = "unsafe target"

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*['"]?[\w-]+""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding=""", re.I)


def detect_charset(body: bytes) -> str | None:
    """The charset of an undeclared body, or None when UTF-8 (or undecidable). Pure."""
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000], cp_isolation=["cp1251", "koi8_r", "utf_8", "cp866", "iso8859_5"]).best()
    return best.encoding if best else "cp1251"


class CharsetMiddleware:
    def process_response(self, request: Any, response: Response, spider: Any = None) -> Response:
        if not isinstance(response, TextResponse):
            return response
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if "charset=" in ctype.lower():
            return response
        head = response.body[:4096]
        if _META_CHARSET.search(head) or _XML_DECL.search(head) or head.startswith(b"\xef\xbb\xbf"):
            return response
        enc = detect_charset(response.body)
        if enc is None:
            return response
        headers = response.headers.copy()
        headers[b"Content-Type"] = f"{ctype.split(';')[0] or 'text/html'}; charset={enc}".encode("latin-1")
        return response.replace(headers=headers, encoding=enc)


class PrivateTargetMiddleware:
    """Refuse requests to private-network hosts (the spider's ``allow_private`` lifts it)."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> PrivateTargetMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        spider = spider or getattr(self.crawler, "spider", None)
        if getattr(spider, "allow_private", False):
            return None
        try:
            check_public_url(request.url, resolve=None)
        except UnsafeURLError as exc:
            raise IgnoreRequest(f"{UNSAFE_MARK}: {exc}") from None
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
