"""End to end in real headless Chromium (Playwright): log in, approve, see it public, make a poster."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecitizen.app import App
from ecitizen.shell.auth import TOO_MANY_TRIES
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
    ids = page.eval_on_selector_all(".queue .entry", "els => els.map(e => e.dataset.id)")
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.locator(".entry.current .entry-title a").inner_text()
    assert focused == title
    with page.expect_navigation():
        page.keyboard.press("a")
    # the flash names the item; the focus is on the entry that came after it (the place is kept)
    assert page.inner_text(".flash") == f"Одобрено: «{title}»."
    assert page.evaluate("document.activeElement.dataset.id") == ids[2]
    assert page.locator(".entry.current").get_attribute("data-id") == ids[2]

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
    page.select_option("form[action$='/outputs/posters'] select[name=month]", "2026-11")
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
    assert TOO_MANY_TRIES in page.inner_text("main")
    assert "/login" in page.url


def russian_key(page: Any, letter: str, code: str) -> None:
    """A key press as the Russian layout sends it: the Cyrillic ``key``, the physical ``code``."""
    page.evaluate("([key, code]) => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', "
                  "{key, code, bubbles: true, cancelable: true}))", [letter, code])


def test_review_keys_work_in_the_russian_layout_and_can_be_turned_off(live: str, page: Any, add_items: Any) -> None:
    add_items(3)
    page.goto(live + "/login")
    page.fill("input[name=name]", "librarian")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(live + "/review")
    ids = page.eval_on_selector_all(".queue .entry", "els => els.map(e => e.dataset.id)")
    russian_key(page, "о", "KeyJ")  # «о» is where J is
    russian_key(page, "о", "KeyJ")
    assert page.locator(".entry.current").get_attribute("data-id") == ids[1]
    russian_key(page, "л", "KeyK")
    assert page.locator(".entry.current").get_attribute("data-id") == ids[0]
    russian_key(page, "ч", "KeyX")
    assert page.locator(".entry.current input[name=ids]").is_checked()
    with page.expect_navigation():
        russian_key(page, "к", "KeyR")  # reject
    assert page.inner_text(".flash").startswith("Отклонено: «")
    assert page.evaluate("document.activeElement.dataset.id") == ids[1]
    # WCAG 2.1.4: the shortcuts can be turned off, and the choice is remembered
    page.uncheck("#shortcuts-on")
    assert not page.is_visible("#shortcuts-help")
    page.locator(".entry").first.focus()
    current = page.locator(".entry.current").get_attribute("data-id")
    page.keyboard.press("j")
    assert page.locator(".entry.current").get_attribute("data-id") == current
    page.reload()
    assert not page.is_checked("#shortcuts-on")
    page.keyboard.press("j")
    assert page.locator(".entry.current").count() == 0
    page.check("#shortcuts-on")
    page.reload()
    page.keyboard.press("j")
    assert page.locator(".entry.current").get_attribute("data-id") == ids[1]
    # each checkbox says which entry it selects
    labels = page.eval_on_selector_all("input[name=ids]", "els => els.map(e => e.getAttribute('aria-label'))")
    assert len(set(labels)) == len(labels) and all(label.startswith("Выбрать: Новость номер") for label in labels)


def _luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_focus_is_visible_with_enough_contrast_and_a_skip_link_leads_to_the_content(live: str, page: Any) -> None:
    page.goto(live + "/login")
    page.fill("input[name=name]", "manager")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(live + "/runs")
    skip = page.locator(".skip-link")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0  # type: ignore[index]
    page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    assert page.evaluate("document.activeElement.className") == "skip-link" and skip.is_visible()
    assert skip.bounding_box()["y"] >= 0  # type: ignore[index]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    checks = [("main button", "body"), ("main select", "body"), ("header.top a", "header.top")]
    for selector, behind in checks:
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus from the keyboard, so :focus-visible applies
        style = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                              "return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
        background = page.evaluate(f"getComputedStyle(document.querySelector('{behind}')).backgroundColor")
        assert style[0] == "solid" and float(style[1].removesuffix("px")) >= 2, (selector, style)
        assert contrast(style[2], background) >= 3, (selector, style[2], background)


def test_the_source_form_shows_the_chosen_kinds_fields_and_enter_saves(live: str, page: Any, app: App) -> None:
    page.goto(live + "/login")
    page.fill("input[name=name]", "manager")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(live + "/sources/new")
    assert not page.is_visible("fieldset[data-kind=listing]")
    page.select_option("#kind", "page")
    assert page.is_visible("fieldset[data-kind=page]") and not page.is_visible("fieldset[data-kind=listing]")
    assert page.is_visible("label[for=s-page-region]")
    page.select_option("#kind", "listing")
    assert page.is_visible("#s-listing-item") and not page.is_visible("#s-page-region")
    page.select_option("#kind", "page")
    page.fill("#name", "rules-page")
    page.fill("#url", "https://www.gosuslugi.ru/help/faq/login/2")
    page.fill("#s-page-region", "main")
    with page.expect_navigation():
        page.press("#name", "Enter")  # Enter saves (the hidden first button), it does not «Проверить»
    assert page.url == live + "/sources" and "Источник «rules-page» сохранён." in page.inner_text(".flash")
