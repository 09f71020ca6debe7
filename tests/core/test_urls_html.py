from __future__ import annotations

import pytest

from ecitizen.errors import UnsafeURLError
from ecitizen.html import clean_text, html_to_text, sanitize_html
from ecitizen.urls import canonical_url, check_public_url, display_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a?utm_source=x&b=1&utm_medium=y#frag", "https://example.com/a?b=1"),
        ("https://example.com/a?fbclid=1&yclid=2&id=5", "https://example.com/a?id=5"),
        ("https://мвд.рф/news/", "https://xn--b1aew.xn--p1ai/news/"),
        ("https://ГОСУСЛУГИ.РФ/", "https://xn--c1aapkosapc.xn--p1ai/"),
        ("http://example.com:8080/путь", "http://example.com:8080/%D0%BF%D1%83%D1%82%D1%8C"),
        ("http://example.com/%D0%BF", "http://example.com/%D0%BF"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected  # idempotent


def test_display_url_shows_cyrillic() -> None:
    assert display_url("https://xn--b1aew.xn--p1ai/news/") == "https://мвд.рф/news/"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "javascript:alert(1)", "http://127.0.0.1/", "http://10.1.2.3/", "http://192.168.0.1/",
     "http://[::1]/", "http://localhost:8080/", "http://169.254.169.254/latest", "file:///etc/passwd"],
)
def test_private_and_non_http_targets_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_public_url(url, resolve=None)


def test_private_resolution_refused_and_allowed_when_configured() -> None:
    with pytest.raises(UnsafeURLError, match="private"):
        check_public_url("http://intranet.example/", resolve=lambda h: ["10.0.0.5"])
    assert check_public_url("http://intranet.example/", resolve=lambda h: ["93.184.216.34"]) == "http://intranet.example/"
    assert check_public_url("http://127.0.0.1:5000/x", allow_private=True) == "http://127.0.0.1:5000/x"


@pytest.mark.parametrize(
    "payload",
    [
        '<script>alert(1)</script><p>ok</p>',
        '<img src=x onerror="alert(1)"><p>ok</p>',
        '<a href="javascript:alert(1)">ok</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">ok</a>',
        '<iframe src="http://evil"></iframe><p>ok</p>',
        '<p style="background:url(javascript:x)">ok</p>',
        '<svg onload=alert(1)><p>ok</p></svg>',
    ],
)
def test_sanitize_removes_active_content(payload: str) -> None:
    out = sanitize_html(payload)
    low = out.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "data:", "<iframe", "style="):
        assert bad not in low
    assert "ok" in out


def test_sanitize_absolutises_links_and_text_helpers() -> None:
    out = sanitize_html('<a href="/news/1">x</a>', base_url="https://sfr.gov.ru/press/")
    assert 'href="https://sfr.gov.ru/news/1"' in out
    assert html_to_text("<p>Пенсии &amp; выплаты</p><p>вторая</p>") == "Пенсии & выплаты\nвторая"
    assert clean_text("  a\u202eb\n c ") == "ab c"
    assert clean_text("x" * 600, max_length=10) == "x" * 9 + "…"


def test_invisible_and_bidi_characters_never_reach_stored_text() -> None:
    from ecitizen.html import clean_text, sanitize_html

    hostile = "Гос\u200bуслуги\u200d: \u202eновая\u202c услуга\ufeff\u2060"
    assert clean_text(hostile) == "Госуслуги: новая услуга"
    assert sanitize_html(f"<p>{hostile}</p>") == "<p>Госуслуги: новая услуга</p>"


def test_summaries_carry_no_images_even_relative_ones() -> None:
    from ecitizen.html import sanitize_html

    out = sanitize_html('<p>Текст <img src="/pixel.gif?u=manager" alt="x"></p>', base_url="https://tracker.example/")
    assert "img" not in out and "tracker" not in out and "Текст" in out


def test_huge_summary_is_capped() -> None:
    from ecitizen.pipeline import SUMMARY_HTML_MAX, SUMMARY_TEXT_MAX, EntryData, Rules, prepare_entry

    entry = EntryData(title="Новость", url="https://example.org/n/1", summary_html="<p>" + "слово " * 60_000 + "</p>")
    item = prepare_entry(entry, Rules(topics=(), services=()))
    assert len(item.summary_html) <= SUMMARY_HTML_MAX and len(item.summary_text) <= SUMMARY_TEXT_MAX


def test_sanitize_in_many_threads_resolves_each_fragment_against_its_own_base() -> None:
    """The cleaners are built once per thread; the base address is the call's, never another
    thread's or an earlier call's."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> str:
        return sanitize_html(f'<p><a href="item/{i}">новость {i}</a></p>', base_url=f"https://s{i % 7}.example.org/news/")

    with ThreadPoolExecutor(8) as pool:
        out = list(pool.map(one, range(400)))
    for i, html in enumerate(out):
        assert f'href="https://s{i % 7}.example.org/news/item/{i}"' in html, html
    # no base: the relative link stays as it is (the last call's base is not kept)
    assert 'href="item/1"' in sanitize_html('<a href="item/1">x</a>')
