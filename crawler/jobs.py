"""Plain data passed between the crawl steps: what to crawl (:class:`SourceJob`), what a source's
crawl produced (:class:`SourceOutcome`) and what was stored (:class:`SourceReport`).

Must not import: Scrapy, the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ecitizen import outcomes
from ecitizen.errors import FetchError, SourceError
from ecitizen.pipeline import EntryData
from ecitizen.source_settings import AnySettings


class RobotsDisallowedError(FetchError):
    """robots.txt forbids the page (the source's robots override can lift it)."""

    code = outcomes.ROBOTS_DISALLOWED


class SettingsError(SourceError):
    """The source's stored settings do not validate (added through the web or CLI)."""

    code = outcomes.SETTINGS_ERROR


class CrawlProcessError(SourceError):
    """The crawl process died (killed, crashed) before this source was finished."""

    code = outcomes.CRAWL_FAILED


@dataclass(frozen=True)
class SourceJob:
    source_id: int
    name: str
    kind: str
    url: str
    timezone: str
    settings: AnySettings
    obey_robots: bool
    #: sitemap: URLs already seen (first crawl when empty)
    known_urls: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CatalogRow:
    key: str
    title: str
    url: str
    category: str = ""


@dataclass(frozen=True)
class SourceOutcome:
    """Everything one source's crawl produced; the recorder stores it in one transaction."""

    name: str
    entries: tuple[EntryData, ...] = ()
    error: SourceError | None = None
    status: int | None = None
    pages: int = 0
    warnings: tuple[str, ...] = ()
    #: entries refused while extracting, each with its reason (counted as rejected in the report)
    rejected: tuple[str, ...] = ()
    #: sitemap: every URL found under the prefixes
    sitemap_urls: frozenset[str] | None = None
    #: catalogue: every entry found (None when the kind is not a catalogue)
    catalog: tuple[CatalogRow, ...] | None = None
    #: watched page: the region's text and the page title
    page_text: str | None = None
    page_title: str = ""


@dataclass(frozen=True)
class SourceReport:
    name: str
    kind: str
    #: one of :mod:`ecitizen.outcomes`
    outcome: str
    error: str | None = None
    pages: int = 0
    entries: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: tuple[str, ...] = ()
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceReport:
        return cls(**{**data, "warnings": tuple(data.get("warnings") or ())})


@dataclass(frozen=True)
class CrawlReport:
    started_at: str
    finished_at: str
    exit_code: int
    sources: tuple[SourceReport, ...] = ()
    error: str | None = None
    log_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and not any(outcomes.is_failure(s.outcome) for s in self.sources)

    def as_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "exit_code": self.exit_code,
            "ok": self.ok,
            "error": self.error,
            "log": self.log_path,
            "sources": [s.as_json() for s in self.sources],
            **self.extra,
        }
