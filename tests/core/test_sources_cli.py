"""``ecitizen sources add`` and ``sources import-opml`` go through the same add operation as the web."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.db import dispose_engines
from ecitizen.shell.cli import main
from tests.conftest import base_config_data
from tests.feeds.helpers import news, rss
from tests.support.httpserver import LocalServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(autouse=True)
def _dispose() -> Iterator[None]:
    yield
    dispose_engines()


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(base_config_data(tmp_path), allow_unicode=True), encoding="utf-8")
    return str(p)


@pytest.fixture
def site(server: LocalServer) -> LocalServer:
    server.route("/news/", Reply(200, b'<html><head><link rel="alternate" type="application/atom+xml" '
                                      b'href="rss.xml"></head><body></body></html>', HTML))
    server.route("/news/rss.xml", Reply(200, rss(news(1)), {"Content-Type": "application/rss+xml"}))
    server.route("/about/", Reply(200, b"<html><body><h1>About</h1></body></html>", HTML))
    return server


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def listed(cfg: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in json.loads(run("sources", "list", "--json", "--config", cfg).stdout)}


def test_sources_add_finds_the_feed_and_refuses_a_duplicate(cfg: str, site: LocalServer) -> None:
    r = run("sources", "add", "omsk", site.url("/news/"), "--json", "--config", cfg)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["feed_url"] == site.url("/news/rss.xml")
    r = run("sources", "add", "omsk-rss", site.url("/news/rss.xml"), "--config", cfg)
    assert r.exit_code == 2 and "already watched: source 'omsk'" in r.output
    assert set(listed(cfg)) == {"omsk"}


def test_sources_add_refuses_a_page_without_a_feed(cfg: str, site: LocalServer) -> None:
    r = run("sources", "add", "about", site.url("/about/"), "--config", cfg)
    assert r.exit_code == 2 and "announces no feed" in r.output and "'page'" in r.output
    r = run("sources", "add", "about", site.url("/about/"), "--kind", "page", "--config", cfg)
    assert r.exit_code == 0, r.output
    assert listed(cfg)["about"]["kind"] == "page"


def test_sources_add_validates_crawler_settings(cfg: str, site: LocalServer) -> None:
    r = run("sources", "add", "list", site.url("/about/"), "--kind", "listing", "--config", cfg)
    assert r.exit_code == 2 and "settings.item: required key is missing" in r.output
    r = run("sources", "add", "list", site.url("/about/"), "--kind", "listing",
            "--settings", '{"item": "article", "title": "h3"}', "--config", cfg)
    assert r.exit_code == 0, r.output
    assert set(listed(cfg)) == {"list"}


OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>feeds</title></head><body>
  <outline type="rss" text="Омск новости" xmlUrl="{feed}"/>
  <outline type="rss" text="Другая" xmlUrl="{other}"/>
</body></opml>"""


def test_opml_import_skips_a_feed_already_watched_naming_the_source(
    cfg: str, site: LocalServer, tmp_path: Path
) -> None:
    assert run("sources", "add", "omsk", site.url("/news/"), "--config", cfg).exit_code == 0
    opml = tmp_path / "feeds.opml"
    opml.write_text(OPML.format(feed=site.url("/news/rss.xml"), other=site.url("/other.xml")), encoding="utf-8")
    r = run("sources", "import-opml", str(opml), "--json", "--config", cfg)
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["Омск новости"]["status"] == "skipped"
    assert "already watched: source 'omsk'" in rows["Омск новости"]["reason"]
    assert rows["Другая"]["status"] == "added"
    assert set(listed(cfg)) == {"omsk", "Другая"}
