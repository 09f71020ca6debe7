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
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from functools import lru_cache, reduce
from itertools import chain, combinations
from operator import xor
from typing import TYPE_CHECKING, overload

from rapidfuzz.distance import Indel

from ecitizen.classify import Classifier, ServiceRule, TopicMatch, TopicRule, classifier, stem, topics_json, words
from ecitizen.html import clean_text, html_to_text, sanitize_html

if TYPE_CHECKING:
    from ecitizen.config import NewServiceRule, Topic
from ecitizen.urls import canonical_url, is_http_url

TITLE_MAX = 500
SUMMARY_TEXT_MAX = 4000
#: a longer sanitised summary is replaced by its (capped) text as one paragraph: one hostile
#: 340,000-character summary must not make every public feed and the digest huge
SUMMARY_HTML_MAX = 12_000
#: items whose titles are this similar and whose dates are this close form one cluster
CLUSTER_SIMILARITY = 0.82
CLUSTER_WINDOW = timedelta(days=3)
#: near-duplicate candidates (docs/clustering.md): titles meet in buckets keyed by a sample of
#: their stems (BLOCK_SAMPLE at most) less up to two; a bucket holds its last BLOCK_BUCKET_CAP
#: items and a new item is compared with CLUSTER_MAX_COMPARED stored ones at most
BLOCK_SAMPLE = 8
BLOCK_BUCKET_CAP = 3
CLUSTER_MAX_COMPARED = 8


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
    #: :attr:`topics` in their stored form (JSON of ``TopicMatch.as_dict``), made where the item
    #: is prepared: an item from a worker process comes :meth:`slim`, with this and no ``topics``
    topics_json: str = "[]"

    @property
    def is_new_service(self) -> bool:
        return self.new_service_rule is not None

    def slim(self) -> PreparedItem:
        """The item without its :attr:`topics` objects (their evidence is many small objects, slow
        to send between processes); :attr:`topics_json` keeps what is stored."""
        return replace(self, topics=())


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


def slim_result(result: PrepareResult) -> PrepareResult:
    """A :class:`PrepareResult` to send from a worker process: its items :meth:`~PreparedItem.slim`."""
    return replace(result, items=tuple(i.slim() for i in result.items))


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
    return _prepare_entry(entry, _classifier(rules), base_url, _base_key(base_url))


def _base_key(base_url: str | None) -> str | None:
    """The canonical form of the page or feed the entries come from (None: none, or unusable)."""
    try:
        return canonical_url(base_url) if base_url else None
    except ValueError:
        return None


def _classifier(rules: Rules) -> Classifier:
    return classifier(tuple(rules.topics), tuple(rules.services))


def _prepare_entry(entry: EntryData, classify: Classifier, base_url: str | None, base_key: str | None
                   ) -> PreparedItem:
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
    if not entry.guid and base_url and url == base_key:
        # no own link and no guid: identify the entry by its content
        guid = "sha256:" + content_hash
    cls = classify(f"{title}\n{summary_text}")
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
        topics_json=topics_json(cls.topics),
    )


def prepare_entries(entries: Iterable[EntryData], rules: Rules, *, base_url: str | None = None) -> PrepareResult:
    """Prepare many entries; duplicates inside the batch (same guid or URL) keep the first."""
    entries = list(entries)
    return merge_prepared(entries, prepare_each(entries, rules, base_url=base_url), base_url=base_url)


def prepare_each(entries: Sequence[EntryData], rules: Rules, *, base_url: str | None = None
                 ) -> list[PreparedItem | str]:
    """Each entry prepared on its own: the item, or why it is unusable. A batch may be split
    into parts prepared apart (in worker processes) and put back with :func:`merge_prepared`."""
    base_key = _base_key(base_url)  # the feed's or page's own address, once for the batch
    classify = _classifier(rules)  # the compiled rules, once for the batch
    out: list[PreparedItem | str] = []
    for entry in entries:
        try:
            out.append(_prepare_entry(entry, classify, base_url, base_key))
        except ValueError as exc:
            out.append(str(exc))
    return out


