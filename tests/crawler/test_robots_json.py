"""robots.txt when several sources share a host (issue 10.10) and JSON link templates (10.11)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ecitizen.crawler import extract as ex
from ecitizen.crawler.jobs import SettingsError
from ecitizen.errors import ConfigError
from ecitizen.pipeline import EntryData
from ecitizen.shell.cli import main
from ecitizen.source_settings import parse_source_settings
from tests.conftest import base_config_data
from tests.crawler.conftest import HTML, by_name, items_of, run_crawl, source_row
from tests.support.httpserver import LocalServer, Reply

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

#: answered slowly, so every start request reaches the robots.txt check while it is still downloading
ROBOTS = Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}, delay=0.5)
LIST = {"item": "li.news", "title": "a", "link": "a::attr(href)"}
NEWS = b"<html><body><ul><li class='news'><a href='/n/1'>\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd1\x8c</a></li></ul></body></html>"

#: one allowed source of each kind, served by the same host as the disallowed listing
OTHERS: dict[str, tuple[str, dict[str, Any], Reply]] = {
    "listing": ("/news/", LIST, Reply(200, NEWS, HTML)),
    "sitemap": ("/sitemap.xml", {"prefixes": ["/"]}, Reply(200, (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>{base}/n/1</loc></url></urlset>"), {"Content-Type": "application/xml"})),
    "page": ("/about/", {"region": "body"}, Reply(200, b"<html><body><p>text</p></body></html>", HTML)),
    "catalog": ("/services/", {"entry": "li.news", "title": "a"}, Reply(200, NEWS, HTML)),
    "json": ("/api/news", {"fields": {"title": "title", "link": "url"}},
             Reply(200, json.dumps([{"title": "Новость", "url": "/n/1"}]).encode(),
                   {"Content-Type": "application/json"})),
}


@pytest.mark.parametrize("other_kind", sorted(OTHERS))
def test_robots_disallowed_listing_is_never_fetched_beside_other_sources_on_its_host(
        crawl_app: Any, server: LocalServer, other_kind: str) -> None:
    path, settings, reply = OTHERS[other_kind]
    if other_kind == "sitemap":
        reply = Reply(reply.status, bytes(reply.body).replace(b"{base}", server.base.encode()), reply.headers)
    server.route("/robots.txt", ROBOTS)
    server.route("/private/news", Reply(200, NEWS, HTML))
    server.route(path, reply)
    app = crawl_app([
        # four start requests to one host: whatever their order, at least one disallowed source is
        # neither the one that starts the robots.txt download nor the first to wait for it
        {"name": "a-private", "kind": "listing", "url": server.url("/private/news"), "settings": LIST},
        {"name": f"b-{other_kind}", "kind": other_kind, "url": server.url(path), "settings": settings},
        {"name": "m-private", "kind": "listing", "url": server.url("/private/news?m=1"), "settings": LIST},
        {"name": "z-private", "kind": "listing", "url": server.url("/private/news?z=1"), "settings": LIST},
    ])
    rep = run_crawl(app, "a-private", f"b-{other_kind}", "m-private", "z-private")
    assert server.requests_to("/private/news") == [], rep.as_json()
    for name in ("a-private", "m-private", "z-private"):
        assert by_name(rep, name).outcome == "robots_disallowed", rep.as_json()
        assert "robots.txt" in (source_row(app, name).last_error or "")
    assert by_name(rep, f"b-{other_kind}").outcome == "ok", rep.as_json()
    assert len(server.requests_to("/robots.txt")) == 1


# -- 11: JSON link templates ---------------------------------------------------------------------

API_FIELDS = {"title": "title", "date": "pubDate", "id": "code"}


def api_reply(records: list[dict[str, Any]]) -> Reply:
    return Reply(200, json.dumps({"items": records}, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def news(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"code": f"news-{i}", "title": f"Новость {i}: приём документов онлайн", "pubDate": "2026-11-20T10:00:00+03:00",
             "section": "social", **extra} for i in range(n)]


def test_link_template_placeholder_names_a_mapped_field(crawl_app: Any, server: LocalServer) -> None:
    """``{id}`` with ``fields: {id: code}`` is the record's code: six records, six links, six items."""
    server.route("/api/news", api_reply(news(6)))
    app = crawl_app([{"name": "api", "kind": "json", "url": server.url("/api/news"),
                      "settings": {"items_path": "items", "fields": API_FIELDS,
                                   "link_template": "https://www.gosuslugi.ru/news/{id}"}}])
    rep = by_name(run_crawl(app), "api")
    assert (rep.outcome, rep.entries, rep.added, rep.rejected, rep.warnings) == ("ok", 6, 6, 0, ()), rep
    assert sorted(i.url for i in items_of(app, "api")) == [f"https://www.gosuslugi.ru/news/news-{i}" for i in range(6)]
    assert source_row(app, "api").last_error is None


