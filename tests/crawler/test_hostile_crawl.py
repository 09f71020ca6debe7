"""The crawler against the hostile network of issue 10, all cases in one crawl (a crawl starts a
process): bodies ending at the close or cut by it, headers dripped past the download timeout,
redirects to a name that resolves privately, a direct internal name — private targets refused.

The child process gets the resolver table through the Scrapy settings (``ECITIZEN_HOSTS``,
``ECITIZEN_TRUSTED_HOSTS``); no system DNS knows these names, so a source read by name proves the
crawl connected to the address its resolver checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from ecitizen.app import App
from tests.crawler.conftest import by_name, run_crawl
from tests.support.hostile import CUT, ENDINGS, WHOLE, Net, hostile_net


@pytest.fixture
def net() -> Iterator[Net]:
    with hostile_net() as n:
        yield n


def test_crawler_against_every_hostile_answer(net: Net, crawl_app: Callable[..., App]) -> None:
    listing = {"item": "article", "title": "h3", "link": "h3 a"}
    sources = [{"name": f"end-{n}", "kind": "listing", "url": net.raw_url(f"/page/{n}"), "settings": listing}
               for n in ENDINGS]
    sources += [
        {"name": "drip", "kind": "listing", "url": net.raw_url("/drip"), "settings": listing},
        {"name": "public", "kind": "listing", "url": net.public_url("/page"), "settings": listing},
        {"name": "redirected", "kind": "listing", "url": net.public_url("/go"), "settings": listing},
        {"name": "redirected-literal", "kind": "listing", "url": net.public_url("/go-literal"), "settings": listing},
        {"name": "internal", "kind": "listing", "url": net.vm_url("/secret"), "settings": listing},
    ]
    app = crawl_app(sources, http={"allow_private_targets": False}, crawler={"timeout": 2})
    started = time.monotonic()
    report = run_crawl(app, scrapy_settings={"ECITIZEN_HOSTS": dict(net.table),
                                             "ECITIZEN_TRUSTED_HOSTS": sorted(net.table.trusted)})
    elapsed = time.monotonic() - started
    outcomes = {s["name"]: by_name(report, s["name"]).outcome for s in sources}
    assert outcomes == {
        **{f"end-{n}": "ok" for n in WHOLE}, **{f"end-{n}": "connection_error" for n in CUT},
        "drip": "timeout", "public": "ok", "redirected": "unsafe_target", "redirected-literal": "unsafe_target",
        "internal": "unsafe_target",
    }, report.as_json()
    assert all(by_name(report, f"end-{n}").added == 12 for n in WHOLE)
    assert net.vm.log == []
    assert elapsed < 25  # the drip alone would take 30 s if the download timeout missed the headers
