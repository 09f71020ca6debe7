"""The crawl process: ``python -m ecitizen.crawler.run --job JOB.json --result RESULT.jsonl``.

Runs Scrapy's reactor once and exits (a Twisted reactor cannot be restarted inside a long-lived
service, so :func:`crawler.runner.crawl` starts this as a child process). The job file holds the
validated config, the source names and the run's clock. Each finished source is stored in its own
transaction and then appended as one JSON line to the result file, so whoever started us knows
which sources were finished if we are killed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import Config, parse_config
from ecitizen.crawler.jobs import SettingsError, SourceJob, SourceOutcome, SourceReport
from ecitizen.db import session_scope
from ecitizen.errors import ConfigError
from ecitizen.source_settings import CRAWLER_KINDS, parse_source_settings
from ecitizen.storage import Source
from ecitizen.storage.crawl import SeenUrl

log = logging.getLogger("crawler")


def load_jobs(app: App, names: list[str] | None,
              ) -> tuple[list[SourceJob], list[tuple[Source, SettingsError]], list[str]]:
    """Crawler sources to run (enabled ones, or exactly ``names``), sources whose settings are
    invalid, and requested names that are not crawler sources."""
    cfg = app.config
    jobs: list[SourceJob] = []
    invalid: list[tuple[Source, SettingsError]] = []
    with session_scope(app.engine) as session:
        rows = list(session.exec(select(Source).order_by(Source.name)))
        by_name = {r.name: r for r in rows}
        unknown = [n for n in names or () if n not in by_name or by_name[n].kind not in CRAWLER_KINDS]
        chosen = [by_name[n] for n in names or () if n in by_name and by_name[n].kind in CRAWLER_KINDS] if names \
            else [r for r in rows if r.kind in CRAWLER_KINDS and r.enabled]
        for src in chosen:
            assert src.id is not None
            try:
                settings = parse_source_settings(src.kind, src.settings)
            except ConfigError as exc:
                invalid.append((src, SettingsError(f"настройки источника неверны: {exc}")))
                continue
            obey = cfg.crawler.robots_obey if settings.robots_obey is None else settings.robots_obey
            known: frozenset[str] = frozenset()
            if src.kind == "sitemap":
                known = frozenset(session.exec(select(SeenUrl.url).where(SeenUrl.source_id == src.id)).all())
            jobs.append(SourceJob(src.id, src.name, src.kind, src.url, src.timezone or cfg.timezone, settings, obey,
                                  known))
    return jobs, invalid, unknown


def run(config: Config, names: list[str] | None, now: datetime, result_path: Path,
        extra_settings: dict[str, Any] | None = None, log_level: str = "INFO") -> int:
    from scrapy.crawler import CrawlerProcess

    from ecitizen.crawler.recorder import record_outcome
    from ecitizen.crawler.settings import scrapy_settings
    from ecitizen.crawler.spider import SourcesSpider

    app = App(config=config, now=lambda: now, auto_migrate=False)  # the runner migrated
    jobs, invalid, unknown = load_jobs(app, names)
    out = result_path.open("a", encoding="utf-8")

    def emit(report: SourceReport) -> None:
        out.write(json.dumps(report.as_json(), ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())

    for name in unknown:
        emit(SourceReport(name, "?", "not_found", error="нет такого источника обхода"))
    for src, err in invalid:
        job = SourceJob(src.id or 0, src.name, src.kind, src.url, config.timezone, None, True)  # type: ignore[arg-type]
        emit(record_outcome(app.engine, job, SourceOutcome(src.name, error=err), config=config, rules=app.rules,
                            now=now))
    if not jobs:
        out.close()
        return 0

    def on_finished(job: SourceJob, outcome: SourceOutcome) -> None:
        t0 = time.perf_counter()
        report = record_outcome(app.engine, job, outcome, config=config, rules=app.rules, now=now)
        log.info("source %s: %s (%s pages, %s entries, %s added); stored in %.3f s", job.name, report.outcome,
                 report.pages, report.entries, report.added, time.perf_counter() - t0)
        emit(report)

    settings = scrapy_settings(config, jobs, log_level=log_level)
    settings.update(extra_settings or {})
    process = CrawlerProcess(settings)
    process.crawl(SourcesSpider, jobs=jobs, now=now, on_finished=on_finished,
                  allow_private=config.http.allow_private_targets)
    process.start()
    out.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ecitizen.crawler.run")
    ap.add_argument("--job", required=True, help="job JSON written by crawler.runner")
    ap.add_argument("--result", required=True, help="JSON-lines file: one report per finished source")
    args = ap.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    config = parse_config(job["config"], base_dir=job["base_dir"])
    now = datetime.fromisoformat(job["now"])
    return run(config, job.get("names"), now, Path(args.result), job.get("scrapy_settings"),
               job.get("log_level", "INFO"))


if __name__ == "__main__":
    sys.exit(main())
