"""The one decoder of downloaded text (HTML pages, feeds, saved copies): bytes → ``str``.

Owns the charset policy. Russian sites send windows-1251 and KOI8-R with a right, a wrong or no
charset at all, and bodies are capped, so the last character may be cut in half. The encoding is
chosen by what the bytes say, in this order:

1. a byte-order mark;
2. UTF-8 when the bytes are UTF-8 (a character cut at the end, or a stray bad byte among
   hundreds of good UTF-8 letters, does not change that);
3. the declared charsets — the one the caller passes (the HTTP header, as browsers rank it),
   then the document's own (``<?xml … encoding>``, ``<meta charset>`` / ``http-equiv``) — each
   *checked against the bytes*: it must decode them, and Cyrillic must read as Russian (mostly lower-case letters:
   KOI8-R read as windows-1251 swaps the case of almost every letter). A Western code page
   (``iso-8859-1``, the default of many servers) is believed only when the bytes are not
   Cyrillic words in a single-byte code page;
4. the usual Cyrillic code pages (windows-1251, KOI8-R, KOI8-U, cp866, ISO-8859-5, Mac), scored
   the same way, when the non-ASCII bytes come in word-long runs (Western accents come one by
   one and are left to step 5); a page with only a few Russian words takes the code page that
   reads most of its non-ASCII bytes as lower-case letters;
5. charset_normalizer's guess; at last the best-scoring Cyrillic code page.

Used by the feed parser (which then re-encodes the XML to UTF-8), the link checker
(``archive.page``), the crawler (``CharsetMiddleware``) and the web interface's saved copies.

Pure: no I/O. Must not import any other project module.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

#: bytes examined (decoding the whole body is still done with the chosen codec)
SAMPLE_BYTES = 200_000
#: the document's own declaration is looked for in this many first bytes
HEAD_BYTES = 4096

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
#: single-byte Cyrillic code pages, the most common first
CYRILLIC_CODEPAGES: tuple[str, ...] = ("cp1251", "koi8-r", "koi8-u", "cp866", "iso8859-5", "mac-cyrillic")
_CYRILLIC_NAMES = frozenset(CYRILLIC_CODEPAGES)

#: at least this many Cyrillic letters before the letter case says anything
MIN_CYRILLIC = 20
#: share of lower-case letters in real Russian text (mis-decoded text has far fewer)
GOOD_LOWER_SHARE = 0.7
#: a stray bad byte is tolerated in UTF-8 text with at least this many good non-ASCII letters per bad one
_UTF8_GOOD_PER_BAD = 100

_LOWER = re.compile("[а-яё]")
_UPPER = re.compile("[А-ЯЁ]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_HIGH_BYTES = bytes(range(128, 256))


@dataclass(frozen=True)
class DecodedText:
    """Text and the codec that read it (a Python codec name: ``utf-8``, ``cp1251``, ``koi8-r``…)."""

    text: str
    encoding: str


def codec_name(label: str | None) -> str | None:
    """The Python codec name for a charset label (``Windows-1251`` → ``cp1251``); None if unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("'\"")).name
    except LookupError:
        return None


def declared_in_document(data: bytes) -> str | None:
    """The charset the document names itself: the XML declaration, else ``<meta charset>``."""
    head = data[:HEAD_BYTES]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii").lower() if m else None


def cyrillic_stats(text: str) -> tuple[int, float]:
    """(number of Cyrillic letters, share of them in lower case). Mis-decoded Cyrillic
    (KOI8-R read as windows-1251 and the reverse) swaps the case of almost every letter."""
    lower = len(_LOWER.findall(text))
    total = lower + len(_UPPER.findall(text))
    return total, (lower / total if total else 0.0)


@lru_cache(maxsize=64)
def _letter_bytes(codec: str) -> tuple[bytes, bytes] | None:
    """For a single-byte code page: the bytes of its lower- and upper-case Cyrillic letters."""
    try:
        chars = bytes(range(256)).decode(codec, errors="replace")
    except LookupError:
        return None
    if len(chars) != 256:
        return None  # a multi-byte codec
    lower = bytes(b for b in range(128, 256) if _LOWER.match(chars[b]))
    upper = bytes(b for b in range(128, 256) if _UPPER.match(chars[b]))
    return lower, upper


