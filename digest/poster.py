"""Monthly info-zone posters: choose and fit (pure, ``select`` + ``layout``) → HTML (Jinja2) →
PDF (WeasyPrint), one per library, written atomically to ``<out>/posters/<month>/``.

- The libraries are the programme's table (``ecitizen.programme.list_libraries``): the active
  ones for ``all``. Each PDF written is recorded as the library's info-zone sheet of the month
  (``record_info_zone_produced``, indicator 6).
- :func:`poster_preview` says, before anything is printed, which approved items are on the poster,
  which were shortened for print and which are left out; :func:`make_poster_run` writes the files
  and returns the same account. A month without approved items makes no poster and says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from sqlmodel import Session

from ecitizen.app import App
from ecitizen.config import Config, Library
from ecitizen.db import session_scope
from ecitizen.digest.data import load_period_items, topics_of
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.digest.layout import (
    NBSP,
    POSTER_TEXT_MAX,
    POSTER_TITLE_MAX,
    PosterGeometry,
    geometry_for,
)
from ecitizen.digest.periods import Period, month_period
from ecitizen.digest.render import Renderer
from ecitizen.digest.select import (
    QR_HINT,
    ItemView,
    PosterChoice,
    PosterEntry,
    PosterPlan,
    choose_poster,
    clean_print,
    plan_sheets,
    sheet_frame,
)
from ecitizen.errors import ConfigError, NotFoundError
from ecitizen.files import write_atomic
from ecitizen.programme import list_libraries, record_info_zone_produced, seed_libraries

log = logging.getLogger("ecitizen.digest")

#: a longer link makes a QR code too dense to scan from a wall
QR_MAX_URL = 400
#: kept for templates written for the earlier poster (``invite``)
INVITE = QR_HINT

FITTED, SHORTENED, LEFT_OUT = "fitted", "shortened", "left_out"


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


def resolve_size(config: Config, size: str | None) -> PosterGeometry:
    try:
        return geometry_for(size or config.outputs.poster_size)
    except ValueError as exc:
        raise ConfigError("--size", str(exc)) from None


# -- file names ---------------------------------------------------------------------------------

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


def translit_slug(text: str, *, max_len: int = 48) -> str:
    """``Центральная городская библиотека`` → ``tsentralnaya-gorodskaya-biblioteka`` (Russian
    letters in Latin, as passports write them; anything else but a-z and 0-9 becomes ``-``)."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    s = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    if len(s) > max_len:
        s = s[:max_len].rsplit("-", 1)[0] if "-" in s[:max_len] else s[:max_len]
    return s


def slug(lib: Library) -> str:
    """The library's part of a file name: its id and its name in Latin letters (``cgb-tsentralnaya-…``)."""
    ident = re.sub(r"[^a-z0-9_-]+", "-", lib.id.lower()).strip("-") or "library"
    name = translit_slug(lib.name)
    return ident if not name or name == ident else f"{ident}-{name}"


def poster_stem(period: Period, lib: Library) -> str:
    return f"poster-{period.key}-{slug(lib)}"


# -- libraries ----------------------------------------------------------------------------------

def _table_libraries(session: Session, config: Config, *, seed_if_empty: datetime | None) -> list[Library]:
    """The ``library`` table's libraries. An empty table (``init`` did not seed it) is seeded from
    config.yaml by a poster run (idempotent: the same call as ``init``); a preview reads the config."""
    libs = list_libraries(session, active_only=False)
    if libs or not config.libraries:
        return libs
    if seed_if_empty is None:  # a preview never writes: config.yaml's list as it would be seeded
        return list(config.libraries)
    seed_libraries(session, config.libraries, now=seed_if_empty)
    log.info("the library table was empty: seeded %d libraries from config.yaml", len(config.libraries))
    return list_libraries(session, active_only=False)


