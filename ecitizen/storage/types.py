"""Column types shared by the storage models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware datetimes as UTC; always returns aware UTC datetimes.

    A naive datetime given to it is refused: every time in this project is aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The default clock. Code that decides things takes ``now`` as an argument instead."""
    return datetime.now(UTC)


class JSONText(str):
    """A JSON column's value already serialised (by a worker process that prepared the item):
    :func:`json_serializer` stores it as it is instead of encoding it again."""

    __slots__ = ()


def json_serializer(value: Any) -> str:
    """The engines' JSON serialiser: :class:`JSONText` as it is, anything else by ``json.dumps``
    keeping non-ASCII letters as UTF-8 (as ``pipeline`` makes ``PreparedItem.topics_json``, so an
    item stored from a worker's text and one updated through the ORM give the same text)."""
    if isinstance(value, JSONText):
        return str.__str__(value)
    return json.dumps(value, ensure_ascii=False)
