"""End to end in real headless Chromium (Playwright): log in, approve, see it public, make a poster."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecitizen.app import App
from ecitizen.shell.server import WebServer
from ecitizen.shell.web import create_app
from tests.service.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (Debian package 'chromium')"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live(users: App) -> Iterator[str]:
    web = create_app(users)
    with WebServer(web, host="127.0.0.1", port=0, threads=4) as server:
        yield server.url


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(accept_downloads=True, locale="ru-RU")
        pg = context.new_page()
        errors: list[str] = []
        pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pg.csp_errors = errors  # type: ignore[attr-defined]
        yield pg
        context.close()
        browser.close()


def eventually(fetch: Any, predicate: Any, timeout: float = 6.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > end:
            return value
        time.sleep(0.3)


def test_login_approve_publish_and_download_a_poster(live: str, page: Any, add_items: Any, tmp_path: Path) -> None:
    add_items(3)
    title = "Новость номер 1: запись к врачу онлайн"

    # anything but the public endpoints sends a stranger to the login page
    page.goto(live + "/review")
    assert "/login" in page.url
    page.fill("input[name=name]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live + "/review")

    # keyboard: j moves to the first, j to the second entry, a approves it
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.locator(".entry.current h3 a").inner_text()
    assert focused == title
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "Одобрено: 1" in page.inner_text(".flash")

    # public: the widget and the Atom feed show it (no login needed: a fresh context)
    widget = eventually(lambda: page.context.request.get(live + "/widget").text(), lambda t: title in t)
    assert title in widget
    atom = eventually(lambda: page.context.request.get(live + "/feed.atom").text(), lambda t: title in t)
    assert title in atom and "<entry" in atom
    page.goto(live + "/widget")
    assert title in page.inner_text("body")

    # outputs: generate posters for one library and download one
    page.goto(live + "/outputs")
    page.select_option("select[name=library]", "cgb")
    page.fill("form[action$='/outputs/posters'] input[name=month]", "2026-11")
    with page.expect_navigation():
        page.click("#make-posters")
    assert "Создано плакатов" in page.inner_text(".flash"), page.inner_text("main")
    link = page.locator("a.file", has_text=".pdf").first
    with page.expect_download() as info:
        link.click()
    download = info.value
    target = tmp_path / "poster.pdf"
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000

    # the strict CSP held: the page's own script ran (keyboard worked) and nothing was blocked
    assert not [e for e in page.csp_errors if "Content Security Policy" in e]


def test_login_attack_is_refused_in_the_browser(live: str, page: Any) -> None:
    page.goto(live + "/login")
    for _ in range(5):
        page.fill("input[name=name]", "manager")
        page.fill("input[name=password]", "guess-guess")
        page.click("button[type=submit]")
    page.fill("input[name=name]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert "временно закрыт" in page.inner_text("main")
    assert "/login" in page.url
