"""The hostile network of issue 10, shared by the fetcher tests: servers and the resolver table.

``raw.test`` (a :class:`~tests.support.rawserver.RawServer`: every way a body can end, headers
dripped past any deadline) and ``public.test`` play public sites on loopback addresses — the
table *trusts* them — while ``vm.test`` is an internal machine whose address must be refused.
No system DNS knows these names, so a fetch that reaches a server by one of them proves the
connection went to the address the resolver hook (:mod:`ecitizen.netguard`) checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ecitizen.netguard import HostTable, resolver_override
from tests.feeds.helpers import news, rss
from tests.support.httpserver import LocalServer, Reply
from tests.support.rawserver import (
    RawServer,
    chunked,
    close_with_length,
    cut_chunked,
    cut_with_length,
    header_drip,
    http10,
)

FEED = rss(news(20))
RSS = "application/rss+xml; charset=utf-8"
HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLES = "".join(
    f"<article><h3><a href='/news/{i}'>Новость {i}: портал госуслуг принимает заявления на загранпаспорт</a></h3>"
    f"<p>{'Заявление можно подать онлайн через портал. ' * 20}</p></article>" for i in range(12))
PAGE = (f"<!DOCTYPE html><html><head><title>Новости ведомства</title></head><body><main><h1>Новости</h1>"
        f"{ARTICLES}</main></body></html>").encode()

#: how a body can end → does a careful client get the whole of it?
ENDINGS: dict[str, Callable[[bytes, str], list[Any]]] = {
    "close-length": close_with_length,
    "http10": http10,
    "chunked": chunked,
    "cut-length": cut_with_length,
    "cut-chunked": cut_chunked,
}
WHOLE = ("close-length", "http10", "chunked")
CUT = ("cut-length", "cut-chunked")


@dataclass
class Net:
    raw: RawServer
    public: LocalServer
    vm: LocalServer
    table: HostTable

    def raw_url(self, path: str) -> str:
        return f"http://raw.test:{self.raw.port}{path}"

    def public_url(self, path: str) -> str:
        return f"http://public.test:{self.public.port}{path}"

    def vm_url(self, path: str) -> str:
        return f"http://vm.test:{self.vm.port}{path}"


@contextmanager
def hostile_net() -> Iterator[Net]:
    """The hostile servers, and their table installed as the process's resolver hook."""
    raw = RawServer("127.0.0.71").start()
    public = LocalServer("127.0.0.72").start()
    vm = LocalServer("127.0.0.73").start()
    for name, script in ENDINGS.items():
        raw.route(f"/feed/{name}", script(FEED, RSS))
        raw.route(f"/page/{name}", script(PAGE, HTML["Content-Type"]))
    raw.route("/drip", header_drip(0.5, 60))
    table = HostTable({"raw.test": "127.0.0.71", "public.test": "127.0.0.72", "vm.test": "127.0.0.73"},
                      trusted=["raw.test", "public.test"])
    n = Net(raw, public, vm, table)
    public.route("/page", Reply(200, PAGE, HTML))
    public.route("/feed", Reply(200, FEED, {"Content-Type": RSS}))
    public.route("/go", Reply(302, b"", {"Location": n.vm_url("/secret")}))
    public.route("/go-literal", Reply(302, b"", {"Location": f"http://127.0.0.73:{vm.port}/secret"}))
    vm.route("/secret", Reply(200, PAGE, HTML))
    try:
        with resolver_override(table):
            yield n
    finally:
        raw.stop()
        public.stop()
        vm.stop()
