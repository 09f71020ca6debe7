"""Feed parsing: bytes of RSS 0.9x/1.0/2.0, Atom or JSON Feed → :class:`ParsedFeed` of
:class:`~ecitizen.pipeline.EntryData`.

Owns: re-encoding the document to UTF-8 (the XML declaration rewritten) in the encoding the core's
decoder picks (:mod:`ecitizen.textcodec`: BOM, the XML declaration, the HTTP charset and the bytes
themselves — Russian feeds come in windows-1251 and KOI8-R with right, wrong or missing charsets),
refusing XML entity tricks (billion laughs, external entities) before feedparser sees the
document, the Russian date handler registered with feedparser, JSON Feed 1.0/1.1 (by hand).

Also: parse + prepare of one fetched document as one step (:func:`parse_and_prepare`), which a
poll runs in worker processes started from this file (``python -P parse.py``, frames through
:mod:`ecitizen.frames`: the worker imports feedparser and the core pipeline, nothing else of the
project); :func:`parse_request` and :func:`parse_answer` are the two ends of that exchange.

Pure apart from feedparser's global date-handler registry; no network, no storage.
"""

from __future__ import annotations

import calendar
import html
import io
import json
import pickle
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import feedparser

from ecitizen.dates import parse_date
from ecitizen.errors import ParseError
from ecitizen.pipeline import EntryData, PrepareResult, Rules, prepare_entries, slim_result
from ecitizen.textcodec import choose_encoding, cyrillic_stats, decode_html

MAX_ENTRIES = 2000

