"""Builders for feed documents and sources used by the feed-reader tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.storage import Source

BASE_DATE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def rss(
    entries: Sequence[dict[str, str | None]],
    *,
    title: str = "Новости",
    encoding: str = "utf-8",
    declare: bool = True,
) -> bytes:
    """An RSS 2.0 document; each entry dict may hold title, link, guid, description, pubDate."""
    parts = []
    if declare:
        parts.append(f'<?xml version="1.0" encoding="{encoding}"?>')
    parts.append(f"<rss version=\"2.0\"><channel><title>{escape(title)}</title><link>http://example.org/</link>")
    for e in entries:
        parts.append("<item>")
        for key in ("title", "link", "guid", "description", "pubDate"):
            value = e.get(key)
            if value is not None:
                parts.append(f"<{key}>{escape(value)}</{key}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


WORDS = (
    "пенсия портал услуга заявление врач полис паспорт транспорт маршрут оплата налог библиотека "
    "семья пособие справка выплата запись талон кабинет подпись регион омск область министерство "
    "фонд сервис приложение документ квитанция льгота школа детский сад жилье ремонт дорога автобус "
    "карта банк почта безопасность мошенник пароль вход электронный цифровой новый онлайн"
).split()

SUFFIXES = ("", "ов", "ский", "ная", "ение", "ость", "ист", "ик")


def headline(seed: str) -> str:
    """A deterministic, realistic-looking Russian headline (distinct headlines do not cluster)."""
    import hashlib

    h = hashlib.sha256(seed.encode()).digest()
    words = [WORDS[b % len(WORDS)] + SUFFIXES[c % len(SUFFIXES)] for b, c in zip(h[:7], h[7:14], strict=True)]
    return " ".join(words).capitalize()


def news(n: int, *, prefix: str = "Новость", host: str = "http://example.org", start: int = 0) -> list[dict[str, str | None]]:
    return [
        {
            "title": f"{headline(prefix + str(i))} ({i})",
            "link": f"{host}/news/{i}",
            "guid": f"{host}/news/{i}",
            "description": f"<p>Подробности новости {i}.</p>",
            "pubDate": format_datetime(BASE_DATE - timedelta(hours=i)),
        }
        for i in range(start, start + n)
    ]


def add_source(app: App, name: str, url: str, **kwargs: object) -> None:
    with session_scope(app.engine) as session:
        session.add(Source(name=name, kind="feed", url=url, origin="cli", **kwargs))  # type: ignore[arg-type]


def get_source(app: App, name: str) -> Source:
    from ecitizen.store import get_source as _get

    with session_scope(app.engine) as session:
        return _get(session, name)
