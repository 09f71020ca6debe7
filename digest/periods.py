"""Reporting periods: ISO weeks, calendar months and years in the configured timezone. Pure.

A period is ``[start, end)`` in aware UTC, computed from local midnights (Asia/Omsk by default),
so that an output for a period is the same whenever it is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ecitizen.dates import MONTHS_GENITIVE, MONTHS_NOMINATIVE

#: «в ноябре»
MONTHS_PREPOSITIONAL = (
    "январе", "феврале", "марте", "апреле", "мае", "июне",
    "июле", "августе", "сентябре", "октябре", "ноябре", "декабре",
)

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    #: week | month | year
    kind: str
    #: ``2026-W48`` / ``2026-11`` / ``2026``
    key: str
    #: first local day and the day after the last one
    first_day: date
    end_day: date
    start: datetime
    end: datetime
    tz: tzinfo = UTC

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def label_ru(self) -> str:
        """``23–29 ноября 2026 г.`` / ``ноябрь 2026 г.`` / ``2026 год``"""
        if self.kind == "month":
            return f"{MONTHS_NOMINATIVE[self.first_day.month - 1]} {self.first_day.year} г."
        if self.kind == "year":
            return f"{self.first_day.year} год"
        a, b = self.first_day, self.last_day
        if a.month == b.month:
            return f"{a.day}–{b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г."
        if a.year == b.year:
            return f"{a.day} {MONTHS_GENITIVE[a.month - 1]} – {b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г."
        return (f"{a.day} {MONTHS_GENITIVE[a.month - 1]} {a.year} г. – "
                f"{b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г.")

    @property
    def in_ru(self) -> str:
        """``в ноябре 2026 года`` / ``в 2026 году`` / ``23–29 ноября 2026 г.``"""
        if self.kind == "month":
            return f"в {MONTHS_PREPOSITIONAL[self.first_day.month - 1]} {self.first_day.year} года"
        if self.kind == "year":
            return f"в {self.first_day.year} году"
        return self.label_ru


def _utc(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def _make(kind: str, key: str, first: date, end: date, tz: tzinfo) -> Period:
    return Period(kind, key, first, end, _utc(first, tz), _utc(end, tz), tz)


def week_period(key: str, tz: tzinfo) -> Period:
    """``2026-W48`` (ISO 8601 week, Monday to Sunday). Raises ValueError."""
    m = _WEEK.match(key.strip())
    if not m:
        raise ValueError(f"not an ISO week like 2026-W48: {key!r}")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        first = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"no such ISO week: {key!r}") from None
    return _make("week", f"{year}-W{week:02d}", first, first + timedelta(days=7), tz)


def month_period(key: str, tz: tzinfo) -> Period:
    """``2026-11``. Raises ValueError."""
    m = _MONTH.match(key.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise ValueError(f"not a month like 2026-11: {key!r}")
    year, month = int(m.group(1)), int(m.group(2))
    first = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _make("month", f"{year}-{month:02d}", first, end, tz)


def year_period(year: int, tz: tzinfo) -> Period:
    if not 1900 <= year <= 9998:
        raise ValueError(f"not a year: {year!r}")
    return _make("year", str(year), date(year, 1, 1), date(year + 1, 1, 1), tz)


def last_complete_week(now: datetime, tz: tzinfo) -> Period:
    """The ISO week before the one containing ``now`` (the digest runs on Monday morning)."""
    local = now.astimezone(tz).date() - timedelta(days=7)
    y, w, _ = local.isocalendar()
    return week_period(f"{y}-W{w:02d}", tz)


def current_week(now: datetime, tz: tzinfo) -> Period:
    """The ISO week containing ``now`` (not complete yet)."""
    y, w, _ = now.astimezone(tz).date().isocalendar()
    return week_period(f"{y}-W{w:02d}", tz)


def previous_month(now: datetime, tz: tzinfo) -> Period:
    first = now.astimezone(tz).date().replace(day=1)
    prev = first - timedelta(days=1)
    return month_period(f"{prev.year}-{prev.month:02d}", tz)


def current_month(now: datetime, tz: tzinfo) -> Period:
    d = now.astimezone(tz).date()
    return month_period(f"{d.year}-{d.month:02d}", tz)
