"""Media notes: HTML, plain text and a DOCX an editor opens (python-docx reads it back)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from ecitizen.app import App
from ecitizen.digest.media import make_media_note
from ecitizen.errors import ConfigError
from ecitizen.pipeline import EntryData
from tests.digest.conftest import HOSTILE_TITLE, add_items, nov, sample_entries


def _docx_text(path: Path) -> tuple[str, list[str]]:
    d = docx.Document(str(path))
    headings = [p.text for p in d.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    return "\n".join(p.text for p in d.paragraphs), headings


def test_monthly_note(app: App, tmp_path: Path) -> None:
    add_items(app, "gosuslugi-news", sample_entries())
    add_items(app, "library", [EntryData(url="https://www.omsklib.ru/events/1", kind="catalog_event",
                                         title="Лекция «Госуслуги для пенсионеров» в Центральной библиотеке",
                                         published_at=nov(12))])
    add_items(app, "pending", [EntryData(url="https://example.org/p", title="Не проверено", published_at=nov(5))],
              approve=False)
    paths = make_media_note(app, month="2026-11", out_dir=tmp_path)
    assert [p.name for p in paths] == ["media-2026-11.html", "media-2026-11.txt", "media-2026-11.docx"]
    headline = "Что нового в электронных госуслугах в ноябре 2026 года: 2 новые онлайн-услуги"
    text, headings = _docx_text(paths[2])
    assert headings[0] == headline
    assert "Новые онлайн-услуги" in headings and "События" in headings and "Контакты для СМИ" in headings
    assert "загранпаспорт" in text and "Лекция «Госуслуги для пенсионеров»" in text
    assert "Информационный отдел Центральной городской библиотеки" in text  # media_contact
    assert "Не проверено" not in text
    html = paths[0].read_text(encoding="utf-8")
    plain = paths[1].read_text(encoding="utf-8")
    for out in (html, plain):
        assert headline in out and "загранпаспорт" in out and "Не проверено" not in out
    assert "ИНФОРМАЦИОННОЕ СООБЩЕНИЕ · 25 ноября 2026 г." in plain


def test_yearly_note(app: App, tmp_path: Path) -> None:
    add_items(app, "s", sample_entries())
    add_items(app, "s2", [EntryData(url="https://example.org/march", title="Теперь можно оплатить налог онлайн",
                                    published_at=nov(3).replace(month=3))])
    paths = make_media_note(app, year=2026, out_dir=tmp_path)
    assert paths[2].name == "media-2026.docx"
    text, headings = _docx_text(paths[2])
    assert headings[0] == "Итоги программы «Компетентный е-гражданин» в 2026 году"  # programme.results_note
    assert "По месяцам" in headings
    assert "Март: новых услуг — 1" in text and "Ноябрь: новых услуг — 2" in text


def test_hostile_text_in_note(app: App, tmp_path: Path) -> None:
    add_items(app, "s", [EntryData(url="https://example.org/h", title="x", published_at=nov(3))],
              display_title=HOSTILE_TITLE, is_new_service=True)
    paths = make_media_note(app, month="2026-11", out_dir=tmp_path)
    html = paths[0].read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    text, _ = _docx_text(paths[2])
    assert '<script>alert("x")</script>' in text  # shown as text in the document
    assert "\u202e" not in text


def test_month_or_year(app: App, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_media_note(app, month="2026-11", year=2026, out_dir=tmp_path)
    with pytest.raises(ConfigError):
        make_media_note(app, month="11.2026", out_dir=tmp_path)
    # default: the previous month (clock: 25 November 2026)
    assert make_media_note(app, out_dir=tmp_path)[0].name == "media-2026-10.html"


W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def test_the_docx_is_a4_russian_with_real_links(app: App, tmp_path: Path) -> None:
    from docx.shared import Mm

    add_items(app, "gosuslugi-news", sample_entries())
    paths = make_media_note(app, month="2026-11", out_dir=tmp_path)
    d = docx.Document(str(paths[2]))
    for section in d.sections:  # A4, not python-docx's default Letter
        assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    # the language on the document defaults and on every style the note uses: Word checks Russian spelling
    defaults = d.styles.element.find(f"{W_NS}docDefaults").find(f"{W_NS}rPrDefault").find(f"{W_NS}rPr")
    assert defaults.find(f"{W_NS}lang").get(f"{W_NS}val") == "ru-RU"
    used = {p.style.name for p in d.paragraphs if p.style is not None}
    assert {"Normal", "Heading 1", "Heading 2", "List Bullet"} <= used
    for name in used:
        lang = d.styles[name].element.rPr.find(f"{W_NS}lang")
        assert lang is not None and lang.get(f"{W_NS}val") == "ru-RU", name
    assert d.core_properties.language == "ru-RU"
    # addresses are hyperlinks with a relationship to the address, not text in brackets
    links = {}
    for p in d.paragraphs:
        for h in p._p.iter(f"{W_NS}hyperlink"):
            rel = d.part.rels[h.get(f"{R_NS}id")]
            assert rel.is_external
            links[rel.target_ref] = "".join(t.text for t in h.iter(f"{W_NS}t"))
    assert links["https://www.gosuslugi.ru/news/passport-new"] == "https://www.gosuslugi.ru/news/passport-new"
    assert "https://lib.omsk.ru" in links  # the central library's site in the contacts
    text, _ = _docx_text(paths[2])
    assert "(https://" not in text


def test_a_note_written_is_recorded_for_the_programme(app: App, tmp_path: Path) -> None:
    from ecitizen.db import session_scope
    from ecitizen.programme import media_notes

    add_items(app, "s", sample_entries())
    paths = make_media_note(app, month="2026-11", out_dir=tmp_path)
    again = make_media_note(app, month="2026-11", out_dir=tmp_path)  # the same period: the same record
    year = make_media_note(app, year=2026, out_dir=tmp_path)
    with session_scope(app.engine) as s:
        notes = {n.period: n for n in media_notes(s, year=2026)}
    assert set(notes) == {"2026-11", "2026"}
    assert notes["2026-11"].path == str(again[2]) == str(paths[2]) and notes["2026"].path == str(year[2])
    assert not notes["2026-11"].sent and notes["2026-11"].produced_at == app.now()


def test_the_yearly_note_has_the_programmes_figures(app: App, tmp_path: Path) -> None:
    from ecitizen.db import session_scope
    from ecitizen.programme import Actor, results_note, seed_libraries, set_figures

    manager = Actor("руководитель", role="manager")
    add_items(app, "s", sample_entries())
    with session_scope(app.engine) as s:
        seed_libraries(s, app.config.libraries, now=app.now())
        set_figures(s, library_id="cgb", month="2026-10", values={"trained": 35, "consultations_portal": 12},
                    actor=manager, now=app.now(), tz=app.config.tz)
        expected = results_note(s, app.config, year=2026, now=app.now())
    paths = make_media_note(app, year=2026, out_dir=tmp_path)
    text, headings = _docx_text(paths[2])
    assert headings[0] == expected.headline and expected.lead in text
    assert "Итоги года в цифрах" in headings
    assert expected.facts and all(f[:1].upper() + f[1:] + "." in text for f in expected.facts)
    assert "окончили курс «Электронный гражданин»: 35" in text
    for out in (paths[0].read_text(encoding="utf-8"), paths[1].read_text(encoding="utf-8")):
        assert expected.headline in out and "Итоги года в цифрах" in out and ": 35." in out


def test_contacts_leave_out_what_is_not_known(app: App, tmp_path: Path) -> None:
    paths = make_media_note(app, month="2026-11", out_dir=tmp_path)
    plain = paths[1].read_text(encoding="utf-8")
    # the central library's address is not known yet: no «Центральная городская библиотека: ,»
    assert "Центральная городская библиотека, тел. +7 (3812) 300-427, adm.omb@mail.ru, https://lib.omsk.ru" in plain
    assert ": ," not in plain and ", ," not in plain
    html = paths[0].read_text(encoding="utf-8")
    assert '<a href="https://lib.omsk.ru">' in html
