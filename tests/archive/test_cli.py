"""``ecitizen links ...`` end to end with click's runner, and a kill -9 in the middle of a check."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.archive import status as st
from ecitizen.archive.checker import check_links
from ecitizen.shell.cli import main
from tests.archive.conftest import FAST_LINKS
from tests.conftest import ROOT, base_config_data
from tests.support.httpserver import LocalServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = b"<html><head><title>Portal</title></head><body><h1>Service</h1><p>Text of the service page.</p></body></html>"


def write_config(tmp_path: Path, **links: object) -> str:
    data = base_config_data(tmp_path)
    data["links"] = {**data["links"], **FAST_LINKS, **links}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def run(cfg: str, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", cfg, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_round_trip(tmp_path: Path, server: LocalServer) -> None:
    cfg = write_config(tmp_path)
    server.route("/ok", Reply(200, PAGE, HTML))
    server.route("/old", Reply(308, b"", {"Location": "/ok"}))
    code, out = run(cfg, "links", "add", server.url("/old"), "--title", "Старая", "--category", "Госуслуги",
                    "--tag", "портал", "--json")
    assert code == 0 and json.loads(out)["created"] is True
    listing = tmp_path / "list.txt"
    listing.write_text(f"{server.url('/ok')} Рабочая\nnot a url\n", encoding="utf-8")
    code, out = run(cfg, "links", "import", str(listing), "--json")
    data = json.loads(out)
    assert data["added"] == [server.url("/ok")] and data["skipped"][0]["line"] == 2
    code, out = run(cfg, "links", "check", "--all", "--json")
    report = json.loads(out)
    assert report["checked"] == 2 and report["counts_by_status"] == {st.MOVED: 1, st.OK: 1}
    code, out = run(cfg, "links", "list", "--status", "moved", "--json")
    assert [r["proposed_url"] for r in json.loads(out)] == [server.url("/ok")]
    code, out = run(cfg, "links", "report", "--json")
    assert json.loads(out)["needs_attention"][0]["status"] == st.MOVED
    code, out = run(cfg, "links", "report")
    assert "Требуют внимания" in out and "переехала" in out
    # apply-moves shows the proposal and asks; "n" changes nothing
    code, out = run(cfg, "links", "apply-moves", input="n\n")
    assert server.url("/old") in out and server.url("/ok") in out
    code, out = run(cfg, "links", "list", "--status", "moved", "--json")
    assert len(json.loads(out)) == 1
    # the new URL is already in the catalogue: the move is reported, not applied
    code, out = run(cfg, "links", "apply-moves", "--yes")
    assert "уже есть в каталоге" in out
    code, out = run(cfg, "links", "remove", server.url("/ok"))
    code, out = run(cfg, "links", "apply-moves", "--yes")
    assert "applied 1 move(s)" in out
    code, out = run(cfg, "links", "export", "--format", "html")
    assert "<!DOCTYPE html>" in out and "Старая" in out and "Госуслуги" in out
    code, out = run(cfg, "links", "export", "--format", "json")
    assert json.loads(out)[0]["url"] == server.url("/ok")
    out_file = tmp_path / "catalogue.csv"
    code, _ = run(cfg, "links", "export", "--format", "csv", "-o", str(out_file))
    assert out_file.read_text(encoding="utf-8").startswith("url,display_url,title")
    code, out = run(cfg, "links", "snapshot", server.url("/ok"), "--json")
    assert json.loads(out)["saved"][0]["http_status"] == 200
    code, out = run(cfg, "links", "review", server.url("/ok"))
    assert code == 0


def test_cli_add_refuses_private_targets(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["http"]["allow_private_targets"] = False
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _ = run(str(cfg), "links", "add", "http://192.168.0.1/admin")
    assert code == 2
    code, _ = run(str(cfg), "links", "add", "file:///etc/passwd")
    assert code == 2


@pytest.mark.slow
def test_kill_during_check_then_rerun_leaves_database_consistent(
        tmp_path: Path, servers: Callable[[str], LocalServer], make_app: Callable[..., App]) -> None:
    hosts = [servers("127.0.0.51"), servers("127.0.0.52")]
    for h in hosts:
        h.default = Reply(200, PAGE, HTML, delay=0.05)
    cfg = write_config(tmp_path, per_host_concurrency=4, global_concurrency=8)
    urls = [hosts[i % 2].url(f"/p/{i}") for i in range(400)]
    (tmp_path / "urls.txt").write_text("\n".join(urls), encoding="utf-8")
    assert run(cfg, "links", "import", str(tmp_path / "urls.txt"))[0] == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", "from ecitizen.shell.cli import run; run()", "links", "check",
                             "--config", cfg], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "test.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some results are committed, then kill
        with sqlite3.connect(db, timeout=30) as conn:
            done = conn.execute("select count(*) from link_check").fetchone()[0]
        if done >= 100:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    def consistency() -> tuple[int, int]:
        with sqlite3.connect(db, timeout=30) as conn:
            assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
            assert conn.execute("pragma foreign_key_check").fetchall() == []
            orphans = conn.execute(
                "select count(*) from link_check c left join link l on l.id = c.link_id where l.id is null").fetchone()
            assert orphans[0] == 0
            # a link has a check row exactly when its state says it was checked: never half written
            mismatched = conn.execute(
                "select count(*) from link l where (l.last_checked_at is null) != "
                "((select count(*) from link_check c where c.link_id = l.id) = 0)").fetchone()[0]
            assert mismatched == 0
            statuses = {r[0] for r in conn.execute("select distinct status from link")}
            assert statuses <= set(st.STATUSES)
            checked = conn.execute("select count(*) from link where last_checked_at is not null").fetchone()[0]
            checks = conn.execute("select count(*) from link_check").fetchone()[0]
            return checked, checks

    checked, checks = consistency()
    assert 100 <= checked < 400 and checks == checked
    # the rerun checks exactly the links the killed run did not finish
    app = App(cfg)
    report = check_links(app)
    assert len(report.results) == 400 - checked
    checked, checks = consistency()
    assert checked == checks == 400


def test_every_links_command_is_documented_in_the_readme() -> None:
    from ecitizen.shell.cli.archive import links_group

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- commands:archive -->", 1)[1].split("<!-- commands:", 1)[0]
    for name in links_group.commands:
        assert f"ecitizen links {name}" in section, name
