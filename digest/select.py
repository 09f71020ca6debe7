"""What goes into each output: pure functions over plain data. No database, no files, no clock.

Owns the selection rules (see docs/decisions.md, ``## Digest``):

- the weekly digest shows what *arrived* in the week (``fetched_at``), not rejected, and the
  links and sources as they stood at the week's end (nothing that happened after it); every
  count is the number of entries of its section; a cluster, a page, a link appears once;
  public outputs (posters, media notes, feeds) show **approved** items dated in the period
  (``published_at``, else ``fetched_at``), never page changes;
- one entry per duplicate cluster (and per address); the other sources are named beside it;
- posters: new services first, then by course topic in the order of the course, newest first
  within a group; at most ``max_items``, the rest named (``PosterChoice.left_out``); entries are
  fitted and packed by :mod:`digest.layout` (four to an A4 column), cuts reported per entry;
- print text is cleaned: bidi controls, soft hyphens and pictographs removed, whitespace collapsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ecitizen.config import Library
from ecitizen.dates import MONTHS_NOMINATIVE
from ecitizen.digest.layout import (
    POSTER_TITLE_MAX,
    FooterLine,
    PosterGeometry,
    SheetFrame,
    column_budget,
    column_sizes,
    cut_to_lines,
    fit_entry,
    fit_explanation,
    join_parts,
    pack_columns,
    typograph,
)
from ecitizen.digest.metrics import line_count
from ecitizen.digest.periods import Period
from ecitizen.russian import count_ru

PUBLIC_KINDS = frozenset({"news", "service", "catalog_event"})
APPROVED = "approved"
REJECTED = "rejected"
NO_TOPIC = ""
NO_TOPIC_TITLE = "Другие новости"

DIGEST_SUMMARY_MAX = 300

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
#: soft hyphens and zero-width spaces: invisible break points; print never hyphenates
_INVISIBLE_BREAKS = re.compile("[\u00ad\u200b\u2060]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# -- plain data ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemView:
    """An item as the outputs see it (copied out of the ORM row)."""

    id: int
    source: str
    kind: str
    url: str
    guid: str
    title: str
    summary_text: str
    summary_html: str
    published_at: datetime | None
    fetched_at: datetime
    topic_ids: tuple[str, ...] = ()
    is_new_service: bool = False
    cluster_id: int | None = None
    status: str = "new"
    explanation: str | None = None
    diff_text: str | None = None
    original_title: str = ""

    @property
    def when(self) -> datetime:
        return self.published_at or self.fetched_at

    @property
    def cluster_key(self) -> int:
        return self.cluster_id if self.cluster_id is not None else self.id


@dataclass(frozen=True)
class TopicInfo:
    id: str
    title: str


@dataclass(frozen=True)
class SourceHealth:
    name: str
    url: str
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int
    failing_since: datetime | None
    last_success_at: datetime | None = None
    #: plain Russian for the last outcome and its detail (:func:`ecitizen.outcomes.explain`)
    explanation: str = ""


@dataclass(frozen=True)
class LinkNeed:
    """A link a person must look at."""

    url: str
    title: str
    status: str
    explanation: str
    proposed_url: str | None = None
    since: datetime | None = None
    detail: str = ""
    diff: str | None = None
    #: the addresses as links (``url``/``proposed_url`` are shown with Cyrillic hosts)
    href: str = ""
    proposed_href: str = ""


@dataclass(frozen=True)
class UnreviewedLink:
    url: str
    title: str
    added_at: datetime | None
    reviewed_at: datetime | None = None
    href: str = ""


@dataclass(frozen=True)
class LinkChange:
    url: str
    title: str
    at: datetime | None
    kind: str
    summary: str
    diff: str | None = None
    href: str = ""


@dataclass(frozen=True)
class LinkReportData:
    """The archive's link report for one period (``ecitizen.archive.link_report``), as plain values."""

    counts: Mapping[str, int] = field(default_factory=dict)
    #: links that need a person: the same links, and count, as ``ecitizen links report``
    needs: tuple[LinkNeed, ...] = ()
    changes: tuple[LinkChange, ...] = ()
    oldest_unreviewed: datetime | None = None
    unreviewed: tuple[UnreviewedLink, ...] = ()


