"""The weekly digest end to end: items through the real pipeline, a real SMTP server."""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.digest.weekly import make_weekly
from ecitizen.errors import ConfigError, DeliveryError
from ecitizen.pipeline import EntryData
from ecitizen.shell.cli import main
from ecitizen.storage import Link, LinkEvent, Source
from tests.digest.conftest import HOSTILE_TITLE, add_items, nov, sample_entries
from tests.digest.smtp import smtp_server
from tests.support.httpserver import self_signed_cert

W47 = "2026-W47"  # 16–22 November 2026


def _fill(app: App) -> None:
    fetched = nov(18)
    add_items(app, "gosuslugi-news", sample_entries((17, 17, 18, 18, 19, 19)), fetched_at=fetched)
    # the same news on another source: one entry, the other source named
    add_items(app, "sfr-news", [EntryData(url="https://sfr.gov.ru/other", published_at=nov(17, 12),
                                          title="Социальный фонд: выплата пенсии в декабре пройдёт раньше")],
              fetched_at=fetched, approve=False)
    add_items(app, "pages", [EntryData(url="https://www.gosuslugi.ru/help", title="Справка Госуслуг изменилась",
                                       kind="page_change", diff_text="- старый текст\n+ новый текст")],
              fetched_at=fetched)
    add_items(app, "later", [EntryData(url="https://example.org/later", title="Новость следующей недели",
                                       published_at=nov(24))], fetched_at=nov(24))
    add_items(app, "pending", [EntryData(url="https://example.org/p", title="Ждёт проверки",
                                         published_at=nov(10))], fetched_at=nov(10), approve=False)
    with session_scope(app.engine) as s:
        src = Source(name="broken-feed", url="https://broken.example.org/rss", last_outcome="timeout",
                     last_error="read timeout after 20 s", consecutive_failures=4, failing_since=nov(15, 3))
        s.add(src)
        link = Link(url="https://old.example.org/page", title="Запись в МФЦ", status="moved",
                    proposed_url="https://new.example.org/page", status_since=nov(19), added_at=nov(1))
        s.add(link)
        s.flush()
        assert link.id is not None
        s.add(LinkEvent(link_id=link.id, at=nov(19), kind="moved", summary="Страница переехала"))


def test_weekly_digest_sections(app: App, tmp_path: Path) -> None:
    _fill(app)
    result = make_weekly(app, week=W47, out_dir=tmp_path)
    html = result.html_path.read_text(encoding="utf-8")
    text = result.text_path.read_text(encoding="utf-8")
    assert result.html_path.name == "weekly-2026-W47.html"
    order = ["Новые онлайн-услуги", "загранпаспорт", "Новости по темам курса", "Социальный фонд",
             "Изменения на отслеживаемых страницах", "Справка Госуслуг изменилась", "Ссылки, которые нужно проверить",
             "Запись в МФЦ", "Источники с ошибками", "broken-feed", "Ожидает проверки"]
    pos = 0
    for s in order:  # each in its section, in this order
        pos = html.index(s, pos)
    assert html.count("Социальный фонд: выплата пенсии") == 1 and "также: sfr-news" in html
    assert "new.example.org/page" in html  # the proposed URL
    assert "15 ноября 2026 г." in html  # failing since (Asia/Omsk)
    for out in (html, text):  # the outcome in plain Russian (ecitizen.outcomes), then its detail
        assert "Сайт не ответил вовремя" in out and "Подробности: read timeout after 20 s" in out
    assert "Новость следующей недели" not in html
    assert "<script" not in html.lower() and 'style="' in html  # inline CSS, no scripts
    for s in ("НОВЫЕ ОНЛАЙН-УСЛУГИ", "загранпаспорт", "также: sfr-news", "new.example.org/page", "broken-feed"):
        assert s in text
    assert "<" not in text.replace("<->", "")
    assert "г.." not in html and "г.." not in text
    assert "  + новый текст" in text  # the page change's diff
    assert result.counts["new_services"] == 2 and result.counts["duplicates"] == 1
    assert result.counts["awaiting_review"] == 2  # sfr-news copy + the pending one
    # reproducible: the same week gives the same files
    again = make_weekly(app, week=W47, out_dir=tmp_path)
    assert again.html_path.read_text(encoding="utf-8") == html


def test_default_week_is_the_last_complete_one(app: App, tmp_path: Path) -> None:
    assert make_weekly(app, out_dir=tmp_path).period.key == "2026-W47"  # clock: Wed 25 Nov 2026
    with pytest.raises(ConfigError, match="--week"):
        make_weekly(app, week="2026-W99", out_dir=tmp_path)


def test_hostile_titles_are_escaped_in_the_mail(app: App, tmp_path: Path) -> None:
    add_items(app, "s", [EntryData(url="https://example.org/x", title="x", published_at=nov(17))],
              fetched_at=nov(17), display_title=HOSTILE_TITLE, explanation="<b>жирный</b> & 'q'")
    html = make_weekly(app, week=W47, out_dir=tmp_path).html_path.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;жирный" in html


def _parts(raw: bytes) -> Message:
    msg = email.message_from_bytes(raw)
    assert msg.get_content_type() == "multipart/alternative"
    return msg


