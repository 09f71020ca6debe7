"""Posters rendered for real (WeasyPrint), read back with pdfium and zxing like a reader would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ecitizen.app import App
from ecitizen.digest.poster import make_posters
from ecitizen.digest.select import fit_text
from ecitizen.errors import ConfigError, NotFoundError
from ecitizen.pipeline import EntryData
from tests.digest.conftest import HOSTILE_TITLE, SAMPLE, add_items, nov, sample_entries
from tests.digest.pdfcheck import A4, outside_page, overlapping, read_pdf, squash


def _pdf(paths: list[Path]) -> Path:
    return next(p for p in paths if p.suffix == ".pdf")


def _check_layout(pdf: Path, *, qr_scale: float = 0.0) -> list:  # type: ignore[type-arg]
    pages = read_pdf(pdf, qr_scale=qr_scale)
    for i, page in enumerate(pages):
        assert page.size == pytest.approx(A4, abs=0.5), f"page {i + 1} is not A4"
        assert not outside_page(page), f"page {i + 1}: text outside the printable area"
        assert not overlapping(page), f"page {i + 1}: text drawn over text"
        if len(pages) > 1:  # every PDF page is a planned page: nothing spilled onto an extra one
            assert f"Лист {i + 1} из {len(pages)}" in page.text
        assert "Часы работы" in page.text  # the contact block is on every sheet
    return pages


@pytest.mark.slow
def test_poster_has_titles_qr_codes_and_library_details(app: App, tmp_path: Path) -> None:
    add_items(app, "gosuslugi-news", sample_entries())
    add_items(app, "old", [EntryData(url="https://example.org/october", title="Октябрьская новость",
                                     published_at=nov(1).replace(month=10))])
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path)
    assert [p.name for p in paths] == ["poster-2026-11-cgb.html", "poster-2026-11-cgb.pdf"]
    pages = _check_layout(_pdf(paths), qr_scale=3)
    text = squash(" ".join(p.text for p in pages))
    for title, _, _ in SAMPLE:
        assert title in text
    assert "Октябрьская" not in text  # another month
    lib = app.config.library("cgb")
    for detail in (lib.name, lib.address, "Часы работы", lib.phone, "Компетентный е-гражданин", "ноябрь 2026 г."):
        assert detail in text
    # new services come first
    assert text.index("загранпаспорт") < text.index("Социальный фонд")
    codes = sorted(c for p in pages for c in p.qr_codes)
    assert codes == sorted(url for _, _, url in SAMPLE)
    assert len(pages) >= 2  # six entries do not fit one A4 page: a second page, nothing cut


@pytest.mark.slow
def test_hostile_text_is_escaped_and_laid_out(app: App, tmp_path: Path) -> None:
    ids = add_items(app, "s", sample_entries()[:2])
    add_items(app, "s", [EntryData(url="https://example.org/a?x=1&y=2", title="Обычный заголовок",
                                   published_at=nov(3))],
              display_title=HOSTILE_TITLE, explanation='<img src=x onerror="alert(1)"> & «Пояснение» ' * 40)
    assert ids
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path)
    html = paths[0].read_text(encoding="utf-8")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "\u202e" not in html  # bidi overrides removed from print
    pages = _check_layout(_pdf(paths), qr_scale=3)
    text = squash(" ".join(p.text for p in pages))
    shown = fit_text(HOSTILE_TITLE, 100)
    assert shown.endswith("…") and len(shown) <= 100
    assert '<script>alert("x")</script> Налоги & «кавычки»' in text
    assert "https://example.org/a?x=1&y=2" in [c for p in pages for c in p.qr_codes]


@pytest.mark.slow
def test_too_many_items_means_a_clear_choice(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = make_app(outputs={"poster_max_items": 3})
    add_items(app, "s", sample_entries())
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path)
    pages = _check_layout(_pdf(paths))
    text = squash(" ".join(p.text for p in pages))
    assert len(pages) == 1
    # the two new services, then the first topic of the course that has news
    assert "загранпаспорт" in text and "записаться к врачу" in text
    assert sum(title in text for title, _, _ in SAMPLE) == 3


@pytest.mark.slow
def test_all_libraries_and_a_long_library_name(make_app: Callable[..., App], tmp_path: Path) -> None:
    libs = [
        {"id": "a", "name": "Библиотека " + "имени очень длинного названия " * 3, "address": "г. Омск, ул. " + "Длинная " * 8,
         "hours": "Пн–Пт 10:00–19:00, Сб 10:00–18:00, Вс — выходной", "phone": "+7 (3812) 00-00-00",
         "email": "a@example.org"},
        {"id": "b", "name": "Библиотека «Прогресс»", "address": "г. Омск, ул. Б, 2", "hours": "Вт–Сб 10–18"},
    ]
    app = make_app(libraries=libs)
    add_items(app, "s", sample_entries())
    paths = make_posters(app, month="2026-11", out_dir=tmp_path)
    assert len(paths) == 4
    for pdf in (p for p in paths if p.suffix == ".pdf"):
        _check_layout(pdf)
    assert "Прогресс" in squash(" ".join(p.text for p in read_pdf(paths[3])))


def test_an_empty_month_still_makes_a_poster(app: App, tmp_path: Path) -> None:
    paths = make_posters(app, month="2026-02", library="cgb", out_dir=tmp_path)
    pages = read_pdf(_pdf(paths))
    assert len(pages) == 1 and "новых материалов нет" in squash(pages[0].text)


def test_bad_arguments(app: App, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="month"):
        make_posters(app, month="ноябрь", out_dir=tmp_path)
    with pytest.raises(NotFoundError):
        make_posters(app, month="2026-11", library="nope", out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


WIDE = "ШИРОКИЕ ЖЁЛТЫЕ ЩИТЫ МОЮЩИХ ШМЕЛЕЙ ЖМУТ ЮЩИЕ ЩЁТКИ ШУМНО МЫ ЖДЁМ ВАС ЮЩЕ ШШШ"


@pytest.mark.slow
def test_all_caps_and_wide_letters_still_fit(app: App, tmp_path: Path) -> None:
    """The layout estimate must not under-count capitals and wide glyphs (Ш, Щ, Ж, Ю, М)."""
    entries = [EntryData(url=f"https://example.org/caps{i}", published_at=nov(2 + i),
                         title=((WIDE if i % 2 else WIDE.lower()) + " ") * 2,
                         summary_html=f"<p>{WIDE.lower()} {WIDE} {WIDE.lower()} {WIDE}</p>") for i in range(6)]
    add_items(app, "caps", entries)
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path)
    pages = _check_layout(_pdf(paths), qr_scale=2)
    assert sorted(c for p in pages for c in p.qr_codes) == sorted(e.url for e in entries)
