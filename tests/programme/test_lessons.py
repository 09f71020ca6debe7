"""«Что изменилось для занятия»: the right items on the right lesson's sheet, HTML and PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import NotFoundError
from ecitizen.pipeline import EntryData
from ecitizen.programme import lesson_sheets, render_lesson_html
from ecitizen.shell.cli import main
from tests.conftest import base_config_data
from tests.programme.conftest import add_event, add_items, add_link, pdf_pages, squash, utc


def add_month(app: App) -> None:
    add_items(app, "gosuslugi", [
        EntryData(url="https://www.gosuslugi.ru/news/ep", title="Новая услуга: электронная подпись на Госуслугах",
                  summary_html="<p>Госключ теперь можно получить бесплатно.</p>", published_at=utc(2026, 10, 3)),
        EntryData(url="https://www.gosuslugi.ru/news/portal", title="Портал госуслуг обновил главную страницу",
                  summary_html="<p>Единый портал изменил меню.</p>", published_at=utc(2026, 10, 9)),
        EntryData(url="https://www.gosuslugi.ru/news/nov", title="Ноябрьская новость о Госуслугах",
                  published_at=utc(2026, 11, 2)),
    ], manual_topics=["gosuslugi"])
    add_items(app, "gosuslugi", [EntryData(url="https://example.org/rej", title="Отклонённая новость о Госуслугах",
                                           published_at=utc(2026, 10, 4))], status="rejected",
              manual_topics=["gosuslugi"])
    add_items(app, "gosuslugi", [EntryData(url="https://example.org/unreviewed", title="Ещё не проверенная новость",
                                           published_at=utc(2026, 10, 4))], status="new", manual_topics=["gosuslugi"])
    add_items(app, "gosuslugi-help", [EntryData(
        url="https://www.gosuslugi.ru/help/faq/login", title="Изменилась страница «Как войти на Госуслуги»",
        kind="page_change", diff_text="+ Вход по QR-коду\n− Вход по СНИЛС", published_at=utc(2026, 10, 15))],
        status="new", manual_topics=["gosuslugi"])
    add_items(app, "minzdrav", [EntryData(url="https://minzdrav.gov.ru/news/talon", title="Талон к врачу по телефону",
                                          published_at=utc(2026, 10, 6))], manual_topics=["doctor"])
    moved = add_link(app, "https://www.gosuslugi.ru/help/faq/old", title="Как подтвердить учётную запись",
                     topics=["gosuslugi", "cabinet"], status="moved", proposed_url="https://www.gosuslugi.ru/help/faq/new")
    add_event(app, moved, "moved", utc(2026, 10, 20), "Страница переехала")
    changed = add_link(app, "https://www.gosuslugi.ru/help/pay", title="Оплата пошлин", topics=["gosuslugi"])
    add_event(app, changed, "changed", utc(2026, 10, 21), "Изменился текст «Оплата пошлин»: изменено около 30% текста")
    earlier = add_link(app, "https://www.gosuslugi.ru/sept", title="Сентябрьская ссылка", topics=["gosuslugi"],
                       status="broken")
    add_event(app, earlier, "broken", utc(2026, 9, 20))
    broken = add_link(app, "https://talon.example.org/", title="Запись к врачу (регион)", topics=["doctor"],
                      status="broken")
    add_event(app, broken, "broken", utc(2026, 10, 25), "Ссылка не работает: 404")


def test_each_sheet_has_its_lessons_changes(papp: App) -> None:
    add_month(papp)
    with session_scope(papp.engine) as s:
        sheets = {sh.topic_id: sh for sh in lesson_sheets(s, papp.config, month="2026-10")}
        assert len(sheets) == len(papp.config.topics) == 11
        g = sheets["gosuslugi"]
        assert (g.lesson_no, g.title) == (1, "Электронное правительство: госуслуги быстро и доступно")
        assert [i.title for i in g.new_services] == ["Новая услуга: электронная подпись на Госуслугах"]
        assert [i.title for i in g.news] == ["Портал госуслуг обновил главную страницу"]  # not November's, not rejected
        assert [(i.title, i.reviewed) for i in g.page_changes] == [
            ("Изменилась страница «Как войти на Госуслуги»", False), ("Оплата пошлин", True)]
        assert [(x.kind, x.proposed_url) for x in g.links] == [("moved", "https://www.gosuslugi.ru/help/faq/new")]
        d = sheets["doctor"]
        assert [i.title for i in d.news] == ["Талон к врачу по телефону"]
        assert [(x.title, x.kind) for x in d.links] == [("Запись к врачу (регион)", "broken")]
        assert sheets["cabinet"].links[0].title == "Как подтвердить учётную запись"  # a link of two lessons
        assert sheets["transport"].empty
        assert [sh.topic_id for sh in lesson_sheets(s, papp.config, month="2026-10", lesson="2")] == ["doctor"]
        with pytest.raises(NotFoundError, match="нет занятия"):
            lesson_sheets(s, papp.config, month="2026-10", lesson="astronomy")
        html = render_lesson_html(g, papp.config, now=papp.now())
    assert "<script" not in html and "Что изменилось для занятия 1" in html
    assert "Новый адрес: https://www.gosuslugi.ru/help/faq/new" in html


def test_cli_writes_html_and_pdf_sheets(papp: App, tmp_path: Path) -> None:
    add_month(papp)
    data = base_config_data(tmp_path)  # the same database as papp
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "lessons"
    r = CliRunner().invoke(main, ["lessons", "--month", "2026-10", "--lesson", "gosuslugi", "--out", str(out), "--json",
                                  "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    [sheet] = json.loads(r.output)
    assert Path(sheet["pdf"]).name == "lesson-2026-10-01-gosuslugi.pdf" and Path(sheet["html"]).exists()
    pages = pdf_pages(Path(sheet["pdf"]))
    text = squash(" ".join(pages))
    for fragment in ("Что изменилось для занятия 1", "октябрь 2026 г.".capitalize(),
                     "Новая услуга: электронная подпись на Госуслугах", "Переехала",
                     "Новый адрес: https://www.gosuslugi.ru/help/faq/new", "Ещё не проверено",
                     "Портал госуслуг обновил главную страницу"):
        assert fragment in text, fragment
    assert "Ноябрьская" not in text and "Отклонённая" not in text and "Талон к врачу" not in text
    r = CliRunner().invoke(main, ["lessons", "--month", "2026-10", "--lesson", "transport", "--out", str(out),
                                  "--config", str(cfg)])
    assert r.exit_code == 0 and "без изменений" in r.output
    text = squash(" ".join(pdf_pages(out / "lesson-2026-10-07-transport.pdf")))
    assert "изменений нет" in text


def test_a_busy_month_keeps_the_newest_entries_and_counts_the_rest(papp: App) -> None:
    """A sheet is printed: a busy topic's month keeps the newest SHEET_MAX news and says how many
    earlier ones it left off; the overview counts them all, the same as the sheets."""
    from ecitizen.programme import lesson_overview
    from ecitizen.programme.lessons import SHEET_MAX
    from ecitizen.russian import count_ru

    add_month(papp)
    busy = [EntryData(url=f"https://www.gosuslugi.ru/news/n{i}", title=f"Новость о Госуслугах номер {i}",
                      published_at=utc(2026, 10, 10 + i % 15, i % 24)) for i in range(SHEET_MAX + 7)]
    add_items(papp, "gosuslugi", busy, manual_topics=["gosuslugi"])
    undated = [EntryData(url="https://www.gosuslugi.ru/news/undated", title="Новость без даты о Госуслугах")]
    add_items(papp, "gosuslugi", undated, manual_topics=["gosuslugi"], fetched_at=utc(2026, 10, 30, 12))
    with session_scope(papp.engine) as s:
        [g] = lesson_sheets(s, papp.config, month="2026-10", lesson="gosuslugi")
        overview = {c.topic_id: c for c in lesson_overview(s, papp.config, month="2026-10")}
        every = {sh.topic_id: sh for sh in lesson_sheets(s, papp.config, month="2026-10")}
    news_total = 1 + len(busy) + 1  # the month's own news, the busy ones, the undated one
    assert len(g.news) == SHEET_MAX and g.more_news == news_total - SHEET_MAX
    assert g.news[-1].title == "Новость без даты о Госуслугах"  # the newest, dated by when it was fetched
    whens = [i.when for i in g.news]
    assert whens == sorted(whens)  # oldest first, the newest kept
    assert "Портал госуслуг обновил главную страницу" not in [i.title for i in g.news]  # the oldest, left off
    assert g.total == 1 + news_total + 2 + 1
    o = overview["gosuslugi"]
    assert (o.new_services, o.news, o.page_changes, o.links) == (1, news_total, 2, 1)
    assert every["gosuslugi"] == g  # the one-lesson query finds the same as the whole month's
    for topic_id, sheet in every.items():
        c = overview[topic_id]
        assert (c.new_services, c.news, c.page_changes, c.links) == (
            len(sheet.new_services) + sheet.more_new_services, len(sheet.news) + sheet.more_news,
            len(sheet.page_changes) + sheet.more_page_changes, len(sheet.links)), topic_id
    html = render_lesson_html(g, papp.config, now=papp.now())
    left_off = count_ru(news_total - SHEET_MAX, "более ранняя новость", "более ранние новости", "более ранних новостей")
    assert f"Не вошли в лист: ещё {left_off} за месяц" in html
    assert "состояние «одобренные», тема «Электронное правительство: госуслуги быстро и доступно»" in html
