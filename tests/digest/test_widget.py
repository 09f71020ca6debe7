"""``widget.js`` in a real browser (Chromium via Playwright): ``data-limit`` is checked, the «Новая
услуга» badge stands apart from the title for the eye and for a screen reader, the ``<noscript>``
link of the embedding snippet works without JavaScript."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecitizen.digest import widget_js
from tests.support.httpserver import LocalServer, Reply

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
N_ITEMS = 18


def _feed() -> bytes:
    items = [{"id": f"n{i}", "url": f"https://www.gosuslugi.ru/news/{i}", "title": f"Новость номер {i}",
              "content_text": "текст", "date_published": "2026-11-20T09:00:00+06:00",
              **({"tags": ["Новая онлайн-услуга"]} if i == 0 else {})} for i in range(N_ITEMS)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}).encode()


def _page(limit: str | None) -> bytes:
    attr = "" if limit is None else f' data-limit="{limit}"'
    return (f'<!doctype html><html lang="ru"><meta charset="utf-8"><body>'
            f'<div id="ecitizen-news" data-feed="/feed.json"{attr}>'
            f'<noscript><a href="/widget.html">Новости и новые онлайн-услуги</a></noscript></div>'
            f'<script src="/widget.js" defer></script></body></html>').encode()


@pytest.fixture
def browser(server: LocalServer) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    server.route("/widget.js", Reply(200, widget_js(), {"Content-Type": "text/javascript"}))
    server.route("/feed.json", Reply(200, _feed(), {"Content-Type": "application/feed+json"}))
    server.route("/widget.html", Reply(200, "<!doctype html><p>Список новостей</p>".encode(),
                                      {"Content-Type": "text/html; charset=utf-8"}))
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.mark.parametrize(("limit", "shown"), [
    ("3", 3), ("1", 1), ("50", N_ITEMS), (None, 5), ("-1", 5), ("0", 5), ("51", 5), ("2.5", 5), ("abc", 5),
    ("", 5), (" 7 ", 7), ("1e1", 5),
])
def test_data_limit_is_a_number_from_1_to_50_else_the_default(
    browser: Any, server: LocalServer, limit: str | None, shown: int
) -> None:
    server.route("/", Reply(200, _page(limit), {"Content-Type": "text/html; charset=utf-8"}))
    page = browser.new_page()
    page.goto(server.url("/"))
    page.wait_for_selector(".ecitizen-item")
    assert page.locator(".ecitizen-item").count() == shown


def test_the_new_service_badge_stands_apart(browser: Any, server: LocalServer) -> None:
    server.route("/", Reply(200, _page("5"), {"Content-Type": "text/html; charset=utf-8"}))
    page = browser.new_page()
    page.goto(server.url("/"))
    page.wait_for_selector(".ecitizen-item")
    first = page.locator(".ecitizen-item").nth(0)
    badge, link = first.locator(".ecitizen-new"), first.locator("a")
    assert badge.inner_text() == "Новая услуга:"
    # for the eye: its own framed box, with room before the title
    b, a = badge.bounding_box(), link.bounding_box()
    assert b is not None and a is not None and b["x"] + b["width"] + 4 <= a["x"]
    assert badge.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    # for a screen reader: the badge's words, then the link whose name is the title alone
    assert link.get_attribute("href") == "https://www.gosuslugi.ru/news/0"
    tree = first.aria_snapshot()
    assert "Новая услуга:" in tree and 'link "Новость номер 0"' in tree
    assert first.inner_text().startswith("Новая услуга: Новость номер 0")
    assert page.locator(".ecitizen-item").nth(1).locator(".ecitizen-new").count() == 0


def test_without_javascript_the_snippet_links_to_the_feed_page(browser: Any, server: LocalServer) -> None:
    server.route("/", Reply(200, _page("5"), {"Content-Type": "text/html; charset=utf-8"}))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url("/"))
    link = page.get_by_role("link", name="Новости и новые онлайн-услуги")
    assert link.count() == 1 and link.get_attribute("href") == "/widget.html"
    with page.expect_navigation():  # content() during the navigation reads an empty document
        link.click()
    assert "Список новостей" in page.content()
    context.close()


def test_the_snippet_in_the_script_documents_the_noscript_link() -> None:
    head = widget_js().decode("utf-8").split("*/", 1)[0]
    assert "<noscript><a href=" in head and "data-limit" in head and "1 to 50" in head
