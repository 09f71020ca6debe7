"""Preparing a large batch of entries in worker processes.

Owns: splitting a batch (a listing crawl's thousands of records) into parts that worker processes
prepare side by side (:func:`ecitizen.pipeline.prepare_each`: sanitise, classify, on the other
cores), and putting the parts back together (:func:`ecitizen.pipeline.merge_prepared`): the
result is the one :func:`~ecitizen.pipeline.prepare_entries` gives, its items slim (topics in
stored form only: what the store needs). A small batch, one core, or a
worker that cannot start or dies: the batch (or the part) is prepared in this process.

The workers are ``python -P`` children running this file (:mod:`ecitizen.frames`); they import
the core pipeline and nothing else of the project.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from ecitizen.frames import FramePool, WorkerGone
from ecitizen.pipeline import EntryData, PreparedItem, PrepareResult, Rules, merge_prepared, prepare_each

#: a batch smaller than this is prepared in this process (starting workers costs ~0.3 s of CPU)
MIN_ENTRIES = 2000
#: entries per part sent to a worker
PART = 500


def workers_for(entries: int, cpus: int | None = None) -> int:
    """How many worker processes a batch of ``entries`` is worth: none for a small batch or one
    core, else one per core (at most four)."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if entries < MIN_ENTRIES or cpus < 2:
        return 0
    return min(4, cpus)


def prepare_in_workers(entries: Sequence[EntryData], rules: Rules, *, base_url: str | None = None,
                       processes: int | None = None) -> PrepareResult:
    """:func:`~ecitizen.pipeline.prepare_entries` of ``entries``, in ``processes`` worker processes
    (automatic: :func:`workers_for`)."""
    entries = list(entries)
    n = workers_for(len(entries)) if processes is None else processes
    if n < 1:
        return merge_prepared(entries, prepare_each(entries, rules, base_url=base_url), base_url=base_url)
    parts = [entries[i:i + PART] for i in range(0, len(entries), PART)]
    with FramePool(__file__, n, name="entry preparer") as pool, ThreadPoolExecutor(n) as threads:

        def prepare(part: list[EntryData]) -> list[PreparedItem | str]:
            request = pickle.dumps((part, rules, base_url), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                answer: list[PreparedItem | str] = pickle.loads(pool.call(request))  # noqa: S301 - our worker
            except WorkerGone:
                return _slim(prepare_each(part, rules, base_url=base_url))
            return answer

        prepared = [item for part in threads.map(prepare, parts) for item in part]
    return merge_prepared(entries, prepared, base_url=base_url)


def answer_frame(request: bytes) -> bytes:
    """A worker's answer to one part: its entries prepared (the item, slim: topics in stored form
    only; or why it is unusable)."""
    part, rules, base_url = pickle.loads(request)  # noqa: S301 - from the process that started us
    return pickle.dumps(_slim(prepare_each(part, rules, base_url=base_url)), protocol=pickle.HIGHEST_PROTOCOL)


def _slim(prepared: list[PreparedItem | str]) -> list[PreparedItem | str]:
    """A part's items :meth:`~ecitizen.pipeline.PreparedItem.slim` (reasons stay as they are)."""
    return [p if isinstance(p, str) else p.slim() for p in prepared]


if __name__ == "__main__":
    from ecitizen.frames import serve_frames

    serve_frames(answer_frame)
