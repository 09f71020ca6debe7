"""ecitizen.feeds.parse and feeds.discover: pure functions over bytes (real corpus, hostile documents)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ecitizen.errors import ParseError
from ecitizen.feeds.discover import discover_feeds, looks_like_html
from ecitizen.feeds.parse import _cyrillic_stats, choose_encoding, parse_feed
from tests.feeds.helpers import rss

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
OMSK = ZoneInfo("Asia/Omsk")

#: every corpus feed, with a Cyrillic string its feed title or first entry title must contain
CORPUS_EXPECT = [
    ("aif.ru.health.xml", "Как пережить новогоднюю ночь"),
    ("anthropology.ru.xml", "Антропология"),
    ("aug32.hole.ru.xml", "Афиша"),
    ("aviaport.ru.xml", "Найдены тела двух погибших"),
    ("blog.mlmaster.com.xml", "С НГ!"),
    ("forum.template-toolkit.ru.1.xml", "Форумы Template Toolkit"),
    ("forum.template-toolkit.ru.4.xml", "С Новым Годом"),
    ("forum.template-toolkit.ru.6.xml", "загрузка"),
    ("forum.template-toolkit.ru.8.xml", "Разделение кода"),
    ("forum.template-toolkit.ru.9.xml", "Бесплатный Perl-редактор"),
    ("greek.ru.xml", "Греция сегодня"),
    ("intertat.ru.xml", "Республиканская электронная газета"),
    ("janulalife.blogspot.com.xml", "Первый снег"),
    ("kapranoff.ru.xml", "пулюм-пулюм"),
    ("money.rin.ru.xml", "Экономика и финансы"),
    ("music.peeps.ru.xml", "Музыка на PeePs.ru"),
    ("newsru.com.xml", "NEWSru.com"),
]


def _texts(parsed) -> str:  # type: ignore[no-untyped-def]
    return "\n".join([parsed.title] + [e.title + "\n" + e.summary_html for e in parsed.entries])


def _koi8(body: bytes, *, fix_declaration: bool) -> bytes:
    text = body.decode("cp1251")
    if fix_declaration:
        text = text.replace('encoding="windows-1251"', 'encoding="koi8-r"').replace(
            'encoding="Windows-1251"', 'encoding="koi8-r"')
    return text.encode("koi8-r", errors="replace")


@pytest.mark.parametrize("header_charset", [None, "windows-1251", "utf-8", "koi8-r", "iso-8859-1"])
@pytest.mark.parametrize("name, expected", CORPUS_EXPECT)
def test_corpus_feed_reads_as_cyrillic_whatever_the_header_says(
    corpus: Path, name: str, expected: str, header_charset: str | None
) -> None:
    body = (corpus / "cyrillic-feeds" / "windows-1251" / name).read_bytes()
    parsed = parse_feed(body, url="http://example.org/feed", header_charset=header_charset, tz=OMSK, now=NOW)
    text = _texts(parsed)
    assert expected in text
    count, lower_share = _cyrillic_stats(text)
    assert count >= 5 and lower_share > 0.6  # readable Russian, not mojibake
    assert parsed.encoding == "cp1251"


@pytest.mark.parametrize("fix_declaration", [True, False])
@pytest.mark.parametrize("name, expected", CORPUS_EXPECT[:6] + CORPUS_EXPECT[10:14])
def test_koi8r_reencoded_corpus_feed(corpus: Path, name: str, expected: str, fix_declaration: bool) -> None:
    body = _koi8((corpus / "cyrillic-feeds" / "windows-1251" / name).read_bytes(), fix_declaration=fix_declaration)
    for header in (None, "koi8-r", "windows-1251"):
        parsed = parse_feed(body, url="http://example.org/feed", header_charset=header, now=NOW)
        assert expected in _texts(parsed), (header, parsed.title)
        assert parsed.encoding == "koi8-r"


def test_utf8_without_declaration_and_cp1251_header() -> None:
    body = rss([{"title": "Пенсия онлайн", "link": "http://example.org/1"}], declare=False)
    parsed = parse_feed(body, url="http://example.org/", header_charset="windows-1251")
    assert parsed.entries[0].title == "Пенсия онлайн" and parsed.encoding == "utf-8"


@pytest.mark.parametrize("body, expected", [
    (b"\xef\xbb\xbf<?xml version='1.0'?><rss/>", "utf-8"),
    ("<?xml version='1.0' encoding='iso-8859-1'?><rss><title>Café</title></rss>".encode("latin-1"), "iso8859-1"),
    ("<rss><title>Новости Омска и области, где говорят по-русски</title></rss>".encode("cp1251"), "cp1251"),
    ("<rss><title>Новости Омска и области, где говорят по-русски</title></rss>".encode("koi8-r"), "koi8-r"),
])
def test_choose_encoding(body: bytes, expected: str) -> None:
    assert choose_encoding(body, None) == expected


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title></item></channel></rss>"""
INTERNAL_SUBSET = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ATTLIST rss a CDATA "x">]><rss version="2.0"/>"""


@pytest.mark.parametrize("body, match", [
    (BILLION_LAUGHS, "billion-laughs"),
    (XXE, "external-entity"),
    (INTERNAL_SUBSET, "internal DTD subset"),
    (XXE.decode().encode("utf-16"), "ENTITY|entit"),
])
def test_entity_attacks_are_refused(body: bytes, match: str) -> None:
    with pytest.raises(ParseError, match=match):
        parse_feed(body, url="http://example.org/")


@pytest.mark.parametrize("body, match", [
    (b"", "empty body"),
    (b"   \n", "empty body"),
    (b"this is not xml at all", "not"),
    (b'{"hello": "world"}', "not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": 5}', "not a list"),
    (b'{"version": "https://jsonfeed.org/version/1", ', "invalid JSON"),
])
def test_unreadable_documents_give_a_parse_error(body: bytes, match: str) -> None:
    with pytest.raises(ParseError, match=match):
        parse_feed(body, url="http://example.org/", content_type="application/json" if b"{" in body else "")


def test_malformed_xml_with_entries_is_read_leniently() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>' \
           b"<item><title>A &amp B</title><link>http://example.org/a</link></item>" \
           b"<item><title>Second</title><link>http://example.org/b</link></item></channel>"
    parsed = parse_feed(body, url="http://example.org/")
    assert [e.title for e in parsed.entries][-1] == "Second"
    assert parsed.warning and "malformed" in parsed.warning


@pytest.mark.parametrize("raw, expected", [
    ("25 ноября 2026", datetime(2026, 11, 25, 0, 0, tzinfo=OMSK)),
    ("25.11.2026 14:30", datetime(2026, 11, 25, 14, 30, tzinfo=OMSK)),
    ("вчера в 09:15", datetime(2026, 11, 24, 9, 15, tzinfo=OMSK)),
    ("Tue, 24 Nov 2026 09:00:00 +0300", datetime(2026, 11, 24, 6, 0, tzinfo=UTC)),
    ("2026-11-24T09:00:00+04:00", datetime(2026, 11, 24, 5, 0, tzinfo=UTC)),
])
def test_russian_and_standard_dates(raw: str, expected: datetime) -> None:
    body = rss([{"title": "t", "link": "http://example.org/1", "pubDate": raw}])
    entry = parse_feed(body, url="http://example.org/", tz=OMSK, now=NOW).entries[0]
    assert entry.published_at == expected
    assert entry.published_at is not None and entry.published_at.tzinfo is not None


def test_atom_and_rss1_entries() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Кремль</title>
<entry><id>tag:kremlin.ru,2026:1</id><title type="html">Указ &lt;b&gt;о пенсиях&lt;/b&gt;</title>
<link rel="alternate" href="http://kremlin.ru/acts/1"/><updated>2026-11-24</updated>
<content type="html">&lt;p&gt;Текст&lt;/p&gt;</content></entry></feed>""".encode()
    parsed = parse_feed(atom, url="http://kremlin.ru/acts/news/feed")
    e = parsed.entries[0]
    assert (parsed.version, e.guid, e.title, e.url) == ("atom10", "tag:kremlin.ru,2026:1", "Указ о пенсиях",
                                                        "http://kremlin.ru/acts/1")
    assert "<p>Текст</p>" in e.summary_html and e.published_at == datetime(2026, 11, 24, tzinfo=UTC)


