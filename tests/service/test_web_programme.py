"""The programme's web pages (``/programme``): a real Flask test client with CSRF on, real SQLite.

The clock is 25 November 2026, 12:00 in Omsk: this month is 2026-11, the last one 2026-10. The
config's three libraries are seeded; the account «librarian» belongs to ``cgb``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask.testing import FlaskClient

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.programme import (
    Actor,
    entry_form,
    figure_history,
    get_library,
    record_info_zone_produced,
    record_media_note,
    seed_libraries,
    set_figures,
    set_targets,
    set_user_library,
)
from ecitizen.shell.auth import add_user
from ecitizen.shell.cli import main
from tests.conftest import base_config_data
from tests.service.conftest import PASSWORD, csrf_of, login

WEB = Path(__file__).resolve().parents[2] / "shell" / "web"
MANAGER = Actor.cli("manager")


@pytest.fixture
def seeded(users: App) -> App:
    """The config's libraries in the table; the librarian's account bound to ``cgb``."""
    with session_scope(users.engine) as s:
        seed_libraries(s, users.config.libraries, now=users.now())
        set_user_library(s, "librarian", "cgb")
    return users


def token(client: FlaskClient, path: str = "/programme/figures") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def text(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


def name_of(app: App, library_id: str) -> str:
    return next(lib.name for lib in app.config.libraries if lib.id == library_id)


def values(app: App, library_id: str, month: str) -> dict[str, int | None]:
    with session_scope(app.engine) as s:
        form = entry_form(s, library_id=library_id, month=month, actor=MANAGER, now=app.now(), tz=app.config.tz)
    return {f.measure: f.value for f in form.fields}


def indicators_show(app: App, year: int) -> dict[str, dict[str, Any]]:
    """``ecitizen indicators show --json`` on the test's database."""
    r = CliRunner().invoke(main, ["indicators", "show", "--year", str(year), "--json"], obj=app,
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return {row["id"]: row for row in json.loads(r.output)}


# -- seeding ----------------------------------------------------------------------------------------


def test_init_seeds_the_libraries_of_the_config(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    wanted = [lib["id"] for lib in data["libraries"]]
    r = CliRunner().invoke(main, ["init", "--config", str(cfg), "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert sorted(json.loads(r.output)["libraries_added"]) == sorted(wanted)
    r = CliRunner().invoke(main, ["libraries", "list", "--json", "--config", str(cfg)], catch_exceptions=False)
    listed = {row["id"]: row for row in json.loads(r.output)}
    assert sorted(listed) == sorted(wanted)
    assert listed["cgb"]["phone"] == "+7 (3812) 300-427" and listed["cgb"]["is_cpi"] is True
    # a second init adds nothing
    r = CliRunner().invoke(main, ["init", "--config", str(cfg), "--json"], catch_exceptions=False)
    assert json.loads(r.output)["libraries_added"] == []


# -- the monthly figures ------------------------------------------------------------------------------


def test_librarian_enters_this_months_figures_and_sees_them_saved(seeded: App, librarian: FlaskClient) -> None:
    page = text(librarian.get("/programme/figures"))
    assert "Центральная городская библиотека" in page
    assert "Ноябрь 2026 г." in page and "Октябрь 2026 г. (прошлый месяц)" in page
    assert page.count('inputmode="numeric"') >= 6
    assert "Сколько человек за месяц закончили курс" in page  # the one-line hint
    assert 'name="library"' in page and 'value="cgb"' in page and 'name="month" value="2026-11"' in page
    assert "<select" not in page  # a librarian does not pick a library

    r = librarian.post("/programme/figures", data={
        "csrf_token": csrf_of(page), "library": "cgb", "month": "2026-11", "trained": "12", "events": " 3 ",
        "site_visits": "", "consultations_ict": "1 200"})
    assert r.status_code == 302
    shown = text(librarian.get(r.headers["Location"]))
    assert "Сохранено за ноябрь 2026 г., Центральная городская библиотека" in shown
    assert "«Обучено жителей (окончили курс)» — 12" in shown and "«Мероприятия в ЦПИ» — 3" in shown
    assert re.search(r'name="trained"[^>]*value="12"', shown, re.S)
    assert "Последний раз изменено 25.11.2026 12:00, librarian" in shown
    saved = values(seeded, "cgb", "2026-11")
    assert saved["trained"] == 12 and saved["events"] == 3 and saved["consultations_ict"] == 1200
    assert saved["site_visits"] is None  # an empty field changes nothing
    with session_scope(seeded.engine) as s:
        history = figure_history(s, library_id="cgb")
    assert {(h.via, h.by) for h in history} == {("web", "librarian")} and len(history) == 3

    # last month too (figures are often entered after the month ends)
    r = librarian.post("/programme/figures", data={"csrf_token": csrf_of(shown), "library": "cgb",
                                                   "month": "2026-10", "trained": "5"})
    assert r.status_code == 302 and values(seeded, "cgb", "2026-10")["trained"] == 5


def test_librarian_cannot_enter_for_another_library(seeded: App, librarian: FlaskClient) -> None:
    r = librarian.post("/programme/figures", data={"csrf_token": token(librarian), "library": "pushkin-branch",
                                                   "month": "2026-11", "trained": "4"})
    assert r.status_code == 400
    assert "можно вводить данные только своей библиотеки" in text(r)
    assert values(seeded, "pushkin-branch", "2026-11")["trained"] is None
    page = text(librarian.get("/programme/figures?library=pushkin-branch"))
    assert "можно вводить данные только своей библиотеки" in page and 'name="trained"' not in page


def test_future_month_and_bad_numbers_are_refused_with_russian_reasons(seeded: App,
                                                                      librarian: FlaskClient) -> None:
    t = token(librarian)
    r = librarian.post("/programme/figures", data={"csrf_token": t, "library": "cgb", "month": "2026-12",
                                                   "trained": "4"})
    assert r.status_code == 400
    assert "декабрь 2026 г. ещё не наступил" in text(r)
    page = text(librarian.get("/programme/figures?month=2027-01"))
    assert "январь 2027 г. ещё не наступил" in page and 'name="trained"' not in page

    r = librarian.post("/programme/figures", data={"csrf_token": t, "library": "cgb", "month": "2026-11",
                                                   "trained": "-3", "events": "1,5", "site_visits": "7"})
    assert r.status_code == 400
    page = text(r)
    assert re.search(r'id="e-trained" role="alert">«-3» — число не может быть меньше нуля<', page)
    assert re.search(r'id="e-events" role="alert">«1,5» — нужно целое число<', page)
    assert re.search(r'name="trained"[^>]*value="-3"', page, re.S)  # what she typed stays in the field
    assert "Ничего не записано" in page
    assert values(seeded, "cgb", "2026-11") == dict.fromkeys(values(seeded, "cgb", "2026-11"))  # all None

    r = librarian.post("/programme/figures", data={"csrf_token": t, "library": "cgb", "month": "2026-11"})
    assert r.status_code == 400 and "впишите хотя бы одно число" in text(r)


def test_manager_picks_any_library(seeded: App, manager: FlaskClient) -> None:
    page = text(manager.get("/programme/figures"))
    assert "выберите библиотеку" in page and 'name="trained"' not in page
    page = text(manager.get("/programme/figures?library=family-reading&month=2026-10"))
    assert name_of(seeded, "family-reading") in page and "Октябрь 2026 г." in page
    r = manager.post("/programme/figures", data={"csrf_token": csrf_of(page), "library": "family-reading",
                                                 "month": "2026-10", "events": "2"})
    assert r.status_code == 302
    assert values(seeded, "family-reading", "2026-10")["events"] == 2
    # not a ЦПИ: saved, with the warning shown
    assert "не отмечена как ЦПИ" in text(manager.get(r.headers["Location"]))


def test_unbound_librarian_is_told_to_ask_the_manager(seeded: App, web: Any) -> None:
    with session_scope(seeded.engine) as s:
        add_user(s, "newcomer", PASSWORD, role="librarian")
    c = web.test_client()
    assert login(c, "newcomer").status_code == 302
    assert "не привязана к библиотеке" in text(c.get("/programme/figures"))
    assert "не привязана к библиотеке" in text(c.get("/programme"))


# -- the libraries ----------------------------------------------------------------------------------


def test_manager_edits_a_library(seeded: App, manager: FlaskClient, librarian: FlaskClient) -> None:
    listing = text(manager.get("/programme/libraries"))
    for lib in seeded.config.libraries:
        assert lib.name in listing
    assert "+7 (3812) 300-427" in listing and "adm.omb@mail.ru" in listing
    form = text(manager.get("/programme/libraries/pushkin-branch"))
    r = manager.post("/programme/libraries/pushkin-branch", data={
        "csrf_token": csrf_of(form), "name": "Библиотека имени А. С. Пушкина", "address": "г. Омск, ул. Тестовая, 5",
        "hours": "Вт–Сб 10:00–19:00", "phone": "", "email": "pushkin@example.org", "website": "lib.omsk.ru/x",
        "active": "1"})  # ЦПИ unticked
    assert r.status_code == 302
    with session_scope(seeded.engine) as s:
        lib = get_library(s, "pushkin-branch")
    assert (lib.name, lib.address, lib.is_cpi, lib.active, lib.website) == (
        "Библиотека имени А. С. Пушкина", "г. Омск, ул. Тестовая, 5", False, True, "https://lib.omsk.ru/x")
    # emptying a field empties it; marking the library as not taking part
    r = manager.post("/programme/libraries/pushkin-branch", data={
        "csrf_token": csrf_of(form), "name": lib.name, "address": "", "hours": lib.hours, "email": lib.email,
        "website": lib.website, "is_cpi": "1"})
    assert r.status_code == 302
    with session_scope(seeded.engine) as s:
        lib = get_library(s, "pushkin-branch")
    assert (lib.address, lib.is_cpi, lib.active) == ("", True, False)

    # refusals are shown next to their fields, in Russian
    r = manager.post("/programme/libraries/cgb", data={"csrf_token": csrf_of(form), "name": "ЦГБ",
                                                       "email": "not-an-address", "active": "1"})
    assert r.status_code == 400
    assert re.search(r'<span class="field-error" role="alert" id="e-email">«not-an-address» — не адрес '
                     r"электронной почты</span>", text(r))
    # a new library: its code is checked, a taken code refused
    r = manager.post("/programme/libraries/new", data={"csrf_token": csrf_of(form), "id": "Библиотека 5",
                                                       "name": "Пятая", "active": "1"})
    assert r.status_code == 400 and "код пишется латинскими строчными буквами" in text(r)
    r = manager.post("/programme/libraries/new", data={"csrf_token": csrf_of(form), "id": "cgb", "name": "Вторая",
                                                       "active": "1"})
    assert r.status_code == 400 and "этот код уже у библиотеки «Центральная городская библиотека»" in text(r)
    r = manager.post("/programme/libraries/new", data={"csrf_token": csrf_of(form), "id": "lib-12",
                                                       "name": "Библиотека № 12", "is_cpi": "1", "active": "1"})
    assert r.status_code == 302
    with session_scope(seeded.engine) as s:
        assert get_library(s, "lib-12").is_cpi is True

    # the librarian cannot
    assert librarian.get("/programme/libraries").status_code == 403
    assert librarian.post("/programme/libraries/cgb", data={"csrf_token": token(librarian),
                                                            "name": "x"}).status_code == 403
    assert manager.get("/programme/libraries/no-such").status_code == 404


def test_manager_imports_a_csv_with_bad_lines_and_exports(seeded: App, manager: FlaskClient) -> None:
    csv_text = (
        "Код;Название;Адрес;Телефон;Электронная почта;ЦПИ\r\n"
        "lib-7;Библиотека № 7;г. Омск, ул. Мира, 7;+7 3812 00-00-07;;да\r\n"
        "Библиотека 8;Восьмая;;;;\r\n"
        "lib-9;Библиотека № 9;;;почта;нет\r\n"
        ";;;;;\r\n"
        "lib-10;Библиотека № 10;;;;может быть\r\n"
        "lib-7;Ещё раз седьмая;;;;\r\n"
        "cgb;;ул. Карла Маркса, 1;;;\r\n"
    )
    t = token(manager, "/programme/libraries")
    r = manager.post("/programme/libraries/import", data={
        "csrf_token": t, "file": (io.BytesIO(csv_text.encode("cp1251")), "libraries.csv")},
        content_type="multipart/form-data")
    assert r.status_code == 200
    page = text(r)
    assert "Добавлено библиотек: <strong>1</strong>, изменено: <strong>1</strong>" in page
    assert "Пропущено строк: 4" in page
    skipped = dict(re.findall(r'<td data-label="Строка файла">(\d+)</td><td data-label="Почему пропущена">([^<]+)</td>',
                              page))
    assert set(skipped) == {"3", "4", "6", "7"}
    assert "код пишется латинскими" in skipped["3"]
    assert "не адрес электронной почты" in skipped["4"]
    assert "напишите «да» или «нет»" in skipped["6"]
    assert "уже был в строке 2" in skipped["7"]
    with session_scope(seeded.engine) as s:
        assert get_library(s, "lib-7").is_cpi is True
        cgb = get_library(s, "cgb")
    assert cgb.address == "ул. Карла Маркса, 1" and cgb.phone == "+7 (3812) 300-427"  # empty cell keeps it

    # a file without the needed columns, and no file at all
    r = manager.post("/programme/libraries/import", data={
        "csrf_token": t, "file": (io.BytesIO("Адрес\r\nгде-то\r\n".encode()), "x.csv")},
        content_type="multipart/form-data")
    assert r.status_code == 400 and "в файле нет столбца" in text(r)
    r = manager.post("/programme/libraries/import", data={"csrf_token": t}, content_type="multipart/form-data")
    assert r.status_code == 400 and "Файл не выбран" in text(r)

    r = manager.get("/programme/libraries.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.get_data().decode("utf-8")
    assert body.startswith("\ufeffКод;Название;Адрес")
    assert "lib-7;Библиотека № 7;г. Омск, ул. Мира, 7" in body


# -- the programme page: progress, missing libraries, «вывешено», «отправлено» --------------------------


def test_dashboard_shows_progress_and_the_missing_libraries(seeded: App, manager: FlaskClient,
                                                           librarian: FlaskClient) -> None:
    with session_scope(seeded.engine) as s:
        set_targets(s, year=2026, values={"trained": 20, "events": 10}, actor=MANAGER, now=seeded.now())
        set_figures(s, library_id="cgb", month="2026-10", values={"trained": 25, "events": 4}, actor=MANAGER,
                    now=seeded.now(), tz=seeded.config.tz)
    page = text(manager.get("/programme"))
    assert "Выполнение показателей за 2026 год" in page
    rows = dict(re.findall(r'<strong>(\d)\. .*?<td data-label="Итог"><span class="[^"]*">([^<]+)</span></td>',
                           page, re.S))
    assert rows["2"] == "выполнен" and rows["5"] == "не выполнен"
    assert '<progress max="20" value="20"' in page and '<progress max="10" value="4"' in page
    assert "<svg" in page and "Выполнение показателей программы за 2026 год" in page  # the chart, inline
    missing = page.split("Кто ещё не ввёл цифры за октябрь 2026 г.")[1].split("</section>")[0]
    assert name_of(seeded, "pushkin-branch") in missing and name_of(seeded, "family-reading") in missing
    assert name_of(seeded, "cgb") not in missing
    assert "Библиотек: <strong>2</strong>" in missing
    # per library: cgb's numbers of the year
    cgb_row = page.split("<strong>Центральная городская библиотека</strong>")[1].split("</tr>")[0]
    assert '<td data-label="Обучено жителей">25</td>' in cgb_row

    # the start page: a compact block with the link
    home = text(manager.get("/"))
    assert 'id="programme-summary"' in home and 'href="/programme"' in home
    assert "Не ввели цифры за октябрь 2026 г.: <strong>2</strong> библиотеки" in home
    mine = text(librarian.get("/"))
    assert "Центральная городская библиотека: цифры за октябрь 2026 г." in mine and "введены" in mine
    # the librarian's page starts with her library
    lib_page = text(librarian.get("/programme"))
    assert lib_page.index("Ваша библиотека: Центральная городская библиотека") < lib_page.index("Выполнение")
    # another year
    assert "Выполнение показателей за 2025 год" in text(manager.get("/programme?year=2025"))


def test_vyvesheno_click_counts_for_indicator_6(seeded: App, librarian: FlaskClient, manager: FlaskClient,
                                              tmp_path: Path) -> None:
    with session_scope(seeded.engine) as s:
        record_info_zone_produced(s, "cgb", "2026-11", tmp_path / "poster-cgb.pdf", seeded.now())
        record_info_zone_produced(s, "family-reading", "2026-11", tmp_path / "poster-fr.pdf", seeded.now())
    assert indicators_show(seeded, 2026)["info_zones"]["actual"] == 0
    page = text(librarian.get("/programme"))
    mine = page.split("Листы для информационной зоны")[1].split("</section>")[0]
    assert "<strong>Ноябрь 2026 г.</strong>" in mine
    assert mine.count(">Вывешено</button>") == 1  # her sheet only

    r = librarian.post("/programme/zones/confirm", data={"csrf_token": csrf_of(page), "library": "cgb",
                                                         "month": "2026-11", "next": "/programme"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/programme")
    after = text(librarian.get("/programme"))
    assert "лист за ноябрь 2026 г. в библиотеке «Центральная городская библиотека» вывешен" in after
    assert ">Вывешено</span>" in after and ">Вывешено</button>" not in after.split("Листы для")[1].split("</section>")[0]
    shown = indicators_show(seeded, 2026)["info_zones"]
    assert shown["actual"] == 1 and shown["source"] == "counted"

    # not her library: refused, nothing counted
    r = librarian.post("/programme/zones/confirm", data={"csrf_token": csrf_of(page), "library": "family-reading",
                                                         "month": "2026-11"})
    assert "можно вводить данные только своей библиотеки" in text(librarian.get(r.headers["Location"]))
    # a month without a sheet
    r = librarian.post("/programme/zones/confirm", data={"csrf_token": csrf_of(page), "library": "cgb",
                                                         "month": "2026-10"})
    assert "ещё не подготовлен" in text(librarian.get(r.headers["Location"]))
    assert indicators_show(seeded, 2026)["info_zones"]["actual"] == 1

    # the manager sees the month's sheets of every library and may confirm for one
    mp = text(manager.get("/programme?zmonth=2026-11"))
    zones = mp.split('id="zones"')[1].split("</section>")[0]
    assert "Отмечено «вывешено»: 1 из 2" in zones and name_of(seeded, "family-reading") in zones
    manager.post("/programme/zones/confirm", data={"csrf_token": csrf_of(mp), "library": "family-reading",
                                                   "month": "2026-11"})
    assert indicators_show(seeded, 2026)["info_zones"]["actual"] == 2


def test_media_note_marked_sent_counts_for_indicator_8(seeded: App, manager: FlaskClient,
                                                     librarian: FlaskClient, tmp_path: Path) -> None:
    with session_scope(seeded.engine) as s:
        note = record_media_note(s, period="2026-11", path=tmp_path / "media-2026-11.docx", now=seeded.now())
        own = record_media_note(s, period="2026-11", path=tmp_path / "media-cgb.docx", now=seeded.now(),
                                library_id="cgb")
    page = text(manager.get("/programme"))
    assert page.split('id="notes"')[1].count(">Отправлено</button>") == 2
    # the programme's note is the manager's
    lp = text(librarian.get("/programme"))
    assert lp.split('id="notes"')[1].count(">Отправлено</button>") == 1  # only her library's note
    r = librarian.post(f"/programme/notes/{note.id}/sent", data={"csrf_token": csrf_of(lp)})
    assert "только руководитель проекта" in text(librarian.get(r.headers["Location"]))
    librarian.post(f"/programme/notes/{own.id}/sent", data={"csrf_token": csrf_of(lp), "sent_to": "газета"})
    r = manager.post(f"/programme/notes/{note.id}/sent", data={"csrf_token": csrf_of(page),
                                                               "sent_to": "«Вечерний Омск»"})
    assert "сообщение для СМИ отправлено («Вечерний Омск»)" in text(manager.get(r.headers["Location"]))
    assert indicators_show(seeded, 2026)["media_messages"]["actual"] == 2


# -- lesson sheets, the yearly report --------------------------------------------------------------------


def test_lesson_sheets_list_the_month_and_show_a_sheet(seeded: App, librarian: FlaskClient,
                                                      add_items: Any) -> None:
    add_items(2, status="approved")  # topic «doctor», dated this month
    page = text(librarian.get("/programme/lessons?month=2026-11"))
    assert page.count(">Открыть</a>") == len(seeded.config.topics) == 11
    doctor_no = next(n for n, t in enumerate(seeded.config.topics, start=1) if t.id == "doctor")
    row = page.split(f"<strong>{doctor_no}. ")[1].split("</tr>")[0]
    assert '<td data-label="Новости">2</td>' in row

    r = librarian.get(f"/programme/lessons/2026-11/{doctor_no}")
    assert r.status_code == 200
    sheet = text(r)
    assert "Новость номер 0: запись к врачу онлайн" in sheet and "Новость номер 1: запись к врачу онлайн" in sheet
    csp = r.headers["Content-Security-Policy"]
    assert "script" not in csp and "unsafe-inline" not in csp and csp.startswith("default-src 'none'")
    [style] = re.findall(r"<style>(.*?)</style>", sheet, re.S)
    assert base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() in csp
    assert librarian.get("/programme/lessons/2026-11/99").status_code == 404
    assert librarian.get("/programme/lessons/garbage/1").status_code == 404
    # a bad month in the list: the reason, and this month instead
    assert "не месяц" in text(librarian.get("/programme/lessons?month=осень"))


@pytest.mark.slow
def test_lesson_sheet_pdf_download(seeded: App, librarian: FlaskClient, add_items: Any) -> None:
    add_items(1, status="approved")
    r = librarian.get("/programme/lessons/2026-11/2.pdf")
    assert r.status_code == 200 and r.get_data()[:4] == b"%PDF"
    assert "attachment" in r.headers["Content-Disposition"]


@pytest.mark.slow
def test_report_generation_writes_docx_and_pdf(seeded: App, manager: FlaskClient, librarian: FlaskClient) -> None:
    page = text(manager.get("/programme/report"))
    assert "Отчётов пока нет" in page
    r = manager.post("/programme/report", data={"csrf_token": csrf_of(page), "year": "2026"})
    assert r.status_code == 302
    out = seeded.config.path(seeded.config.outputs.out_dir) / "reports"
    assert (out / "report-2026.docx").stat().st_size > 0 and (out / "report-2026.pdf").stat().st_size > 0
    listing = text(manager.get("/programme/report"))
    assert "Отчёт за 2026 год готов" in listing
    assert 'href="/programme/report/2026.docx"' in listing and 'href="/programme/report/2026.pdf"' in listing
    docx = manager.get("/programme/report/2026.docx")
    assert docx.status_code == 200 and docx.get_data()[:2] == b"PK"
    assert manager.get("/programme/report/2026.pdf").get_data()[:4] == b"%PDF"
    assert manager.get("/programme/report/2026.exe").status_code == 404
    assert manager.post("/programme/report", data={"csrf_token": csrf_of(page), "year": "2099"}).status_code == 302
    assert librarian.get("/programme/report").status_code == 403
    assert librarian.post("/programme/report", data={"csrf_token": token(librarian), "year": "2026"}).status_code == 403


# -- the rules of the web layer -------------------------------------------------------------------------


def test_programme_views_have_no_queries_and_every_form_has_a_csrf_token() -> None:
    source = (WEB / "programme.py").read_text(encoding="utf-8")
    assert "select(" not in source and "sqlmodel" not in source and "sqlalchemy" not in source
    for tpl in sorted((WEB / "templates").glob("programme_*.html")):
        html = tpl.read_text(encoding="utf-8")
        posts = len(re.findall(r'<form method="post"', html))
        assert html.count("csrf_token()") == posts, tpl.name
        assert "<script" not in html and " style=" not in html, tpl.name


def test_pages_answer_for_their_roles(seeded: App, manager: FlaskClient, librarian: FlaskClient) -> None:
    for path in ("/programme", "/programme/figures", "/programme/lessons", "/programme/libraries",
                 "/programme/libraries/new", "/programme/libraries/cgb", "/programme/report"):
        r = manager.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'"), path
    for path in ("/programme", "/programme/figures", "/programme/lessons"):
        assert librarian.get(path).status_code == 200, path
    assert "Программа</a>" in text(librarian.get("/"))
