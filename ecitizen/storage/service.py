"""The running service's tables: staff users, their sign-in sessions and job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    password_hash: str
    #: manager | librarian
    role: str = "librarian"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the library a librarian works in (``ecitizen.programme``: enters its figures, confirms its sheets)
    library_id: str | None = Field(default=None, foreign_key="library.id", ondelete="SET NULL", index=True)


class WebSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
    copy of the database opens no session. Deleting the row ends the session (logout, password
    change, removed user, "end all sessions")."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    address: str = ""


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: running | ok | error | skipped | interrupted
    outcome: str = "running"
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = None
    #: the process that ran it (``host:pid``; a queue worker's name in distributed mode)
    worker: str | None = None


class JobLock(SQLModel, table=True):
    """One row per job name: who runs it now. Claimed with an atomic UPDATE … WHERE free/expired."""

    __tablename__ = "job_lock"

    job: str = Field(primary_key=True)
    holder: str | None = None
    run_id: int | None = None
    acquired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
