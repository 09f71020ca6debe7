"""Near-duplicate clustering benchmark: the cost of ``find_cluster`` + ``CandidateIndex`` alone.

Three shapes of 10,000 items from 200 sources, stored source after source as a cold poll does:

  * ``random``: headlines of 6–10 words from a 5,000-word vocabulary, 50 per source an hour apart;
  * ``shared``: the feed poll benchmark's headlines (9 words drawn from a vocabulary) with the 25
    e-government words as the vocabulary (Госуслуги, пенсия, СФР, Омской области …), dated as
    there (``i % 24 + 6 j`` hours back, so about half the items fall in an item's window): the
    shape whose poll took 52.9 s before issue 13;
  * ``dense``: the worst case: 6–10 distinct words of the same 25 per headline, all items in one
    window, so every title shares most of its stems with thousands of others.

In ``random`` and ``dense``, 3 % of the items are planted near-duplicates of an item of another,
earlier source (the same headline reworded: «Пенсионный фонд напоминает …» → «СФР напоминает …»,
a word added, dropped, replaced, moved, a «!»). For the current index (and with ``--old`` for the
stem index before issue 13, kept here to measure against: minutes on ``shared`` and ``dense``) it
prints the CPU seconds, the titles compared (``titles_similar`` calls), the items that joined a
cluster and the planted near-duplicates (those ``titles_similar`` accepts) found in their
original's cluster.

    python benchmarks/clustering.py [--items 10000] [--old] [--smoke]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from difflib import SequenceMatcher  # noqa: E402

from benchmarks.common import SMOKE_HELP  # noqa: E402
from ecitizen import pipeline  # noqa: E402
from ecitizen.pipeline import (  # noqa: E402
    CLUSTER_SIMILARITY,
    CLUSTER_WINDOW,
    CandidateIndex,
    ClusterCandidate,
    PreparedItem,
    find_cluster,
    title_key,
    titles_similar,
)

BASE = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SOURCES = 200
PLANTED_SHARE = 0.03
#: the 25 words of the ``shared`` and ``dense`` shapes
SHARED_VOCAB = (
    "Госуслуги пенсия СФР Омской области услуга онлайн заявление портал выплата пособие запись врач "
    "справка документ семья жители новый сервис подать можно теперь электронный региона через"
).split()
SYLLABLES = (
    "ба ва га да жа за ка ла ма на па ра са та фа ха ца ча ша бо во го до ко ло мо но по ро со то "
    "бу ву ду ку лу му ну пу ру су ту би ви ди ки ли ми ни пи ри си ти бе ве де ке ле ме не пе ре се те"
).split()
ENDINGS = ("", "ов", "ский", "ная", "ение", "ость", "ист", "ик", "ами", "ого")


def random_vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    found: dict[str, None] = {}
    while len(found) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice(ENDINGS)
        found.setdefault(word, None)
    return list(found)


@dataclass(frozen=True)
class Entry:
    item: PreparedItem
    source_id: int


@dataclass(frozen=True)
class Planted:
    original: int
    variant: int


@dataclass(frozen=True)
class Workload:
    shape: str
    batches: tuple[tuple[Entry, ...], ...]
    planted: tuple[Planted, ...]

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.batches)


def make_item(n: int, title: str, when: datetime) -> PreparedItem:
    return PreparedItem(
        guid=f"g{n}", url=f"https://example.org/{n}", title=title, summary_html="", summary_text="",
        published_at=when, kind="news", topics=(), new_service_rule=None, title_key=title_key(title),
        content_hash=str(n),
    )


def reword(words: list[str], vocab: Sequence[str], rng: random.Random, how: str) -> tuple[list[str], list[str]]:
    """An (original, variant) pair of headlines: the same news as another source words it."""
    variant = list(words)
    if how == "abbrev":
        return ["Пенсионный", "фонд", *words[1:]], ["СФР", *words[1:]]
    if how == "punct":
        variant[-1] += "!"
    elif how == "move":
        variant = variant[1:] + variant[:1]
    elif how == "drop":
        del variant[rng.randrange(len(variant))]
    elif how == "add":
        variant.insert(rng.randrange(len(variant) + 1), rng.choice([w for w in vocab if w not in words]))
    elif how == "replace":
        variant[rng.randrange(len(variant))] = rng.choice([w for w in vocab if w not in words])
    return words, variant


def make_workload(shape: str, items: int, seed: int = 1) -> Workload:
    if shape == "shared":
        return feed_poll_workload(items)
    rng = random.Random(f"{shape}-{seed}")
    vocab = SHARED_VOCAB if shape == "dense" else random_vocabulary(rng)
    per_source = max(1, items // SOURCES)
    sources = max(1, items // per_source)
    slots = [(s, j) for s in range(sources) for j in range(per_source)]
    titles: dict[tuple[int, int], str] = {}
    dates: dict[tuple[int, int], datetime] = {}
    for s, j in slots:
        titles[s, j] = " ".join(rng.sample(vocab, rng.randint(6, 10))).capitalize()
        dates[s, j] = BASE - timedelta(hours=j, minutes=rng.randrange(60))
    pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    free = list(slots)
    rng.shuffle(free)
    kinds = ("abbrev", "punct", "move", "drop", "add", "replace")
    for k in range(int(len(slots) * PLANTED_SHARE)):
        a, b = free.pop(), free.pop()
        if a[0] == b[0]:
            continue
        a, b = min(a, b), max(a, b)
        words = rng.sample(vocab, rng.randint(6, 10))
        original, variant = reword(words, vocab, rng, kinds[k % len(kinds)])
        titles[a], titles[b] = " ".join(original), " ".join(variant)
        dates[b] = dates[a] + timedelta(hours=rng.randint(0, 6))
        pairs.append((a, b))
    number = {slot: n + 1 for n, slot in enumerate(slots)}
    batches = tuple(
        tuple(Entry(make_item(number[s, j], titles[s, j], dates[s, j]), s) for j in range(per_source))
        for s in range(sources)
    )
    planted = tuple(Planted(number[a], number[b]) for a, b in pairs)
    return Workload(shape, batches, planted)


def feed_poll_workload(items: int) -> Workload:
    """``benchmarks/feeds_poll.py``'s headlines and dates, its vocabulary replaced by the 25 words."""
    per_source = max(1, items // SOURCES)
    batches = []
    for i in range(max(1, items // per_source)):
        batch = []
        for j in range(per_source):
            h = hashlib.sha256(f"{i}-{j}".encode()).digest()
            title = " ".join(SHARED_VOCAB[(h[k] * 256 + h[k + 1]) % len(SHARED_VOCAB)] for k in range(0, 18, 2))
            batch.append(Entry(make_item(i * per_source + j + 1, title.capitalize(),
                                         BASE - timedelta(hours=i % 24 + j * 6)), i))
        batches.append(tuple(batch))
    return Workload("shared", tuple(batches), ())


# ---- the old index (before issue 13), kept here to measure against ------------------------------


def old_titles_similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    ta, tb = set(a.split()), set(b.split())
    if len(ta) < 3 or len(tb) < 3:
        return False
    if len(ta & tb) / len(ta | tb) >= 0.75:
        return True
    sm = SequenceMatcher(None, a, b, autojunk=False)
    return (
        sm.real_quick_ratio() >= CLUSTER_SIMILARITY
        and sm.quick_ratio() >= CLUSTER_SIMILARITY
        and sm.ratio() >= CLUSTER_SIMILARITY
    )


class OldStemIndex:
    """Titles compared when they share at least half of the shorter title's stems of 3+ letters."""

    def __init__(self) -> None:
        self._items: list[ClusterCandidate] = []
        self._sizes: list[int] = []
        self._postings: dict[str, list[int]] = {}

    @staticmethod
    def _tokens(key: str) -> set[str]:
        tokens = set(key.split())
        return {t for t in tokens if len(t) >= 3} or tokens

    def append(self, cand: ClusterCandidate) -> None:
        idx = len(self._items)
        self._items.append(cand)
        tokens = self._tokens(cand.title_key)
        self._sizes.append(len(tokens))
        for t in tokens:
            self._postings.setdefault(t, []).append(idx)

    def near(self, key: str) -> list[ClusterCandidate]:
        tokens = self._tokens(key)
        need = 2 if len(tokens) >= 4 else 1
        shared: dict[int, int] = {}
        for t in tokens:
            for i in self._postings.get(t, ()):
                shared[i] = shared.get(i, 0) + 1
        n = len(tokens)
        return [self._items[i] for i in sorted(shared)
                if shared[i] >= need and 2 * shared[i] >= min(n, self._sizes[i])]


class CountingSimilar:
    def __init__(self, similar: Callable[[str, str], bool]) -> None:
        self.calls = 0
        self._similar = similar

    def __call__(self, a: str, b: str) -> bool:
        self.calls += 1
        return self._similar(a, b)


def old_find_cluster(item: PreparedItem, source_id: int, index: OldStemIndex,
                     similar: Callable[[str, str], bool]) -> ClusterCandidate | None:
    when = item.published_at or BASE
    best: ClusterCandidate | None = None
    for cand in index.near(item.title_key):
        if cand.source_id == source_id:
            continue
        if cand.published_at is not None and abs(cand.published_at - when) > CLUSTER_WINDOW:
            continue
        if similar(item.title_key, cand.title_key) and (
            best is None or (cand.cluster_id or cand.item_id) < (best.cluster_id or best.item_id)
        ):
            best = cand
    return best


# ---- runs ----------------------------------------------------------------------------------------


def run_new(work: Workload) -> dict[int, int]:
    """Cluster the workload as ``store_items`` with a poll's ``ClusterCache`` does; item → cluster."""
    index = CandidateIndex()
    return _run(work, lambda e: find_cluster(e.item, e.source_id, index, fetched_at=BASE), index.append)


def run_old(work: Workload, similar: Callable[[str, str], bool] = old_titles_similar) -> dict[int, int]:
    index = OldStemIndex()
    return _run(work, lambda e: old_find_cluster(e.item, e.source_id, index, similar), index.append)


def _run(work: Workload, find: Callable[[Entry], ClusterCandidate | None],
         add: Callable[[ClusterCandidate], None]) -> dict[int, int]:
    clusters: dict[int, int] = {}
    for batch in work.batches:
        fresh: list[ClusterCandidate] = []
        for e in batch:
            n = int(e.item.content_hash)
            match = find(e)
            clusters[n] = (match.cluster_id or match.item_id) if match is not None else n
            fresh.append(ClusterCandidate(n, clusters[n], e.source_id, e.item.title_key, e.item.published_at))
        for c in fresh:  # after the source's "transaction"
            add(c)
    return clusters


@dataclass(frozen=True)
class Figures:
    cpu_seconds: float
    comparisons: int
    clustered: int
    planted_found: int
    planted_similar: int


def measure(work: Workload, counted: Callable[[Workload], tuple[dict[int, int], int]],
            run: Callable[[Workload], dict[int, int]] | None = None) -> Figures:
    """CPU seconds of ``run`` (or of ``counted``, whose counting costs the old index about 1 %)."""
    pipeline.block_keys.cache_clear()  # a cold index: every title's keys computed once
    pipeline._stem_set.cache_clear()
    start = time.process_time()
    clusters, comparisons = (run(work), -1) if run is not None else counted(work)
    cpu = time.process_time() - start
    if run is not None:
        again, comparisons = counted(work)
        assert again == clusters
    keys = {int(e.item.content_hash): e.item.title_key for b in work.batches for e in b}
    similar = [p for p in work.planted if titles_similar(keys[p.original], keys[p.variant])]
    found = sum(clusters[p.original] == clusters[p.variant] for p in similar)
    sizes: dict[int, int] = {}
    for c in clusters.values():
        sizes[c] = sizes.get(c, 0) + 1
    return Figures(cpu, comparisons, sum(n for n in sizes.values() if n > 1), found, len(similar))


def counted_new(work: Workload) -> tuple[dict[int, int], int]:
    counter = CountingSimilar(titles_similar)
    pipeline.titles_similar = counter  # find_cluster looks it up at each call
    try:
        return run_new(work), counter.calls
    finally:
        pipeline.titles_similar = titles_similar


def counted_old(work: Workload) -> tuple[dict[int, int], int]:
    counter = CountingSimilar(old_titles_similar)
    return run_old(work, counter), counter.calls


def report(label: str, work: Workload, f: Figures) -> None:
    planted = f"  planted near-duplicates found {f.planted_found}/{f.planted_similar}" if work.planted else ""
    print(f"{work.shape:<7} {label:<4} items {work.size:>6}  comparisons {f.comparisons:>9}  "
          f"cpu {f.cpu_seconds:8.3f} s  clustered {f.clustered:>5}{planted}")


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--old", action="store_true", help="also the old stem index (minutes on shared and dense)")
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = ap.parse_args(list(argv) if argv is not None else None)
    items = 400 if args.smoke else args.items
    for shape in ("random", "shared", "dense"):
        work = make_workload(shape, items)
        report("new", work, measure(work, counted_new, run_new))
        if args.old or args.smoke:
            report("old", work, measure(work, counted_old))


if __name__ == "__main__":
    main()
