"""Posters rendered for real (WeasyPrint), read back with pdfium and zxing like a reader would:
sheet counts, type sizes, no hyphenation, nothing left out or shortened without saying so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.digest import POSTER_TEXT_MAX, POSTER_TITLE_MAX, make_poster_run, make_posters, poster_preview
from ecitizen.digest.poster import translit_slug
from ecitizen.errors import ConfigError, NotFoundError
from ecitizen.pipeline import EntryData
from ecitizen.programme import Actor, info_zone_sheets, save_library
from ecitizen.shell.cli import main
from tests.conftest import base_config_data
from tests.digest.conftest import HOSTILE_TITLE, SAMPLE, add_items, nov, sample_entries
from tests.digest.pdfcheck import A4, font_sizes, outside_page, overlapping, read_pdf, size_of, squash

A3_LANDSCAPE = (1190.55, 841.89)
MANAGER = Actor("руководитель", role="manager")

#: what a month brings: headlines of usual length, explanations of one or two sentences
NEWS = [
    ("Запись к врачу через Госуслуги без визита в поликлинику", "Нужна подтверждённая учётная запись."),
    ("Социальный фонд: выплата пенсии в декабре пройдёт раньше", "График выплат — на сайте фонда."),
    ("Как защититься от телефонных мошенников", "Не сообщайте коды из СМС никому."),
    ("Загранпаспорт нового поколения можно оформить на Госуслугах", "Фотографию делают в МВД."),
    ("Штраф ГИБДД со скидкой через Систему быстрых платежей", "Оплата без комиссии."),
    ("Новые маршруты автобусов в Омске с 1 декабря", "Расписание — в приложении «Мой транспорт»."),
    ("Электронный больничный: что нужно знать работающим пенсионерам", "Бумажный листок больше не нужен."),
    ("Регистрация на портале Госуслуг: пошаговая инструкция", "Учётную запись подтвердят в МФЦ."),
]
#: a library whose address and hours take two lines each on the sheet
LONG_ADDRESS = {
    "id": "lib-12", "name": "Библиотека «Центр правовой информации»",
    "address": "644043, г. Омск, Ленинский административный округ, улица Труда, дом 23, корпус 2, вход со двора",
    "hours": "Пн–Пт 10:00–19:00, Сб 10:00–18:00, Вс — выходной, последняя пятница месяца — санитарный день",
    "phone": "+7 (3812) 00-00-12", "email": "lib12@example.org", "website": "https://lib.omsk.ru/libomsk/node/606",
}


def _news(app: App, n: int, *, new_services: int = 2, **fields: Any) -> list[EntryData]:
    entries = [EntryData(url=f"https://www.gosuslugi.ru/news/{i}", title=NEWS[i % len(NEWS)][0] + (f" ({i})" if i >= len(NEWS) else ""),
                         summary_html=f"<p>{NEWS[i % len(NEWS)][1]}</p>", published_at=nov(2 + i % 25))
               for i in range(n)]
    for i, e in enumerate(entries):
        add_items(app, "gosuslugi-news", [e], is_new_service=i < new_services, **fields)
    return entries


def _pdf(paths: list[Path]) -> Path:
    return next(p for p in paths if p.suffix == ".pdf")


def _check_layout(pdf: Path, *, size: tuple[float, float] = A4, qr_scale: float = 0.0) -> list:  # type: ignore[type-arg]
    pages = read_pdf(pdf, qr_scale=qr_scale)
    for i, page in enumerate(pages):
        assert page.size == pytest.approx(size, abs=0.5), f"page {i + 1} is not {size}"
        assert not outside_page(page), f"page {i + 1}: text outside the printable area"
        assert not overlapping(page), f"page {i + 1}: text drawn over text"
        if len(pages) > 1:  # every PDF page is a planned sheet: nothing spilled onto an extra one
            assert f"Лист {i + 1} из {len(pages)}" in page.text
        assert "Программа «Компетентный е-гражданин»" in page.text  # the footer is on every sheet
        assert "Наведите камеру телефона на QR-код" in page.text
    return pages


@pytest.mark.slow
def test_poster_has_titles_qr_codes_and_library_details(app: App, tmp_path: Path) -> None:
    add_items(app, "gosuslugi-news", sample_entries())
    add_items(app, "old", [EntryData(url="https://example.org/october", title="Октябрьская новость",
                                     published_at=nov(1).replace(month=10))])
    paths = make_posters(app, month="2026-11", library="cgb", out_dir=tmp_path)
    stem = "poster-2026-11-cgb-tsentralnaya-gorodskaya-biblioteka"
    assert [p.name for p in paths] == [f"{stem}.html", f"{stem}.pdf"]  # the library's name, in Latin letters
    pages = _check_layout(_pdf(paths), qr_scale=3)
    text = squash(" ".join(p.text for p in pages))
    for title, _, _ in SAMPLE:
        assert title in text
    assert "Октябрьская" not in text  # another month
    for detail in ("Центральная городская библиотека", "+7 (3812) 300-427", "adm.omb@mail.ru",
                   "Сайт: lib.omsk.ru", "ноябрь 2026 г."):
        assert detail in text
    # the central library's address and hours are not known yet: no empty «Адрес:»/«Часы работы:»
    assert "Адрес" not in text and "Часы работы" not in text
    assert "Центральная городская библиотека," not in text
    assert text.index("загранпаспорт") < text.index("Социальный фонд")  # new services come first
    codes = sorted(c for p in pages for c in p.qr_codes)
    assert codes == sorted(url for _, _, url in SAMPLE)
    assert len(pages) == 2 and all(t in pages[0].text for t in ("Новая", "услуга"))  # 6 items: 3 + 3


@pytest.mark.slow
@pytest.mark.parametrize(("items", "size", "library", "sheets"), [
    (1, "A4", None, 1), (4, "A4", None, 1), (5, "A4", None, 2), (8, "A4", None, 2),
    (8, "A4", LONG_ADDRESS, 2), (4, "A4", LONG_ADDRESS, 1),
    (8, "A3", None, 1), (8, "A3", LONG_ADDRESS, 1), (3, "A3", None, 1),
])
def test_sheet_counts(make_app: Callable[..., App], tmp_path: Path, items: int, size: str,
                      library: dict[str, str] | None, sheets: int) -> None:
    """Up to 4 items a sheet on A4 and up to 8 on A3, whatever the library's address."""
    app = make_app(outputs={"poster_size": size}, **({"libraries": [library]} if library else {}))
    _news(app, items)
    run = make_poster_run(app, month="2026-11", library=library["id"] if library else "cgb", out_dir=tmp_path)
    pages = _check_layout(run.pdfs[0], size=A4 if size == "A4" else A3_LANDSCAPE)
    assert len(pages) == sheets == run.preview.libraries[0].sheets
    text = squash(" ".join(p.text for p in pages))
    assert len(run.preview.printed) == items and not run.preview.left_out
    for item in run.preview.printed:  # every item is on the poster, as the account says it is printed
        assert item.printed_title in text
    if library:
        for detail in ("Адрес: 644043, г. Омск", "Часы работы: Пн–Пт 10:00–19:00", "lib.omsk.ru/libomsk/node/606"):
            assert detail in text


