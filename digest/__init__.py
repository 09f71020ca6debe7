"""Everything the service produces for people: the weekly digest, info-zone posters, media
notes, the public feed/embeds and the programme's results page.

Layout: ``periods``, ``select``, ``layout`` and ``metrics`` are pure (plain data in, plain data
out); ``data`` reads rows into those plain values; ``render`` owns the Jinja2 environments;
``weekly``, ``poster``, ``media``, ``feeds``, ``publish`` are thin adapters that write files
(atomically) or send mail. Imports the core, ``archive`` (the link report / catalogue) and
``programme``'s front door (the libraries, the counted indicators 6 and 8, the results page).

The front door: the shell and the other parts import only the names in ``__all__``
(``tests/test_front_doors.py`` checks it).
"""

from __future__ import annotations

from ecitizen.digest.feeds import build_feeds, load_public_items, render_widget_html, widget_js
from ecitizen.digest.layout import POSTER_SIZES, POSTER_TEXT_MAX, POSTER_TITLE_MAX
from ecitizen.digest.media import make_media_note
from ecitizen.digest.poster import (
    LibraryPoster,
    PosterItem,
    PosterPreview,
    PosterRun,
    make_poster_run,
    make_posters,
    poster_preview,
)
from ecitizen.digest.publish import publish, render_links_html
from ecitizen.digest.weekly import WeeklyResult, make_weekly

__all__ = [
    "POSTER_SIZES",
    "POSTER_TEXT_MAX",
    "POSTER_TITLE_MAX",
    "LibraryPoster",
    "PosterItem",
    "PosterPreview",
    "PosterRun",
    "WeeklyResult",
    "build_feeds",
    "load_public_items",
    "make_media_note",
    "make_poster_run",
    "make_posters",
    "make_weekly",
    "poster_preview",
    "publish",
    "render_links_html",
    "render_widget_html",
    "widget_js",
]
