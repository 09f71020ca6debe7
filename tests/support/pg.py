"""Throwaway databases on the PostgreSQL server that every development and CI machine runs.

``ECITIZEN_TEST_PG_SERVER`` names the server (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``:
trust auth, user ``postgres``); each test gets a fresh database there, dropped afterwards. The
server is a requirement, not an option: a test that asks for PostgreSQL fails with this message
when it cannot be reached, it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SERVER = os.environ.get("ECITIZEN_TEST_PG_SERVER", DEFAULT_SERVER)


def _connect(url: str) -> object:
    import psycopg

    u = make_url(url)
    try:
        return psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                               password=u.password, dbname=u.database or "postgres", autocommit=True,
                               connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is required for these tests and was not reachable at {u.render_as_string()} ({exc}). "
            "Start it, or point ECITIZEN_TEST_PG_SERVER at one (trust auth, a user allowed to CREATE DATABASE)."
        ) from exc


@contextmanager
def fresh_database(server: str = SERVER) -> Iterator[str]:
    """A new empty database on ``server``; yields its SQLAlchemy URL and drops it at the end."""
    from ecitizen.db import dispose_engines

    name = f"ecitizen_t_{uuid.uuid4().hex[:16]}"
    conn = _connect(server)
    try:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    finally:
        conn.close()  # type: ignore[attr-defined]
    url = make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engines()
        conn = _connect(server)
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        finally:
            conn.close()  # type: ignore[attr-defined]
