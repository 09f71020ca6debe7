"""ecitizen.feeds.poll end to end: real local servers, a real SQLite file, one transaction per source."""

from __future__ import annotations

import gc
import gzip
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.feeds.poll import FeedTarget, Fetched, _store_group, poll
from ecitizen.pipeline import EntryData, PrepareResult, prepare_entries
from ecitizen.storage import Item, Source
from ecitizen.store import ClusterCache
from tests.feeds.helpers import add_source, get_source, news, rss
from tests.support.httpserver import LocalServer, Reply, drip, endless

#: storage, pipeline, poll, link check and job lock run on SQLite and on the PostgreSQL server
pytestmark = pytest.mark.usefixtures("backend")

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def items_of(app: App, name: str | None = None) -> list[Item]:
    with session_scope(app.engine) as s:
        q = select(Item).join(Source, Source.id == Item.source_id)  # type: ignore[arg-type]
        if name:
            q = q.where(Source.name == name)
        return list(s.exec(q.order_by(Item.id)))


@pytest.fixture
def fast_app(make_app) -> App:  # type: ignore[no-untyped-def]
    return make_app(http={"total_deadline": 2.0, "read_timeout": 1.5, "connect_timeout": 1.0,
                          "max_response_bytes": 1_000_000})


def test_poll_stores_items_then_second_poll_adds_nothing(fast_app: App, server: LocalServer, clock) -> None:  # type: ignore[no-untyped-def]
    server.route("/feed", Reply(200, rss(news(5)), RSS))
    add_source(fast_app, "gov", server.url("/feed"))
    report = poll(fast_app)
    [r] = report.results
    assert (r.outcome, r.status, r.new_items, r.error) == ("ok", 200, 5, None)
    assert r.next_due == clock() + timedelta(minutes=60)
    assert len(items_of(fast_app)) == 5
    assert poll(fast_app).results == ()  # not due yet
    again = poll(fast_app, force=True).results[0]
    assert (again.outcome, again.new_items, again.updated_items) == ("ok", 0, 0)
    assert len(items_of(fast_app)) == 5
    src = get_source(fast_app, "gov")
    assert (src.last_outcome, src.consecutive_failures, src.last_item_count) == ("ok", 0, 5)


def test_conditional_get_uses_stored_validators_and_304_is_not_modified(fast_app: App, server: LocalServer) -> None:  # type: ignore[no-untyped-def]
    def handler(req):  # type: ignore[no-untyped-def]
        if req.headers.get("if-none-match") == '"abc"' and req.headers.get("if-modified-since") == "Tue, 24 Nov 2026 09:00:00 GMT":
            return Reply(304, b"", {"ETag": '"abc"'})
        return Reply(200, rss(news(3)), {**RSS, "ETag": '"abc"', "Last-Modified": "Tue, 24 Nov 2026 09:00:00 GMT"})

    server.route("/feed", handler)
    add_source(fast_app, "gov", server.url("/feed"))
    assert poll(fast_app).results[0].new_items == 3
    r = poll(fast_app, force=True).results[0]
    assert (r.outcome, r.status, r.new_items) == ("not_modified", 304, 0)
    assert get_source(fast_app, "gov").etag == '"abc"'
    assert len(server.requests_to("/feed")) == 2


def test_429_retry_after_sets_next_due_and_backs_off(fast_app: App, server: LocalServer, clock) -> None:  # type: ignore[no-untyped-def]
    server.route("/feed", Reply(429, b"slow down", {"Retry-After": "7200"}))
    add_source(fast_app, "busy", server.url("/feed"))
    r = poll(fast_app).results[0]
    assert (r.outcome, r.status) == ("http_error", 429) and "retry later" in (r.error or "")
    assert r.next_due == clock() + timedelta(hours=2)
    server.route("/feed", Reply(503, b"", {}))
    r = poll(fast_app, force=True).results[0]
    assert r.next_due == clock() + timedelta(minutes=120)  # 2nd failure: 2 × interval
    src = get_source(fast_app, "busy")
    assert src.consecutive_failures == 2 and src.failing_since == clock()


