"""Staff pages: login, dashboard, review queue, sources, links, outputs, job runs.

Thin views over the core queries and the domain packages. Roles: ``manager`` may do everything;
``librarian`` reviews items and prints (outputs). Every POST carries the CSRF token (Flask-WTF).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from sqlalchemy import func
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from ecitizen import archive, crawler, digest, feeds
from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import EcitizenError, FetchError, UnsafeURLError
from ecitizen.queries import ItemFilter, list_items, set_status
from ecitizen.shell import tasks
from ecitizen.shell.auth import AddressLimiter, LoginRefusedError, Principal, authenticate
from ecitizen.shell.jobs import last_run_per_job, last_runs
from ecitizen.storage import Item, Link, LinkCheck, LinkEvent, Snapshot, Source, User

log = logging.getLogger("ecitizen.shell.web")
bp = Blueprint("admin", __name__)
F = TypeVar("F", bound=Callable[..., Any])

PAGE_SIZE = 50
#: link statuses that need a person
LINK_ATTENTION = ("broken", "moved", "redirected", "soft_404", "server_error", "blocked", "timeout", "dns_error",
                  "connection_error", "tls_error")
LINK_STATUS_RU = {
    "unchecked": "ещё не проверена", "ok": "работает", "redirected": "перенаправляет", "moved": "переехала",
    "broken": "не работает", "soft_404": "страница пропала", "server_error": "ошибка сервера",
    "blocked": "сайт не пускает проверку", "timeout": "не отвечает", "dns_error": "адрес не найден",
    "connection_error": "нет соединения", "tls_error": "ошибка сертификата",
}
STATUS_RU = {"new": "новое", "approved": "одобрено", "rejected": "отклонено"}
OUTCOME_RU = {"running": "выполняется", "ok": "успешно", "error": "ошибка", "skipped": "пропущено",
              "interrupted": "прервано"}
KIND_RU = {"feed": "лента", "listing": "список новостей", "sitemap": "карта сайта", "json": "JSON",
           "page": "страница", "catalog": "каталог услуг", "telegram": "Telegram"}


def core() -> App:
    return current_app.extensions["ecitizen"]  # type: ignore[no-any-return]


def limiter() -> AddressLimiter:
    lim = current_app.extensions.get("ecitizen_limiter")
    if lim is None:
        lim = current_app.extensions["ecitizen_limiter"] = AddressLimiter()
    return cast(AddressLimiter, lim)


def background() -> Any:
    """A small thread pool for "check now" jobs (shut down by the server at exit)."""
    from concurrent.futures import ThreadPoolExecutor

    ex = current_app.extensions.get("ecitizen_background")
    if ex is None:
        ex = current_app.extensions["ecitizen_background"] = ThreadPoolExecutor(2, thread_name_prefix="check-now")
    return ex


@bp.app_template_filter("ru_dt")
def ru_dt(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(core().config.tz)
    return local.strftime("%d.%m.%Y %H:%M")


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"me": g.get("user"), "STATUS_RU": STATUS_RU, "LINK_STATUS_RU": LINK_STATUS_RU,
            "OUTCOME_RU": OUTCOME_RU, "KIND_RU": KIND_RU, "job_title": tasks.job_title}


# -- auth -----------------------------------------------------------------------------------------

PUBLIC_ENDPOINTS = {"admin.login", "static"}


@bp.before_app_request
def _load_user() -> Any:
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        with session_scope(core().engine) as s:
            user = s.get(User, uid)
            if user is not None and session.get("pwh") == user.password_hash[-16:]:
                g.user = Principal(uid, user.name, user.role)
                now = core().now()
                if user.last_seen_at is None or now - user.last_seen_at > timedelta(minutes=1):
                    user.last_seen_at = now
                    s.add(user)
        if g.user is None:
            session.clear()
    endpoint = request.endpoint or ""
    if endpoint.startswith("public.") or endpoint in PUBLIC_ENDPOINTS or endpoint == "":
        return None
    if g.user is None:
        return redirect(url_for("admin.login", next=_here() if request.method == "GET" else None))
    return None


def _here() -> str:
    return request.full_path if request.query_string else request.path


def manager_required(f: F) -> F:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None or not g.user.is_manager:
            abort(403)
        return f(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("admin.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        now = core().now()
        address = request.remote_addr or "?"
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        if not limiter().allowed(address, now=now):
            error, status = "Слишком много неудачных попыток с этого компьютера. Попробуйте через 15 минут.", 429
        else:
            try:
                principal = authenticate(core().engine, name, password, now=now)
            except LoginRefusedError as exc:
                limiter().failed(address, now=now)
                error, status = str(exc), 401
                log.warning("failed login for %r from %s", name[:40], address)
            else:
                with session_scope(core().engine) as s:
                    user = s.get(User, principal.id)
                    assert user is not None
                    prev_seen = user.last_seen_at
                    pwh = user.password_hash[-16:]
                session.clear()  # no session fixation
                session.permanent = True
                session["uid"] = principal.id
                session["pwh"] = pwh
                session["prev_seen"] = prev_seen.isoformat() if prev_seen else None
                return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("admin.login"))


# -- dashboard ------------------------------------------------------------------------------------

@bp.get("/")
def dashboard() -> str:
    app = core()
    prev = session.get("prev_seen")
    since = datetime.fromisoformat(prev) if prev else app.now() - timedelta(days=7)
    with session_scope(app.engine) as s:
        new_items = list_items(s, ItemFilter(since=since, limit=200))
        new_items = [(i, n) for i, n in new_items if i.fetched_at >= since]
        queue = s.exec(select(func.count(col(Item.id))).where(Item.status == "new")).one()
        new_services = s.exec(
            select(func.count(col(Item.id))).where(Item.status == "new").where(col(Item.is_new_service).is_(True))
        ).one()
        failing = s.exec(
            select(Source).where(Source.consecutive_failures > 0).order_by(col(Source.consecutive_failures).desc())
        ).all()
        links_need = s.exec(
            select(Link).where(col(Link.status).in_(LINK_ATTENTION)).order_by(col(Link.status_since)).limit(30)
        ).all()
        open_events = s.exec(select(func.count(col(LinkEvent.id))).where(col(LinkEvent.acknowledged).is_(False))).one()
        last = last_run_per_job(s)
    next_runs = _next_runs(app)
    jobs = [{"name": n, "title": tasks.job_title(n), "last": last.get(n), "next": next_runs.get(n)}
            for n in tasks.JOBS]
    return render_template(
        "dashboard.html", since=since, new_items=new_items[:20], new_count=len(new_items), queue=queue,
        new_services=new_services, failing=failing, links_need=links_need, open_events=open_events, jobs=jobs,
    )


def _next_runs(app: App) -> dict[str, datetime | None]:
    service = current_app.extensions.get("ecitizen_service")
    runs: dict[str, datetime | None] = {}
    if service is not None and getattr(service, "scheduler", None) is not None:
        runs = service.next_runs()
    if not runs:
        from ecitizen.shell.scheduler import next_runs_from_store

        try:
            runs = next_runs_from_store(app)
        except Exception:  # noqa: BLE001 - the dashboard still shows without it
            runs = {}
    return runs


@bp.get("/runs")
def runs() -> str:
    with session_scope(core().engine) as s:
        rows = last_runs(s, limit=200, job=request.args.get("job") or None)
    return render_template("runs.html", runs=rows)


@bp.post("/runs/start")
@manager_required
def runs_start() -> BaseResponse:
    job = request.form.get("job", "")
    if job not in tasks.JOBS:
        abort(400)
    service = current_app.extensions["ecitizen_service"]
    background().submit(service.run_now, job, record_as=job)
    flash(f"Задача «{tasks.job_title(job)}» запущена. Результат появится в журнале.", "ok")
    return redirect(url_for("admin.runs"))


# -- review queue ---------------------------------------------------------------------------------

def _topics() -> list[tuple[str, str]]:
    return [(t.id, t.title) for t in core().config.topics]


@bp.get("/review")
def review() -> str:
    args = request.args
    status = args.get("status", "new")
    if status not in ("new", "approved", "rejected", "all"):
        status = "new"
    page = max(1, args.get("page", 1, type=int) or 1)
    flt = ItemFilter(
        status=None if status == "all" else status,
        topic=args.get("topic") or None,
        source=args.get("source") or None,
        new_services=args.get("new_services") == "1",
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    with session_scope(core().engine) as s:
        rows = list_items(s, flt)
        sources = [n for n in s.exec(select(Source.name).order_by(Source.name))]
    has_next = len(rows) > PAGE_SIZE
    return render_template(
        "review.html", rows=rows[:PAGE_SIZE], status=status, topic=args.get("topic", ""),
        source=args.get("source", ""), new_services=args.get("new_services") == "1", sources=sources,
        topics=_topics(), topic_titles=dict(_topics()), page=page, has_next=has_next,
    )


def _ids(values: list[str]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            abort(400)
    return out


@bp.post("/review/action")
def review_action() -> BaseResponse:
    action = request.form.get("action", "")
    ids = _ids(request.form.getlist("ids"))
    single = request.form.get("single")
    if single:  # the per-item buttons inside the bulk form: "approve:17"
        action, _, one = single.partition(":")
        ids = _ids([one])
    status = {"approve": "approved", "reject": "rejected", "reset": "new"}.get(action)
    if status is None:
        abort(400)
    if not ids:
        flash("Ничего не выбрано.", "warn")
    else:
        app = core()
        with session_scope(app.engine) as s:
            missing = set_status(s, ids, status, reviewer=g.user.name, now=app.now())
        done = len(ids) - len(missing)
        flash({"approved": f"Одобрено: {done}.", "rejected": f"Отклонено: {done}.",
               "new": f"Возвращено в очередь: {done}."}[status], "ok")
    return redirect(_safe_next(request.form.get("back")) if request.form.get("back") else url_for("admin.review"))


@bp.route("/review/<int:item_id>", methods=["GET", "POST"])
def item_edit(item_id: int) -> Any:
    app = core()
    known = dict(_topics())
    with session_scope(app.engine) as s:
        item = s.get(Item, item_id)
        if item is None:
            abort(404)
        src = s.get(Source, item.source_id)
        if request.method == "POST":
            title = (request.form.get("display_title") or "").strip()[:300]
            explanation = (request.form.get("explanation") or "").strip()[:600]
            chosen = [t for t in request.form.getlist("topics") if t in known]
            item.display_title = title or None
            item.explanation = explanation or None
            item.manual_topics = chosen
            decision = request.form.get("decision")
            if decision in ("approved", "rejected", "new"):
                item.status = decision
            item.reviewed_by = g.user.name
            item.reviewed_at = app.now()
            s.add(item)
            flash("Сохранено.", "ok")
            return redirect(url_for("admin.item_edit", item_id=item_id))
        return render_template("item_edit.html", item=item, source=src, topics=_topics(),
                               chosen=set(item.topic_ids()))


# -- sources --------------------------------------------------------------------------------------

@bp.get("/sources")
@manager_required
def sources() -> str:
    with session_scope(core().engine) as s:
        rows = s.exec(select(Source).order_by(Source.name)).all()
        counts = dict(s.exec(select(Item.source_id, func.count(col(Item.id))).group_by(col(Item.source_id))).all())
    return render_template("sources.html", rows=rows, counts=counts, topics=_topics())


def discover_feed_url(app: App, url: str) -> str | None:
    """Fetch a user-entered page and find its feed (feeds.discover); None when it is a feed or none found."""
    try:
        from ecitizen.feeds import discover_feeds, looks_like_html
    except ImportError:
        return None
    from ecitizen.fetch import fetch_configured

    try:
        res = fetch_configured(url, app.config.http, max_bytes=2_000_000)
    except FetchError as exc:
        raise EcitizenError(f"страница не открылась: {exc}") from exc
    body, ctype = res.body, res.headers.get("Content-Type", "")
    if res.status >= 400:
        raise EcitizenError(f"страница не открылась: HTTP {res.status}")
    if not looks_like_html(body, ctype):
        return None
    found = discover_feeds(body, url)
    return found[0] if found else None


@bp.route("/sources/new", methods=["GET", "POST"])
@manager_required
def source_new() -> Any:
    return _source_form(None)


@bp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@manager_required
def source_edit(source_id: int) -> Any:
    return _source_form(source_id)


def _source_form(source_id: int | None) -> Any:
    from ecitizen.urls import check_public_url

    app = core()
    cfg = app.config
    known = dict(_topics())
    errors: list[str] = []
    with session_scope(app.engine) as s:
        src = s.get(Source, source_id) if source_id is not None else None
        if source_id is not None and src is None:
            abort(404)
        form: dict[str, Any] = {
            "name": src.name if src else "", "url": src.url if src else "", "kind": src.kind if src else "feed",
            "topics": list(src.topics) if src else [], "interval": src.interval_minutes if src else None,
            "enabled": src.enabled if src else True,
        }
        if request.method == "POST":
            f = request.form
            form = {
                "name": (f.get("name") or "").strip()[:100], "url": (f.get("url") or "").strip(),
                "kind": f.get("kind", "feed"), "topics": [t for t in f.getlist("topics") if t in known],
                "interval": f.get("interval", type=int), "enabled": f.get("enabled") == "1",
            }
            if not form["name"]:
                errors.append("Укажите название источника.")
            if form["kind"] not in KIND_RU:
                errors.append("Неизвестный вид источника.")
            if form["interval"] is not None and form["interval"] < cfg.feeds.min_interval_minutes:
                errors.append(f"Интервал не меньше {cfg.feeds.min_interval_minutes} минут.")
            url = form["url"]
            feed_url = None
            try:
                url = check_public_url(url, allow_private=cfg.http.allow_private_targets)
            except UnsafeURLError as exc:
                errors.append(f"Адрес не принят: {exc}")
            dup = s.exec(select(Source).where(Source.name == form["name"])).first()
            if dup is not None and dup.id != source_id:
                errors.append("Источник с таким названием уже есть.")
            if not errors and form["kind"] == "feed" and (src is None or src.url != url):
                try:
                    feed_url = discover_feed_url(app, url)
                except EcitizenError as exc:
                    errors.append(f"Не удалось открыть адрес: {exc}")
                if feed_url:
                    try:
                        feed_url = check_public_url(feed_url, allow_private=cfg.http.allow_private_targets)
                    except UnsafeURLError:
                        feed_url = None
            if not errors:
                if src is None:
                    src = Source(name=form["name"], url="", origin="web")
                src.name = form["name"]
                if src.url != url:
                    src.url = url
                    src.feed_url = feed_url
                    src.etag = None
                    src.last_modified = None
                src.kind = form["kind"]
                src.topics = form["topics"]
                src.interval_minutes = form["interval"]
                src.enabled = form["enabled"]
                s.add(src)
                s.flush()
                msg = "Источник сохранён."
                if feed_url:
                    msg += f" Найдена лента: {feed_url}"
                flash(msg, "ok")
                return redirect(url_for("admin.sources"))
    return render_template("source_form.html", form=form, errors=errors, source_id=source_id, topics=_topics(),
                           kinds=KIND_RU), (400 if errors else 200)


@bp.post("/sources/<int:source_id>/toggle")
@manager_required
def source_toggle(source_id: int) -> BaseResponse:
    with session_scope(core().engine) as s:
        src = s.get(Source, source_id)
        if src is None:
            abort(404)
        src.enabled = not src.enabled
        s.add(src)
        flash(f"Источник «{src.name}» {'включён' if src.enabled else 'отключён'}.", "ok")
    return redirect(url_for("admin.sources"))


def check_source_body(app: App, name: str, kind: str) -> Callable[[threading.Event], dict[str, Any]]:
    def body(stop: threading.Event) -> dict[str, Any]:
        if kind == "feed":
            report = feeds.poll(app, names=[name], force=True)
        else:
            report = crawler.crawl(app, names=[name])
        return dict(tasks.report_counts(report))

    return body


@bp.post("/sources/<int:source_id>/check")
@manager_required
def source_check(source_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        src = s.get(Source, source_id)
        if src is None:
            abort(404)
        name, kind = src.name, src.kind
    service = current_app.extensions["ecitizen_service"]
    background().submit(service.run_body, f"check_source:{name}", check_source_body(app, name, kind))
    flash(f"Проверка источника «{name}» запущена. Обновите страницу через минуту.", "ok")
    return redirect(url_for("admin.sources"))


# -- links ----------------------------------------------------------------------------------------

@bp.get("/archive")
@manager_required
def links() -> str:
    status = request.args.get("status", "")
    with session_scope(core().engine) as s:
        q = select(Link).order_by(col(Link.category), col(Link.title))
        if status == "attention":
            q = q.where(col(Link.status).in_(LINK_ATTENTION))
        elif status:
            q = q.where(Link.status == status)
        rows = s.exec(q).all()
        by_status = dict(s.exec(select(Link.status, func.count(col(Link.id))).group_by(Link.status)).all())
    return render_template("links.html", rows=rows, status=status, by_status=by_status)


@bp.get("/archive/<int:link_id>")
@manager_required
def link_detail(link_id: int) -> str:
    with session_scope(core().engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            abort(404)
        checks = s.exec(
            select(LinkCheck).where(LinkCheck.link_id == link_id).order_by(col(LinkCheck.checked_at).desc()).limit(30)
        ).all()
        events = s.exec(
            select(LinkEvent).where(LinkEvent.link_id == link_id).order_by(col(LinkEvent.at).desc()).limit(30)
        ).all()
        snaps = s.exec(
            select(Snapshot).where(Snapshot.link_id == link_id).order_by(col(Snapshot.taken_at).desc()).limit(10)
        ).all()
    return render_template("link_detail.html", link=link, checks=checks, events=events, snaps=snaps)


@bp.post("/archive/<int:link_id>/accept-move")
@manager_required
def link_accept_move(link_id: int) -> BaseResponse:
    """Accept the proposed new address (the archive package's ``apply_moves``)."""
    app = core()
    with session_scope(app.engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            abort(404)
        if not link.proposed_url:
            flash("Новый адрес не предложен.", "warn")
            return redirect(url_for("admin.link_detail", link_id=link_id))
        old_url = link.url
        moves = archive.apply_moves(s, now=app.now(), urls=[old_url])
        if moves and moves[0].applied:
            s.add(LinkEvent(link_id=link_id, at=app.now(), kind="moved", acknowledged=True,
                            summary=f"Адрес заменён вручную ({g.user.name}): {old_url} → {moves[0].new_url}"))
            flash("Новый адрес принят; ссылка будет проверена при следующей проверке.", "ok")
        else:
            reason = getattr(moves[0], "reason", "") if moves else ""
            flash(f"Адрес не заменён: {reason or 'нет предложенного адреса'}.", "warn")
    return redirect(url_for("admin.link_detail", link_id=link_id))


@bp.post("/archive/<int:link_id>/reviewed")
@manager_required
def link_reviewed(link_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            abort(404)
        link.reviewed_at = app.now()
        s.add(link)
        for ev in s.exec(select(LinkEvent).where(LinkEvent.link_id == link_id)
                         .where(col(LinkEvent.acknowledged).is_(False))).all():
            ev.acknowledged = True
            s.add(ev)
    flash("Отмечено как просмотренное.", "ok")
    return redirect(url_for("admin.link_detail", link_id=link_id))


def _snapshot_file(snap: Snapshot, which: str) -> Path | None:
    rel = snap.text_path if which == "text" else snap.html_path
    if not rel:
        return None
    base = core().config.data_path.resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([a-zA-Z0-9_-]+)""", re.IGNORECASE)


def decode_html(data: bytes) -> str:
    """A saved page's text: its declared charset (meta), else detected (windows-1251 is common)."""
    m = _META_CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        return str(best) if best is not None else data.decode("utf-8", errors="replace")


@bp.post("/archive/<int:link_id>/snapshot")
@manager_required
def link_snapshot(link_id: int) -> BaseResponse:
    app = core()
    with session_scope(app.engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            abort(404)
    try:
        archive.take_snapshot(app, link)
    except EcitizenError as exc:
        flash(f"Копия не сохранена: {exc}", "error")
    else:
        flash("Копия страницы сохранена.", "ok")
    return redirect(url_for("admin.link_detail", link_id=link_id))


@bp.get("/snapshots/<int:snap_id>")
@manager_required
def snapshot_view(snap_id: int) -> str:
    with session_scope(core().engine) as s:
        snap = s.get(Snapshot, snap_id)
        if snap is None:
            abort(404)
    text_path = _snapshot_file(snap, "text")
    text = text_path.read_text(encoding="utf-8", errors="replace")[:300_000] if text_path else None
    if text is None:
        html_path = _snapshot_file(snap, "html")
        if html_path is not None:
            from ecitizen.html import html_to_text

            text = html_to_text(decode_html(html_path.read_bytes()[:4_000_000]))
    return render_template("snapshot.html", snap=snap, text=text,
                           has_html=_snapshot_file(snap, "html") is not None)


@bp.get("/snapshots/<int:snap_id>/frame")
@manager_required
def snapshot_frame(snap_id: int) -> BaseResponse:
    """The saved page, sanitised, served with a CSP sandbox (opaque origin, no scripts)."""
    from ecitizen.html import sanitize_html
    from ecitizen.shell.web import SANDBOX_CSP

    with session_scope(core().engine) as s:
        snap = s.get(Snapshot, snap_id)
        if snap is None:
            abort(404)
    path = _snapshot_file(snap, "html")
    if path is None:
        abort(404)
    clean = sanitize_html(decode_html(path.read_bytes()[:4_000_000]), base_url=snap.url)
    page = "<!doctype html><meta charset=utf-8><body>" + clean
    resp = Response(page, content_type="text/html; charset=utf-8")
    resp.headers["Content-Security-Policy"] = SANDBOX_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- outputs --------------------------------------------------------------------------------------

def out_dir() -> Path:
    return tasks.out_dir(core())


def _files() -> list[dict[str, Any]]:
    base = out_dir()
    out: list[dict[str, Any]] = []
    if base.is_dir():
        for p in sorted(base.rglob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            if p.is_file() and p.suffix.lower() in (".pdf", ".docx", ".html", ".txt", ".png", ".md", ".eml"):
                rel = p.relative_to(base).as_posix()
                if rel.startswith("public/"):
                    continue
                out.append({"rel": rel, "name": p.name, "size": p.stat().st_size,
                            "mtime": datetime.fromtimestamp(p.stat().st_mtime).astimezone()})
    return out[:200]


@bp.get("/outputs")
def outputs() -> str:
    app = core()
    today = app.now().astimezone(app.config.tz).date()
    return render_template("outputs.html", files=_files(), libraries=app.config.libraries,
                           month=tasks.current_month(today))


@bp.post("/outputs/posters")
def outputs_posters() -> BaseResponse:
    app = core()
    month = request.form.get("month", "")
    library = request.form.get("library", "all")
    if library != "all" and library not in {lib.id for lib in app.config.libraries}:
        abort(400)
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        flash("Месяц укажите в виде ГГГГ-ММ.", "warn")
        return redirect(url_for("admin.outputs"))
    try:
        paths = digest.make_posters(app, month=month, library=library)
    except EcitizenError as exc:
        flash(f"Плакаты не созданы: {exc}", "error")
        return redirect(url_for("admin.outputs"))
    flash(f"Создано плакатов: {len(list(paths or []))}.", "ok")
    return redirect(url_for("admin.outputs"))


@bp.post("/outputs/media")
def outputs_media() -> BaseResponse:
    app = core()
    month = request.form.get("month") or None
    if month is not None:
        try:
            datetime.strptime(month, "%Y-%m")
        except ValueError:
            flash("Месяц укажите в виде ГГГГ-ММ.", "warn")
            return redirect(url_for("admin.outputs"))
    try:
        paths = digest.make_media_note(app, month=month)
    except EcitizenError as exc:
        flash(f"Заметка не создана: {exc}", "error")
        return redirect(url_for("admin.outputs"))
    names = ", ".join(Path(str(p)).name for p in (paths or []))
    flash(f"Заметка для СМИ готова: {names or '—'}.", "ok")
    return redirect(url_for("admin.outputs"))


@bp.post("/outputs/weekly")
def outputs_weekly() -> BaseResponse:
    app = core()
    try:
        digest.make_weekly(app, send=False)
    except EcitizenError as exc:
        flash(f"Обзор не создан: {exc}", "error")
        return redirect(url_for("admin.outputs"))
    flash("Обзор недели создан.", "ok")
    return redirect(url_for("admin.outputs"))


@bp.get("/outputs/file/<path:rel>")
def outputs_file(rel: str) -> BaseResponse:
    resp = send_from_directory(out_dir().resolve(), rel, as_attachment=not rel.endswith(".html"))
    if rel.endswith(".html"):
        from ecitizen.shell.web import SANDBOX_CSP

        csp = SANDBOX_CSP.replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        resp.headers["Content-Security-Policy"] = csp
    return resp
