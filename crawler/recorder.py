"""Storing a finished source's crawl: the item pipeline and the crawler state, one transaction.

Owns: turning a :class:`SourceOutcome` into stored items (``prepare_in_workers`` → ``store_items``),
the catalogue / watched-page / sitemap state tables, and the source's health record — all in one
``session_scope`` per source, so a killed crawl leaves either the whole source or nothing, and a
rerun is idempotent (items by GUID/URL, state by key).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ecitizen import outcomes
from ecitizen.config import Config
from ecitizen.crawler.extract import (
    CatalogRecord,
    KnownEntry,
    catalog_entries,
    diff_catalog,
    page_change_entry,
    shared_link_warning,
    text_hash,
)
from ecitizen.crawler.jobs import SourceJob, SourceOutcome, SourceReport
from ecitizen.db import session_scope
from ecitizen.errors import SourceError
from ecitizen.pipeline import EntryData, Rules
from ecitizen.prepare_pool import prepare_in_workers
from ecitizen.storage import Source
from ecitizen.storage.crawl import CatalogEntry, PageState, SeenUrl
from ecitizen.store import apply_health, backoff_delay, record_failure, store_items, success_health

log = logging.getLogger("crawler")

#: how often a crawler source is due when it has no own interval (the scheduler's crawl cron)
DEFAULT_INTERVAL = timedelta(hours=3)


def next_due(source: Source, config: Config, now: datetime, *, failures: int) -> datetime:
    base = timedelta(minutes=source.interval_minutes) if source.interval_minutes else DEFAULT_INTERVAL
    cap = timedelta(minutes=config.feeds.max_backoff_minutes)
    return now + backoff_delay(base, failures, max(cap, base))


def record_outcome(engine: Engine, job: SourceJob, outcome: SourceOutcome, *, config: Config, rules: Rules,
                   now: datetime) -> SourceReport:
    """Store one source's outcome in one transaction and return what happened."""
    try:
        with session_scope(engine) as session:
            source = session.get(Source, job.source_id)
            if source is None:
                return SourceReport(job.name, job.kind, outcomes.NOT_FOUND,
                                    error="источник удалён во время обхода")
            if outcome.error is not None:
                return _failed(session, source, job, outcome, outcome.error, config=config, now=now)
            try:
                entries, note = _state_entries(session, source, job, outcome, config=config, now=now)
            except SourceError as exc:
                return _failed(session, source, job, outcome, exc, config=config, now=now)
            # thousands of listing records: prepared on every core (a small batch: here)
            prepared = prepare_in_workers(entries, rules, base_url=source.url)
            shared = shared_link_warning(entries, base_url=source.url)
            result = store_items(session, source, prepared.items, now=now)
            apply_health(source, success_health(now=now, next_due=next_due(source, config, now, failures=0),
                                                status=outcome.status, item_count=len(prepared.items)))
            if shared:  # the crawl worked, but records were merged: the source's health says so
                source.last_error = shared
            session.add(source)
            rejected = [*outcome.rejected, *(r.reason for r in prepared.rejected)]
            return SourceReport(
                job.name, job.kind, outcomes.OK, pages=outcome.pages, entries=len(entries),
                added=result.added_count, updated=len(result.updated), unchanged=result.unchanged,
                rejected=len(rejected),
                warnings=outcome.warnings + ((shared,) if shared else ())
                + tuple(f"отброшено: {r}" for r in rejected[:20]),
                note=note,
            )
    except Exception as exc:
        log.exception("source %s: could not be stored", job.name)
        return SourceReport(job.name, job.kind, outcomes.STORAGE_ERROR, error=f"{type(exc).__name__}: {exc}",
                            pages=outcome.pages)


def _failed(session: Session, source: Source, job: SourceJob, outcome: SourceOutcome, exc: SourceError, *,
            config: Config, now: datetime) -> SourceReport:
    failures = (source.consecutive_failures or 0) + 1
    status = getattr(exc, "status", None) or None
    record_failure(source, now=now, next_due=next_due(source, config, now, failures=failures),
                   outcome=exc.code, error=str(exc), status=status)
    session.add(source)
    return SourceReport(job.name, job.kind, exc.code, error=str(exc), pages=outcome.pages,
                        warnings=outcome.warnings)


def _state_entries(session: Session, source: Source, job: SourceJob, outcome: SourceOutcome, *,
                   config: Config, now: datetime) -> tuple[list[EntryData], str | None]:
    """Update the kind's state table and return the entries to store (plus a note for the report)."""
    assert source.id is not None
    entries = list(outcome.entries)
    if job.kind == "catalog" and outcome.catalog is not None:
        return _catalog(session, source.id, outcome, config=config, now=now)
    if job.kind == "page" and outcome.page_text is not None:
        return _page(session, source, outcome, now=now)
    if job.kind == "sitemap" and outcome.sitemap_urls is not None:
        known = set(session.exec(select(SeenUrl.url).where(SeenUrl.source_id == source.id)).all())
        fresh = sorted(outcome.sitemap_urls - known)
        for url in fresh:
            session.add(SeenUrl(source_id=source.id, url=url, first_seen=now))
        note = f"первый обход: {len(fresh)} адресов записаны как исходные" if not known else None
        # only URLs not seen before become items (a rerun after a kill sees them as known)
        return [e for e in entries if e.url not in known], note
    return entries, None


def _catalog(session: Session, source_id: int, outcome: SourceOutcome, *, config: Config,
             now: datetime) -> tuple[list[EntryData], str | None]:
    assert outcome.catalog is not None
    rows = {r.entry_key: r for r in session.exec(select(CatalogEntry).where(CatalogEntry.source_id == source_id))}
    known = [KnownEntry(r.entry_key, r.title, r.url, r.category, r.removed_at is not None) for r in rows.values()]
    current = [CatalogRecord(c.key, c.title, c.url, c.category) for c in outcome.catalog]
    diff = diff_catalog(known, current, min_ratio=config.crawler.catalog_min_ratio)  # raises ParseError
    for rec in current:
        row = rows.get(rec.key)
        if row is None:
            session.add(CatalogEntry(source_id=source_id, entry_key=rec.key, title=rec.title, url=rec.url,
                                     category=rec.category, first_seen=now, last_seen=now))
        else:
            row.title, row.url, row.category, row.last_seen, row.removed_at = (
                rec.title, rec.url, rec.category, now, None)
            session.add(row)
    for k in diff.removed:
        row = rows[k.key]
        row.removed_at = now
        session.add(row)
    note = f"первый обход каталога: {len(current)} записей сохранены как исходные" if diff.baseline else None
    return catalog_entries(diff, when=now), note


def _page(session: Session, source: Source, outcome: SourceOutcome, *,
          now: datetime) -> tuple[list[EntryData], str | None]:
    assert outcome.page_text is not None and source.id is not None
    text = outcome.page_text
    digest = text_hash(text)
    state = session.exec(select(PageState).where(PageState.source_id == source.id)).first()
    if state is None:
        session.add(PageState(source_id=source.id, content_hash=digest, text=text, updated_at=now))
        return [], "первый обход страницы: текст сохранён как исходный"
    if state.content_hash == digest:
        return [], None
    entry = page_change_entry(source.url, outcome.page_title, state.text, text, when=now)
    state.content_hash, state.text, state.updated_at = digest, text, now
    session.add(state)
    return [entry], None
