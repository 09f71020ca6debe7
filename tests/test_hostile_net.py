"""Hostile networks against every fetcher of the project (issue 10).

The fetchers: the feed poll (``ecitizen.fetch`` via ``feeds.poll``), the web interface's feed
discovery (``ecitizen.fetch.fetch_configured``), the link checker (``archive.check_links``), saved
copies (``archive.take_snapshot``) and the crawler (Scrapy, in its own process). The hostile
answers: bodies that end at the close of the connection (``Connection: close`` with a length,
HTTP/1.0 without one, chunked), bodies cut by the close, headers dripped one line every 0.5 s,
redirects to a name that resolves into the private network, percent-encoded hosts.

Private targets are *not* allowed here. Names under ``.test`` exist only in the resolver hook's
table (:mod:`ecitizen.netguard`): ``public.test`` and ``raw.test`` play public sites on loopback
addresses (trusted by the table), ``vm.test`` is an internal machine. A fetch that reaches a server
by such a name proves the connection went to the address the guard checked — no system DNS knows
these names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.archive import status as st
from ecitizen.archive.checker import check_links
from ecitizen.archive.snapshot import take_snapshot
from ecitizen.db import dispose_engines
from ecitizen.errors import ConnectError, FetchError, TimeoutError_, UnsafeTargetError, UnsafeURLError
from ecitizen.feeds.poll import poll
from ecitizen.fetch import fetch_configured
from tests.archive.conftest import add
from tests.conftest import base_config_data
from tests.feeds.helpers import add_source, get_source
from tests.support.hostile import CUT, ENDINGS, FEED, PAGE, RSS, WHOLE, Net, hostile_net
from tests.support.httpserver import LocalServer, Reply


@pytest.fixture
def net() -> Iterator[Net]:
    with hostile_net() as n:
        yield n


@pytest.fixture
def strict(make_app: Callable[..., App]) -> Callable[..., App]:
    """An app with private targets refused and a 2 s deadline everywhere."""

    def factory(**overrides: Any) -> App:
        http = {"allow_private_targets": False, "total_deadline": 2, "read_timeout": 10, "connect_timeout": 2,
                **overrides.pop("http", {})}
        links = {"total_deadline": 2, "retries": 0, "min_host_interval_seconds": 0, **overrides.pop("links", {})}
        return make_app(http=http, links=links, **overrides)

    return factory


def polled(app: App) -> dict[str, Any]:
    return {r.name: r for r in poll(app, force=True).results}


# -- 0. how a body ends ------------------------------------------------------------------------------


def test_feed_poll_reads_bodies_ending_at_the_close_and_refuses_cut_ones(net: Net, strict: Callable[..., App]) -> None:
    app = strict()
    for name in ENDINGS:
        add_source(app, name, net.raw_url(f"/feed/{name}"))
    got = polled(app)
    assert {n: r.outcome for n, r in got.items()} == {**dict.fromkeys(WHOLE, "ok"), **dict.fromkeys(CUT, "connection_error")}
    assert all(got[n].new_items == 20 for n in WHOLE)
    assert all("cut off" in (got[n].error or "") for n in CUT)


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_web_discovery_reads_bodies_ending_at_the_close_and_refuses_cut_ones(
    net: Net, strict: Callable[..., App], ending: str
) -> None:
    http = strict().config.http
    if ending in WHOLE:
        assert fetch_configured(net.raw_url(f"/page/{ending}"), http).body == PAGE
    else:
        with pytest.raises(ConnectError, match="cut off"):
            fetch_configured(net.raw_url(f"/page/{ending}"), http)


def test_link_checker_reads_bodies_ending_at_the_close_and_refuses_cut_ones(net: Net, strict: Callable[..., App]) -> None:
    app = strict()
    urls = {name: net.raw_url(f"/page/{name}") for name in ENDINGS}
    add(app, *urls.values())
    got = {r.url: r for r in check_links(app, due_only=False, hosts=net.table).results}
    assert {n: got[u].outcome for n, u in urls.items()} == {
        **dict.fromkeys(WHOLE, st.OK), **dict.fromkeys(CUT, st.CONNECTION_ERROR)}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_snapshot_saves_bodies_ending_at_the_close_and_refuses_cut_ones(
    net: Net, strict: Callable[..., App], ending: str
) -> None:
    app = strict()
    url = net.raw_url(f"/page/{ending}")
    if ending in WHOLE:
        saved = take_snapshot(app, url)
        assert (app.config.data_path / saved.html_path).read_bytes() == PAGE
    else:
        with pytest.raises(FetchError, match="connect"):
            take_snapshot(app, url)
        assert not (app.config.data_path / "snapshots").exists()


# -- 6. the total deadline covers the headers ------------------------------------------------------


def test_headers_dripped_past_the_deadline_end_in_a_timeout_in_every_fetcher(
    net: Net, strict: Callable[..., App]
) -> None:
    app = strict()
    url = net.raw_url("/drip")
    add_source(app, "drip", url)
    add(app, url)
    timings: dict[str, float] = {}

    t = time.monotonic()
    assert polled(app)["drip"].outcome == "timeout"
    timings["poll"] = time.monotonic() - t

    t = time.monotonic()
    with pytest.raises(TimeoutError_):
        fetch_configured(url, app.config.http)
    timings["discovery"] = time.monotonic() - t

    t = time.monotonic()
    (result,) = check_links(app, due_only=False).results
    timings["checker"] = time.monotonic() - t
    assert result.outcome == st.TIMEOUT

    t = time.monotonic()
    with pytest.raises(FetchError, match="timeout"):
        take_snapshot(app, url)
    timings["snapshot"] = time.monotonic() - t
    assert all(v < 3.0 for v in timings.values()), timings


# -- 2. redirect hops to names that resolve privately ----------------------------------------------


def test_feed_poll_refuses_hops_to_private_names_and_connects_to_the_checked_address(
    net: Net, strict: Callable[..., App]
) -> None:
    app = strict()
    add_source(app, "public", net.public_url("/feed"))
    add_source(app, "redirected", net.public_url("/go"))
    add_source(app, "redirected-literal", net.public_url("/go-literal"))
    add_source(app, "internal", net.vm_url("/secret"))
    got = polled(app)
    assert {n: r.outcome for n, r in got.items()} == {
        "public": "ok", "redirected": "unsafe_target", "redirected-literal": "unsafe_target",
        "internal": "unsafe_target"}
    assert "vm.test resolves to a private-network address (127.0.0.73)" in (got["redirected"].error or "")
    assert net.vm.log == []
    assert get_source(app, "redirected").last_outcome == "unsafe_target"


def test_web_discovery_refuses_hops_to_private_names(net: Net, strict: Callable[..., App]) -> None:
    http = strict().config.http
    assert fetch_configured(net.public_url("/page"), http).body == PAGE
    for path in ("/go", "/go-literal"):
        with pytest.raises(UnsafeTargetError, match="private-network address"):
            fetch_configured(net.public_url(path), http)
    assert net.vm.log == []


def test_link_checker_refuses_hops_to_private_names(net: Net, strict: Callable[..., App]) -> None:
    app = strict()
    urls = [net.public_url("/page"), net.public_url("/go"), net.public_url("/go-literal"), net.vm_url("/secret")]
    add(app, *urls)
    got = {r.url: r for r in check_links(app, due_only=False, hosts=net.table).results}
    assert [got[u].outcome for u in urls] == [st.OK, st.BLOCKED, st.BLOCKED, st.BLOCKED]
    assert "частной сети" in got[urls[1]].detail and "vm.test" in got[urls[1]].detail
    assert net.vm.log == []


def test_snapshot_refuses_hops_to_private_names(net: Net, strict: Callable[..., App]) -> None:
    app = strict()
    assert take_snapshot(app, net.public_url("/page")).http_status == 200
    for path in ("/go", "/go-literal"):
        with pytest.raises(UnsafeTargetError, match="private-network address"):
            take_snapshot(app, net.public_url(path))
    with pytest.raises(UnsafeURLError, match="private-network address"):  # refused at the door
        take_snapshot(app, net.vm_url("/secret"))
    assert net.vm.log == []


# -- 1. percent-encoded hosts ----------------------------------------------------------------------


def _config_file(tmp_path: Path) -> Path:
    data = base_config_data(tmp_path)
    data["http"]["allow_private_targets"] = False
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_percent_encoded_private_host_is_refused_by_sources_add_opml_and_the_poll(
    tmp_path: Path, server: LocalServer, strict: Callable[..., App]
) -> None:
    from ecitizen.shell.cli import main

    server.route("/feed", Reply(200, FEED, {"Content-Type": RSS}))
    sneaky = f"http://%31%32%37.0.0.1:{server.port}/feed"
    cfg = _config_file(tmp_path)
    try:
        runner = CliRunner()
        added = runner.invoke(main, ["sources", "add", "sneaky", sneaky, "--config", str(cfg)])
        assert added.exit_code != 0 and "private" in added.output
        opml = tmp_path / "in.opml"
        opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>'
                        f'<outline type="rss" text="sneaky" xmlUrl="{sneaky}"/></body></opml>', encoding="utf-8")
        imported = runner.invoke(main, ["sources", "import-opml", str(opml), "--json", "--config", str(cfg)])
        assert imported.exit_code == 0, imported.output
        assert '"skipped"' in imported.output and "private" in imported.output
    finally:
        dispose_engines()
    # a source stored before the fix: the poll refuses it, the local server is never asked
    app = strict()
    add_source(app, "sneaky", sneaky)
    assert polled(app)["sneaky"].outcome == "unsafe_target"
    assert server.log == []