def test_cache_control_max_age_delays_next_poll(fast_app: App, server: LocalServer, clock) -> None:  # type: ignore[no-untyped-def]
    server.route("/feed", Reply(200, rss(news(1)), {**RSS, "Cache-Control": "public, max-age=10800"}))
    add_source(fast_app, "cached", server.url("/feed"))
    assert poll(fast_app).results[0].next_due == clock() + timedelta(hours=3)


def test_permanent_redirect_updates_source_url(fast_app: App, server: LocalServer) -> None:
    server.route("/old", Reply(301, b"", {"Location": "/new"}))
    server.route("/new", Reply(200, rss(news(2)), RSS))
    add_source(fast_app, "moved", server.url("/old"))
    r = poll(fast_app).results[0]
    assert (r.outcome, r.new_items, r.moved_to) == ("ok", 2, server.url("/new"))
    assert get_source(fast_app, "moved").url == server.url("/new")
    r2 = poll(fast_app, force=True).results[0]
    assert r2.moved_to is None and len(server.requests_to("/old")) == 1


def test_html_page_discovers_and_remembers_its_feed(fast_app: App, server: LocalServer) -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/news/rss"></head><body></body></html>'
    server.route("/", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    server.route("/news/rss", Reply(200, rss(news(4)), {**RSS, "ETag": '"e1"'}))
    add_source(fast_app, "site", server.url("/"))
    r = poll(fast_app).results[0]
    assert (r.outcome, r.new_items, r.discovered_feed) == ("ok", 4, server.url("/news/rss"))
    src = get_source(fast_app, "site")
    assert (src.url, src.feed_url, src.etag) == (server.url("/"), server.url("/news/rss"), '"e1"')
    poll(fast_app, force=True)
    assert len(server.requests_to("/")) == 1 and len(server.requests_to("/news/rss")) == 2


def test_sanitised_summaries_and_links(fast_app: App, server: LocalServer) -> None:
    evil = [{
        "title": "<script>alert(1)</script>Запись к врачу онлайн",
        "link": "http://example.org/evil?utm_source=x",
        "guid": "g1",
        "description": '<p onclick="x()">Текст<img src=x onerror="alert(1)"><a href="javascript:alert(1)">ссылка</a>'
                       '<iframe src="http://evil"></iframe><script>steal()</script><a href="/rel">тут</a></p>',
    }, {"title": "Плохая ссылка", "link": "javascript:alert(1)", "guid": "g2"}]
    server.route("/feed", Reply(200, rss(evil), RSS))
    add_source(fast_app, "evil", server.url("/feed"))
    r = poll(fast_app).results[0]
    assert (r.new_items, r.rejected) == (1, 1)
    [item] = items_of(fast_app)
    for bad in ("script", "onclick", "onerror", "javascript:", "iframe", "steal"):
        assert bad not in item.summary_html.lower() and bad not in item.title.lower()
    assert item.url == "http://example.org/evil" and "http://example.org/rel" in item.summary_html


def test_duplicate_guids_and_items_without_guids_dedupe_across_polls(fast_app: App, server: LocalServer) -> None:
    entries = [
        {"title": "Первая", "link": "http://example.org/1", "guid": "same"},
        {"title": "Вторая с тем же guid", "link": "http://example.org/2", "guid": "same"},
        {"title": "Без guid", "link": "http://example.org/3"},
        {"title": "Без guid и ссылки", "description": "только текст новости"},
    ]
    server.route("/feed", Reply(200, rss(entries), RSS))
    add_source(fast_app, "dups", server.url("/feed"))
    r1 = poll(fast_app).results[0]
    assert (r1.new_items, r1.rejected) == (3, 1)
    r2 = poll(fast_app, force=True).results[0]
    assert (r2.new_items, r2.updated_items) == (0, 0)
    guids = sorted(i.guid for i in items_of(fast_app))
    assert guids[:2] == ["http://example.org/3", "same"] and guids[2].startswith("sha256:")


def test_same_news_on_two_sources_forms_one_cluster(fast_app: App, servers) -> None:  # type: ignore[no-untyped-def]
    a, b = servers("127.0.0.3"), servers("127.0.0.4")
    title = "Социальный фонд запустил новый сервис для оформления пенсии онлайн"
    a.route("/rss", Reply(200, rss([{"title": title, "link": "http://sfr.example/1", "guid": "a1"}]), RSS))
    b.route("/rss", Reply(200, rss([{"title": title + "!", "link": "http://gov.example/7", "guid": "b7"}]), RSS))
    add_source(fast_app, "sfr", a.url("/rss"))
    add_source(fast_app, "gov", b.url("/rss"))
    assert poll(fast_app).new_items == 2
    items = items_of(fast_app)
    assert len(items) == 2 and items[0].cluster_id == items[1].cluster_id is not None


def test_hostile_sources_each_fail_cleanly_and_others_succeed(make_app, server: LocalServer) -> None:  # type: ignore[no-untyped-def]
    app = make_app(http={"total_deadline": 2.0, "read_timeout": 1.5, "connect_timeout": 1.0,
                         "max_response_bytes": 1_000_000, "global_concurrency": 8})
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
              b'<rss version="2.0"><channel><title>&b;</title></channel></rss>')
    cases = {
        "malformed": (Reply(200, b"<rss><channel><title>x</tit", RSS), "parse_error"),
        "laughs": (Reply(200, laughs, RSS), "parse_error"),
        "bomb": (Reply(200, gzip.compress(b"<" * 20_000_000), {"Content-Encoding": "gzip"}), "too_large"),
        "endless": (Reply(200, endless()), "too_large"),
        "drip": (Reply(200, drip(100, 0.25, b" ")), "timeout"),
        "loop": (Reply(302, b"", {"Location": "/loop"}), "redirects"),
        "empty": (Reply(200, b"", RSS), "parse_error"),
        "html": (Reply(200, b"<html><head></head><body>no feed</body></html>", {"Content-Type": "text/html"}),
                 "parse_error"),
        "gone": (Reply(404, b"nope"), "http_error"),
        "blocked": (Reply(403, b"no bots"), "http_error"),
        "good": (Reply(200, rss(news(3)), RSS), "ok"),
    }
    for name, (reply, _) in cases.items():
        server.route(f"/{name}", reply)
        add_source(app, name, server.url(f"/{name}"))
    add_source(app, "refused", "http://127.0.0.1:9/")
    report = poll(app)
    got = {r.name: r.outcome for r in report.results}
    assert got == {**{n: c[1] for n, c in cases.items()}, "refused": "connection_error"}
    assert report.elapsed < 10
    by = {r.name: r for r in report.results}
    assert "billion-laughs" in (by["laughs"].error or "") and "blocked" in (by["blocked"].error or "")
    assert "names no feed" in (by["html"].error or "")
    assert len(items_of(app)) == 3
    with session_scope(app.engine) as s:
        failing = s.exec(select(func.count()).select_from(Source).where(Source.consecutive_failures == 1)).one()
        assert failing == len(cases)  # every hostile one (+ refused) recorded, the good one not
        if app.engine.dialect.name == "sqlite":
            assert s.exec(text("PRAGMA integrity_check")).one()[0] == "ok"  # type: ignore[call-overload]


