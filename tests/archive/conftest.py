"""Fixtures for the link archive tests: an app with fast retries, helpers to add and check links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ecitizen.app import App
from ecitizen.archive.catalogue import LinkInput, add_link
from ecitizen.archive.checker import CheckReport, LinkResult, check_links
from ecitizen.db import session_scope
from ecitizen.storage import Link

FAST_LINKS = {
    "retry_backoff_seconds": 0.01,
    "min_host_interval_seconds": 0,
    "total_deadline": 2.0,
    "retries": 2,
    "max_retry_after_seconds": 3,
}


@pytest.fixture
def links_app(make_app: Callable[..., App]) -> Callable[..., App]:
    def factory(**links: Any) -> App:
        http = links.pop("http", {})
        return make_app(links={**FAST_LINKS, **links}, http={"connect_timeout": 2, "read_timeout": 2, **http})

    return factory


def add(app: App, *urls: str | LinkInput) -> None:
    with session_scope(app.engine) as s:
        for u in urls:
            add_link(s, u, now=app.now(), allow_private=True, resolve=None)


def check(app: App, *urls: str, **kw: Any) -> CheckReport:
    return check_links(app, due_only=False, urls=list(urls) or None, **kw)


def by_url(report: CheckReport) -> dict[str, LinkResult]:
    return {r.url: r for r in report.results}


def get(app: App, url: str) -> Link:
    from ecitizen.archive.catalogue import get_link

    with session_scope(app.engine) as s:
        return get_link(s, url)
