"""Crawler test helpers: an app with politeness lifted, sources seeded, crawls run for real."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import SourceConfig
from ecitizen.crawler.jobs import CrawlReport
from ecitizen.crawler.runner import crawl
from ecitizen.db import session_scope
from ecitizen.storage import Item, Source
from ecitizen.store import seed_sources

FAST = {"download_delay": 0, "autothrottle": False, "retry_times": 0, "timeout": 10, "robots_obey": True}

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def crawl_app(make_app: Callable[..., App]) -> Callable[..., App]:
    """``crawl_app(sources, **overrides)`` -> an App whose sources are seeded in its database."""

    def factory(sources: list[dict[str, Any]], **overrides: Any) -> App:
        crawler_cfg = {**FAST, **overrides.pop("crawler", {})}
        app = make_app(crawler=crawler_cfg, sources=sources, **overrides)
        with session_scope(app.engine) as session:
            seed_sources(session, app.config.sources)
        return app

    return factory


def run_crawl(app: App, *names: str, **kwargs: Any) -> CrawlReport:
    return crawl(app, list(names) or None, timeout=kwargs.pop("timeout", 120), **kwargs)


def items_of(app: App, source: str) -> list[Item]:
    with session_scope(app.engine) as session:
        src = session.exec(select(Source).where(Source.name == source)).one()
        return list(session.exec(select(Item).where(Item.source_id == src.id).order_by(Item.id)))


def source_row(app: App, name: str) -> Source:
    with session_scope(app.engine) as session:
        return session.exec(select(Source).where(Source.name == name)).one()


def by_name(report: CrawlReport, name: str) -> Any:
    for s in report.sources:
        if s.name == name:
            return s
    raise AssertionError(f"{name} not in report: {report.as_json()}")


__all__ = ["HTML", "SourceConfig", "by_name", "items_of", "run_crawl", "source_row"]