def test_named_sources_only_and_unknown_name(fast_app: App, server: LocalServer) -> None:
    from ecitizen.errors import NotFoundError

    server.route("/a", Reply(200, rss(news(1)), RSS))
    server.route("/b", Reply(200, rss(news(1, prefix="Другая")), RSS))
    add_source(fast_app, "a", server.url("/a"))
    add_source(fast_app, "b", server.url("/b"))
    assert [r.name for r in poll(fast_app, names=["b"]).results] == ["b"]
    assert [r.name for r in poll(fast_app, names=["b"]).results] == ["b"]  # named: polled even if not due
    with pytest.raises(NotFoundError, match="nope"):
        poll(fast_app, names=["nope"])


def test_per_host_limit_is_respected(make_app, server: LocalServer) -> None:  # type: ignore[no-untyped-def]
    import threading

    app = make_app(http={"global_concurrency": 8, "per_host_concurrency": 2})
    active = 0
    peak = 0
    lock = threading.Lock()

    def handler(req):  # type: ignore[no-untyped-def]
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        import time

        time.sleep(0.15)
        with lock:
            active -= 1
        return Reply(200, rss(news(1, host="http://h" + req.path.strip("/"))), RSS)

    for i in range(6):
        server.route(f"/f{i}", handler)
        add_source(app, f"f{i}", server.url(f"/f{i}"))
    report = poll(app)
    assert all(r.outcome == "ok" for r in report.results) and len(report.results) == 6
    assert peak == 2


