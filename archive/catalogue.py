"""The catalogue of links: add, remove, list, import, export, apply moves, the public page.

Parsing an import file and rendering the public page are pure functions; the rest takes a
session (the caller owns the transaction). User-entered URLs go through
:func:`ecitizen.urls.check_public_url`: non-http(s) and private-network targets are refused
unless ``http.allow_private_targets`` is set (tests, demo).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from jinja2 import Environment, select_autoescape
from sqlmodel import Session, col, select

from ecitizen.archive import status as st
from ecitizen.errors import NotFoundError, UnsafeURLError
from ecitizen.storage import Link
from ecitizen.urls import Resolver, canonical_url, check_public_url, display_url
from ecitizen.urls import _resolve as default_resolve

#: the categories of the catalogue, in the order of the public page
CATEGORIES: tuple[str, ...] = (
    "Госуслуги", "Здоровье", "Пенсии и пособия", "Налоги", "Документы", "Транспорт", "Платежи",
    "Библиотеки", "Безопасность",
)
UNCATEGORISED = "Разное"


@dataclass(frozen=True)
class LinkInput:
    """One link as a person or an import file gives it (not yet validated)."""

    url: str
    title: str = ""
    description: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    audience: str = ""
    line: int = 0


@dataclass(frozen=True)
class Skipped:
    line: int
    value: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class ParsedImport:
    format: str
    entries: tuple[LinkInput, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class ImportReport:
    format: str
    added: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {"format": self.format, "added": list(self.added), "merged": list(self.merged),
                "skipped": [s.as_json() for s in self.skipped]}


# -- add / merge / remove ----------------------------------------------------------------------------


def _merge_into(link: Link, item: LinkInput) -> None:
    """Fill empty fields from ``item`` and union the tags and topics (never overwrite a person's text)."""
    for name in ("title", "description", "category", "audience"):
        if not getattr(link, name) and getattr(item, name):
            setattr(link, name, getattr(item, name))
    link.tags = list(dict.fromkeys([*link.tags, *item.tags]))
    link.topics = list(dict.fromkeys([*link.topics, *item.topics]))


def add_link(
    session: Session, item: LinkInput | str, *, added_by: str = "", now: datetime, allow_private: bool = False,
    resolve: Resolver | None = default_resolve,
) -> tuple[Link, bool]:
    """Add a link (or merge into the existing one with the same canonical URL).

    Returns ``(link, created)``. Raises :class:`UnsafeURLError` for refused targets.
    """
    if isinstance(item, str):
        item = LinkInput(item)
    url = check_public_url(item.url, allow_private=allow_private, resolve=resolve)
    link = session.exec(select(Link).where(Link.url == url)).first()
    if link is not None:
        _merge_into(link, item)
        session.add(link)
        return link, False
    link = Link(
        url=url, title=item.title.strip(), description=item.description.strip(), category=item.category.strip(),
        tags=list(dict.fromkeys(item.tags)), topics=list(dict.fromkeys(item.topics)), audience=item.audience,
        added_by=added_by, added_at=now,
    )
    session.add(link)
    session.flush()
    return link, True


def get_link(session: Session, url_or_id: str | int) -> Link:
    if isinstance(url_or_id, int) or (isinstance(url_or_id, str) and url_or_id.isdigit()):
        link = session.get(Link, int(url_or_id))
    else:
        link = session.exec(select(Link).where(Link.url == canonical_url(str(url_or_id)))).first()
    if link is None:
        raise NotFoundError(f"no link {url_or_id!r} in the catalogue")
    return link


def remove_link(session: Session, url_or_id: str | int) -> str:
    """Remove a link with its check history and events (snapshots stay, unlinked)."""
    link = get_link(session, url_or_id)
    url = link.url
    session.delete(link)
    session.flush()
    return url


def list_links(session: Session, *, status: str | None = None, category: str | None = None) -> list[Link]:
    query = select(Link)
    if status:
        query = query.where(Link.status == status)
    if category:
        query = query.where(Link.category == category)
    return list(session.exec(query.order_by(col(Link.category), col(Link.title), col(Link.url))))


@dataclass(frozen=True)
class Move:
    link_id: int
    old_url: str
    new_url: str
    applied: bool
    reason: str = ""


def pending_moves(session: Session) -> list[Link]:
    return list(session.exec(select(Link).where(col(Link.proposed_url).is_not(None)).order_by(col(Link.id))))


def apply_moves(session: Session, *, now: datetime, urls: Iterable[str] | None = None) -> list[Move]:
    """Replace each link's URL by its proposed URL; the link is rechecked at the next run."""
    wanted = {canonical_url(u) for u in urls} if urls else None
    moves: list[Move] = []
    for link in pending_moves(session):
        if wanted is not None and link.url not in wanted:
            continue
        new = canonical_url(link.proposed_url or "")
        clash = session.exec(select(Link).where(Link.url == new, Link.id != link.id)).first()
        if clash is not None:
            moves.append(Move(link.id or 0, link.url, new, False, "новый адрес уже есть в каталоге"))
            continue
        moves.append(Move(link.id or 0, link.url, new, True))
        link.url, link.proposed_url = new, None
        link.status, link.status_since, link.status_detail = st.UNCHECKED, now, "адрес заменён на новый"
        link.consecutive_failures, link.next_check_at = 0, None
        link.content_hash, link.final_url = None, None
        link.reviewed_at = now
        session.add(link)
    session.flush()
    return moves


# -- import ----------------------------------------------------------------------------------------

_CSV_COLUMNS = {
    "url": {"url", "адрес", "ссылка", "link", "href"},
    "title": {"title", "название", "заголовок", "name"},
    "description": {"description", "описание"},
    "category": {"category", "категория", "раздел"},
    "tags": {"tags", "теги", "метки"},
    "topics": {"topics", "темы", "topic", "тема"},
    "audience": {"audience", "аудитория"},
}


def _split_list(value: str) -> tuple[str, ...]:
    sep = ";" if ";" in value else ","
    return tuple(v.strip() for v in value.split(sep) if v.strip())


def detect_format(text: str, filename: str = "") -> str:
    low = filename.lower()
    head = text.lstrip()[:2000].lower()
    if "netscape-bookmark-file" in head or "<dt><a" in head or low.endswith((".html", ".htm")):
        return "bookmarks"
    if low.endswith(".csv"):
        return "csv"
    first = head.splitlines()[0] if head else ""
    if ("," in first or ";" in first) and any(name in first for name in _CSV_COLUMNS["url"]):
        return "csv"
    return "list"


def _parse_csv(text: str) -> tuple[list[LinkInput], list[Skipped]]:
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    entries: list[LinkInput] = []
    skipped: list[Skipped] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return entries, skipped
    index: dict[str, int] = {}
    for key, names in _CSV_COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                index[key] = i
                break
    if "url" not in index:
        return [], [Skipped(1, ",".join(header)[:200], "в заголовке CSV нет столбца url/адрес")]
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue

        def get(key: str, row: list[str] = row) -> str:
            i = index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        url = get("url")
        if not url:
            skipped.append(Skipped(line, delimiter.join(row)[:200], "пустой адрес"))
            continue
        entries.append(LinkInput(url, get("title"), get("description"), get("category"),
                                 _split_list(get("tags")), _split_list(get("topics")), get("audience"), line))
    return entries, skipped


class _BookmarksParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.folders: list[str] = []
        self.pending_folder: str | None = None
        self.in_h3 = False
        self.in_a = False
        self.current: dict[str, Any] | None = None
        self.entries: list[LinkInput] = []
        self.skipped: list[Skipped] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "h3":
            self.in_h3, self.pending_folder = True, ""
        elif tag == "dl" and self.pending_folder is not None:
            self.folders.append(self.pending_folder)
            self.pending_folder = None
        elif tag == "a":
            self.in_a = True
            self.current = {"href": a.get("href", ""), "tags": a.get("tags", ""), "title": "",
                            "line": self.getpos()[0]}

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self.in_h3 = False
        elif tag == "dl" and self.folders:
            self.folders.pop()
        elif tag == "a" and self.current is not None:
            self.in_a = False
            cur, self.current = self.current, None
            href, line = cur["href"].strip(), cur["line"]
            if not href:
                self.skipped.append(Skipped(line, cur["title"][:200], "закладка без адреса"))
                return
            folder = next((f for f in reversed(self.folders) if f in CATEGORIES), "")
            if not folder and self.folders:
                folder = self.folders[-1] if self.folders[-1] not in ("Bookmarks", "Закладки", "Панель закладок",
                                                                   "Bookmarks bar", "Bookmarks Toolbar") else ""
            self.entries.append(LinkInput(href, " ".join(cur["title"].split()), category=folder,
                                          tags=_split_list(cur["tags"]), line=line))

    def handle_data(self, data: str) -> None:
        if self.in_h3 and self.pending_folder is not None:
            self.pending_folder += data.strip()
        elif self.in_a and self.current is not None:
            self.current["title"] += data


def parse_import(text: str, filename: str = "") -> ParsedImport:
    """Parse a CSV file, a bookmarks HTML export or a plain list of URLs (pure)."""
    text = text.lstrip("\ufeff")
    fmt = detect_format(text, filename)
    entries: list[LinkInput]
    skipped: list[Skipped]
    if fmt == "csv":
        entries, skipped = _parse_csv(text)
    elif fmt == "bookmarks":
        parser = _BookmarksParser()
        parser.feed(text)
        parser.close()
        entries, skipped = parser.entries, parser.skipped
    else:
        entries, skipped = [], []
        for n, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            url, _, title = line.partition(" ")
            entries.append(LinkInput(url, title.strip(), line=n))
    return ParsedImport(fmt, tuple(entries), tuple(skipped))


def import_links(
    session: Session, text: str, *, filename: str = "", added_by: str = "import", now: datetime,
    allow_private: bool = False, resolve: Resolver | None = default_resolve,
) -> ImportReport:
    """Import links; duplicates (by canonical URL) merge; every skipped line is reported with its reason."""
    parsed = parse_import(text, filename)
    added: list[str] = []
    merged: list[str] = []
    skipped = list(parsed.skipped)
    for item in parsed.entries:
        try:
            link, created = add_link(session, item, added_by=added_by, now=now, allow_private=allow_private,
                                     resolve=resolve)
        except UnsafeURLError as exc:
            skipped.append(Skipped(item.line, item.url[:200], f"адрес отклонён: {exc}"))
            continue
        (added if created and link.url not in added else merged).append(link.url)
    skipped.sort(key=lambda s: s.line)
    return ImportReport(parsed.format, tuple(added), tuple(dict.fromkeys(merged)), tuple(skipped))


# -- export ----------------------------------------------------------------------------------------

EXPORT_FIELDS = ("url", "display_url", "title", "description", "category", "tags", "topics", "audience",
                 "added_by", "added_at", "reviewed_at", "status", "status_since", "proposed_url")


def link_json(link: Link) -> dict[str, Any]:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": link.id, "url": link.url, "display_url": display_url(link.url), "title": link.title,
        "description": link.description, "category": link.category, "tags": list(link.tags),
        "topics": list(link.topics), "audience": link.audience, "added_by": link.added_by,
        "added_at": iso(link.added_at), "reviewed_at": iso(link.reviewed_at), "status": link.status,
        "status_label": st.STATUS_LABELS.get(link.status, link.status),
        "status_since": iso(link.status_since), "status_detail": link.status_detail,
        "explanation": st.STATUS_EXPLANATIONS.get(link.status, ""), "http_status": link.http_status,
        "final_url": link.final_url, "proposed_url": link.proposed_url,
        "consecutive_failures": link.consecutive_failures, "last_checked_at": iso(link.last_checked_at),
        "next_check_at": iso(link.next_check_at), "changed_at": iso(link.changed_at),
    }


