"""Start a crawl in its own process and read its report: :func:`crawl` is the entry point for the
CLI (``ecitizen crawl``) and the scheduler.

The child (``python -P -m ecitizen.crawler.run``) gets the validated config, the source names and the run's
clock in a job file, and appends one JSON line per finished source to a result file. A source the
child did not finish (killed, crashed, timed out) is recorded here as a failure on its health
record (``crawl_failed``); what the child finished stays stored — each source is one transaction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from ecitizen import outcomes
from ecitizen.app import App
from ecitizen.crawler.jobs import CrawlProcessError, CrawlReport, SourceReport
from ecitizen.db import session_scope
from ecitizen.source_settings import CRAWLER_KINDS
from ecitizen.storage import Source


def _expected_names(app: App, names: Sequence[str] | None) -> list[str]:
    with session_scope(app.engine) as session:
        if names:
            return list(dict.fromkeys(names))
        rows = session.exec(select(Source.name).where(Source.enabled == True, Source.kind.in_(CRAWLER_KINDS)))  # type: ignore[attr-defined]  # noqa: E712
        return sorted(rows.all())


def crawl(app: App, names: Sequence[str] | None = None, *, timeout: float | None = 3600.0,
          scrapy_settings: dict[str, Any] | None = None, log_level: str = "INFO",
          log_path: str | os.PathLike[str] | None = None) -> CrawlReport:
    """Crawl the named crawler sources (all enabled ones by default) in a child process."""
    cfg = app.config
    now = app.now()
    started = datetime.now(UTC)
    expected = _expected_names(app, names)  # also migrates the database before the child starts
    data = cfg.model_dump(mode="json")
    base_dir = data.pop("base_dir")
    logs_dir = cfg.data_path / "logs"
    if log_path is None:
        logs_dir.mkdir(parents=True, exist_ok=True)
        log_path = logs_dir / f"crawl-{started.strftime('%Y%m%dT%H%M%S%f')}.log"
    with tempfile.TemporaryDirectory(prefix="ecitizen-crawl-") as tmp:
        job_path = Path(tmp) / "job.json"
        result_path = Path(tmp) / "result.jsonl"
        job_path.write_text(json.dumps({
            "config": data, "base_dir": base_dir, "names": list(names) if names else None,
            "now": now.isoformat(), "scrapy_settings": scrapy_settings or {}, "log_level": log_level,
        }, ensure_ascii=False), encoding="utf-8")
        result_path.touch()
        env = dict(os.environ)
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        error = None
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(
                # -P: the working directory is not put on sys.path, so a folder named like a part
                # (a checkout's ecitizen/) cannot shadow the installed package
                [sys.executable, "-P", "-m", "ecitizen.crawler.run",
                 "--job", str(job_path), "--result", str(result_path)],
                stdout=log_file, stderr=subprocess.STDOUT, env=env,
                # its own session: a Ctrl-C meant for `ecitizen run` lets the crawl finish its unit
                start_new_session=True,
            )
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
                error = f"обход не уложился в {timeout:.0f} с и был остановлен"
        reports = _read_reports(result_path)
    if code != 0 and error is None:
        error = f"процесс обхода завершился с кодом {code}; журнал: {log_path}"
    if logs_dir.is_dir():
        _prune_logs(logs_dir)
    done = {r.name for r in reports}
    missing = [n for n in expected if n not in done]
    if missing:
        reports += _record_unfinished(app, missing, error or "процесс обхода не сообщил об этом источнике", now)
    return CrawlReport(
        started_at=started.isoformat(), finished_at=datetime.now(UTC).isoformat(), exit_code=code,
        sources=tuple(reports), error=error, log_path=str(log_path),
    )


#: crawl logs kept in ``data/logs`` (older ones are deleted after each run)
KEEP_LOGS = 50


def _prune_logs(logs_dir: Path) -> None:
    logs = sorted(logs_dir.glob("crawl-*.log"), key=lambda p: p.name, reverse=True)
    for old in logs[KEEP_LOGS:]:
        old.unlink(missing_ok=True)


def _read_reports(path: Path) -> list[SourceReport]:
    out: list[SourceReport] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(SourceReport.from_json(json.loads(line)))
        except (ValueError, TypeError):
            continue  # a line cut short by a kill
    return out


def _record_unfinished(app: App, names: list[str], why: str, now: datetime) -> list[SourceReport]:
    from ecitizen.crawler.recorder import next_due
    from ecitizen.store import record_failure

    exc = CrawlProcessError(f"обход не завершён: {why}")
    out: list[SourceReport] = []
    with session_scope(app.engine) as session:
        for name in names:
            src = session.exec(select(Source).where(Source.name == name)).first()
            if src is None or src.kind not in CRAWLER_KINDS:
                out.append(SourceReport(name, src.kind if src else "?", outcomes.NOT_FOUND,
                                        error="нет такого источника обхода"))
                continue
            failures = (src.consecutive_failures or 0) + 1
            record_failure(src, now=now, next_due=next_due(src, app.config, now, failures=failures),
                           outcome=exc.code, error=str(exc))
            session.add(src)
            out.append(SourceReport(name, src.kind, exc.code, error=str(exc)))
    return out
