"""Pure text functions for change detection: normalisation, changed share, readable diffs.

Boilerplate noise must not look like a change: dates (``12 августа 2026 года``, ``19.08.2026``,
ISO), times, numbers (counters, view counts, prices) and session tokens are replaced by
placeholders before comparing. Imports nothing from the project.
"""

from __future__ import annotations

import difflib
import hashlib
import re

_MONTHS = (
    "январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # long opaque tokens: session ids, csrf tokens, hashes, base64 blobs
    (re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{16,}\b"), "‹token›"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "‹token›"),
    # ISO timestamps and dates
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "‹date›"),
    # 19.08.2026, 19/08/26
    (re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"), "‹date›"),
    # 12 августа 2026 года, 1 сентября
    (re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})[а-яa-z]*\.?(?:\s+\d{{4}}(?:\s*(?:года|г\.?))?)?", re.I), "‹date›"),
    # сегодня/вчера, 14:30
    (re.compile(r"\b(?:сегодня|вчера|позавчера)\b", re.I), "‹date›"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"), "‹time›"),
    # any other number (counters, views, prices, years)
    (re.compile(r"\d+(?:[ \u00a0.,]\d{3})*(?:[.,]\d+)?"), "#"),
)
_WS = re.compile(r"[ \t\u00a0]+")


def normalise_text(text: str) -> str:
    """The text with noise replaced by placeholders, one trimmed line per paragraph."""
    out = text
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    lines = (_WS.sub(" ", line).strip() for line in out.splitlines())
    return "\n".join(line for line in lines if line)


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def changed_share(old: str, new: str) -> float:
    """Share (0..1) of the normalised text that changed, by words."""
    a = normalise_text(old).split()
    b = normalise_text(new).split()
    if not a and not b:
        return 0.0
    if not a or not b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return round(1.0 - matcher.ratio(), 4)


def similarity(a: str, b: str) -> float:
    """Similarity (0..1) of two normalised texts (used for the soft-404 comparison)."""
    x = normalise_text(a).split()
    y = normalise_text(b).split()
    if not x and not y:
        return 1.0
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


def _wrap(text: str, width: int = 100) -> list[str]:
    """Split paragraphs into sentences/short lines so that a diff shows what changed."""
    out: list[str] = []
    for para in text.splitlines():
        para = para.strip()
        if not para:
            continue
        for sentence in re.split(r"(?<=[.!?…])\s+", para):
            while len(sentence) > width:
                cut = sentence.rfind(" ", 0, width)
                cut = cut if cut > 0 else width
                out.append(sentence[:cut])
                sentence = sentence[cut:].strip()
            if sentence:
                out.append(sentence)
    return out


def readable_diff(old: str, new: str, *, context: int = 1, max_lines: int = 200) -> str:
    """A unified diff of two texts, sentence by sentence, labelled in Russian."""
    lines = list(
        difflib.unified_diff(_wrap(old), _wrap(new), fromfile="было", tofile="стало", n=context, lineterm="")
    )
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… (ещё {len(lines) - max_lines} строк)"]
    return "\n".join(lines)
