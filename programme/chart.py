"""The progress chart as an SVG string, drawn on the server. Pure; no script, no external resource.

One horizontal bar per indicator: the share of the yearly target reached (a bar past the target
stops at the target line and says so in words); the numbers and «выполнен / не выполнен» are
written beside it, so the chart reads without colours (and prints in black and white).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 820
LEFT = 16
BAR_WIDTH = 360
ROW = 58
TOP = 44

_MET = "#1e6b34"
_NOT_MET = "#a44a00"
_NO_TARGET = "#6b6b6b"


@dataclass(frozen=True)
class ChartBar:
    label: str
    actual: int
    target: int | None
    unit: str
    met: bool | None


def _a(text: str) -> str:
    return escape(text, quote=True)


def render_progress_svg(bars: Sequence[ChartBar], *, title: str = "Выполнение показателей") -> str:
    """An SVG document: ``<svg xmlns=… role="img">`` with a ``<title>`` and a text ``<desc>``."""
    height = TOP + ROW * len(bars) + 12
    desc = "; ".join(
        f"{b.label}: {b.actual} из {b.target if b.target is not None else 'не задано'}"
        + ("" if b.met is None else (", выполнен" if b.met else ", не выполнен"))
        for b in bars
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">',
        f'<title id="chart-title">{_a(title)}</title>',
        f'<desc id="chart-desc">{_a(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="26" font-size="18" font-weight="bold" fill="#000">{_a(title)}</text>',
    ]
    for i, b in enumerate(bars):
        y = TOP + i * ROW
        out.append(f'<text x="{LEFT}" y="{y + 16}" font-size="15" fill="#000">{_a(b.label)}</text>')
        bar_y = y + 24
        out.append(f'<rect x="{LEFT}" y="{bar_y}" width="{BAR_WIDTH}" height="20" fill="#e6e6e6" '
                   'stroke="#999" stroke-width="1"/>')
        if b.target:
            share = b.actual / b.target
            colour = _MET if b.met else _NOT_MET
            filled = round(BAR_WIDTH * min(share, 1.0))
            if filled:
                out.append(f'<rect x="{LEFT}" y="{bar_y}" width="{filled}" height="20" fill="{colour}"/>')
            words = f"{b.actual} из {b.target} {b.unit} — {'выполнен' if b.met else 'не выполнен'}"
            if share > 1:
                words += f" ({round(share * 100)}%)"
        else:
            colour = _NO_TARGET
            words = f"{b.actual} {b.unit} — план на год не задан"
        out.append(f'<text x="{LEFT + BAR_WIDTH + 10}" y="{bar_y + 16}" font-size="14" fill="{colour}" '
                   f'font-weight="bold">{_a(words)}</text>')
    out.append("</svg>")
    return "\n".join(out)
