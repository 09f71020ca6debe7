"""Pure page analysis: title, first heading, canonical link, visible-text fingerprint, main text.

Input is bytes of an HTML page (already capped by the adapter); nothing here does I/O except
:func:`answer_frame`'s loop in a main-text worker process (run as ``python -P page.py``, serving
frames through :mod:`ecitizen.frames`).
The fingerprint is cheap (lxml, ~0.1 ms for a small page) and gates the expensive main-text
extraction (trafilatura, 1–200 ms): the main text is only re-extracted when the fingerprint moved.

The module imports only lxml at the top (the project's modules and trafilatura when used), so a
worker process started from this file loads lxml, trafilatura and :mod:`ecitizen.frames` only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import lxml.html
from lxml import etree


@dataclass(frozen=True)
class PageInfo:
    title: str = ""
    h1: str = ""
    canonical: str | None = None
    #: visible text of the whole page (scripts and styles dropped), whitespace collapsed
    text: str = ""

    @property
    def fingerprint(self) -> str:
        from ecitizen.archive.textdiff import normalise_text

        return hashlib.sha256(normalise_text(self.text).encode("utf-8")).hexdigest()


def decode_body(body: bytes, charset: str | None) -> str:
    """The page's text: the core's one decoder (:func:`ecitizen.textcodec.decode_html`), which checks
    the header and meta charsets against the bytes and tolerates a character cut at the cap."""
    from ecitizen.textcodec import decode_html

    return decode_html(body, charset).text


def analyse_html(html: str) -> PageInfo:
    if not html.strip():
        return PageInfo()
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return PageInfo()
    title = " ".join(" ".join(doc.xpath("//title//text()")).split())
    h1 = " ".join(" ".join(doc.xpath("(//h1)[1]//text()")).split())
    canonical = None
    for href in doc.xpath("//link[@rel='canonical']/@href"):
        canonical = str(href).strip() or None
        break
    for el in doc.xpath("//script|//style|//noscript|//template"):
        el.drop_tree()
    body = doc.find("body")
    root = body if body is not None else doc
    lines = [" ".join(t.split()) for t in root.itertext()]
    text = "\n".join(line for line in lines if line)
    return PageInfo(title=title[:500], h1=h1[:500], canonical=canonical, text=text[:200_000])


def extract_main_text(html: str) -> str:
    """The main text of a page (trafilatura), falling back to the visible text."""
    import trafilatura

    try:
        text = trafilatura.extract(html, fast=True, include_comments=False, include_tables=True)
    except Exception:  # noqa: BLE001 - a page we cannot parse has no main text, not a crash
        text = None
    if text:
        return text
    return analyse_html(html).text


# -- the main-text worker process ------------------------------------------------------------------


def answer_frame(html: bytes) -> bytes:
    """A main-text worker's answer to one frame: the page's HTML in, its main text out (UTF-8)."""
    return extract_main_text(html.decode("utf-8", "replace")).encode("utf-8")


if __name__ == "__main__":
    import trafilatura  # noqa: F401 - loaded before the first page, not during it

    from ecitizen.frames import serve_frames

    serve_frames(answer_frame)
