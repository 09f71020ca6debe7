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
    assert headings[0].startswith("Итоги 2026 года")
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
