"""Items for digest tests, created through the real pipeline (prepare_entries + store_items)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData, prepare_entries
from ecitizen.storage import Item, Source
from ecitizen.store import store_items

AddItems = Callable[..., list[int]]


def add_items(
    app: App,
    source: str,
    entries: Sequence[EntryData],
    *,
    fetched_at: datetime | None = None,
    approve: bool = True,
    **fields: Any,
) -> list[int]:
    """Store ``entries`` for ``source`` (created if missing); approve them; set extra fields."""
    prepared = prepare_entries(entries, app.rules)
    assert not prepared.rejected, prepared.rejected
    with session_scope(app.engine) as session:
        from sqlmodel import select

        src = session.exec(select(Source).where(Source.name == source)).first()
        if src is None:
            src = Source(name=source, url=f"https://{source}.example.org/rss")
            session.add(src)
            session.flush()
        result = store_items(session, src, prepared.items, now=fetched_at or app.now())
        ids = list(result.added)
        for item_id in ids:
            item = session.get(Item, item_id)
            assert item is not None
            if approve:
                item.status = "approved"
            for k, v in fields.items():
                setattr(item, k, v)
            session.add(item)
    return ids


@pytest.fixture
def add(app: App) -> AddItems:
    def _add(source: str, entries: Sequence[EntryData], **kw: Any) -> list[int]:
        return add_items(app, source, entries, **kw)

    return _add


def nov(day: int, hour: int = 9) -> datetime:
    """A time in November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


#: realistic items of November 2026 (title, summary html, url)
SAMPLE = [
    ("Теперь можно записаться к врачу через Госуслуги без визита в поликлинику",
     "<p>Запись к врачу доступна онлайн. Нужна подтверждённая учётная запись. Выберите поликлинику и время.</p>",
     "https://www.gosuslugi.ru/news/doctor-2026"),
    ("Социальный фонд: выплата пенсии в декабре пройдёт раньше",
     "<p>Социальный фонд сообщил о графике выплат пенсий в декабре 2026 года.</p>",
     "https://sfr.gov.ru/press_center/news/dec-pension"),
    ("Как защититься от телефонных мошенников",
     "<p>Мошенники звонят от имени банка. Не сообщайте коды из СМС и не переходите по ссылкам.</p>",
     "https://digital.gov.ru/news/safe-phone"),
    ("Новая услуга: загранпаспорт нового поколения можно оформить на Госуслугах",
     "<p>Заявление подаётся онлайн, фотографию делают в подразделении МВД.</p>",
     "https://www.gosuslugi.ru/news/passport-new"),
    ("Оплатить штраф ГИБДД со скидкой можно через Систему быстрых платежей",
     "<p>Оплата штрафов и налогов через СБП без комиссии.</p>",
     "https://www.nalog.gov.ru/rn55/news/sbp-fines"),
    ("Новые маршруты автобусов в Омске с 1 декабря",
     "<p>Транспорт: изменения маршрутов и расписания.</p>",
     "http://omskportal.ru/ru/news/bus-routes"),
]


def sample_entries(days: tuple[int, ...] | None = None) -> list[EntryData]:
    days = days or tuple(range(2, 2 + len(SAMPLE)))
    return [
        EntryData(url=url, title=title, summary_html=html, published_at=nov(day))
        for (title, html, url), day in zip(SAMPLE, days, strict=False)
    ]


HOSTILE_TITLE = (
    '<script>alert("x")</script> Налоги & «кавычки» "двойные" \'одинарные\' '
    "\u202eтекст справа налево\u202c \u200fRLM "
    + "оченьдлинноеслово" * 20 + " " + "длинное название " * 300
)[:5000]
