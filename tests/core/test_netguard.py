"""Host syntax, address classes and the resolver hook (ecitizen.urls, ecitizen.netguard): pure tables."""

from __future__ import annotations

import socket

import pytest

from ecitizen.errors import FetchError, UnsafeURLError
from ecitizen.netguard import (
    HostTable,
    NetGuard,
    UnsafeTargetError,
    default_resolver,
    resolver_override,
    system_resolve,
)
from ecitizen.urls import canonical_url, check_public_url, is_http_url, is_public_address


@pytest.mark.parametrize(("raw", "expected"), [
    # a browser (and requests) decodes percent-escapes in the host: so does the canonical form
    ("http://%31%32%37.0.0.1:8080/feed", "http://127.0.0.1:8080/feed"),
    ("http://%65xample.org/", "http://example.org/"),
    ("http://%D0%BC%D0%B2%D0%B4.%D1%80%D1%84/", "http://xn--b1aew.xn--p1ai/"),
    ("http://EXAMPLE.org./a", "http://example.org/a"),
])
def test_canonical_host_is_the_host_connected_to(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize("url", [
    "http://exa%00mple.org/",     # a NUL after decoding
    "http://exa%20mple.org/",     # a space
    "http://ex%2Fample.org/",     # a slash
    "http://%zz.org/",            # not an escape
    "http://%ff%fe.org/",         # not UTF-8
    "http://127.1/",              # legacy IPv4 forms that inet_aton reads as 127.0.0.1
    "http://0x7f000001/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://a..b/",
    "http://-bad-.org/",
    "http://" + "a" * 64 + ".org/",
])
def test_an_invalid_host_is_refused_by_canonicalisation_and_the_safety_check(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="valid host"):
        canonical_url(url)
    assert not is_http_url(url)
    for allow in (False, True):  # invalid whatever the private-target setting
        with pytest.raises(UnsafeURLError):
            check_public_url(url, allow_private=allow, resolve=None)


def test_percent_encoded_private_host_is_refused_even_when_the_name_does_not_resolve() -> None:
    url = "http://%31%32%37.0.0.1:8080/feed"

    def nothing(host: str) -> list[str]:
        raise OSError("unknown")

    for resolve in (None, nothing):
        with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1 is a private-network address"):
            check_public_url(url, resolve=resolve)
    assert check_public_url(url, allow_private=True) == "http://127.0.0.1:8080/feed"


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2a00:1450:4010:c05::64", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("240.0.0.1", False),
    ("224.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("fe80::1", False), ("fc00::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:93.184.216.34", True),
    ("2002:7f00:1::", False),          # 6to4 around 127.0.0.1
    ("64:ff9b::a00:1", False),         # NAT64 around 10.0.0.1
])
def test_address_classes(address: str, public: bool) -> None:
    assert is_public_address(address) is public


TABLE = HostTable({"public.test": "127.0.0.2", "vm.test": "127.0.0.3", "world.test": "93.184.216.34"},
                  trusted=["public.test"])


def test_guard_resolves_once_and_classifies() -> None:
    strict = NetGuard(allow_private=False, resolver=TABLE)
    assert strict.addresses("world.test") == ("93.184.216.34",)
    assert strict.addresses("PUBLIC.test.") == ("127.0.0.2",)  # trusted by the table (a test's public site)
    with pytest.raises(UnsafeTargetError, match=r"vm\.test resolves to a private-network address \(127\.0\.0\.3\)"):
        strict.addresses("vm.test")
    with pytest.raises(UnsafeTargetError, match="private-network"):
        strict.addresses("127.0.0.1")
    with pytest.raises(UnsafeTargetError, match="valid host"):
        strict.addresses("%31%32%37.1")
    with pytest.raises(socket.gaierror):
        strict.addresses("nowhere.test")
    lax = NetGuard(allow_private=True, resolver=TABLE)
    assert lax.addresses("vm.test") == ("127.0.0.3",) and lax.addresses("[::1]") == ("::1",)
    err = UnsafeTargetError("x")
    assert isinstance(err, FetchError) and isinstance(err, UnsafeURLError) and err.code == "unsafe_target"


@pytest.mark.parametrize(("url", "refused"), [
    ("http://vm.test/", False),              # a name: checked when the connection resolves it
    ("http://public.test/", False),
    ("http://127.0.0.1/", True),
    ("http://[::1]:8080/", True),
    ("http://localhost/", True),
    ("http://printer.local/", True),
    ("http://%31%32%37.0.0.1/", True),
    ("http://0x7f000001/", True),
    ("ftp://example.org/", True),
])
def test_per_hop_url_check_needs_no_dns(url: str, refused: bool) -> None:
    guard = NetGuard(allow_private=False, resolver=lambda host: pytest.fail("no DNS here"))
    if refused:
        with pytest.raises(UnsafeTargetError):
            guard.check_url(url)
    else:
        guard.check_url(url)


def test_the_default_resolver_is_the_one_hook_of_check_public_url() -> None:
    assert default_resolver() is system_resolve
    with resolver_override(TABLE):
        assert check_public_url("http://public.test:8080/") == "http://public.test:8080/"
        with pytest.raises(UnsafeURLError, match=r"vm\.test resolves to a private-network address"):
            check_public_url("http://vm.test/")
        assert check_public_url("http://nowhere.test/") == "http://nowhere.test/"  # no answer: not unsafe
    assert default_resolver() is system_resolve
