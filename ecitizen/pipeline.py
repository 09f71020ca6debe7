"""The item pipeline shared by the feed reader and the crawler: normalise → sanitise →
deduplicate → classify, as pure functions over plain data. Storing is in ``ecitizen.store``.

Owns: :class:`EntryData` (what a reader or spider produces), :class:`PreparedItem` (what gets
stored), the identity of an item (GUID within a source, else canonical URL, else a content hash),
and the near-duplicate rule that puts the same news from several sources into one cluster.
Must not import storage, network or any domain package.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import overload

from ecitizen.classify import ServiceRule, TopicMatch, TopicRule, classify, stem, words
from ecitizen.html import clean_text, html_to_text, sanitize_html
from ecitizen.urls import canonical_url, is_http_url

TITLE_MAX = 500
SUMMARY_TEXT_MAX = 4000
#: a longer sanitised summary is replaced by its (capped) text as one paragraph: one hostile
#: 340,000-character summary must not make every public feed and the digest huge
SUMMARY_HTML_MAX = 12_000
#: items whose titles are this similar and whose dates are this close form one cluster
CLUSTER_SIMILARITY = 0.82
CLUSTER_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class EntryData:
    """One entry as a feed reader or a spider found it (untrusted, unnormalised)."""

    url: str
    title: str
    guid: str | None = None
    summary_html: str = ""
    published_at: datetime | None = None
    #: news | service | page_change | catalog_event
    kind: str = "news"
    #: set by producers that know an entry is a new service (e.g. a new catalogue entry)
    new_service_rule: str | None = None
    diff_text: str | None = None


@dataclass(frozen=True)
class PreparedItem:
    """A normalised, sanitised, classified entry, ready to be stored."""

    guid: str
    url: str
    title: str
    summary_html: str
    summary_text: str
    published_at: datetime | None
    kind: str
    topics: tuple[TopicMatch, ...]
    new_service_rule: str | None
    title_key: str
    content_hash: str
    diff_text: str | None = None

    @property
    def is_new_service(self) -> bool:
        return self.new_service_rule is not None


@dataclass(frozen=True)
class Rules:
    topics: tuple[TopicRule, ...] = ()
    services: tuple[ServiceRule, ...] = ()


@dataclass(frozen=True)
class ClusterCandidate:
    """An already stored item that a new one may duplicate."""

    item_id: int
    cluster_id: int | None
    source_id: int
    title_key: str
    published_at: datetime | None


@dataclass(frozen=True)
class Rejected:
    entry: EntryData
    reason: str


@dataclass(frozen=True)
class PrepareResult:
    items: tuple[PreparedItem, ...]
    rejected: tuple[Rejected, ...] = field(default_factory=tuple)


def title_key(title: str) -> str:
    """Lower-case word stems joined by spaces: what near-duplicate titles share."""
    return " ".join(stem(w) for w in words(title))


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def prepare_entry(entry: EntryData, rules: Rules, *, base_url: str | None = None) -> PreparedItem:
    """normalise + sanitise + classify one entry. Raises ValueError for an unusable entry."""
    raw_url = (entry.url or "").strip()
    if base_url and raw_url:
        from urllib.parse import urljoin

        raw_url = urljoin(base_url, raw_url)
    if raw_url and not is_http_url(raw_url):
        raise ValueError(f"not an http(s) link: {raw_url[:200]!r}")
    url = canonical_url(raw_url) if raw_url else ""
    summary_html = sanitize_html(entry.summary_html, base_url=url or base_url)
    summary_text = clean_text(html_to_text(summary_html), max_length=SUMMARY_TEXT_MAX)
    if len(summary_html) > SUMMARY_HTML_MAX:
        summary_html = f"<p>{html.escape(summary_text, quote=False)}</p>"
    title = clean_text(entry.title or "", max_length=TITLE_MAX)
    if not title:
        title = clean_text(summary_text, max_length=120)
    if not title:
        raise ValueError("entry has neither a title nor a summary")
    if not url:
        if base_url:
            url = canonical_url(base_url)
        else:
            raise ValueError("entry has no link")
    content_hash = _hash(title, summary_text)
    guid = (entry.guid or "").strip()[:1000] or url
    if not entry.guid and base_url and url == canonical_url(base_url):
        # no own link and no guid: identify the entry by its content
        guid = "sha256:" + content_hash
    cls = classify(f"{title}\n{summary_text}", rules.topics, rules.services)
    rule = entry.new_service_rule or cls.new_service_rule
    return PreparedItem(
        guid=guid,
        url=url,
        title=title,
        summary_html=summary_html,
        summary_text=summary_text,
        published_at=entry.published_at,
        kind="service" if rule and entry.kind == "news" else entry.kind,
        topics=cls.topics,
        new_service_rule=rule,
        title_key=title_key(title),
        content_hash=content_hash,
        diff_text=entry.diff_text,
    )


def prepare_entries(entries: Iterable[EntryData], rules: Rules, *, base_url: str | None = None) -> PrepareResult:
    """Prepare many entries; duplicates inside the batch (same guid or URL) keep the first."""
    items: list[PreparedItem] = []
    rejected: list[Rejected] = []
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    for entry in entries:
        try:
            item = prepare_entry(entry, rules, base_url=base_url)
        except ValueError as exc:
            rejected.append(Rejected(entry, str(exc)))
            continue
        if item.guid in seen_guids:
            rejected.append(Rejected(entry, f"duplicate guid in the same batch: {item.guid[:200]}"))
            continue
        has_own_url = not (base_url and item.url == canonical_url(base_url))
        if has_own_url and item.url in seen_urls:
            rejected.append(Rejected(entry, f"duplicate link in the same batch: {item.url[:200]}"))
            continue
        seen_guids.add(item.guid)
        if has_own_url:
            seen_urls.add(item.url)
        items.append(item)
    return PrepareResult(tuple(items), tuple(rejected))


def titles_similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    ta, tb = set(a.split()), set(b.split())
    if len(ta) < 3 or len(tb) < 3:
        return False
    jaccard = len(ta & tb) / len(ta | tb)
    if jaccard >= 0.75:
        return True
    sm = SequenceMatcher(None, a, b, autojunk=False)
    # real_quick_ratio() and quick_ratio() are upper bounds of ratio(): same answer, far cheaper
    return (
        sm.real_quick_ratio() >= CLUSTER_SIMILARITY
        and sm.quick_ratio() >= CLUSTER_SIMILARITY
        and sm.ratio() >= CLUSTER_SIMILARITY
    )


class CandidateIndex(Sequence[ClusterCandidate]):
    """Cluster candidates indexed by title stem, so a new item is compared only with the stored
    items sharing stems (of 3+ letters) with it instead of with every recent item. Titles are
    compared only when they share at least half of the shorter title's stems (and two stems for
    titles of four or more): the titles are stemmed, so two wordings of the same headline share
    most stems, while a character ratio of 0.82 with fewer shared stems does not occur in real
    headlines. Jaccard ≥ 0.75 implies that bound anyway."""

    def __init__(self, candidates: Iterable[ClusterCandidate] = ()) -> None:
        self._items: list[ClusterCandidate] = []
        self._sizes: list[int] = []
        self._postings: dict[str, list[int]] = {}
        for c in candidates:
            self.append(c)

    @staticmethod
    def _tokens(key: str) -> set[str]:
        tokens = set(key.split())
        long = {t for t in tokens if len(t) >= 3}
        return long or tokens

    def append(self, cand: ClusterCandidate) -> None:
        idx = len(self._items)
        self._items.append(cand)
        tokens = self._tokens(cand.title_key)
        self._sizes.append(len(tokens))
        for t in tokens:
            self._postings.setdefault(t, []).append(idx)

    def near(self, key: str) -> list[ClusterCandidate]:
        """Candidates sharing at least half of the shorter title's stems with ``key`` (and two
        stems when ``key`` has four or more)."""
        tokens = self._tokens(key)
        need = 2 if len(tokens) >= 4 else 1
        shared: dict[int, int] = {}
        for t in tokens:
            for i in self._postings.get(t, ()):
                shared[i] = shared.get(i, 0) + 1
        n = len(tokens)
        sizes = self._sizes
        return [
            self._items[i] for i in sorted(shared)
            if shared[i] >= need and 2 * shared[i] >= min(n, sizes[i])
        ]

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> ClusterCandidate: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[ClusterCandidate]: ...

    def __getitem__(self, i: int | slice) -> ClusterCandidate | Sequence[ClusterCandidate]:
        return self._items[i]


def find_cluster(
    item: PreparedItem,
    source_id: int,
    candidates: Sequence[ClusterCandidate],
    *,
    fetched_at: datetime,
) -> ClusterCandidate | None:
    """The stored item from *another* source that this one duplicates, if any."""
    when = item.published_at or fetched_at
    best: ClusterCandidate | None = None
    pool = candidates.near(item.title_key) if isinstance(candidates, CandidateIndex) else candidates
    for cand in pool:
        if cand.source_id == source_id:
            continue
        cwhen = cand.published_at
        if cwhen is not None and abs(cwhen - when) > CLUSTER_WINDOW:
            continue
        if titles_similar(item.title_key, cand.title_key):
            if best is None or (cand.cluster_id or cand.item_id) < (best.cluster_id or best.item_id):
                best = cand
    return best


def rules_from_config(topics: Iterable[object], services: Iterable[object]) -> Rules:
    """Build :class:`Rules` from config objects having ``id``/``keywords`` and ``id``/``phrases``."""
    return Rules(
        topics=tuple(TopicRule(t.id, tuple(t.keywords)) for t in topics),  # type: ignore[attr-defined]
        services=tuple(ServiceRule(s.id, tuple(s.phrases)) for s in services),  # type: ignore[attr-defined]
    )
