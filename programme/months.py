"""Months and years of the programme in the configured timezone (Asia/Omsk). Pure.

A month is its key ``YYYY-MM``; its bounds are ``[start, end)`` in aware UTC from local midnights,
the same rule as the digest's periods, so a month's items here are the month's items on its poster.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from ecitizen.dates import MONTHS_NOMINATIVE
from ecitizen.programme.errors import refuse

_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{4})$")

#: the programme's years as data start here (the 2014–2019 period kept no figures in this system)
FIRST_YEAR = 2014


def parse_month(text: str, *, where: str = "месяц") -> str:
    """``2026-11``, ``2026-1``, ``11.2026`` or ``11/2026`` → ``2026-11``. Raises RefusedError."""
    s = (text or "").strip()
    m = _ISO.match(s)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m2 = _DOTTED.match(s)
        if not m2:
            raise refuse(where, f"«{s}» — не месяц; напишите так: 2026-11")
        year, month = int(m2.group(2)), int(m2.group(1))
    if not 1 <= month <= 12:
        raise refuse(where, f"«{s}» — в году 12 месяцев")
    if year < FIRST_YEAR:
        raise refuse(where, f"«{s}» — раньше начала программы ({FIRST_YEAR} г.)")
    return f"{year:04d}-{month:02d}"


def check_year(year: int, *, where: str = "год") -> int:
    if not FIRST_YEAR <= year <= 2100:
        raise refuse(where, f"{year} — не год программы")
    return year


def current_month(now: datetime, tz: tzinfo) -> str:
    local = now.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def previous_month(now: datetime, tz: tzinfo) -> str:
    local = now.astimezone(tz)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def is_future(month: str, now: datetime, tz: tzinfo) -> bool:
    """A month after the current local one (the current month may be entered while it runs)."""
    return month > current_month(now, tz)


def month_year(month: str) -> int:
    return int(month[:4])


def months_of(year: int) -> tuple[str, ...]:
    return tuple(f"{year:04d}-{m:02d}" for m in range(1, 13))


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    year, mon = int(month[:4]), int(month[5:7])
    first = date(year, mon, 1)
    end = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return _utc(first, tz), _utc(end, tz)


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    return _utc(date(year, 1, 1), tz), _utc(date(year + 1, 1, 1), tz)


def month_label(month: str) -> str:
    """``ноябрь 2026 г.``"""
    return f"{MONTHS_NOMINATIVE[int(month[5:7]) - 1]} {month[:4]} г."


def _utc(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
