"""The feed reader: fetch (``ecitizen.fetch``), parse (RSS/Atom/JSON Feed), poll due sources,
OPML import/export. Imports the core (``ecitizen``); the core never imports this package.

The front door: the shell and the other parts import only the names in ``__all__``
(``tests/test_front_doors.py`` checks it).
"""

from __future__ import annotations

from ecitizen.feeds.discover import discover_feeds, looks_like_html
from ecitizen.feeds.opml import ImportOutcome, OpmlFeed, export_sources, import_feeds, parse_opml, render_opml
from ecitizen.feeds.parse import ParsedFeed, parse_feed
from ecitizen.feeds.poll import HostLimit, PollReport, SourceGroup, SourceResult, plan_poll, poll, poll_sources
from ecitizen.feeds.resolve import NO_FEED, resolve_feed_url

__all__ = [
    "NO_FEED",
    "HostLimit",
    "ImportOutcome",
    "OpmlFeed",
    "ParsedFeed",
    "PollReport",
    "SourceGroup",
    "SourceResult",
    "discover_feeds",
    "export_sources",
    "import_feeds",
    "looks_like_html",
    "parse_feed",
    "parse_opml",
    "plan_poll",
    "poll",
    "poll_sources",
    "render_opml",
    "resolve_feed_url",
]
