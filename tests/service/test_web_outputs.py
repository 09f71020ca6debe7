"""The outputs page's poster: «Посмотреть, что войдёт в плакат» before printing (printed as is,
shortened with a way to edit, left out and why, sheets per library), making the posters with the
digest's account, the libraries from the programme's table (the librarian's own first), the poster's
character limits on the item edit form, and the poster units planned from the table."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from ecitizen import digest
from ecitizen.app import App
from ecitizen.config import Library
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData
from ecitizen.programme import info_zone_sheets, seed_libraries, set_user_library
from ecitizen.shell import tasks
from ecitizen.shell.server import WebServer
from ecitizen.shell.web import create_app
from tests.digest.conftest import add_items as store_items_of
from tests.digest.conftest import nov
from tests.service.conftest import PASSWORD, csrf_of

#: headlines as agencies write them: several longer than a poster line allows
LONG_TITLES = [
    "Записаться к врачу теперь можно через Госуслуги без подтверждённой учётной записи и без звонка",
    "Социальный фонд России напоминает: справку о размере пенсии можно получить онлайн в личном кабинете",
    "Как защититься от телефонных мошенников, которые звонят от имени банка или полиции",
    "Загранпаспорт нового поколения можно оформить на Госуслугах: пошлина со скидкой тридцать процентов",
    "Штраф ГИБДД со скидкой можно оплатить через Систему быстрых платежей без комиссии",
    "Новые маршруты автобусов в Омске с первого декабря: где посмотреть расписание",
    "Электронный больничный: что нужно знать работающим пенсионерам",
    "Регистрация на портале Госуслуг: пошаговая инструкция для начинающих",
    "Выплаты к празднику: кому положены и как их получить через МФЦ",
]
INACTIVE = Library(id="closed-lib", name="Библиотека на ремонте", active=False)


def text(resp: Any) -> str:
    return html.unescape(resp.get_data(as_text=True))


def add_month(app: App, titles: list[str] = LONG_TITLES) -> list[int]:
    """Approved items of November 2026, through the real pipeline."""
    ids: list[int] = []
    for i, title in enumerate(titles):
        ids += store_items_of(app, "gosuslugi-news", [EntryData(
            url=f"https://www.gosuslugi.ru/news/{i}", title=title, published_at=nov(2 + i),
            summary_html="<p>Подробности — на сайте ведомства. Спросите библиотекаря, он поможет.</p>")])
    return ids


@pytest.fixture
def seeded(users: App) -> App:
    """The config's libraries and a library that no longer takes part in the table; the librarian
    bound to ``family-reading`` (not the first library by name)."""
    with session_scope(users.engine) as s:
        seed_libraries(s, [*users.config.libraries, INACTIVE], now=users.now())
        set_user_library(s, "librarian", "family-reading")
    return users


def posters_written(app: App) -> list[Path]:
    out = tasks.out_dir(app) / "posters"
    return sorted(out.rglob("*")) if out.exists() else []


def library_options(page: str) -> list[tuple[str, bool]]:
    select = page.split('id="poster-library"', 1)[1].split("</select>", 1)[0]
    return [(v, bool(sel)) for v, sel in re.findall(r'<option value="([^"]+)"( selected)?', select)]


# -- the preview ----------------------------------------------------------------------------------

def test_the_preview_shows_what_is_printed_shortened_and_left_out(manager: FlaskClient, seeded: App) -> None:
    add_month(seeded)
    expected = digest.poster_preview(seeded, month="2026-11", library="cgb", size="A4")
    assert expected.shortened and expected.left_out and expected.fitted  # the data makes all three
    # «Посмотреть» posts with the form (the CSRF token stays out of URLs) and lands on the preview
    token = csrf_of(manager.get("/outputs").get_data(as_text=True))
    r = manager.post("/outputs/posters", data={"csrf_token": token, "month": "2026-11", "library": "cgb",
                                               "size": "A4", "do": "preview"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/outputs/posters/preview?month=2026-11&library=cgb&size=A4"
    page = text(manager.get(r.headers["Location"]))
    assert expected.message in page
    section = page.split('id="preview"', 1)[1].split("Готовые файлы", 1)[0]
    shortened = section.split("Будут на плакате, но сокращены", 1)[1].split("<h3>", 1)[0]
    for item in expected.shortened:
        assert item.title in shortened and item.printed_title in shortened  # as written and as printed
        assert f"/review/{item.item_id}?back=" in shortened  # a way to edit it
        for note in item.notes:
            assert note[1:] in shortened
    left = section.split("Не поместились на плакат", 1)[1].split("<h3>", 1)[0]
    for item in expected.left_out:
        assert item.title in left and f"/review/{item.item_id}" not in left
        assert f"не больше {expected.max_items} материалов" in left
    fitted = section.split("Будут на плакате как написано", 1)[1].split("<h3>", 1)[0]
    assert all(item.printed_title in fitted for item in expected.fitted)
    [lib] = expected.libraries
    assert f"{lib.file_stem}.pdf" in section and lib.name in section and f"<td data-label=\"Листов\">{lib.sheets}<" in section
    # the form shows what was previewed, and the preview offers to make exactly that
    assert ('<option value="cgb" selected>' in page and '<option value="A4" selected>' in page
            and '<option value="2026-11" selected>' in page)
    assert re.search(r'name="library" value="cgb">\s*<input type="hidden" name="size" value="A4">', section)
    # a preview writes nothing
    assert posters_written(seeded) == []
    with session_scope(seeded.engine) as s:
        assert info_zone_sheets(s, month="2026-11") == []


def test_the_edit_link_of_the_preview_leads_back_to_it(manager: FlaskClient, seeded: App) -> None:
    add_month(seeded)
    preview = digest.poster_preview(seeded, month="2026-11", library="cgb", size="A4")
    item = preview.shortened[0]
    back = "/outputs/posters/preview?month=2026-11&library=cgb&size=A4"
    page = manager.get(back).get_data(as_text=True)
    edit = html.unescape(re.search(rf'href="(/review/{item.item_id}\?back=[^"]+)"', page).group(1))  # type: ignore[union-attr]
    form = text(manager.get(edit))
    assert f'href="{back}">Вернуться к плакату' in form
    r = manager.post(edit, data={"csrf_token": csrf_of(form), "display_title": "Запись к врачу через Госуслуги",
                                 "explanation": "", "decision": ""})
    assert r.status_code == 302 and "back=" in r.headers["Location"]
    after = digest.poster_preview(seeded, month="2026-11", library="cgb", size="A4")
    assert next(i for i in after.items if i.item_id == item.item_id).printed_title == "Запись к врачу через Госуслуги"


def test_an_empty_month_says_there_is_no_poster_and_writes_nothing(manager: FlaskClient, seeded: App) -> None:
    add_month(seeded, LONG_TITLES[:2])  # November has items; October has none
    page = text(manager.get("/outputs/posters/preview?month=2026-10&library=all&size=A4"))
    assert "За октябрь 2026 г. нет одобренных материалов, поэтому плаката не будет." in page
    assert "Создать эти плакаты" not in page and "Листы по библиотекам" not in page
    token = csrf_of(page)
    r = manager.post("/outputs/posters", data={"csrf_token": token, "month": "2026-10", "library": "all",
                                               "size": "A4", "do": "make"}, follow_redirects=True)
    flashed = text(r)
    assert 'class="flash flash-warn"' in flashed and "нет одобренных материалов, поэтому плаката не будет" in flashed
    assert "Создано плакатов" not in flashed
    assert posters_written(seeded) == []
    with session_scope(seeded.engine) as s:
        assert info_zone_sheets(s, month="2026-10") == []


@pytest.mark.slow
def test_making_posters_flashes_the_account_of_the_run(manager: FlaskClient, seeded: App) -> None:
    add_month(seeded, LONG_TITLES[:3])
    token = csrf_of(manager.get("/outputs").get_data(as_text=True))
    r = manager.post("/outputs/posters", data={"csrf_token": token, "month": "2026-11", "library": "cgb",
                                               "size": "A3", "do": "make"}, follow_redirects=True)
    page = text(r)
    expected = digest.poster_preview(seeded, month="2026-11", library="cgb", size="A3")
    assert f"Создано плакатов: 1. {expected.message}" in page
    [pdf] = [p for p in posters_written(seeded) if p.suffix == ".pdf"]
    assert pdf.name == f"{expected.libraries[0].file_stem}.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert f"posters/2026-11/{pdf.name}" in page  # listed among the files made
    with session_scope(seeded.engine) as s:
        assert [z.library_id for z in info_zone_sheets(s, month="2026-11")] == ["cgb"]


def test_a_library_not_offered_or_a_bad_size_is_refused(manager: FlaskClient, seeded: App) -> None:
    token = csrf_of(manager.get("/outputs").get_data(as_text=True))
    for library, size in (("closed-lib", "A4"), ("no-such", "A4"), ("cgb", "A5")):
        r = manager.post("/outputs/posters", data={"csrf_token": token, "month": "2026-11", "library": library,
                                                   "size": size, "do": "make"})
        assert r.status_code == 400, (library, size)
        r = manager.get(f"/outputs/posters/preview?month=2026-11&library={library}&size={size}", follow_redirects=True)
        assert "нет в списке" in text(r)
    r = manager.get("/outputs/posters/preview?month=ноябрь&library=cgb&size=A4", follow_redirects=True)
    assert "Месяц укажите в виде ГГГГ-ММ" in text(r)
    assert posters_written(seeded) == []


# -- the libraries --------------------------------------------------------------------------------

def test_the_librarians_own_library_comes_first_and_is_chosen(librarian: FlaskClient, manager: FlaskClient,
                                                              seeded: App) -> None:
    options = library_options(text(librarian.get("/outputs")))
    assert options[0] == ("family-reading", True)
    assert [v for v, sel in options if sel] == ["family-reading"]
    assert "(ваша библиотека)" in text(librarian.get("/outputs"))
    # the rest: all libraries, then the table's active libraries; the inactive one is not offered
    active = {lib.id for lib in seeded.config.libraries if lib.active}
    assert options[1] == ("all", False) and {v for v, _ in options[2:]} == active - {"family-reading"}
    assert "closed-lib" not in {v for v, _ in options}
    # her preview defaults to her library
    page = text(librarian.get("/outputs/posters/preview?month=2026-11"))
    assert library_options(page)[0] == ("family-reading", True)
    # the manager (no library of her own): «все библиотеки» first and chosen
    mine = library_options(text(manager.get("/outputs")))
    assert mine[0] == ("all", True) and "(ваша библиотека)" not in text(manager.get("/outputs"))


def test_the_library_list_is_the_programme_table(manager: FlaskClient, seeded: App) -> None:
    from ecitizen.programme import Actor, save_library

    with session_scope(seeded.engine) as s:
        save_library(s, {"id": "lib-new", "name": "Библиотека, добавленная на сайте"},
                     actor=Actor("руководитель", role="manager"), now=seeded.now())
    options = dict(library_options(text(manager.get("/outputs"))))
    assert "lib-new" in options and "closed-lib" not in options


# -- the item edit form -----------------------------------------------------------------------------

def test_the_item_edit_form_shows_the_posters_limits(manager: FlaskClient, add_items: Any) -> None:
    [i] = add_items(1)
    page = manager.get(f"/review/{i}").get_data(as_text=True)
    assert f'data-limit="{digest.POSTER_TITLE_MAX}"' in page and f'data-limit="{digest.POSTER_TEXT_MAX}"' in page
    # the limits beside the fields, without script too
    assert f"На плакате помещается не больше {digest.POSTER_TITLE_MAX} знаков" in page
    assert f"На плакате помещается не больше {digest.POSTER_TEXT_MAX} знаков" in page
    assert "maxlength" not in page  # longer text is allowed: the poster shortens it
    assert page.count('aria-live="polite"') == 2
    for field in ("display_title", "explanation"):
        assert f'aria-describedby="{field}-limit"' in page and f'id="{field}-limit"' in page
        assert f'data-counter-for="{field}"' in page and f'data-counter-status-for="{field}"' in page
    script = manager.get("/static/app.js").get_data(as_text=True)
    assert "data-limit" in script and "на плакате может быть сокращено" in script


def test_longer_text_is_saved_and_the_cut_for_storage_is_said(manager: FlaskClient, add_items: Any, app: App) -> None:
    [i] = add_items(1)
    token = csrf_of(manager.get(f"/review/{i}").get_data(as_text=True))
    r = manager.post(f"/review/{i}", data={"csrf_token": token, "display_title": "З" * 120,
                                           "explanation": "П" * 650, "decision": ""}, follow_redirects=True)
    page = text(r)
    assert "Сохранено." in page and "Пояснение длиннее 600 знаков: сохранены первые 600." in page
    assert "Заголовок длиннее" not in page  # 120 is kept whole: only the poster shortens it
    from ecitizen.storage import Item

    with session_scope(app.engine) as s:
        item = s.get(Item, i)
        assert item is not None and item.display_title == "З" * 120 and item.explanation == "П" * 600


# -- the poster units of the distributed mode ----------------------------------------------------------

def test_poster_units_are_the_tables_active_libraries(seeded: App) -> None:
    units = tasks.plan_units(seeded, "monthly_outputs")
    posters = [u for u in units if u.kind == "poster"]
    with session_scope(seeded.engine) as s:
        from ecitizen.programme import list_libraries

        active = [lib.id for lib in list_libraries(s, active_only=True)]
    assert [u.args["library"] for u in posters] == active
    assert "closed-lib" not in active and len(active) == len([lib for lib in seeded.config.libraries if lib.active])
    assert units[-1].kind == "media_note"


def test_no_poster_units_without_libraries_in_the_table(app: App) -> None:
    assert [u.kind for u in tasks.plan_units(app, "monthly_outputs")] == ["media_note"]


# -- the live counter in a browser ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live(users: App) -> Iterator[str]:
    with WebServer(create_app(users), host="127.0.0.1", port=0, threads=4) as server:
        yield server.url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_the_counter_follows_the_typing_and_warns_politely(live: str, add_items: Any) -> None:
    from tests.service.test_browser import ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    [i] = add_items(1)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(locale="ru-RU")
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(live + "/login")
        page.fill("input[name=name]", "manager")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"{live}/review/{i}")
        title = page.locator("[data-counter-for=display_title]")
        status = page.locator("[data-counter-status-for=display_title]")
        start = len(page.input_value("#display_title"))
        assert title.is_visible() and title.inner_text() == f"{start} знаков из {digest.POSTER_TITLE_MAX}"
        assert status.get_attribute("aria-live") == "polite" and status.inner_text() == ""  # not read on load
        page.fill("#display_title", "Запись к врачу")
        assert title.inner_text() == f"14 знаков из {digest.POSTER_TITLE_MAX}"
        assert "over" not in (title.get_attribute("class") or "")
        page.fill("#display_title", "")
        page.type("#display_title", "Очень длинный заголовок " * 4)  # 95 letters, typed key by key
        over = f"95 знаков из {digest.POSTER_TITLE_MAX} — на плакате может быть сокращено"
        assert title.inner_text() == over and "over" in (title.get_attribute("class") or "")
        page.wait_for_function("el => el.textContent !== ''", arg=status.element_handle(), timeout=3000)
        assert status.inner_text() == over + "."  # announced once the typing pauses
        page.fill("#explanation", "Одна строка")
        assert page.inner_text("[data-counter-for=explanation]") == f"11 знаков из {digest.POSTER_TEXT_MAX}"
        page.fill("#explanation", "")
        assert page.inner_text("[data-counter-for=explanation]") == f"0 знаков из {digest.POSTER_TEXT_MAX}"
        # longer text is kept as typed: the form does not stop it
        assert len(page.input_value("#display_title").strip()) == 95
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e]
