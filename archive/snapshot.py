"""Saved copies of pages: raw HTML, extracted main text, fetch metadata, optional WARC record.

Files go under ``<data_dir>/snapshots/<host>/<link id or "url">/<timestamp>-<sha8>.*`` and are
written atomically (temp file + ``os.replace``); the ``snapshot`` row is added only after every
file is in place, so a killed process leaves at worst an unreferenced file, never a row pointing
at nothing. The fetch reuses the checker's HTTP adapter with the bigger ``http.max_response_bytes``
cap (a saved copy should be whole).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select

from ecitizen.app import App
from ecitizen.archive.page import extract_main_text
from ecitizen.archive.probe import Prober, RawResponse
from ecitizen.db import session_scope
from ecitizen.errors import FetchError, UnsafeTargetError
from ecitizen.files import write_atomic
from ecitizen.storage import Link, Snapshot
from ecitizen.urls import canonical_url, check_public_url


def warc_bytes(resp: RawResponse, taken_at: datetime) -> bytes:
    """One gzipped WARC/1.1 ``response`` record of the fetched page."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    headers = [(k, v) for k, v in resp.headers.items()
               if k not in ("content-encoding", "transfer-encoding", "content-length")]
    http_headers = StatusAndHeaders(f"{resp.status} -", headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        resp.final_url or resp.url, "response", payload=io.BytesIO(resp.body), http_headers=http_headers,
        warc_headers_dict={"WARC-Date": taken_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    writer.write_record(record)
    return buf.getvalue()


@dataclass(frozen=True)
class SnapshotResult:
    id: int
    url: str
    link_id: int | None
    http_status: int | None
    html_path: str
    text_path: str
    warc_path: str | None
    sha256: str
    text_length: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def _fetch(app: App, url: str) -> RawResponse:
    cfg = app.config
    async with Prober(cfg.links, cfg.http, max_body_bytes=cfg.http.max_response_bytes) as prober:
        return await prober.fetch(url, "GET", read_body=True)


def take_snapshot(app: App, link_or_url: Link | str) -> SnapshotResult:
    """Fetch a page and save its copy. Raises :class:`FetchError` when nothing can be saved."""
    cfg = app.config
    if isinstance(link_or_url, Link):
        url, link_id = link_or_url.url, link_or_url.id
    else:
        url = check_public_url(link_or_url, allow_private=cfg.http.allow_private_targets)
        link_id = None
        with session_scope(app.engine) as session:
            found = session.exec(select(Link).where(Link.url == canonical_url(url))).first()
            link_id = found.id if found else None
    resp = asyncio.run(_fetch(app, url))
    if resp.error == "refused":
        raise UnsafeTargetError(f"{url}: {resp.error_detail}", url=url)
    if resp.error or resp.status is None:
        raise FetchError(f"{url}: {resp.error} {resp.error_detail}".strip(), url=url)
    if not resp.body:
        raise FetchError(f"{url}: empty answer (HTTP {resp.status}, {resp.content_type or 'no type'})",
                         url=url, status=resp.status)
    now = app.now()
    html = resp.text() if resp.is_html else ""
    main_text = extract_main_text(html) if html else ""
    digest = hashlib.sha256(resp.body).hexdigest()
    host = (urlsplit(url).hostname or "unknown").replace(":", "_")
    folder = Path("snapshots") / host / (str(link_id) if link_id else "url")
    stem = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{digest[:8]}"
    data = cfg.data_path
    ext = "html" if resp.is_html else "bin"
    html_rel, text_rel, meta_rel = folder / f"{stem}.{ext}", folder / f"{stem}.txt", folder / f"{stem}.json"
    write_atomic(data / html_rel, resp.body)
    write_atomic(data / text_rel, main_text.encode("utf-8"))
    meta = {
        "url": url, "final_url": resp.final_url, "redirects": [list(r) for r in resp.redirects],
        "http_status": resp.status, "headers": resp.headers, "taken_at": now.isoformat(), "sha256": digest,
        "truncated": resp.truncated, "bytes": len(resp.body), "elapsed_ms": resp.elapsed_ms,
    }
    write_atomic(data / meta_rel, json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
    warc_rel: Path | None = None
    if cfg.links.snapshot_warc:
        warc_rel = folder / f"{stem}.warc.gz"
        write_atomic(data / warc_rel, warc_bytes(resp, now))
    with session_scope(app.engine) as session:
        row = Snapshot(
            link_id=link_id, url=url, taken_at=now, http_status=resp.status, content_type=resp.content_type,
            html_path=str(html_rel), text_path=str(text_rel), warc_path=str(warc_rel) if warc_rel else None,
            sha256=digest, text_length=len(main_text),
        )
        session.add(row)
        session.flush()
        return SnapshotResult(row.id or 0, url, link_id, resp.status, row.html_path, row.text_path,
                              row.warc_path, digest, len(main_text))
