"""Storage models (SQLModel tables), split by domain.

Every table of the project is declared in this package so that the migrations see one metadata:
``sources``/``items`` (feeds and crawler), ``links`` (the link archive), ``crawl`` (crawler state),
``service`` (users, job runs), ``hostgate`` (per-host politeness shared by queue workers),
``programme`` (libraries, indicators, entered figures). Domain packages import these models; this package imports no
domain package.
"""

from ecitizen.storage.crawl import CatalogEntry, PageState, SeenUrl
from ecitizen.storage.hostgate import HostPace, HostSlot
from ecitizen.storage.items import Item, ItemStatus, TopicIds, topic_text_columns
from ecitizen.storage.links import Link, LinkCheck, LinkEvent, Snapshot
from ecitizen.storage.programme import (
    IndicatorTarget,
    InfoZoneSheet,
    LibraryRecord,
    MediaNoteRecord,
    ProgrammeFigure,
    ProgrammeFigureChange,
)
from ecitizen.storage.service import JobLock, JobRun, User, WebSession
from ecitizen.storage.sources import Source
from ecitizen.storage.types import UTCDateTime, utcnow

__all__ = [
    "CatalogEntry",
    "HostPace",
    "HostSlot",
    "IndicatorTarget",
    "InfoZoneSheet",
    "Item",
    "ItemStatus",
    "JobLock",
    "JobRun",
    "LibraryRecord",
    "Link",
    "LinkCheck",
    "LinkEvent",
    "MediaNoteRecord",
    "PageState",
    "ProgrammeFigure",
    "ProgrammeFigureChange",
    "SeenUrl",
    "Snapshot",
    "Source",
    "TopicIds",
    "UTCDateTime",
    "User",
    "WebSession",
    "topic_text_columns",
    "utcnow",
]
