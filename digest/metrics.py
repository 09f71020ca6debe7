"""Advance widths of the poster's font (DejaVu Sans, regular and bold), for fitting text without a
browser. Pure data and arithmetic.

The widths are the fonts' own (``hmtx``, 2048 units per em) rounded *up* to 1/32 em, so a
measured line is never shorter than the printed one; kerning only narrows DejaVu's lines. A
character missing here (a rare script, a symbol) counts as a full em. Made from
``/usr/share/fonts/truetype/dejavu/DejaVuSans{,-Bold}.ttf`` (fonts-dejavu-core 2.37) with
fontTools: ``ceil(hmtx[cmap[ord(ch)]][0] / 64)``.
"""

from __future__ import annotations

from functools import lru_cache

#: width in 1/32 em -> the characters of that width
_REGULAR: dict[int, str] = {
    9: "'ijlìíîïіїј",
    10: 'IJÌÍÎÏІЇЈ',
    11: ',./:;\\|¦·‘’‚',
    12: '-f\xad‐‑',
    13: '!()[]t¡²³¹',
    14: 'r',
    15: '"',
    16: '*_`§¨ª¯°´¸º–',
    17: '?sz¿гѓѕ“”„',
    18: 'Lcçзсэє',
    19: 'Fkvxyýÿвтухчьў•',
    20: 'PTYaeo«»ÝÞàáâãäåèéêëðòóôõöøЃЎГРТУабекояѐёђќ',
    21: '$0123456789EKSbdghnpqu{}¢£¤¥µ¶ÈÉÊËßñùúûüþЀЁЅЕЗийлнпрћѝџ€₽',
    22: 'ABVXZÀÁÂÃÄÅАБВХЧЬц',
    23: 'CRÇЄЌКСЭЯдъ',
    24: 'NUÑÙÚÛÜЍИЙ',
    25: '&DGHÐЏДЛНПЦм',
    26: 'OQÒÓÔÕÖØЂЋОы',
    27: '#+<=>^w~¬±×÷Ъю',
    28: 'MМФф',
    29: 'Ыжљњ',
    30: 'ш',
    31: '%щ',
    32: '@Wm©®¼½¾Ææ—…',
    34: 'Њ№',
    35: 'ЉЖШЩЮ',
}
_BOLD: dict[int, str] = {
    10: "'",
    11: 'ijlìíîïіїј',
    12: '/IJ\\|¦ÌÍÎÏІЇЈ',
    13: ',.:;·‘’‚',
    14: '-f\xad‐‑',
    15: '!()[]¡²³¹',
    16: '_`rt§¨¯°´¸–',
    17: '"*гѓ',
    19: '?czªº¿çзстэє',
    20: 'sѕ',
    21: 'Lvxy¤«¶»ýÿЃГвухьяў•',
    22: 'EFTaekoÈÉÊËàáâãäåèéêëðòóôõöøЀЁЕТаекочѐёќ“”„',
    23: '$0123456789bdghnpqu{}¢£¥ñùúûüþЗбийнпрђѝџ€₽',
    24: 'CPSYZµÇÝÞßЄЅРСЭлцћ',
    25: 'ABKRVXÀÁÂÃÄÅЎАБВУХЬЯъ',
    26: 'UÙÚÛÜЧд',
    27: '#+<=>DGHN^~¬±ÐÑ×÷ЌЍЏИЙКЛНПм',
    28: '&OQÒÓÔÕÖØО',
    29: 'ЂЋДы',
    30: 'wЦ',
    31: 'Ъњ',
    32: '@M©®МФжфюљ—…',
    33: '%',
    34: 'm¼½¾æЫш',
    35: 'Æ',
    36: 'Wщ',
    37: 'ЉЊ',
    38: 'Ю',
    39: '№',
    40: 'ЖШ',
    43: 'Щ',
}

_SPACE = {False: 651 / 2048, True: 713 / 2048}
_UNKNOWN = 1.0


@lru_cache(maxsize=2)
def _table(bold: bool) -> dict[str, float]:
    widths = _BOLD if bold else _REGULAR
    return {ch: units / 32 for units, chars in widths.items() for ch in chars}


_SPACES = frozenset(" \u00a0")


def char_em(ch: str, *, bold: bool) -> float:
    """The advance of one character in em."""
    if ch in _SPACES:
        return _SPACE[bold]
    return _table(bold).get(ch, _UNKNOWN)


def text_em(text: str, *, bold: bool) -> float:
    """The advance of ``text`` in em (no line breaks)."""
    table = _table(bold)
    space = _SPACE[bold]
    return sum(space if ch in _SPACES else table.get(ch, _UNKNOWN) for ch in text)


def wrap_lines(text: str, *, width_em: float, bold: bool) -> list[str]:
    """The lines a greedy word wrap gives at ``width_em`` (as browsers wrap at spaces, with
    ``hyphens: none``; a no-break space joins); a word longer than a line is broken anywhere
    (``overflow-wrap: anywhere``)."""
    lines: list[str] = []
    current = ""
    current_w = 0.0
    space = _SPACE[bold]
    for word in text.split(" "):
        if not word:
            continue
        w = text_em(word, bold=bold)
        if current and current_w + space + w <= width_em:
            current += " " + word
            current_w += space + w
            continue
        if current:
            lines.append(current)
            current, current_w = "", 0.0
        while w > width_em:  # a word wider than the line: broken where the line is full
            taken, used = 0, 0.0
            while taken < len(word) and used + char_em(word[taken], bold=bold) <= width_em:
                used += char_em(word[taken], bold=bold)
                taken += 1
            taken = max(1, taken)
            lines.append(word[:taken])
            word = word[taken:]
            w = text_em(word, bold=bold)
        current, current_w = word, w
    if current:
        lines.append(current)
    return lines


def line_count(text: str, *, width_em: float, bold: bool) -> int:
    return len(wrap_lines(text, width_em=width_em, bold=bold))
