"""Public endpoints (no login): feeds, the widget, the link catalogue. Approved content only.

Owns: :class:`PublicCache` — rendered bodies keyed on a cheap version of the approved content
(:func:`ecitizen.queries.public_content_version`: ``max(reviewed_at)``, count, ``max(id)`` of
approved items; the same over links), checked at most
once a second per process, so a request is a dictionary lookup; ETag/Last-Modified/Cache-Control
and 304 answers; CORS ``*`` on the feeds and ``widget.js``; the widget may be framed anywhere.

Rendering is the digest package's (``digest.feeds``, ``digest.publish.render_links_html`` over the
archive's catalogue): the web answers with exactly the bytes ``publish`` writes as static files.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast

from flask import Blueprint, Response, current_app, request

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.queries import public_content_version

bp = Blueprint("public", __name__)

CACHE_CONTROL = "public, max-age=300"
#: public pages: no scripts at all (widget.js is served, never run here); the digest and archive templates
#: carry their own <style> blocks, so inline styles are allowed on these pages only
PUBLIC_CSP = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "object-src 'none'; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


#: which part of the content version each output depends on
DEPENDS = {"atom": "items", "rss": "items", "json": "items", "widget": "items", "links": "links",
           "widget.js": "none"}
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _as_dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class PublicCache:
    """Rendered public outputs, re-rendered only when the part of the content they show changes."""

    def __init__(self, app: App, *, recheck_seconds: float = 1.0, monotonic: Callable[[], float] = time.monotonic):
        self.app = app
        self.recheck_seconds = recheck_seconds
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._version: dict[str, tuple[Any, ...]] | None = None
        self._checked = -1e18
        self._bodies: dict[str, tuple[tuple[Any, ...], Rendered]] = {}
        self.renders = 0

    def _current_version(self) -> dict[str, tuple[Any, ...]]:
        now = self.monotonic()
        version = self._version
        if version is not None and now - self._checked < self.recheck_seconds:
            return version
        with session_scope(self.app.engine) as session:
            version = public_content_version(session)
        self._version, self._checked = version, now
        return version

    def get(self, kind: str) -> Rendered:
        dep = self._current_version()[DEPENDS[kind]]
        hit = self._bodies.get(kind)
        if hit is not None and hit[0] == dep:
            return hit[1]
        with self._lock:
            hit = self._bodies.get(kind)
            if hit is not None and hit[0] == dep:
                return hit[1]
            body, ctype = RENDERERS[kind](self.app)
            self.renders += 1
            stamps = [d for d in (_as_dt(v) for v in dep) if d is not None]
            last_mod = max(stamps, default=EPOCH).replace(microsecond=0)
            tag = hashlib.sha256(repr((kind, dep)).encode() + body).hexdigest()[:32]
            rendered = Rendered(body, ctype, f'"{tag}"', last_mod)
            self._bodies[kind] = (dep, rendered)
            return rendered


# -- renderers (the digest package's: the same bytes ``publish`` writes as static files) -----------

def _feed_views(app: App) -> list[Any]:
    from ecitizen.digest import load_public_items

    with session_scope(app.engine) as session:
        return list(load_public_items(session))


def _feed(kind: str) -> Callable[[App], tuple[bytes, str]]:
    ctype = {
        "atom": "application/atom+xml; charset=utf-8",
        "rss": "application/rss+xml; charset=utf-8",
        "json": "application/feed+json; charset=utf-8",
    }[kind]

    def render(app: App) -> tuple[bytes, str]:
        from ecitizen.digest import build_feeds

        return build_feeds(_feed_views(app), config=app.config, now=app.now())[kind], ctype

    return render


def render_widget(app: App) -> tuple[bytes, str]:
    from ecitizen.digest import render_widget_html

    html = render_widget_html(_feed_views(app), config=app.config, now=app.now())
    return html.encode("utf-8"), "text/html; charset=utf-8"


def render_widget_js(app: App) -> tuple[bytes, str]:
    from ecitizen.digest import widget_js

    return widget_js(), "text/javascript; charset=utf-8"


def render_links(app: App) -> tuple[bytes, str]:
    from ecitizen.digest import render_links_html  # the archive's catalogue, as ``publish`` writes it

    with session_scope(app.engine) as session:
        html = render_links_html(session, app.config, now=app.now())
    return html.encode("utf-8"), "text/html; charset=utf-8"


RENDERERS: dict[str, Callable[[App], tuple[bytes, str]]] = {
    "atom": _feed("atom"),
    "rss": _feed("rss"),
    "json": _feed("json"),
    "widget": render_widget,
    "widget.js": render_widget_js,
    "links": render_links,
}


# -- HTTP -----------------------------------------------------------------------------------------

def is_not_modified(rendered: Rendered, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110: If-None-Match wins; otherwise If-Modified-Since against Last-Modified."""
    if if_none_match:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or rendered.etag in tags or f"W/{rendered.etag}" in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return rendered.last_modified <= since
    return False


def _cache() -> PublicCache:
    cache = current_app.extensions.get("ecitizen_public_cache")
    if cache is None:
        cache = current_app.extensions["ecitizen_public_cache"] = PublicCache(current_app.extensions["ecitizen"])
    return cast(PublicCache, cache)


def serve(kind: str, *, cors: bool = False, frameable: bool = False) -> Response:
    rendered = _cache().get(kind)
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": format_datetime(rendered.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Content-Security-Policy": PUBLIC_CSP + ("; frame-ancestors *" if frameable else "; frame-ancestors 'none'"),
        "Vary": "Accept-Encoding",
    }
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    if is_not_modified(rendered, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")):
        resp = Response(status=304, headers=headers)
        # waitress closes a keep-alive connection after a 304 without a length; 0 keeps it open
        resp.headers["Content-Length"] = "0"
        return resp
    return Response(rendered.body, status=200, headers=headers, content_type=rendered.content_type)


@bp.get("/feed.atom")
def feed_atom() -> Response:
    return serve("atom", cors=True)


@bp.get("/feed.rss")
def feed_rss() -> Response:
    return serve("rss", cors=True)


@bp.get("/feed.json")
def feed_json() -> Response:
    return serve("json", cors=True)


@bp.get("/widget")
def widget() -> Response:
    return serve("widget", frameable=True)


@bp.get("/widget.js")
def widget_js() -> Response:
    return serve("widget.js", cors=True)


@bp.get("/links")
def links() -> Response:
    return serve("links")


@bp.get("/favicon.ico")
def favicon() -> Response:
    return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})