def libraries_for(session: Session, config: Config, library: str, *,
                  seed_if_empty: datetime | None = None) -> list[Library]:
    """``all``: the libraries taking part now; else one library by id or exact name."""
    libs = _table_libraries(session, config, seed_if_empty=seed_if_empty)
    if library == "all":
        active = [lib for lib in libs if lib.active]
        if not active:
            raise ConfigError("libraries", "нет библиотек, участвующих в программе: добавьте их "
                                           "(ecitizen libraries import / set) или в config.yaml")
        return active
    for lib in libs:
        if library in (lib.id, lib.name):
            return [lib]
    raise NotFoundError(f"нет библиотеки {library!r}: укажите код или точное название "
                        "(список: ecitizen libraries list)")


# -- the account of a poster --------------------------------------------------------------------

@dataclass(frozen=True)
class PosterItem:
    """What becomes of one approved item of the month on the poster."""

    item_id: int
    url: str
    #: the headline and explanation as written (cleaned for print)
    title: str
    text: str
    #: ``fitted`` (printed as written), ``shortened`` (cut for print) or ``left_out``
    status: str
    printed_title: str = ""
    printed_text: str = ""
    title_shortened: bool = False
    text_shortened: bool = False
    #: ``explanation`` (written by a person), ``summary`` (the start of the news) or ``""``
    text_from: str = ""
    is_new_service: bool = False
    #: what happened, in Russian, for the manager
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.item_id, "url": self.url, "status": self.status, "title": self.title,
                "printed_title": self.printed_title, "text": self.text, "printed_text": self.printed_text,
                "title_shortened": self.title_shortened, "text_shortened": self.text_shortened,
                "text_from": self.text_from, "new_service": self.is_new_service, "notes": list(self.notes)}


@dataclass(frozen=True)
class LibraryPoster:
    library_id: str
    name: str
    #: the file name without extension: ``poster-2026-11-cgb-tsentralnaya-gorodskaya-biblioteka``
    file_stem: str
    sheets: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.library_id, "name": self.name, "file": self.file_stem, "sheets": self.sheets}


@dataclass(frozen=True)
class PosterPreview:
    """The month's poster before printing: every approved item with what becomes of it."""

    month: str
    month_label: str
    size: str
    max_items: int
    items: tuple[PosterItem, ...]
    libraries: tuple[LibraryPoster, ...]
    title_max: int = POSTER_TITLE_MAX
    text_max: int = POSTER_TEXT_MAX

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def fitted(self) -> tuple[PosterItem, ...]:
        return tuple(i for i in self.items if i.status == FITTED)

    @property
    def shortened(self) -> tuple[PosterItem, ...]:
        return tuple(i for i in self.items if i.status == SHORTENED)

    @property
    def left_out(self) -> tuple[PosterItem, ...]:
        return tuple(i for i in self.items if i.status == LEFT_OUT)

    @property
    def printed(self) -> tuple[PosterItem, ...]:
        return tuple(i for i in self.items if i.status != LEFT_OUT)

    @property
    def sheets_label(self) -> str:
        counts = sorted({lib.sheets for lib in self.libraries})
        if not counts:
            return "0"
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"

    @property
    def message(self) -> str:
        """One Russian sentence: what the poster holds, or why there is none."""
        if self.is_empty:
            return (f"За {self.month_label} нет одобренных материалов, поэтому плаката не будет. "
                    "Одобрите материалы в очереди проверки, и плакат можно будет сделать.")
        parts = [f"Плакат за {self.month_label} ({self.size}): материалов на плакате — {len(self.printed)}, "
                 f"листов — {self.sheets_label}"]
        if self.shortened:
            parts.append(f"сокращено для печати — {len(self.shortened)}")
        if self.left_out:
            parts.append(f"не поместилось — {len(self.left_out)}")
        return "; ".join(parts) + "."

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month, "size": self.size, "empty": self.is_empty, "message": self.message,
            "max_items": self.max_items, "title_max": self.title_max, "text_max": self.text_max,
            "fitted": [i.as_json() for i in self.fitted],
            "shortened": [i.as_json() for i in self.shortened],
            "left_out": [i.as_json() for i in self.left_out],
            "libraries": [lib.as_json() for lib in self.libraries],
        }


