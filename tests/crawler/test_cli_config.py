"""Settings validation (config errors name the key), the shipped config, and ``ecitizen crawl``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.config import load_config, parse_config
from ecitizen.crawler.settings import scrapy_settings, user_agent
from ecitizen.errors import ConfigError
from ecitizen.shell.cli import main
from ecitizen.source_settings import CRAWLER_KINDS, parse_source_settings
from tests.conftest import ROOT, base_config_data
from tests.crawler.conftest import HTML
from tests.support.httpserver import LocalServer, Reply


@pytest.mark.parametrize(("source", "key", "problem"), [
    ({"kind": "listing", "settings": {"title": "h3"}}, "sources[0].settings.item", "required key is missing"),
    ({"kind": "listing", "settings": {"item": "li", "title": "a", "colour": 1}}, "sources[0].settings.colour",
     "unknown key"),
    ({"kind": "listing", "settings": {"item": " ", "title": "a"}}, "sources[0].settings.item", "must not be empty"),
    ({"kind": "listing", "settings": {"item": "li", "title": "a", "pages": {"template": "?p=1"}}},
     "sources[0].settings.pages.template", "must contain {n}"),
    ({"kind": "json", "settings": {"items_path": "a"}}, "sources[0].settings.fields", "required key is missing"),
    ({"kind": "page", "settings": {"ignore_patterns": ["("]}}, "sources[0].settings.ignore_patterns",
     "bad regular expression"),
    ({"kind": "catalog", "settings": {"entry": "li", "title": "a", "max_pages": 0}}, "sources[0].settings.max_pages",
     "greater than or equal to 1"),
    ({"kind": "telegram", "settings": {"channel": "x"}}, "sources[0].settings.channel", "unknown key"),
])
def test_config_errors_name_the_settings_key(source: dict, key: str, problem: str) -> None:
    data = {"sources": [{"name": "s", "url": "https://example.org/", **source}]}
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert err.value.key == key
    assert problem in err.value.problem


def test_feed_sources_settings_are_not_checked_by_the_crawler() -> None:
    cfg = parse_config({"sources": [{"name": "f", "url": "https://e.org/rss", "settings": {"anything": 1}}]})
    assert cfg.sources[0].settings == {"anything": 1}


def test_shipped_config_has_every_crawler_kind_it_promises() -> None:
    cfg = load_config(ROOT / "config.yaml")
    kinds = {s.kind for s in cfg.sources}
    assert {"listing", "json", "telegram", "sitemap"} <= kinds
    names = {s.name: s for s in cfg.sources}
    assert names["sfr-news-list"].url == "https://sfr.gov.ru/press_center/news/"
    assert "52000000000" in names["gosuslugi-omsk-news-api"].url
    for s in cfg.sources:
        if s.kind in CRAWLER_KINDS:
            parse_source_settings(s.kind, s.settings)


def test_scrapy_settings_from_config(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["crawler"] = {**data.get("crawler", {}), "robots_obey": False, "download_delay": 2.5,
                       "concurrency_per_domain": 1, "max_response_bytes": 123456, "timeout": 7, "retry_times": 3}
    cfg = parse_config(data)
    s = scrapy_settings(cfg, [])
    assert (s["ROBOTSTXT_OBEY"], s["DOWNLOAD_DELAY"], s["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (False, 2.5, 1)
    assert (s["DOWNLOAD_MAXSIZE"], s["DOWNLOAD_TIMEOUT"], s["RETRY_TIMES"]) == (123456, 7, 3)
    assert s["AUTOTHROTTLE_ENABLED"] is True and s["TELNETCONSOLE_ENABLED"] is False
    assert "e-citizen@example.org" in user_agent(cfg)


def _write_config(tmp_path: Path, sources: list[dict[str, Any]]) -> Path:
    data = base_config_data(tmp_path)
    data["crawler"] = {**data["crawler"], "download_delay": 0, "autothrottle": False, "retry_times": 0}
    data["sources"] = sources
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_cli_crawl_json(tmp_path: Path, server: LocalServer, corpus: Path) -> None:
    server.route("/news/", Reply(200, (corpus / "gov-pages" / "mintrud.gov.ru-2026-08.html").read_bytes(), HTML))
    cfg = _write_config(tmp_path, [{"name": "mintrud-docs", "kind": "listing", "url": server.url("/news/"),
                                    "timezone": "Europe/Moscow",
                                    "settings": {"item": "div.post-list", "title": "p.post-name",
                                                 "link": "a.text-black", "date": "p.page-date"}}])
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(cfg), "init"]).exit_code == 0
    res = runner.invoke(main, ["--config", str(cfg), "crawl", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["ok"] is True and out["exit_code"] == 0
    assert out["sources"] == [{
        "name": "mintrud-docs", "kind": "listing", "outcome": "ok", "error": None, "pages": 1, "entries": 2,
        "added": 2, "updated": 0, "unchanged": 0, "rejected": 0, "warnings": [], "note": None}]
    assert Path(out["log"]).is_file()
    listed = json.loads(runner.invoke(main, ["--config", str(cfg), "items", "list", "--json"]).output)["items"]
    assert len(listed) == 2 and all(i["source"] == "mintrud-docs" for i in listed)
    # an unknown name is reported and exits 1
    bad = runner.invoke(main, ["--config", str(cfg), "crawl", "no-such-source", "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["sources"][0]["outcome"] == "not_found"


def test_cli_crawl_bad_config_exits_2(tmp_path: Path) -> None:
    cfg = _write_config(tmp_path, [{"name": "x", "kind": "catalog", "url": "https://e.org/", "settings": {}}])
    res = CliRunner().invoke(main, ["--config", str(cfg), "crawl"])
    assert res.exit_code == 2
    assert "sources[0].settings.entry: required key is missing" in res.output


@pytest.mark.parametrize(("base", "n", "expected"), [(2.0, 0, 0.0), (2.0, 1, 2.0), (2.0, 3, 8.0), (2.0, 10, 60.0),
                                                     (0.0, 2, 0.0)])
def test_retry_backoff_delays(base: float, n: int, expected: float) -> None:
    from ecitizen.crawler.middlewares import RetryBackoffMiddleware

    assert RetryBackoffMiddleware(base, 60.0).backoff(n) == expected


def test_old_crawl_logs_are_pruned(tmp_path: Path) -> None:
    from ecitizen.crawler.runner import KEEP_LOGS, _prune_logs

    for i in range(KEEP_LOGS + 5):
        (tmp_path / f"crawl-20261125T0600{i:04d}.log").write_text("x")
    (tmp_path / "other.log").write_text("kept")
    _prune_logs(tmp_path)
    left = sorted(p.name for p in tmp_path.glob("crawl-*.log"))
    assert len(left) == KEEP_LOGS and left[0] == "crawl-20261125T06000005.log"
    assert (tmp_path / "other.log").exists()
