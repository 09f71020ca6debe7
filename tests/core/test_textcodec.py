"""ecitizen.textcodec: the one decoder of downloaded HTML/XML text (tables of bytes → text, codec)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ecitizen.textcodec import choose_encoding, codec_name, declared_in_document, decode_html

RU = "Государственные услуги для пенсионеров: запись к врачу, пенсия и пособия онлайн. " * 3
PAGE = "<html><head>{meta}<title>Пенсия</title></head><body><p>" + RU + "</p></body></html>"
META_1251 = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
META_KOI8 = '<meta charset="koi8-r">'
FR = "Café, crème brûlée à la française : l'élève où le garçon déjeune. " * 3


def page(meta: str = "") -> str:
    return PAGE.format(meta=meta)


@pytest.mark.parametrize(("data", "declared", "encoding"), [
    # byte-order marks win
    (codecs.BOM_UTF8 + page().encode(), "windows-1251", "utf-8"),
    (codecs.BOM_UTF16_LE + page().encode("utf-16-le"), None, "utf-16-le"),
    # UTF-8 is UTF-8 whatever is declared
    (page().encode(), None, "utf-8"),
    (page(META_1251).encode(), "windows-1251", "utf-8"),
    (page()[:-60].encode() + "Пенсия".encode()[:-1], None, "utf-8"),  # a letter cut by the size cap
    (page().encode().replace(b"</p>", b"\xa0</p>"), "windows-1251", "utf-8"),  # one stray byte among many
    # windows-1251: right, wrong and missing charsets
    (page(META_1251).encode("cp1251"), None, "cp1251"),
    (page().encode("cp1251"), "windows-1251", "cp1251"),
    (page().encode("cp1251"), None, "cp1251"),
    (page().encode("cp1251"), "koi8-r", "cp1251"),
    (page().encode("cp1251"), "utf-8", "cp1251"),
    (page().encode("cp1251"), "iso-8859-1", "cp1251"),  # a server's Western default
    (page(META_KOI8).encode("cp1251"), None, "cp1251"),  # a wrong meta
    (page().encode("cp1251"), "no-such-charset", "cp1251"),
    # KOI8-R: right, wrong and missing charsets
    (page(META_KOI8).encode("koi8-r"), None, "koi8-r"),
    (page().encode("koi8-r"), "koi8-r", "koi8-r"),
    (page().encode("koi8-r"), None, "koi8-r"),
    (page().encode("koi8-r"), "windows-1251", "koi8-r"),
    (page(META_1251).encode("koi8-r"), "windows-1251", "koi8-r"),
    # little text: a declared Cyrillic code page is believed; a few words are still read right
    ("Пенсия".encode("cp1251"), "windows-1251", "cp1251"),
    ('<meta charset="koi8-r"><p>Пенсия'.encode("koi8-r"), None, "koi8-r"),
    ("<p>Запись к врачу</p>".encode("cp1251"), None, "cp1251"),
    ("<p>Запись к врачу</p>".encode("koi8-r"), None, "koi8-r"),
    # Western text: a declared Western code page is believed; accents are not Cyrillic words
    (FR.encode("latin-1"), "iso-8859-1", "iso8859-1"),
    (("<?xml version='1.0' encoding='iso-8859-1'?><rss><title>" + FR + "</title></rss>").encode("latin-1"), None,
     "iso8859-1"),
    # the XML declaration is the document's own charset
    (("<?xml version='1.0' encoding='windows-1251'?><rss><title>" + RU + "</title></rss>").encode("cp1251"), None,
     "cp1251"),
])
def test_choose_encoding(data: bytes, declared: str | None, encoding: str) -> None:
    assert choose_encoding(data, declared) == encoding


@pytest.mark.parametrize(("data", "declared", "text"), [
    (codecs.BOM_UTF8 + "Пенсия".encode(), None, "Пенсия"),
    ("Пенсия".encode()[:-1], None, "Пенси\ufffd"),
    ("Пенсия".encode("cp1251"), "windows-1251", "Пенсия"),
    ("Пенсия".encode(), "no-such-charset", "Пенсия"),
    (RU.encode("koi8-r"), "windows-1251", RU),
])
def test_decode_html(data: bytes, declared: str | None, text: str) -> None:
    assert decode_html(data, declared).text == text


def test_western_text_is_not_taken_for_cyrillic() -> None:
    assert choose_encoding(FR.encode("latin-1")) not in ("cp1251", "koi8-r", "koi8-u", "cp866", "iso8859-5",
                                                         "mac-cyrillic")


@pytest.mark.parametrize(("label", "name"), [
    ("Windows-1251", "cp1251"), ("KOI8-R", "koi8-r"), ("utf8", "utf-8"), ('"cp1251"', "cp1251"),
    ("no-such", None), (None, None), ("", None),
])
def test_codec_name(label: str | None, name: str | None) -> None:
    assert codec_name(label) == name


@pytest.mark.parametrize(("data", "declared"), [
    (b"<?xml version='1.0' encoding='KOI8-R'?><rss/>", "koi8-r"),
    (b'<html><head><meta charset="windows-1251"></head>', "windows-1251"),
    (b'<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8">', "utf-8"),
    (b"<html><head><title>x</title></head>", None),
])
def test_declared_in_document(data: bytes, declared: str | None) -> None:
    assert declared_in_document(data) == declared


def test_real_government_pages_decode_in_any_code_page(corpus: Path) -> None:
    pravo = (corpus / "gov-pages" / "pravo.gov.ru-2026-08.html").read_text(encoding="utf-8")
    for codec in ("cp1251", "koi8-r"):
        for declared in (None, "windows-1251", "iso-8859-1"):
            decoded = decode_html(pravo.encode(codec, errors="replace"), declared)
            assert decoded.encoding == codec and "Распоряжение Правительства" in decoded.text, (codec, declared)
