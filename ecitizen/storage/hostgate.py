"""The host gate's tables: per-host politeness shared by every process on one PostgreSQL database.

``host_slot``: ``limit`` rows per host, each a lease on one request in flight to that host (a
holder and an expiry, so a killed holder frees its slot when the lease runs out). ``host_pace``:
one row per host, the earliest time the next request to it may start (the minimum interval).
Read and written only by :mod:`ecitizen.hostgate`, with plain SQL (row locks, ``SKIP LOCKED``).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime


class HostSlot(SQLModel, table=True):
    __tablename__ = "host_slot"

    host: str = Field(primary_key=True)
    slot: int = Field(primary_key=True)
    #: who holds the slot now (``host:pid:random`` of one gate), None when free
    holder: str | None = None
    #: the lease: after this the slot is free again whoever holds it
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HostPace(SQLModel, table=True):
    __tablename__ = "host_pace"

    host: str = Field(primary_key=True)
    #: the earliest start of the next request to the host (the previous start + the interval)
    next_start_at: datetime = Field(sa_type=UTCDateTime)
