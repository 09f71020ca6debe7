"""Where a request may connect: resolve a host once, classify its addresses, refuse private ones.

The one resolver hook of the project. Every fetcher — the feed reader and the web interface's feed
discovery (:mod:`ecitizen.fetch`, requests), the link checker and saved copies
(:mod:`ecitizen.archive.probe`, aiohttp), the crawler (:mod:`ecitizen.crawler.middlewares`,
Twisted) — asks a :class:`NetGuard` for the addresses of every host it connects to, redirect hops
included, and connects to exactly the addresses it was given: there is no second DNS lookup that
a rebinding name could answer differently. Unless private targets are allowed
(``http.allow_private_targets``: tests, the demo), a host with any private, loopback,
link-local, shared, multicast or reserved address is refused with :class:`UnsafeTargetError`
(outcome code ``unsafe_target``).

The name lookup itself is a :data:`Resolver`: the system's (``getaddrinfo``) unless the process
default is replaced (:func:`set_default_resolver`), or the one a fetcher is given. Tests and the
demo use a :class:`HostTable` (``vm.test`` → ``127.0.0.3``); a table may *trust* names, whose
addresses then count as public whatever they are — how a test plays a public site on a loopback
address while the private-target refusal stays on.

Must not import: requests, aiohttp, Scrapy, the storage or any domain package.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ecitizen.errors import UnsafeTargetError
from ecitizen.urls import is_http_url, is_local_name, is_public_address, is_valid_host, normalise_host

#: host name → its addresses; raises ``OSError`` (``socket.gaierror``) when the name is unknown
Resolver = Callable[[str], Sequence[str]]


def system_resolve(host: str) -> list[str]:
    """The system's answer (``getaddrinfo``), each address once, in its order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class HostTable(Mapping[str, str]):
    """A fixed name → address table instead of DNS (tests, the demo). Unknown names fail like a
    DNS miss; names in ``trusted`` count as public whatever their address."""

    def __init__(self, hosts: Mapping[str, str], *, trusted: Iterable[str] = ()) -> None:
        self._hosts = {normalise_host(k): v for k, v in hosts.items()}
        self.trusted = frozenset(normalise_host(h) for h in trusted)

    def __call__(self, host: str) -> list[str]:
        address = self._hosts.get(normalise_host(host))
        if not address:
            raise socket.gaierror(socket.EAI_NONAME, f"name not known: {host}")
        return [address]

    def __getitem__(self, host: str) -> str:
        return self._hosts[normalise_host(host)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hosts)

    def __len__(self) -> int:
        return len(self._hosts)


_default_lock = threading.Lock()
_default: Resolver = system_resolve


def default_resolver() -> Resolver:
    """The process's resolver: :func:`system_resolve` unless replaced."""
    return _default


def set_default_resolver(resolver: Resolver | None) -> Resolver:
    """Replace the process's resolver (``None``: the system's again); returns the previous one.

    For tests and the demo only: the fetchers that take no resolver of their own (the feed poll,
    the web discovery, saved copies) use it. The crawler runs in its own process and gets its
    table through the Scrapy settings (``ECITIZEN_HOSTS``, ``ECITIZEN_TRUSTED_HOSTS``).
    """
    global _default
    with _default_lock:
        previous, _default = _default, resolver or system_resolve
    return previous


@contextmanager
def resolver_override(resolver: Resolver) -> Iterator[Resolver]:
    previous = set_default_resolver(resolver)
    try:
        yield resolver
    finally:
        set_default_resolver(previous)


def refusal(host: str, addresses: Iterable[str], *, trusted: frozenset[str] = frozenset()) -> str | None:
    """Why connecting to ``host`` at ``addresses`` is refused, or ``None``. Pure."""
    if host in trusted:
        return None
    for address in addresses:
        if not is_public_address(address):
            return f"{host} is a private-network address ({address})" if host == address else (
                f"{host} resolves to a private-network address ({address})")
    return None


@dataclass(frozen=True)
class NetGuard:
    """The private-target policy of one fetcher, and its resolver.

    ``addresses(host)`` is the one call a connection makes: it resolves once and returns what to
    connect to, or raises :class:`UnsafeTargetError`. ``check_url(url)`` is the cheap per-hop check
    before a request (no DNS): scheme, host syntax, literal addresses, local names.
    """

    allow_private: bool = False
    #: ``None``: the process default (:func:`default_resolver`), looked up at each call
    resolver: Resolver | None = None

    @property
    def trusted(self) -> frozenset[str]:
        res = self.resolver or default_resolver()
        return res.trusted if isinstance(res, HostTable) else frozenset()

    def addresses(self, host: str) -> tuple[str, ...]:
        """Resolve ``host`` once and return its addresses (refused ones raise).

        Raises :class:`UnsafeTargetError` for an invalid host name or (unless private targets are
        allowed) any non-public address, and ``OSError`` (``socket.gaierror``) when the name does
        not resolve.
        """
        name = normalise_host(host.strip("[]"))
        try:
            found: tuple[str, ...] = (str(ipaddress.ip_address(name)),)
        except ValueError:
            if not is_valid_host(name):
                raise UnsafeTargetError(f"{host[:200]!r} is not a valid host name") from None
            resolve = self.resolver or default_resolver()
            found = tuple(dict.fromkeys(resolve(name)))
            if not found:
                raise socket.gaierror(socket.EAI_NONAME, f"no address for {name}") from None
        self.check(name, found)
        return found

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Refuse ``addresses`` of ``host`` unless private targets are allowed (no DNS)."""
        if self.allow_private:
            return
        why = refusal(normalise_host(host.strip("[]")), addresses, trusted=self.trusted)
        if why:
            raise UnsafeTargetError(why)

    def check_url(self, url: str) -> None:
        """The per-hop check before a request (no DNS): an http(s) URL with a valid host, and — unless
        private targets are allowed — not a local name or a literal private address."""
        if not is_http_url(url):
            raise UnsafeTargetError(f"{url[:200]!r} is not an http(s) address with a valid host", url=url)
        if self.allow_private:
            return
        host = normalise_host((urlsplit(url).hostname or "").strip("[]"))
        if host in self.trusted:
            return
        if is_local_name(host):
            raise UnsafeTargetError(f"{host} is a local-network name", url=url)
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            return  # a name: its addresses are checked when the connection resolves it
        why = refusal(host, (address,))
        if why:
            raise UnsafeTargetError(why, url=url)
