"""URL handling: canonical form, Cyrillic display, and the public-target safety check.

Pure functions except :func:`check_public_url`, which resolves the host name (DNS) when asked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from ecitizen.errors import UnsafeURLError

#: query parameters that only track the visitor and never change the page
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "yclid", "ysclid", "mc_cid", "mc_eid", "_openstat", "from", "utm_referrer",
        "_ga", "_gl", "igshid", "spm", "ref_src",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _encode_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host or host.startswith("["):
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

    Lower-case scheme and host, IDN host in punycode, default port and fragment dropped,
    tracking parameters (``utm_*``, ``fbclid``, ``yclid``...) removed, remaining query kept in order,
    path percent-encoded consistently, empty path becomes ``/``.
    """
    from urllib.parse import urljoin

    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = _encode_host(parts.hostname or "")
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
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str], Iterable[str]]


def _resolve(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None)]


def check_public_url(url: str, *, allow_private: bool = False, resolve: Resolver | None = _resolve) -> str:
    """Refuse a user-entered URL that is not http(s) or points at a private network.

    Returns the canonical URL. ``resolve=None`` checks literal IP hosts only (no DNS).
    """
    if not is_http_url(url):
        raise UnsafeURLError(f"{url!r}: only http:// and https:// addresses are accepted")
    canon = canonical_url(url)
    if allow_private:
        return canon
    host = urlsplit(canon).hostname or ""
    if host in ("localhost",) or host.endswith(".localhost") or host.endswith(".local"):
        raise UnsafeURLError(f"{url!r}: a local-network address is not allowed")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if resolve is None:
            return canon
        try:
            addresses = list(resolve(host))
        except OSError:
            return canon  # unresolvable names are the checker's business (dns_error), not unsafe
    for addr in addresses:
        if not is_public_address(addr):
            raise UnsafeURLError(f"{url!r}: {host} is a private-network address ({addr})")
    return canon
