"""The catalogue: add/merge/refuse, Cyrillic domains, import formats, export, the public page, moves."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from lxml import etree
from sqlmodel import select

from ecitizen.app import App
from ecitizen.archive import status as st
from ecitizen.archive.catalogue import (
    LinkInput,
    add_link,
    apply_moves,
    export_csv,
    export_json,
    import_links,
    list_links,
    parse_import,
    remove_link,
    render_catalogue_html,
)
from ecitizen.db import session_scope
from ecitizen.errors import NotFoundError, UnsafeURLError
from ecitizen.storage import Link, LinkCheck

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def public_resolver(host: str) -> list[str]:
    table = {"xn--c1aapkosapc.xn--p1ai": "95.167.1.1", "www.gosuslugi.ru": "95.167.1.2", "evil.example": "10.0.0.5"}
    if host not in table:
        raise OSError("unknown")
    return [table[host]]


@pytest.mark.parametrize(
    "url",
    ["ftp://gosuslugi.ru/", "javascript:alert(1)", "http://127.0.0.1/admin", "http://192.168.1.10/",
     "http://localhost:8080/", "http://evil.example/", "file:///etc/passwd", "http://[::1]/"],
)
def test_user_links_refuse_private_and_non_http(app: App, url: str) -> None:
    with session_scope(app.engine) as s, pytest.raises(UnsafeURLError):
        add_link(s, url, now=NOW, allow_private=False, resolve=public_resolver)


def test_add_merges_duplicates_by_canonical_url(app: App) -> None:
    with session_scope(app.engine) as s:
        a, created = add_link(s, LinkInput("https://WWW.Gosuslugi.ru/help/?utm_source=vk#top", "Помощь",
                                           category="Госуслуги", tags=("помощь",)), now=NOW, resolve=public_resolver)
        assert created
        b, created = add_link(s, LinkInput("https://www.gosuslugi.ru/help/", "Другое название", "Описание",
                                           tags=("помощь", "портал")), now=NOW, resolve=public_resolver)
        assert not created and a.id == b.id
        assert (b.title, b.description, b.tags) == ("Помощь", "Описание", ["помощь", "портал"])
        assert len(s.exec(select(Link)).all()) == 1


def test_cyrillic_domain_stored_as_punycode_and_shown_in_cyrillic(app: App) -> None:
    with session_scope(app.engine) as s:
        link, _ = add_link(s, "https://госуслуги.рф/", now=NOW, resolve=public_resolver)
        assert link.url == "https://xn--c1aapkosapc.xn--p1ai/"
    html = render_catalogue_html([link], generated_at=NOW)
    assert "https://госуслуги.рф/" in html
    assert 'href="https://xn--c1aapkosapc.xn--p1ai/"' in html
    assert json.loads(export_json([link]))[0]["display_url"] == "https://госуслуги.рф/"


CSV_TEXT = """url;название;категория;теги;описание
https://www.gosuslugi.ru/help;Помощь;Госуслуги;портал, помощь;Ответы на вопросы
https://www.gosuslugi.ru/help?utm_source=x;;;новое;
;Без адреса;Госуслуги;;
ftp://old.example/file;Файл;;;
https://sfr.gov.ru/;СФР;Пенсии и пособия;;
"""

BOOKMARKS = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3>Панель закладок</H3>
    <DL><p>
        <DT><H3>Здоровье</H3>
        <DL><p>
            <DT><A HREF="https://www.gosuslugi.ru/10066/1" ADD_DATE="1700000000" TAGS="врач,запись">Запись к врачу</A>
            <DT><A HREF="">Пустая</A>
        </DL><p>
        <DT><A HREF="https://мвд.рф/">МВД &amp; полиция</A>
        <DT><A HREF="javascript:void(0)">Скрипт</A>
    </DL><p>
</DL><p>
"""


