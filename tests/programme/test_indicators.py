"""Indicators: a year of entered figures for several libraries, checked number by number; what the
service counts after real poster/media-note recording calls; refusals; history; the dashboard."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlmodel import func, select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.programme import (
    Actor,
    RefusedError,
    confirm_info_zone,
    figure_history,
    import_figures,
    indicator_table,
    mark_media_note_sent,
    programme_dashboard,
    record_info_zone_produced,
    record_media_note,
    set_figures,
)
from ecitizen.shell.cli import main
from ecitizen.storage import ProgrammeFigure, ProgrammeFigureChange
from tests.conftest import base_config_data
from tests.programme.conftest import LIBRARIES, MANAGER


def test_the_indicator_table_number_by_number(year_app: App) -> None:
    with session_scope(year_app.engine) as s:
        rows = {r.no: r for r in indicator_table(s, 2026)}
    expected = {
        # no: (target, actual, source, met)
        1: (41, 3, "counted", False),
        2: (20, 55 + 12 + 7, "entered", True),
        3: (120, 100 + 30, "entered", True),
        4: (35, 30 + 6, "entered", True),
        5: (10, 10 + 0, "entered", True),
        6: (1, 2, "counted", True),        # cgb and lib-b confirmed; lib-a's sheet made but not put up
        7: (40, 60 + 6, "entered", True),  # portal 40 + 6, ICT 20 + 0
        8: (4, 4, "counted", True),        # 2026-03, 2026-06, the year's note and lib-a's own; not 2026-09 (unsent)
    }
    assert {no: (r.target, r.actual, r.source, r.met) for no, r in rows.items()} == expected
    assert rows[7].detail == ("Консультации по порталу госуслуг (п. 8): 46; "
                              "Консультации по компьютеру и интернету (ИКТ) (п. 9): 20")
    assert rows[6].detail == "листов подготовлено: 4, отмечено «вывешено»: 2"
    assert rows[8].detail == "подготовлено: 5, отправлено в СМИ: 4"
    assert rows[2].title.startswith("Количество омичей, обученных навыкам")
    assert [r.as_json()["id"] for r in rows.values()] == [
        "libraries", "trained", "site_visits", "eservices", "events", "info_zones", "consultations", "media_messages"]


def test_one_librarys_column_has_no_targets(year_app: App) -> None:
    with session_scope(year_app.engine) as s:
        rows = {r.id: r for r in indicator_table(s, 2026, library_id="cgb")}
    assert {k: r.actual for k, r in rows.items()} == {
        "libraries": 1, "trained": 55, "site_visits": 100, "eservices": 30, "events": 10, "info_zones": 1,
        "consultations": 60, "media_messages": 0}
    assert all(r.target is None and r.met is None for r in rows.values())


def test_default_targets_of_2020_2022_are_seeded(papp: App) -> None:
    with session_scope(papp.engine) as s:
        for year, site_visits, eservices in ((2020, 100, 30), (2021, 110, 35), (2022, 120, 35)):
            targets = [r.target for r in indicator_table(s, year)]
            assert targets == [41, 20, site_visits, eservices, 10, 1, 40, 4]
        assert [r.target for r in indicator_table(s, 2027)] == [None] * 8


@pytest.mark.parametrize(("values", "month", "reason"), [
    ({"trained": "-3"}, "2026-10", "не может быть меньше нуля"),
    ({"trained": "2.5"}, "2026-10", "нужно целое число"),
    ({"trained": "пять"}, "2026-10", "не число"),
    ({"trained": ""}, "2026-10", "пусто"),
    ({"trained": "1000000"}, "2026-10", "слишком большое"),
    ({"trained": "3"}, "2026-12", "ещё не наступил"),
    ({"trained": "3"}, "2027-01", "ещё не наступил"),
    ({"trained": "3"}, "13.2026", "12 месяцев"),
    ({"consultations": "5"}, "2026-10", "consultations_portal"),
    ({"info_zones": "1"}, "2026-10", "считается автоматически"),
    ({"6": "1"}, "2026-10", "считается автоматически"),
    ({"visitors": "1"}, "2026-10", "неизвестный показатель"),
    ({"trained": "1", "2": "2"}, "2026-10", "указан дважды"),
])
def test_refused_entries_write_nothing(papp: App, values: dict[str, str], month: str, reason: str) -> None:
    with session_scope(papp.engine) as s:
        set_figures(s, library_id="cgb", month="2026-10", values={"events": 1}, actor=MANAGER, now=papp.now(),
                    tz=papp.config.tz)
    with session_scope(papp.engine) as s, pytest.raises(RefusedError) as err:
        set_figures(s, library_id="cgb", month=month, values={**values, "events": "2"}, actor=MANAGER,
                    now=papp.now(), tz=papp.config.tz)
    assert reason in str(err.value)
    with session_scope(papp.engine) as s:
        assert s.exec(select(func.count()).select_from(ProgrammeFigure)).one() == 1
        assert s.exec(select(ProgrammeFigure.value)).one() == 1  # «events» was not changed either
        assert s.exec(select(func.count()).select_from(ProgrammeFigureChange)).one() == 1


def test_the_current_month_may_be_entered_and_an_unknown_library_is_refused(papp: App) -> None:
    with session_scope(papp.engine) as s:
        saved = set_figures(s, library_id="lib-b", month="2026-11", values={"events": 1}, actor=MANAGER,
                            now=papp.now(), tz=papp.config.tz)
        assert saved.month == "2026-11"
        assert saved.warnings and "не отмечена как ЦПИ" in saved.warnings[0]  # events are «на базе ЦПИ»
        with pytest.raises(RefusedError, match="нет библиотеки"):
            set_figures(s, library_id="nope", month="2026-10", values={"events": 1}, actor=MANAGER, now=papp.now(),
                        tz=papp.config.tz)


def test_every_change_is_kept_with_who_and_when(papp: App, clock) -> None:  # type: ignore[no-untyped-def]
    tz = papp.config.tz
    with session_scope(papp.engine) as s:
        set_figures(s, library_id="cgb", month="2026-10", values={"trained": 10}, actor=Actor.cli("иванова"),
                    now=papp.now(), tz=tz)
    clock.advance(hours=2)
    with session_scope(papp.engine) as s:
        web = Actor("петрова", role="librarian", library_id="cgb", via="web")
        saved = set_figures(s, library_id="cgb", month="2026-10", values={"trained": 12, "events": 0}, actor=web,
                            now=papp.now(), tz=tz)
        assert [(c.measure, c.old, c.new) for c in saved.changed] == [("trained", 10, 12), ("events", None, 0)]
        again = set_figures(s, library_id="cgb", month="2026-10", values={"trained": "12"}, actor=web,
                            now=papp.now(), tz=tz)
        assert again.changed == () and again.unchanged == ("trained",)
        history = figure_history(s, library_id="cgb", month="2026-10")
    assert [(h.measure, h.old, h.new, h.by, h.via) for h in history] == [
        ("events", None, 0, "петрова", "web"),
        ("trained", 10, 12, "петрова", "web"),
        ("trained", None, 10, "иванова", "cli"),
    ]
    assert history[0].at == clock() and history[2].at < history[1].at
    assert history[1].label == "Обучено жителей (окончили курс)"


def test_csv_import_of_figures_reports_bad_lines(papp: App) -> None:
    text = ("Библиотека;Месяц;Обучено;Мероприятия;consultations_ict\n"
            "cgb;2026-09;5;1;2\n"
            "cgb;2026-12;5;;\n"              # future month
            "lib-a;2026-09;-1;;\n"           # negative
            "nope;2026-09;1;;\n"             # unknown library
            "cgb;2026-09;6;;\n"              # the same library and month again
            "lib-b;2026-09;;;\n"             # no numbers
            "lib-b;2026-09;;2;\n")
    with session_scope(papp.engine) as s:
        result = import_figures(s, text.encode("cp1251"), actor=MANAGER, now=papp.now(), tz=papp.config.tz)
        reasons = {x.line: x.reason for x in result.skipped}
        assert sorted(reasons) == [3, 4, 5, 6, 7]
        assert "ещё не наступил" in reasons[3]
        assert "меньше нуля" in reasons[4]
        assert "нет библиотеки" in reasons[5]
        assert "уже была в строке 2" in reasons[6]
        assert "нет ни одного числа" in reasons[7]
        assert [(x.library_id, x.month) for x in result.saved] == [("cgb", "2026-09"), ("lib-b", "2026-09")]
        vias = set(s.exec(select(ProgrammeFigureChange.via)).all())
        assert vias == {"import"}
        with pytest.raises(RefusedError, match="посетители"):
            import_figures(s, "библиотека;месяц;посетители\ncgb;2026-09;1\n", actor=MANAGER, now=papp.now(),
                           tz=papp.config.tz)


def test_an_info_zone_is_confirmed_only_once_made_and_by_its_own_librarian(papp: App) -> None:
    tz, now = papp.config.tz, papp.now()
    olga = Actor("ольга", role="librarian", library_id="lib-a", via="web")
    with session_scope(papp.engine) as s:
        with pytest.raises(RefusedError, match="ещё не подготовлен"):
            confirm_info_zone(s, library_id="lib-a", month="2026-10", actor=olga, now=now, tz=tz)
        record_info_zone_produced(s, "lib-a", "2026-10", "/p.pdf", now)
        record_info_zone_produced(s, "lib-b", "2026-10", "/p.pdf", now)
        with pytest.raises(RefusedError, match="своей библиотеки"):
            confirm_info_zone(s, library_id="lib-b", month="2026-10", actor=olga, now=now, tz=tz)
        zone = confirm_info_zone(s, library_id="lib-a", month="2026-10", actor=olga, now=now, tz=tz)
        assert zone.confirmed and zone.confirmed_by == "ольга"
        with pytest.raises(RefusedError, match="руководитель"):
            note = record_media_note(s, period="2026-10", path="/m.docx", now=now)
            mark_media_note_sent(s, note.id, actor=olga, now=now)


def test_dashboard_progress_chart_and_who_has_not_entered(year_app: App) -> None:
    with session_scope(year_app.engine) as s:
        dash = programme_dashboard(s, year=2026, now=year_app.now(), tz=year_app.config.tz)
    assert dash.last_month == "2026-10" and dash.last_month_label == "октябрь 2026 г."
    assert [lib.id for lib in dash.missing_last_month] == ["lib-a", "lib-b"]  # «Академическая», «Берёзка»
    per = {p.library.id: p for p in dash.libraries}
    assert per["cgb"].values["trained"] == 55 and per["cgb"].months_entered == 10 and per["cgb"].entered_last_month
    assert per["lib-a"].values["consultations"] == 6 and per["lib-a"].zones_confirmed == 0
    assert per["lib-b"].values["info_zones"] == 1 and per["lib-b"].zones_confirmed == 1
    svg = ET.fromstring(dash.chart_svg)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("role") == "img"
    texts = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "74 из 20 человек — выполнен" in texts and "3 из 41 библиотек — не выполнен" in texts
    assert "<script" not in dash.chart_svg and "href" not in dash.chart_svg
    assert json.loads(json.dumps(dash.as_json()))["missing_last_month"][0]["id"] == "lib-a"


def test_january_looks_at_december_of_the_year_before(papp: App) -> None:
    from datetime import UTC, datetime

    with session_scope(papp.engine) as s:
        set_figures(s, library_id="cgb", month="2026-12", values={"trained": 1}, actor=MANAGER,
                    now=datetime(2027, 1, 5, tzinfo=UTC), tz=papp.config.tz)
        dash = programme_dashboard(s, year=2027, now=datetime(2027, 1, 5, tzinfo=UTC), tz=papp.config.tz)
    assert dash.last_month == "2026-12"
    assert [lib.id for lib in dash.missing_last_month] == ["lib-a", "lib-b"]


def _cli_config(tmp_path: Path) -> Path:
    data = base_config_data(tmp_path)
    data["libraries"] = LIBRARIES
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = App(str(cfg))
    from ecitizen.programme import seed_libraries

    with session_scope(app.engine) as s:
        seed_libraries(s, app.config.libraries, now=app.now())
    return cfg


def test_cli_set_show_target_history(tmp_path: Path) -> None:
    cfg = str(_cli_config(tmp_path))
    run = CliRunner()
    r = run.invoke(main, ["indicators", "set", "--library", "cgb", "--month", "2025-10", "trained=12",
                          "consultations_ict=3", "--by", "иванова", "--config", cfg])
    assert r.exit_code == 0, r.output
    assert "trained: — → 12" in r.output
    r = run.invoke(main, ["indicators", "set", "--library", "cgb", "--month", "2025-10", "trained=-1",
                          "events=много", "--config", cfg])
    assert r.exit_code == 2
    assert "ничего не записано" in r.output and "меньше нуля" in r.output and "не число" in r.output
    r = run.invoke(main, ["indicators", "set", "--library", "cgb", "--month", "2099-01", "trained=1", "--config", cfg])
    assert r.exit_code == 2 and "ещё не наступил" in r.output
    r = run.invoke(main, ["indicators", "target", "--year", "2025", "2=25", "consultations=50", "--config", cfg])
    assert r.exit_code == 0, r.output
    r = run.invoke(main, ["indicators", "show", "--year", "2025", "--json", "--config", cfg])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert all(set(x) == {"no", "id", "title", "unit", "target", "actual", "source", "met"} for x in rows)
    by_id = {x["id"]: x for x in rows}
    assert by_id["trained"] == {**by_id["trained"], "target": 25, "actual": 12, "source": "entered", "met": False}
    assert by_id["consultations"]["actual"] == 3 and by_id["libraries"]["source"] == "counted"
    r = run.invoke(main, ["indicators", "show", "--year", "2025", "--config", cfg])
    assert "Обучено жителей" in r.output and "не выполнен" in r.output
    r = run.invoke(main, ["indicators", "history", "--library", "cgb", "--json", "--config", cfg])
    assert [(h["name"], h["by"]) for h in json.loads(r.output)] == [("consultations_ict", "иванова"),
                                                                     ("trained", "иванова")]
    r = run.invoke(main, ["indicators", "missing", "--month", "2025-10", "--json", "--config", cfg])
    assert [x["id"] for x in json.loads(r.output)["libraries"]] == ["lib-a", "lib-b"]
