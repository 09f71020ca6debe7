"""Reading a rendered PDF as a reader would: pages, text, where the text is, QR codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

A4 = (595.28, 841.89)


@dataclass(frozen=True)
class PageInfo:
    size: tuple[float, float]
    text: str
    #: (char, left, bottom, right, top) for every visible character
    boxes: list[tuple[str, float, float, float, float]]
    qr_codes: list[str]


def read_pdf(path: Path, *, qr_scale: float = 0.0) -> list[PageInfo]:
    pdf = pdfium.PdfDocument(str(path))
    pages: list[PageInfo] = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            n = tp.count_chars()
            text = tp.get_text_range(0, n) if n else ""
            boxes = []
            for k in range(n):
                ch = text[k] if k < len(text) else ""
                if not ch.strip():
                    continue
                left, bottom, right, top = tp.get_charbox(k)
                if right - left <= 0 or top - bottom <= 0:
                    continue
                boxes.append((ch, left, bottom, right, top))
            codes: list[str] = []
            if qr_scale:
                import zxingcpp

                image = page.render(scale=qr_scale).to_pil()
                codes = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
            pages.append(PageInfo(tuple(page.get_size()), text, boxes, codes))  # type: ignore[arg-type]
            tp.close()
            page.close()
    finally:
        pdf.close()
    return pages


def outside_page(info: PageInfo, margin: float = 20.0) -> list[str]:
    """Characters that are not inside the page's printable area (``margin`` points from the edge)."""
    w, h = info.size
    return [c for c, x0, b, r, t in info.boxes if x0 < margin or b < margin or r > w - margin or t > h - margin]


def overlapping(info: PageInfo, threshold: float = 0.35) -> list[tuple[str, str]]:
    """Pairs of characters whose boxes overlap (text drawn over text: an overflow)."""
    cell = 12.0
    grid: dict[tuple[int, int], list[int]] = {}
    for idx, (_, x0, b, r, t) in enumerate(info.boxes):
        for gx in range(int(x0 // cell), int(r // cell) + 1):
            for gy in range(int(b // cell), int(t // cell) + 1):
                grid.setdefault((gx, gy), []).append(idx)
    found: set[tuple[int, int]] = set()
    for members in grid.values():
        for a_i, a in enumerate(members):
            for b_ in members[a_i + 1:]:
                if (a, b_) in found:
                    continue
                _, l1, b1, r1, t1 = info.boxes[a]
                _, l2, b2, r2, t2 = info.boxes[b_]
                w = min(r1, r2) - max(l1, l2)
                h = min(t1, t2) - max(b1, b2)
                if w <= 0 or h <= 0:
                    continue
                smaller = min((r1 - l1) * (t1 - b1), (r2 - l2) * (t2 - b2))
                if w * h > threshold * smaller:
                    found.add((a, b_))
    return [(info.boxes[a][0], info.boxes[b][0]) for a, b in found]


def squash(text: str) -> str:
    """Text without line breaks, soft hyphens and the hyphens added at line ends."""
    import re

    t = text.replace("\u00ad", "").replace("\ufffe", "").replace("\x02", "")
    t = re.sub("\u2010\\s*\r?\n", "", t)  # WeasyPrint's automatic hyphenation
    t = re.sub(r"-\r?\n", "-", t)  # a real hyphen at a line end
    return " ".join(t.split())


def font_sizes(path: Path) -> list[list[tuple[str, float]]]:
    """Per page, every visible character with the size it is printed at, in points (the font
    size times the character's effective matrix: WeasyPrint writes CSS pixels scaled by 0.75)."""
    import ctypes
    import math

    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(str(path))
    out: list[list[tuple[str, float]]] = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            n = tp.count_chars()
            text = tp.get_text_range(0, n) if n else ""
            chars: list[tuple[str, float]] = []
            for k in range(min(n, len(text))):
                if not text[k].strip():
                    continue
                m = raw.FS_MATRIX()
                raw.FPDFText_GetMatrix(tp.raw, k, ctypes.byref(m))
                size = raw.FPDFText_GetFontSize(tp.raw, k) * math.sqrt(abs(m.a * m.d - m.b * m.c))
                chars.append((text[k], round(size, 1)))
            out.append(chars)
            tp.close()
            page.close()
    finally:
        pdf.close()
    return out


def size_of(chars: list[tuple[str, float]], words: str) -> list[float]:
    """The sizes of the characters of ``words`` (spaces and line breaks ignored) where they are printed."""
    flat = "".join(c for c, _ in chars)
    target = "".join(words.split())
    start = flat.index(target)
    return [s for _, s in chars[start:start + len(target)]]