@dataclass(frozen=True)
class PosterRun:
    """What :func:`make_poster_run` wrote: the preview's account and the files (HTML, PDF per library)."""

    preview: PosterPreview
    paths: tuple[Path, ...] = ()
    #: info-zone sheets recorded for the programme (indicator 6)
    recorded: int = 0
    pdfs: tuple[Path, ...] = field(default=(), repr=False)

    def as_json(self) -> dict[str, Any]:
        return {**self.preview.as_json(), "files": [str(p) for p in self.paths], "recorded": self.recorded}


def _notes(title_shortened: bool, text_shortened: bool, text_from: str, printed_text: str) -> tuple[str, ...]:
    """What the manager can do about an entry, in Russian."""
    notes: list[str] = []
    if title_shortened:
        notes.append(f"заголовок сокращён, чтобы поместиться на лист: напишите для плаката заголовок "
                     f"до {POSTER_TITLE_MAX} знаков")
    if text_shortened and not printed_text:
        notes.append("пояснение не поместилось на лист: напечатан только заголовок")
    elif text_shortened and text_from == "explanation":
        notes.append(f"пояснение сокращено, чтобы поместиться на лист: сделайте его короче "
                     f"(до {POSTER_TEXT_MAX} знаков)")
    elif text_shortened:
        notes.append(f"пояснения нет, а начало новости пришлось сократить: напишите пояснение "
                     f"(до {POSTER_TEXT_MAX} знаков)")
    elif text_from == "summary":
        notes.append("пояснения нет — напечатано начало новости")
    elif not text_from:
        notes.append("пояснения нет — напечатан только заголовок")
    return tuple(notes)


def _plain(text: str) -> str:
    return text.replace(NBSP, " ")


def account(choice: PosterChoice, plans: Sequence[PosterPlan] = ()) -> tuple[PosterItem, ...]:
    """Every approved item of the month in poster order: fitted, shortened or left out. With several
    libraries an item counts as shortened when any library's poster shortens it (a library with a
    shorter address may print more of an explanation), and the shortest printed text is shown."""
    variants: dict[int, list[PosterEntry]] = {}
    for plan in plans or ():
        for e in plan.entries:
            variants.setdefault(e.item.id, []).append(e)
    items: list[PosterItem] = []
    for base in choice.entries:
        seen = variants.get(base.item.id) or [base]
        e = min(seen, key=lambda v: (len(v.text), len(v.title)))
        title_cut = any(v.title_shortened for v in seen)
        text_cut = any(v.text_shortened for v in seen)
        items.append(PosterItem(
            item_id=e.item.id, url=e.item.url, title=_plain(e.full_title), text=_plain(e.full_text),
            status=SHORTENED if title_cut or text_cut else FITTED, printed_title=_plain(e.title),
            printed_text=_plain(e.text),
            title_shortened=title_cut, text_shortened=text_cut, text_from=e.text_from,
            is_new_service=e.is_new_service, notes=_notes(title_cut, text_cut, e.text_from, e.text),
        ))
    reason = (f"не поместился: на плакате не больше {choice.max_items} материалов за месяц; "
              "чтобы он попал на плакат, отклоните менее важный материал")
    items.extend(
        PosterItem(item_id=e.item.id, url=e.item.url, title=clean_print(e.item.title),
                   text=clean_print(e.item.explanation) or clean_print(e.item.summary_text), status=LEFT_OUT,
                   is_new_service=e.item.is_new_service, notes=(reason,))
        for e in choice.left_out
    )
    return tuple(items)


# -- making -------------------------------------------------------------------------------------

