"""The service's commands: users, jobs, and `ecitizen run` stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner
from sqlmodel import select

from ecitizen.db import dispose_engines, session_scope
from ecitizen.shell.cli import main
from tests.conftest import ROOT, base_config_data


def write_config(tmp_path: Path, **overrides: Any) -> Path:
    data = base_config_data(tmp_path)
    data.update(overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def invoke(*args: str, input: str | None = None) -> Any:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    dispose_engines()
    return result


def test_users_add_list_and_password_rules(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    r = invoke("users", "add", "anna", "--role", "manager", "--password-stdin", "--config", cfg,
               input="long-password-1\n")
    assert r.exit_code == 0 and "created user anna (manager)" in r.output
    r = invoke("users", "add", "anna", "--password-stdin", "--config", cfg, input="other-password-2\n")
    assert "updated user anna (librarian)" in r.output
    r = invoke("users", "add", "bob", "--password-stdin", "--config", cfg, input="short\n")
    assert r.exit_code == 1 and "at least 8" in r.output
    r = invoke("users", "list", "--json", "--config", cfg)
    rows = json.loads(r.stdout)
    assert [(u["name"], u["role"]) for u in rows] == [("anna", "librarian")]
    assert "long-password" not in (tmp_path / "test.db").read_bytes().decode("latin-1")


def test_users_add_prompts_twice(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    r = invoke("users", "add", "vera", "--config", cfg, input="long-password-1\nlong-password-1\n")
    assert r.exit_code == 0 and "created user vera" in r.output


def test_jobs_run_records_and_lists(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))
    r = invoke("jobs", "run", "publish", "--json", "--config", cfg)
    doc = json.loads(r.stdout)
    assert doc["outcome"] == "ok" and doc["counts"]["files"] >= 5
    assert (tmp_path / "out" / "public" / "feed.atom").is_file()
    r = invoke("jobs", "runs", "--json", "--config", cfg)
    [run] = json.loads(r.stdout)
    assert run["job"] == "publish" and run["outcome"] == "ok" and run["finished_at"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    off = {k: "off" for k in ("feeds_poll", "crawl", "links_check", "weekly_digest", "monthly_outputs")}
    cfg = write_config(tmp_path, web={"host": "127.0.0.1", "port": port}, schedule={**off, "publish": "* * * * *"})
    proc = subprocess.Popen([sys.executable, "-c", "from ecitizen.shell.cli import run; run()", "--config", str(cfg), "run"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise AssertionError("the web interface did not come up")
        assert r.status_code == 200 and "Вход для сотрудников" in r.text
        assert requests.get(f"http://127.0.0.1:{port}/feed.json", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped" in out
    # the persistent job store holds the schedule for the next start
    from ecitizen.app import App
    from ecitizen.shell.scheduler import next_runs_from_store

    app = App(str(cfg))
    assert set(next_runs_from_store(app)) == {"publish"}
    from ecitizen.storage import JobRun

    with session_scope(app.engine) as s:
        assert all(r.outcome != "running" for r in s.exec(select(JobRun)).all())
    dispose_engines()


def _commands(group: Any, prefix: str = "") -> list[str]:
    import click

    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix}{name} ")
        else:
            out.append(f"{prefix}{name}")
    return out


def test_every_service_command_is_documented_in_the_readme() -> None:
    from ecitizen.shell.cli import main

    commands = [main.commands[n] for n in ("run", "demo", "users", "jobs")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names: list[str] = []
    for cmd in commands:
        names += _commands(cmd, f"{cmd.name} ") if hasattr(cmd, "commands") else [cmd.name]
    assert names and all(f"ecitizen {n}" in readme or f"{n.split()[0]} {n.split()[-1]}" in readme
                         for n in names), [n for n in names if f"ecitizen {n}" not in readme]


def test_demo_refuses_a_busy_port_before_doing_any_work(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = invoke("demo", "--port", str(port), "--dir", str(tmp_path / "demo"))
    assert r.exit_code == 1 and f"port {port}" in r.output and "--port" in r.output
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("attempt", range(3))
def test_two_services_started_together_on_a_fresh_database(tmp_path: Path, attempt: int) -> None:
    """Both migrate and start their scheduler; neither fails on "table already exists"."""
    off = {k: "off" for k in ("feeds_poll", "crawl", "links_check", "weekly_digest", "monthly_outputs")}
    cfg = write_config(tmp_path, schedule={**off, "publish": "0 3 * * *"})
    cmd = [sys.executable, "-c", "from ecitizen.shell.cli import run; run()", "--config", str(cfg), "run", "--no-web"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    try:
        started = time.monotonic()
        deadline = started + 120
        from ecitizen.db import dispose_engines as _dispose

        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            db = tmp_path / "test.db"
            if db.exists():
                import sqlite3

                with sqlite3.connect(db, timeout=5) as conn:
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                    if "apscheduler_jobs" in tables and conn.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0]:
                        # let the second one finish starting too: as long again as the first
                        # took (a few seconds on a quick machine, 15 s on a slow one), at least 1 s
                        time.sleep(max(1.0, time.monotonic() - started))
                        break
            time.sleep(0.2)
        _dispose()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        outs = [p.communicate(timeout=30)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, out in zip(procs, outs, strict=True):
        assert "Traceback" not in out and "already exists" not in out, out
        assert p.returncode == 0, out


@pytest.mark.parametrize("args", [["jobs", "runs", "--limit", "-5"], ["jobs", "runs", "--limit", "0"],
                                  ["demo", "--port", "0"], ["run", "--port", "70000"]])
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    cfg = str(write_config(tmp_path))
    r = invoke(*args, "--config", cfg)
    assert r.exit_code == 2, r.output


def test_demo_json_in_serve_mode_prints_one_json_document(tmp_path: Path) -> None:
    """With --json, stdout holds exactly one JSON document even while the web interface runs."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from ecitizen.shell.cli import run; run()", "demo", "--json",
                             "--port", str(port), "--dir", str(tmp_path / "demo")], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    doc = json.loads(out)
    assert doc["password"] and "stopped" in err
