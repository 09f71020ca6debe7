"""Every page in real headless Chromium: axe-core finds no accessibility violation, and at phone
width (390 px) no page scrolls sideways.

axe-core is bundled in ``tests/fixtures/axe`` (MPL-2.0, see its README) and injected into each page
with the CSP bypassed for the test only. Set ``UI_SCREENSHOTS=<folder>`` to also save a full-page
screenshot of every page at 1280 and 390 px (to look at them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ecitizen.app import App
from ecitizen.shell.server import WebServer
from ecitizen.shell.web import create_app
from tests.service.conftest import PASSWORD
from tests.service.seed import Seeded, seed_pages
from tests.service.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (Debian package 'chromium')"),
]

AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
#: GET routes that are not pages a person reads: files, feeds, scripts, and the sandboxed frame of a
#: saved outside page (its markup is the outside site's, shown as it was)
NOT_PAGES = frozenset({
    "static", "public.favicon", "public.feed_atom", "public.feed_json", "public.feed_rss", "public.widget_js",
    "outputs.outputs_file", "links.snapshot_frame", "programme.lesson_pdf", "programme.libraries_export",
    "programme.report_file",
})
PUBLIC = ("/login", "/links", "/links.html", "/widget", "/widget.html")
#: documents that are not pages of this site but a part of another page — the widget lives in a frame
#: on the library's site, a lesson sheet is printed on A4 — so the rules that a whole page has a
#: ``main`` landmark and all its text inside landmarks do not apply to them; every other rule does
#: (they are rendered by ``ecitizen.digest`` and ``ecitizen.programme``)
FRAGMENTS = {"/widget", "/widget.html", "/programme/lessons/2026-11/1"}
FRAGMENT_RULES_OFF = ("landmark-one-main", "region")


def staff_pages(web: Flask, app: App, seed: Seeded) -> dict[str, str]:
    """endpoint -> a path that shows it; fails when a page has no path here (add it)."""
    library = app.config.libraries[0].id if app.config.libraries else "cgb"
    with_args = {
        "review.item_edit": f"/review/{seed.item_id}",
        "sources.source_edit": f"/sources/{seed.crawler_source_id}/edit",
        "links.link_detail": f"/archive/{seed.link_id}",
        "links.snapshot_view": f"/snapshots/{seed.snapshot_id}",
        "programme.library_edit": f"/programme/libraries/{library}",
        "programme.lesson_sheet": "/programme/lessons/2026-11/1",
    }
    pages: dict[str, str] = {}
    missing = []
    for rule in web.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if rule.arguments:
            if rule.endpoint in with_args:
                pages[rule.endpoint] = with_args[rule.endpoint]
            else:
                missing.append(rule.rule)
        else:
            pages[rule.endpoint] = rule.rule
    assert not missing, f"pages without a path in this test (add them to with_args): {missing}"
    return pages


@pytest.fixture
def site(users: App, server: Any) -> Iterator[tuple[str, Flask, Seeded]]:
    from tests.support.httpserver import Reply

    seed = seed_pages(users)
    server.route("/list/", Reply(200, "<html><body><article><h3><a href='/n/1'>Запись к врачу</a></h3>"
                                      "<time datetime='2026-11-20T10:00:00+06:00'>20 ноября</time></article>"
                                      "</body></html>".encode(), {"Content-Type": "text/html; charset=utf-8"}))
    web = create_app(users)
    web.extensions["test_list_url"] = server.url("/list/")
    with WebServer(web, host="127.0.0.1", port=0, threads=4) as live:
        yield live.url, web, seed


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def signed_in(browser: Any, base: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=name]", "manager")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def axe_violations(page: Any, *, off: tuple[str, ...] = ()) -> list[str]:
    page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"], "rules": {rule: {"enabled": False} for rule in off}}
    result = page.evaluate("async (options) => (await axe.run(document, options)).violations", options)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else json.dumps(n["target"])
                        for n in v["nodes"][:4])
            for v in result]


def shoot(page: Any, name: str, width: int) -> None:
    folder = os.environ.get("UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def page_states(page: Any, base: str, web: Flask) -> Iterator[str]:
    """Pages in the states a person meets after acting: a refused form, a check's result, a flash."""
    page.goto(base + "/sources/new")
    page.select_option("#kind", "listing")
    page.fill("#name", "omsk-list")
    page.fill("#url", web.extensions["test_list_url"])
    with page.expect_navigation():
        page.click("fieldset[data-kind=listing] button[value=preview]")  # required fields empty: errors
    yield "source-form-errors"
    page.fill("#s-listing-item", "article")
    page.fill("#s-listing-title", "h3")
    with page.expect_navigation():
        page.click("fieldset[data-kind=listing] button[value=preview]")
    assert "Запись к врачу" in page.inner_text("#preview")
    yield "source-form-preview"
    page.goto(base + "/sources/new")
    page.fill("#name", "omsk-page")
    page.fill("#url", web.extensions["test_list_url"])
    with page.expect_navigation():
        page.click("button.primary[value=save]")  # a page without a feed, as «лента»: refused, kinds offered
    assert page.is_visible("button[name=switch_kind]")
    yield "source-form-no-feed"
    with page.expect_navigation():
        page.click("button[name=switch_kind][value=page]")
    yield "source-form-switched"
    page.goto(base + "/review")
    with page.expect_navigation():
        page.click(".entry .act-approve")
    yield "review-after-approve"
    page.check("#select-all")
    with page.expect_navigation():
        page.click("button[name=action][value=approve]")
    page.goto(base + "/outputs")
    page.select_option("#poster-library", "cgb")
    page.select_option("#poster-month", "2026-11")
    with page.expect_navigation():
        page.click("#preview-poster")  # what the month's poster will hold: printed, shortened, left out
    assert "Будут на плакате" in page.inner_text("#preview")
    yield "outputs-poster-preview"


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_passes_axe_and_fits_a_phone(site: tuple[str, Flask, Seeded], users: App, browser: Any,
                                                width: int) -> None:
    base, web, seed = site
    problems: dict[str, list[str]] = {}
    page = signed_in(browser, base, width)

    def check(name: str) -> None:
        path = page.url.removeprefix(base)
        found = axe_violations(page, off=FRAGMENT_RULES_OFF if path in FRAGMENTS else ())
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            found.append(f"the page is {wide} px wide at {width} px: it scrolls sideways")
        if found:
            problems[name] = found
        shoot(page, name, width)

    for endpoint, path in sorted(staff_pages(web, users, seed).items()):
        if path in PUBLIC:
            continue
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        check(endpoint)
    for state in page_states(page, base, web):
        check(state)
    page.goto(base + "/no-such-page")
    check("not-found")
    # the public pages and the login page, without a session
    anonymous = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU", bypass_csp=True)
    page = anonymous.new_page()
    for path in PUBLIC:
        response = page.goto(base + path)
        assert (response is not None and response.status == 200 and "/login" not in page.url) or path == "/login", path
        check("public" + path.replace("/", "-"))
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in problems.items())
