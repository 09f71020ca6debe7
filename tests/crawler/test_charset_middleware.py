"""CharsetMiddleware: every page is read with the core decoder's choice (ecitizen.textcodec)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from ecitizen.crawler.middlewares import CharsetMiddleware

TEXT = "<html><body><h1>Новости</h1><p>" + "Запись к врачу и пенсия через портал госуслуг. " * 5 + "</p></body></html>"


@pytest.mark.parametrize(("codec", "content_type", "kept"), [
    ("cp1251", "text/html", None),  # no charset anywhere: detected (Scrapy may guess right too)
    ("cp1251", "text/html; charset=koi8-r", False),  # a wrong header
    ("cp1251", "text/html; charset=iso-8859-1", False),  # a server's Western default
    ("koi8-r", "text/html; charset=windows-1251", False),
    ("cp1251", "text/html; charset=windows-1251", True),  # right: the response is left alone
    ("utf-8", "text/html", True),
])
def test_pages_are_read_in_the_right_charset(codec: str, content_type: str, kept: bool | None) -> None:
    raw = HtmlResponse("https://example.org/", body=TEXT.encode(codec), headers={"Content-Type": content_type})
    fixed = CharsetMiddleware().process_response(Request(raw.url), raw)
    assert isinstance(fixed, TextResponse)
    if kept is not None:
        assert (fixed is raw) is kept
    assert "Запись к врачу" in fixed.text and fixed.encoding == codec
