"""Everything the service produces for people: the weekly digest, info-zone posters, media
notes and the public feed/embeds.

Layout: ``periods`` and ``select`` are pure (plain data in, plain data out); ``data`` reads rows
into those plain values; ``render`` owns the Jinja2 environments; ``weekly``, ``poster``, ``media``,
``feeds``, ``publish`` are thin adapters that write files (atomically) or send mail.
Imports the core and ``archive`` (the link report / catalogue) only.

The front door: the shell and the other parts import only the names in ``__all__``
(``tests/test_front_doors.py`` checks it).
"""

from __future__ import annotations

from ecitizen.digest.feeds import build_feeds, load_public_items, render_widget_html, widget_js
from ecitizen.digest.media import make_media_note
from ecitizen.digest.poster import make_posters
from ecitizen.digest.publish import publish, render_links_html
from ecitizen.digest.weekly import WeeklyResult, make_weekly

__all__ = [
    "WeeklyResult",
    "build_feeds",
    "load_public_items",
    "make_media_note",
    "make_posters",
    "make_weekly",
    "publish",
    "render_links_html",
    "render_widget_html",
    "widget_js",
]
