"""What goes into each output: pure functions over plain data. No database, no files, no clock.

Owns the selection rules (see docs/decisions.md, ``## Digest``):

- the weekly digest shows what *arrived* in the week (``fetched_at``), not rejected;
  public outputs (posters, media notes, feeds) show **approved** items dated in the period
  (``published_at``, else ``fetched_at``), never page changes;
- one entry per duplicate cluster; the other sources are named beside it;
- posters: new services first, then by course topic in the order of the course, newest first
  within a group; at most ``max_items``; ``per_page`` entries per A4 page;
- print text is fitted: bidi controls removed, whitespace collapsed, cut at a word with «…».
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ecitizen.dates import MONTHS_NOMINATIVE
from ecitizen.digest.periods import Period

PUBLIC_KINDS = frozenset({"news", "service", "catalog_event"})
APPROVED = "approved"
REJECTED = "rejected"
NO_TOPIC = ""
NO_TOPIC_TITLE = "Другие новости"

#: print limits (characters) chosen for the poster layout (see :class:`PosterLayout`)
POSTER_TITLE_MAX = 100
POSTER_TEXT_MAX = 200
DIGEST_SUMMARY_MAX = 300

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
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


@dataclass(frozen=True)
class UnreviewedLink:
    url: str
    title: str
    added_at: datetime | None
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class LinkChange:
    url: str
    title: str
    at: datetime | None
    kind: str
    summary: str
    diff: str | None = None


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
    item: ItemView
    title: str
    text: str
    topic_title: str
    is_new_service: bool


@dataclass(frozen=True)
class PosterLayout:
    """Conservative measures of the built-in poster (``poster.html``), in points.

    Entries are packed onto A4 pages by an estimated height (greedy word wrap at these widths),
    so a page never overflows: the estimate errs on the long side.
    """

    #: room for entries on one page for the default library block (see :meth:`for_library`)
    page_budget: float = 520.0
    title_chars_per_line: float = 30.0
    title_line: float = 25.0
    text_chars_per_line: float = 41.0
    text_line: float = 21.0
    badge: float = 24.0
    qr: float = 102.0
    gap: float = 18.0

    #: the page without the library's name (header) and contact lines (footer), less a safety margin
    base_budget: float = 696.0
    name_chars_per_line: float = 34.0
    name_line: float = 27.0
    footer_chars_per_line: float = 48.0
    footer_line: float = 21.0

    def for_library(self, name: str, footer_lines: Sequence[str]) -> PosterLayout:
        """The layout with the budget left by this library's name and contact block."""
        used = wrapped_lines(name, self.name_chars_per_line) * self.name_line
        used += sum(max(1, wrapped_lines(line, self.footer_chars_per_line)) for line in footer_lines) * self.footer_line
        return replace(self, page_budget=self.base_budget - used)

    def entry_height(self, title: str, text: str) -> float:
        body = self.badge + wrapped_lines(title, self.title_chars_per_line) * self.title_line
        if text:
            body += 6 + wrapped_lines(text, self.text_chars_per_line) * self.text_line
        return max(self.qr, body) + self.gap


_NARROW = frozenset(".,:;!|'\"()[]-–—ilIjft1 ")


def _units(ch: str) -> float:
    """Width of a character in units of an average lower-case letter (DejaVu Sans)."""
    if ch in _NARROW:
        return 0.6
    if ch.isupper():
        return 1.3
    if ch.isdigit():
        return 0.95
    return 1.0


def text_width(text: str) -> float:
    return sum(_units(c) for c in text)


def wrapped_lines(text: str, width: float) -> int:
    """Lines a greedy word wrap needs at ``width`` units (long words are broken anywhere).

    Widths are weighted per character (:func:`_units`): capitals and wide letters take more room,
    so an ALL-CAPS title is not under-estimated."""
    lines, current = 0, 0.0
    space = _units(" ")
    for word in text.split():
        w = text_width(word)
        while w > width:  # broken anywhere (overflow-wrap: anywhere)
            if current:
                lines += 1
                current = 0.0
            lines += 1
            taken, used = 0, 0.0
            while taken < len(word) and used + _units(word[taken]) <= width:
                used += _units(word[taken])
                taken += 1
            word = word[max(1, taken):]
            w = text_width(word)
        if not word:
            continue
        if current and current + space + w > width:
            lines += 1
            current = w
        else:
            current += (space if current else 0.0) + w
    return lines + (1 if current else 0)


def pack_pages(entries: Sequence[PosterEntry], layout: PosterLayout) -> tuple[tuple[PosterEntry, ...], ...]:
    """Greedy: fill a page until the next entry would not fit, then start a new page."""
    pages: list[list[PosterEntry]] = [[]]
    used = 0.0
    for e in entries:
        h = layout.entry_height(e.title, e.text)
        if pages[-1] and used + h - layout.gap > layout.page_budget:
            pages.append([])
            used = 0.0
        pages[-1].append(e)
        used += h
    return tuple(tuple(p) for p in pages)


