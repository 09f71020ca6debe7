"""The weekly digest for the project manager: select → render (HTML + text) → write → mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecitizen.app import App
from ecitizen.archive import STATUS_LABELS
from ecitizen.db import session_scope
from ecitizen.digest.data import (
    load_cluster_sources,
    load_items,
    load_link_report,
    load_pending,
    load_source_health,
    topics_of,
)
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.digest.mail import build_message, send_message
from ecitizen.digest.periods import Period, current_week, last_complete_week, week_period
from ecitizen.digest.select import WeeklyDigest, select_weekly
from ecitizen.errors import ConfigError
from ecitizen.files import write_atomic


@dataclass(frozen=True)
class WeeklyResult:
    period: Period
    html_path: Path
    text_path: Path
    counts: dict[str, int]
    subject: str
    sent_to: tuple[str, ...] = ()
    digest: WeeklyDigest | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "week": self.period.key,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "html": str(self.html_path),
            "text": str(self.text_path),
            "subject": self.subject,
            "counts": dict(self.counts),
            "sent_to": list(self.sent_to),
        }


def resolve_week(app: App, week: str | None) -> Period:
    """``None``: the last complete week (the digest runs on Monday morning); ``current``: the
    week running now (the demo, or a look before Monday); else an ISO week like ``2026-W48``."""
    tz = app.config.tz
    if week is None:
        return last_complete_week(app.now(), tz)
    if week.strip().lower() == "current":
        return current_week(app.now(), tz)
    try:
        return week_period(week, tz)
    except ValueError as exc:
        raise ConfigError("--week", str(exc)) from None


def build_weekly(app: App, period: Period) -> WeeklyDigest:
    now = app.now()
    with session_scope(app.engine) as session:
        items = load_items(session, since=period.start, until=period.end)
        # events of the digest's week (not of the days since), statuses as they are now
        links = load_link_report(session, now=now, period=period)
        sources = load_source_health(session)
        pending = load_pending(session, until=period.end)
        clusters = load_cluster_sources(session, items)
    return select_weekly(items, period=period, topics=topics_of(app.config), links=links,
                         sources=sources, pending=pending, cluster_sources=clusters)


def make_weekly(app: App, *, week: str | None = None, out_dir: Path | None = None, send: bool = False) -> WeeklyResult:
    period = resolve_week(app, week)
    digest = build_weekly(app, period)
    renderer = renderer_for(app.config)
    generated = app.now()
    base = app.config.web.base_url
    ctx = {"d": digest, "generated_at": generated, "status_ru": STATUS_LABELS,
           "review_url": f"{base}/review" if base else None, "links_url": f"{base}/archive" if base else None}
    html = renderer.render("weekly.html", **ctx)
    text = renderer.render("weekly.txt", **ctx)
    folder = out_dir_for(app.config, out_dir, "digest") if out_dir is None else Path(out_dir)
    html_path = write_atomic(folder / f"weekly-{period.key}.html", html)
    text_path = write_atomic(folder / f"weekly-{period.key}.txt", text)
    subject = (f"Еженедельная сводка «{app.config.outputs.programme_name}»: {period.label_ru} — "
               f"новых услуг {digest.counts['new_services']}, ожидают проверки {digest.pending.count}")
    sent: tuple[str, ...] = ()
    if send:
        smtp = app.config.smtp
        msg = build_message(sender=smtp.sender, recipients=smtp.recipients, subject=subject,
                            text=text, html=html, date=generated)
        sent = tuple(send_message(msg, smtp, ca_file=app.config.http.extra_ca_bundle))
    return WeeklyResult(period, html_path, text_path, dict(digest.counts), subject, sent, digest)


__all__ = ["WeeklyResult", "build_weekly", "make_weekly", "resolve_week"]
