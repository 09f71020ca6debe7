"""OPML import and export of feed sources.

Owns: reading OPML (with defusedxml: no entity tricks) into :class:`OpmlFeed` values, and writing
feed sources as OPML 2.0. Pure apart from the two small storing functions at the end; adding goes
through the one operation of the core (:func:`ecitizen.sources.add_source`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from sqlmodel import Session, select

from ecitizen.errors import ParseError
from ecitizen.sources import SourceInput, SourceRefusedError, SourceRules, add_source
from ecitizen.storage import Source
from ecitizen.urls import display_host

MAX_OPML_BYTES = 5_000_000


@dataclass(frozen=True)
class OpmlFeed:
    name: str
    url: str
    html_url: str | None = None
    topics: tuple[str, ...] = ()
    interval_minutes: int | None = None


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    url: str
    status: str  # added | skipped
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "status": self.status, "reason": self.reason}


def _slug(text: str) -> str:
    s = re.sub(r"\s+", " ", text).strip()
    return s[:120]


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Feeds listed in an OPML document (nested outlines flattened; categories become topics)."""
    if len(data) > MAX_OPML_BYTES:
        raise ParseError(f"OPML file larger than {MAX_OPML_BYTES} bytes")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ParseError(f"OPML refused: {type(exc).__name__} (DTDs and entities are not allowed)") from exc
    except SafeET.ParseError as exc:
        raise ParseError(f"not a valid OPML file: {exc}") from exc
    if root.tag.lower() != "opml":
        raise ParseError(f"not an OPML file (root element <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise ParseError("OPML file has no <body>")
    out: list[OpmlFeed] = []

    def walk(node: Any, inherited: tuple[str, ...]) -> None:
        for o in node.findall("outline"):
            cats = inherited
            cat_attr = o.get("category") or ""
            own = tuple(c.strip().strip("/") for c in re.split(r"[,]", cat_attr) if c.strip().strip("/"))
            xml_url = (o.get("xmlUrl") or o.get("xmlurl") or "").strip()
            title = _slug(o.get("title") or o.get("text") or "")
            if xml_url:
                name = title or display_host(urlsplit(xml_url).hostname or "") or xml_url
                interval = o.get("ecitizenInterval")
                out.append(OpmlFeed(
                    name=name, url=xml_url, html_url=(o.get("htmlUrl") or None),
                    topics=tuple(dict.fromkeys(cats + own)),
                    interval_minutes=int(interval) if interval and interval.isdigit() else None,
                ))
            else:
                # a folder: its text may name a topic id
                walk(o, cats + own)

    walk(body, ())
    return out


def render_opml(sources: list[Source], *, title: str = "e-citizen watch feeds") -> bytes:
    """OPML 2.0 of feed sources (topics in ``category``, interval in ``ecitizenInterval``)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    body = SubElement(root, "body")
    for s in sources:
        attrs = {"type": "rss", "text": s.name, "title": s.name, "xmlUrl": s.feed_url or s.url}
        if s.feed_url and s.feed_url != s.url:
            attrs["htmlUrl"] = s.url
        if s.topics:
            attrs["category"] = ",".join(s.topics)
        if s.interval_minutes:
            attrs["ecitizenInterval"] = str(s.interval_minutes)
        SubElement(body, "outline", attrs)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(tostring(root, encoding="utf-8", xml_declaration=False))


def export_sources(session: Session) -> list[Source]:
    return list(session.exec(select(Source).where(Source.kind == "feed").order_by(Source.name)))


def import_feeds(
    session: Session, feeds: list[OpmlFeed], *, allow_private: bool, known_topics: Iterable[str],
    min_interval_minutes: int = 1,
) -> list[ImportOutcome]:
    """Add OPML feeds as sources (origin "opml") through :func:`ecitizen.sources.add_source`.

    Categories that are not topic ids are dropped (OPML folders are loose); a feed the rules refuse
    (a name or address already watched, an unsafe URL, too short an interval) is skipped with the
    reason. The feeds are not fetched: an OPML entry names the feed itself.
    """
    known = frozenset(known_topics)
    rules = SourceRules(known, min_interval_minutes, allow_private)
    out: list[ImportOutcome] = []
    for f in feeds:
        data = SourceInput(name=f.name, url=f.url, kind="feed", topics=tuple(t for t in f.topics if t in known),
                           interval_minutes=f.interval_minutes)
        try:
            saved = add_source(session, data, rules, origin="opml")
        except SourceRefusedError as exc:
            out.append(ImportOutcome(f.name, f.url, "skipped", "; ".join(p.problem for p in exc.problems)))
            continue
        out.append(ImportOutcome(f.name, saved.source.url, "added"))
    session.flush()
    return out
