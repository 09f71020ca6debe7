"""``publish``: the static files the libraries' website embeds, from approved items only.

Writes (atomically, so a reader never sees half a file): ``feed.atom``, ``feed.rss``,
``feed.json``, ``widget.html``, ``widget.js``, ``links.html`` (the archive's public link
catalogue), ``posters/`` (the latest month's PDFs already made by ``poster``), ``index.html``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ecitizen.app import App
from ecitizen.config import Config
from ecitizen.db import session_scope
from ecitizen.digest.feeds import FEED_FILES, build_feeds, load_public_items, render_widget_html, widget_js
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.files import write_atomic

log = logging.getLogger("ecitizen.digest")

CATALOGUE_TITLE = "Полезные ссылки: электронные услуги для жителей Омска"


def render_links_html(session: Any, config: Config, *, now: datetime) -> str:
    """The public link catalogue: the archive's renderer if available, else the built-in one."""
    from sqlmodel import col, select

    from ecitizen.storage import Link

    links = list(session.exec(select(Link).order_by(col(Link.category), col(Link.title), col(Link.url))))
    try:
        from ecitizen.archive import render_catalogue_html  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return _builtin_catalogue(links, config, now=now)
    return str(render_catalogue_html(links, title=CATALOGUE_TITLE, generated_at=now))


def _builtin_catalogue(links: Sequence[Any], config: Config, *, now: datetime) -> str:
    from ecitizen.urls import display_url

    groups: dict[str, list[dict[str, str]]] = {}
    for lk in links:
        if lk.status in ("broken", "dns_error", "soft_404"):
            continue  # a broken link is not offered to the public
        url = lk.final_url if lk.status in ("moved",) and lk.final_url else lk.url
        groups.setdefault(lk.category or "", []).append(
            {"url": url, "display_url": display_url(url), "title": lk.title, "description": lk.description})
    return renderer_for(config).render("links.html", title=CATALOGUE_TITLE, generated_at=now,
                                       groups=sorted(groups.items()))


def latest_posters(config: Config) -> list[Path]:
    folder = out_dir_for(config, None, "posters")
    if not folder.is_dir():
        return []
    months = sorted((p for p in folder.iterdir() if p.is_dir() and len(p.name) == 7), key=lambda p: p.name)
    for month in reversed(months):
        pdfs = sorted(month.glob("*.pdf"))
        if pdfs:
            return pdfs
    return []


def publish(app: App, *, out_dir: Path) -> list[Path]:
    out = Path(out_dir)
    now = app.now()
    config = app.config
    with session_scope(app.engine) as session:
        items = load_public_items(session)
        links_html = render_links_html(session, config, now=now)
    feeds = build_feeds(items, config=config, now=now)
    paths = [write_atomic(out / FEED_FILES[k], data) for k, data in feeds.items()]
    paths.append(write_atomic(out / "widget.html", render_widget_html(items, config=config, now=now)))
    paths.append(write_atomic(out / "widget.js", widget_js()))
    paths.append(write_atomic(out / "links.html", links_html))
    posters: list[str] = []
    for pdf in latest_posters(config):
        if pdf.resolve().parent == (out / "posters").resolve():
            continue
        paths.append(write_atomic(out / "posters" / pdf.name, pdf.read_bytes()))
        posters.append(pdf.name)
    if posters:  # only the latest month's posters stay on the site
        for old in (out / "posters").glob("poster-*.pdf"):
            if old.name not in posters:
                old.unlink()
    from ecitizen.digest.select import select_feed

    count = len(select_feed(items))
    paths.append(write_atomic(out / "index.html", renderer_for(config).render(
        "index.html", generated_at=now, count=count, posters=posters)))
    return paths