def test_parse_import_formats() -> None:
    p = parse_import(CSV_TEXT, "links.csv")
    assert p.format == "csv"
    assert p.entries[0].url == "https://www.gosuslugi.ru/help"
    assert p.entries[0].tags == ("портал", "помощь") and p.entries[0].category == "Госуслуги"
    assert [(s.line, s.reason) for s in p.skipped] == [(4, "пустой адрес")]
    b = parse_import(BOOKMARKS, "bookmarks.html")
    assert b.format == "bookmarks"
    assert [(e.url, e.title, e.category) for e in b.entries] == [
        ("https://www.gosuslugi.ru/10066/1", "Запись к врачу", "Здоровье"),
        ("https://мвд.рф/", "МВД & полиция", ""),
        ("javascript:void(0)", "Скрипт", ""),
    ]
    assert b.entries[0].tags == ("врач", "запись")
    assert len(b.skipped) == 1 and "без адреса" in b.skipped[0].reason
    plain = parse_import("# мои ссылки\nhttps://nalog.gov.ru/ ФНС\n\nhttps://cbr.ru/\n", "list.txt")
    assert plain.format == "list" and [(e.url, e.title, e.line) for e in plain.entries] == [
        ("https://nalog.gov.ru/", "ФНС", 2), ("https://cbr.ru/", "", 4)]


def test_import_reports_every_skipped_line_and_merges(app: App) -> None:
    with session_scope(app.engine) as s:
        report = import_links(s, CSV_TEXT, filename="links.csv", now=NOW, resolve=None)
        assert report.added == ("https://www.gosuslugi.ru/help", "https://sfr.gov.ru/")
        assert report.merged == ("https://www.gosuslugi.ru/help",)
        assert [(sk.line, sk.value) for sk in report.skipped] == [(4, ";Без адреса;Госуслуги;;"),
                                                                   (5, "ftp://old.example/file")]
        assert "отклонён" in report.skipped[1].reason
        link = s.exec(select(Link).where(Link.url == "https://www.gosuslugi.ru/help")).one()
        assert link.tags == ["портал", "помощь", "новое"]
        # a rerun is idempotent: everything merges, nothing is added twice
        again = import_links(s, CSV_TEXT, filename="links.csv", now=NOW, resolve=None)
        assert again.added == () and len(s.exec(select(Link)).all()) == 2
        bm = import_links(s, BOOKMARKS, filename="b.html", now=NOW, resolve=None)
        assert len(bm.added) == 2 and len(bm.skipped) == 2


def test_export_round_trips_through_import(app: App) -> None:
    with session_scope(app.engine) as s:
        import_links(s, CSV_TEXT, filename="links.csv", now=NOW, resolve=None)
        text = export_csv(list_links(s))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["url"] for r in rows} == {"https://www.gosuslugi.ru/help", "https://sfr.gov.ru/"}
    other = App(config=app.config.model_copy(update={"database_url": app.config.database_url + "2"}), now=app.now)
    with session_scope(other.engine) as s:
        report = import_links(s, text, filename="export.csv", now=NOW, resolve=None)
        assert len(report.added) == 2 and not report.skipped
        link = s.exec(select(Link).where(Link.url == "https://sfr.gov.ru/")).one()
        assert (link.title, link.category) == ("СФР", "Пенсии и пособия")


