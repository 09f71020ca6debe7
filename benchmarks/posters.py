"""Benchmark: a month's info-zone poster with 12 items for 41 libraries.

Prints seconds per poster for ``digest.poster.make_posters`` (selection, Jinja2, QR codes,
WeasyPrint, atomic writes) beside WeasyPrint alone rendering the very same HTML, and the
overhead ratio (the bound: under 25 %).

    .venv/bin/python benchmarks/posters.py [--libraries 41] [--items 12] [--rounds 2] [--smoke]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import SMOKE_HELP, make_app
from tests.support.config import base_config_data

TITLES = [
    "Теперь можно записаться к врачу через Госуслуги без визита в поликлинику",
    "Социальный фонд: выплата пенсии в декабре пройдёт раньше обычного",
    "Как защититься от телефонных мошенников: пять простых правил",
    "Новая услуга: загранпаспорт нового поколения можно оформить на Госуслугах",
    "Оплатить штраф ГИБДД со скидкой можно через Систему быстрых платежей",
    "Новые маршруты автобусов в Омске с 1 декабря",
    "Электронный больничный: что изменилось для работающих пенсионеров",
    "Как получить налоговый вычет за лечение через личный кабинет",
    "МФЦ Омской области продлевают часы работы в декабре",
    "Пушкинская карта: какие библиотечные события можно посетить",
    "Госключ: как подписать документ электронной подписью со смартфона",
    "Запись в детский сад и школу теперь доступна онлайн",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--libraries", type=int, default=41)
    ap.add_argument("--items", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = ap.parse_args()
    if args.smoke:
        args.libraries, args.items, args.rounds = 2, 3, 1
    tmp = Path(tempfile.mkdtemp(prefix="ecitizen-bench-posters-"))
    try:
        run(args.libraries, args.items, args.rounds, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(libraries: int, n_items: int, rounds: int, tmp: Path) -> None:
    import pypdfium2 as pdfium
    from weasyprint import HTML

    from ecitizen.db import dispose_engines, session_scope
    from ecitizen.digest.data import load_period_items
    from ecitizen.digest.files import renderer_for
    from ecitizen.digest.periods import month_period
    from ecitizen.digest.poster import make_posters, plan_for, render_poster_html
    from ecitizen.files import write_atomic
    from ecitizen.pipeline import EntryData, prepare_entries
    from ecitizen.storage import Item, Source
    from ecitizen.store import store_items

    data = base_config_data(tmp)
    data["libraries"] = [
        {"id": f"lib{i:02d}", "name": f"Библиотека № {i} «{['Радуга', 'Прогресс', 'Истоки', 'Гармония'][i % 4]}»",
         "address": f"г. Омск, ул. {['Ленина', 'Мира', 'Кирова', 'Масленникова'][i % 4]}, {10 + i}",
         "hours": "Пн–Пт 10:00–19:00, Сб 10:00–18:00, Вс — выходной",
         "phone": f"+7 (3812) 00-00-{i:02d}", "email": f"lib{i}@example.org"}
        for i in range(1, libraries + 1)
    ]
    data["outputs"]["poster_max_items"] = n_items
    clock = datetime(2026, 11, 25, 6, tzinfo=UTC)
    app = make_app(data, tmp, now=lambda: clock)
    entries = [
        EntryData(url=f"https://www.gosuslugi.ru/news/bench-{i}", title=TITLES[i % len(TITLES)],
                  summary_html=f"<p>Подробности: {TITLES[i % len(TITLES)].lower()}. Спросите библиотекаря.</p>",
                  published_at=datetime(2026, 11, 1 + i % 28, 9, tzinfo=UTC))
        for i in range(n_items)
    ]
    prepared = prepare_entries(entries, app.rules)
    with session_scope(app.engine) as s:
        src = Source(name="bench", url="https://www.gosuslugi.ru/newsrss")
        s.add(src)
        s.flush()
        ids = store_items(s, src, prepared.items, now=clock).added
        for item_id in ids:
            item = s.get(Item, item_id)
            assert item is not None
            item.status = "approved"
            s.add(item)

    # warm-up: fonts, Pango, imports
    make_posters(app, month="2026-11", library="lib01", out_dir=tmp / "warm")

    ours: list[float] = []
    alone: list[float] = []

    def run_ours(r: int) -> list[Path]:
        t0 = time.perf_counter()
        paths = make_posters(app, month="2026-11", library="all", out_dir=tmp / f"round{r}")
        ours.append((time.perf_counter() - t0) / libraries)
        return paths

    def run_alone(texts: list[str]) -> None:
        t0 = time.perf_counter()
        for text in texts:
            assert HTML(string=text).write_pdf()
        alone.append((time.perf_counter() - t0) / libraries)

    paths = make_posters(app, month="2026-11", library="all", out_dir=tmp / "html")
    texts = [p.read_text(encoding="utf-8") for p in paths if p.suffix == ".html"]
    for r in range(rounds):
        # alternate which side runs first: the shared machine's load drifts
        if r % 2:
            run_alone(texts)
            paths = run_ours(r)
        else:
            paths = run_ours(r)
            run_alone(texts)
    pdf_path = next(p for p in paths if p.suffix == ".pdf")
    doc = pdfium.PdfDocument(str(pdf_path))
    pages = len(doc)
    doc.close()

    # our own steps without the PDF: selection, layout, Jinja2, QR codes, atomic writes
    steps: list[float] = []
    pdf_bytes = pdf_path.read_bytes()
    for r in range(rounds):
        t0 = time.perf_counter()
        period = month_period("2026-11", app.config.tz)
        with session_scope(app.engine) as s:
            items = load_period_items(s, period, status="approved")
        renderer = renderer_for(app.config)
        for lib in app.config.libraries:
            html = render_poster_html(renderer, plan_for(app, period, lib, items), lib, generated_at=clock)
            write_atomic(tmp / f"steps{r}" / f"{lib.id}.html", html)
            write_atomic(tmp / f"steps{r}" / f"{lib.id}.pdf", pdf_bytes)
        steps.append((time.perf_counter() - t0) / libraries)
    dispose_engines()

    o, w = statistics.median(ours), statistics.median(alone)
    print(f"posters: {libraries} libraries × {n_items} items, {pages} A4 page(s) each, {rounds} rounds")
    print(f"make_posters:      {o:.3f} s per poster ({o * libraries:.1f} s for all)")
    print(f"WeasyPrint alone:  {w:.3f} s per poster (same HTML)")
    print(f"overhead:          {100 * (o - w) / w:+.1f} %  (bound: < 25 %)")
    st = statistics.median(steps)
    print(f"our steps alone:   {st * 1000:.1f} ms per poster = {100 * st / w:.1f} % of WeasyPrint "
          "(selection, layout, Jinja2, QR codes, atomic writes; no PDF)")


if __name__ == "__main__":
    main()
