"""A region on one machine: ``ecitizen run --role …`` processes on one PostgreSQL database.

``Cluster(tmp, database_url, links={...})`` writes a config (every schedule off: rounds are started
with ``ecitizen jobs run JOB --enqueue``, the scheduler's own body) and starts, stops and kills
role processes; ``cli(...)`` runs one command. Used by ``tests/distributed`` and
``benchmarks/distributed.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.support.config import base_config_data

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "from ecitizen.shell.cli import run; run()"


class Cluster:
    def __init__(self, tmp: Path, database_url: str, **sections: dict[str, Any]) -> None:
        self.tmp = tmp
        data = base_config_data(tmp)
        data["database_url"] = database_url
        data["schedule"] = {name: "off" for name in data.get("schedule", {})} or {
            name: "off" for name in ("feeds_poll", "crawl", "links_check", "weekly_digest", "monthly_outputs",
                                     "publish")}
        for key, value in sections.items():
            data[key] = {**data.get(key, {}), **value}
        self.config = tmp / "config.yaml"
        self.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ECITIZEN_")}

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def start(self, name: str, *roles: str, lease: float = 3.0, concurrency: int = 4, extra: tuple[str, ...] = ()
              ) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-c", ENTRY, "--config", str(self.config), "run", "--role", ",".join(roles),
               "--lease", str(lease), "--concurrency", str(concurrency), "--name", name, *extra]
        with open(self.log(name), "wb") as out:
            proc = subprocess.Popen(cmd, cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        self.procs[name] = proc
        return proc

    def wait_started(self, name: str, timeout: float = 60) -> None:
        wait_for(lambda: "on the shared database as" in self.log(name).read_text(errors="replace")
                 or self.procs[name].poll() is not None, timeout, f"{name} to start")
        assert self.procs[name].poll() is None, self.log(name).read_text(errors="replace")[-3000:]

    def cli(self, *args: str, timeout: float = 120) -> Any:
        proc = subprocess.run([sys.executable, "-c", ENTRY, "--config", str(self.config), *args], cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout, env=self.env, check=False)
        assert proc.returncode == 0, f"{args}: {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        return json.loads(proc.stdout) if "--json" in args else proc.stdout

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def stop(self, name: str, timeout: float = 60) -> int:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = proc.wait(10)
        return codes


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)
