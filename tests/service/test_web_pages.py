"""Staff pages: the review queue, item edit, sources, links, saved copies, job runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.storage import Item, JobRun, Link, LinkEvent, Snapshot, Source
from tests.service.conftest import csrf_of
from tests.support.httpserver import LocalServer, Reply


def token(client: FlaskClient, path: str = "/review") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def statuses(app: App) -> dict[int, str]:
    with session_scope(app.engine) as s:
        return {i.id: i.status for i in s.exec(select(Item)).all()}  # type: ignore[misc]


def test_review_queue_lists_new_items_with_filters(manager: FlaskClient, add_items: Any) -> None:
    add_items(2, source="sfr-news")
    add_items(1, source="kremlin", is_new_service=True)
    add_items(1, source="kremlin", status="approved")
    page = manager.get("/review").get_data(as_text=True)
    assert page.count('class="entry"') == 3
    assert page.count('class="entry"') == 3
    only_kremlin = manager.get("/review?source=kremlin").get_data(as_text=True)
    assert only_kremlin.count('class="entry"') == 1
    services = manager.get("/review?new_services=1").get_data(as_text=True)
    assert services.count('class="entry"') == 1 and "новая услуга" in services
    approved = manager.get("/review?status=approved").get_data(as_text=True)
    assert approved.count('class="entry"') == 1
    assert manager.get("/review?topic=doctor").get_data(as_text=True).count('class="entry"') == 3
    assert manager.get("/review?topic=pensions").get_data(as_text=True).count('class="entry"') == 0


def test_bulk_and_single_review_actions(librarian: FlaskClient, add_items: Any, app: App) -> None:
    a, b, c = add_items(3)
    t = token(librarian)
    r = librarian.post("/review/action", data={"csrf_token": t, "action": "approve", "ids": [str(a), str(b)]})
    assert r.status_code == 302
    assert statuses(app) == {a: "approved", b: "approved", c: "new"}
    librarian.post("/review/action", data={"csrf_token": t, "single": f"reject:{c}", "ids": [str(a)]})
    assert statuses(app)[c] == "rejected" and statuses(app)[a] == "approved"
    with session_scope(app.engine) as s:
        item = s.get(Item, a)
        assert item.reviewed_by == "librarian" and item.reviewed_at == app.now()


def test_review_action_rejects_garbage(librarian: FlaskClient) -> None:
    t = token(librarian)
    assert librarian.post("/review/action", data={"csrf_token": t, "action": "delete", "ids": ["1"]}).status_code == 400
    assert librarian.post("/review/action", data={"csrf_token": t, "action": "approve", "ids": ["x"]}).status_code == 400


def test_edit_title_explanation_topics_and_approve(librarian: FlaskClient, add_items: Any, app: App) -> None:
    [i] = add_items(1)
    t = token(librarian, f"/review/{i}")
    r = librarian.post(f"/review/{i}", data={
        "csrf_token": t, "display_title": "Запись к врачу через Госуслуги",
        "explanation": "Теперь можно записаться без звонка в регистратуру.",
        "topics": ["doctor", "gosuslugi", "not-a-topic"], "decision": "approved",
    })
    assert r.status_code == 302
    with session_scope(app.engine) as s:
        item = s.get(Item, i)
    assert item.display_title == "Запись к врачу через Госуслуги"
    assert item.explanation.startswith("Теперь можно")
    assert item.manual_topics == ["doctor", "gosuslugi"]
    assert item.status == "approved"


def test_scraped_text_is_escaped_in_the_queue(manager: FlaskClient, add_items: Any, app: App) -> None:
    [i] = add_items(1)
    with session_scope(app.engine) as s:
        item = s.get(Item, i)
        item.title = '<script>alert(1)</script><img src=x onerror="alert(2)">'
        s.add(item)
    page = manager.get("/review").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_add_source_discovers_the_feed(manager: FlaskClient, server: LocalServer, app: App) -> None:
    server.route("/news/", Reply(200, b'<html><head><link rel="alternate" type="application/rss+xml" '
                                      b'href="/news/rss.xml"></head><body>news</body></html>',
                                 {"Content-Type": "text/html; charset=utf-8"}))
    t = token(manager, "/sources/new")
    r = manager.post("/sources/new", data={"csrf_token": t, "name": "omsk-news", "url": server.url("/news/"),
                                          "kind": "feed", "topics": ["gosuslugi"], "enabled": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source).where(Source.name == "omsk-news")).one()
    assert src.feed_url == server.url("/news/rss.xml") and src.origin == "web" and src.topics == ["gosuslugi"]


def test_add_source_refuses_private_targets_when_not_allowed(make_app: Any) -> None:
    from ecitizen.shell.auth import add_user
    from ecitizen.shell.web import create_app
    from tests.service.conftest import login

    app = make_app(http={"allow_private_targets": False})
    with session_scope(app.engine) as s:
        add_user(s, "m", "correct-horse-1", role="manager")
    c = create_app(app, testing=True).test_client()
    login(c, "m")
    for url in ("http://127.0.0.1:8080/admin", "http://10.0.0.5/", "file:///etc/passwd", "javascript:alert(1)"):
        t = token(c, "/sources/new")
        r = c.post("/sources/new", data={"csrf_token": t, "name": "x", "url": url, "kind": "feed", "enabled": "1"})
        assert r.status_code == 400 and "Адрес не принят" in r.get_data(as_text=True)
    with session_scope(app.engine) as s:
        assert s.exec(select(Source)).all() == []


def test_edit_and_disable_source(manager: FlaskClient, add_items: Any, app: App) -> None:
    add_items(1, source="sfr-news")
    with session_scope(app.engine) as s:
        sid = s.exec(select(Source.id).where(Source.name == "sfr-news")).one()
    t = token(manager, "/sources")
    assert manager.post(f"/sources/{sid}/toggle", data={"csrf_token": t}).status_code == 302
    with session_scope(app.engine) as s:
        assert s.get(Source, sid).enabled is False
    r = manager.post(f"/sources/{sid}/edit", data={"csrf_token": t, "name": "sfr-news",
                                                   "url": "https://sfr-news.example.org/rss", "kind": "feed",
                                                   "interval": "5", "enabled": "1"})
    assert r.status_code == 400 and "Интервал не меньше" in r.get_data(as_text=True)


def test_check_now_records_a_job_run(manager: FlaskClient, web: Any, add_items: Any, app: App) -> None:
    add_items(1, source="sfr-news")
    with session_scope(app.engine) as s:
        sid = s.exec(select(Source.id).where(Source.name == "sfr-news")).one()
    t = token(manager, "/sources")
    assert manager.post(f"/sources/{sid}/check", data={"csrf_token": t}).status_code == 302
    web.extensions["ecitizen_background"].shutdown(wait=True)
    with session_scope(app.engine) as s:
        [run] = s.exec(select(JobRun)).all()
    assert run.job == "check_source:sfr-news" and run.outcome in ("ok", "error", "skipped")
    page = manager.get("/runs").get_data(as_text=True)
    assert "Проверка источника «sfr-news»" in page


def make_link(app: App, tmp_path: Path, **fields: Any) -> tuple[int, int]:
    data = app.config.data_path
    (data / "snapshots").mkdir(parents=True, exist_ok=True)
    (data / "snapshots" / "1.html").write_text(
        '<html><body><h1>Госуслуги</h1><script>document.title="pwned"</script>'
        '<a href="javascript:alert(1)" onclick="x()">ссылка</a></body></html>', encoding="utf-8")
    (data / "snapshots" / "1.txt").write_text("Госуслуги\nТекст страницы", encoding="utf-8")
    with session_scope(app.engine) as s:
        link = Link(url="https://www.gosuslugi.ru/help", title="Помощь Госуслуг", category="Госуслуги", **fields)
        s.add(link)
        s.flush()
        snap = Snapshot(link_id=link.id, url=link.url, html_path="snapshots/1.html", text_path="snapshots/1.txt")
        s.add(snap)
        s.add(LinkEvent(link_id=link.id, kind="changed", summary="страница изменилась", diff_text="- было\n+ стало"))
        s.flush()
        return link.id, snap.id  # type: ignore[return-value]


def test_link_pages_accept_move_and_mark_reviewed(manager: FlaskClient, app: App, tmp_path: Path) -> None:
    lid, _ = make_link(app, tmp_path, status="moved", proposed_url="https://www.gosuslugi.ru/help/new")
    listing = manager.get("/archive?status=attention").get_data(as_text=True)
    assert "Помощь Госуслуг" in listing and "переехала" in listing
    detail = manager.get(f"/archive/{lid}").get_data(as_text=True)
    assert "- было" in detail and "Принять новый адрес" in detail
    t = csrf_of(detail)
    assert manager.post(f"/archive/{lid}/accept-move", data={"csrf_token": t}).status_code == 302
    assert manager.post(f"/archive/{lid}/reviewed", data={"csrf_token": t}).status_code == 302
    with session_scope(app.engine) as s:
        link = s.get(Link, lid)
        events = s.exec(select(LinkEvent).where(LinkEvent.link_id == lid)).all()
    assert link.url == "https://www.gosuslugi.ru/help/new" and link.proposed_url is None
    assert link.status == "unchecked" and link.reviewed_at == app.now()
    assert all(e.acknowledged for e in events)


def test_saved_copy_is_text_or_a_sandboxed_sanitised_frame(manager: FlaskClient, app: App, tmp_path: Path) -> None:
    _, sid = make_link(app, tmp_path)
    page = manager.get(f"/snapshots/{sid}")
    html = page.get_data(as_text=True)
    assert "Текст страницы" in html and 'sandbox=""' in html
    assert "pwned" not in html  # the saved markup is not inline in the admin page
    frame = manager.get(f"/snapshots/{sid}/frame")
    csp = frame.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "script-src" not in csp and "default-src 'none'" in csp
    body = frame.get_data(as_text=True)
    assert "<script" not in body and "javascript:" not in body and "onclick" not in body and "Госуслуги" in body


def test_snapshot_paths_cannot_escape_the_data_folder(manager: FlaskClient, app: App) -> None:
    with session_scope(app.engine) as s:
        snap = Snapshot(url="https://x.example/", html_path="../../../../etc/passwd", text_path="/etc/passwd")
        s.add(snap)
        s.flush()
        sid = snap.id
    assert manager.get(f"/snapshots/{sid}/frame").status_code == 404
    assert "root:" not in manager.get(f"/snapshots/{sid}").get_data(as_text=True)


def test_output_files_are_listed_and_downloaded_only_from_the_out_folder(librarian: FlaskClient, app: App) -> None:
    out = app.config.path(app.config.outputs.out_dir) / "posters"
    out.mkdir(parents=True)
    (out / "2026-11-cgb.pdf").write_bytes(b"%PDF-1.7 test")
    page = librarian.get("/outputs").get_data(as_text=True)
    assert "posters/2026-11-cgb.pdf" in page
    r = librarian.get("/outputs/file/posters/2026-11-cgb.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF") and "attachment" in r.headers["Content-Disposition"]
    assert librarian.get("/outputs/file/../test.db").status_code == 404


def test_dashboard_shows_new_items_failing_sources_and_jobs(manager: FlaskClient, add_items: Any, app: App) -> None:
    add_items(2)
    with session_scope(app.engine) as s:
        src = s.exec(select(Source)).first()
        src.consecutive_failures = 3
        src.last_error = "сервер ответил 503"
        s.add(src)
        s.add(JobRun(job="feeds_poll", started_at=app.now(), finished_at=app.now(), outcome="error", error="boom"))
    page = manager.get("/").get_data(as_text=True)
    assert "сервер ответил 503" in page and "Опрос лент новостей" in page and "boom" in page
    assert "Новое с прошлого визита" in page and "Новость номер 0" in page


def test_save_a_copy_now_and_view_it_decoded(manager: FlaskClient, app: App, server: LocalServer) -> None:
    page = "<html><head><meta charset=windows-1251></head><body><main><h1>Пенсионный калькулятор</h1>" \
           "<p>Рассчитайте пенсию онлайн.</p><script>alert(1)</script></main></body></html>"
    server.route("/calc", Reply(200, page.encode("cp1251"), {"Content-Type": "text/html"}))
    with session_scope(app.engine) as s:
        link = Link(url=server.url("/calc"), title="Калькулятор", status="ok")
        s.add(link)
        s.flush()
        lid = link.id
    t = csrf_of(manager.get(f"/archive/{lid}").get_data(as_text=True))
    r = manager.post(f"/archive/{lid}/snapshot", data={"csrf_token": t})
    assert r.status_code == 302
    with session_scope(app.engine) as s:
        [snap] = s.exec(select(Snapshot).where(Snapshot.link_id == lid)).all()
    frame = manager.get(f"/snapshots/{snap.id}/frame").get_data(as_text=True)
    assert "Пенсионный калькулятор" in frame and "<script" not in frame
    assert "Рассчитайте пенсию" in manager.get(f"/snapshots/{snap.id}").get_data(as_text=True)


def test_save_a_copy_of_an_unreachable_page_is_a_clear_message(manager: FlaskClient, app: App) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with session_scope(app.engine) as s:
        link = Link(url=f"http://127.0.0.1:{port}/gone", title="Нет", status="broken")
        s.add(link)
        s.flush()
        lid = link.id
    t = csrf_of(manager.get(f"/archive/{lid}").get_data(as_text=True))
    r = manager.post(f"/archive/{lid}/snapshot", data={"csrf_token": t}, follow_redirects=True)
    assert r.status_code == 200
    assert "Копия не сохранена" in r.get_data(as_text=True)
    with session_scope(app.engine) as s:
        assert s.exec(select(Snapshot).where(Snapshot.link_id == lid)).all() == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("<meta charset=windows-1251><p>Привет</p>".encode("cp1251"), "Привет"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Привет</p>'.encode("koi8-r"),
         "Привет"),
        ("<p>Привет, мир</p>".encode(), "Привет, мир"),
        ("<p>Государственные услуги для пенсионеров Омской области</p>".encode("cp1251"), "Государственные услуги"),
        (b'<meta charset="x-unknown"><p>ok</p>', "ok"),
    ],
)
def test_decode_html(data: bytes, expected: str) -> None:
    from ecitizen.shell.web.links import decode_html

    assert expected in decode_html(data)


def test_media_note_is_generated_from_the_outputs_page(manager: FlaskClient, add_items: Any, app: App) -> None:
    add_items(2, status="approved")
    token = csrf_of(manager.get("/outputs").get_data(as_text=True))
    r = manager.post("/outputs/media", data={"month": "2026-11", "csrf_token": token}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Заметка для СМИ готова" in page and "media-2026-11.docx" in page
    out = app.config.path(app.config.outputs.out_dir)
    assert list(out.rglob("media-2026-11.docx"))
    r = manager.post("/outputs/media", data={"month": "ноябрь", "csrf_token": token}, follow_redirects=True)
    assert "ГГГГ-ММ" in r.get_data(as_text=True)
