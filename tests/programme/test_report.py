"""The yearly report: DOCX and PDF written, opened and their tables read back; the results page."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData
from ecitizen.programme import (
    build_year_report,
    enter_survey,
    render_results_html,
    results_note,
    seed_libraries,
    write_year_report,
)
from ecitizen.shell.cli import main
from ecitizen.storage import LinkCheck
from tests.conftest import base_config_data
from tests.programme.conftest import (
    LIBRARIES,
    MANAGER,
    add_event,
    add_items,
    add_link,
    docx_tables,
    enter_year,
    pdf_pages,
    pdf_size,
    record_outputs,
    squash,
    utc,
)


def add_year_content(app: App) -> None:
    add_items(app, "gosuslugi", [
        EntryData(url="https://www.gosuslugi.ru/news/doctor", title="Теперь можно записаться к врачу через Госуслуги",
                  summary_html="<p>Запись к врачу онлайн.</p>", published_at=utc(2026, 3, 5)),
        EntryData(url="https://www.gosuslugi.ru/news/passport", title="Новая услуга: загранпаспорт на Госуслугах",
                  summary_html="<p>Заявление онлайн.</p>", published_at=utc(2026, 5, 8)),
        EntryData(url="https://sfr.gov.ru/news/pension", title="Социальный фонд: пенсия в декабре раньше",
                  summary_html="<p>График выплат пенсий.</p>", published_at=utc(2026, 10, 12)),
    ])
    add_items(app, "gosuslugi", [EntryData(url="https://example.org/rejected", title="Отклонённая новость о пенсии",
                                           published_at=utc(2026, 6, 1))], status="rejected")
    add_items(app, "gosuslugi", [EntryData(url="https://example.org/old", title="Прошлогодняя новость о пенсии",
                                           published_at=utc(2025, 12, 20))])
    ok = add_link(app, "https://www.gosuslugi.ru/help", title="Справка", topics=["gosuslugi"], status="ok")
    moved = add_link(app, "https://sfr.gov.ru/old", title="Пенсии", topics=["pensions"], status="moved",
                     proposed_url="https://sfr.gov.ru/new")
    broken = add_link(app, "https://example.org/gone", title="Удалённая", topics=["doctor"], status="broken")
    add_event(app, ok, "broken", utc(2026, 2, 1))
    add_event(app, ok, "recovered", utc(2026, 2, 3))
    add_event(app, moved, "moved", utc(2026, 4, 1))
    add_event(app, broken, "broken", utc(2026, 7, 1))
    add_event(app, broken, "changed", utc(2025, 7, 1))  # another year
    with session_scope(app.engine) as s:
        for link_id, day in ((ok, 1), (ok, 2), (moved, 1), (broken, 1)):
            s.add(LinkCheck(link_id=link_id, checked_at=utc(2026, 6, day), outcome="ok"))
        enter_survey(s, app.config.survey, library_id="cgb", month="2026-10", actor=MANAGER, now=app.now(),
                     tz=app.config.tz, answers={"forms": 20, "useful:often": 12, "useful:sometimes": 6,
                                                "useful:not-yet": 2, "recommend:yes": 19})


@pytest.fixture
def full_app(papp: App) -> App:
    enter_year(papp)
    record_outputs(papp)
    add_year_content(papp)
    return papp


def test_report_data(full_app: App) -> None:
    with session_scope(full_app.engine) as s:
        r = build_year_report(s, full_app.config, year=2026, now=full_app.now())
    assert (r.items_total, r.new_services_total) == (3, 2)
    topics = {t.id: t for t in r.topics}
    assert (topics["doctor"].items, topics["doctor"].new_services) == (1, 1)
    assert topics["pensions"].items == 1  # the rejected and last year's ones are not counted
    assert [s.title for s in r.new_services] == ["Теперь можно записаться к врачу через Госуслуги",
                                                  "Новая услуга: загранпаспорт на Госуслугах"]
    lk = r.links
    assert (lk.total, lk.checked_links, lk.checks, lk.moved, lk.broken, lk.repaired, lk.changed) == (3, 3, 4, 1, 2, 1, 0)
    assert lk.need_attention == 2
    assert (r.zones_produced, r.zones_confirmed, len(r.notes), r.notes_sent) == (4, 2, 5, 4)
    assert r.survey.forms == 20 and r.met_count == 7 and r.with_target == 8
    assert json.loads(json.dumps(r.as_json()))["links"]["repaired"] == 1


def test_docx_and_pdf_read_back(full_app: App, tmp_path: Path) -> None:
    with session_scope(full_app.engine) as s:
        docx, pdf = write_year_report(s, full_app.config, year=2026, now=full_app.now(), out_dir=tmp_path)
    assert (docx.name, pdf.name) == ("report-2026.docx", "report-2026.pdf")

    tables = docx_tables(docx)
    indicators = tables[0]
    assert indicators[0] == ["№", "Показатель", "План", "Факт", "Выполнение"]
    got = {row[0]: (row[2], row[3], row[4]) for row in indicators[1:]}
    assert got == {
        "1": ("41", "3", "не выполнен"), "2": ("≥ 20", "74", "выполнен"), "3": ("120", "130", "выполнен"),
        "4": ("≥ 35", "36", "выполнен"), "5": ("≥ 10", "10", "выполнен"), "6": ("≥ 1", "2", "выполнен"),
        "7": ("≥ 40", "66", "выполнен"), "8": ("≥ 4", "4", "выполнен"),
    }
    assert indicators[2][1].startswith("Количество омичей, обученных навыкам ориентирования")
    libs = {row[0]: row[1:] for row in tables[1][1:]}
    assert tables[1][0][0] == "Библиотека" and "Обучено (2)" in tables[1][0]
    assert libs["Центральная городская библиотека"] == ["да", "55", "100", "30", "10", "60", "1", "10"]
    assert libs["Библиотека «Академическая»"] == ["да", "12", "30", "6", "0", "6", "0", "6"]
    assert libs["Библиотека «Берёзка»"] == ["", "7", "0", "0", "0", "0", "1", "1"]
    topics = {row[0]: row[1:] for row in tables[2][1:]}
    assert topics["Талон к врачу"] == ["1", "1"] and topics["Служба одного окна"] == ["0", "0"]
    useful = tables[3]
    assert useful[0] == ["Ответ", "Человек", "Доля анкет"]
    assert useful[1] == ["Да, пользуюсь ими постоянно", "12", "60%"]

    with zipfile.ZipFile(docx) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
        document = z.read("word/document.xml").decode("utf-8")
    assert 'w:lang w:val="ru-RU"' in styles
    page = re.search(r"<w:pgSz [^>]*>", document)
    assert page and 'w:w="11906"' in page.group(0) and 'w:h="16838"' in page.group(0)  # A4 in twentieths of a point

    pages = pdf_pages(pdf)
    assert pdf_size(pdf) == (595, 842)
    text = squash(" ".join(pages))
    assert "Отчёт о реализации программы «Компетентный е-гражданин» за 2026 год" in text
    for fragment in ("≥ 20 74 выполнен", "120 130 выполнен", "41 3 не выполнен", "≥ 4 4 выполнен",
                     "Центральная городская библиотека да 55 100 30 10 60 1 10",
                     "Переехали на новый адрес: 1; перестали работать: 2; исправлены и снова работают: 1",
                     "Анкет заполнено: 20", "Да, пользуюсь ими постоянно 12 60%"):
        assert fragment in text, fragment
    assert f"Страница 1 из {len(pages)}" in squash(pages[0])


def test_report_of_an_empty_year_still_reads(papp: App, tmp_path: Path) -> None:
    with session_scope(papp.engine) as s:
        _docx, pdf = write_year_report(s, papp.config, year=2021, now=papp.now(), out_dir=tmp_path)
    text = squash(" ".join(pdf_pages(pdf)))
    assert "Ответы анкет за год не введены" in text and "≥ 35 0 не выполнен" in text


def test_results_page_and_note(full_app: App) -> None:
    with session_scope(full_app.engine) as s:
        html = render_results_html(s, full_app.config, 2026, full_app.now())
        note = results_note(s, full_app.config, year=2026, now=full_app.now())
    assert "<script" not in html.lower() and re.search(r"\son\w+=", html) is None  # no script at all
    assert '<html lang="ru">' in html and "Итоги программы" in html and "<svg" in html
    assert "Обучено жителей" in html and "≥ 20" in html
    assert note.headline == "Итоги программы «Компетентный е-гражданин» в 2026 году"
    assert "Обучено жителей: 74" in note.lead and "проведено консультаций: 66" in note.lead
    assert note.useful_share == pytest.approx(18 / 20)
    assert note.new_services_total == 2 and note.top_topics[0][1] >= 1


def test_cli_report_prints_the_written_paths(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["libraries"] = LIBRARIES
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = App(str(cfg))
    with session_scope(app.engine) as s:
        seed_libraries(s, app.config.libraries, now=app.now())
    r = CliRunner().invoke(main, ["report", "--year", "2022", "--json", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    paths = [Path(p) for p in json.loads(r.output)]
    assert [p.name for p in paths] == ["report-2022.docx", "report-2022.pdf"]
    assert paths[0].parent == tmp_path / "out" / "reports" and all(p.stat().st_size > 1000 for p in paths)
    r = CliRunner().invoke(main, ["report", "--year", "1999", "--config", str(cfg)])
    assert r.exit_code == 2 and "не год программы" in r.output