_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]+)([\"'])", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed said about itself and its entries (entries are untrusted, unnormalised)."""

    title: str
    link: str | None
    #: rss20, atom10, rss10, json11, ... (feedparser's names; "json10"/"json11" for JSON Feed)
    version: str
    encoding: str
    entries: tuple[EntryData, ...]
    #: a recoverable problem (malformed XML parsed leniently), for the log
    warning: str | None = None


# -- encoding ------------------------------------------------------------------------------------

#: re-exported for the feed tests (the charset policy and its statistics live in ecitizen.textcodec)
_cyrillic_stats = cyrillic_stats


def to_utf8(body: bytes, header_charset: str | None = None) -> tuple[bytes, str]:
    """Re-encode a document to UTF-8 (XML declaration rewritten); returns (bytes, source encoding).

    The encoding is the core's choice (:func:`ecitizen.textcodec.decode_html`); bad bytes become U+FFFD.
    """
    decoded = decode_html(body, header_charset)
    text = _XML_DECL_TEXT.sub(r"\g<1>utf-8\g<3>", decoded.text, count=1)
    return text.encode("utf-8"), decoded.encoding


def check_xml_safety(data: bytes) -> None:
    """Refuse entity declarations (billion laughs, external entities) with a clear ParseError."""
    if _ENTITY.search(data):
        raise ParseError(
            "the document declares XML entities (<!ENTITY>): refused as a possible billion-laughs "
            "or external-entity attack"
        )
    m = _DOCTYPE.search(data)
    if m:
        end = data.find(b">", m.end())
        decl = data[m.end(): end if end >= 0 else len(data)]
        if b"[" in decl:
            raise ParseError("the document has an internal DTD subset: refused (possible XML entity attack)")


# -- Russian dates in feedparser -----------------------------------------------------------------

_ctx = threading.local()
_RU_OR_DMY = re.compile(r"[а-яё]|^\s*\d{1,2}\.\d{1,2}\.\d{4}", re.I)


def _russian_date_handler(text: str) -> time.struct_time | None:
    """feedparser date handler for Russian forms ("25 ноября 2026", "25.11.2026 14:30", "вчера в 09:15")."""
    if not text or not _RU_OR_DMY.search(text):
        return None  # leave RFC 822 / ISO 8601 to feedparser's own handlers (fast)
    tz: tzinfo = getattr(_ctx, "tz", UTC)
    now: datetime = getattr(_ctx, "now", None) or datetime.now(UTC)
    try:
        dt = parse_date(text, tz=tz, now=now)
    except Exception:  # noqa: BLE001 - a date we cannot read is simply absent
        return None
    if dt is None:
        return None
    return dt.astimezone(UTC).timetuple()


_registered = False
_register_lock = threading.Lock()


def register_date_handler() -> None:
    global _registered
    with _register_lock:
        if not _registered:
            feedparser.registerDateHandler(_russian_date_handler)
            _registered = True


register_date_handler()


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


# -- parsing -------------------------------------------------------------------------------------


def is_json_feed(body: bytes, content_type: str = "") -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    return content_type in ("application/feed+json", "application/json") or b"jsonfeed.org/version" in head


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    header_charset: str | None = None,
    tz: tzinfo = UTC,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a feed document. Raises :class:`ParseError` when it is not a readable feed."""
    if not body.strip():
        raise ParseError("the server sent an empty body")
    now = now or datetime.now(UTC)
    if is_json_feed(body, content_type):
        return parse_json_feed(body, url=url, tz=tz, now=now)
    data, enc = to_utf8(body, header_charset)
    check_xml_safety(data)
    _ctx.tz, _ctx.now = tz, now
    try:
        d = feedparser.parse(
            io.BytesIO(data),
            # no content-location: a relative GUID must not change when the feed moves
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,  # nh3 sanitises in the pipeline
            resolve_relative_uris=False,  # the pipeline makes links absolute
        )
    except Exception as exc:
        raise ParseError(f"the feed could not be parsed: {type(exc).__name__}: {exc}") from exc
    finally:
        _ctx.tz, _ctx.now = UTC, None
    version = d.get("version") or ""
    feed = d.get("feed") or {}
    warning = None
    if d.get("bozo"):
        bozo = d.get("bozo_exception")
        warning = f"malformed XML read leniently: {bozo}"
        if not d.entries and not version:
            raise ParseError(f"not a feed: {str(bozo)[:300]}")
    if not version and not d.entries:
        raise ParseError("not an RSS, Atom or JSON feed (no channel or feed element)")
    entries = tuple(
        e for e in (_entry_from_feedparser(x, tz=tz, now=now) for x in d.entries[:MAX_ENTRIES]) if e is not None
    )
    return ParsedFeed(
        title=_text_of(feed.get("title", ""), feed.get("title_detail")),
        link=feed.get("link") or None,
        version=version or "unknown",
        encoding=enc,
        entries=entries,
        warning=warning,
    )


def _text_of(value: str, detail: Any) -> str:
    """A title as plain text (HTML-typed titles lose their tags)."""
    if not value:
        return ""
    typ = (detail or {}).get("type", "text/plain") if isinstance(detail, dict) else "text/plain"
    if "html" in typ:
        from ecitizen.html import html_to_text

        return html_to_text(value)
    return value


def _as_html(value: str, typ: str) -> str:
    return value if "html" in typ else html.escape(value).replace("\n", "<br>")


def _entry_from_feedparser(e: Any, *, tz: tzinfo, now: datetime) -> EntryData | None:
    link = e.get("link") or ""
    if not link:
        for lk in e.get("links") or ():
            if lk.get("href") and lk.get("rel", "alternate") == "alternate":
                link = lk["href"]
                break
    title = _text_of(e.get("title", ""), e.get("title_detail"))
    summary, typ = "", "text/html"
    contents = e.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        summary, typ = best.get("value") or "", best.get("type") or "text/html"
    if not summary and e.get("summary"):
        summary = e.get("summary") or ""
        typ = (e.get("summary_detail") or {}).get("type") or "text/html"
    published = _struct_to_dt(e.get("published_parsed")) or _struct_to_dt(e.get("updated_parsed"))
    if published is None:
        raw = e.get("published") or e.get("updated") or e.get("dc_date")
        if raw:
            try:
                published = parse_date(raw, tz=tz, now=now)
            except Exception:  # noqa: BLE001
                published = None
    guid = e.get("id") or e.get("guid") or None
    if not (title or summary or link):
        return None
    return EntryData(
        url=str(link),
        title=str(title or ""),
        guid=str(guid) if guid else None,
        summary_html=_as_html(str(summary), typ),
        published_at=published,
    )


def parse_json_feed(body: bytes, *, url: str, tz: tzinfo = UTC, now: datetime | None = None) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1), read defensively."""
    now = now or datetime.now(UTC)
    try:
        doc = json.loads(body.decode(choose_encoding(body), errors="replace").lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"invalid JSON feed: {str(exc)[:200]}") from exc
    if not isinstance(doc, dict):
        raise ParseError("invalid JSON feed: the top level is not an object")
    version_url = str(doc.get("version") or "")
    if "jsonfeed.org/version/1" not in version_url:
        raise ParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    version = "json11" if version_url.rstrip("/").endswith("1.1") else "json10"
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError("invalid JSON feed: 'items' is not a list")
    entries: list[EntryData] = []
    for it in items[:MAX_ENTRIES]:
        if not isinstance(it, dict):
            continue

        def s(key: str, item: dict[str, Any] = it) -> str:
            v = item.get(key)
            return v if isinstance(v, str) else ""

        link = s("url") or s("external_url")
        content = s("content_html") or _as_html(s("content_text"), "text/plain") or _as_html(s("summary"), "text/plain")
        published = None
        for key in ("date_published", "date_modified"):
            if s(key):
                try:
                    published = parse_date(s(key), tz=tz, now=now)
                except Exception:  # noqa: BLE001
                    published = None
                if published:
                    break
        raw_id = it.get("id")
        guid = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id) else None
        if not (s("title") or content or link):
            continue
        entries.append(EntryData(url=link, title=s("title"), guid=guid, summary_html=content, published_at=published))
    title = doc.get("title")
    home = doc.get("home_page_url")
    return ParsedFeed(
        title=title if isinstance(title, str) else "",
        link=home if isinstance(home, str) else None,
        version=version,
        encoding="utf-8",
        entries=tuple(entries),
    )


# -- parse + prepare, here or in a worker process ------------------------------------------------


def check_entries(parsed: ParsedFeed) -> None:
    """A malformed document with no readable entry is a failure, not an empty feed."""
    if parsed.warning and not parsed.entries:
        raise ParseError(f"malformed feed with no readable entry ({parsed.warning})")


def parse_and_prepare(
    body: bytes, *, url: str, content_type: str, header_charset: str | None, tz: tzinfo, now: datetime,
    rules: Rules,
) -> tuple[str | None, int, PrepareResult]:
    """Parse + prepare one fetched document (the CPU-bound part of a poll); returns only what the
    store needs: (the parser's warning, the number of entries, the prepared items)."""
    parsed = parse_feed(body, url=url, content_type=content_type, header_charset=header_charset, tz=tz, now=now)
    check_entries(parsed)
    return parsed.warning, len(parsed.entries), prepare_entries(parsed.entries, rules, base_url=url)


def parse_request(
    body: bytes, *, url: str, content_type: str, header_charset: str | None, tz: tzinfo, now: datetime,
    rules: Rules,
) -> bytes:
    """A :func:`parse_and_prepare` call as a frame for a worker process."""
    call = {"body": body, "url": url, "content_type": content_type, "header_charset": header_charset,
            "tz": tz, "now": now, "rules": rules}
    return pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)


def answer_frame(request: bytes) -> bytes:
    """A worker's answer to one :func:`parse_request` frame: the pickled result (its items slim:
    topics in stored form only), or the exception it raised (re-raised by :func:`parse_answer`)."""
    out: tuple[str, object]
    try:
        warning, count, prepared = parse_and_prepare(**pickle.loads(request))  # noqa: S301 - our own poll's frame
        out = ("ok", (warning, count, slim_result(prepared)))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the poll, which records it
        out = ("error", exc)
    try:
        return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that does not pickle: its words still travel
        return pickle.dumps(("error", RuntimeError(f"{type(out[1]).__name__}: {out[1]}")))


def parse_answer(answer: bytes) -> tuple[str | None, int, PrepareResult]:
    """The result of a worker's :func:`parse_and_prepare`; raises the exception it raised."""
    status, value = pickle.loads(answer)  # noqa: S301 - from our own worker process
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


if __name__ == "__main__":
    from ecitizen.frames import serve_frames

    serve_frames(answer_frame)
