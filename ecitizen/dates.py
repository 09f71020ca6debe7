"""Date parsing for Russian government sites. Pure: ``now`` and the timezone are arguments.

Handles ISO 8601 (with or without an offset; a date only), "12 августа 2026 года, 16:30",
"19.08.2026", "25.11.2026 14:30", "сегодня, 14:30", "вчера в 09:15", "1 день назад" and RFC 822.
Naive results are read in the site's timezone; results are always aware.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,]+(?:в\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_RELATIVE_DAY = re.compile(r"^(сегодня|вчера|позавчера)(?:[, ]+(?:в\s+)?(\d{1,2}):(\d{2}))?$", re.I)
_NOISE = re.compile(r"\b(года?|г\.)(?=[\s,]|$)", re.I)


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    import dateparser

    return dateparser


def _aware(dt: datetime, tz: tzinfo) -> datetime:
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def parse_date(text: str | None, *, tz: tzinfo, now: datetime) -> datetime | None:
    """Parse a date as the sites write it; ``None`` when it cannot be read.

    ``tz`` is the site's timezone (naive values are read in it); ``now`` resolves relative forms.
    """
    if not text:
        return None
    s = " ".join(str(text).split()).strip()
    if not s:
        return None
    if _ISO.match(s):
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            dt = None
        if dt is not None:
            return _aware(dt, tz)
    m = _DMY.match(s)
    if m:
        d, mo, y, hh, mm, ss = m.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=tz)
        except ValueError:
            return None
    m = _RELATIVE_DAY.match(s)
    if m:
        word, hh, mm = m.groups()
        back = {"сегодня": 0, "вчера": 1, "позавчера": 2}[word.lower()]
        local_now = now.astimezone(tz)
        day = local_now.date() - timedelta(days=back)
        t = time(int(hh), int(mm)) if hh else time(0, 0)
        return datetime.combine(day, t, tzinfo=tz)
    if re.match(r"^[A-Z][a-z]{2}, ", s):
        try:
            return _aware(parsedate_to_datetime(s), tz)
        except (TypeError, ValueError):
            pass
    cleaned = _NOISE.sub("", s).replace(" ,", ",").strip(" ,")
    local_now = now.astimezone(tz).replace(tzinfo=None)
    dt = _dateparser().parse(
        cleaned,
        languages=["ru", "en"],
        settings={
            "RELATIVE_BASE": local_now,
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if dt is None:
        return None
    return _aware(dt, tz)


def parse_day(text: str) -> date:
    """``2026-11-25`` or ``25.11.2026`` -> a date (CLI ``--since``). Raises ValueError."""
    s = text.strip()
    m = _DMY.match(s)
    if m and not m.group(4):
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return date.fromisoformat(s)


MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)
MONTHS_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)


def format_ru_date(d: date | datetime) -> str:
    """``25 ноября 2026 г.``"""
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year} г."
