"""HTTP adapter: one careful GET with requests, for the feed reader, the archive and others.

Owns: conditional GET (ETag / Last-Modified), the total deadline per exchange (connect to last
byte, however slowly a server drips its headers or its body), the size cap measured after
decompression (gzip bombs), manual redirects (limit, loop detection, the target of a permanent
redirect), the extra CA bundle (certifi + a PEM such as the Russian Trusted Root CA), the
connections of :func:`make_session` (each host resolved once through an
:class:`~ecitizen.netguard.NetGuard`, which refuses private addresses, and the connection made
to exactly the address it checked), and the translation of every requests / urllib3 / ssl /
socket exception into :mod:`ecitizen.errors` ``FetchError`` subclasses.

Must not import storage or any domain package. Returns plain data (:class:`FetchResult`); it never
raises for an HTTP status (call :meth:`FetchResult.raise_for_status`).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import heapq
import itertools
import logging
import os
import socket
import ssl
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

from ecitizen.config import HttpConfig
from ecitizen.errors import (
    ConnectError,
    DNSError,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
    TimeoutError_,
    TLSError,
    TooManyRedirectsError,
)
from ecitizen.netguard import NetGuard

log = logging.getLogger("ecitizen.fetch")

CHUNK = 65536
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
#: statuses that mean "the site refuses us", not "the page is gone"
BLOCKED_STATUSES = frozenset({401, 403, 451})

#: called with every URL before it is requested (e.g. a private-network check); raises to refuse
URLGuard = Callable[[str], object]


@dataclass(frozen=True)
class FetchResult:
    """One completed HTTP exchange (after following redirects)."""

    url: str
    final_url: str
    status: int
    #: response headers with lower-case names
    headers: Mapping[str, str]
    body: bytes
    #: where a chain of 301/308 redirects starting at ``url`` ended (the source has moved)
    permanent_redirect_to: str | None = None
    elapsed: float = 0.0
    #: bytes received on the wire (compressed), headers not counted
    wire_bytes: int = 0
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def encoding(self) -> str | None:
        """The charset named by the Content-Type header, if any (it may be wrong)."""
        return charset_from_content_type(self.headers.get("content-type"))

    def raise_for_status(self) -> None:
        if self.ok or self.not_modified:
            return
        raise status_error(self.status, self.final_url, self.headers.get("retry-after"))


def charset_from_content_type(value: str | None) -> str | None:
    if not value:
        return None
    msg = Message()
    msg["content-type"] = value
    charset = msg.get_param("charset")
    if isinstance(charset, str) and charset.strip():
        return charset.strip().strip("'\"").lower()
    return None


def status_error(status: int, url: str, retry_after: str | None = None) -> HTTPStatusError:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    if status in BLOCKED_STATUSES:
        msg = f"blocked: HTTP {status} {phrase} (the site refuses this client; not a missing page)"
    elif status == 404 or status == 410:
        msg = f"HTTP {status} {phrase}: the address no longer exists"
    elif status in (429, 503):
        msg = f"HTTP {status} {phrase}: the site asks to retry later"
        if retry_after:
            msg += f" (Retry-After: {retry_after[:60]})"
    else:
        msg = f"HTTP {status} {phrase}"
    return HTTPStatusError(msg, url=url, status=status)


# -- CA bundle -------------------------------------------------------------------------------------

_bundle_lock = threading.Lock()
_bundles: dict[str, str] = {}


def ca_bundle(extra_pem: str | None) -> str | bool:
    """certifi's bundle plus ``extra_pem`` as one file (cached); ``True`` when there is no extra."""
    if not extra_pem:
        return True
    import certifi

    with _bundle_lock:
        cached = _bundles.get(extra_pem)
        if cached and os.path.exists(cached):
            return cached
        try:
            with open(extra_pem, "rb") as fh:
                extra = fh.read()
        except OSError as exc:
            raise TLSError(f"cannot read the extra CA bundle {extra_pem}: {exc.strerror or exc}") from exc
        if b"-----BEGIN CERTIFICATE-----" not in extra:
            raise TLSError(f"the extra CA bundle {extra_pem} holds no PEM certificate")
        with open(certifi.where(), "rb") as fh:
            base = fh.read()
        digest = hashlib.sha256(base + extra).hexdigest()[:16]
        path = os.path.join(tempfile.gettempdir(), f"ecitizen-ca-{digest}.pem")
        if not os.path.exists(path):
            fd, tmp = tempfile.mkstemp(prefix="ecitizen-ca-", suffix=".pem")
            with os.fdopen(fd, "wb") as out:
                out.write(base.rstrip(b"\n") + b"\n" + extra)
            os.replace(tmp, path)
        _bundles[extra_pem] = path
        return path


