"""``publish``: the static files the libraries' website embeds, from approved items only.

Writes (atomically, so a reader never sees half a file): ``feed.atom``, ``feed.rss``,
``feed.json``, ``widget.html``, ``widget.js``, ``links.html`` (the archive's public link
catalogue), ``results-<year>.html`` (the programme's results page, ``programme.render_results_html``:
this year, and the last one in January), ``posters/`` (the latest month's PDFs already made by
``poster``), ``index.html``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from ecitizen.app import App
from ecitizen.archive import list_links, render_catalogue_html
from ecitizen.config import Config
from ecitizen.db import session_scope
from ecitizen.digest.feeds import FEED_FILES, build_feeds, load_public_items, render_widget_html, widget_js
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.files import write_atomic
from ecitizen.programme import render_results_html

log = logging.getLogger("ecitizen.digest")

CATALOGUE_TITLE = "Полезные ссылки: электронные услуги для жителей Омска"


def render_links_html(session: Session, config: Config, *, now: datetime) -> str:
    """The public link catalogue: the archive's page over every link (the archive decides which
    links the public sees and at which address), dated in the configured time zone."""
    return render_catalogue_html(list_links(session), title=CATALOGUE_TITLE, generated_at=now.astimezone(config.tz))


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


def results_years(local_now: datetime) -> list[int]:
    """The years whose results page is kept up to date: this one, and in January the last one
    too (its December figures are still being entered)."""
    year = local_now.year
    return [year - 1, year] if local_now.month == 1 else [year]


def publish(app: App, *, out_dir: Path) -> list[Path]:
    out = Path(out_dir)
    now = app.now()
    config = app.config
    years = results_years(now.astimezone(config.tz))
    with session_scope(app.engine) as session:
        items = load_public_items(session)
        links_html = render_links_html(session, config, now=now)
        results = {year: render_results_html(session, config, year, now) for year in years}
    feeds = build_feeds(items, config=config, now=now)
    paths = [write_atomic(out / FEED_FILES[k], data) for k, data in feeds.items()]
    paths.append(write_atomic(out / "widget.html", render_widget_html(items, config=config, now=now)))
    paths.append(write_atomic(out / "widget.js", widget_js()))
    paths.append(write_atomic(out / "links.html", links_html))
    paths.extend(write_atomic(out / f"results-{year}.html", html) for year, html in results.items())
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
        "index.html", generated_at=now, count=count, posters=posters, results=sorted(results, reverse=True))))
    return paths