@dataclass(frozen=True)
class PendingReview:
    count: int = 0
    oldest: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One entry of an output: the representative item of a cluster and the other sources."""

    item: ItemView
    also_in: tuple[str, ...] = ()
    #: the items this entry stands for (a page that changed three times in the week: 3)
    count: int = 1


@dataclass(frozen=True)
class TopicGroup:
    topic: TopicInfo
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class WeeklyDigest:
    period: Period
    new_services: tuple[Entry, ...]
    topics: tuple[TopicGroup, ...]
    page_changes: tuple[Entry, ...]
    links: LinkReportData
    failing_sources: tuple[SourceHealth, ...]
    pending: PendingReview
    counts: Mapping[str, int]

    @property
    def is_empty(self) -> bool:
        return not (self.new_services or self.topics or self.page_changes or self.links.needs
                    or self.links.changes or self.failing_sources or self.pending.count)


@dataclass(frozen=True)
class PosterEntry:
    """One entry as printed: the fitted headline and explanation, and what was shortened."""

    item: ItemView
    title: str
    text: str
    topic_title: str
    is_new_service: bool
    #: the headline / explanation as written, before fitting (cleaned for print)
    full_title: str = ""
    full_text: str = ""
    title_shortened: bool = False
    text_shortened: bool = False
    #: ``explanation`` (written by a person), ``summary`` (the start of the news) or ``""``
    text_from: str = ""
    title_lines: int = 1
    text_lines: int = 0

    @property
    def shortened(self) -> bool:
        return self.title_shortened or self.text_shortened


@dataclass(frozen=True)
class PosterChoice:
    """The month's poster entries (the same for every library) and the approved items left out."""

    period: Period
    geometry: PosterGeometry
    entries: tuple[PosterEntry, ...]
    #: approved items of the period beyond ``max_items``, in poster order
    left_out: tuple[Entry, ...]
    max_items: int


@dataclass(frozen=True)
class PosterSheet:
    """One printed sheet: its columns of entries (one column on A4, two on A3)."""

    columns: tuple[tuple[PosterEntry, ...], ...]

    @property
    def entries(self) -> tuple[PosterEntry, ...]:
        return tuple(e for c in self.columns for e in c)


@dataclass(frozen=True)
class PosterPlan:
    period: Period
    geometry: PosterGeometry
    frame: SheetFrame
    entries: tuple[PosterEntry, ...]
    sheets: tuple[PosterSheet, ...]
    left_out: tuple[Entry, ...] = ()

    @property
    def pages(self) -> tuple[tuple[PosterEntry, ...], ...]:
        """The entries of each sheet, in reading order."""
        return tuple(s.entries for s in self.sheets)


@dataclass(frozen=True)
class MonthCount:
    month: int
    label: str
    new_services: int
    news: int


@dataclass(frozen=True)
class MediaNote:
    period: Period
    headline: str
    lead: str
    new_services: tuple[Entry, ...]
    events: tuple[Entry, ...]
    news: tuple[Entry, ...]
    topic_counts: tuple[tuple[str, int], ...]
    month_counts: tuple[MonthCount, ...]
    total: int
    total_new_services: int
    #: the yearly note: the programme's results in sentences (``programme.results_note``)
    facts: tuple[str, ...] = ()
    #: the yearly note: the share of surveyed participants who found the skills useful
    useful_share: float | None = None


# -- text helpers -------------------------------------------------------------------------------

#: pictographs (emoji) and their joiners/selectors: the print fonts have no glyphs for them, so
#: a poster would show empty boxes; Telegram posts are full of them
_PICTOGRAPHS = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0E\uFE0F\u200D\u20E3]")


