"""HTML sanitising and HTML-to-text, with nh3 (Ammonia).

Pure functions. Everything from outside is untrusted: the allowlist keeps text structure and
links only; no script, style, iframe, event handlers, ``javascript:`` or ``data:`` URLs, and no
images (a remote ``<img>`` in a summary would be loaded by the manager's mail client: a tracking
pixel). Bidi controls and zero-width characters, which can hide or reorder what a reader sees,
are removed from every text and fragment.
"""

from __future__ import annotations

import html as _html
import re
import threading
from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = frozenset(
    {"a", "p", "br", "ul", "ol", "li", "b", "strong", "i", "em", "blockquote", "h3", "h4", "h5", "h6"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_WS = re.compile(r"\s+")
_BLOCK = re.compile(r"<\s*(br|/p|/li|/h\d|/div|/tr|/blockquote)\b[^>]*>", re.I)
#: bidi controls (reorder what a reader sees) and zero-width/invisible characters (hide text,
#: split words so filters miss them): LRE..RLO, LRI..PDI, LRM/RLM/ALM, ZWSP/ZWNJ/ZWJ, word joiner
#: and invisible operators, BOM/ZWNBSP, Mongolian vowel separator, soft hyphen
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2060-\u2064\ufeff\u180e\u00ad]")
#: control characters (Unicode category Cc) except tab and newline
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Cleaners(threading.local):
    """This thread's nh3 cleaners, built once: building one (the allowlist handed to Rust) was
    most of the cost of cleaning a short fragment, and feeds send thousands of them."""

    def __init__(self) -> None:
        #: the address relative links of the fragment being sanitised are resolved against
        self.base_url: str | None = None
        self.html = nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(ALLOWED_SCHEMES),
            link_rel="noopener noreferrer nofollow",
            attribute_filter=self._absolute,
            strip_comments=True,
        )
        self.text = nh3.Cleaner(tags=set(), attributes={}, strip_comments=True)

    def _absolute(self, tag: str, attr: str, value: str) -> str | None:
        if self.base_url and attr in ("href", "src"):
            return urljoin(self.base_url, value)
        return value


_cleaners = _Cleaners()


def sanitize_html(fragment: str, *, base_url: str | None = None) -> str:
    """Allowlist-sanitise an HTML fragment; relative links are made absolute when a base is given."""
    if not fragment:
        return ""
    fragment = strip_invisible(fragment)
    cleaners = _cleaners
    cleaners.base_url = base_url
    try:
        return cleaners.html.clean(fragment)
    finally:
        cleaners.base_url = None


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls, zero-width characters and C0/C1 controls (tab, newline kept)."""
    return _CONTROL.sub("", _BIDI.sub("", text))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    if not fragment:
        return ""
    marked = _BLOCK.sub("\n", fragment)
    stripped = _cleaners.text.clean(marked)
    text = _html.unescape(stripped)
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def clean_text(text: str, *, max_length: int | None = None) -> str:
    """A single-line plain-text field (titles): no tags, no control/bidi characters, one space."""
    if "<" in text or "&" in text:
        text = html_to_text(text)
    text = _BIDI.sub("", text)
    text = _CONTROL.sub("", text)
    text = _WS.sub(" ", text).strip()
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text