def export_csv(links: Sequence[Link]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for link in links:
        row = link_json(link)
        writer.writerow(["; ".join(row[f]) if isinstance(row[f], list) else ("" if row[f] is None else row[f])
                         for f in EXPORT_FIELDS])
    return out.getvalue()


def export_json(links: Sequence[Link]) -> str:
    return json.dumps([link_json(link) for link in links], ensure_ascii=False, indent=2)


_PAGE = """<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{{ title }}</title>
<style>
body { font-family: Arial, sans-serif; font-size: 20px; line-height: 1.5; margin: 0 auto; max-width: 60em;
       padding: 1em; color: #111; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 2px solid #246; margin-top: 1.5em; }
a { color: #0645ad; } li { margin: 0.6em 0; } .url { color: #333; font-size: 0.9em; word-break: break-all; }
.note { color: #7a4b00; } .meta { color: #444; font-size: 0.9em; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="meta">Обновлено: {{ generated }}. Всего ссылок: {{ total }}.</p>
</header>
{% if groups %}<nav>
<h2>Разделы</h2>
<ul>
{% for g in groups %}<li><a href="#{{ g.anchor }}">{{ g.name }}</a> ({{ g.links|length }})</li>
{% endfor %}</ul>
</nav>
{% endif %}<main>
{% for g in groups %}<section id="{{ g.anchor }}">
<h2>{{ g.name }}</h2>
<ul>
{% for l in g.links %}<li>
<a href="{{ l.href }}" rel="noopener">{{ l.title }}</a><br />
<span class="url">{{ l.shown }}</span>{% if l.note %} <span class="note">({{ l.note }})</span>{% endif %}
{% if l.description %}<br />{{ l.description }}{% endif %}
{% if l.audience %}<br /><span class="meta">Для кого: {{ l.audience }}</span>{% endif %}
{% if l.tags %}<br /><span class="meta">Метки: {{ l.tags|join(", ") }}</span>{% endif %}
</li>
{% endfor %}</ul>
</section>
{% else %}<p>В каталоге пока нет ссылок.</p>
{% endfor %}</main>
</body>
</html>
"""
_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=False)
_template = _env.from_string(_PAGE)