def clean_print(text: str | None) -> str:
    """Remove bidi/control characters and pictographs, collapse whitespace (text meant for print)."""
    if not text:
        return ""
    return " ".join(_PICTOGRAPHS.sub(" ", _CONTROL.sub(" ", _BIDI.sub("", _INVISIBLE_BREAKS.sub("", text)))).split())


def fit_text(text: str | None, limit: int) -> str:
    """Cleaned text cut at a word boundary to at most ``limit`` characters, with «…»."""
    s = clean_print(text)
    if len(s) <= limit:
        return s
    cut = s[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-.") + "…"


def short_explanation(item: ItemView, limit: int) -> str:
    """The person-written explanation, else the first sentences of the summary that fit."""
    if item.explanation and clean_print(item.explanation):
        return fit_text(item.explanation, limit)
    summary = clean_print(item.summary_text)
    if not summary:
        return ""
    out = ""
    for sentence in _SENTENCE_END.split(summary):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    return out or fit_text(summary, limit)


# -- clusters and ordering ----------------------------------------------------------------------

def _rep_key(item: ItemView) -> tuple[Any, ...]:
    return (item.status != APPROVED, not item.is_new_service, item.when, item.id)


def collapse_clusters(
    items: Iterable[ItemView], cluster_sources: Mapping[int, Iterable[str]] | None = None
) -> list[Entry]:
    """One entry per cluster: approved, then new-service, then earliest item represents it.
    Items with the same address are one entry too, whatever their clusters (two sources that
    link the same page).

    ``cluster_sources`` names the sources of every member of a cluster, also those outside the
    selection (the same news reported last week by another site)."""
    items = list(items)
    parent: dict[int, int] = {}

    def root(k: int) -> int:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    by_url: dict[str, int] = {}
    for it in items:
        key = root(it.cluster_key)
        if it.url:
            other = by_url.setdefault(it.url, key)
            if root(other) != key:
                parent[key] = root(other)
    groups: dict[int, list[ItemView]] = {}
    for it in items:
        groups.setdefault(root(it.cluster_key), []).append(it)
    out: list[Entry] = []
    for members in groups.values():
        members.sort(key=_rep_key)
        rep = members[0]
        names = {m.source for m in members[1:]}
        for key in {m.cluster_key for m in members}:
            names |= set((cluster_sources or {}).get(key, ()))
        others = sorted(names - {rep.source})
        out.append(Entry(rep, tuple(others), len(members)))
    return out


def _newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.item.when, e.item.id), reverse=True)


def _first_topic(item: ItemView, order: Mapping[str, int]) -> str:
    known = [t for t in item.topic_ids if t in order]
    return min(known, key=order.__getitem__) if known else NO_TOPIC


def group_by_topic(entries: Iterable[Entry], topics: Sequence[TopicInfo]) -> tuple[TopicGroup, ...]:
    """Groups in the order of the course; each entry once, under its first topic in that order."""
    order = {t.id: i for i, t in enumerate(topics)}
    buckets: dict[str, list[Entry]] = {}
    for e in entries:
        buckets.setdefault(_first_topic(e.item, order), []).append(e)
    groups = [TopicGroup(t, tuple(_newest_first(buckets[t.id]))) for t in topics if t.id in buckets]
    if NO_TOPIC in buckets:
        groups.append(TopicGroup(TopicInfo(NO_TOPIC, NO_TOPIC_TITLE), tuple(_newest_first(buckets[NO_TOPIC]))))
    return tuple(groups)


def public_items(items: Iterable[ItemView], period: Period | None = None) -> list[ItemView]:
    """Approved, public kinds, dated in ``period`` (when given)."""
    return [
        it for it in items
        if it.status == APPROVED and it.kind in PUBLIC_KINDS and (period is None or period.contains(it.when))
    ]


# -- weekly digest ------------------------------------------------------------------------------