@dataclass(frozen=True)
class PosterPlan:
    period: Period
    entries: tuple[PosterEntry, ...]
    pages: tuple[tuple[PosterEntry, ...], ...]
    #: approved items of the period that did not fit (``max_items``)
    left_out: int


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


# -- text helpers -------------------------------------------------------------------------------

#: pictographs (emoji) and their joiners/selectors: the print fonts have no glyphs for them, so
#: a poster would show empty boxes; Telegram posts are full of them
_PICTOGRAPHS = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0E\uFE0F\u200D\u20E3]")


def clean_print(text: str | None) -> str:
    """Remove bidi/control characters and pictographs, collapse whitespace (text meant for print)."""
    if not text:
        return ""
    return " ".join(_PICTOGRAPHS.sub(" ", _CONTROL.sub(" ", _BIDI.sub("", text))).split())


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


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 услуга, 2 услуги, 5 услуг."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_ru(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {plural(n, one, few, many)}"


# -- clusters and ordering ----------------------------------------------------------------------

def _rep_key(item: ItemView) -> tuple[Any, ...]:
    return (item.status != APPROVED, not item.is_new_service, item.when, item.id)


def collapse_clusters(
    items: Iterable[ItemView], cluster_sources: Mapping[int, Iterable[str]] | None = None
) -> list[Entry]:
    """One entry per cluster: approved, then new-service, then earliest item represents it.

    ``cluster_sources`` names the sources of every member of a cluster, also those outside the
    selection (the same news reported last week by another site)."""
    groups: dict[int, list[ItemView]] = {}
    for it in items:
        groups.setdefault(it.cluster_key, []).append(it)
    out: list[Entry] = []
    for members in groups.values():
        members.sort(key=_rep_key)
        rep = members[0]
        names = {m.source for m in members[1:]} | set((cluster_sources or {}).get(rep.cluster_key, ()))
        others = sorted(names - {rep.source})
        out.append(Entry(rep, tuple(others)))
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
    """The manager's weekly digest: items that arrived in the week (not rejected)."""
    week = [it for it in items if it.status != REJECTED and period.contains(it.fetched_at)]
    changes = [it for it in week if it.kind == "page_change"]
    rest = [it for it in week if it.kind != "page_change"]
    entries = collapse_clusters(rest, cluster_sources)
    services = _newest_first(e for e in entries if e.item.is_new_service)
    news = [e for e in entries if not e.item.is_new_service]
    failing = sorted(
        (s for s in sources if s.consecutive_failures > 0),
        key=lambda s: (s.failing_since is None, s.failing_since or datetime.max, s.name),
    )
    counts = {
        "items": len(week),
        "entries": len(entries),
        "new_services": len(services),
        "news": len(news),
        "page_changes": len(changes),
        "duplicates": len(rest) - len(entries),
        "approved": sum(1 for it in week if it.status == APPROVED),
        "awaiting_review": pending.count,
        "links_need_person": len(links.needs),
        "link_changes": len(links.changes),
        "failing_sources": len(failing),
    }
    return WeeklyDigest(
        period=period,
        new_services=tuple(services),
        topics=group_by_topic(news, topics),
        page_changes=tuple(_newest_first(Entry(it) for it in changes)),
        links=links,
        failing_sources=tuple(failing),
        pending=pending,
        counts=counts,
    )


# -- posters ------------------------------------------------------------------------------------

def order_for_poster(entries: Iterable[Entry], topics: Sequence[TopicInfo]) -> list[Entry]:
    """New services first (newest first), then by topic in course order, then the rest."""
    entries = list(entries)
    services = _newest_first(e for e in entries if e.item.is_new_service)
    others = [e for g in group_by_topic((e for e in entries if not e.item.is_new_service), topics)
              for e in g.entries]
    return services + others


def select_poster(
    items: Iterable[ItemView],
    *,
    period: Period,
    topics: Sequence[TopicInfo],
    max_items: int,
    layout: PosterLayout | None = None,
) -> PosterPlan:
    """The poster's entries (a clear choice when there are too many) packed onto pages."""
    entries = collapse_clusters(public_items(items, period))
    ordered = order_for_poster(entries, topics)
    chosen = ordered[: max(0, max_items)]
    order = {t.id: i for i, t in enumerate(topics)}
    titles = {t.id: t.title for t in topics}
    poster_entries = tuple(
        PosterEntry(
            item=e.item,
            title=fit_text(e.item.title, POSTER_TITLE_MAX),
            text=short_explanation(e.item, POSTER_TEXT_MAX),
            topic_title=titles.get(_first_topic(e.item, order), ""),
            is_new_service=e.item.is_new_service,
        )
        for e in chosen
    )
    pages = pack_pages(poster_entries, layout or PosterLayout())
    return PosterPlan(period, poster_entries, pages, len(ordered) - len(chosen))


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
