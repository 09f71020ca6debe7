"""Libraries: seeding from the config, CSV import with bad lines (reasons), export, the CLI, users."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.programme import (
    Actor,
    RefusedError,
    get_library,
    import_libraries,
    libraries_csv,
    list_libraries,
    save_library,
    seed_libraries,
    set_figures,
    set_user_library,
)
from ecitizen.shell.cli import main
from ecitizen.storage import User
from tests.programme.conftest import MANAGER

ROOT = Path(__file__).resolve().parents[2]

RUSSIAN_CP1251 = (
    "Код;Название;Адрес;Часы работы;Телефон;Эл. почта;Сайт;ЦПИ;Участвует\r\n"
    "lib-1;Библиотека «Старт»;г. Омск, ул. Первая, 1;Вт–Сб 10–18;+7 (3812) 11-11-11;start@example.org;"
    "lib.omsk.ru/libomsk/node/1;да;да\r\n"
    "Библиотека 2;Библиотека с русским кодом;;;;;;нет;да\r\n"  # bad id
    "lib-1;Повтор первой;;;;;;;\r\n"  # duplicate
    "lib-3;;г. Омск;;;;;;\r\n"  # missing name
    "lib-4;Библиотека «Четыре»;;;;не-почта;;может быть;\r\n"  # bad e-mail and ЦПИ
    ";;;;;;;;\r\n"  # an unfilled template row: ignored silently
    "lib-5;Библиотека «Пять»;;;;;;;нет\r\n"
).encode("cp1251")


def test_config_seeds_the_table_and_the_manager_wins(make_app: Callable[..., App]) -> None:
    app = make_app()
    with session_scope(app.engine) as s:
        added, updated = seed_libraries(s, app.config.libraries, now=app.now())
        assert added == ["cgb", "pushkin-branch", "family-reading"] and updated == []
        assert seed_libraries(s, app.config.libraries, now=app.now()) == ([], [])
        cgb = get_library(s, "cgb")
        # the organisation's real contacts, not the regional library's site
        assert cgb.phone == "+7 (3812) 300-427" and cgb.email == "adm.omb@mail.ru"
        assert cgb.website == "https://lib.omsk.ru" and cgb.is_cpi and cgb.address == ""
        save_library(s, {"id": "cgb", "address": "г. Омск, проверенный адрес"}, actor=MANAGER, now=app.now())
    changed = make_app(libraries=[{"id": "cgb", "name": "Другое имя из конфигурации"},
                                  {"id": "pushkin-branch", "name": "Исправленное имя", "hours": "Пн–Пт 10–19"},
                                  {"id": "new-one", "name": "Новая из конфигурации"}])
    with session_scope(changed.engine) as s:
        assert seed_libraries(s, changed.config.libraries, now=app.now()) == (["new-one"], ["pushkin-branch"])
        assert get_library(s, "pushkin-branch").hours == "Пн–Пт 10–19"  # still the config's: it follows the file
        cgb = get_library(s, "cgb")
        assert cgb.name == "Центральная городская библиотека"  # edited by the manager: config no longer wins
        assert cgb.address == "г. Омск, проверенный адрес"


def test_import_russian_headers_cp1251_reports_every_bad_line(papp: App) -> None:
    with session_scope(papp.engine) as s:
        result = import_libraries(s, RUSSIAN_CP1251, actor=MANAGER, now=papp.now())
        assert result.added == ("lib-1", "lib-5")
        reasons = {x.line: x.reason for x in result.skipped}
        assert set(reasons) == {3, 4, 5, 6}
        assert "Код" in reasons[3] and "латинскими" in reasons[3]
        assert "lib-1 уже был в строке 2" in reasons[4]
        assert "нет названия" in reasons[5]
        assert "не адрес электронной почты" in reasons[6] and "«может быть» — напишите «да» или «нет»" in reasons[6]
        lib1 = get_library(s, "lib-1")
        assert lib1.website == "https://lib.omsk.ru/libomsk/node/1" and lib1.is_cpi and lib1.active
        assert get_library(s, "lib-5").active is False


def test_import_english_headers_updates_by_id_and_keeps_what_a_cell_leaves_empty(papp: App) -> None:
    first = "id,name,address,hours,phone,email,website,is_cpi,active\n" \
            "lib-x,Library X,\"г. Омск, ул. Ясная, 5\",Пн–Пт 9–18,,,,no,yes\n"
    again = "ID,Name,Phone,CPI\n" \
            "lib-x,,+7 (3812) 22-22-22,yes\n" \
            "lib-a,Библиотека «Академическая»,,\n"
    with session_scope(papp.engine) as s:
        assert import_libraries(s, first, actor=MANAGER, now=papp.now()).added == ("lib-x",)
        result = import_libraries(s, again.encode("utf-8-sig"), actor=MANAGER, now=papp.now())
        assert result.updated == ("lib-x",) and result.unchanged == ("lib-a",) and not result.skipped
        x = get_library(s, "lib-x")
        assert (x.name, x.address, x.phone, x.is_cpi) == ("Library X", "г. Омск, ул. Ясная, 5", "+7 (3812) 22-22-22", True)


def test_a_file_without_the_id_or_name_column_is_refused(papp: App) -> None:
    with session_scope(papp.engine) as s, pytest.raises(RefusedError) as err:
        import_libraries(s, "Название;Адрес\nБиблиотека;Омск\n", actor=MANAGER, now=papp.now())
    assert "«Код» (id)" in str(err.value)


def test_the_shipped_template_imports_and_export_round_trips(papp: App) -> None:
    template = (ROOT / "docs" / "libraries-template.csv").read_bytes()
    with session_scope(papp.engine) as s:
        result = import_libraries(s, template, actor=MANAGER, now=papp.now())
        assert not result.skipped  # 40 unfilled rows are not errors
        assert result.updated == ("cgb",) or result.unchanged == ("cgb",)
        libs = list_libraries(s)
        exported = libraries_csv(libs, russian_headers=True)
        again = import_libraries(s, exported, actor=MANAGER, now=papp.now())
        assert not again.added and not again.updated and not again.skipped
        assert len(again.unchanged) == len(libs)


def test_only_the_manager_edits_libraries(papp: App) -> None:
    librarian = Actor("ольга", role="librarian", library_id="lib-a", via="web")
    with session_scope(papp.engine) as s, pytest.raises(RefusedError, match="руководитель"):
        save_library(s, {"id": "lib-a", "phone": "1"}, actor=librarian, now=papp.now())


def test_cli_libraries_import_list_export(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    import yaml

    from tests.conftest import base_config_data

    data = base_config_data(tmp_path)
    data["libraries"] = []
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    f = tmp_path / "libs.csv"
    f.write_bytes(RUSSIAN_CP1251)
    run = CliRunner()
    r = run.invoke(main, ["libraries", "import", str(f), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "добавлено: 2" in r.output and "пропущена строка 3:" in r.output and "пропущена строка 5:" in r.output
    r = run.invoke(main, ["libraries", "list", "--json", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["id"] for x in rows] == ["lib-5", "lib-1"]  # by name: «Пять» before «Старт»
    assert set(rows[0]) == {"id", "name", "address", "hours", "phone", "email", "website", "is_cpi", "active"}
    r = run.invoke(main, ["libraries", "export", "--format", "json", "--config", str(cfg)])
    assert json.loads(r.output) == rows
    r = run.invoke(main, ["libraries", "export", "--config", str(cfg)])
    assert r.output.splitlines()[0] == "id;name;address;hours;phone;email;website;is_cpi;active"
    r = run.invoke(main, ["libraries", "set", "lib-5", "is_cpi=да", "phone=+7 (3812) 55-55-55", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["libraries", "set", "lib-5", "email=плохо", "--config", str(cfg)])
    assert r.exit_code == 2 and "не адрес электронной почты" in r.output


def test_a_librarian_account_belongs_to_a_library(papp: App, tmp_path: Path) -> None:
    from ecitizen.shell.auth import add_user

    with session_scope(papp.engine) as s:
        add_user(s, "ольга", "достаточно-длинный-пароль-1", role="librarian")
        add_user(s, "руководитель", "достаточно-длинный-пароль-2", role="manager")
        assert set_user_library(s, "ольга", "lib-a").library_id == "lib-a"
        with pytest.raises(RefusedError):
            set_user_library(s, "руководитель", "lib-a")
        user = s.exec(select(User).where(User.name == "ольга")).one()
        from ecitizen.programme import actor_for

        olga = actor_for(user)
        set_figures(s, library_id="lib-a", month="2026-10", values={"trained": 3}, actor=olga, now=papp.now(),
                    tz=papp.config.tz)
        with pytest.raises(RefusedError, match="только своей библиотеки"):
            set_figures(s, library_id="lib-b", month="2026-10", values={"trained": 3}, actor=olga, now=papp.now(),
                        tz=papp.config.tz)


def test_cli_users_add_with_library(tmp_path: Path) -> None:
    import yaml

    from tests.conftest import base_config_data

    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(base_config_data(tmp_path), allow_unicode=True), encoding="utf-8")
    run = CliRunner()
    assert run.invoke(main, ["libraries", "set", "cgb", "name=ЦГБ", "--config", str(cfg)]).exit_code == 0
    r = run.invoke(main, ["users", "add", "olga", "--library", "cgb", "--password-stdin", "--config", str(cfg)],
                   input="достаточно-длинный-пароль\n")
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["users", "add", "nina", "--library", "nope", "--password-stdin", "--config", str(cfg)],
                   input="достаточно-длинный-пароль\n")
    assert r.exit_code == 1 and "nope" in r.output
    app = App(str(cfg))
    with session_scope(app.engine) as s:
        users = {u.name: u.library_id for u in s.exec(select(User))}
    assert users == {"olga": "cgb"}  # nina's account was not created: one transaction