@pytest.mark.slow
def test_type_is_readable_from_two_metres(make_app: Callable[..., App], tmp_path: Path) -> None:
    """Read back from the PDF: headlines ≥ 28 pt, explanations ≥ 20 pt, the library's name larger."""
    app = make_app()
    _news(app, 8, explanation="Спросите библиотекаря: поможем записаться.")
    for size in ("A4", "A3"):
        run = make_poster_run(app, month="2026-11", library="cgb", out_dir=tmp_path / size, size=size)
        pages = font_sizes(run.pdfs[0])
        plan_titles = [i.printed_title for i in run.preview.printed]
        assert len(plan_titles) == 8
        seen = 0
        for chars in pages:
            flat = "".join(c for c, _ in chars)
            name = size_of(chars, "Центральная городская")
            assert min(name) >= 30
            for title in plan_titles:
                if "".join(title.split()) in flat:
                    seen += 1
                    assert min(size_of(chars, title)) >= 28, title
                    assert max(name) > max(size_of(chars, title))
            for explanation in {i.printed_text for i in run.preview.printed}:
                if "".join(explanation.split()) in flat:
                    assert min(size_of(chars, explanation)) >= 20
        assert seen == 8


@pytest.mark.slow
def test_no_hyphenation_and_no_soft_hyphens(app: App, tmp_path: Path) -> None:
    title = "Перерегистрация и реги\u00adстратура: электро\u00adнная запись в поликлинику"
    add_items(app, "s", [EntryData(url="https://example.org/h", title=title, published_at=nov(3),
                                   summary_html="<p>Электро\u00adнная запись к терапевту и педиатру.</p>")])
    run = make_poster_run(app, month="2026-11", library="cgb", out_dir=tmp_path)
    html = run.paths[0].read_text(encoding="utf-8")
    assert "\u00ad" not in html and "&shy;" not in html
    assert "hyphens: none" in html and "hyphens: auto" not in html
    raw = "".join(p.text for p in read_pdf(run.pdfs[0]))
    assert "\u00ad" not in raw and "\u2010" not in raw  # no soft hyphens, no hyphens added at line ends
    lines = " ".join(" ".join(raw.split()).split())
    # every word whole: line breaks only between words
    assert "Перерегистрация и регистратура: электронная запись в поликлинику" in lines
    assert "Электронная запись к терапевту и педиатру." in lines


