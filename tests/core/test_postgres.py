"""The same storage code on the real PostgreSQL server (a throwaway database for each test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData, prepare_entries
from ecitizen.storage import Item, Source
from ecitizen.store import store_items
from tests.conftest import base_config_data
from tests.support.pg import fresh_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server (tests/support/pg.py); never skipped."""
    with fresh_database() as url:
        yield url


def test_storage_and_pipeline_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["database_url"] = pg_url
    app = App(config=parse_config(data, base_dir=str(tmp_path)), now=lambda: datetime(2026, 11, 25, tzinfo=UTC))
    with session_scope(app.engine) as s:
        a = Source(name="a", url="https://a.org/rss")
        b = Source(name="b", url="https://b.org/rss")
        s.add_all([a, b])
        s.flush()
    title = "Запись к врачу через Госуслуги стала доступна жителям Омской области"
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    for src, url in ((a, "https://a.org/1"), (b, "https://b.org/9"), (a, "https://a.org/1")):
        prepared = prepare_entries([EntryData(url=url, title=title, published_at=when)], app.rules)
        with session_scope(app.engine) as s:
            row = s.get(Source, src.id)
            assert row is not None
            store_items(s, row, prepared.items, now=app.now())
    with session_scope(app.engine) as s:
        items = list(s.exec(select(Item)))
        assert s.exec(select(func.count()).select_from(Item)).one() == 2
    assert items[0].cluster_id == items[1].cluster_id
    assert items[0].published_at == when and items[0].published_at.tzinfo is not None
    assert {t["id"] for t in items[0].topics} >= {"doctor", "gosuslugi"}
