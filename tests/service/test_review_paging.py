"""The review queue pages by position (``after``/``before``), not by offset: following «дальше →»
to the end and «← назад» to the start shows every item once, newest first, with the filters kept."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient

from ecitizen.shell.web.review import PAGE_SIZE


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="entry"[^>]*data-id="(\d+)"', page)]


def _link(page: str, label: str) -> str | None:
    m = re.search(r'<a href="([^"]+)">' + re.escape(label), page)
    return html.unescape(m.group(1)) if m else None


def test_next_and_back_walk_the_queue(librarian: FlaskClient, add_items: Any) -> None:
    ids = add_items(PAGE_SIZE * 2 + 7)  # published_at = now - k hours: the first id is the newest
    add_items(5, status="approved")
    pages: list[list[int]] = []
    url: str | None = "/review"
    while url is not None:
        page = librarian.get(url).get_data(as_text=True)
        pages.append(_ids(page))
        url = _link(page, "дальше →")
        assert url is None or "status=new" in url
    assert [i for p in pages for i in p] == ids
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    back = [pages[-1]]
    url = _link(librarian.get(_last_url(librarian)).get_data(as_text=True), "← назад")
    while url is not None:
        page = librarian.get(url).get_data(as_text=True)
        back.append(_ids(page))
        url = _link(page, "← назад")
    assert back == pages[::-1]


def _last_url(client: FlaskClient) -> str:
    url = "/review"
    while True:
        nxt = _link(client.get(url).get_data(as_text=True), "дальше →")
        if nxt is None:
            return url
        url = nxt


def test_a_bad_position_shows_the_first_page(librarian: FlaskClient, add_items: Any) -> None:
    ids = add_items(3)
    for bad in ("after=garbage", "before=20261124T000000.000000Z_x", "after=99999999999999999999"):
        r = librarian.get(f"/review?{bad}")
        assert r.status_code == 200
        assert _ids(r.get_data(as_text=True)) == ids