def merge_prepared(entries: Sequence[EntryData], prepared: Sequence[PreparedItem | str], *,
                   base_url: str | None = None) -> PrepareResult:
    """The batch's result from :func:`prepare_each`'s, in entry order: duplicates inside the batch
    (same guid, or same own link) keep the first."""
    items: list[PreparedItem] = []
    rejected: list[Rejected] = []
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    base_key = _base_key(base_url)
    for entry, item in zip(entries, prepared, strict=True):
        if isinstance(item, str):
            rejected.append(Rejected(entry, item))
            continue
        if item.guid in seen_guids:
            rejected.append(Rejected(entry, f"duplicate guid in the same batch: {item.guid[:200]}"))
            continue
        has_own_url = item.url != base_key
        if has_own_url and item.url in seen_urls:
            rejected.append(Rejected(entry, f"duplicate link in the same batch: {item.url[:200]}"))
            continue
        seen_guids.add(item.guid)
        if has_own_url:
            seen_urls.add(item.url)
        items.append(item)
    return PrepareResult(tuple(items), tuple(rejected))


def titles_similar(a: str, b: str) -> bool:
    """The near-duplicate rule over two title keys: the same key; or, with three stems or more
    each, stem sets with a Jaccard similarity of 0.75 or a difflib ratio of CLUSTER_SIMILARITY."""
    if not a or not b:
        return False
    if a == b:
        return True
    ta, tb = _stem_set(a), _stem_set(b)
    if len(ta) < 3 or len(tb) < 3:
        return False
    shared = len(ta & tb)
    if shared / (len(ta) + len(tb) - shared) >= 0.75:  # Jaccard similarity of the stem sets
        return True
    # difflib's matching blocks form a common subsequence, so ratio() ≤ the LCS (Indel) similarity,
    # which rapidfuzz computes in C in well under a microsecond: an exact rejection of most pairs
    if Indel.normalized_similarity(a, b, score_cutoff=_LCS_CUTOFF) < _LCS_CUTOFF:
        return False
    sm = SequenceMatcher(None, a, b, autojunk=False)
    # real_quick_ratio() and quick_ratio() are upper bounds of ratio(): same answer, far cheaper
    return (
        sm.real_quick_ratio() >= CLUSTER_SIMILARITY
        and sm.quick_ratio() >= CLUSTER_SIMILARITY
        and sm.ratio() >= CLUSTER_SIMILARITY
    )


#: just under CLUSTER_SIMILARITY, so that float rounding never rejects a pair ratio() accepts
_LCS_CUTOFF = CLUSTER_SIMILARITY - 1e-9


@lru_cache(maxsize=32768)
def _stem_set(key: str) -> frozenset[str]:
    return frozenset(key.split())


