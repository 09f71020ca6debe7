"""The info-zone poster's layout: sheet geometry, fitting a headline and its explanation into
their lines, packing entries onto sheets. Pure: plain values in, plain values out.

The poster is read from two metres: headlines 28 pt bold, explanations 20 pt, the library's name
32 pt, black on white, no hyphenation. Every measure the template uses comes from
:class:`PosterGeometry` (``poster.html`` prints them into its CSS), and text is measured with
the font's own widths (:mod:`digest.metrics`), so the estimate and the printed sheet agree.

The rules (docs/decisions.md, ``## Digest``):

- an entry is a QR code (25 mm) beside its headline; the headline takes at most 3 lines, the
  headline and the explanation together at most 4 — so any 4 entries fit one A4 sheet and any 8
  fit two, whatever the library's address; A3 is landscape with two such columns (8 per sheet);
- a headline longer than :data:`POSTER_TITLE_MAX` characters or its lines is cut at a word with
  «…», the explanation likewise (:data:`POSTER_TEXT_MAX`); every cut is reported (``shortened``);
- the explanation is the person-written one, else whole sentences from the start of the news.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ecitizen.digest.metrics import line_count, text_em, wrap_lines

#: print limits in characters (the web form shows them); the lines decide in the end (wide letters)
POSTER_TITLE_MAX = 70
POSTER_TEXT_MAX = 110
#: lines of a headline, and of a headline and its explanation together
POSTER_TITLE_LINES = 3
POSTER_ENTRY_LINES = 4
#: entries in one column: one column on an A4 sheet, two on A3
POSTER_PER_COLUMN = 4

POSTER_SIZES = ("A4", "A3")
MM = 72 / 25.4

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CUT_PUNCT = " ,;:—–-.\u00a0"

NBSP = "\u00a0"
#: short words a Russian line never ends with: joined to the next word by a no-break space
_BOUND = ("в", "во", "к", "ко", "с", "со", "о", "об", "обо", "у", "и", "а", "но", "на", "по", "за", "из",
          "от", "до", "не", "ни", "для", "без", "под", "над", "при", "про")
_BIND_NEXT = re.compile(r"(?<!\S)(" + "|".join(_BOUND) + r")\s+(?=\S)", re.IGNORECASE)
_NUMBER_WORD = re.compile(r"(?<=\d)\s+(?=[^\W\d_])")  # 1 декабря, 2026 года, 5 минут
_BEFORE_DASH = re.compile(r"\s+(?=—)")
#: a shortened text does not end with these either («… без визита в…», «… через…»)
_NOT_LAST = frozenset(_BOUND) | {"через", "после", "перед", "около", "между", "вместо", "или", "либо", "что",
                                 "чтобы", "как", "если", "когда", "где", "который", "которая", "которые"}


def typograph(text: str) -> str:
    """No-break spaces where Russian typesetting keeps words together: after short prepositions
    and conjunctions, between a number and its word, before a dash."""
    text = _BIND_NEXT.sub(lambda m: m.group(1) + NBSP, text)
    text = _NUMBER_WORD.sub(NBSP, text)
    return _BEFORE_DASH.sub(NBSP, text)


def _ends_with_function_word(words: Sequence[str]) -> bool:
    last = words[-1].split(NBSP)[-1].strip(_CUT_PUNCT + "«»\"'()").lower() if words else ""
    return last in _NOT_LAST


@dataclass(frozen=True)
class PosterGeometry:
    """Measures of the built-in poster in points (1/72 inch). ``poster.html`` prints them."""

    size: str = "A4"
    page_width: float = 210 * MM
    page_height: float = 297 * MM
    margin: float = 10 * MM
    #: entry columns per sheet (A3 landscape: two A4-wide columns)
    columns: int = 1
    column_width: float = 190 * MM
    qr: float = 25 * MM
    qr_gap: float = 4.5 * MM
    title_size: float = 28.0
    title_line: float = 31.5
    text_size: float = 20.0
    text_line: float = 24.0
    title_text_gap: float = 4.0
    #: «Новая / услуга» under the QR code
    badge_size: float = 15.0
    badge_line: float = 17.0
    badge_box: float = 4.0 + 6.0  # margin above + padding
    #: the space and rule between two entries
    entry_gap: float = 12.0
    top_size: float = 18.0
    top_line: float = 22.0
    name_size: float = 32.0
    name_line: float = 36.0
    header_box: float = 19.0  # padding, rule, space below
    footer_size: float = 15.0
    footer_line: float = 19.0
    small_size: float = 12.0
    small_line: float = 15.0
    footer_box: float = 12.0  # rule, padding, space above
    #: what the estimate keeps free on every sheet (rounding, kerning)
    safety: float = 6.0

    @property
    def content_width(self) -> float:
        return self.page_width - 2 * self.margin

    @property
    def content_height(self) -> float:
        return self.page_height - 2 * self.margin

    @property
    def column_gap(self) -> float:
        return (self.content_width - self.columns * self.column_width) / max(1, self.columns - 1)

    @property
    def text_width(self) -> float:
        return self.column_width - self.qr - self.qr_gap

    @property
    def title_em(self) -> float:
        return self.text_width / self.title_size

    @property
    def text_em(self) -> float:
        return self.text_width / self.text_size

    def qr_column_height(self, badge: bool) -> float:
        """The QR code, and under it the «Новая услуга» badge (two lines) for a new service."""
        return self.qr + (self.badge_box + 2 * self.badge_line if badge else 0.0)

    def entry_height(self, title_lines: int, text_lines: int, badge: bool = True) -> float:
        body = title_lines * self.title_line
        if text_lines:
            body += self.title_text_gap + text_lines * self.text_line
        return max(self.qr_column_height(badge), body)

    @property
    def max_entry_height(self) -> float:
        return max(self.entry_height(t, POSTER_ENTRY_LINES - t) for t in range(1, POSTER_TITLE_LINES + 1))


def geometry_for(size: str) -> PosterGeometry:
    """``A4`` (portrait, one column) or ``A3`` (landscape, two columns). Raises ValueError."""
    key = size.strip().upper()
    if key == "A4":
        return PosterGeometry()
    if key == "A3":
        return PosterGeometry(size="A3", page_width=420 * MM, page_height=297 * MM, columns=2)
    raise ValueError(f"poster size must be A4 or A3, not {size!r}")


# -- fitting text -------------------------------------------------------------------------------

def cut_to_lines(text: str, *, max_lines: int, width_em: float, bold: bool, max_chars: int) -> str:
    """``text`` if it fits ``max_lines`` and ``max_chars``; else its longest start ending at a word
    that does, with «…»."""
    if len(text) <= max_chars and line_count(text, width_em=width_em, bold=bold) <= max_lines:
        return text
    words = text.split(" ")
    for k in range(len(words) - 1, 0, -1):
        if k > 1 and _ends_with_function_word(words[:k]):
            continue
        candidate = " ".join(words[:k]).rstrip(_CUT_PUNCT) + "…"
        if len(candidate) <= max_chars and line_count(candidate, width_em=width_em, bold=bold) <= max_lines:
            return candidate
    # one word longer than the room: cut inside it
    head = wrap_lines(text, width_em=width_em, bold=bold)
    kept = "".join(head[:max_lines])[: max_chars - 1]
    while kept and line_count(kept + "…", width_em=width_em, bold=bold) > max_lines:
        kept = kept[:-1]
    return kept.rstrip(_CUT_PUNCT) + "…"


@dataclass(frozen=True)
class FittedText:
    title: str
    text: str
    title_shortened: bool
    text_shortened: bool
    #: where the explanation comes from: ``explanation`` (a person wrote it), ``summary`` (the
    #: first sentences of the news), or ``""`` (nothing to print)
    text_from: str
    title_lines: int
    text_lines: int


def _sentences_that_fit(summary: str, *, max_lines: int, width_em: float, max_chars: int) -> str:
    out = ""
    for sentence in _SENTENCE_END.split(summary):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > max_chars or line_count(candidate, width_em=width_em, bold=False) > max_lines:
            break
        out = candidate
    return out


def fit_explanation(explanation: str, summary: str, *, lines: int, g: PosterGeometry) -> tuple[str, bool, str]:
    """(text, shortened, text_from) for ``lines`` lines: the person-written explanation cut at a word,
    else whole sentences from the start of the summary (the first one cut only when it alone is
    too long). No lines: nothing printed (shortened when there was something to print)."""
    if lines <= 0:
        return "", bool(explanation or summary), "explanation" if explanation else "summary" if summary else ""
    if explanation:
        text = cut_to_lines(explanation, max_lines=lines, width_em=g.text_em, bold=False, max_chars=POSTER_TEXT_MAX)
        return text, text != explanation, "explanation"
    if summary:
        text = _sentences_that_fit(summary, max_lines=lines, width_em=g.text_em, max_chars=POSTER_TEXT_MAX)
        if text:
            return text, False, "summary"
        return cut_to_lines(summary, max_lines=lines, width_em=g.text_em, bold=False,
                            max_chars=POSTER_TEXT_MAX), True, "summary"
    return "", False, ""


def fit_entry(title: str, explanation: str, summary: str, g: PosterGeometry) -> FittedText:
    """Fit cleaned print text (``select.clean_print``) into an entry's lines: the headline first (at
    most 3 lines), then the explanation in the lines left (the headline and it: at most 4)."""
    printed_title = cut_to_lines(title, max_lines=POSTER_TITLE_LINES, width_em=g.title_em, bold=True,
                                 max_chars=POSTER_TITLE_MAX)
    title_lines = line_count(printed_title, width_em=g.title_em, bold=True)
    text, shortened, text_from = fit_explanation(explanation, summary, lines=POSTER_ENTRY_LINES - title_lines, g=g)
    text_lines = line_count(text, width_em=g.text_em, bold=False) if text else 0
    return FittedText(printed_title, text, printed_title != title, shortened, text_from, title_lines, text_lines)


# -- the library's block ------------------------------------------------------------------------

@dataclass(frozen=True)
class FooterLine:
    text: str
    #: ``contact`` (15 pt), ``hint`` (15 pt bold: how to use the QR codes), ``small`` (12 pt)
    kind: str = "contact"


def join_parts(parts: Sequence[str], *, width_em: float, sep: str = " · ") -> list[str]:
    """Short parts (telephone, e-mail, site) joined on one line while they fit, else on the next."""
    lines: list[str] = []
    for part in parts:
        if lines and text_em(lines[-1] + sep + part, bold=False) <= width_em:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


@dataclass(frozen=True)
class SheetFrame:
    """What every sheet of one library's poster prints around the entries."""

    top: str
    name: str
    footer: tuple[FooterLine, ...]