def _stats(sample: bytes, codec: str) -> tuple[int, float] | None:
    """:func:`cyrillic_stats` of the sample read with ``codec`` (None when it does not decode).

    Single-byte code pages are counted on the bytes (fast: the link checker decodes on its loop).
    """
    text = _decodes(sample, codec)
    if text is None:
        return None
    letters = _letter_bytes(codec)
    if letters is None:
        return cyrillic_stats(text)
    lower = len(sample) - len(sample.translate(None, letters[0]))
    total = lower + len(sample) - len(sample.translate(None, letters[1]))
    return total, (lower / total if total else 0.0)


def _reads_as_russian(stats: tuple[int, float] | None) -> bool:
    return stats is not None and stats[0] >= MIN_CYRILLIC and stats[1] >= GOOD_LOWER_SHARE


def _decodes(sample: bytes, codec: str) -> str | None:
    """The sample decoded strictly, allowing a character cut at the end (capped bodies); else None."""
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return True
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - sample.count(b"\xef\xbf\xbd")
    good = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    if _decodes(sample, "utf-8") is not None:
        return good > 0  # only the last character is cut (a capped body), after real UTF-8 letters
    return good >= _UTF8_GOOD_PER_BAD * bad


def _cyrillic_words(sample: bytes, *, at_least: int = MIN_CYRILLIC) -> bool:
    """The non-ASCII bytes come in word-long runs (Cyrillic in a single-byte code page), not one by
    one between Latin letters (accents of a Western language)."""
    runs = [len(r) for r in _HIGH_RUN.findall(sample)]
    total = sum(runs)
    return total >= at_least and sum(n for n in runs if n >= 3) >= total / 2


def _believable(sample: bytes, codec: str) -> bool:
    """A declared code page is believed when it decodes the bytes and reads as Russian, or as no
    Cyrillic at all while the bytes are not Cyrillic words of another code page."""
    stats = _stats(sample, codec)
    if stats is None:
        return False
    if stats[0] >= MIN_CYRILLIC:
        return stats[1] >= GOOD_LOWER_SHARE
    if codec in _CYRILLIC_NAMES or not _cyrillic_words(sample):
        return True
    return not any(_reads_as_russian(_stats(sample, cp)) for cp in CYRILLIC_CODEPAGES[:2])


def choose_encoding(data: bytes, declared: str | None = None) -> str:
    """The codec that reads ``data`` correctly, whatever ``declared`` (the HTTP charset) claims.

    See the module docstring for the order. Returns a Python codec name.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:SAMPLE_BYTES]
    if _is_utf8(sample):
        return "utf-8"
    candidates: list[str] = []
    for label in (declared, declared_in_document(data)):
        codec = codec_name(label)
        if codec and codec not in candidates and not codec.startswith("utf"):
            candidates.append(codec)
    for codec in candidates:
        if _believable(sample, codec):
            return codec
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    words = _cyrillic_words(sample, at_least=3)
    best: tuple[float, str] | None = None
    for codec in CYRILLIC_CODEPAGES:
        stats = _stats(sample, codec)
        if stats is None:
            continue
        if words and _reads_as_russian(stats):
            return codec
        lower_letters = stats[0] * stats[1] / high if high else 0.0  # lower-case letters among the high bytes
        if best is None or lower_letters > best[0]:
            best = (lower_letters, codec)
    if best and best[0] >= GOOD_LOWER_SHARE and words:
        return best[1]  # a few Russian words (a short page): the detector guesses wildly on so little
    guessed = _detected(sample)
    if guessed:
        return guessed
    return best[1] if best else "cp1251"


def _detected(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        guess = from_bytes(sample).best()
    except Exception:  # noqa: BLE001 - detection is a best effort
        return None
    codec = codec_name(guess.encoding) if guess is not None else None
    if codec and codec.startswith("utf") and b"\x00" not in sample:
        return None  # UTF-8 was ruled out; UTF-16/32 text without a BOM has NUL bytes
    return codec


def decode_html(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode an HTML (or XML) document; ``declared`` is the HTTP header's charset, if any.

    Bad bytes (a character cut at the cap) become U+FFFD; a leading byte-order mark is dropped.
    """
    encoding = choose_encoding(data, declared)
    text = data.decode(encoding, errors="replace")
    return DecodedText(text[1:] if text.startswith("\ufeff") else text, encoding)