@lru_cache(maxsize=65536)
def _stem_hash(stem_: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem_.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


@lru_cache(maxsize=16384)
def block_keys(key: str) -> tuple[int, ...]:
    """The buckets of a title key in :class:`CandidateIndex`: its *deletion neighbourhood*.

    The sample: the title's stems of 3+ letters (all its stems if none is that long), at most
    :data:`BLOCK_SAMPLE` of them (those with the smallest hashes, so a stem is sampled alike in
    every title). The keys: the sample, the sample less any one stem (of 3+) and less any two (of
    4+), each as the XOR of the stems' 64-bit hashes, in that order: at most 1 + 8 + 28. Two
    titles whose stems differ by at most two on each side (a reworded word, two words added,
    «Пенсионный фонд» → «СФР», any word order) share a bucket: A − {a₁, a₂} = B − {b₁, b₂}.
    """
    stems = _stem_set(key)
    long = [s for s in stems if len(s) >= 3]
    hashes = sorted(map(_stem_hash, long or stems))[:BLOCK_SAMPLE]
    if not hashes:
        return ()
    full = reduce(xor, hashes)
    if len(hashes) < 3:
        return (full,)
    keys = [full, *[full ^ h for h in hashes]]
    if len(hashes) >= 4:
        keys += [full ^ g ^ h for g, h in combinations(hashes, 2)]
    return tuple(dict.fromkeys(keys))  # distinct (two XORs may meet, once in 2⁶⁴)


def _timestamp(when: datetime | None) -> float:
    """Seconds since the epoch; nan for no date (no distance to it exceeds a window, as in find_cluster)."""
    return when.timestamp() if when is not None else math.nan


#: the window in seconds, with a day to spare: a cheap first filter (find_cluster checks the dates)
_WINDOW_SECONDS = (CLUSTER_WINDOW + timedelta(days=1)).total_seconds()


class CandidateIndex(Sequence[ClusterCandidate]):
    """Cluster candidates in buckets keyed by the title's deletion neighbourhood (:func:`block_keys`,
    docs/clustering.md), so that a new item is compared with a bounded number of stored items
    whatever the vocabulary. A bucket holds the last :data:`BLOCK_BUCKET_CAP` items indexed into it
    (``ecitizen.store`` indexes stored items in date order, then each source's new ones): items
    sharing a bucket share all their sampled stems but two, so a crowded bucket is one story told
    many times. A query looks up at most 37 buckets and returns at most
    :data:`CLUSTER_MAX_COMPARED` candidates, those of the most specific buckets first. Cost per
    item: bounded, whatever the number of stored items or the vocabulary."""

    def __init__(self, candidates: Iterable[ClusterCandidate] = ()) -> None:
        self._items: list[ClusterCandidate] = []
        self._sources: list[int] = []
        self._stamps: list[float] = []
        #: bucket key → the indexes of the bucket's items, the last indexed first (at most
        #: BLOCK_BUCKET_CAP): one dict access per key to read a bucket or to put an item in it
        self._buckets: dict[int, tuple[int, ...]] = {}
        for c in candidates:
            self.append(c)

    def append(self, cand: ClusterCandidate) -> None:
        idx = len(self._items)
        self._items.append(cand)
        self._sources.append(cand.source_id)
        self._stamps.append(_timestamp(cand.published_at))
        buckets = self._buckets
        get = buckets.get
        first, keep = (idx,), BLOCK_BUCKET_CAP - 1
        for k in block_keys(cand.title_key):  # distinct keys
            bucket = get(k)
            buckets[k] = first if bucket is None else first + bucket[:keep]

    def near(
        self, key: str, *, source_id: int | None = None, when: datetime | None = None
    ) -> list[ClusterCandidate]:
        """At most :data:`CLUSTER_MAX_COMPARED` candidates sharing a bucket with ``key``, those of
        the most specific buckets first (keeping all the sampled stems, all but one, all but two);
        those of ``source_id`` and those dated far outside :data:`CLUSTER_WINDOW` from ``when``
        are left out before the cap."""
        sources, stamps, items = self._sources, self._stamps, self._items
        stamp = _timestamp(when)
        found: list[ClusterCandidate] = []
        # the buckets' items in bucket order, each bucket's last indexed first, each item once
        # (dict.fromkeys: the order kept, the duplicates dropped, in C)
        for i in dict.fromkeys(chain.from_iterable(filter(None, map(self._buckets.get, block_keys(key))))):
            if sources[i] != source_id and not abs(stamps[i] - stamp) > _WINDOW_SECONDS:
                found.append(items[i])
                if len(found) == CLUSTER_MAX_COMPARED:
                    break
        return found

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
    """The stored item from *another* source that this one duplicates, if any. A
    :class:`CandidateIndex` offers a bounded number of candidates; any other sequence is searched
    whole (small lists, tests)."""
    when = item.published_at or fetched_at
    best: ClusterCandidate | None = None
    if isinstance(candidates, CandidateIndex):
        pool: Sequence[ClusterCandidate] = candidates.near(item.title_key, source_id=source_id, when=when)
    else:
        pool = candidates
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


def rules_from_config(topics: Iterable[Topic], services: Iterable[NewServiceRule]) -> Rules:
    """Build :class:`Rules` from the config's topics (every field: keywords, words that need
    context, exclusions) and new-service rules."""
    return Rules(
        topics=tuple(t.rule() for t in topics),
        services=tuple(ServiceRule(s.id, tuple(s.phrases)) for s in services),
    )
