"""Job bodies' counts: domain reports summarised into small run records (table-driven)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ecitizen.shell.tasks import current_month, job_title, previous_month, report_counts


class _Report:
    def __init__(self, data: Any) -> None:
        self.data = data

    def as_json(self) -> Any:
        return self.data


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (None, {}),
        # feeds.poll.PollReport.as_json(): one row per source
        (_Report([{"name": "a", "outcome": "ok", "new_items": 3, "updated_items": 1, "entries": 10},
                  {"name": "b", "outcome": "not_modified", "new_items": 0, "updated_items": 0, "entries": 0},
                  {"name": "c", "outcome": "timeout", "new_items": 0, "updated_items": 0, "entries": 0}]),
         {"sources": 3, "new_items": 3, "updated_items": 1, "entries": 10, "failed": 1, "failed_sources": "c"}),
        # crawler.runner.CrawlReport.as_json(): scalars plus a "sources" list
        (_Report({"exit_code": 0, "ok": True, "error": None,
                  "sources": [{"name": "x", "outcome": "ok", "added": 2, "updated": 0, "pages": 3}]}),
         {"exit_code": 0, "ok": True, "error": None, "sources": 1, "added": 2, "updated": 0, "pages": 3, "failed": 0}),
        # archive.checker.CheckReport.as_json(): per-link results are counted, not copied
        (_Report({"checked": 2, "counts_by_status": {"ok": 1, "broken": 1}, "events": [{"url": "u", "event": "e"}],
                  "results": [{}, {}]}),
         {"checked": 2, "counts_by_status": {"ok": 1, "broken": 1}, "events": 1}),
        ([Path("a.pdf"), Path("b.pdf")], {"files": 2}),
        ({"month": "2026-11", "posters": 41}, {"month": "2026-11", "posters": 41}),
    ],
)
def test_report_counts(report: Any, expected: dict[str, Any]) -> None:
    assert report_counts(report) == expected


@pytest.mark.parametrize(
    ("today", "cur", "prev"),
    [(date(2026, 11, 25), "2026-11", "2026-10"), (date(2027, 1, 1), "2027-01", "2026-12")],
)
def test_months(today: date, cur: str, prev: str) -> None:
    assert current_month(today) == cur and previous_month(today) == prev


@pytest.mark.parametrize(
    ("name", "title"),
    [("feeds_poll", "Опрос лент новостей"), ("check_source:sfr-news", "Проверка источника «sfr-news»"),
     ("demo:approve", "Демо: одобрение записей"), ("unknown", "unknown")],
)
def test_job_titles_are_russian(name: str, title: str) -> None:
    assert job_title(name) == title
