"""The Scrapy crawler: sites without feeds (listing, sitemap, json, page, catalog, telegram sources).

Entry point for the CLI and the scheduler: :func:`crawler.runner.crawl`. The source form's
«Проверить»: :func:`crawler.preview.preview_entries` (pure; the crawler's own extraction over one
fetched page). Imports the core only.

The front door: the shell and the other parts import only the names in ``__all__``
(``tests/test_front_doors.py`` checks it).
"""

from __future__ import annotations

from ecitizen.crawler.jobs import CrawlReport, SourceReport
from ecitizen.crawler.preview import Preview, PreviewEntry, preview_entries, preview_url
from ecitizen.crawler.runner import crawl

__all__ = [
    "CrawlReport",
    "Preview",
    "PreviewEntry",
    "SourceReport",
    "crawl",
    "preview_entries",
    "preview_url",
]
