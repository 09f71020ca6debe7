from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from ecitizen.shell.cli import main
from tests.conftest import base_config_data


def write_config(tmp_path: Path, **changes) -> Path:
    data = base_config_data(tmp_path)
    data.update(changes)
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_init_seeds_and_is_idempotent(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, sources=[{"name": "x", "url": "https://e.org/rss"}])
    r = run("init", "--config", str(cfg), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["sources_added"] == ["x"]
    r = run("--config", str(cfg), "init", "--json")
    assert json.loads(r.output)["sources_added"] == []
    r = run("sources", "list", "--json", "--config", str(cfg))
    rows = json.loads(r.output)
    assert rows[0]["name"] == "x"
    for key in ("name", "kind", "url", "last_status", "last_error", "consecutive_failures", "next_due"):
        assert key in rows[0]


def test_bad_config_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, sources=[{"name": "x", "url": "gopher://e.org"}])
    r = CliRunner().invoke(main, ["init", "--config", str(cfg)])
    assert r.exit_code == 2
    assert "sources[0].url: not an http(s) URL" in r.output
    assert not (tmp_path / "test.db").exists()


def test_sources_add_refuses_private_targets(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["http"]["allow_private_targets"] = False
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["sources", "add", "evil", "http://127.0.0.1/feed", "--config", str(p)])
    assert r.exit_code == 2 and "private" in r.output
    r = CliRunner().invoke(main, ["sources", "add", "ok", "https://93.184.216.34/feed", "--topic", "pensions", "--config", str(p)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["sources", "add", "ok2", "https://93.184.216.34/f", "--topic", "nope", "--config", str(p)])
    assert r.exit_code == 2


def test_items_list_filters_and_review(tmp_path: Path) -> None:
    from ecitizen.app import App
    from ecitizen.db import dispose_engines, session_scope
    from ecitizen.pipeline import EntryData, prepare_entries
    from ecitizen.storage import Source
    from ecitizen.store import store_items

    cfg = write_config(tmp_path)
    app = App(str(cfg))
    with session_scope(app.engine) as s:
        src = Source(name="sfr", url="https://sfr.gov.ru/rss/")
        s.add(src)
        s.flush()
        prepared = prepare_entries(
            [
                EntryData(url="https://sfr.gov.ru/1", title="Теперь можно оформить пенсию онлайн"),
                EntryData(url="https://sfr.gov.ru/2", title="Новые маршруты автобусов"),
            ],
            app.rules,
        )
        store_items(s, src, prepared.items, now=app.now())
    dispose_engines()
    rows = json.loads(run("items", "list", "--json", "--config", str(cfg)).output)["items"]
    assert len(rows) == 2
    for key in ("id", "source", "url", "title", "summary_text", "published_at", "topics", "is_new_service",
                "cluster_id", "status"):
        assert key in rows[0]
    svc = json.loads(run("items", "list", "--new-services", "--json", "--config", str(cfg)).output)["items"]
    assert [r["url"] for r in svc] == ["https://sfr.gov.ru/1"]
    tr = json.loads(run("items", "list", "--topic", "transport", "--json", "--config", str(cfg)).output)["items"]
    assert [r["url"] for r in tr] == ["https://sfr.gov.ru/2"]
    r = run("items", "approve", str(svc[0]["id"]), "--config", str(cfg))
    assert r.exit_code == 0
    appr = json.loads(run("items", "list", "--status", "approved", "--json", "--config", str(cfg)).output)["items"]
    assert [a["id"] for a in appr] == [svc[0]["id"]] and appr[0]["reviewed_by"] == "cli"
    r = CliRunner().invoke(main, ["items", "reject", "999", "--config", str(cfg)])
    assert r.exit_code == 1 and "#999" in r.output
    r = CliRunner().invoke(main, ["items", "list", "--since", "garbage", "--config", str(cfg)])
    assert r.exit_code == 2


def test_bad_cron_stops_init_and_writes_nothing(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, sources=[{"name": "x", "url": "https://e.org/feed"}])
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["schedule"] = {"feeds_poll": "99 * * * *"}
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["init", "--config", str(cfg)])
    assert r.exit_code == 2
    assert "schedule.feeds_poll: not a cron expression" in r.output
    assert not (tmp_path / "test.db").exists()
