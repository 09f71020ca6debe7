"""Realistic content for looking at the staff pages: sources of every kind in every state, items,
links with events and checks, a saved copy, job runs with the counts the jobs really record.

Used by the browser tests (axe, phone width, screenshots); not a test module itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.programme import seed_libraries
from ecitizen.storage import Item, JobRun, Link, LinkCheck, LinkEvent, Snapshot, Source


@dataclass(frozen=True)
class Seeded:
    item_id: int
    source_id: int
    crawler_source_id: int
    link_id: int
    snapshot_id: int


def seed_pages(app: App) -> Seeded:
    now = app.now()
    data = app.config.data_path
    (data / "snapshots").mkdir(parents=True, exist_ok=True)
    (data / "snapshots" / "1.html").write_text(
        "<html><body><h1>Подтверждённая учётная запись</h1><p>Подтвердить личность можно в МФЦ.</p></body></html>",
        encoding="utf-8")
    (data / "snapshots" / "1.txt").write_text("Подтверждённая учётная запись\nПодтвердить личность можно в МФЦ.",
                                              encoding="utf-8")
    out = app.config.path(app.config.outputs.out_dir) / "posters"
    out.mkdir(parents=True, exist_ok=True)
    (out / "2026-11-cgb.pdf").write_bytes(b"%PDF-1.7 test")
    with session_scope(app.engine) as s:
        seed_libraries(s, app.config.libraries, now=now)
        feed = Source(name="sfr-news", kind="feed", url="https://sfr.gov.ru/rss/", topics=["pensions"],
                      last_outcome="ok", last_success_at=now - timedelta(hours=2), last_attempt_at=now)
        broken = Source(name="minzdrav-news", kind="feed", url="https://minzdrav.gov.ru/rss/news",
                        last_outcome="http_error", last_status=404,
                        last_error="HTTP 404 Not Found: the address no longer exists", consecutive_failures=4,
                        failing_since=now - timedelta(days=3), last_success_at=now - timedelta(days=3))
        refused = Source(name="mintrud-news", kind="feed", url="https://mintrud.gov.ru/news/rss/official",
                         last_outcome="connection_error", last_error="connection refused", consecutive_failures=1,
                         failing_since=now - timedelta(hours=1))
        listing = Source(name="omsk-admin-news", kind="listing", url="https://admomsk.gosuslugi.ru/press-tsentr/novosti/",
                         settings={"item": "div.news-list__item", "title": "a.news-list__title"},
                         last_outcome="selector_error",
                         last_error="селектор не нашёл ни одной записи (селектор item)", consecutive_failures=2,
                         failing_since=now - timedelta(days=1))
        warned = Source(name="gosuslugi-omsk-news-api", kind="json",
                        url="https://www.gosuslugi.ru/api/cms/v1/news?size=100&region=52000000000",
                        settings={"items_path": "items", "fields": {"title": "title", "date": "pubDate"},
                                  "link_template": "https://www.gosuslugi.ru/news/{code}"},
                        last_outcome="ok", last_success_at=now - timedelta(hours=1),
                        last_error="3 записи с одинаковой ссылкой https://www.gosuslugi.ru/news/: сохранена только "
                                   "первая, остальные не сохранены — проверьте, как строится ссылка "
                                   "(link, link_template)")
        off = Source(name="telegram-omskportal", kind="telegram", url="https://t.me/s/omskportal", enabled=False)
        never = Source(name="gosuslugi-confirmed-account", kind="page",
                       url="https://www.gosuslugi.ru/help/faq/login/2", settings={"region": "main"})
        for src in (feed, broken, refused, listing, warned, off, never):
            s.add(src)
        s.flush()
        assert feed.id is not None and listing.id is not None
        first_id = None
        for k, (title, service) in enumerate([
            ("Записаться к врачу теперь можно через Госуслуги без подтверждённой учётной записи", False),
            ("Электронное заявление на загранпаспорт нового поколения: пошлина со скидкой", True),
            ("СФР напоминает: справку о размере пенсии можно получить онлайн", False),
        ]):
            item = Item(source_id=feed.id, guid=f"seed{k}", url=f"https://sfr.gov.ru/press_center/news/{k}",
                        title=title, summary_text="Текст новости о госуслугах для пенсионеров.",
                        published_at=now - timedelta(hours=k + 1), fetched_at=now, status="new",
                        is_new_service=service,
                        topics=[{"id": "gosuslugi", "keywords": ["госуслуги"], "matched": ["Госуслуги"]}])
            s.add(item)
            s.flush()
            first_id = first_id or item.id
        assert first_id is not None
        link = Link(url="https://www.gosuslugi.ru/help/faq/login/2", title="Подтверждённая учётная запись",
                    category="Госуслуги", status="moved", status_since=now - timedelta(days=1),
                    status_detail="301 → https://www.gosuslugi.ru/help/faq/login/20", http_status=301,
                    proposed_url="https://www.gosuslugi.ru/help/faq/login/20", last_checked_at=now)
        s.add(link)
        s.add(Link(url="https://www.gosuslugi.ru/10602", title="Кредитная история", category="Госуслуги",
                   status="broken", status_since=now, status_detail="HTTP 404 Not Found: the address no longer exists",
                   last_checked_at=now))
        s.add(Link(url="https://www.nalog.gov.ru/rn55/", title="ФНС: Омская область", category="Налоги",
                   status="ok", status_since=now, last_checked_at=now))
        s.flush()
        assert link.id is not None
        s.add(LinkEvent(link_id=link.id, at=now - timedelta(days=1), kind="moved",
                        summary="Страница переехала: новый адрес https://www.gosuslugi.ru/help/faq/login/20"))
        s.add(LinkEvent(link_id=link.id, at=now - timedelta(days=2), kind="broken",
                        summary="Ссылка не работает: нет соединения — connection refused"))
        s.add(LinkEvent(link_id=link.id, at=now - timedelta(days=3), kind="changed",
                        summary="текст страницы изменился на 35 %", diff_text="− Подтвердить в МФЦ\n+ Подтвердить в банке"))
        s.add(LinkCheck(link_id=link.id, checked_at=now, outcome="moved", http_status=301,
                        final_url="https://www.gosuslugi.ru/help/faq/login/20", method="HEAD", elapsed_ms=120))
        s.add(LinkCheck(link_id=link.id, checked_at=now - timedelta(days=2), outcome="connection_error",
                        method="GET", error="cannot connect: [Errno 111] Connection refused"))
        snap = Snapshot(link_id=link.id, url=link.url, html_path="snapshots/1.html", text_path="snapshots/1.txt",
                        text_length=70, taken_at=now - timedelta(days=1))
        s.add(snap)
        start = now - timedelta(hours=3)
        s.add(JobRun(job="feeds_poll", started_at=start, finished_at=start + timedelta(seconds=40), outcome="ok",
                     counts={"sources": 9, "new_items": 12, "updated_items": 1, "entries": 214, "rejected": 3,
                             "failed": 2, "failed_sources": "minzdrav-news, mintrud-news"}))
        s.add(JobRun(job="crawl", started_at=start, finished_at=start + timedelta(minutes=2), outcome="ok",
                     counts={"started_at": start.isoformat(), "finished_at": (start + timedelta(minutes=2)).isoformat(),
                             "exit_code": 0, "ok": True, "error": None,
                             "log": "/srv/ecitizen/data/logs/crawl-20261125T030000.log", "sources": 6, "pages": 14,
                             "entries": 57, "added": 5, "updated": 1, "unchanged": 51, "rejected": 0, "failed": 0}))
        s.add(JobRun(job="links_check", started_at=start, finished_at=start + timedelta(minutes=1), outcome="ok",
                     counts={"started_at": start.isoformat(), "elapsed_seconds": 61.2, "checked": 120,
                             "counts_by_outcome": {"ok": 115, "moved": 1, "broken": 2, "timeout": 2},
                             "counts_by_status": {"ok": 116, "moved": 1, "broken": 1, "timeout": 2}, "events": 3}))
        s.add(JobRun(job="weekly_digest", started_at=start, finished_at=start + timedelta(seconds=5), outcome="ok",
                     counts={"week": "2026-W47", "start": "2026-11-16T18:00:00+00:00",
                             "end": "2026-11-23T18:00:00+00:00", "html": "/srv/ecitizen/out/weekly-2026-W47.html",
                             "text": "/srv/ecitizen/out/weekly-2026-W47.txt", "subject": "Обзор недели 2026-W47",
                             "counts": {"items": 40, "new_services": 2, "approved": 31, "awaiting_review": 5},
                             "sent_to": 2, "sent": True}))
        s.add(JobRun(job="monthly_outputs", started_at=start, finished_at=start, outcome="error",
                     error="TemplateError: poster.html, строка 12: неизвестное поле"))
        s.add(JobRun(job="publish", started_at=start, finished_at=start, outcome="skipped",
                     error="задача уже выполняется (другой процесс или поток)"))
        s.flush()
        assert snap.id is not None and broken.id is not None
        return Seeded(first_id, broken.id, listing.id, link.id, snap.id)
