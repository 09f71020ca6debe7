"""The link archive: a curated catalogue of e-government links, checked fast and politely.

Layout (pure core, thin adapters):

* ``status``    — the statuses, their Russian labels and explanations, which need a person and
  which are hidden from the public (data only; the one owner of this vocabulary)
* ``decide``    — pure decisions: ``classify_check``, ``next_state``, soft-404 and change rules
* ``textdiff``  — pure text normalisation, change share and readable diffs
* ``probe``     — the HTTP adapter (aiohttp): per-host politeness, HEAD/GET, retries
* ``checker``   — ``check_links``: reads due links, runs the probes, writes results
* ``catalogue`` — add/remove/list/import/export and the public catalogue page
* ``snapshot``  — saved copies (raw HTML, main text, metadata, optional WARC)
* ``report``    — ``link_report`` for the digest and the web interface
* ``cli``       — ``ecitizen links ...``

The front door: the shell and the other parts import only the names in ``__all__``
(``tests/test_front_doors.py`` checks it).
"""

from __future__ import annotations

from ecitizen.archive.catalogue import (
    ImportReport,
    LinkInput,
    Move,
    add_link,
    apply_moves,
    export_csv,
    export_json,
    get_link,
    import_links,
    link_json,
    list_links,
    pending_moves,
    public_url,
    remove_link,
    render_catalogue_html,
)
from ecitizen.archive.checker import (
    CheckReport,
    GatesFactory,
    LinkBatch,
    check_link_batch,
    check_links,
    plan_link_batches,
)
from ecitizen.archive.report import AttentionItem, ChangeEvent, LinkReport, Unreviewed, link_report
from ecitizen.archive.snapshot import SnapshotResult, take_snapshot
from ecitizen.archive.status import (
    ATTENTION_REASONS,
    CHANGED,
    CHANGED_EXPLANATION,
    FAILURES,
    HIDDEN_FROM_PUBLIC,
    NEEDS_PERSON,
    PUBLIC_NOTES,
    SHOWN_WITH_NEW_URL,
    STATUS_EXPLANATIONS,
    STATUS_LABELS,
    STATUSES,
)

__all__ = [
    "ATTENTION_REASONS",
    "CHANGED",
    "CHANGED_EXPLANATION",
    "FAILURES",
    "HIDDEN_FROM_PUBLIC",
    "NEEDS_PERSON",
    "PUBLIC_NOTES",
    "SHOWN_WITH_NEW_URL",
    "STATUSES",
    "STATUS_EXPLANATIONS",
    "STATUS_LABELS",
    "AttentionItem",
    "ChangeEvent",
    "CheckReport",
    "GatesFactory",
    "ImportReport",
    "LinkBatch",
    "LinkInput",
    "LinkReport",
    "Move",
    "SnapshotResult",
    "Unreviewed",
    "add_link",
    "apply_moves",
    "check_link_batch",
    "check_links",
    "export_csv",
    "export_json",
    "get_link",
    "import_links",
    "link_json",
    "link_report",
    "list_links",
    "pending_moves",
    "plan_link_batches",
    "public_url",
    "remove_link",
    "render_catalogue_html",
    "take_snapshot",
]
