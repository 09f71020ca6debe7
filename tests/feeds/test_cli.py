"""The feed CLI: ``feeds poll --json`` and the OPML round-trip."""

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

RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture(autouse=True)
def _dispose() -> Iterator[None]:
    yield
    dispose_engines()


def write_config(tmp_path: Path, name: str = "config.yaml", **http: Any) -> Path:
    data = base_config_data(tmp_path)
    data["http"].update(http)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_poll_json_reports_each_source_and_exits_0_when_some_fail(tmp_path: Path, server: LocalServer) -> None:
    cfg = str(write_config(tmp_path, total_deadline=2))
    server.route("/ok", Reply(200, rss(news(2)), RSS))
    server.route("/old", Reply(301, b"", {"Location": "/ok2"}))
    server.route("/ok2", Reply(200, rss(news(1, prefix="Другая")), RSS))
    server.route("/bad", Reply(500, b"boom"))
    for name, path in (("good", "/ok"), ("moved", "/old"), ("broken", "/bad")):
        assert run("sources", "add", name, server.url(path), "--config", cfg).exit_code == 0
    r = run("feeds", "poll", "--json", "--config", cfg)
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"good", "moved", "broken"}
    assert (rows["good"]["outcome"], rows["good"]["new_items"], rows["good"]["status"]) == ("ok", 2, 200)
    assert rows["moved"]["moved_to"] == server.url("/ok2")
    assert (rows["broken"]["outcome"], rows["broken"]["status"]) == ("http_error", 500)
    assert "HTTP 500" in rows["broken"]["error"] and rows["broken"]["next_due"]
    for key in ("name", "outcome", "status", "new_items", "updated_items", "error", "next_due", "moved_to"):
        assert all(key in row for row in rows.values())
    # --source polls only that one, due or not; the human output names outcomes
    r = run("feeds", "poll", "--source", "good", "--config", cfg)
    assert r.exit_code == 0 and "good" in r.stdout and "broken" not in r.stdout
    listed = json.loads(run("sources", "list", "--json", "--config", cfg).stdout)
    assert {s["name"]: s["url"] for s in listed}["moved"] == server.url("/ok2")
    assert run("feeds", "poll", "--source", "nope", "--config", cfg).exit_code == 1


OPML = b"""<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>feeds</title></head><body>
  <outline text="pensions">
    <outline type="rss" text="\xd0\xa1\xd0\xa4\xd0\xa0" xmlUrl="https://sfr.gov.ru/rss/" category="gosuslugi"/>
  </outline>
  <outline type="rss" text="Government" title="Government news" xmlUrl="http://government.ru/news/rss/"/>
  <outline type="rss" text="local" xmlUrl="http://192.168.1.10/rss"/>
  <outline type="rss" text="bad scheme" xmlUrl="ftp://example.org/rss"/>
  <outline type="rss" xmlUrl="https://xn--b1aew.xn--p1ai/news/rss"/>
</body></opml>"""


def test_opml_import_skips_unsafe_then_export_round_trips(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["http"]["allow_private_targets"] = False
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    src = tmp_path / "in.opml"
    src.write_bytes(OPML)
    r = run("sources", "import-opml", str(src), "--json", "--config", str(cfg))
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    status = {row["name"]: (row["status"], row["reason"]) for row in rows}
    assert status["СФР"] == ("added", None)
    assert status["Government news"] == ("added", None)
    assert status["мвд.рф"] == ("added", None)
    assert status["local"][0] == "skipped" and "private" in status["local"][1]
    assert status["bad scheme"][0] == "skipped" and "http" in status["bad scheme"][1]
    # importing again skips everything as existing
    again = json.loads(run("sources", "import-opml", str(src), "--json", "--config", str(cfg)).stdout)
    assert {row["status"] for row in again} == {"skipped"}
    out = tmp_path / "out.opml"
    assert run("sources", "export-opml", str(out), "--config", str(cfg)).exit_code == 0
    # round trip into a fresh database gives the same sources
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    data2 = base_config_data(fresh)
    cfg2 = fresh / "c.yaml"
    cfg2.write_text(yaml.safe_dump(data2, allow_unicode=True), encoding="utf-8")
    assert run("sources", "import-opml", str(out), "--config", str(cfg2)).exit_code == 0
    a = {(s["name"], s["url"], tuple(s["topics"]), s["origin"]) for s in
         json.loads(run("sources", "list", "--json", "--config", str(cfg)).stdout)}
    b = {(s["name"], s["url"], tuple(s["topics"]), s["origin"]) for s in
         json.loads(run("sources", "list", "--json", "--config", str(cfg2)).stdout)}
    assert a == b and len(a) == 3
    assert ("СФР", "https://sfr.gov.ru/rss/", ("gosuslugi",), "opml") in a
    stdout = run("sources", "export-opml", "--config", str(cfg2)).stdout
    assert "xmlUrl=\"https://sfr.gov.ru/rss/\"" in stdout and "СФР" in stdout


@pytest.mark.parametrize("doc, message", [
    (b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x "y">]><opml><body/></opml>', "refused"),
    (b"<opml><body><outline", "not a valid OPML"),
    (b"<html/>", "not an OPML"),
])
def test_bad_opml_is_a_clear_error(tmp_path: Path, doc: bytes, message: str) -> None:
    cfg = write_config(tmp_path)
    f = tmp_path / "x.opml"
    f.write_bytes(doc)
    r = CliRunner().invoke(main, ["sources", "import-opml", str(f), "--config", str(cfg)])
    assert r.exit_code == 1 and message in r.output
