"""Monthly info-zone posters: select (pure) → render HTML (Jinja2) → A4 PDF (WeasyPrint).

One HTML and one PDF per library, written atomically to ``<out>/posters/<month>/``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno

from ecitizen.app import App
from ecitizen.config import Config, Library
from ecitizen.db import session_scope
from ecitizen.digest.data import load_period_items, topics_of
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.digest.periods import Period, month_period
from ecitizen.digest.render import Renderer
from ecitizen.digest.select import ItemView, PosterLayout, PosterPlan, select_poster
from ecitizen.errors import ConfigError, NotFoundError
from ecitizen.files import write_atomic

log = logging.getLogger("ecitizen.digest")

#: a longer link makes a QR code too dense to scan from a wall
QR_MAX_URL = 400


@lru_cache(maxsize=1024)
def qr_data_uri(url: str) -> str | None:
    """An SVG QR code (error correction M) as a data URI; ``None`` for a link too long to scan."""
    if not url or len(url.encode("utf-8")) > QR_MAX_URL:
        return None
    qr = segno.make(url, error="m", micro=False)
    return str(qr.svg_data_uri(scale=1, border=4, dark="#000", light="#fff"))


def resolve_month(app: App, month: str) -> Period:
    try:
        return month_period(month, app.config.tz)
    except ValueError as exc:
        raise ConfigError("--month", str(exc)) from None


def libraries_for(config: Config, library: str) -> list[Library]:
    if library == "all":
        if not config.libraries:
            raise ConfigError("libraries", "no libraries configured")
        return list(config.libraries)
    try:
        return [config.library(library)]
    except KeyError:
        raise NotFoundError(f"no library {library!r} (use an id or the exact name from config)") from None


def slug(lib: Library) -> str:
    s = re.sub(r"[^a-z0-9_-]+", "-", lib.id.lower()).strip("-")
    return s or "library"


def render_poster_html(renderer: Renderer, plan: PosterPlan, library: Library, *, generated_at: Any) -> str:
    qr = {e.item.id: qr_data_uri(e.item.url) for e in plan.entries}
    return renderer.render("poster.html", plan=plan, library=library, qr=qr, generated_at=generated_at,
                           invite=INVITE)


def _data_only_fetcher() -> Any:
    """WeasyPrint's URL fetcher for posters: inline ``data:`` resources only, never the network
    or local files (a library's override template is trusted with layout, not with I/O)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=5)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_data_only_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)


#: the invitation printed under the contact lines (also in ``poster.html``)
INVITE = "Наведите камеру телефона на QR-код, чтобы открыть новость. Поможем на бесплатных занятиях."


def footer_lines(lib: Library) -> list[str]:
    """The contact block as ``poster.html`` prints it (used to size the room left for entries)."""
    lines = [f"{lib.name}, {lib.address}", f"Часы работы: {lib.hours}"]
    if lib.phone or lib.email:
        lines.append(" · ".join(p for p in (lib.phone and f"Телефон: {lib.phone}", lib.email) if p))
    return [*lines, INVITE]


def plan_for(app: App, period: Period, library: Library, items: Sequence[ItemView]) -> PosterPlan:
    layout = PosterLayout().for_library(library.name, footer_lines(library))
    return select_poster(items, period=period, topics=topics_of(app.config),
                         max_items=app.config.outputs.poster_max_items, layout=layout)


def make_posters(app: App, *, month: str, library: str = "all", out_dir: Path | None = None) -> list[Path]:
    """Write ``<library>.html`` and ``<library>.pdf`` per library; returns the paths (HTML, PDF, …)."""
    period = resolve_month(app, month)
    libs = libraries_for(app.config, library)
    with session_scope(app.engine) as session:
        items = load_period_items(session, period, status="approved")
    renderer = renderer_for(app.config)
    folder = Path(out_dir) if out_dir is not None else out_dir_for(app.config, None, "posters", period.key)
    now = app.now()
    paths: list[Path] = []
    left_out = 0
    for lib in libs:
        plan = plan_for(app, period, lib, items)
        left_out = plan.left_out
        html = render_poster_html(renderer, plan, lib, generated_at=now)
        pdf = html_to_pdf(html)
        name = f"poster-{period.key}-{slug(lib)}"
        paths.append(write_atomic(folder / f"{name}.html", html))
        paths.append(write_atomic(folder / f"{name}.pdf", pdf))
    if left_out:
        log.info("poster %s: %d approved item(s) did not fit (poster_max_items=%d)",
                 period.key, left_out, app.config.outputs.poster_max_items)
    return paths
