"""ecitizen.fetch against real local HTTP(S) servers: limits, redirects, validators, errors."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

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
from ecitizen.fetch import ca_bundle, charset_from_content_type, fetch, make_session
from ecitizen.netguard import HostTable, NetGuard, UnsafeTargetError
from tests.feeds.helpers import news, rss
from tests.support.httpserver import LocalServer, Reply, drip, endless, self_signed_cert
from tests.support.rawserver import (
    RawServer,
    chunked,
    close_with_length,
    cut_chunked,
    cut_with_length,
    header_drip,
    http10,
)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    s = make_session()
    yield s
    s.close()


def test_plain_get_returns_body_headers_and_charset(server: LocalServer, http: requests.Session) -> None:
    server.route("/f", Reply(200, b"<rss/>", {"Content-Type": "application/rss+xml; charset=windows-1251"}))
    res = fetch(server.url("/f"), session=http, user_agent="ua-test/1")
    assert (res.status, res.body, res.encoding, res.content_type) == (
        200, b"<rss/>", "windows-1251", "application/rss+xml")
    assert res.final_url == server.url("/f") and res.permanent_redirect_to is None
    assert server.requests_to("/f")[0].headers["user-agent"] == "ua-test/1"


def test_conditional_get_sends_validators_and_reports_304(server: LocalServer, http: requests.Session) -> None:
    def handler(req):  # type: ignore[no-untyped-def]
        if req.headers.get("if-none-match") == '"v1"' and req.headers.get("if-modified-since"):
            return Reply(304, b"")
        return Reply(200, b"<rss/>", {"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 09:00:00 GMT"})

    server.route("/f", handler)
    first = fetch(server.url("/f"), session=http)
    assert first.status == 200 and first.etag == '"v1"'
    second = fetch(server.url("/f"), session=http, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = server.requests_to("/f")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Tue, 24 Nov 2026 09:00:00 GMT"


def test_gzip_body_is_decompressed_and_wire_bytes_counted(server: LocalServer, http: requests.Session) -> None:
    payload = b"<rss>" + b"a" * 100_000 + b"</rss>"
    server.route("/g", Reply(200, gzip.compress(payload), {"Content-Encoding": "gzip"}))
    res = fetch(server.url("/g"), session=http)
    assert res.body == payload and res.wire_bytes < 2000


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
])
def test_compression_bomb_is_capped_after_decompression(
    server: LocalServer, http: requests.Session, encoding: str, compress: object
) -> None:
    bomb = compress(b"\0" * 50_000_000)  # type: ignore[operator]
    assert len(bomb) < 100_000
    server.route("/bomb", Reply(200, bomb, {"Content-Encoding": encoding}))
    t = time.monotonic()
    with pytest.raises(ResponseTooLargeError, match="after decompression"):
        fetch(server.url("/bomb"), session=http, max_bytes=1_000_000)
    assert time.monotonic() - t < 5


def test_declared_oversized_body_refused_before_reading(server: LocalServer, http: requests.Session) -> None:
    server.route("/big", Reply(200, b"x" * 2_000_000))
    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/big"), session=http, max_bytes=1_000_000)


def test_endless_body_stops_at_the_cap(server: LocalServer, http: requests.Session) -> None:
    server.route("/endless", Reply(200, endless()))
    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/endless"), session=http, max_bytes=2_000_000, total_deadline=10)


def test_slow_drip_is_cut_by_the_total_deadline(server: LocalServer, http: requests.Session) -> None:
    # one byte every 0.3 s: each read is quick, so only the total deadline can stop it
    server.route("/drip", Reply(200, drip(1000, 0.3, b"<")))
    t = time.monotonic()
    with pytest.raises(TimeoutError_, match=r"did not complete within 1\.5 s"):
        fetch(server.url("/drip"), session=http, read_timeout=10, total_deadline=1.5)
    assert time.monotonic() - t < 3.5


def test_headers_never_arrive_is_a_timeout(server: LocalServer, http: requests.Session) -> None:
    server.route("/slow", Reply(200, b"late", delay=3))
    t = time.monotonic()
    with pytest.raises(TimeoutError_):
        fetch(server.url("/slow"), session=http, read_timeout=10, total_deadline=1)
    assert time.monotonic() - t < 2.5


def test_redirect_loop_is_detected(server: LocalServer, http: requests.Session) -> None:
    server.route("/a", Reply(302, b"", {"Location": "/b"}))
    server.route("/b", Reply(302, b"", {"Location": "/a"}))
    with pytest.raises(TooManyRedirectsError, match="loop"):
        fetch(server.url("/a"), session=http)


def test_too_many_redirects(server: LocalServer, http: requests.Session) -> None:
    for i in range(12):
        server.route(f"/r{i}", Reply(302, b"", {"Location": f"/r{i + 1}"}))
    server.route("/r12", Reply(200, b"ok"))
    with pytest.raises(TooManyRedirectsError, match="more than 10"):
        fetch(server.url("/r0"), session=http, max_redirects=10)
    assert fetch(server.url("/r3"), session=http, max_redirects=10).body == b"ok"


@pytest.mark.parametrize("statuses, moved", [
    ((301,), "/new"),
    ((308,), "/new"),
    ((302,), None),
    ((301, 302), "/mid"),  # the permanent part of the chain is what moved
])
def test_permanent_redirect_target_is_recorded(
    server: LocalServer, http: requests.Session, statuses: tuple[int, ...], moved: str | None
) -> None:
    paths = ["/old", "/mid", "/new"] if len(statuses) == 2 else ["/old", "/new"]
    for status, src, dst in zip(statuses, paths, paths[1:], strict=False):
        server.route(src, Reply(status, b"", {"Location": server.url(dst)}))
    server.route("/new", Reply(200, b"<rss/>"))
    res = fetch(server.url("/old"), session=http)
    assert res.body == b"<rss/>" and res.final_url == server.url("/new")
    assert res.permanent_redirect_to == (server.url(moved) if moved else None)


def test_redirect_to_other_scheme_refused(server: LocalServer, http: requests.Session) -> None:
    server.route("/x", Reply(302, b"", {"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="non-http"):
        fetch(server.url("/x"), session=http)


def test_url_guard_is_applied_to_every_hop(server: LocalServer, http: requests.Session) -> None:
    server.route("/x", Reply(302, b"", {"Location": "http://127.0.0.1:1/private"}))
    seen: list[str] = []

    def guard(u: str) -> None:
        seen.append(u)
        if u.endswith("/private"):
            raise FetchError("refused private target", url=u)

    with pytest.raises(FetchError, match="refused"):
        fetch(server.url("/x"), session=http, url_guard=guard)
    assert seen == [server.url("/x"), "http://127.0.0.1:1/private"]


@pytest.mark.parametrize("status, text", [
    (403, "blocked"), (404, "no longer exists"), (429, "retry later"), (500, "HTTP 500"),
])
def test_error_status_is_returned_then_raised_with_a_clear_message(
    server: LocalServer, http: requests.Session, status: int, text: str
) -> None:
    server.route("/e", Reply(status, b"err", {"Retry-After": "120"}))
    res = fetch(server.url("/e"), session=http)
    assert res.status == status
    with pytest.raises(HTTPStatusError, match=text) as info:
        res.raise_for_status()
    assert info.value.status == status


def test_connection_refused(http: requests.Session) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ConnectError, match="refused"):
        fetch(f"http://127.0.0.1:{port}/", session=http, connect_timeout=2)


def test_unresolvable_host_is_a_dns_error(http: requests.Session) -> None:
    with pytest.raises(DNSError, match="does not resolve"):
        fetch("http://no-such-host.invalid/feed", session=http, connect_timeout=2)


def test_untrusted_certificate_then_trusted_with_extra_bundle(tmp_path, http: requests.Session) -> None:  # type: ignore[no-untyped-def]
    cert, key = self_signed_cert("127.0.0.1", str(tmp_path))
    with LocalServer("127.0.0.1", tls=(cert, key)) as srv:
        srv.route("/f", Reply(200, b"<rss/>"))
        with pytest.raises(TLSError, match="Russian Trusted Root CA"):
            fetch(srv.url("/f"), session=http)
        res = fetch(srv.url("/f"), session=http, extra_ca_bundle=cert)
        assert res.body == b"<rss/>"


def test_ca_bundle_combines_certifi_and_extra(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import certifi

    cert, _key = self_signed_cert("127.0.0.1", str(tmp_path))
    path = ca_bundle(cert)
    assert isinstance(path, str)
    data = open(path, "rb").read()
    assert data.startswith(open(certifi.where(), "rb").read()[:200]) and open(cert, "rb").read() in data
    assert ca_bundle(None) is True
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TLSError, match="no PEM"):
        ca_bundle(str(bad))


@pytest.mark.parametrize("value, expected", [
    ("text/xml; charset=KOI8-R", "koi8-r"),
    ('application/rss+xml; charset="windows-1251"', "windows-1251"),
    ("text/xml", None),
    (None, None),
])
def test_charset_from_content_type(value: str | None, expected: str | None) -> None:
    assert charset_from_content_type(value) == expected


# -- hostile networks (issue 10): how a body ends, headers past the deadline, the resolver hook ------

FEED = rss(news(30))


@pytest.fixture
def raw() -> Iterator[RawServer]:
    with RawServer("127.0.0.51") as srv:
        srv.route("/close-length", close_with_length(FEED, "application/rss+xml"))
        srv.route("/http10", http10(FEED, "application/rss+xml"))
        srv.route("/chunked", chunked(FEED, "application/rss+xml"))
        srv.route("/cut-length", cut_with_length(FEED, "application/rss+xml"))
        srv.route("/cut-chunked", cut_chunked(FEED, "application/rss+xml"))
        srv.route("/drip", header_drip(0.5, 60))
        yield srv


@pytest.mark.parametrize("path", ["/close-length", "/http10", "/chunked"])
def test_a_body_that_ends_at_the_close_is_read_whole(raw: RawServer, http: requests.Session, path: str) -> None:
    # Connection: close with a length (http.client closes the socket after the last byte), HTTP/1.0
    # without a length (the body ends at the close), chunked without a length (keep-alive)
    res = fetch(raw.url(path), session=http)
    assert (res.status, res.body) == (200, FEED)
    again = fetch(raw.url(path), session=http)  # the pool is still usable afterwards
    assert again.body == FEED


@pytest.mark.parametrize("path", ["/cut-length", "/cut-chunked"])
def test_a_body_cut_by_the_close_is_an_error_not_a_short_success(
    raw: RawServer, http: requests.Session, path: str
) -> None:
    with pytest.raises(ConnectError, match="cut off"):
        fetch(raw.url(path), session=http)


def test_headers_dripped_one_line_at_a_time_are_cut_by_the_total_deadline(
    raw: RawServer, http: requests.Session
) -> None:
    # one header line every 0.5 s: every read is quick, only the total deadline can stop it
    t = time.monotonic()
    with pytest.raises(TimeoutError_, match=r"within 2 s"):
        fetch(raw.url("/drip"), session=http, read_timeout=10, total_deadline=2)
    assert time.monotonic() - t < 3.0


def test_one_watchdog_thread_serves_every_fetch_and_wakes_for_an_earlier_deadline(
    raw: RawServer, http: requests.Session
) -> None:
    # a fetch with a late deadline is in flight (the watchdog sleeps until that deadline) when one
    # with an earlier deadline starts: the second is still cut at its own deadline
    with ThreadPoolExecutor(1) as pool:
        late = pool.submit(fetch, raw.url("/drip"), session=make_session(), read_timeout=10, total_deadline=8)
        time.sleep(0.3)
        t = time.monotonic()
        with pytest.raises(TimeoutError_, match=r"within 1 s"):
            fetch(raw.url("/drip"), session=http, read_timeout=10, total_deadline=1)
        assert time.monotonic() - t < 2.5
        assert not late.done()
        with pytest.raises(TimeoutError_, match=r"within 8 s"):
            late.result()
    for _ in range(20):  # a finished fetch leaves no thread behind
        assert fetch(raw.url("/chunked"), session=http).body == FEED
    assert [t.name for t in threading.enumerate()].count("ecitizen-fetch-watchdog") == 1


def test_each_connection_resolves_once_through_the_guard_and_keeps_the_name(
    servers: Callable[[str], LocalServer], http: requests.Session
) -> None:
    public = servers("127.0.0.52")
    vm = servers("127.0.0.53")
    public.route("/feed", Reply(200, FEED))
    public.route("/go", Reply(302, b"", {"Location": f"http://vm.test:{vm.port}/secret"}))
    vm.route("/secret", Reply(200, b"internal"))
    calls: list[str] = []
    table = HostTable({"public.test": "127.0.0.52", "vm.test": "127.0.0.53"}, trusted=["public.test"])

    def resolver(host: str) -> Sequence[str]:
        calls.append(host)
        return table(host)

    guard = NetGuard(allow_private=False, resolver=resolver)
    guard_trusting = NetGuard(allow_private=False, resolver=table)
    # a plain resolver trusts nothing: public.test → 127.0.0.52 is private, refused before connecting
    with pytest.raises(UnsafeTargetError, match=r"public\.test resolves to a private-network address"):
        fetch(f"http://public.test:{public.port}/feed", session=http, guard=guard)
    assert calls == ["public.test"] and public.log == []
    # no system DNS knows public.test: the connection went to the address the guard returned
    res = fetch(f"http://public.test:{public.port}/feed", session=http, guard=guard_trusting)
    assert res.body == FEED and public.requests_to("/feed")[0].headers["host"] == f"public.test:{public.port}"
    # the kept-alive connection is checked again for a stricter exchange (no new resolution needed)
    with pytest.raises(UnsafeTargetError, match="private-network"):
        fetch(f"http://public.test:{public.port}/feed", session=http, guard=guard)
    assert calls == ["public.test"] and len(public.requests_to("/feed")) == 1
    # a redirect hop to a name that resolves privately is refused; the internal host sees nothing
    with pytest.raises(UnsafeTargetError, match=r"vm\.test resolves to a private-network address \(127\.0\.0\.53\)"):
        fetch(f"http://public.test:{public.port}/go", session=http, guard=guard_trusting)
    assert vm.log == []


def test_fetch_refuses_a_session_without_guarded_connections() -> None:
    with requests.Session() as plain, pytest.raises(TypeError, match="make_session"):
        fetch("http://127.0.0.1:9/", session=plain)


def test_https_to_a_checked_address_keeps_the_name_for_sni_and_the_certificate(
    tmp_path, http: requests.Session  # type: ignore[no-untyped-def]
) -> None:
    cert, key = self_signed_cert("public.test", str(tmp_path))  # valid for the name, not the address
    table = HostTable({"public.test": "127.0.0.54"}, trusted=["public.test"])
    with LocalServer("127.0.0.54", tls=(cert, key)) as srv:
        srv.route("/f", Reply(200, FEED))
        res = fetch(f"https://public.test:{srv.port}/f", session=http, extra_ca_bundle=cert,
                    guard=NetGuard(allow_private=False, resolver=table))
        assert res.body == FEED
        with pytest.raises(TLSError):  # the certificate names public.test, not the bare address
            fetch(f"https://127.0.0.54:{srv.port}/f", session=http, extra_ca_bundle=cert)