@pytest.mark.slow
def test_hostile_text_is_escaped_and_laid_out(app: App, tmp_path: Path) -> None:
    add_items(app, "s", sample_entries()[:2])
    add_items(app, "s", [EntryData(url="https://example.org/a?x=1&y=2", title="Обычный заголовок",
                                   published_at=nov(3))],
              display_title=HOSTILE_TITLE, explanation='<img src=x onerror="alert(1)"> & «Пояснение» ' * 40)
    run = make_poster_run(app, month="2026-11", library="cgb", out_dir=tmp_path)
    html = run.paths[0].read_text(encoding="utf-8")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "\u202e" not in html  # bidi overrides removed from print
    pages = _check_layout(run.pdfs[0], qr_scale=3)
    text = squash(" ".join(p.text for p in pages))
    hostile = next(i for i in run.preview.items if i.url == "https://example.org/a?x=1&y=2")
    assert hostile.status == "shortened" and hostile.title_shortened and hostile.text_shortened
    assert hostile.printed_title.endswith("…") and hostile.printed_title in text
    assert '<script>alert("x")</script> Налоги & «кавычки»' in text
    assert "https://example.org/a?x=1&y=2" in [c for p in pages for c in p.qr_codes]


@pytest.mark.slow
def test_too_many_items_means_a_clear_choice_named_in_the_cli(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["outputs"]["poster_max_items"] = 3
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from ecitizen.config import parse_config

    app = App(config=parse_config(data, base_dir=str(tmp_path)))
    add_items(app, "s", sample_entries())
    long_title = "Очень длинный заголовок новости " * 6
    add_items(app, "s", [EntryData(url="https://example.org/long", title="x", published_at=nov(20))],
              display_title=long_title, is_new_service=True)
    result = CliRunner().invoke(main, ["poster", "--config", str(cfg), "--month", "2026-11", "--library", "cgb",
                                       "--out", str(tmp_path / "p"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["message"].startswith("Плакат за ноябрь 2026 г. (A4): материалов на плакате — 3, листов — 1")
    assert out["title_max"] == POSTER_TITLE_MAX and out["text_max"] == POSTER_TEXT_MAX
    printed = out["fitted"] + out["shortened"]
    assert len(printed) == 3 and len(out["left_out"]) == 4  # 7 approved: 3 on the poster, 4 named
    assert {i["title"] for i in out["left_out"]} | {i["title"] for i in printed} == (
        {t for t, _, _ in SAMPLE} | {long_title.strip()})
    assert all("не больше 3 материалов" in i["notes"][0] for i in out["left_out"])
    cut = next(i for i in out["shortened"] if i["url"] == "https://example.org/long")
    assert cut["title_shortened"] and cut["printed_title"].endswith("…") and cut["notes"]
    assert [Path(f).suffix for f in out["files"]] == [".html", ".pdf"] and out["recorded"] == 1
    pages = _check_layout(Path(out["files"][1]))
    assert len(pages) == 1
    # the same in words
    words = CliRunner().invoke(main, ["poster", "--config", str(cfg), "--month", "2026-11", "--library", "cgb",
                                      "--out", str(tmp_path / "q")])
    assert words.exit_code == 0, words.output
    assert "Не поместились на плакат:" in words.output and "Сокращено для печати:" in words.output
    assert "Очень длинный заголовок новости" in words.output


def test_a_month_without_approved_items_makes_no_poster_and_says_so(app: App, tmp_path: Path) -> None:
    add_items(app, "s", sample_entries()[:2], approve=False)  # waiting for review: not public
    run = make_poster_run(app, month="2026-11", library="all", out_dir=tmp_path / "o")
    assert run.paths == () and run.recorded == 0 and not (tmp_path / "o").exists()
    assert run.preview.is_empty
    assert run.preview.message.startswith("За ноябрь 2026 г. нет одобренных материалов, поэтому плаката не будет.")
    assert make_posters(app, month="2026-02", library="cgb", out_dir=tmp_path / "o") == []
    with session_scope(app.engine) as s:
        assert info_zone_sheets(s, month="2026-11") == []


def test_the_cli_says_when_there_is_no_poster(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["poster", "--config", str(cfg), "--month", "2026-02", "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    assert "За февраль 2026 г. нет одобренных материалов, поэтому плаката не будет." in r.output
    assert not (tmp_path / "p").exists()
    r = CliRunner().invoke(main, ["poster", "--config", str(cfg), "--month", "2026-02", "--json"])
    assert json.loads(r.output)["empty"] is True and json.loads(r.output)["files"] == []


def test_bad_arguments(app: App, tmp_path: Path) -> None:
    out = tmp_path / "o"
    with pytest.raises(ConfigError, match="month"):
        make_posters(app, month="ноябрь", out_dir=out)
    with pytest.raises(NotFoundError, match="nope"):
        make_posters(app, month="2026-11", library="nope", out_dir=out)
    with pytest.raises(ConfigError, match="size"):
        make_posters(app, month="2026-11", size="A5", out_dir=out)
    assert not out.exists()


@pytest.mark.slow
def test_libraries_come_from_the_table_and_each_sheet_is_recorded(app: App, tmp_path: Path) -> None:
    """The manager's edits (the table), not config.yaml; an inactive library gets no poster;
    every poster written is the library's info-zone sheet of the month (indicator 6)."""
    _news(app, 2)
    preview = poster_preview(app, month="2026-11")  # before anything: config.yaml's list, nothing written
    assert [lib.library_id for lib in preview.libraries] == ["cgb", "pushkin-branch", "family-reading"]
    make_poster_run(app, month="2026-11", library="cgb", out_dir=tmp_path / "first")  # seeds the empty table
    now = app.now()
    with session_scope(app.engine) as s:
        save_library(s, {"id": "family-reading", "active": "нет"}, actor=MANAGER, now=now)
        save_library(s, {"id": "lib-7", "name": "Библиотека имени А. П. Чехова", "address": "ул. Чехова, 1",
                         "hours": "Вт–Сб 10–18"}, actor=MANAGER, now=now)
        save_library(s, {"id": "cgb", "address": "ул. Карла Маркса, 18", "hours": ""}, actor=MANAGER, now=now)
    run = make_poster_run(app, month="2026-11", out_dir=tmp_path / "all")
    names = sorted(p.name for p in run.pdfs)
    assert names == ["poster-2026-11-cgb-tsentralnaya-gorodskaya-biblioteka.pdf",
                     "poster-2026-11-lib-7-biblioteka-imeni-a-p-chekhova.pdf",
                     "poster-2026-11-pushkin-branch-biblioteka-tsentr-pravovoy-informatsii.pdf"]
    assert run.recorded == 3
    with session_scope(app.engine) as s:
        sheets = {z.library_id: z for z in info_zone_sheets(s, month="2026-11")}
    assert set(sheets) == {"cgb", "lib-7", "pushkin-branch"}
    assert {Path(z.path).name for z in sheets.values()} == set(names)
    assert all(z.produced_at == now and not z.confirmed for z in sheets.values())
    cgb = squash(" ".join(p.text for p in read_pdf(next(p for p in run.pdfs if "cgb" in p.name))))
    assert "Адрес: ул. Карла Маркса, 18" in cgb and "Часы работы" not in cgb
    chekhov = squash(" ".join(p.text for p in read_pdf(next(p for p in run.pdfs if "lib-7" in p.name))))
    assert "Библиотека имени А. П. Чехова" in chekhov and "Часы работы: Вт–Сб 10–18" in chekhov


def test_preview_writes_nothing_and_matches_the_run(app: App, tmp_path: Path) -> None:
    _news(app, 5)
    preview = poster_preview(app, month="2026-11", library="cgb")
    assert not (tmp_path / "o").exists()
    assert [i.status for i in preview.items].count("left_out") == 0
    assert [lib.sheets for lib in preview.libraries] == [2]
    assert preview.as_json()["libraries"][0]["file"] == "poster-2026-11-cgb-tsentralnaya-gorodskaya-biblioteka"


@pytest.mark.parametrize(("name", "slug"), [
    ("Центральная городская библиотека", "tsentralnaya-gorodskaya-biblioteka"),
    ("Библиотека «Центр правовой информации»", "biblioteka-tsentr-pravovoy-informatsii"),
    ("Библиотека им. Ф. М. Достоевского № 12", "biblioteka-im-f-m-dostoevskogo-12"),
    ("Щит и Ёлка, съезд", "shchit-i-elka-sezd"),
])
def test_file_names_carry_the_library_name_in_latin_letters(name: str, slug: str) -> None:
    assert translit_slug(name) == slug


WIDE = "ШИРОКИЕ ЖЁЛТЫЕ ЩИТЫ МОЮЩИХ ШМЕЛЕЙ ЖМУТ ЮЩИЕ ЩЁТКИ ШУМНО МЫ ЖДЁМ ВАС ЮЩЕ ШШШ"


@pytest.mark.slow
def test_all_caps_and_wide_letters_still_fit(app: App, tmp_path: Path) -> None:
    """The layout measures the font's own widths: capitals and wide glyphs (Ш, Щ, Ж, Ю, М) fit too."""
    entries = [EntryData(url=f"https://example.org/caps{i}", published_at=nov(2 + i),
                         title=((WIDE if i % 2 else WIDE.lower()) + " ") * 2,
                         summary_html=f"<p>{WIDE.lower()} {WIDE} {WIDE.lower()} {WIDE}</p>") for i in range(8)]
    add_items(app, "caps", entries)
    run = make_poster_run(app, month="2026-11", library="cgb", out_dir=tmp_path)
    pages = _check_layout(run.pdfs[0], qr_scale=2)
    assert len(pages) == 2
    assert sorted(c for p in pages for c in p.qr_codes) == sorted(e.url for e in entries)