def select_weekly(
    items: Iterable[ItemView],
    *,
    period: Period,
    topics: Sequence[TopicInfo],
    links: LinkReportData,
    sources: Iterable[SourceHealth],
    pending: PendingReview,
    cluster_sources: Mapping[int, Iterable[str]] | None = None,
) -> WeeklyDigest:
    """The manager's weekly digest: what arrived in the week (not rejected), and the links and
    sources as they stood at its end. Every section keeps to the week: a link that broke or a
    source that failed after it is in the next digest. Each cluster, page and link appears once,
    and every count is the number of entries of its section."""
    week = [it for it in items if it.status != REJECTED and period.contains(it.fetched_at)]
    changes = [it for it in week if it.kind == "page_change"]
    rest = [it for it in week if it.kind != "page_change"]
    entries = collapse_clusters(rest, cluster_sources)
    services = _newest_first(e for e in entries if e.item.is_new_service)
    news = [e for e in entries if not e.item.is_new_service]
    pages = _newest_first(_one_per_page(changes))
    failing = sorted(
        (s for s in sources if s.consecutive_failures > 0
         and (s.failing_since is None or s.failing_since < period.end)),
        key=lambda s: (s.failing_since is None, s.failing_since or datetime.max, s.name),
    )
    needs = tuple(n for n in links.needs if n.since is None or n.since < period.end)
    listed = {n.url for n in needs}
    events = tuple(c for c in links.changes if (c.at is None or period.contains(c.at)) and c.url not in listed)
    week_links = replace(links, needs=needs, changes=events)
    counts = {
        "items": len(week),
        "entries": len(entries),
        "new_services": len(services),
        "news": len(news),
        "page_changes": len(pages),
        "duplicates": len(rest) - len(entries),
        "approved": sum(1 for it in week if it.status == APPROVED),
        "awaiting_review": pending.count,
        "links_need_person": len(needs),
        "link_changes": len(events),
        "failing_sources": len(failing),
    }
    return WeeklyDigest(
        period=period,
        new_services=tuple(services),
        topics=group_by_topic(news, topics),
        page_changes=tuple(pages),
        links=week_links,
        failing_sources=tuple(failing),
        pending=pending,
        counts=counts,
    )


def _one_per_page(changes: Iterable[ItemView]) -> list[Entry]:
    """A page that changed several times in the week: one entry, the newest change, with the count."""
    by_page: dict[str, list[ItemView]] = {}
    for it in changes:
        by_page.setdefault(it.url or f"#{it.id}", []).append(it)
    out = []
    for members in by_page.values():
        members.sort(key=lambda it: (it.fetched_at, it.id), reverse=True)
        out.append(Entry(members[0], tuple(sorted({m.source for m in members[1:]} - {members[0].source})),
                         len(members)))
    return out


# -- posters ------------------------------------------------------------------------------------

def order_for_poster(entries: Iterable[Entry], topics: Sequence[TopicInfo]) -> list[Entry]:
    """New services first (newest first), then by topic in course order, then the rest."""
    entries = list(entries)
    services = _newest_first(e for e in entries if e.item.is_new_service)
    others = [e for g in group_by_topic((e for e in entries if not e.item.is_new_service), topics)
              for e in g.entries]
    return services + others


def choose_poster(
    items: Iterable[ItemView],
    *,
    period: Period,
    topics: Sequence[TopicInfo],
    max_items: int,
    geometry: PosterGeometry | None = None,
) -> PosterChoice:
    """The month's entries in poster order (at most ``max_items``), each fitted for print."""
    g = geometry or PosterGeometry()
    ordered = order_for_poster(collapse_clusters(public_items(items, period)), topics)
    chosen = ordered[: max(0, max_items)]
    order = {t.id: i for i, t in enumerate(topics)}
    titles = {t.id: t.title for t in topics}
    entries: list[PosterEntry] = []
    for e in chosen:
        title = typograph(clean_print(e.item.title))
        explanation = typograph(clean_print(e.item.explanation))
        summary = typograph(without_title(clean_print(e.item.summary_text), clean_print(e.item.title)))
        fit = fit_entry(title, explanation, summary, g)
        entries.append(PosterEntry(
            item=e.item, title=fit.title, text=fit.text,
            topic_title=titles.get(_first_topic(e.item, order), ""), is_new_service=e.item.is_new_service,
            full_title=title, full_text=explanation or summary, title_shortened=fit.title_shortened,
            text_shortened=fit.text_shortened, text_from=fit.text_from, title_lines=fit.title_lines,
            text_lines=fit.text_lines,
        ))
    return PosterChoice(period, g, tuple(entries), tuple(ordered[len(chosen):]), max_items)


