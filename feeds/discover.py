"""Feed discovery: the feed an HTML page names with ``<link rel="alternate" type="…">``.

Pure: bytes in, URLs out. Must not import network or storage code.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from ecitizen.textcodec import decode_html

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """True when the body is an HTML page rather than a feed."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(head.startswith(m) for m in _HTML_MARKERS):
        return True
    if content_type in ("text/html", "application/xhtml+xml"):
        return not (head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head))
    return False


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (type, href, title)
        self.base: str | None = None
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"].strip()
        elif tag == "link":
            rels = a.get("rel", "").lower().split()
            typ = a.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rels and typ in FEED_TYPES and a.get("href", "").strip():
                self.links.append((typ, a["href"].strip(), a.get("title", "")))
        elif tag == "body":
            self.done = True  # feed links live in <head>


def discover_feeds(body: bytes, page_url: str, *, encoding: str | None = None) -> list[str]:
    """Absolute URLs of the feeds an HTML page announces, in the page's order (RSS/Atom first)."""
    text = decode_html(body[:1_000_000], encoding).text
    finder = _LinkFinder()
    try:
        finder.feed(text)
        finder.close()
    except Exception:  # noqa: BLE001, S110 - html.parser is lenient; a failure means "nothing found"
        pass
    base = urljoin(page_url, finder.base) if finder.base else page_url
    ordered = sorted(finder.links, key=lambda link: FEED_TYPES.index(link[0]))
    out: list[str] = []
    for _typ, href, _title in ordered:
        url = urljoin(base, href)
        if url.startswith(("http://", "https://")) and url not in out:
            out.append(url)
    return out