def header_height(frame: SheetFrame, g: PosterGeometry) -> float:
    top = line_count(frame.top, width_em=g.content_width / g.top_size, bold=True)
    name = line_count(frame.name, width_em=g.content_width / g.name_size, bold=True)
    return top * g.top_line + name * g.name_line + g.header_box


def footer_height(frame: SheetFrame, g: PosterGeometry) -> float:
    h = g.footer_box
    for line in frame.footer:
        size, leading, bold = ((g.small_size, g.small_line, False) if line.kind == "small"
                               else (g.footer_size, g.footer_line, line.kind == "hint"))
        # the sheet number shares the last small line: leave room for «Лист 10 из 10»
        extra = " · Лист 10 из 10" if line.kind == "small" else ""
        h += line_count(line.text + extra, width_em=g.content_width / size, bold=bold) * leading
    return h


def column_budget(frame: SheetFrame, g: PosterGeometry) -> float:
    return g.content_height - header_height(frame, g) - footer_height(frame, g) - g.safety


# -- packing ------------------------------------------------------------------------------------

def pack_columns(heights: Sequence[float], *, budget: float, gap: float) -> list[list[int]]:
    """Greedy: fill a column until the next entry would not fit; the entries' indexes per column.
    An entry taller than the budget still gets a column of its own (nothing is dropped)."""
    columns: list[list[int]] = []
    used = 0.0
    for i, h in enumerate(heights):
        if columns and used + gap + h <= budget:
            columns[-1].append(i)
            used += gap + h
        else:
            columns.append([i])
            used = h
    return columns


def column_sizes(n: int, *, per_column: int = POSTER_PER_COLUMN, columns_per_sheet: int = 1) -> list[int]:
    """How many entries each column takes: as few columns as ``per_column`` allows (at least one
    per column of the sheet while there are entries), filled evenly, the first ones fuller
    (5 → 3 + 2, 8 → 4 + 4; on A3 3 → 2 + 1)."""
    if n <= 0:
        return []
    k = max(-(-n // per_column), min(n, columns_per_sheet))
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]