def without_title(summary: str, title: str) -> str:
    """The summary without the headline it starts with (a Telegram post's first line is both)."""
    head = title.rstrip(" .!?…:;").casefold()
    if head and summary.casefold().startswith(head):
        return summary[len(head):].lstrip(" .!?…:;—–-")
    return summary


#: printed under the entries: what the QR codes are for
QR_HINT = "Наведите камеру телефона на QR-код — откроется новость."
CLASSES_INVITE = "Бесплатные занятия по госуслугам — спросите библиотекаря."


def poster_website(url: str) -> str:
    """A site as people type it: ``lib.omsk.ru``, ``госуслуги.рф/help`` (no scheme, no final slash)."""
    from ecitizen.urls import display_url

    shown = display_url(url.strip()) if "://" in url else url.strip()
    shown = re.sub(r"^https?://", "", shown)
    shown = re.sub(r"^www\.", "", shown)
    return shown.rstrip("/")


def sheet_frame(library: Library, *, period: Period, programme: str, geometry: PosterGeometry) -> SheetFrame:
    """The lines around the entries: the month, the library's name, its contacts (empty ones left
    out), how to use the QR codes, the programme."""
    footer: list[FooterLine] = []
    address, hours = clean_print(library.address), clean_print(library.hours)
    if address:
        footer.append(FooterLine(f"Адрес: {address}"))
    if hours:
        footer.append(FooterLine(f"Часы работы: {hours}"))
    parts = [label + value for label, value in (
        ("Телефон: ", clean_print(library.phone)), ("Эл. почта: ", clean_print(library.email)),
        ("Сайт: ", poster_website(clean_print(library.website)) if library.website.strip() else ""),
    ) if value]
    footer.extend(FooterLine(line) for line in join_parts(
        parts, width_em=geometry.content_width / geometry.footer_size))
    footer.append(FooterLine(QR_HINT, "hint"))
    footer.append(FooterLine(CLASSES_INVITE))
    footer.append(FooterLine(f"Программа «{programme}»", "small"))
    return SheetFrame(top=f"Новое в электронных услугах: {period.label_ru}", name=typograph(clean_print(library.name)),
                      footer=tuple(footer))


def _with_text_lines(e: PosterEntry, lines: int, g: PosterGeometry) -> PosterEntry:
    explanation, summary = (e.full_text, "") if e.text_from == "explanation" else ("", e.full_text)
    text, shortened, _ = fit_explanation(explanation, summary, lines=lines, g=g)
    n = line_count(text, width_em=g.text_em, bold=False) if text else 0
    return replace(e, text=text, text_shortened=shortened, text_lines=n)


def _with_title_lines(e: PosterEntry, lines: int, g: PosterGeometry, *, max_chars: int = POSTER_TITLE_MAX,
                      ) -> PosterEntry:
    title = cut_to_lines(e.full_title, max_lines=lines, width_em=g.title_em, bold=True, max_chars=max_chars)
    return replace(e, title=title, title_shortened=title != e.full_title,
                   title_lines=line_count(title, width_em=g.title_em, bold=True))


def _height(e: PosterEntry, g: PosterGeometry) -> float:
    return g.entry_height(e.title_lines, e.text_lines, e.is_new_service)


