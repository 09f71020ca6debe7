"""The web interface (Flask): staff pages behind a login, and the public endpoints.

One blueprint per section: ``auth`` (login/logout), ``dashboard``, ``review`` (queue and item
edit), ``sources``, ``links`` (``/archive`` and saved copies), ``outputs``, ``runs`` (job log), and
``public`` (with ``published``: the same pages under the file names ``publish`` writes); what
they share is in :mod:`.common`. Views parse the request, call the core or a
domain through its front door, and render one template — no queries here.

Owns: the app factory :func:`create_app`, security headers (a strict Content-Security-Policy on
every page, no inline scripts), CSRF on every form (Flask-WTF), session cookie flags, the secret
key (``$ECITIZEN_SECRET_KEY`` or a generated key persisted under the data folder).
Pages are in Russian; scraped/saved HTML is never rendered inside the admin origin unsanitised.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from ecitizen.app import App
from ecitizen.errors import NotFoundError

#: every staff page: no inline script or style, nothing framed elsewhere, forms post to us only
ADMIN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; frame-src 'self'"
)
#: saved copies of outside pages: a sandbox (own opaque origin, no scripts, no forms)
SANDBOX_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


def secret_key_for(app: App) -> str:
    """``$ECITIZEN_SECRET_KEY`` if set, else a random key generated once and kept in the data folder."""
    key = app.config.web.secret_key()
    if key:
        return key
    path = app.config.data_path / "secret_key"
    try:
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # atomic "create if absent": two processes agree on one key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def create_app(app: App, *, service: Any = None, testing: bool = False) -> Flask:
    """The Flask application for ``app``. ``service`` runs "check now" jobs (a new one if None)."""
    from ecitizen.shell.scheduler import Service
    from ecitizen.shell.web import (
        auth,
        common,
        dashboard,
        links,
        outputs,
        programme,
        public,
        published,
        review,
        runs,
        sources,
        users,
    )

    web = Flask(__name__, static_folder="static", template_folder="templates")
    cfg = app.config
    web.config.update(
        SECRET_KEY=secret_key_for(app),
        SESSION_COOKIE_NAME="ecitizen_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        MAX_CONTENT_LENGTH=1_000_000,
        TESTING=testing,
        JSON_AS_ASCII=False,
    )
    web.extensions["ecitizen"] = app
    web.extensions["ecitizen_service"] = service or Service(app)
    CSRFProtect(web)
    common.install(web)
    web.register_blueprint(public.bp)
    web.register_blueprint(published.bp)
    for section in (auth, dashboard, review, sources, links, outputs, runs, users, programme):
        web.register_blueprint(section.bp)
    web.jinja_env.globals["site_title"] = "Электронный гражданин — рабочее место"

    @web.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", ADMIN_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if resp.headers["Content-Security-Policy"] == ADMIN_CSP:
            resp.headers.setdefault("X-Frame-Options", "DENY")
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @web.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        from flask import render_template

        return render_template("error.html", title="Форма устарела",
                               message="Форма устарела или отправлена не с этого сайта. Обновите страницу и "
                                       "повторите действие."), 400

    @web.errorhandler(404)
    def _not_found(exc: Exception) -> Any:
        from flask import render_template

        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.path if request.method == "GET" else None))
        return render_template("error.html", title="Страница не найдена",
                               message="Такой страницы нет."), 404

    @web.errorhandler(NotFoundError)
    def _missing(exc: NotFoundError) -> Any:
        """A view asked the core or a domain for a row that does not exist (a stale link): 404."""
        return _not_found(exc)

    @web.errorhandler(403)
    def _forbidden(exc: Exception) -> tuple[str, int]:
        from flask import render_template

        return render_template("error.html", title="Нет доступа",
                               message="Это действие доступно только руководителю программы."), 403

    return web


def static_path() -> Path:
    return Path(__file__).parent / "static"