def test_public_page_is_valid_grouped_russian_and_safe() -> None:
    links = [
        Link(id=1, url="https://www.gosuslugi.ru/", title="Портал госуслуг", category="Госуслуги"),
        Link(id=2, url="https://sfr.gov.ru/", title="Социальный фонд", category="Пенсии и пособия",
             description="<script>alert(1)</script> Пенсии & пособия", tags=["пенсия"], audience="пенсионерам"),
        Link(id=3, url="https://example.org/x", title="Прочее <b>жирное</b>", category="", status=st.BROKEN),
        Link(id=4, url="https://www.gosuslugi.ru/10066/1", title="Запись к врачу", category="Здоровье"),
    ]
    html = render_catalogue_html(links, title="Виртуальный кабинет", generated_at=NOW)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in html
    assert "<script" not in html.lower() and "onclick" not in html.lower()
    assert "&lt;script&gt;" in html
    # well-formed markup (HTML5 written XML-compatibly): every element closed and nested right
    root = etree.fromstring(html.replace("<!DOCTYPE html>", "", 1).encode(), etree.XMLParser(recover=False))
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "nav", "ul", "li", "a",
               "main", "section", "br", "span"}
    assert {el.tag for el in root.iter()} <= allowed
    assert root.find("head/title").text == "Виртуальный кабинет"
    doc = etree.HTML(html)
    sections = [h.text for h in doc.xpath("//main/section/h2")]
    assert sections == ["Госуслуги", "Здоровье", "Пенсии и пособия"]  # the broken link is not offered
    assert "example.org" not in html
    full = render_catalogue_html(links, generated_at=NOW, include_unavailable=True)
    assert "Разное" in full and "страница сейчас недоступна" in full and "&lt;b&gt;жирное" in full
    assert "Обновлено: 25 ноября 2026 г." in html
    assert "Для кого: пенсионерам" in html


@pytest.mark.parametrize(("status", "offered", "href"), [
    (st.OK, True, "https://a.ru/old"),
    (st.REDIRECTED, True, "https://a.ru/old"),  # a temporary redirect keeps the link's own address
    (st.MOVED, True, "https://a.ru/new"),  # where the permanent redirect ended
    (st.SERVER_ERROR, True, "https://a.ru/old"),
    (st.TLS_ERROR, True, "https://a.ru/old"),
    *[(hidden, False, None) for hidden in sorted(st.HIDDEN_FROM_PUBLIC)],
])
def test_public_page_follows_the_status_rules(status: str, offered: bool, href: str | None) -> None:
    link = Link(id=1, url="https://a.ru/old", title="Запись к врачу", category="Здоровье", status=status,
                final_url="https://a.ru/new", proposed_url="https://a.ru/new")
    html = render_catalogue_html([link], generated_at=NOW)
    doc = etree.HTML(html)
    hrefs = doc.xpath("//main//a/@href")
    assert hrefs == ([href] if offered else [])
    if offered and status in st.PUBLIC_NOTES:
        assert st.PUBLIC_NOTES[status] in html


def test_remove_and_apply_moves(app: App) -> None:
    with session_scope(app.engine) as s:
        old, _ = add_link(s, "https://a.ru/old", now=NOW, resolve=None)
        other, _ = add_link(s, "https://a.ru/other", now=NOW, resolve=None)
        taken, _ = add_link(s, "https://a.ru/taken", now=NOW, resolve=None)
        old.status, old.proposed_url = st.MOVED, "https://a.ru/new"
        other.status, other.proposed_url = st.MOVED, "https://a.ru/taken"
        s.add(LinkCheck(link_id=taken.id or 0, outcome="ok"))
        s.flush()
        moves = apply_moves(s, now=NOW)
        assert [(m.old_url, m.new_url, m.applied) for m in moves] == [
            ("https://a.ru/old", "https://a.ru/new", True), ("https://a.ru/other", "https://a.ru/taken", False)]
        assert old.url == "https://a.ru/new" and old.status == st.UNCHECKED and old.reviewed_at == NOW
        remove_link(s, "https://a.ru/taken")
        assert not s.exec(select(LinkCheck)).all()  # history goes with the link
        with pytest.raises(NotFoundError):
            remove_link(s, "https://a.ru/none")


def test_list_filters(make_app: Callable[..., App]) -> None:
    app = make_app()
    with session_scope(app.engine) as s:
        for i, cat in enumerate(["Налоги", "Налоги", "Здоровье"]):
            link, _ = add_link(s, LinkInput(f"https://x.ru/{i}", category=cat), now=NOW, resolve=None)
        link.status = st.BROKEN
        s.add(link)
        s.flush()
        assert len(list_links(s, category="Налоги")) == 2
        assert [lk.url for lk in list_links(s, status=st.BROKEN)] == ["https://x.ru/2"]