# -- guarded connections ---------------------------------------------------------------------------


class _Exchange:
    """One call of :func:`fetch` as its connections see it: the guard, and a deadline at which the
    :class:`_Watchdog` shuts the connection in use down (a recv blocked on a server that drips its
    status line or headers then returns at once, instead of waiting for the next line)."""

    def __init__(self, guard: NetGuard, seconds: float) -> None:
        self.guard = guard
        self.expired = False
        #: set when the call is over: the watchdog then leaves it alone
        self.done = False
        self._lock = threading.Lock()
        self._conn: urllib3.connection.HTTPConnection | None = None
        self._deadline = time.monotonic() + max(0.0, seconds)

    def __enter__(self) -> _Exchange:
        self._token = _EXCHANGE.set(self)
        _WATCHDOG.watch(self._deadline, self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.done = True
            self._conn = None
        _EXCHANGE.reset(self._token)

    def attach(self, conn: urllib3.connection.HTTPConnection) -> None:
        """``conn`` now works for this exchange (until :meth:`detach`)."""
        with self._lock:
            self._conn = conn
            if self.expired:
                _shut(conn)

    def detach(self) -> None:
        """Called before the connection goes back to the pool: the watchdog must not touch it then."""
        with self._lock:
            self._conn = None

    def expire(self) -> None:
        """The deadline passed (called by the watchdog): shut the connection in use down."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            if self._conn is not None:
                _shut(self._conn)


class _Watchdog:
    """One daemon thread that expires each :class:`_Exchange` at its deadline, for every fetch of
    the process; it sleeps until the earliest deadline. A timer thread per fetch cost a thread
    start, and a wait for the new thread to run, for each request: without them a warm poll of
    200 sources uses a quarter less CPU (docs/benchmarks.md). A finished exchange is only marked
    ``done``: it leaves the heap when it reaches the top, or when the heap is compacted (every
    256 additions)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Exchange]] = []
        self._count = itertools.count()
        self._thread: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._forget)  # the thread is not in a forked child

    def _forget(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None

    def watch(self, deadline: float, exchange: _Exchange) -> None:
        with self._cond:
            heap = self._heap
            if len(heap) >= 256 and len(heap) % 256 == 0:
                heap[:] = [entry for entry in heap if not entry[2].done]
                heapq.heapify(heap)
            heapq.heappush(heap, (deadline, next(self._count), exchange))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ecitizen-fetch-watchdog", daemon=True)
                self._thread.start()
            elif heap[0][2] is exchange:
                self._cond.notify()  # an earlier deadline than the one the thread sleeps until

    def _run(self) -> None:
        while True:
            with self._cond:
                heap = self._heap
                while True:
                    while heap and heap[0][2].done:
                        heapq.heappop(heap)
                    if not heap:
                        self._cond.wait()
                        continue
                    left = heap[0][0] - time.monotonic()
                    if left <= 0:
                        exchange = heapq.heappop(heap)[2]
                        break
                    self._cond.wait(left)
            try:
                exchange.expire()
            except Exception:  # the thread must live on for the other fetches
                log.exception("shutting down a connection past its deadline failed")


_WATCHDOG = _Watchdog()


def _shut(conn: urllib3.connection.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            # the plain socket's shutdown, also for a TLS socket: the blocked reader sees the end
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("ecitizen_fetch_exchange", default=None)


def _open(conn: urllib3.connection.HTTPConnection, parent: Callable[[], socket.socket]) -> socket.socket:
    """Resolve the host once through the exchange's guard and connect to one of exactly those
    addresses (the Host header, SNI and certificate check keep the name)."""
    exchange = _EXCHANGE.get()
    if exchange is None:
        return parent()
    exchange.attach(conn)
    host: str = conn._dns_host
    try:
        addresses = exchange.guard.addresses(host)
    except socket.gaierror as exc:
        raise urllib3.exceptions.NameResolutionError(host, conn, exc) from exc
    except OSError as exc:  # a resolver that failed otherwise
        raise urllib3.exceptions.NameResolutionError(host, conn, socket.gaierror(str(exc))) from exc
    last: Exception | None = None
    for address in addresses:
        conn._dns_host = address
        try:
            sock = parent()
        except urllib3.exceptions.ConnectTimeoutError as exc:  # refused, unreachable, timed out (its
            last = exc  # NewConnectionError subclass too): the next address, while time is left
            if exchange.expired:
                break
            continue
        finally:
            conn._dns_host = host
        conn.peer_address = address  # type: ignore[attr-defined]
        return sock
    assert last is not None
    raise last


def _reuse(conn: urllib3.connection.HTTPConnection) -> None:
    """A pooled connection serves this exchange: watch it, and check its address against this guard."""
    exchange = _EXCHANGE.get()
    if exchange is None:
        return
    exchange.attach(conn)
    peer = getattr(conn, "peer_address", None)
    if conn.sock is not None and peer is not None:
        exchange.guard.check(conn.host, (peer,))


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _open(self, super()._new_conn)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _reuse(self)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _open(self, super()._new_conn)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _reuse(self)
        super().request(*args, **kwargs)


class _GuardedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections resolve through the exchange's :class:`NetGuard` and
    are watched by its deadline (see :func:`fetch`)."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def make_session(*, pool_size: int = 16) -> requests.Session:
    """A session for :func:`fetch`: no environment proxies/netrc, a pool sized for the run, and
    guarded connections (:class:`GuardedAdapter`)."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# -- the fetch -------------------------------------------------------------------------------------


class _Decoder:
    """Content-Encoding decoder with an output cap (a gzip bomb stops at ``limit`` bytes)."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.limit = limit
        self.url = url
        self.size = 0
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
            self._raw_deflate_checked = False
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding[:40]!r}", url=url)
        self.encoding = enc

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"response larger than {self.limit} bytes after decompression", url=self.url
        )

    def feed(self, data: bytes) -> bytes:
        if self._z is None:
            out = data
        else:
            if self.encoding == "deflate" and not self._raw_deflate_checked:
                self._raw_deflate_checked = True
                try:
                    zlib.decompressobj().decompress(data[:64])
                except zlib.error:
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without a zlib header
            try:
                out = self._z.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise FetchError(f"corrupt {self.encoding} body: {exc}", url=self.url) from exc
            if self._z.unconsumed_tail:
                raise self._too_large()
        self.size += len(out)
        if self.size > self.limit:
            raise self._too_large()
        return out

    def flush(self) -> bytes:
        if self._z is None:
            return b""
        try:
            out: bytes = self._z.flush()
        except zlib.error as exc:
            raise FetchError(f"corrupt {self.encoding} body: {exc}", url=self.url) from exc
        self.size += len(out)
        if self.size > self.limit:
            raise self._too_large()
        return out