def _format_generated(generated_at: datetime) -> str:
    from ecitizen.dates import format_ru_date

    try:
        return str(format_ru_date(generated_at))
    except Exception:  # noqa: BLE001 - the page must render even if the date helper changes
        return generated_at.strftime("%d.%m.%Y")


def public_url(link: Link) -> str:
    """The address the public is given: for a moved link, where its last check ended (the permanent
    redirect's target, reached and working), else the link's own."""
    if link.status in st.SHOWN_WITH_NEW_URL and link.final_url:
        return link.final_url
    return link.url


def render_catalogue_html(links: Sequence[Link], *, title: str = "Виртуальный кабинет электронного гражданина",
                          generated_at: datetime, format_date: Callable[[datetime], str] | None = None,
                          include_unavailable: bool = False) -> str:
    """The public catalogue page: Russian, grouped by category, valid HTML5, no scripts.

    Links confirmed gone (:data:`status.HIDDEN_FROM_PUBLIC`) are left out unless
    ``include_unavailable``; links with a temporary problem stay, with a short note; a moved link
    is offered at its new address (:data:`status.SHOWN_WITH_NEW_URL`).
    """
    by_cat: dict[str, list[dict[str, Any]]] = {}  # category -> entries
    links = [lk for lk in links if include_unavailable or lk.status not in st.HIDDEN_FROM_PUBLIC]
    for link in links:
        url = public_url(link)
        shown = display_url(url)
        href = url if url.startswith(("http://", "https://")) else "#"
        entry: dict[str, Any] = {
            "href": href, "shown": shown, "title": link.title or shown, "description": link.description,
            "audience": link.audience, "tags": list(link.tags), "note": st.PUBLIC_NOTES.get(link.status, ""),
        }
        by_cat.setdefault(link.category.strip() or UNCATEGORISED, []).append(entry)
    order = [c for c in CATEGORIES if c in by_cat]
    order += sorted(c for c in by_cat if c not in CATEGORIES and c != UNCATEGORISED)
    order += [UNCATEGORISED] if UNCATEGORISED in by_cat else []
    groups: list[dict[str, Any]] = [
        {"name": name, "anchor": f"razdel-{i + 1}",
         "links": sorted(by_cat[name], key=lambda x: str(x["title"]).lower())}
        for i, name in enumerate(order)
    ]
    generated = (format_date or _format_generated)(generated_at)
    return _template.render(title=title, generated=generated, total=len(links), groups=groups)