def _check_mail(raw: bytes) -> None:
    msg = _parts(raw)
    parts = {p.get_content_type(): p.get_payload(decode=True).decode(p.get_content_charset())  # type: ignore[union-attr]
             for p in msg.get_payload()}  # type: ignore[union-attr]
    assert set(parts) == {"text/plain", "text/html"}
    assert "загранпаспорт" in parts["text/plain"] and "загранпаспорт" in parts["text/html"]
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    assert subject.startswith("Еженедельная сводка «Компетентный е-гражданин»: 16–22 ноября 2026 г.")


def test_send_plain_smtp(make_app: Callable[..., App], tmp_path: Path) -> None:
    with smtp_server(mode="none") as (inbox, port):
        app = make_app(smtp={"host": "127.0.0.1", "port": port, "security": "none",
                             "recipients": ["manager@example.org", "lead@example.org"]})
        _fill(app)
        result = make_weekly(app, week=W47, out_dir=tmp_path, send=True)
    assert result.sent_to == ("manager@example.org", "lead@example.org")
    assert len(inbox.messages) == 1
    sender, rcpts, raw = inbox.messages[0]
    assert sender == "e-citizen-watch@example.org" and rcpts == ["manager@example.org", "lead@example.org"]
    _check_mail(raw)


def test_send_starttls_with_login(make_app: Callable[..., App], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cert = self_signed_cert("127.0.0.1", str(tmp_path))
    monkeypatch.setenv("ECITIZEN_SMTP_USER", "digest")
    monkeypatch.setenv("ECITIZEN_SMTP_PASSWORD", "s3cret")
    with smtp_server(mode="starttls", cert=cert, credentials=("digest", "s3cret")) as (inbox, port):
        app = make_app(smtp={"host": "127.0.0.1", "port": port, "security": "starttls",
                             "recipients": ["manager@example.org"]}, http={"extra_ca_bundle": cert[0]})
        _fill(app)
        make_weekly(app, week=W47, out_dir=tmp_path / "out", send=True)
    assert inbox.logins == ["digest"]
    _check_mail(inbox.messages[0][2])


def test_send_implicit_tls(make_app: Callable[..., App], tmp_path: Path) -> None:
    cert = self_signed_cert("127.0.0.1", str(tmp_path))
    with smtp_server(mode="ssl", cert=cert) as (inbox, port):
        app = make_app(smtp={"host": "127.0.0.1", "port": port, "security": "ssl",
                             "recipients": ["manager@example.org"]}, http={"extra_ca_bundle": cert[0]})
        _fill(app)
        make_weekly(app, week=W47, out_dir=tmp_path / "out", send=True)
    _check_mail(inbox.messages[0][2])


def test_untrusted_certificate_and_unreachable_server_are_delivery_errors(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    cert = self_signed_cert("127.0.0.1", str(tmp_path))
    with smtp_server(mode="starttls", cert=cert) as (inbox, port):
        app = make_app(smtp={"host": "127.0.0.1", "port": port, "security": "starttls",
                             "recipients": ["m@example.org"], "timeout": 5})
        with pytest.raises(DeliveryError, match="certificate"):
            make_weekly(app, week=W47, out_dir=tmp_path / "a", send=True)
    assert inbox.messages == []
    app = make_app(smtp={"host": "127.0.0.1", "port": port, "security": "none", "recipients": ["m@example.org"],
                         "timeout": 5})
    with pytest.raises(DeliveryError, match=r"127\.0\.0\.1"):
        make_weekly(app, week=W47, out_dir=tmp_path / "b", send=True)
    no_rcpt = make_app(smtp={"recipients": []})
    with pytest.raises(DeliveryError, match="recipients"):
        make_weekly(no_rcpt, week=W47, out_dir=tmp_path / "c", send=True)


def test_cli_weekly_json(make_app: Callable[..., App], tmp_path: Path) -> None:
    import yaml

    from tests.conftest import base_config_data

    data = base_config_data(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["digest", "weekly", "--config", str(cfg), "--week", W47,
                                       "--out", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["week"] == W47 and Path(out["html"]).is_file() and out["counts"]["items"] == 0
    assert out["start"] == (datetime(2026, 11, 16, tzinfo=UTC) - timedelta(hours=6)).isoformat()
    bad = CliRunner().invoke(main, ["digest", "weekly", "--config", str(cfg), "--week", "soon"])
    assert bad.exit_code == 2 and "--week" in bad.output


def test_a_duplicate_of_last_weeks_news_names_the_earlier_source(app: App, tmp_path: Path) -> None:
    title = "Социальный фонд: выплата пенсии в декабре пройдёт раньше"
    add_items(app, "sfr-news", [EntryData(url="https://sfr.gov.ru/a", title=title, published_at=nov(15))],
              fetched_at=nov(15))  # week 46
    add_items(app, "tass", [EntryData(url="https://tass.ru/b", title=title, published_at=nov(16, 12))],
              fetched_at=nov(16, 12))  # week 47
    html = make_weekly(app, week=W47, out_dir=tmp_path).html_path.read_text(encoding="utf-8")
    assert html.count(title) == 1 and "tass; также: sfr-news" in html
