"""The public feed and embeds: Atom 1.0, RSS 2.0, JSON Feed 1.1, ``widget.html`` and ``widget.js``.

Approved items only (:func:`digest.select.select_feed`). XML is built with ElementTree (escaping by
construction), JSON with :mod:`json`. Ids are stable ``urn:uuid:`` values derived from the
source name and the item's GUID, so they survive a rebuilt database and a changed site address.
Dates are RFC 3339 (Atom, JSON) / RFC 822 (RSS); links are absolute.
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ecitizen.config import Config
from ecitizen.digest.select import ItemView, clean_print, select_feed, short_explanation
from ecitizen.html import sanitize_html
from ecitizen.storage import Item

ATOM_NS = "http://www.w3.org/2005/Atom"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
FEED_LIMIT = 50
WIDGET_LIMIT = 10
SUMMARY_MAX = 400
STATIC_DIR = Path(__file__).parent / "static"
FEED_FILES = {"atom": "feed.atom", "rss": "feed.rss", "json": "feed.json"}
CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_ID_NAMESPACE = uuid.UUID("6f1d3f5e-4c1b-5a7e-9a53-65636974697a")  # fixed: ids must never change


def entry_id(item: ItemView) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, f"item\x00{item.source}\x00{item.guid}"))


def feed_id(config: Config) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, f"feed\x00{config.outputs.feed_title}"))


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base(config: Config) -> str:
    return config.outputs.public_base_url.rstrip("/")


def as_views(items: Iterable[Any]) -> list[ItemView]:
    """Accept :class:`ItemView`, ``(Item, source_name)`` rows or bare ``Item`` rows."""
    from ecitizen.digest.data import item_view

    out: list[ItemView] = []
    for it in items:
        if isinstance(it, ItemView):
            out.append(it)
        elif isinstance(it, tuple):
            out.append(item_view(it[0], it[1]))
        elif isinstance(it, Item):
            out.append(item_view(it, ""))
        else:
            raise TypeError(f"not an item: {type(it).__name__}")
    return out


def _summary(item: ItemView) -> str:
    return short_explanation(item, SUMMARY_MAX)


def _updated(items: list[ItemView], now: datetime) -> datetime:
    # the newest item date keeps the feed byte-identical between runs when nothing changed
    return max((i.when for i in items), default=now)


def _topic_titles(config: Config) -> dict[str, str]:
    return {t.id: t.title for t in config.topics}


def build_atom(items: list[ItemView], *, config: Config, now: datetime) -> bytes:
    # the default namespace is declared literally: ET's namespace registry is process-wide state
    # (the web server renders feeds from several threads), so tags stay unqualified here
    a = ""
    base = _base(config)
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "ru"})
    ET.SubElement(feed, f"{a}id").text = feed_id(config)
    ET.SubElement(feed, f"{a}title", type="text").text = clean_print(config.outputs.feed_title)
    ET.SubElement(feed, f"{a}subtitle", type="text").text = (
        f"Программа «{clean_print(config.outputs.programme_name)}»: проверенные библиотекарями новости")
    ET.SubElement(feed, f"{a}updated").text = _rfc3339(_updated(items, now))
    author = ET.SubElement(feed, f"{a}author")
    ET.SubElement(author, f"{a}name").text = clean_print(config.outputs.organisation)
    ET.SubElement(author, f"{a}uri").text = base + "/"
    ET.SubElement(feed, f"{a}link", rel="self", type="application/atom+xml", href=f"{base}/feed.atom")
    ET.SubElement(feed, f"{a}link", rel="alternate", type="text/html", href=f"{base}/widget")
    ET.SubElement(feed, f"{a}generator", uri="https://example.invalid/ecitizen", version="0.1").text = (
        "e-citizen watch")
    titles = _topic_titles(config)
    for it in items:
        e = ET.SubElement(feed, f"{a}entry")
        ET.SubElement(e, f"{a}id").text = entry_id(it)
        ET.SubElement(e, f"{a}title", type="text").text = clean_print(it.title)
        ET.SubElement(e, f"{a}link", rel="alternate", type="text/html", href=it.url)
        if it.published_at:
            ET.SubElement(e, f"{a}published").text = _rfc3339(it.published_at)
        ET.SubElement(e, f"{a}updated").text = _rfc3339(it.when)
        for tid in it.topic_ids:
            attrs = {"term": tid}
            if tid in titles:
                attrs["label"] = titles[tid]
            ET.SubElement(e, f"{a}category", attrs)
        if it.is_new_service:
            ET.SubElement(e, f"{a}category", term="new-service", label="Новая онлайн-услуга")
        summary = _summary(it)
        if summary:
            ET.SubElement(e, f"{a}summary", type="text").text = summary
        if it.summary_html:
            ET.SubElement(e, f"{a}content", type="html").text = sanitize_html(it.summary_html, base_url=it.url)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode").encode("utf-8")


def build_rss(items: list[ItemView], *, config: Config, now: datetime) -> bytes:
    base = _base(config)
    # the atom:link self reference, declared literally (no process-wide ET namespace registry)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    ch = ET.SubElement(rss, "channel")
    ET.SubElement(ch, "title").text = clean_print(config.outputs.feed_title)
    ET.SubElement(ch, "link").text = base + "/"
    ET.SubElement(ch, "description").text = (
        f"Программа «{clean_print(config.outputs.programme_name)}»: проверенные библиотекарями новости")
    ET.SubElement(ch, "language").text = "ru"
    ET.SubElement(ch, "lastBuildDate").text = format_datetime(_updated(items, now).astimezone(UTC), usegmt=True)
    ET.SubElement(ch, "generator").text = "e-citizen watch"
    ET.SubElement(ch, "atom:link", rel="self", type="application/rss+xml", href=f"{base}/feed.rss")
    titles = _topic_titles(config)
    for it in items:
        e = ET.SubElement(ch, "item")
        ET.SubElement(e, "title").text = clean_print(it.title)
        ET.SubElement(e, "link").text = it.url
        ET.SubElement(e, "guid", isPermaLink="false").text = entry_id(it)
        ET.SubElement(e, "pubDate").text = format_datetime(it.when.astimezone(UTC), usegmt=True)
        for tid in it.topic_ids:
            ET.SubElement(e, "category").text = titles.get(tid, tid)
        desc = sanitize_html(it.summary_html, base_url=it.url) if it.summary_html else _summary(it)
        if desc:
            ET.SubElement(e, "description").text = desc
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(rss, encoding="unicode").encode("utf-8")


def build_json(items: list[ItemView], *, config: Config, now: datetime) -> bytes:
    base = _base(config)
    titles = _topic_titles(config)
    out_items: list[dict[str, Any]] = []
    for it in items:
        entry: dict[str, Any] = {
            "id": entry_id(it),
            "url": it.url,
            "title": clean_print(it.title),
            "content_text": clean_print(it.summary_text) or clean_print(it.title),
            "date_published": _rfc3339(it.when),
            "tags": [titles.get(t, t) for t in it.topic_ids] + (["Новая онлайн-услуга"] if it.is_new_service else []),
        }
        if it.summary_html:
            entry["content_html"] = sanitize_html(it.summary_html, base_url=it.url)
        summary = _summary(it)
        if summary:
            entry["summary"] = summary
        if not entry["tags"]:
            del entry["tags"]
        out_items.append(entry)
    doc = {
        "version": JSONFEED_VERSION,
        "title": clean_print(config.outputs.feed_title),
        "home_page_url": base + "/",
        "feed_url": f"{base}/feed.json",
        "description": f"Программа «{clean_print(config.outputs.programme_name)}»",
        "language": "ru",
        "authors": [{"name": clean_print(config.outputs.organisation), "url": base + "/"}],
        "items": out_items,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def build_feeds(items: Iterable[Any], *, config: Config, now: datetime, limit: int = FEED_LIMIT) -> dict[str, bytes]:
    """``{"atom": …, "rss": …, "json": …}`` from approved items (others are dropped here)."""
    chosen = select_feed(as_views(items), limit=limit)
    return {
        "atom": build_atom(chosen, config=config, now=now),
        "rss": build_rss(chosen, config=config, now=now),
        "json": build_json(chosen, config=config, now=now),
    }


def render_widget_html(items: Iterable[Any], *, config: Config, now: datetime, limit: int = WIDGET_LIMIT) -> str:
    """An iframe-able list of the newest approved items (Jinja2, autoescaped)."""
    from ecitizen.digest.files import renderer_for

    chosen = select_feed(as_views(items), limit=limit)
    return renderer_for(config).render(
        "widget.html", items=chosen, generated_at=now, feed_title=config.outputs.feed_title,
        explain=lambda it: short_explanation(it, 200),
    )


def widget_js() -> bytes:
    """The embed script: renders ``feed.json`` into an element with text nodes only."""
    return (STATIC_DIR / "widget.js").read_bytes()


def load_public_items(session: Any, *, limit: int = 500) -> list[ItemView]:
    """The ``limit`` newest approved items, for the feed (the adapter for ``publish`` and the web).

    A keyset read of about ``limit`` rows (:func:`ecitizen.queries.list_items` with a limit), so
    building the feeds costs the same at 300,000 items as at 300; the web's public cache watches
    the same window (:func:`ecitizen.queries.public_content_version`).
    """
    from ecitizen.digest.data import item_view
    from ecitizen.queries import ItemFilter, list_items

    return [item_view(i, n) for i, n in list_items(session, ItemFilter(status="approved", limit=limit))]