def _used(column: Sequence[PosterEntry], g: PosterGeometry) -> float:
    return sum(_height(e, g) for e in column) + g.entry_gap * max(0, len(column) - 1)


def _shrink(column: list[PosterEntry], budget: float, g: PosterGeometry) -> list[PosterEntry]:
    """A column taller than the room (a long name and address): explanations lose a line at a time
    (the longest first), then the start of the news printed in place of an explanation goes, then
    headlines lose their third line, then written explanations go. Each step is reported."""
    def pick(found: list[tuple[int, int]]) -> int | None:
        return max(found)[1] if found else None

    while _used(column, g) > budget:
        steps = (
            (pick([(e.text_lines, i) for i, e in enumerate(column) if e.text_lines > 1]), "text-1"),
            (pick([(e.text_lines, i) for i, e in enumerate(column) if e.text_lines and e.text_from == "summary"]),
             "text-0"),
            (pick([(e.title_lines, i) for i, e in enumerate(column) if e.title_lines > 2]), "title-2"),
            (pick([(e.text_lines, i) for i, e in enumerate(column) if e.text_lines]), "text-0"),
        )
        i, step = next(((i, step) for i, step in steps if i is not None), (None, ""))
        if i is None:
            break
        e = column[i]
        column[i] = (_with_title_lines(e, 2, g) if step == "title-2"
                     else _with_text_lines(e, e.text_lines - 1 if step == "text-1" else 0, g))
    return column


def _use_the_room(column: list[PosterEntry], budget: float, g: PosterGeometry) -> list[PosterEntry]:
    """The room a column has left, a line at a time, in order: first to headlines that were cut
    (a sheet with room prints a headline longer than the form's limit whole), then to explanations."""
    def longer(e: PosterEntry) -> list[PosterEntry]:
        out: list[PosterEntry] = []
        if e.title_shortened:
            t = _with_title_lines(e, e.title_lines + 1, g, max_chars=len(e.full_title))
            if len(t.title) > len(e.title):
                out.append(t)
        if e.full_text and (e.text_shortened or e.text_from == "summary"):
            x = _with_text_lines(e, e.text_lines + 1, g)
            if len(x.text) > len(e.text):
                out.append(x)
        return out

    grew = True
    while grew:
        grew = False
        for i, e in enumerate(column):
            for candidate in longer(e):
                if _used(column, g) + _height(candidate, g) - _height(e, g) <= budget:
                    column[i] = candidate
                    grew = True
                    break
    return column


def plan_sheets(choice: PosterChoice, frame: SheetFrame) -> PosterPlan:
    """The chosen entries in columns of at most four (filled evenly), two columns a sheet on A3,
    for one library's frame. A column taller than the room is shrunk (:func:`_shrink`) and, if
    even that is not enough, split; the room a column has left goes to cut explanations."""
    g = choice.geometry
    budget = column_budget(frame, g)
    columns: list[list[PosterEntry]] = []
    start = 0
    for size in column_sizes(len(choice.entries), columns_per_sheet=g.columns):
        original = list(choice.entries[start:start + size])
        start += size
        column = _shrink(list(original), budget, g)
        if _used(column, g) <= budget:
            columns.append(column)
            continue
        # even shrunk it does not fit (a very long name and address): another column, texts whole
        for part in pack_columns([_height(e, g) for e in original], budget=budget, gap=g.entry_gap):
            columns.append([original[i] for i in part])
    cols = [tuple(_use_the_room(c, budget, g)) for c in columns]
    sheets = tuple(PosterSheet(tuple(cols[i:i + g.columns])) for i in range(0, len(cols), g.columns))
    return PosterPlan(choice.period, g, frame, tuple(e for c in cols for e in c), sheets, choice.left_out)


