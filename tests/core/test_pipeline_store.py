from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData, prepare_entries, title_key, titles_similar
from ecitizen.storage import Item, Source
from ecitizen.store import (
    apply_health,
    backoff_delay,
    record_failure,
    seed_sources,
    store_items,
    success_health,
)

#: storage, pipeline, poll, link check and job lock run on SQLite and on the PostgreSQL server
pytestmark = pytest.mark.usefixtures("backend")

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def add_source(app: App, name: str, url: str = "https://example.org/feed") -> Source:
    with session_scope(app.engine) as s:
        src = Source(name=name, url=url)
        s.add(src)
        s.flush()
        return src


def store(app: App, source: Source, entries: list[EntryData], now: datetime | None = None):
    prepared = prepare_entries(entries, app.rules)
    with session_scope(app.engine) as s:
        src = s.get(Source, source.id)
        assert src is not None
        return store_items(s, src, prepared.items, now=now or app.now()), prepared


def test_prepare_normalises_sanitises_classifies(app: App) -> None:
    res = prepare_entries(
        [
            EntryData(
                url="https://sfr.gov.ru/news/1?utm_source=tg",
                title="  Теперь можно <b>оформить</b> пенсию\u202e онлайн ",
                summary_html='<p onclick="x()">Через <a href="javascript:alert(1)">портал</a> Госуслуг</p><script>bad()</script>',
                published_at=T0,
            ),
            EntryData(url="mailto:x@y", title="bad link"),
            EntryData(url="https://x.org/2", title="", summary_html=""),
        ],
        app.rules,
    )
    assert len(res.items) == 1 and len(res.rejected) == 2
    item = res.items[0]
    assert item.url == "https://sfr.gov.ru/news/1"
    assert item.title == "Теперь можно оформить пенсию онлайн"
    assert "script" not in item.summary_html and "onclick" not in item.summary_html
    assert "javascript" not in item.summary_html
    assert item.summary_text == "Через портал Госуслуг"
    assert {t.id for t in item.topics} >= {"pensions", "gosuslugi"}
    assert item.new_service_rule == "now-possible" and item.kind == "service"
    assert item.guid == item.url


def test_store_is_idempotent_and_guid_then_url_identify(app: App) -> None:
    src = add_source(app, "a")
    entries = [
        EntryData(url="https://a.org/1", guid="g1", title="Первая новость о пенсиях", published_at=T0),
        EntryData(url="https://a.org/2", title="Вторая без guid", published_at=T0),
        EntryData(url="https://a.org/2?utm_campaign=x", title="Дубль по ссылке", published_at=T0),
        EntryData(url="https://a.org/3", guid="g1", title="Дубль по guid", published_at=T0),
    ]
    r1, prepared = store(app, src, entries)
    assert r1.added_count == 2 and len(prepared.rejected) == 2
    r2, _ = store(app, src, entries)
    assert r2.added_count == 0 and r2.unchanged == 2
    # changed text of a known guid updates the row, keeps its review status
    r3, _ = store(app, src, [EntryData(url="https://a.org/1", guid="g1", title="Первая новость о пенсиях (уточнено)")])
    assert r3.added_count == 0 and len(r3.updated) == 1
    with session_scope(app.engine) as s:
        assert s.exec(select(func.count()).select_from(Item)).one() == 2


def test_same_news_on_two_sources_forms_one_cluster(app: App) -> None:
    a = add_source(app, "a")
    b = add_source(app, "b")
    c = add_source(app, "c")
    title = "Запись к врачу через Госуслуги стала доступна жителям Омской области"
    store(app, a, [EntryData(url="https://a.org/x", title=title, published_at=T0)])
    store(app, b, [EntryData(url="https://b.org/y", title=title + "!", published_at=T0 + timedelta(hours=5))])
    store(app, c, [EntryData(url="https://c.org/z", title="Совсем другая новость про транспорт", published_at=T0)])
    # too far apart in time: not the same news
    store(app, c, [EntryData(url="https://c.org/old", title=title, published_at=T0 - timedelta(days=30))])
    with session_scope(app.engine) as s:
        rows = {i.url: i for i in s.exec(select(Item))}
    assert rows["https://a.org/x"].cluster_id == rows["https://b.org/y"].cluster_id == rows["https://a.org/x"].id
    assert rows["https://c.org/z"].cluster_id == rows["https://c.org/z"].id
    assert rows["https://c.org/old"].cluster_id == rows["https://c.org/old"].id


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Пенсии проиндексируют с 1 января", "С 1 января пенсии проиндексируют", True),
        ("Запись к врачу стала доступна онлайн", "Запись к врачу стала доступной онлайн", True),
        ("Пенсии проиндексируют с 1 января", "Штрафы ГИБДД можно оплатить со скидкой", False),
        ("Новости", "Новости", True),
    ],
)
def test_titles_similar(a: str, b: str, same: bool) -> None:
    assert titles_similar(title_key(a), title_key(b)) is same


