"""Database adapter: engine creation, pragmas, migrations, sessions.

Owns: how we connect (SQLite with WAL, foreign keys and a busy timeout; PostgreSQL by URL),
applying Alembic migrations automatically, and the ``session_scope`` unit of work.
Must not import any domain package.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

import ecitizen.storage  # noqa: F401 - registers every table on SQLModel.metadata
from ecitizen.errors import StorageError
from ecitizen.storage.types import json_serializer

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # a checkpoint every ~40 MB of WAL instead of every 4 MB: a cold poll's 10,000 items set off
    # one instead of eight (each syncs the WAL and the database; an index page written by many
    # commits is copied once). Measured: the cold poll −7 % on this project's CI disk (benchmarks.md)
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; a SQLite file's folder is created if missing."""
    # JSON prepared by a worker process goes in as it is (see ecitizen.storage.types.JSONText)
    kwargs: dict[str, Any] = {"json_serializer": json_serializer}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            db_file = Path(path)
            db_file.parent.mkdir(parents=True, exist_ok=True)
            # the database holds password hashes and sessions: private, unlike the outputs (0644).
            # SQLite gives its -wal/-shm files the main file's permissions.
            fd = os.open(db_file, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StorageError(f"cannot open database {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(url: str) -> Engine:
    """One engine per URL for the process (engines pool connections)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


#: the PostgreSQL advisory lock key held while migrating ("ecitizen" in ASCII, as a bigint)
MIGRATION_LOCK_KEY = 0x6563_6974_697A_656E


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time, so two processes started together on a fresh database
    never both create the same table: ``flock`` on a file beside a SQLite database (one machine),
    a transaction-level advisory lock on PostgreSQL (taken in :func:`migrate`'s transaction)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest migration (idempotent, safe to run concurrently)."""
    engine = get_engine(url)
    cfg = alembic_config(url)
    try:
        with _migration_lock(engine), engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate database: {exc}") from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commits on success, rolls back on any exception."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
