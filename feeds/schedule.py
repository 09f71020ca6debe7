"""When to poll a feed next. Pure: headers, times and counts in, a datetime out.

Honours the source's interval (never below ``min_interval``), Cache-Control ``max-age`` and
``Expires`` (a feed that says it stays fresh longer is polled later, up to ``max_backoff``),
``Retry-After`` on 429/503, and exponential backoff after failures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ecitizen.store import backoff_delay

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.I)


def _http_date(value: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response says it stays fresh (Cache-Control max-age, else Expires - Date)."""
    cc = headers.get("cache-control") or ""
    if re.search(r"no-cache|no-store", cc, re.I):
        return None
    m = _MAX_AGE.search(cc)
    if m:
        return timedelta(seconds=min(int(m.group(1)), 365 * 86400))
    expires = headers.get("expires")
    if expires:
        exp = _http_date(expires)
        if exp is None:
            return None
        date = _http_date(headers.get("date") or "") or now
        return max(timedelta(0), exp - date)
    return None


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=min(int(value), 365 * 86400))
    when = _http_date(value)
    return max(timedelta(0), when - now) if when else None


def next_due(
    now: datetime,
    *,
    interval: timedelta,
    min_interval: timedelta,
    max_backoff: timedelta,
    failures: int = 0,
    headers: Mapping[str, str] | None = None,
    status: int | None = None,
) -> datetime:
    """The next poll time. ``failures`` counts this attempt when it failed (0 after a success)."""
    headers = headers or {}
    base = max(interval, min_interval)
    if failures > 0:
        delay = backoff_delay(base, failures, max(max_backoff, base))
        if status in (429, 503):
            ra = retry_after(headers.get("retry-after"), now)
            if ra is not None:
                delay = max(delay, min(ra, max(max_backoff, base)))
        return now + delay
    fresh = freshness(headers, now)
    delay = base
    if fresh is not None and fresh > base:
        delay = min(fresh, max(max_backoff, base))
    return now + delay
