"""ecitizen.feeds.schedule.next_due: a table of (headers, failures) → delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecitizen.feeds.schedule import freshness, next_due, retry_after

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.mark.parametrize("interval, failures, status, headers, expected", [
    (60 * M, 0, 200, {}, 60 * M),
    (5 * M, 0, 200, {}, 10 * M),  # never below min_interval
    (60 * M, 0, 200, {"cache-control": "max-age=10800"}, 3 * H),
    (60 * M, 0, 200, {"cache-control": "max-age=60"}, 60 * M),  # shorter freshness: the interval wins
    (60 * M, 0, 200, {"cache-control": "no-cache, max-age=99999"}, 60 * M),
    (60 * M, 0, 200, {"cache-control": "max-age=9999999"}, 24 * H),  # capped at max_backoff
    (60 * M, 0, 200, {"expires": "Wed, 25 Nov 2026 08:00:00 GMT", "date": "Wed, 25 Nov 2026 06:00:00 GMT"}, 2 * H),
    (60 * M, 0, 304, {"expires": "garbage"}, 60 * M),
    (60 * M, 1, 500, {}, 60 * M),
    (60 * M, 2, 500, {}, 2 * H),
    (60 * M, 3, None, {}, 4 * H),
    (60 * M, 12, None, {}, 24 * H),  # backoff capped
    (60 * M, 1, 429, {"retry-after": "7200"}, 2 * H),
    (60 * M, 1, 503, {"retry-after": "Wed, 25 Nov 2026 09:00:00 GMT"}, 3 * H),
    (60 * M, 1, 429, {"retry-after": "60"}, 60 * M),  # never sooner than the backoff
    (60 * M, 1, 429, {"retry-after": "99999999"}, 24 * H),  # a hostile Retry-After is capped
    (60 * M, 1, 500, {"retry-after": "7200"}, 60 * M),  # Retry-After only counts on 429/503
])
def test_next_due(interval: timedelta, failures: int, status: int | None, headers: dict[str, str],
                  expected: timedelta) -> None:
    due = next_due(NOW, interval=interval, min_interval=10 * M, max_backoff=24 * H, failures=failures,
                   headers=headers, status=status)
    assert due - NOW == expected


def test_helpers_tolerate_garbage() -> None:
    assert retry_after("soon", NOW) is None and retry_after(None, NOW) is None
    assert freshness({"cache-control": "max-age=abc"}, NOW) is None
    assert freshness({"expires": "Tue, 24 Nov 2026 06:00:00 GMT"}, NOW) == timedelta(0)
