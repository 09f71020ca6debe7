"""The published outputs of the web (``shell.web.public.PublicCache``): built together from one read,
the ETag a hash of the bytes, one look at the database at a time, a version that follows the
newest approved items only, and the ``.html`` names ``publish`` writes."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from flask import Flask

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.queries import public_content_version, set_status
from ecitizen.shell.web import create_app, public
from ecitizen.shell.web.public import PublicCache
from ecitizen.storage import Item


def test_feeds_and_widget_are_built_together_and_tagged_by_their_bytes(app: App, add_items: Any) -> None:
    add_items(3, status="approved")
    cache = PublicCache(app, monotonic=lambda: 0.0)
    with create_app(app, testing=True).test_request_context():
        json_feed = cache.get("json")
        assert cache.renders == 1
        for kind in ("atom", "rss", "widget"):
            out = cache.get(kind)
            assert out.etag == '"' + hashlib.sha256(out.body).hexdigest()[:32] + '"'
        assert cache.renders == 1  # one read of the items built all four
        assert json_feed.etag == '"' + hashlib.sha256(json_feed.body).hexdigest()[:32] + '"'


def test_same_bytes_after_a_change_keep_their_etag(app: App, add_items: Any, clock: Any) -> None:
    (item_id,) = add_items(1, status="approved")
    ticks = [0.0]
    cache = PublicCache(app, monotonic=lambda: ticks[0])
    with create_app(app, testing=True).test_request_context():
        atom = cache.get("atom")
        clock.advance(minutes=5)
        with session_scope(app.engine) as s:  # approved again: a new review stamp, the same text
            set_status(s, [item_id], "approved", reviewer="t", now=app.now())
        ticks[0] = 5.0
        assert cache.get("atom") is atom  # rebuilt, identical bytes: pollers keep their 304s
        assert cache.renders == 2


def test_one_request_looks_at_the_database_the_others_serve_what_is_published(
        app: App, add_items: Any, monkeypatch: Any) -> None:
    add_items(2, status="approved")
    # a clock that stands still: only expire() sends a request to the database (with the real
    # clock, a slow machine passed the recheck interval while the threads started)
    cache = PublicCache(app, monotonic=lambda: 1000.0)
    looks = []

    def slow_version(session: Any, *, window: int) -> Any:
        looks.append(window)
        time.sleep(1.0)
        return public_content_version(session, window=window)

    with create_app(app, testing=True).test_request_context():
        cache.get("json")  # published once
        monkeypatch.setattr(public, "public_content_version", slow_version)
        cache.expire()
        took: list[float] = []

        def request() -> None:
            t = time.monotonic()
            cache.get("json")
            took.append(time.monotonic() - t)

        threads = [threading.Thread(target=request) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(looks) == 1
    assert sorted(took)[-1] >= 1.0 and sorted(took)[-2] < 0.5  # only the one that looked waited


def test_the_version_follows_the_newest_approved_items_only(app: App, add_items: Any, clock: Any) -> None:
    ids = add_items(6, status="approved")  # published_at = now - k hours: ids[0] newest
    older = add_items(1, status="new")  # the oldest of all
    with session_scope(app.engine) as s:
        before = public_content_version(s, window=3)["items"]
        set_status(s, [older[0]], "approved", reviewer="t", now=app.now())  # same stamp, outside the window
        assert public_content_version(s, window=3)["items"] == before
        set_status(s, [ids[1]], "rejected", reviewer="t", now=app.now())  # inside the window
        after = public_content_version(s, window=3)["items"]
        assert after != before
        item = s.get(Item, ids[0])
        assert item is not None
        item.content_hash = "changed by the source"
        s.add(item)
        s.flush()
        assert public_content_version(s, window=3)["items"] != after


def test_widget_html_and_links_html_are_public_and_the_same_bytes(web: Flask, add_items: Any) -> None:
    add_items(2, status="approved")
    c = web.test_client()
    for page, twin in (("/widget.html", "/widget"), ("/links.html", "/links")):
        r = c.get(page)
        assert r.status_code == 200, page
        assert r.data == c.get(twin).data
        again = c.get(page, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == r.headers["ETag"]


def test_while_one_request_builds_the_others_serve_the_outputs_published_before(
        app: App, add_items: Any, monkeypatch: Any) -> None:
    add_items(2, status="approved")
    (new,) = add_items(1)
    cache = PublicCache(app)
    real = public.BUILDERS["items"]

    def slow_build(a: App) -> Any:
        time.sleep(0.3)
        return real(a)

    with create_app(app, testing=True).test_request_context():
        before = cache.get("json")
        with session_scope(app.engine) as s:
            set_status(s, [new], "approved", reviewer="t", now=app.now())
        monkeypatch.setitem(public.BUILDERS, "items", slow_build)
        cache.expire()
        got: list[tuple[float, str]] = []

        def request() -> None:
            t = time.monotonic()
            etag = cache.get("json").etag
            got.append((time.monotonic() - t, etag))

        threads = [threading.Thread(target=request) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = cache.get("json")
    assert after.etag != before.etag and cache.renders == 2
    slow = [etag for took, etag in got if took >= 0.2]
    assert slow == [after.etag]  # the builder waited for its build
    assert all(etag in (before.etag, after.etag) for _took, etag in got)
