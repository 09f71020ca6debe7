"""Keyset pages of items (``ecitizen.queries.page_items``) against the plain full query, on SQLite
and PostgreSQL: the same rows in the same order, page after page, with every filter; the indexes
of migration 0900 are what the page queries use."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.queries import MAX_ID, ItemCursor, ItemFilter, iter_items, list_items, page_items
from ecitizen.storage import Item, Source

pytestmark = pytest.mark.usefixtures("backend")

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def filled(app: App) -> App:
    """150 items over 3 sources: shared dates (ties broken by id), undated items, every status."""
    rnd = random.Random(7)
    with session_scope(app.engine) as s:
        sources = [Source(name=f"s{i}", url=f"https://s{i}.example.org/rss") for i in range(3)]
        s.add_all(sources)
        s.flush()
        for i in range(150):
            dated = i % 6 != 0
            day = T0 - timedelta(hours=rnd.randrange(40))  # few distinct hours: many equal dates
            src = sources[i % 3]
            assert src.id is not None
            s.add(Item(
                source_id=src.id, guid=f"g{i}", url=f"https://x.example.org/{i}", title=f"Новость {i}",
                published_at=day if dated else None, fetched_at=day + timedelta(minutes=rnd.choice([0, 30])),
                status=("new", "approved", "rejected")[rnd.randrange(3)],
                is_new_service=i % 7 == 0,
                topics=[{"id": ("pensions", "doctor", "transport")[i % 3], "keywords": [], "matched": []}],
                manual_topics=["transport"] if i % 11 == 0 else None,
            ))
    return app


FILTERS = [
    ItemFilter(),
    ItemFilter(status="approved"),
    ItemFilter(status="new", source="s1"),
    ItemFilter(topic="transport"),
    ItemFilter(new_services=True),
    ItemFilter(since=T0 - timedelta(hours=20)),
    ItemFilter(until=T0 - timedelta(hours=10), status="rejected"),
]


def ids(rows: list[tuple[Item, str]]) -> list[int | None]:
    return [item.id for item, _ in rows]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[10:60])
def test_pages_walk_the_full_list_in_order_both_ways(filled: App, flt: ItemFilter) -> None:
    with session_scope(filled.engine) as s:
        full = ids(list_items(s, flt))
        assert full, "the fixture should match something"
        pages: list[list[int | None]] = []
        page = page_items(s, flt, limit=7)
        assert page.prev_cursor is None
        while True:
            pages.append(ids(page.rows))
            if page.next_cursor is None:
                break
            page = page_items(s, flt, limit=7, after=page.next_cursor)
        assert [i for p in pages for i in p] == full
        assert all(len(p) == 7 for p in pages[:-1])
        # and back again from the last page with ``before``: the same pages, in reverse
        back = [ids(page.rows)]
        while page.prev_cursor is not None:
            page = page_items(s, flt, limit=7, before=page.prev_cursor)
            back.append(ids(page.rows))
        assert back == pages[::-1]


@pytest.mark.parametrize("flt", FILTERS[:4], ids=lambda f: repr(f)[10:60])
def test_limited_list_items_is_the_slice_of_the_full_list(filled: App, flt: ItemFilter) -> None:
    from dataclasses import replace

    with session_scope(filled.engine) as s:
        full = ids(list_items(s, flt))
        for offset, limit in ((0, 5), (3, 10), (40, 200), (0, 0)):
            assert ids(list_items(s, replace(flt, offset=offset, limit=limit))) == full[offset : offset + limit]
        assert ids(list(iter_items(s, flt, batch=4))) == full  # small batches: many round trips, same rows


def test_cursor_token_round_trip_and_refusals() -> None:
    c = ItemCursor(datetime(2026, 11, 24, 9, 0, 1, 250, tzinfo=UTC), 7)
    assert c.token() == "20261124T090001.000250Z_7"
    assert ItemCursor.parse(c.token()) == c
    for bad in ("", "7", "2026-11-24_7", "20261124T090001.000250Z_x", "20261124T090001.000250Z",
                "20261124T090001.000250Z_2147483648"):
        with pytest.raises(ValueError):
            ItemCursor.parse(bad)


def test_page_queries_use_the_keyset_indexes(filled: App) -> None:
    """The plans of a deep page: an index walk in list order, no sort of the whole table."""
    flt = ItemFilter(status="approved")
    with session_scope(filled.engine) as s:
        pos = ItemCursor(T0 - timedelta(hours=20), MAX_ID)
        first = page_items(s, flt, limit=5, after=pos)
        assert first.rows
        if filled.engine.dialect.name != "sqlite":
            # PostgreSQL's plan depends on statistics; the benchmark measures it at 300,000 items.
            # A topic filter is a LIKE on the topic lists as text: migration 1110 gives the planner
            # statistics on that text (without them it chose to read the whole table)
            names = {r[0] for r in s.execute(text("SELECT stxname FROM pg_statistic_ext"))}
            assert {"st_item_topics_text", "st_item_manual_topics_text"} <= names
            return
        plan = " ".join(str(r[-1]) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM item WHERE status = 'approved' AND published_at IS NOT NULL "
            "AND published_at <= '2026-11-01 00:00:00.000000' ORDER BY published_at DESC, id DESC LIMIT 6")))
        assert "ix_item_status_published_at" in plan and "TEMP B-TREE" not in plan
        plan = " ".join(str(r[-1]) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM item WHERE status = 'approved' AND published_at IS NULL "
            "ORDER BY fetched_at DESC, id DESC LIMIT 6")))
        assert "ix_item_undated_status" in plan and "TEMP B-TREE" not in plan
        # without a status: the undated items' own index (migration 1110: a full index on
        # published_at made SQLite read every undated item through "published_at=NULL")
        plan = " ".join(str(r[-1]) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM item WHERE published_at IS NULL "
            "ORDER BY fetched_at DESC, id DESC LIMIT 6")))
        assert "ix_item_undated" in plan and "TEMP B-TREE" not in plan, plan
        # a month (ecitizen.queries.in_date_range): each half through its own index
        plan = " ".join(str(r[-1]) for r in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM item WHERE (published_at >= '2026-10-01' AND published_at < "
            "'2026-11-01') OR (published_at IS NULL AND fetched_at >= '2026-10-01' AND fetched_at < '2026-11-01')")))
        assert "ix_item_dated" in plan and "ix_item_undated" in plan and "published_at=?" not in plan, plan


def test_topic_filter_finds_escaped_and_utf8_topic_lists(app: App) -> None:
    """Topic lists stored before 0.2.3 have ``\\uXXXX`` escapes, later ones UTF-8: a topic filter
    finds both (and the stored text of a new one is UTF-8, a third of the size)."""
    with session_scope(app.engine) as s:
        src = Source(name="s", url="https://s.example.org/rss")
        s.add(src)
        s.flush()
        assert src.id is not None
        why = "«пенсии» в заголовке (ключевое слово «пенсия»)"
        for i in range(2):
            s.add(Item(source_id=src.id, guid=f"g{i}", url=f"https://x.example.org/{i}", title="Пенсии",
                       fetched_at=T0, topics=[{"id": "pensions", "keywords": ["пенсия"], "matched": ["пенсии"],
                                              "why": why}]))
    with session_scope(app.engine) as s:
        stored = [r[0] for r in s.execute(text("SELECT CAST(topics AS VARCHAR) FROM item ORDER BY id"))]
        assert all(why in t for t in stored)  # UTF-8, not escaped
        # the first row as an older version stored it
        s.execute(text("UPDATE item SET topics = :t WHERE guid = 'g0'"),
                  {"t": json.dumps(json.loads(stored[0]))})  # json's default: \\uXXXX escapes
    with session_scope(app.engine) as s:
        old = s.execute(text("SELECT CAST(topics AS VARCHAR) FROM item WHERE guid = 'g0'")).scalar_one()
        assert "\\u043f" in old and why not in old
        found = list_items(s, ItemFilter(topic="pensions"))
        assert sorted(item.guid for item, _ in found) == ["g0", "g1"]
        assert all(item.topic_ids() == ["pensions"] for item, _ in found)