def test_health_records_and_backoff(app: App) -> None:
    src = add_source(app, "h")
    now = app.now()
    with session_scope(app.engine) as s:
        row = s.get(Source, src.id)
        assert row is not None
        record_failure(row, now=now, next_due=now + timedelta(minutes=5), outcome="timeout", error="slow")
        record_failure(row, now=now, next_due=now + timedelta(minutes=10), outcome="timeout", error="slow")
        s.add(row)
    with session_scope(app.engine) as s:
        row = s.get(Source, src.id)
        assert row is not None
        assert row.consecutive_failures == 2 and row.failing_since == now and row.last_outcome == "timeout"
        apply_health(row, success_health(now=now, next_due=now, status=200, etag='"e1"'))
        assert row.consecutive_failures == 0 and row.failing_since is None and row.etag == '"e1"'
    base, cap = timedelta(minutes=10), timedelta(hours=24)
    assert [backoff_delay(base, n, cap) for n in (0, 1, 2, 3)] == [base, base, base * 2, base * 4]
    assert backoff_delay(base, 50, cap) == cap


def test_seed_sources_is_idempotent_and_keeps_health(make_app) -> None:
    app = make_app(sources=[{"name": "s1", "url": "https://e.org/rss", "topics": ["pensions"]}])
    with session_scope(app.engine) as s:
        assert seed_sources(s, app.config.sources) == (["s1"], [])
    with session_scope(app.engine) as s:
        row = s.exec(select(Source)).one()
        row.consecutive_failures = 3
        s.add(row)
    with session_scope(app.engine) as s:
        assert seed_sources(s, app.config.sources) == ([], [])
        assert s.exec(select(Source)).one().consecutive_failures == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PRAGMAs; PostgreSQL: test_postgres.py
def test_database_pragmas_and_schema_matches_models(app: App) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with app.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10000  # ~40 MB between checkpoints
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # APScheduler's job store table (created by migration 0600 in APScheduler's own shape) is not a model
    def _apscheduler(d: object) -> bool:
        obj = d[1] if isinstance(d, tuple) else None
        name = getattr(obj, "name", "") or ""
        table = getattr(getattr(obj, "table", None), "name", "") or ""
        return name.startswith(("apscheduler", "ix_apscheduler")) or table.startswith("apscheduler")

    diff = [d for d in diff if not _apscheduler(d)]
    assert diff == []


def test_new_items_are_stored_as_the_orm_stores_them(app: App) -> None:
    """store_items inserts with the columns' own bind processors (ecitizen.store.insert_returning_ids,
    not the ORM): every stored value, as the database holds it, equals what the ORM stores."""
    src = add_source(app, "raw")
    entry = EntryData(url="https://a.org/n/1", guid="g-raw", title="Запись к врачу онлайн через Госуслуги",
                      summary_html="<p>Поликлиники Омска принимают заявления онлайн.</p>", published_at=T0)
    _, prepared = store(app, src, [entry], now=T0 + timedelta(minutes=5))
    item = prepared.items[0]
    with session_scope(app.engine) as s:
        s.add(Item(source_id=src.id, kind=item.kind, guid="g-orm", url=item.url, title=item.title,
                   summary_html=item.summary_html, summary_text=item.summary_text,
                   published_at=item.published_at, fetched_at=T0 + timedelta(minutes=5),
                   topics=[t.as_dict() for t in item.topics], is_new_service=item.is_new_service,
                   new_service_rule=item.new_service_rule, title_key=item.title_key,
                   content_hash=item.content_hash, diff_text=item.diff_text, status="new"))
    columns = ("kind, url, title, summary_html, summary_text, published_at, fetched_at, topics, is_new_service,"
               " new_service_rule, title_key, content_hash, diff_text, status")
    with app.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT guid, {columns} FROM item ORDER BY guid").all()
    assert [r[0] for r in rows] == ["g-orm", "g-raw"]
    assert tuple(rows[0][1:]) == tuple(rows[1][1:])
    assert "gosuslugi" in str(rows[1][8]) and "«" in str(rows[1][8])  # topics JSON as UTF-8, not \u escapes