def select_poster(
    items: Iterable[ItemView],
    *,
    period: Period,
    topics: Sequence[TopicInfo],
    max_items: int,
    geometry: PosterGeometry | None = None,
    frame: SheetFrame | None = None,
) -> PosterPlan:
    """The poster's entries (a clear choice when there are too many) packed onto sheets."""
    choice = choose_poster(items, period=period, topics=topics, max_items=max_items, geometry=geometry)
    return plan_sheets(choice, frame or SheetFrame(top="", name="", footer=()))


# -- media notes --------------------------------------------------------------------------------

def select_media(
    items: Iterable[ItemView],
    *,
    period: Period,
    topics: Sequence[TopicInfo],
    programme: str,
    organisation: str,
    libraries: int,
    max_highlights: int = 5,
) -> MediaNote:
    """A press-release draft for local media from the period's approved items."""
    chosen = public_items(items, period)
    entries = collapse_clusters(chosen)
    services = _newest_first(e for e in entries if e.item.is_new_service)
    events = _newest_first(e for e in entries if e.item.kind == "catalog_event" and not e.item.is_new_service)
    news = [e for e in order_for_poster(entries, topics)
            if not e.item.is_new_service and e.item.kind != "catalog_event"]
    titles = {t.id: t.title for t in topics}
    order = {t.id: i for i, t in enumerate(topics)}
    topic_counter = Counter(_first_topic(e.item, order) for e in entries)
    topic_counts = tuple(
        (titles[t.id], topic_counter[t.id]) for t in topics if topic_counter.get(t.id)
    )
    month_counts: tuple[MonthCount, ...] = ()
    if period.kind == "year":
        by_month: dict[int, list[Entry]] = {}
        for e in entries:
            local: date = e.item.when.astimezone(period.tz).date()
            by_month.setdefault(local.month, []).append(e)
        month_counts = tuple(
            MonthCount(
                m, MONTHS_NOMINATIVE[m - 1],
                sum(1 for e in by_month.get(m, []) if e.item.is_new_service),
                sum(1 for e in by_month.get(m, []) if not e.item.is_new_service),
            )
            for m in range(1, 13)
        )
    n_services = len(services)
    when = period.in_ru
    if period.kind == "year":
        about = count_ru(n_services, "новой онлайн-услуге", "новых онлайн-услугах", "новых онлайн-услугах")
        headline = f"Итоги {period.first_day.year} года: программа «{programme}» рассказала омичам о {about}"
    elif n_services:
        services_ru = count_ru(n_services, "новая онлайн-услуга", "новые онлайн-услуги", "новых онлайн-услуг")
        headline = f"Что нового в электронных госуслугах {when}: {services_ru}"
    else:
        headline = f"Электронный гражданин: главное {when}"
    lead = (
        f"{organisation} {'подводит итоги года' if period.kind == 'year' else 'рассказывает о новостях'} "
        f"по программе «{programme}». {when[0].upper() + when[1:]} специалисты "
        f"{count_ru(libraries, 'библиотеки', 'библиотек', 'библиотек')} отобрали для жителей "
        f"{count_ru(len(entries), 'новость', 'новости', 'новостей')} об электронных государственных услугах"
        + (f", из них {count_ru(n_services, 'новая онлайн-услуга', 'новые онлайн-услуги', 'новых онлайн-услуг')}"
           if n_services else "")
        + ". Помочь разобраться с ними можно на бесплатных занятиях в библиотеках города."
    )
    return MediaNote(
        period=period,
        headline=headline,
        lead=lead,
        new_services=tuple(services[:max_highlights * (3 if period.kind == "year" else 1)]),
        events=tuple(events[:max_highlights]),
        news=tuple(news[:max_highlights]),
        topic_counts=topic_counts,
        month_counts=month_counts,
        total=len(entries),
        total_new_services=n_services,
    )


# -- public feed --------------------------------------------------------------------------------

def select_feed(items: Iterable[ItemView], *, limit: int = 50) -> list[ItemView]:
    """Approved public items, one per cluster, newest first."""
    return [e.item for e in _newest_first(collapse_clusters(public_items(items)))][:limit]