def _socket_of(resp: requests.Response) -> socket.socket | None:
    """The socket under a streamed response (to bound each read by the remaining deadline)."""
    raw: Any = resp.raw
    try:
        sock = raw._fp.fp.raw._sock  # urllib3 response → http.client response → socket
    except AttributeError:
        return None
    return sock if isinstance(sock, socket.socket) else None


def _translate(exc: BaseException, url: str) -> FetchError:
    """One place where foreign exceptions become :class:`FetchError` subclasses."""
    if isinstance(exc, FetchError):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        nxt = cur.__cause__ or cur.__context__
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        if nxt is None and isinstance(cur, urllib3.exceptions.MaxRetryError):
            nxt = cur.reason
        cur = nxt
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or isinstance(
        exc, requests.exceptions.SSLError
    ):
        detail = next((str(e) for e in chain if isinstance(e, ssl.SSLCertVerificationError)), str(exc))
        return TLSError(
            f"TLS certificate not trusted or invalid ({detail[:300]}); state sites may need the "
            "Russian Trusted Root CA (http.extra_ca_bundle)",
            url=url,
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return TLSError(f"TLS handshake failed: {text[:300]}", url=url)
    if any(isinstance(e, socket.gaierror | urllib3.exceptions.NameResolutionError) for e in chain):
        host = urlsplit(url).hostname
        return DNSError(f"host name {host!r} does not resolve", url=url)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return ConnectError("connection refused", url=url)
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return ConnectError("connection reset by the server", url=url)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(e, urllib3.exceptions.ConnectTimeoutError) for e in chain
    ):
        return TimeoutError_("connection timed out (host unreachable or port filtered)", url=url)
    if isinstance(exc, requests.exceptions.Timeout) or any(
        isinstance(e, TimeoutError | socket.timeout | urllib3.exceptions.TimeoutError) for e in chain
    ):
        return TimeoutError_("the server stopped answering (read timeout)", url=url)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema | ValueError | UnicodeError):
        return FetchError(f"invalid URL: {str(exc)[:300]}", url=url)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError
                  | urllib3.exceptions.IncompleteRead):
        return ConnectError(f"the response was cut off: {text[:300]}", url=url)
    if isinstance(exc, requests.exceptions.ConnectionError | OSError):
        return ConnectError(f"cannot connect: {text[:300]}", url=url)
    return FetchError(f"request failed: {text[:300]}", url=url)