def write_config(tmp_path: Path, sources: list[dict[str, Any]]) -> Path:
    import yaml

    data = base_config_data(tmp_path)
    data["crawler"] = {**data["crawler"], "download_delay": 0, "autothrottle": False, "retry_times": 0}
    data["sources"] = sources
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_records_sharing_a_link_are_a_warning_in_the_report_and_the_health(
        tmp_path: Path, server: LocalServer) -> None:
    """A template that gives several records one link (``{section}``): the merge is reported, through
    ``ecitizen crawl --json`` and the source's last_error; a record without the key is rejected."""
    records = [*news(5), {"code": "news-x", "title": "Без раздела"}]
    server.route("/api/news", api_reply(records))
    cfg = write_config(tmp_path, [{"name": "api", "kind": "json", "url": server.url("/api/news"),
                                   "settings": {"items_path": "items", "fields": API_FIELDS,
                                                "link_template": "https://www.gosuslugi.ru/{section}/"}}])
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(cfg), "init"]).exit_code == 0
    res = runner.invoke(main, ["--config", str(cfg), "crawl", "--json"])
    assert res.exit_code == 0, res.output
    src = json.loads(res.output)["sources"][0]
    assert (src["outcome"], src["entries"], src["added"]) == ("ok", 5, 1), src
    shared = "5 записей с одинаковой ссылкой https://www.gosuslugi.ru/social/"
    assert any(w.startswith(shared) for w in src["warnings"]), src["warnings"]
    assert any("«Без раздела»: в записи нет значения для {section}" in w for w in src["warnings"]), src["warnings"]
    assert src["rejected"] == 5  # 1 without the key + 4 merged into the first
    listed = json.loads(runner.invoke(main, ["--config", str(cfg), "sources", "list", "--json"]).output)
    health = next(s for s in listed if s["name"] == "api")
    assert health["last_outcome"] == "ok" and health["last_error"].startswith(shared)


def test_a_placeholder_no_record_has_is_a_settings_error(crawl_app: Any, server: LocalServer) -> None:
    """Stored through the web (no config validation) with a key that no record has: not one shared link
    for all of them, but a settings error naming the placeholder."""
    from ecitizen.db import session_scope
    from ecitizen.storage import Source

    server.route("/api/news", api_reply(news(6)))
    app = crawl_app([])
    with session_scope(app.engine) as s:
        s.add(Source(name="web-api", kind="json", url=server.url("/api/news"), settings={
            "items_path": "items", "fields": API_FIELDS, "link_template": "https://www.gosuslugi.ru/news/{slug}"}))
    rep = by_name(run_crawl(app, "web-api"), "web-api")
    assert rep.outcome == "settings_error" and "{slug}" in rep.error, rep
    assert "{slug}" in source_row(app, "web-api").last_error
    assert items_of(app, "web-api") == []