def test_disabled_and_non_feed_sources_are_not_polled(fast_app: App, server: LocalServer) -> None:
    server.route("/f", Reply(200, rss(news(1)), RSS))
    add_source(fast_app, "off", server.url("/f"), enabled=False)
    with session_scope(fast_app.engine) as s:
        s.add(Source(name="crawl", kind="listing", url=server.url("/f")))
    assert poll(fast_app).results == ()
    assert server.requests_to("/f") == []


def test_cluster_cache_matches_fresh_loads(fast_app: App, servers) -> None:  # type: ignore[no-untyped-def]
    """Clustering through the per-poll cache gives the same clusters as storing source by source."""
    hosts = [servers(f"127.0.0.{10 + i}") for i in range(3)]
    title = "Минцифры запустило новый сервис подачи заявления на загранпаспорт через Госуслуги"
    for i, srv in enumerate(hosts):
        entries = news(6, prefix=f"Источник {i}", host=f"http://src{i}.example")
        entries.append({"title": title + ("." * i), "link": f"http://src{i}.example/same", "guid": f"s{i}"})
        srv.route("/rss", Reply(200, rss(entries), RSS))
        add_source(fast_app, f"src{i}", srv.url("/rss"))
    assert poll(fast_app).new_items == 21
    clusters: dict[int | None, list[str]] = {}
    for it in items_of(fast_app):
        clusters.setdefault(it.cluster_id, []).append(it.guid)
    same = [sorted(g) for g in clusters.values() if len(g) > 1]
    assert same == [["s0", "s1", "s2"]]


def test_gone_discovered_feed_is_rediscovered(fast_app: App, server: LocalServer) -> None:
    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="/a.xml"></head></html>'
    server.route("/", Reply(200, page, {"Content-Type": "text/html"}))
    server.route("/a.xml", Reply(200, rss(news(1)), RSS))
    add_source(fast_app, "site", server.url("/"))
    poll(fast_app)
    server.route("/a.xml", Reply(404, b""))
    r = poll(fast_app, force=True).results[0]
    assert (r.outcome, r.status) == ("http_error", 404)
    assert get_source(fast_app, "site").feed_url is None
    page2 = b'<html><head><link rel="alternate" type="application/rss+xml" href="/b.xml"></head></html>'
    server.route("/", Reply(200, page2, {"Content-Type": "text/html"}))
    server.route("/b.xml", Reply(200, rss(news(2)), RSS))
    r = poll(fast_app, force=True).results[0]
    assert (r.outcome, r.discovered_feed, r.new_items) == ("ok", server.url("/b.xml"), 1)


