"""What the manager reads is Russian and plain: the job log, run states, link events, flashes,
month fields; the published file names answer publicly."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ecitizen import archive
from ecitizen.app import App
from ecitizen.shell import jobs, tasks
from ecitizen.shell.jobs import COUNT_LABELS, PARTLY_FAILED, RUN_OUTCOME_LABELS, describe_counts, shown_outcome
from tests.service.conftest import csrf_of
from tests.service.seed import seed_pages

OMSK = ZoneInfo("Asia/Omsk")


def local(value: datetime) -> str:
    return value.astimezone(OMSK).strftime("%d.%m.%Y %H:%M")


def text(r: Any) -> str:
    return html.unescape(r.get_data(as_text=True))


@pytest.mark.parametrize(
    ("outcome", "counts", "shown"),
    [
        ("ok", {"sources": 9, "failed": 2}, PARTLY_FAILED),
        ("ok", {"sources": 9, "failed": 0}, "ok"),
        ("ok", {}, "ok"),
        ("ok", None, "ok"),
        ("ok", {"failed": True}, "ok"),  # not a count
        ("error", {"failed": 3}, "error"),
        ("skipped", {}, "skipped"),
        ("interrupted", {"failed": 1}, "interrupted"),
        ("running", {}, "running"),
    ],
)
def test_a_run_with_failures_is_not_shown_as_a_success(outcome: str, counts: dict[str, Any] | None,
                                                       shown: str) -> None:
    assert shown_outcome(outcome, counts) == shown
    assert shown in RUN_OUTCOME_LABELS


def test_run_states_have_one_owner() -> None:
    from ecitizen.shell.web import common

    assert RUN_OUTCOME_LABELS[PARTLY_FAILED] == "выполнено с ошибками"
    assert RUN_OUTCOME_LABELS["ok"] == "успешно"
    assert not hasattr(common, "RUN_OUTCOME_LABELS")


def test_every_count_a_job_records_has_a_russian_name() -> None:
    rows = [{"name": "a", "outcome": "http_error", **{k: 1 for k in tasks._SUMMED}}]
    keys = set(tasks.summarize_rows(rows))
    assert keys <= set(COUNT_LABELS), keys - set(COUNT_LABELS)
    for label in COUNT_LABELS.values():
        assert re.fullmatch(r"[а-яёА-ЯЁ ]+", label), label


def test_counts_read_in_russian_local_time_and_file_names() -> None:
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    counts = {"started_at": start.isoformat(), "elapsed_seconds": 61.2, "checked": 120,
              "counts_by_outcome": {"ok": 115, "moved": 1, "broken": 2}, "counts_by_status": {"ok": 116},
              "log": "/srv/ecitizen/data/logs/crawl-20261125T030000.log", "week": "2026-W47", "month": "2026-11",
              "counts": {"items": 40, "approved": 31}, "failed": 0, "sent": True,
              "when": start.isoformat()}
    lines = {line.label: line.value for line in describe_counts(counts, when=local)}
    assert lines["длилась"] == "1 мин 1 с"
    assert lines["итоги проверки"] == (f"{archive.STATUS_LABELS['ok']} — 115, {archive.STATUS_LABELS['moved']} — 1, "
                                       f"{archive.STATUS_LABELS['broken']} — 2")
    assert lines["журнал обхода"] == "crawl-20261125T030000.log"
    assert lines["неделя"] == "47-я неделя 2026 г." and lines["месяц"] == "ноябрь 2026 г."
    assert lines["записей за неделю"] == "40" and lines["одобрено"] == "31" and lines["разослан по почте"] == "да"
    assert lines["when"] == "25.11.2026 09:00"  # an unknown key still shows its time in Omsk time
    assert "из них с ошибками" not in lines  # 0 failed is not news
    assert "started_at" not in lines and "counts_by_status" not in lines


def test_the_job_log_shows_states_counts_and_times_plainly(manager: FlaskClient, app: App) -> None:
    seed_pages(app)
    page = text(manager.get("/runs"))
    assert 'outcome-partly_failed">выполнено с ошибками' in page
    assert "источники с ошибками: <strong>minzdrav-news, mintrud-news</strong>" in page
    assert "журнал обхода: <strong>crawl-20261125T030000.log</strong>" in page
    assert "Ошибка: poster.html, строка 12" in page and "TemplateError" not in page
    for raw in ("failed_sources", "new_items", "counts_by_outcome", "/srv/", "T03:00:00", "{'", "True", "None"):
        assert raw not in page, raw
    dashboard = text(manager.get("/"))
    assert "выполнено с ошибками" in dashboard and "TemplateError" not in dashboard


def test_link_events_and_statuses_are_named_from_the_archive(manager: FlaskClient, app: App) -> None:
    seed = seed_pages(app)
    page = text(manager.get(f"/archive/{seed.link_id}"))
    assert archive.STATUS_EXPLANATIONS["moved"] in page
    for kind in ("moved", "broken", "changed"):
        assert f"<strong>{archive.ATTENTION_REASONS[kind].capitalize()}</strong>" in page
        assert f"— {kind}:" not in page and f"{kind}: " not in page


def test_the_flash_names_the_item(librarian: FlaskClient, add_items: Any) -> None:
    a, b, c, d, e = add_items(5)
    t = csrf_of(librarian.get("/review").get_data(as_text=True))
    r = librarian.post("/review/action", data={"csrf_token": t, "single": f"approve:{a}"}, follow_redirects=True)
    assert "Одобрено: «Новость номер 0: запись к врачу онлайн»." in text(r)
    r = librarian.post("/review/action", data={"csrf_token": t, "action": "reject", "ids": [str(b), str(c), str(d),
                                                                                          str(e)]},
                       follow_redirects=True)
    assert "Отклонено: 4 — «Новость номер 1: запись к врачу онлайн», «Новость номер 2" in text(r)
    assert "и ещё 1." in text(r)


def test_month_fields_offer_russian_month_names(librarian: FlaskClient) -> None:
    page = text(librarian.get("/outputs"))
    assert '<option value="2026-11" selected>ноябрь 2026</option>' in page
    assert '<option value="2026-10">октябрь 2026</option>' in page and '<option value="2026-12">декабрь 2026</option>' in page


@pytest.mark.parametrize(("published", "served"), [("/widget.html", "/widget"), ("/links.html", "/links")])
def test_the_published_file_names_answer_without_login(web: Flask, published: str, served: str) -> None:
    c = web.test_client()
    r = c.get(published)
    assert r.status_code == 200 and r.data == c.get(served).data
    assert r.headers["Content-Type"].startswith("text/html")
    frame = "frame-ancestors *" if "widget" in published else "frame-ancestors 'none'"
    assert frame in r.headers["Content-Security-Policy"]


def test_a_refused_address_is_explained_in_russian() -> None:
    from ecitizen.sources import address_refusal

    assert "http:// или https://" in address_refusal("ftp://example.org/")
    assert "внутреннюю сеть" in address_refusal("http://10.0.0.5/")
    assert jobs.shown_error("RuntimeError: обход не завершён") == "обход не завершён"