def _choose(app: App, period: Period, geometry: PosterGeometry, items: Sequence[ItemView]) -> PosterChoice:
    return choose_poster(items, period=period, topics=topics_of(app.config),
                         max_items=app.config.outputs.poster_max_items, geometry=geometry)


def plan_for(app: App, period: Period, library: Library, items: Sequence[ItemView], *,
             size: str | None = None) -> PosterPlan:
    """One library's poster plan (the benchmarks and the web preview use it)."""
    g = resolve_size(app.config, size)
    choice = _choose(app, period, g, items)
    return plan_sheets(choice, sheet_frame(library, period=period, programme=app.config.outputs.programme_name,
                                           geometry=g))


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


def _prepare(app: App, month: str, library: str, size: str | None, *, seed_now: datetime | None,
             ) -> tuple[Period, PosterChoice, list[tuple[Library, PosterPlan]], PosterPreview]:
    period = resolve_month(app, month)
    g = resolve_size(app.config, size)
    with session_scope(app.engine) as session:
        libs = libraries_for(session, app.config, library, seed_if_empty=seed_now)
        items = load_period_items(session, period, status="approved")
    choice = _choose(app, period, g, items)
    programme = app.config.outputs.programme_name
    plans = [(lib, plan_sheets(choice, sheet_frame(lib, period=period, programme=programme, geometry=g)))
             for lib in libs] if choice.entries else []
    preview = PosterPreview(
        month=period.key, month_label=period.label_ru, size=g.size, max_items=choice.max_items,
        items=account(choice, [plan for _, plan in plans]),
        libraries=tuple(LibraryPoster(lib.id, lib.name, poster_stem(period, lib), len(plan.sheets))
                        for lib, plan in plans),
    )
    return period, choice, plans, preview


def poster_preview(app: App, *, month: str, library: str = "all", size: str | None = None) -> PosterPreview:
    """What the month's poster will hold, before printing: nothing is written."""
    return _prepare(app, month, library, size, seed_now=None)[3]


def make_poster_run(app: App, *, month: str, library: str = "all", out_dir: Path | None = None,
                    size: str | None = None) -> PosterRun:
    """Write ``poster-<month>-<library>.html`` and ``.pdf`` per library and record each sheet for
    the programme; a month without approved items writes nothing (``preview.is_empty``)."""
    now = app.now()
    period, _choice, plans, preview = _prepare(app, month, library, size, seed_now=now)
    if preview.is_empty:
        log.info("poster %s: no approved items, no poster made", period.key)
        return PosterRun(preview)
    renderer = renderer_for(app.config)
    folder = Path(out_dir) if out_dir is not None else out_dir_for(app.config, None, "posters", period.key)
    written: list[tuple[Library, Path]] = []
    paths: list[Path] = []
    for lib, plan in plans:
        html = render_poster_html(renderer, plan, lib, generated_at=now)
        pdf = html_to_pdf(html)
        stem = poster_stem(period, lib)
        paths.append(write_atomic(folder / f"{stem}.html", html))
        pdf_path = write_atomic(folder / f"{stem}.pdf", pdf)
        paths.append(pdf_path)
        written.append((lib, pdf_path))
    recorded = 0
    with session_scope(app.engine) as session:
        for lib, pdf_path in written:
            if record_info_zone_produced(session, lib.id, period.key, pdf_path, now) is not None:
                recorded += 1
    if preview.left_out or preview.shortened:
        log.info("poster %s: %d item(s) shortened, %d left out (poster_max_items=%d)", period.key,
                 len(preview.shortened), len(preview.left_out), app.config.outputs.poster_max_items)
    return PosterRun(preview, tuple(paths), recorded, tuple(p for _, p in written))


def make_posters(app: App, *, month: str, library: str = "all", out_dir: Path | None = None,
                 size: str | None = None) -> list[Path]:
    """The written files (HTML, PDF per library); empty for a month without approved items."""
    return list(make_poster_run(app, month=month, library=library, out_dir=out_dir, size=size).paths)