def fetch(
    url: str,
    *,
    session: requests.Session,
    etag: str | None = None,
    last_modified: str | None = None,
    connect_timeout: float = 10.0,
    read_timeout: float = 20.0,
    total_deadline: float = 60.0,
    max_bytes: int = 5_000_000,
    max_redirects: int = 10,
    user_agent: str = "ecitizen-watch",
    extra_ca_bundle: str | None = None,
    accept: str = "*/*",
    url_guard: URLGuard | None = None,
    guard: NetGuard | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """GET ``url`` (following up to ``max_redirects`` redirects by hand) and read the body.

    The whole exchange, redirects included, connect to last byte, must finish within
    ``total_deadline`` seconds: each socket read waits at most ``min(read_timeout, time left)``
    and a watchdog shuts the connection down when the time is up (a server dripping its headers).
    The body is decompressed as it arrives and refused beyond ``max_bytes``; a body cut short is
    an error, never a shorter success. Every hop is checked by ``guard`` (default: private
    targets allowed) — the URL before the request, each address when the connection resolves
    it — and by ``url_guard`` if given. ``session`` must come from :func:`make_session`.
    Raises a :class:`FetchError` subclass on failure; an HTTP error status is *returned* (see
    :meth:`FetchResult.raise_for_status`).
    """
    start = clock()
    deadline = start + total_deadline
    net = guard or NetGuard(allow_private=True)
    for prefix in ("http://", "https://"):
        if not isinstance(session.get_adapter(prefix), GuardedAdapter):
            raise TypeError("fetch() needs a session from make_session() (guarded connections)")
    with _Exchange(net, total_deadline) as exchange:
        return _fetch(url, session=session, etag=etag, last_modified=last_modified,
                      connect_timeout=connect_timeout, read_timeout=read_timeout, total_deadline=total_deadline,
                      max_bytes=max_bytes, max_redirects=max_redirects, user_agent=user_agent,
                      extra_ca_bundle=extra_ca_bundle, accept=accept, url_guard=url_guard, exchange=exchange,
                      clock=clock, start=start, deadline=deadline)


def _fetch(
    url: str, *, session: requests.Session, etag: str | None, last_modified: str | None, connect_timeout: float,
    read_timeout: float, total_deadline: float, max_bytes: int, max_redirects: int, user_agent: str,
    extra_ca_bundle: str | None, accept: str, url_guard: URLGuard | None, exchange: _Exchange,
    clock: Callable[[], float], start: float, deadline: float,
) -> FetchResult:
    verify = ca_bundle(extra_ca_bundle)
    headers = {
        "User-Agent": user_agent,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    current = url
    visited: set[str] = set()
    chain: list[str] = []
    permanent_to: str | None = None
    all_permanent = True
    wire = 0
    while True:
        exchange.guard.check_url(current)
        if url_guard is not None:
            url_guard(current)
        visited.add(current)
        req_headers = dict(headers)
        if etag:
            req_headers["If-None-Match"] = etag
        if last_modified:
            req_headers["If-Modified-Since"] = last_modified
        remaining = deadline - clock()
        if remaining <= 0:
            raise _deadline_error(total_deadline, current)
        try:
            resp = session.get(
                current,
                headers=req_headers,
                stream=True,
                allow_redirects=False,
                timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
                verify=verify,
            )
        except Exception as exc:
            if exchange.expired:
                raise _deadline_error(total_deadline, current) from exc
            raise _translate(exc, current) from exc
        try:
            if exchange.expired:  # the watchdog cut the headers short: what arrived is not an answer
                raise _deadline_error(total_deadline, current)
            status = resp.status_code
            if status in _REDIRECTS and resp.headers.get("location"):
                location = resp.headers["location"]
                try:
                    target = urljoin(current, location.strip())
                except ValueError as exc:
                    raise FetchError(f"bad redirect target {location[:200]!r}", url=current) from exc
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(f"redirect to a non-http(s) address {target[:200]!r}", url=current)
                if status in _PERMANENT and all_permanent:
                    permanent_to = target
                else:
                    all_permanent = False
                chain.append(target)
                if target in visited:
                    raise TooManyRedirectsError(
                        f"redirect loop: {target[:200]} was already visited", url=url
                    )
                if len(chain) > max_redirects:
                    raise TooManyRedirectsError(f"more than {max_redirects} redirects", url=url)
                current = target
                continue
            try:
                body, got = _read_body(resp, current, deadline, read_timeout, max_bytes, total_deadline, clock)
            except FetchError as exc:
                if exchange.expired and not isinstance(exc, TimeoutError_ | ResponseTooLargeError):
                    raise _deadline_error(total_deadline, current) from exc
                raise
            if exchange.expired:  # the watchdog ended a body that ends at the close: it is cut short
                raise _deadline_error(total_deadline, current)
            wire += got
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            return FetchResult(
                url=url,
                final_url=current,
                status=status,
                headers=hdrs,
                body=body,
                permanent_redirect_to=permanent_to,
                elapsed=clock() - start,
                wire_bytes=wire,
                redirects=tuple(chain),
            )
        finally:
            exchange.detach()  # before the connection can go back to the pool
            resp.close()


def _deadline_error(total_deadline: float, url: str) -> TimeoutError_:
    return TimeoutError_(
        f"the response did not complete within {total_deadline:g} s (slow or endless answer)", url=url
    )


def _read_body(
    resp: requests.Response,
    url: str,
    deadline: float,
    read_timeout: float,
    max_bytes: int,
    total_deadline: float,
    clock: Callable[[], float],
) -> tuple[bytes, int]:
    length = resp.headers.get("content-length")
    if length and length.isdigit() and not resp.headers.get("content-encoding") and int(length) > max_bytes:
        raise ResponseTooLargeError(
            f"response of {int(length)} bytes is larger than the cap of {max_bytes} bytes", url=url
        )
    decoder = _Decoder(resp.headers.get("content-encoding", ""), max_bytes, url)
    sock = _socket_of(resp)
    parts: list[bytes] = []
    wire = 0
    try:
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise TimeoutError_(
                    f"the response did not complete within {total_deadline:g} s (slow or endless body)",
                    url=url,
                )
            if sock is not None and sock.fileno() != -1:
                # http.client closes the socket once the last byte of a closing response is read
                sock.settimeout(max(0.05, min(read_timeout, remaining)))
            data = resp.raw.read1(CHUNK, decode_content=False)
            if not data:
                break
            wire += len(data)
            out = decoder.feed(data)
            if out:
                parts.append(out)
        tail = decoder.flush()
        if tail:
            parts.append(tail)
    except FetchError:
        raise
    except Exception as exc:
        if clock() >= deadline:
            raise TimeoutError_(
                f"the response did not complete within {total_deadline:g} s (slow or endless body)", url=url
            ) from exc
        raise _translate(exc, url) from exc
    return b"".join(parts), wire


def fetch_configured(
    url: str,
    http: HttpConfig,
    *,
    session: requests.Session | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
    max_bytes: int | None = None,
) -> FetchResult:
    """:func:`fetch` with the limits of ``config.http``; every hop of a user-entered URL must be a
    public address unless ``http.allow_private_targets`` (resolved once per connection through the
    resolver hook, :func:`ecitizen.netguard.default_resolver`)."""
    own = session is None
    sess = make_session() if session is None else session
    try:
        return fetch(
            url,
            session=sess,
            etag=etag,
            last_modified=last_modified,
            connect_timeout=http.connect_timeout,
            read_timeout=http.read_timeout,
            total_deadline=http.total_deadline,
            max_bytes=max_bytes or http.max_response_bytes,
            max_redirects=http.max_redirects,
            user_agent=http.user_agent,
            extra_ca_bundle=http.extra_ca_bundle,
            accept=accept,
            guard=NetGuard(allow_private=http.allow_private_targets),
        )
    finally:
        if own:
            sess.close()
