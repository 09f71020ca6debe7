"""URL handling: canonical form, Cyrillic display, host syntax, and the public-target safety check.

Pure functions except :func:`check_public_url`, which resolves the host name (DNS, through the
resolver hook of :mod:`ecitizen.netguard`) when asked.

A host is read as a browser reads it: percent-escapes decoded, IDNA-encoded, lower case, no
trailing dot. What is then not an IP address or a valid host name (``%00``, spaces, ``127.1``,
``0x7f000001``) is refused by :func:`canonical_url` and :func:`check_public_url` alike, so a
host cannot mean one thing to the safety check and another to the HTTP client.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlencode, urlsplit, urlunsplit

from ecitizen.errors import UnsafeURLError

#: query parameters that only track the visitor and never change the page
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "yclid", "ysclid", "mc_cid", "mc_eid", "_openstat", "from", "utm_referrer",
        "_ga", "_gl", "igshid", "spm", "ref_src",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
#: a last label that makes a browser or inet_aton read the name as an IPv4 number (127.1, 0x7f.1)
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


@lru_cache(maxsize=4096)  # pure; a feed's thousand links share a few hosts
def _encode_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host or host.startswith("["):
        return host
    if "%" in host:
        try:
            host = unquote_to_bytes(host).decode("utf-8").strip().rstrip(".").lower()
        except UnicodeDecodeError:
            return host  # not a host name; is_valid_host refuses it
    if ":" in host:  # an IPv6 literal (urlsplit's hostname has no brackets)
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # idna (2003) refuses some valid IDNA2008 names; the idna package handles them
        try:
            import idna

            return idna.encode(host, uts46=True).decode("ascii")
        except Exception:  # noqa: BLE001 - leave an undecodable host as it is
            return host


def normalise_host(host: str) -> str:
    """A host as it is connected to: percent-escapes decoded, IDNA (punycode), lower case, no
    trailing dot. The result may still be invalid (see :func:`is_valid_host`)."""
    return _encode_host(host)


@lru_cache(maxsize=4096)
def is_valid_host(host: str) -> bool:
    """True for an IP address or a syntactically valid (ASCII, IDNA-encoded) host name."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if len(host) > 253:
        return False
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return not _NUMERIC_LABEL.fullmatch(labels[-1])


def is_local_name(host: str) -> bool:
    """``localhost`` and the names that only a local network resolves (``*.localhost``, ``*.local``)."""
    return host == "localhost" or host.endswith((".localhost", ".local"))


def display_host(host: str) -> str:
    """``xn--b1aew.xn--p1ai`` -> ``мвд.рф`` (as people read it)."""
    try:
        import idna

        return idna.decode(host)
    except Exception:  # noqa: BLE001
        try:
            return host.encode("ascii").decode("idna")
        except UnicodeError:
            return host


def canonical_url(url: str, *, base: str | None = None) -> str:
    """The form under which a URL is stored and compared.

    Lower-case scheme and host, IDN host in punycode, percent-escapes in the host decoded, default
    port and fragment dropped, tracking parameters (``utm_*``, ``fbclid``, ``yclid``...) removed,
    remaining query kept in order, path percent-encoded consistently, empty path becomes ``/``.
    Raises :class:`UnsafeURLError` (a ``ValueError``) when the host is not a valid host name.
    """
    from urllib.parse import urljoin

    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = _encode_host(parts.hostname or "")
    if host and not is_valid_host(host):
        raise UnsafeURLError(f"{url[:200]!r}: {host[:100]!r} is not a valid host name")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else None
    netloc = host if port is None else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    query = urlencode(query_pairs, doseq=True, quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))


def display_url(url: str) -> str:
    """A URL as people read it: Cyrillic host and decoded Cyrillic path."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = display_host(host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, unquote(parts.path), unquote(parts.query), parts.fragment))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_http_url(url: str) -> bool:
    """An http(s) URL whose host is a valid host name or IP address (after decoding)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return is_valid_host(_encode_host(parts.hostname))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """A globally reachable unicast address (not private, loopback, link-local, shared, reserved,
    multicast — also not one hidden in an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour:
            embedded.append(ip.sixtofour)
        if ip.teredo:
            embedded.extend(ip.teredo)
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif embedded and not all(is_public_address(str(v4)) for v4 in embedded):
            return False
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str], Iterable[str]]


def _resolve(host: str) -> list[str]:
    """The project's resolver hook (:func:`ecitizen.netguard.default_resolver`)."""
    from ecitizen.netguard import default_resolver

    return list(default_resolver()(host))


def check_public_url(url: str, *, allow_private: bool = False, resolve: Resolver | None = _resolve) -> str:
    """Refuse a user-entered URL that is not http(s), has an invalid host or points at a private
    network. Returns the canonical URL.

    ``resolve=None`` checks literal IP hosts only (no DNS); the default resolves through the
    project's resolver hook (where a test table may trust a name). A name that does not resolve is
    accepted: that is the checker's business (``dns_error``), not a safety question. The fetchers
    check every address again when they connect (:class:`ecitizen.netguard.NetGuard`).
    """
    if not is_http_url(url):
        raise UnsafeURLError(f"{url!r}: only http:// and https:// addresses with a valid host are accepted")
    canon = canonical_url(url)
    if allow_private:
        return canon
    host = (urlsplit(canon).hostname or "").strip("[]")
    if is_local_name(host):
        raise UnsafeURLError(f"{url!r}: a local-network address is not allowed")
    from ecitizen.netguard import NetGuard, refusal

    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if resolve is None:
            return canon
        guard = NetGuard(allow_private=False, resolver=None if resolve is _resolve else _as_list(resolve))
        try:
            guard.addresses(host)
        except OSError:
            return canon  # unresolvable names are the checker's business (dns_error), not unsafe
        except UnsafeURLError as exc:
            raise UnsafeURLError(f"{url!r}: {exc}") from None
        return canon
    why = refusal(host, addresses)
    if why:
        raise UnsafeURLError(f"{url!r}: {why}")
    return canon


def _as_list(resolve: Resolver) -> Callable[[str], list[str]]:
    return lambda host: list(resolve(host))
