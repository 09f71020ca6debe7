"""Public endpoints (no login): feeds, the widget, the link catalogue. Approved content only.

Owns: :class:`PublicCache` — the public outputs published once: bytes, strong ETag (a hash of the
bytes), Last-Modified and the response headers, built together per part of the content they
show (the feeds and the widget from one read of the newest approved items; the catalogue from the
links) and rebuilt only when that part changes. Whether it changed is read from a cheap version of
the content (:func:`ecitizen.queries.public_content_version`: the ids and review stamps of the
newest approved items the feeds show; the newest check, review and count of links), at most once a
second per process and by one
request at a time — the others go on serving the published bytes, so a request is a dictionary
lookup and a 304 or the stored bytes. CORS ``*`` on the feeds and ``widget.js``; the widget may be
framed anywhere.

Rendering is the digest package's (``digest.feeds``, ``digest.publish.render_links_html`` over the
archive's catalogue): the web answers with exactly the bytes ``publish`` writes as static files.
The same pages under the file names ``publish`` writes (``/widget.html``, ``/links.html``) are
:mod:`.published`'s routes over :func:`serve`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, request

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
    """One published output: its bytes and what its answers carry."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    #: response headers per (cors, frameable), made on first use (the same for every request)
    _headers: dict[tuple[bool, bool], dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def headers(self, *, cors: bool, frameable: bool) -> dict[str, str]:
        """The headers of a 200 or 304 answer (without Content-Type/Length)."""
        made = self._headers.get((cors, frameable))
        if made is None:
            made = {
                "ETag": self.etag,
                "Last-Modified": format_datetime(self.last_modified.astimezone(UTC), usegmt=True),
                "Cache-Control": CACHE_CONTROL,
                "Content-Security-Policy": PUBLIC_CSP + ("; frame-ancestors *" if frameable
                                                         else "; frame-ancestors 'none'"),
                "Vary": "Accept-Encoding",
            }
            if cors:
                made["Access-Control-Allow-Origin"] = "*"
                made["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
            self._headers[(cors, frameable)] = made
        return made


#: which part of the content version each output depends on
DEPENDS = {"atom": "items", "rss": "items", "json": "items", "widget": "items", "links": "links",
           "widget.js": "none"}
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


#: the feeds and the widget are built from this many newest approved items (and their version
#: is those items' ids and review stamps: :func:`ecitizen.queries.public_content_version`)
PUBLIC_WINDOW = 500


def _as_dt(value: Any) -> datetime | None:
    """A stamp of the content version as a datetime (SQLite's max() gives text); None for others."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or ":" not in value or value.startswith("window:"):
        return None
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class PublicCache:
    """The published outputs, rebuilt only when the part of the content they show changes."""

    def __init__(self, app: App, *, recheck_seconds: float = 1.0, monotonic: Callable[[], float] = time.monotonic):
        self.app = app
        self.recheck_seconds = recheck_seconds
        self.monotonic = monotonic
        self._build_lock = threading.Lock()
        self._look_lock = threading.Lock()
        self._version: dict[str, tuple[Any, ...]] | None = None
        self._checked = -1e18
        #: output → (the version of its part it was built from, the output)
        self._bodies: dict[str, tuple[tuple[Any, ...], Rendered]] = {}
        #: how many times a part's outputs were built (one read of the content each)
        self.renders = 0

    @property
    def builds(self) -> int:
        return self.renders

    def expire(self) -> None:
        """Look at the database again on the next request (not after the recheck interval)."""
        self._checked = -1e18

    def _current_version(self) -> dict[str, tuple[Any, ...]]:
        version = self._version
        if version is not None and self.monotonic() - self._checked < self.recheck_seconds:
            return version
        # one request looks; the others serve what is published meanwhile (never a queue of lookups)
        if not self._look_lock.acquire(blocking=version is None):
            assert version is not None
            return version
        try:
            now = self.monotonic()
            if self._version is None or now - self._checked >= self.recheck_seconds:
                with session_scope(self.app.engine) as session:
                    self._version = public_content_version(session, window=PUBLIC_WINDOW)
                self._checked = now
            return self._version
        finally:
            self._look_lock.release()

    def get(self, kind: str) -> Rendered:
        part = DEPENDS[kind]
        dep = self._current_version()[part]
        hit = self._bodies.get(kind)
        if hit is not None and hit[0] == dep:
            return hit[1]
        # one request builds; while it does, the others serve the outputs published before
        if not self._build_lock.acquire(blocking=hit is None):
            assert hit is not None
            return hit[1]
        try:
            hit = self._bodies.get(kind)
            if hit is not None and hit[0] == dep:
                return hit[1]
            self.renders += 1
            stamps = [d for d in (_as_dt(v) for v in dep) if d is not None]
            last_mod = max(stamps, default=EPOCH).replace(microsecond=0)
            for name, (body, ctype) in BUILDERS[part](self.app).items():
                tag = hashlib.sha256(body).hexdigest()[:32]
                old = self._bodies.get(name)
                rendered = (old[1] if old is not None and old[1].etag == f'"{tag}"'
                            else Rendered(body, ctype, f'"{tag}"', last_mod))
                self._bodies[name] = (dep, rendered)
            return self._bodies[kind][1]
        finally:
            self._build_lock.release()


# -- builders (the digest package's: the same bytes ``publish`` writes as static files) -------------

def _feed_views(app: App) -> list[Any]:
    """The newest approved items (``digest.load_public_items``: a few hundred rows, however big the
    archive)."""
    from ecitizen.digest import load_public_items

    with session_scope(app.engine) as session:
        return list(load_public_items(session, limit=PUBLIC_WINDOW))


FEED_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def build_item_outputs(app: App) -> dict[str, tuple[bytes, str]]:
    """The three feeds and the widget from one read of the newest approved items."""
    from ecitizen.digest import build_feeds, render_widget_html

    views = _feed_views(app)
    now = app.now()
    out = {k: (body, FEED_TYPES[k]) for k, body in build_feeds(views, config=app.config, now=now).items()}
    html = render_widget_html(views, config=app.config, now=now)
    out["widget"] = (html.encode("utf-8"), "text/html; charset=utf-8")
    return out


def render_widget_js(app: App) -> dict[str, tuple[bytes, str]]:
    from ecitizen.digest import widget_js

    return {"widget.js": (widget_js(), "text/javascript; charset=utf-8")}


def render_links(app: App) -> dict[str, tuple[bytes, str]]:
    from ecitizen.digest import render_links_html  # the archive's catalogue, as ``publish`` writes it

    with session_scope(app.engine) as session:
        html = render_links_html(session, app.config, now=app.now())
    return {"links": (html.encode("utf-8"), "text/html; charset=utf-8")}


#: part of the content → the outputs built from it, together
BUILDERS: dict[str, Callable[[App], dict[str, tuple[bytes, str]]]] = {
    "items": build_item_outputs,
    "links": render_links,
    "none": render_widget_js,
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


def cache_of(web: Flask) -> PublicCache:
    """The Flask app's published outputs (made on first use)."""
    cache = web.extensions.get("ecitizen_public_cache")
    if cache is None:
        with _made:
            cache = web.extensions.get("ecitizen_public_cache")
            if cache is None:
                cache = web.extensions["ecitizen_public_cache"] = PublicCache(web.extensions["ecitizen"])
    return cast(PublicCache, cache)


_made = threading.Lock()


def serve(kind: str, *, cors: bool = False, frameable: bool = False) -> Response:
    """The published bytes of ``kind`` with their headers, or 304 when the client has them."""
    rendered = cache_of(current_app).get(kind)
    headers = rendered.headers(cors=cors, frameable=frameable)
    environ = request.environ
    if is_not_modified(rendered, environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")):
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