def test_plain_text_summary_is_escaped_not_interpreted() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
        {"id": 1, "url": "http://example.org/1", "title": "Т", "content_text": "<script>alert(1)</script>"}]}
    e = parse_feed(json.dumps(doc).encode(), url="http://example.org/f.json").entries[0]
    assert "<script>" not in e.summary_html and "&lt;script&gt;" in e.summary_html


def test_json_feed_1_1_and_1_0() -> None:
    for version, expected in (("https://jsonfeed.org/version/1.1", "json11"), ("https://jsonfeed.org/version/1", "json10")):
        doc = {
            "version": version, "title": "Госуслуги", "home_page_url": "https://www.gosuslugi.ru/",
            "items": [
                {"id": "a1", "url": "https://www.gosuslugi.ru/news/1", "title": "Новая услуга",
                 "content_html": "<p>Теперь можно</p>", "date_published": "2026-11-24T09:00:00+03:00"},
                {"id": 2, "external_url": "https://www.gosuslugi.ru/news/2", "summary": "только текст"},
                "junk", {"title": None},
            ],
        }
        parsed = parse_feed(json.dumps(doc).encode(), url="https://www.gosuslugi.ru/feed.json",
                            content_type="application/feed+json")
        assert parsed.version == expected and parsed.title == "Госуслуги"
        assert [(e.guid, e.url) for e in parsed.entries] == [
            ("a1", "https://www.gosuslugi.ru/news/1"), ("2", "https://www.gosuslugi.ru/news/2")]
        assert parsed.entries[0].published_at == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


PAGE = b"""<!DOCTYPE html><html><head><title>x</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/json" href="/api.json">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" title="RSS" href="rss/">
</head><body><link rel="alternate" type="application/rss+xml" href="/ignored"></body></html>"""


def test_discovery_orders_rss_first_and_resolves_relative_links() -> None:
    assert discover_feeds(PAGE, "http://government.ru/news/") == [
        "http://government.ru/news/rss/", "http://government.ru/atom.xml", "http://government.ru/api.json"]
    assert discover_feeds(b"<html><head></head><body>no feed</body></html>", "http://x.org/") == []


@pytest.mark.parametrize("body, ctype, expected", [
    (PAGE, "", True),
    (b"<?xml version='1.0'?><rss/>", "text/html", False),
    (b"<rss version='2.0'/>", "application/rss+xml", False),
    (b"  <HTML><body>", "", True),
])
def test_looks_like_html(body: bytes, ctype: str, expected: bool) -> None:
    assert looks_like_html(body, ctype) is expected


def test_real_gov_page_discovery_does_not_crash(corpus: Path) -> None:
    for page in sorted((corpus / "gov-pages").glob("*.html")):
        feeds = discover_feeds(page.read_bytes(), "http://example.org/")
        assert all(f.startswith("http") for f in feeds)