@pytest.mark.parametrize(("settings", "key", "problem"), [
    ({"link_template": "https://x.ru/news/"}, "settings.link_template", "has no {placeholder}"),
    ({"link_template": "https://x.ru/news/{code"}, "settings.link_template", "bad placeholder"),
    ({"link_template": "https://x.ru/news/{code:>5}"}, "settings.link_template", "bad placeholder"),
    ({"link_template": "https://x.ru/news/{}"}, "settings.link_template", "bad placeholder"),
    ({"fields": {"title": "t"}, "link_template": "https://x.ru/news/{id}"}, "settings.link_template",
     "placeholder {id} names the field 'id', which fields does not map"),
    ({"fields": {"title": "t"}, "link_template": "https://x.ru/{date}/{code}"}, "settings.link_template",
     "placeholder {date}"),
])
def test_link_template_settings_errors_name_the_placeholder(settings: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_source_settings("json", {"fields": {"title": "t", "id": "code"}, **settings})
    assert err.value.key == key and problem in str(err.value), str(err.value)


@pytest.mark.parametrize("template", [
    "https://x.ru/news/{id}", "https://x.ru/news/{code}", "https://x.ru/{title}/{id}", "/doc/{a.b}/{0}",
])
def test_link_template_accepted(template: str) -> None:
    assert parse_source_settings("json", {"fields": {"title": "t", "id": "code"},
                                          "link_template": template}).link_template == template


def test_extract_json_fills_mapped_fields_and_rejects_records_without_a_value() -> None:
    s = parse_source_settings("json", {"items_path": "items", "fields": {"title": "head.text", "id": "code"},
                                       "link_template": "/news/{id}/{title}?s={section}"})
    doc = {"items": [{"code": 7, "head": {"text": "Первая"}, "section": "a"},
                     {"code": 8, "head": {"text": "Вторая"}},
                     {"head": {"text": "Третья"}, "section": "a"}]}
    page = ex.extract_json(doc, "https://x.ru/api", s, tz=MSK, now=NOW)
    assert [(e.url, e.guid) for e in page.entries] == [("https://x.ru/news/7/Первая?s=a", "x.ru:7")]
    assert page.records == 3 and page.missing == ("section", "id")
    assert page.rejected == ("«Вторая»: в записи нет значения для {section} в link_template",
                             "«Третья»: в записи нет значения для {id} в link_template")
    ex.require_json_links(page)  # one record had every value: not a settings error
    none = ex.extract_json({"items": doc["items"][1:]}, "https://x.ru/api", s, tz=MSK, now=NOW)
    with pytest.raises(SettingsError, match=r"settings\.link_template.*\{section\}, \{id\}"):
        ex.require_json_links(none)


def entry(url: str, title: str = "t", guid: str | None = None) -> EntryData:
    return EntryData(url=url, title=title, guid=guid)


@pytest.mark.parametrize(("entries", "expected"), [
    ([entry("/a", "1"), entry("/b", "2")], None),
    # a copy of one entry (a news item seen on two list pages) is not a merge
    ([entry("/a", "1"), entry("/a", "1"), entry("https://x.ru/a", "1")], None),
    # entries without an own link (the source's address) are kept by content, not by link
    ([entry("", "1"), entry("", "2"), entry("https://x.ru/list", "3"), entry("https://x.ru/list#x", "4")], None),
    ([entry("/a", "1"), entry("/a", "2")], "2 записи с одинаковой ссылкой https://x.ru/a: сохранена только первая"),
    ([entry("/a?utm_source=tg", "1", "g1"), entry("/a", "1", "g2"), entry("/b", "3")],
     "2 записи с одинаковой ссылкой https://x.ru/a:"),
    ([entry(f"/{k}", str(i)) for i, k in enumerate("aaaaabb")],
     "7 записей с одинаковыми ссылками (2 ссылки, например https://x.ru/a)"),
    ([entry(f"/{k}", str(i)) for i, k in enumerate("aabbccddeeff")],
     "12 записей с одинаковыми ссылками (6 ссылок, например"),
    ([entry("/кат", str(i)) for i in range(21)], "21 запись с одинаковой ссылкой https://x.ru/кат:"),
])
def test_shared_link_warning(entries: list[EntryData], expected: str | None) -> None:
    got = ex.shared_link_warning(entries, base_url="https://x.ru/list")
    assert got == expected if expected is None else (got or "").startswith(expected), got