def test_parsing_in_worker_processes_gives_the_same_result(make_app, server: LocalServer) -> None:  # type: ignore[no-untyped-def]
    app = make_app(feeds={"process_min_sources": 1, "parse_processes": 1}, http={"total_deadline": 5.0})
    server.route("/a", Reply(200, rss(news(4)), RSS))
    server.route("/bad", Reply(200, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><rss/>', RSS))
    server.route("/cp1251", Reply(200, rss([{"title": "Пенсия онлайн", "link": "http://e.org/1"}],
                                          encoding="windows-1251"), {"Content-Type": "text/xml; charset=utf-8"}))
    for name in ("a", "bad", "cp1251"):
        add_source(app, name, server.url(f"/{name}"))
    by = {r.name: r for r in poll(app).results}
    assert (by["a"].outcome, by["a"].new_items, by["a"].entries) == ("ok", 4, 4)
    assert by["bad"].outcome == "parse_error" and "ENTITY" in (by["bad"].error or "")
    assert [i.title for i in items_of(app, "cp1251")] == ["Пенсия онлайн"]


def _fetched(app: App, name: str, entries: list[EntryData]):  # type: ignore[no-untyped-def]
    src = get_source(app, name)
    assert src.id is not None
    target = FeedTarget(src.id, name, src.url, None, None, None, None, None, 0)
    return Fetched(target, "ok", status=200, base_url=src.url, etag='"v1"',
                   prepared=prepare_entries(entries, app.rules, base_url=src.url), entry_count=len(entries))


def test_a_group_of_sources_is_stored_together_and_clusters_as_one_by_one(fast_app: App) -> None:
    """Results that are ready together go in one transaction; a later source of the group still
    clusters with an earlier one's new items, as when each had its own transaction."""
    title = "Минцифры запустило новый сервис подачи заявления на загранпаспорт через Госуслуги"
    for i in range(3):
        add_source(fast_app, f"g{i}", f"http://g{i}.example/rss")
    group = [_fetched(fast_app, f"g{i}", [EntryData(url=f"http://g{i}.example/same", title=title + "." * i),
                                          EntryData(url=f"http://g{i}.example/own", title=f"Своя новость номер {i}")])
             for i in range(3)]
    cache = ClusterCache()
    results = _store_group(fast_app, group, cache)
    assert [(r.name, r.outcome, r.new_items) for r in results] == [("g0", "ok", 2), ("g1", "ok", 2), ("g2", "ok", 2)]
    same = [it for it in items_of(fast_app) if it.url.endswith("/same")]
    assert len({it.cluster_id for it in same}) == 1 and same[0].cluster_id == same[0].id
    assert len(cache.index) == 6
    assert all(get_source(fast_app, f"g{i}").etag == '"v1"' for i in range(3))


def test_a_source_that_fails_to_store_rolls_its_group_back_and_the_others_are_stored(fast_app: App) -> None:
    for i in range(3):
        add_source(fast_app, f"s{i}", f"http://s{i}.example/rss")
    group = [_fetched(fast_app, f"s{i}", [EntryData(url=f"http://s{i}.example/1", title=f"Новость {i}")])
             for i in range(3)]
    assert group[1].prepared is not None
    broken = replace(group[1].prepared.items[0], title=None)  # NOT NULL: the INSERT fails
    group[1] = replace(group[1], prepared=PrepareResult((broken,)))
    cache = ClusterCache()
    results = {r.name: r for r in _store_group(fast_app, group, cache)}
    assert (results["s0"].outcome, results["s0"].new_items) == ("ok", 1)
    assert (results["s2"].outcome, results["s2"].new_items) == ("ok", 1)
    assert results["s1"].outcome == "storage_error" and "could not store" in (results["s1"].error or "")
    assert sorted(it.url for it in items_of(fast_app)) == ["http://s0.example/1", "http://s2.example/1"]
    assert get_source(fast_app, "s1").last_outcome == "storage_error"
    # the cache was emptied after the rollback, then filled again by the sources stored one by one
    assert sorted(c.source_id for c in cache.index) == sorted(
        get_source(fast_app, n).id for n in ("s0", "s2"))  # type: ignore[type-var]


def test_the_poll_leaves_the_collector_as_it_found_it(fast_app: App, server: LocalServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll keeps the objects older than itself out of the collector's passes (gc.freeze) and
    gives them back when it ends, also when a source fails."""
    server.route("/feed", Reply(200, rss(news(3)), RSS))
    server.route("/gone", Reply(404, b""))
    add_source(fast_app, "ok", server.url("/feed"))
    add_source(fast_app, "gone", server.url("/gone"))
    feeds_poll = sys.modules["ecitizen.feeds.poll"]  # the module (ecitizen.feeds.poll is the function)
    store, frozen_while_storing = feeds_poll._store_group, []

    def store_and_look(*args, **kwargs):  # type: ignore[no-untyped-def]
        frozen_while_storing.append(gc.get_freeze_count())
        return store(*args, **kwargs)

    monkeypatch.setattr(feeds_poll, "_store_group", store_and_look)
    report = poll(fast_app)
    assert {r.name: r.outcome for r in report.results} == {"ok": "ok", "gone": "http_error"}
    assert frozen_while_storing and all(n > 0 for n in frozen_while_storing)
    assert gc.get_freeze_count() == 0
